//! The default phrase lists and topics of [`super::Lexicon`], by
//! configuration name: a zone replaces any of them in its configuration
//! (`[engine.phrases]`, `[engine.topics]`).
//!
//! The phrase lists themselves live in submodules by what they are for;
//! [`PHRASE_LISTS`] names them in the order the lexicon keeps them.

mod actions;
mod courtesy;
mod notices;
mod outcomes;
mod plans;
mod requests;

/// The phrase lists, by configuration name, with their defaults.
pub const PHRASE_LISTS: [(&str, &[&str]); 19] = [
    ("remaining", outcomes::REMAINING),
    ("agreed", plans::AGREED),
    ("stalled", actions::STALLED),
    ("thanks", courtesy::THANKS),
    ("greetings", courtesy::GREETINGS),
    ("good_news", outcomes::GOOD_NEWS),
    ("asks", requests::ASKS),
    ("faults", requests::FAULTS),
    ("progress", requests::PROGRESS),
    ("fixed", outcomes::FIXED),
    ("withdrawn", outcomes::WITHDRAWN),
    ("new_matter", requests::NEW_MATTER),
    ("action", actions::ACTION),
    ("answer_from", actions::ANSWER_FROM),
    ("intention", plans::INTENTION),
    ("negation", actions::NEGATION),
    ("plan_words", plans::PLAN_WORDS),
    ("announcement", notices::ANNOUNCEMENT),
    ("on_behalf", notices::ON_BEHALF),
];

/// The topics a follow-up and its issue may share though they share no
/// words (`停电` and `没电`, `班车` and `客运`): a few words each.
pub const TOPICS: [(&str, &[&str]); 19] = [
    (
        "power",
        &[
            "电",
            "power",
            "electric",
            "outage",
            "blackout",
            "transformer",
            "feeder",
            "grid",
            "substation",
            "breaker",
        ],
    ),
    ("water", &["水", "water", "pipe"]),
    ("gas", &["燃气", "天然气", "煤气", "gas"]),
    (
        "network",
        &[
            "网络",
            "专线",
            "机房",
            "服务器",
            "server",
            "vpn",
            "宽带",
            "光纤",
            "断网",
            "信号",
            "internet",
            "network",
            "wifi",
            "fibre",
            "fiber",
        ],
    ),
    (
        "staffing",
        &[
            "招工", "招聘", "用工", "工人", "普工", "员工", "人社", "劳务", "recruit", "hiring", "workers",
        ],
    ),
    (
        "housing",
        &[
            "宿舍",
            "公寓",
            "住房",
            "住宿",
            "房间",
            "dorm",
            "apartment",
            "housing",
        ],
    ),
    ("bus", &["班车", "公交", "客运", "bus", "shuttle"]),
    ("parking", &["停车", "车位", "parking"]),
    (
        "road",
        &["路灯", "道路", "路面", "修路", "围挡", "street", "road", "lights"],
    ),
    (
        "environment",
        &[
            "环保",
            "环评",
            "排污",
            "污水",
            "废水",
            "废气",
            "监测",
            "噪音",
            "噪声",
            "扬尘",
            "emission",
            "environment",
        ],
    ),
    ("fire", &["消防", "fire"]),
    (
        "funding",
        &[
            "补贴", "补助", "奖励", "税", "资金", "申报", "subsidy", "tax", "grant", "rebate", "refund",
        ],
    ),
    ("land", &["土地", "用地", "地块", "红线", "land", "plot"]),
    ("customs", &["海关", "报关", "通关", "清关", "customs"]),
    (
        "school",
        &["学校", "入学", "上学", "子女", "幼儿园", "school", "kindergarten"],
    ),
    (
        "visa",
        &[
            "签证",
            "居留",
            "工作许可",
            "外籍",
            "visa",
            "residence",
            "work permit",
            "passport",
        ],
    ),
    ("security", &["治安", "被偷", "被盗", "保安", "theft", "security"]),
    ("finance", &["贷款", "融资", "银行", "loan", "bank", "financing"]),
    ("heating", &["暖气", "供暖", "蒸汽", "空调", "heating", "steam"]),
];

/// Titles that follow a surname when people address each other (`王工`,
/// `李科`, `周主任`), so that a greeting with a name stays a greeting.
pub const TITLES: [&str; 30] = [
    "主任",
    "经理",
    "科长",
    "处长",
    "局长",
    "部长",
    "书记",
    "队长",
    "总监",
    "主管",
    "老师",
    "师傅",
    "老板",
    "助理",
    "秘书",
    "院长",
    "董事长",
    "总",
    "工",
    "科",
    "姐",
    "哥",
    "局",
    "处",
    "董",
    "所",
    "站",
    "老",
    "生",
    "队",
];

/// Words that address a group rather than one person.
pub(super) const ADDRESSEES: [&str; 12] = [
    "各位领导",
    "各位老师",
    "各位",
    "领导们",
    "领导",
    "大家",
    "两位",
    "诸位",
    "专班",
    "你们",
    "您",
    "team",
];

/// Words that mention the whole group, not a person.
pub(super) const EVERYONE: [&str; 6] = ["所有人", "全体成员", "all", "everyone", "here", "channel"];
