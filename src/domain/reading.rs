//! What a chat message says, read the way a zone supervisor reads it (SPEC
//! §4): whether it asks for anything, whether it is only a greeting or a
//! thank-you, whether it reports action taken or a concrete plan, whether it
//! confirms a fix or withdraws the matter, whom it addresses, and what it is
//! about (so that a follow-up finds its issue and a new matter does not).
//!
//! Pure and table-driven: every phrase list lives in a [`Lexicon`] with
//! defaults for Chinese and English, and a zone may replace any list in its
//! configuration (`[engine.phrases]`, `[engine.topics]`). Each finding keeps
//! the words that caused it, so that the timeline can say why.

use std::collections::BTreeSet;

/// How much of a message is read, in bytes: chat messages that matter are
/// short, and the writer must not spend long on a huge one.
pub const READ_BYTES: usize = 4096;

/// The first [`READ_BYTES`] of `text`, cut at a character boundary.
fn clip(text: &str) -> &str {
    if text.len() <= READ_BYTES {
        return text;
    }
    let mut end = READ_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The phrase lists, by configuration name, with their defaults.
pub const PHRASE_LISTS: [(&str, &[&str]); 19] = [
    (
        "remaining",
        &[
            "就怕",
            "担心",
            "但是",
            "不过",
            "可是",
            "只剩",
            "还差",
            "还要",
            "还得",
            "还需要",
            "but",
            "however",
            "still need",
            "worried",
            "勉强",
            "但",
        ],
    ),
    (
        "agreed",
        &[
            "后续这样",
            "后面这样",
            "这样办",
            "就这么定",
            "安排是",
            "这样排",
            "计划是",
            "方案是",
            "定的是",
            "定在",
            "定好",
            "商量好",
            "谈好",
            "定了",
            "定下来",
            "商定",
            "约定",
            "说好",
            "谈好",
            "确定了",
            "答应",
            "同意",
            "这样安排",
            "安排如下",
            "如下",
            "接下来",
            "时间表",
            "日程",
            "计划",
            "plan",
            "agreed",
            "next steps",
            "timeline",
            "schedule",
            "scheduled",
            "arranged",
            "booked",
        ],
    ),
    (
        "stalled",
        &[
            "在对接",
            "在走流程",
            "在走审批",
            "在跟进",
            "在沟通",
            "在办理中",
            "还在走",
            "还在等",
            "还没联系上",
            "没联系上",
            "联系不上",
            "暂时没",
            "还没回",
            "没回复",
            "没答复",
            "没人接",
            "still waiting",
            "waiting for",
            "not yet",
            "no reply",
            "no answer",
            "haven't heard",
        ],
    ),
    (
        "thanks",
        &[
            "谢谢",
            "感谢",
            "多谢",
            "辛苦",
            "麻烦了",
            "劳驾",
            "有劳",
            "费心",
            "太好了",
            "好的",
            "好滴",
            "好嘞",
            "收到",
            "明白",
            "了解",
            "知道了",
            "可以",
            "行",
            "嗯",
            "哦",
            "对的",
            "是的",
            "ok",
            "okay",
            "thanks",
            "thank you",
            "thank",
            "thx",
            "cheers",
            "great",
            "got it",
            "noted",
            "appreciate",
            "perfect",
            "awesome",
            "nice",
            "good",
            "sure",
        ],
    ),
    (
        "greetings",
        &[
            "愉快",
            "假期",
            "节日",
            "平安",
            "吉祥",
            "如意",
            "顺心",
            "顺遂",
            "开心",
            "幸福",
            "健康",
            "周末",
            "merry christmas",
            "christmas",
            "holiday",
            "holidays",
            "happy",
            "see you",
            "have a good",
            "have a great",
            "祝",
            "阖家团圆",
            "阖家幸福",
            "万事如意",
            "身体健康",
            "工作顺利",
            "生意兴隆",
            "中秋",
            "国庆",
            "春节",
            "新年",
            "元宵",
            "端午",
            "快乐",
            "安康",
            "大吉",
            "早上好",
            "上午好",
            "中午好",
            "下午好",
            "晚上好",
            "早安",
            "晚安",
            "你好",
            "您好",
            "大家好",
            "早",
            "新年快乐",
            "新春快乐",
            "节日快乐",
            "春节快乐",
            "中秋快乐",
            "国庆快乐",
            "元旦快乐",
            "端午安康",
            "周末愉快",
            "恭喜",
            "祝贺",
            "贺喜",
            "同喜",
            "威武",
            "点赞",
            "good morning",
            "good afternoon",
            "good evening",
            "hello",
            "hi",
            "hey",
            "congratulations",
            "congrats",
            "happy new year",
            "happy holidays",
            "have a nice weekend",
        ],
    ),
    (
        "good_news",
        &[
            "cleared",
            "passed",
            "approved",
            "获批",
            "通过了",
            "our first",
            "🎉",
            "🎊",
            "首批",
            "首单",
            "投产",
            "揭牌",
            "开门红",
            "里程碑",
            "milestone",
            "celebrate",
            "proud",
            "first shipment",
            "first order",
            "went live",
            "is live",
            "好消息",
            "喜报",
            "报喜",
            "捷报",
            "顺利",
            "圆满",
            "正式投产",
            "正式列入",
            "成功",
            "good news",
            "great news",
            "we are happy to",
            "pleased to announce",
        ],
    ),
    (
        "asks",
        &[
            "怎么",
            "为什么",
            "why",
            "what",
            "where",
            "needs",
            "need",
            "want to",
            "问一下",
            "了解一下",
            "怎么申请",
            "咨询一下",
            "能不能帮",
            "看看能不能",
            "有办法",
            "?",
            "吗",
            "怎么办",
            "怎么弄",
            "怎么处理",
            "能不能",
            "能否",
            "可不可以",
            "可否",
            "帮忙",
            "帮帮",
            "帮我们",
            "帮着",
            "麻烦问",
            "麻烦帮",
            "麻烦协调",
            "请协调",
            "请帮",
            "协调一下",
            "需要",
            "希望",
            "想约",
            "想申请",
            "想咨询",
            "想问",
            "请问",
            "咨询",
            "有没有",
            "什么时候",
            "多久",
            "哪里",
            "是否",
            "求助",
            "急需",
            "催一下",
            "can you",
            "could you",
            "would you",
            "please",
            "help",
            "we need",
            "need to",
            "how do",
            "how can",
            "when will",
            "is there",
            "any way",
            "advise",
        ],
    ),
    (
        "faults",
        &[
            "停产",
            "用完了",
            "满了",
            "放不下",
            "快满",
            "off",
            "no power",
            "still off",
            "不进",
            "进不了",
            "出不去",
            "开不了",
            "走不了",
            "用不上",
            "没有地方",
            "找不到",
            "不知道找",
            "塌",
            "陷",
            "裂缝",
            "坑",
            "破了",
            "断了",
            "漏",
            "不给",
            "不让",
            "没人来",
            "没人管",
            "没人收",
            "不制冷",
            "不出水",
            "等着",
            "排到",
            "太晚",
            "太慢",
            "太少",
            "迟到",
            "堆满",
            "约不上",
            "办不下来",
            "不下来",
            "不受理",
            "卡着",
            "卡住了",
            "held",
            "delayed",
            "cancelled",
            "canceled",
            "waiting",
            "no one",
            "nobody",
            "complain",
            "damaged",
            "missing",
            "停电",
            "停水",
            "断电",
            "断水",
            "没电",
            "没水",
            "跳闸",
            "停气",
            "断气",
            "断网",
            "没网",
            "停了",
            "停工",
            "坏了",
            "故障",
            "漏水",
            "漏气",
            "渗水",
            "积水",
            "堵了",
            "堵塞",
            "打不开",
            "进不去",
            "上不去",
            "不通",
            "不能用",
            "用不了",
            "无法",
            "没法",
            "办不了",
            "不行了",
            "不行",
            "重做",
            "跟不上",
            "不够",
            "太低",
            "太高",
            "异常",
            "报警",
            "卡住",
            "卡在",
            "驳回",
            "退回",
            "不通过",
            "没通过",
            "没批",
            "没下来",
            "没办下来",
            "还没落实",
            "没落实",
            "迟迟",
            "到期",
            "过期",
            "超期",
            "被罚",
            "处罚",
            "罚款",
            "投诉",
            "扰民",
            "噪音",
            "扬尘",
            "影响",
            "耽误",
            "出问题",
            "有问题",
            "这下麻烦了",
            "就麻烦了",
            "麻烦大了",
            "急",
            "紧急",
            "broken",
            "outage",
            "down",
            "not working",
            "doesn't work",
            "failed",
            "fails",
            "failing",
            "rejected",
            "stuck",
            "expire",
            "expired",
            "blocked",
            "leak",
            "problem",
            "issue",
            "urgent",
            "off for",
            "no power",
            "no water",
            "can't",
            "cannot",
            "unable",
            "won't let",
            "won't",
            "doesn't let",
            "not allowed",
        ],
    ),
    (
        "progress",
        &[
            "有结论",
            "有结果",
            "有消息",
            "落实了吗",
            "怎么说",
            "那个事",
            "这个事",
            "上次说",
            "刚才说",
            "那个",
            "补充",
            "另附",
            "再补充",
            "追问",
            "更新一下",
            "follow up",
            "following up",
            "to add",
            "adding to",
            "怎么样了",
            "怎样了",
            "进展",
            "进度",
            "有消息吗",
            "有回复吗",
            "到哪了",
            "还要多久",
            "什么时候能",
            "什么时候到",
            "催一下",
            "加急",
            "抓紧",
            "expedite",
            "speed this up",
            "还没好",
            "还没来",
            "还没到",
            "还没有",
            "还是没",
            "还是不行",
            "还没修",
            "any update",
            "any news",
            "status",
            "progress",
            "still",
            "how is it going",
        ],
    ),
    (
        "fixed",
        &[
            "到账",
            "弄好了",
            "搞好了",
            "已经好了",
            "已经通了",
            "电送上了",
            "送上电了",
            "安静了",
            "清干净了",
            "到账了",
            "拿到证",
            "back online",
            "is working",
            "works fine",
            "修好了",
            "恢复了",
            "恢复正常",
            "正常了",
            "解决了",
            "搞定了",
            "来电了",
            "来水了",
            "通水了",
            "通电了",
            "上来了",
            "开起来了",
            "转起来了",
            "能用了",
            "可以用了",
            "没问题了",
            "拿到了",
            "拿到证了",
            "办下来了",
            "批下来了",
            "下证了",
            "已恢复",
            "已解决",
            "都好了",
            "fixed",
            "resolved",
            "working again",
            "works again",
            "works now",
            "back to normal",
            "back on",
            "solved",
            "sorted",
            "all good now",
            "is back",
        ],
    ),
    (
        "withdrawn",
        &[
            "搞错了",
            "弄错了",
            "看错了",
            "误会",
            "没事了",
            "不用了",
            "不需要了",
            "算了",
            "自己解决了",
            "自己处理了",
            "先不用",
            "取消",
            "撤回",
            "never mind",
            "nevermind",
            "no longer needed",
            "false alarm",
            "my mistake",
            "ignore my",
            "not needed anymore",
            "we sorted it ourselves",
        ],
    ),
    (
        "new_matter",
        &[
            "还有,",
            "还有，",
            "再问一个",
            "另外问",
            "另外还有",
            "different topic",
            "另外",
            "还有个事",
            "还有一个事",
            "还有件事",
            "还有一件",
            "还有个问题",
            "另一个",
            "另一件",
            "再问一下",
            "再问个",
            "顺便问",
            "顺便说",
            "还想问",
            "also",
            "another",
            "separate thing",
            "separate matter",
            "separate question",
            "something else",
            "one more thing",
            "separately",
            "a different",
        ],
    ),
    (
        "action",
        &[
            "回电了",
            "回了电话",
            "看过",
            "on his way",
            "on her way",
            "on their way",
            "done",
            "completed",
            "replaced",
            "repaired",
            "installed",
            "added",
            "told",
            "registered",
            "swapped",
            "出警",
            "出动",
            "赶到",
            "赶赴",
            "赶过去",
            "查到",
            "查明",
            "查清",
            "刚把",
            "已经给",
            "已给",
            "进场了",
            "我让他们先",
            "went to",
            "we went",
            "inspected",
            "they found",
            "has been fixed",
            "have been fixed",
            "were fixed",
            "got back",
            "定了",
            "上门",
            "到场",
            "过去看了",
            "过去了",
            "在路上",
            "答复说",
            "已答复",
            "答复了",
            "谈下来",
            "谈好了",
            "确认好",
            "商量好",
            "定好了",
            "敲定",
            "谈妥",
            "派出",
            "已经派",
            "去了",
            "已经确认",
            "谈了",
            "同意",
            "开了协调会",
            "给你们安排了",
            "预留了",
            "帮你们",
            "替你们",
            "已经帮",
            "已经把",
            "看了",
            "我请",
            "排了",
            "找了",
            "i called",
            "we called",
            "have arranged",
            "has arranged",
            "i've",
            "we've",
            "已联系",
            "已经联系",
            "联系了",
            "联系上",
            "联系过",
            "已协调",
            "协调了",
            "协调好",
            "已派",
            "派了",
            "派人",
            "已出发",
            "出发了",
            "已经出发",
            "已到",
            "已经到",
            "到现场了",
            "已提交",
            "提交了",
            "帮你们提交",
            "交上去了",
            "已报",
            "报了",
            "报备了",
            "做了",
            "已办",
            "办好",
            "办完",
            "办理了",
            "约好",
            "约了",
            "已约",
            "问过",
            "问了",
            "已问",
            "回复说",
            "说是",
            "已经让",
            "已通知",
            "通知了",
            "已处理",
            "处理了",
            "处理好",
            "修好",
            "换好",
            "装好",
            "接好",
            "已开通",
            "开通了",
            "开过去",
            "送过去",
            "送到",
            "已转",
            "转给了",
            "转交",
            "对接上",
            "已对接",
            "对接了",
            "已上报",
            "上报了",
            "已发",
            "发你了",
            "发给你了",
            "发过去了",
            "打了电话",
            "通了电话",
            "电话联系了",
            "查了",
            "查过",
            "核实了",
            "已核实",
            "确认了",
            "已确认",
            "正在抢修",
            "正在处理",
            "在抢修",
            "正在修",
            "正在办",
            "已安排",
            "安排好了",
            "安排了",
            "已落实",
            "落实了",
            "腾出",
            "留了",
            "留好",
            "预留",
            "调了",
            "调配",
            "已启动",
            "启动了",
            "已受理",
            "受理了",
            "contacted",
            "called",
            "reported",
            "submitted",
            "dispatched",
            "sent",
            "booked",
            "arranged",
            "spoke with",
            "spoke to",
            "talked to",
            "checked with",
            "confirmed",
            "got an answer",
            "filed",
            "ticket",
            "uploaded",
            "escalated",
            "on the way",
            "on site",
            "is on it",
            "are on it",
            "reserved",
            "approved",
            "went over",
            "handed in",
            "handed over",
            "visited",
            "met with",
            "we met",
            "i met",
        ],
    ),
    (
        "answer_from",
        &[
            "里说",
            "回复了",
            "回话了",
            "答应了",
            "说好了",
            "答复说",
            "答复是",
            "答复了",
            "公司说",
            "局说",
            "所说",
            "中心说",
            "科说",
            "站说",
            "办说",
            "窗口说",
            "部门说",
            "调度说",
            "那边说",
            "他们说",
            "回复说",
            "反馈说",
            "表示",
            "告知",
            "说可以",
            "说能",
            "says",
            "said",
            "replied",
            "told me",
            "told us",
            "confirmed that",
        ],
    ),
    (
        "intention",
        &[
            "在查",
            "请示",
            "沟通一下",
            "联系一下",
            "商量一下",
            "研究一下",
            "汇报一下",
            "协调一下",
            "问下",
            "查下",
            "再问",
            "再催",
            "再找",
            "再去",
            "你跟一下",
            "跟一下",
            "马上",
            "立即",
            "立刻",
            "这就",
            "我去",
            "我来",
            "我问下",
            "我问问",
            "我查下",
            "问一下",
            "问问",
            "查一下",
            "了解一下",
            "看一下",
            "看看",
            "核实一下",
            "确认一下",
            "落实一下",
            "对接一下",
            "会联系",
            "会尽快",
            "尽快",
            "争取",
            "准备",
            "打算",
            "稍后",
            "待会",
            "等下",
            "回头",
            "明天联系",
            "明天去",
            "安排专人",
            "专人对接",
            "专人跟进",
            "跟进一下",
            "i'll",
            "i will",
            "we'll",
            "we will",
            "will check",
            "will contact",
            "going to",
            "let me",
            "shortly",
            "asap",
        ],
    ),
    (
        "negation",
        &[
            "还没",
            "没有",
            "尚未",
            "暂未",
            "未能",
            "不上",
            "没人接",
            "没回",
            "没答复",
            "没消息",
            "不了",
            "没办法",
            "not yet",
            "haven't",
            "hasn't",
            "no reply",
            "no answer",
            "didn't",
            "couldn't",
            "no response",
        ],
    ),
    (
        "plan_words",
        &[
            "接下来",
            "如下",
            "这样",
            "开始",
            "截止",
            "时间表",
            "日程",
            "步骤如下",
            "next steps",
            "timeline",
            "定了",
            "定下来",
            "商定",
            "约定",
            "确定",
            "安排",
            "计划",
            "方案",
            "步骤",
            "先",
            "再",
            "然后",
            "之后",
            "完成",
            "办结",
            "出证",
            "到位",
            "负责",
            "跟进",
            "报进度",
            "每天",
            "plan",
            "agreed",
            "schedule",
            "will",
            "then",
            "by ",
        ],
    ),
    (
        "announcement",
        &[
            "温馨提示",
            "提醒各",
            "请各",
            "各企业",
            "各位企业",
            "各单位",
            "政策解读",
            "会议通知",
            "特此通知",
            "现将",
            "【通知】",
            "notice to all",
            "reminder to all",
            "all companies",
        ],
    ),
    (
        "on_behalf",
        &[
            "had a call from",
            "got a call from",
            "接到电话",
            "打电话给我",
            "来电话",
            "打来电话",
            "来电说",
            "打电话过来",
            "电话里反映",
            "电话反映",
            "打电话说",
            "打电话来",
            "来电反映",
            "电话里说",
            "电话里讲",
            "向我反映",
            "跟我反映",
            "找到我",
            "反映说",
            "反映：",
            "反映:",
            "代为反映",
            "called to say",
            "called me",
            "phoned",
            "reported by phone",
            "on the phone",
        ],
    ),
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
const ADDRESSEES: [&str; 12] = [
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
const EVERYONE: [&str; 6] = ["所有人", "全体成员", "all", "everyone", "here", "channel"];

/// The phrase lists in force, reduced like text is ([`fold`]), each with an
/// automaton that finds all its phrases in one pass over a text.
#[derive(Debug, Clone)]
pub struct Lexicon {
    lists: Vec<PhraseList>,
    topics: Vec<(String, Vec<String>)>,
    /// Every topic word; a match's pattern index maps to its topic.
    topic_finder: Finder,
    topic_of_pattern: Vec<usize>,
    /// Thanks, greetings and group addressees: what a pleasantry is made of.
    courtesy: Finder,
}

#[derive(Debug, Clone)]
struct PhraseList {
    name: &'static str,
    words: Vec<String>,
    finder: Finder,
}

/// Phrases found in one pass (Aho-Corasick, leftmost-longest), with the
/// ASCII word-boundary rule of [`at_word_boundary`].
#[derive(Debug, Clone)]
struct Finder {
    automaton: aho_corasick::AhoCorasick,
    words: Vec<String>,
}

impl Finder {
    fn new(words: Vec<String>) -> Self {
        let automaton = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&words)
            .or_else(|_| aho_corasick::AhoCorasick::new(Vec::<String>::new()))
            .expect("an automaton of the phrase list");
        Self { automaton, words }
    }

    /// The matches that stand as words: `(start, end, pattern)`.
    fn matches<'t>(&'t self, text: &'t str) -> impl Iterator<Item = (usize, usize, usize)> + 't {
        self.automaton
            .find_iter(text)
            .filter(move |m| at_word_boundary(text, m.start(), m.end()))
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
    }

    fn first(&self, text: &str) -> Option<&str> {
        self.matches(text)
            .next()
            .map(|(_, _, pattern)| self.words[pattern].as_str())
    }
}

/// Whether `text[start..end]` stands as a word: Chinese anywhere, an ASCII
/// word only between non-letters (`hi` is not in `this`).
fn at_word_boundary(text: &str, start: usize, end: usize) -> bool {
    let ascii_word = |c: char| c.is_ascii_alphanumeric() || c == '\'';
    let word = &text[start..end];
    let starts = word.chars().next().is_some_and(ascii_word);
    let ends = word.chars().next_back().is_some_and(ascii_word);
    let before_ok = !starts || !text[..start].chars().next_back().is_some_and(ascii_word);
    let after_ok = !ends || !text[end..].chars().next().is_some_and(ascii_word);
    before_ok && after_ok
}

impl Default for Lexicon {
    fn default() -> Self {
        Self::build(
            PHRASE_LISTS
                .iter()
                .map(|(name, words)| (*name, reduce_all(words.iter().copied())))
                .collect(),
            TOPICS
                .iter()
                .map(|(name, words)| (name.to_string(), reduce_all(words.iter().copied())))
                .collect(),
        )
    }
}

fn reduce_all<'a>(words: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut reduced: Vec<String> = words
        .into_iter()
        .map(|word| word.chars().map(fold).collect::<String>())
        .filter(|word| !word.trim().is_empty())
        .collect();
    reduced.sort_by_key(|word| std::cmp::Reverse(word.chars().count()));
    reduced.dedup();
    reduced
}

impl Lexicon {
    fn build(lists: Vec<(&'static str, Vec<String>)>, topics: Vec<(String, Vec<String>)>) -> Self {
        let mut topic_words = Vec::new();
        let mut topic_of_pattern = Vec::new();
        for (index, (_, words)) in topics.iter().enumerate() {
            for word in words {
                topic_words.push(word.clone());
                topic_of_pattern.push(index);
            }
        }
        let courtesy: Vec<String> = lists
            .iter()
            .filter(|(name, _)| ["thanks", "greetings"].contains(name))
            .flat_map(|(_, words)| words.iter().cloned())
            .chain(ADDRESSEES.iter().map(|word| word.to_string()))
            .collect();
        Self {
            lists: lists
                .into_iter()
                .map(|(name, words)| PhraseList {
                    name,
                    finder: Finder::new(words.clone()),
                    words,
                })
                .collect(),
            topics,
            topic_finder: Finder::new(topic_words),
            topic_of_pattern,
            courtesy: Finder::new(courtesy),
        }
    }

    fn rebuild(self) -> Self {
        let lists = self
            .lists
            .into_iter()
            .map(|list| (list.name, list.words))
            .collect();
        Self::build(lists, self.topics)
    }

    /// Replaces one phrase list; `None` if no list has that name.
    pub fn with_list<'a>(mut self, name: &str, words: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let slot = self.lists.iter_mut().find(|list| list.name == name)?;
        slot.words = reduce_all(words);
        Some(self.rebuild())
    }

    /// Adds words to one phrase list (an unknown name adds nothing).
    pub fn with_more(mut self, name: &str, words: impl IntoIterator<Item = String>) -> Self {
        if let Some(slot) = self.lists.iter_mut().find(|list| list.name == name) {
            let mut all: Vec<String> = std::mem::take(&mut slot.words);
            all.extend(words);
            slot.words = reduce_all(all.iter().map(String::as_str));
        }
        self.rebuild()
    }

    /// Adds or replaces a topic.
    pub fn with_topic<'a>(mut self, name: &str, words: impl IntoIterator<Item = &'a str>) -> Self {
        let words = reduce_all(words);
        match self.topics.iter_mut().find(|(known, _)| known == name) {
            Some(slot) => slot.1 = words,
            None => self.topics.push((name.to_string(), words)),
        }
        self.rebuild()
    }

    /// The first phrase of list `name` in `text` (already folded).
    fn find(&self, name: &str, text: &str) -> Option<String> {
        let list = self.lists.iter().find(|list| list.name == name)?;
        list.finder.first(text).map(str::to_string)
    }
}

/// Fullwidth ASCII as ASCII, letters in lower case, curly quotes straight.
pub fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{2018}' | '\u{2019}' => '\'',
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// A finding and the words that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Because {
    /// The rule, e.g. `action`, `plan`, `fixed`.
    pub rule: &'static str,
    /// The words of the message that matched.
    pub words: String,
}

impl Because {
    pub fn new(rule: &'static str, words: impl Into<String>) -> Self {
        Self {
            rule,
            words: words.into(),
        }
    }
}

/// What a message says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    /// Nothing but greetings, thanks, stickers, names and punctuation.
    pub pleasantry: bool,
    /// Good news or congratulations that ask for nothing.
    pub good_news: bool,
    /// A question, a need or a fault: something for the team to act on.
    pub asks: Option<Because>,
    /// A question or a need in so many words (not only a fault stated).
    pub question: bool,
    /// Holds a thank-you or a greeting, whatever else it says.
    pub thanks: bool,
    /// A question about progress, or urging.
    pub progress: Option<Because>,
    /// The problem is gone.
    pub fixed: Option<Because>,
    /// The requester takes the matter back.
    pub withdrawn: Option<Because>,
    /// Says that a new, different matter follows.
    pub new_matter: Option<Because>,
    /// Reports action taken (for staff messages).
    pub action: Option<Because>,
    /// States a concrete course with dates or steps (for staff messages).
    pub plan: Option<Because>,
    /// A notice to the whole group.
    pub announcement: bool,
    /// A team member passing on what an enterprise reported by phone.
    pub on_behalf: Option<Because>,
    /// Only media: `[图片]`, `[文件]`, a sticker code.
    pub media_only: bool,
    /// Opens by taking up what was just said to the sender ("好，那…",
    /// "那我们要怎么…", "Thanks. Hmm, …"): a follow-up, not a new matter.
    pub follow_up: bool,
    /// Says what will be done and reports nothing done: an intention
    /// ("马上联系", "已安排专人对接") with no action or plan.
    pub intends: bool,
}

/// Reads `text` with `lexicon`.
pub fn read(text: &str, lexicon: &Lexicon) -> Reading {
    let text = clip(text);
    let folded: String = text.chars().map(fold).collect();
    let body = strip_decoration(&folded);
    let clauses: Vec<&str> = body
        .split(|c: char| "，。！？；,.!?;\n:：、…~～".contains(c))
        .map(str::trim)
        .filter(|clause| !clause.is_empty())
        .collect();
    let question = folded.contains('?') || folded.contains('吗') || folded.contains('呢');
    let negated = |clause: &str| lexicon.find("negation", &clause.replace("有没有", "")).is_some();

    const MEDIA: [&str; 16] = [
        "[文件]",
        "[图片]",
        "[视频]",
        "[位置]",
        "[链接]",
        "[语音]",
        "[表情]",
        "[动画表情]",
        "[file]",
        "[image]",
        "[photo]",
        "[video]",
        "[location]",
        "[link]",
        "[voice]",
        "[sticker]",
    ];
    let opening = folded.trim_start();
    let mut reading = Reading {
        media_only: (body.trim().is_empty() && !folded.trim().is_empty() && folded.contains('['))
            || MEDIA.iter().any(|tag| opening.starts_with(tag)),
        ..Reading::default()
    };
    let substance = without_courtesy(&body, lexicon);
    // What is left of "Thanks Anna!" is a name.
    let leftover: Vec<&str> = substance
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect();
    let only_names = leftover.len() <= 2
        && leftover.iter().all(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .all(|c| c.is_ascii_alphabetic())
        })
        && substance.len() < body.len();
    reading.pleasantry = substance.chars().all(|c| !c.is_alphanumeric()) || only_names;
    // "批复拿到了，但是系统里提交不上去": good news with a "but" still has
    // a problem to tell.
    reading.good_news =
        lexicon.find("good_news", &body).is_some() && !question && lexicon.find("remaining", &body).is_none();
    reading.announcement = lexicon.find("announcement", &body).is_some();
    reading.on_behalf = lexicon
        .find("on_behalf", &body)
        .map(|w| Because::new("on_behalf", w));

    // "有没有" asks; other negations inside a question do not cancel it.
    reading.asks = lexicon
        .find("asks", &folded)
        .map(|w| Because::new("asks", w))
        .or_else(|| lexicon.find("faults", &body).map(|w| Because::new("fault", w)));
    reading.question = lexicon.find("asks", &folded).is_some();
    // "国庆节快到了，祝各位领导节日快乐": a wish asks for nothing, whatever
    // occasion it names.
    let wishes = body
        .find('祝')
        .is_some_and(|at| lexicon.find("greetings", &body[at + '祝'.len_utf8()..]).is_some());
    if wishes && reading.asks.is_none() && !question {
        reading.pleasantry = true;
    }
    // "行", "嗯": a one-character thanks counts as a clause of its own, not
    // inside "单电源不行".
    reading.thanks = clauses.iter().any(|clause| {
        lexicon
            .find("thanks", clause)
            .is_some_and(|word| word.chars().count() > 1 || clause.chars().count() <= 2)
    });
    reading.progress = lexicon
        .find("progress", &body)
        .map(|w| Because::new("progress", w));
    // "恢复了，就怕再来一次", "fixed, but…": the problem is not behind them.
    let remaining = lexicon.find("remaining", &body).is_some();
    reading.fixed = clauses
        .iter()
        .filter(|_| !remaining)
        .filter(|clause| !clause.contains('吗') && !clause.contains('?'))
        .find_map(|clause| {
            let word = lexicon.find("fixed", clause)?;
            // "还没好" and "好了吗" are not a confirmation.
            (!negated(clause)).then(|| Because::new("fixed", word))
        });
    reading.withdrawn = lexicon
        .find("withdrawn", &body)
        .map(|w| Because::new("withdrawn", w));
    reading.new_matter = lexicon
        .find("new_matter", &body)
        .map(|w| Because::new("new_matter", w));
    // "还有…" at the start (after the address) adds a matter.
    let opening = strip_names(&body);
    let opening = opening.trim_start_matches(|c: char| !c.is_alphanumeric());
    if reading.new_matter.is_none() && opening.starts_with("还有") {
        reading.new_matter = Some(Because::new("new_matter", "还有"));
    }
    reading.follow_up = takes_up(opening);

    // "还在等…回话", "暂时没答复": whatever was tried, nothing is moving yet.
    let stalled = lexicon.find("stalled", &body).is_some();
    // A sentence that asks ("派出所出警了吗？") reports nothing.
    let asked: Vec<&str> = body
        .split_inclusive(|c: char| "。！!；;\n?.".contains(c))
        .filter(|sentence| sentence.contains('?') || sentence.contains('吗'))
        .collect();
    // Only the clause that asks does: in "问了电梯所，说是今年新规，你们是不是
    // 没报检？" the report before the question still stands. English
    // questions ("Have you called them, or should I?") ask throughout.
    let asked_in = |clause: &str| {
        asks_itself(clause)
            || asked.iter().any(|sentence| {
                sentence.contains(clause)
                    && (!clause.chars().any(is_cjk)
                        || last_clause(sentence).is_some_and(|last| last.contains(clause)))
            })
    };
    reading.action = clauses.iter().filter(|_| !stalled).find_map(|clause| {
        if asked_in(clause) {
            return None;
        }
        let clause = &clause.replace("派出所", "警所");
        if negated(clause) {
            return None;
        }
        let word = lexicon
            .find("action", clause)
            .or_else(|| lexicon.find("answer_from", clause))
            .or_else(|| done_verb(clause))
            .or_else(|| experienced(clause))?;
        // "我帮你们递上去" offers; "帮你们递上去了" reports.
        if OFFERS.contains(&word.as_str()) && !completed(clause) {
            return None;
        }
        // "马上联系" is an intention, "已经联系上了" is action; a clause that
        // holds both an intention and a past action ("已安排专人对接") is
        // judged by the intention.
        let intention = lexicon.find("intention", clause);
        intention.is_none().then(|| Because::new("action", word))
    });
    // A plan is a course agreed with someone: the message reports action
    // or an answer, or says that something was agreed ("定下来", "接下来").
    // Dates alone in a message that only intends ("我下周再问") or is
    // stalled ("还没，…这周在忙") are no plan.
    let agreed = !stalled
        && (reading.action.is_some()
            || clauses
                .iter()
                .any(|clause| lexicon.find("agreed", clause).is_some() && !negated(clause)));
    let anchors = time_anchors(&body);
    let days = anchors.iter().filter(|anchor| names_a_day(anchor)).count();
    if !question && agreed {
        // A plan steps over days: two days named ("周三前…下周一…"), or three
        // times with a word of arrangement. Times within today are an
        // appointment, not a plan.
        let step_word = lexicon.find("plan_words", &body);
        if days >= 2 || (anchors.len() >= 3 && step_word.is_some()) {
            reading.plan = Some(Because::new("plan", anchors.join(" ")));
        }
    }
    if reading.plan.is_none() && !question && !stalled && !agreed && days >= 3 {
        // A timetable of three days or more ("by Wednesday…Thursday…
        // Friday") is a course set out, whoever will do each step.
        reading.plan = Some(Because::new("plan", anchors.join(" ")));
    }
    reading.intends =
        reading.action.is_none() && reading.plan.is_none() && lexicon.find("intention", &body).is_some();
    reading
}

/// Whether `opening` (the text after its addresses) takes up what was just
/// said: "那" as "then" ("那我们要怎么整改", not "那个" or "那边"), or a
/// short acknowledgement ("好，", "Thanks.", "OK so") with more after it.
fn takes_up(opening: &str) -> bool {
    if let Some(rest) = opening.strip_prefix('那') {
        return rest
            .chars()
            .next()
            .is_some_and(|c| !"个边里天时次些位件种样么".contains(c));
    }
    // "是的褚主任，…", "对，还有…": agreeing with what the team said.
    const ACKNOWLEDGING: [&str; 17] = [
        "好的",
        "好",
        "行",
        "嗯",
        "是的",
        "对的",
        "对",
        "没错",
        "ok",
        "okay",
        "yes",
        "right",
        "thanks",
        "thank you",
        "got it",
        "hmm",
        "so",
    ];
    ACKNOWLEDGING.iter().any(|word| {
        opening.strip_prefix(word).is_some_and(|rest| {
            let mut chars = rest.chars();
            // "好，那…", "Thanks. Hmm, our manager says…", "So the…"
            let stop = chars.next();
            let after: String = chars.collect();
            let more = after.trim_start();
            match stop {
                Some(c) if "，,。.！!:：".contains(c) => {
                    more.chars().filter(|c| c.is_alphanumeric()).count() >= 4
                }
                Some(' ') if *word == "so" => more.chars().filter(|c| c.is_alphanumeric()).count() >= 4,
                _ => false,
            }
        })
    })
}

/// Action words that, without a mark of completion, offer help to come.
const OFFERS: [&str; 2] = ["帮你们", "替你们"];

/// Whether a clause marks its verb as done: 了, 过, 已, 好, 完.
fn completed(clause: &str) -> bool {
    clause.chars().any(|c| "了过已好完".contains(c))
}

/// An A-not-A question ("看今天能不能派人", "是不是没报检") asks, with no
/// question mark.
fn asks_itself(clause: &str) -> bool {
    let chars: Vec<char> = clause.chars().collect();
    chars
        .windows(3)
        .any(|w| w[1] == '不' && w[0] == w[2] && is_cjk(w[0]) && !"一".contains(w[0]))
        || chars
            .windows(3)
            .any(|w| w[1] == '没' && w[0] == w[2] && w[0] == '有')
}

/// The last comma clause of a sentence, without its end mark.
fn last_clause(sentence: &str) -> Option<&str> {
    sentence
        .trim_end_matches(|c: char| "。！!；;\n?.".contains(c) || c.is_whitespace())
        .rsplit(|c: char| "，,、:：".contains(c))
        .map(str::trim)
        .find(|clause| !clause.is_empty())
}

/// "打过电话了", "和王教授通过电话了": a verb with 过, its object and a final
/// 了 tell of a step already taken. "超过三天了", "经过…" tell of none.
fn experienced(clause: &str) -> Option<String> {
    let chars: Vec<char> = clause.chars().collect();
    let end = chars.iter().rposition(|c| *c == '了')?;
    let at = chars[..end].iter().rposition(|c| *c == '过')?;
    let object = end - at - 1;
    let verb = *chars.get(at.checked_sub(1)?)?;
    ((1..=6).contains(&object)
        && is_cjk(verb)
        && !"超经难错路不没太度胜".contains(verb)
        && chars[at + 1..end].iter().all(|c| is_cjk(*c)))
    .then(|| chars[at - 1..=end].iter().collect())
}

/// "已经重新出图", "已发函": 已/已经 before a verb reports a step taken.
/// "已经在走审批" (under way), "已收到", "已经两周了", "已经是…" report none.
fn done_verb(clause: &str) -> Option<String> {
    let chars: Vec<char> = clause.chars().collect();
    let at = chars.iter().position(|c| *c == '已')?;
    let skip = if chars.get(at + 1) == Some(&'经') { 2 } else { 1 };
    let next = *chars.get(at + skip)?;
    let not_a_step = "在是有收受读阅知快很过不没太多几两三四五六七八九十一半超逾到满久近";
    (is_cjk(next) && !not_a_step.contains(next))
        .then(|| chars[at..(at + skip + 2).min(chars.len())].iter().collect())
}

/// The text without mentions (`@张三 `), sticker codes (`[强]`), emoji and
/// leading addresses (`李科，`, `Hi Tom,`).
fn strip_decoration(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '@' | '＠' => {
                // A mention runs to whitespace or punctuation.
                while let Some(&next) = chars.peek() {
                    if next.is_whitespace() || "，,。:：!！?？".contains(next) {
                        break;
                    }
                    chars.next();
                }
            }
            '[' | '【' => {
                let mut code = String::new();
                let mut closed = false;
                for next in chars.by_ref() {
                    if next == ']' || next == '】' {
                        closed = true;
                        break;
                    }
                    code.push(next);
                    if code.chars().count() > 8 {
                        break;
                    }
                }
                // `[强]`, `[图片]`: a sticker or media placeholder; anything
                // longer was text in brackets.
                if !closed || code.chars().count() > 6 {
                    out.push(' ');
                    out.push_str(&code);
                }
            }
            c if is_emoji(c) => {}
            c => out.push(c),
        }
    }
    out
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F | 0x200D | 0x2B00..=0x2BFF)
}

/// `text` without thanks, greetings, group addressees and names with
/// titles, so that what is left is what the message says.
fn without_courtesy(text: &str, lexicon: &Lexicon) -> String {
    let rest = strip_names(text);
    let mut out = String::with_capacity(rest.len());
    let mut last = 0;
    for (start, end, _) in lexicon.courtesy.matches(&rest) {
        out.push_str(&rest[last..start]);
        out.push(' ');
        last = end;
    }
    out.push_str(&rest[last..]);
    // Particles that are left of a thank-you ("太感谢了", "谢谢啦").
    out.chars()
        .filter(|c| !"了啦呀啊哈嘛哦噢喔呢吧哒的太非常真多好们位".contains(*c))
        .collect()
}

/// `text` without surname + title pairs (`王工`, `周主任`): one CJK
/// character before a title word.
pub fn strip_names(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let title = if i > 0 && is_cjk(chars[i - 1]) && TITLE_FIRSTS.contains(chars[i]) {
            title_at(&chars, i).filter(|length| {
                // A rare surname still reads as a name when punctuation
                // follows ("奚科，").
                let ends = chars
                    .get(i + length)
                    .is_none_or(|c| c.is_whitespace() || "，,。:：!！、".contains(*c));
                is_surname(chars[i - 1]) || (ends && *length == 1 && (i == 1 || !is_cjk(chars[i - 2])))
            })
        } else {
            None
        };
        match title {
            Some(length) => {
                out.pop();
                i += length;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    out
}

/// The first characters of [`TITLES`], to skip most positions at once.
const TITLE_FIRSTS: &str = "主经科处局部书队总老师助秘院董工姐哥所站生";

/// The length in characters of the title starting at `chars[i]`, if any
/// (the longest: `主任` before `主`).
fn title_at(chars: &[char], i: usize) -> Option<usize> {
    TITLES
        .iter()
        .filter(|title| {
            let mut rest = chars[i..].iter();
            title.chars().all(|c| rest.next() == Some(&c))
        })
        .map(|title| title.chars().count())
        .max()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF)
}

/// Common Chinese surnames: a title after one of these is an address.
fn is_surname(c: char) -> bool {
    "王李张刘陈杨黄赵吴周徐孙马赖洪朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常葛温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
        .contains(c)
}

/// The time expressions of a plan (`周五前`, `下周二`, `明天上午`, `3号`,
/// `by Friday`), adjacent ones merged into one (`下午三点` is one time).
/// `今天` is not a step of a plan: it reports what happens now.
pub fn time_anchors(text: &str) -> Vec<String> {
    const WORDS: [&str; 51] = [
        "工作日",
        "天内",
        "日内",
        "working days",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "下周",
        "本周",
        "这周",
        "下个月",
        "下月",
        "月底",
        "月初",
        "月中",
        "年底",
        "明天",
        "后天",
        "明早",
        "明晚",
        "大后天",
        "上午",
        "下午",
        "中午",
        "晚上",
        "每天",
        "每周",
        "之前",
        "以前",
        "前完成",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "tomorrow",
        "next week",
        "end of the month",
        "daily",
        "weekly",
        "by the end",
        "this week",
        "weekend",
        "周末",
        "节后",
    ];
    let chars: Vec<char> = text.chars().collect();
    let lower = text.to_lowercase();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    // Fixed words, by character position; English ones as whole words or
    // word starts ("thu" in "Thu am" and "Thursday", not in "enthuse").
    for word in WORDS {
        let mut from = 0;
        while let Some(found) = lower[from..].find(word) {
            let start = from + found;
            from = start + word.len();
            let ascii = word.as_bytes()[0].is_ascii_alphabetic();
            if ascii
                && lower[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
            {
                continue;
            }
            let begin = lower[..start].chars().count();
            let mut end = begin + word.chars().count();
            if ascii {
                // The rest of the word: "thu" + "rsday".
                let tail = lower[from..]
                    .chars()
                    .take_while(char::is_ascii_alphabetic)
                    .count();
                if word.len() == 3
                    && !matches!(
                        &lower[from..from + tail],
                        "" | "rsday" | "rs" | "day" | "sday" | "nesday" | "urday"
                    )
                {
                    continue;
                }
                end += tail;
            }
            spans.push((begin, end));
        }
    }
    // 周一…周日, 星期X, N号, N日, N月, N点.
    let numeral = |c: char| c.is_ascii_digit() || "一二三四五六七八九十两半".contains(c);
    for (i, &c) in chars.iter().enumerate() {
        // "上周五" is past, not a step of a course.
        // "礼拜一" as "周一".
        let lead = usize::from(c == '拜');
        let weekday = c == '周' || c == '期' || (c == '拜' && i > 0 && chars[i - 1] == '礼');
        let past = i > lead && chars[i - 1 - lead] == '上';
        if weekday && !past && chars.get(i + 1).is_some_and(|d| "一二三四五六日天".contains(*d)) {
            spans.push((i - lead, i + 2));
        }
        if "号日月点".contains(c) && i > 0 && numeral(chars[i - 1]) {
            let mut begin = i - 1;
            while begin > 0 && numeral(chars[begin - 1]) {
                begin -= 1;
            }
            // "日" after a digit is a date; "点" after 一 ("一点") is "a little" unless a digit.
            if c == '点' && !chars[begin..i].iter().any(|d| d.is_ascii_digit()) && chars[i - 1] == '一' {
                continue;
            }
            spans.push((begin, i + 1));
        }
    }
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    // Adjacent, or one word apart ("晚上八点到十二点"); never across
    // punctuation ("十二点，下周一" are two times).
    let joins = |gap: usize| chars.get(gap).is_none_or(|c| !"，,。.；;、！!？?\n".contains(*c));
    for (begin, end) in spans {
        match merged.last_mut() {
            Some(last) if begin <= last.1 || (begin == last.1 + 1 && joins(last.1)) => {
                last.1 = last.1.max(end)
            }
            _ => merged.push((begin, end)),
        }
    }
    merged
        .into_iter()
        .map(|(begin, end)| chars[begin..end.min(chars.len())].iter().collect())
        .collect()
}

/// Whether a time anchor names a day (`周三`, `明天`, `20号`, `下月`,
/// `Friday`) rather than a time of today (`下午`, `三点`, `每天`).
fn names_a_day(anchor: &str) -> bool {
    const DAYS: [&str; 33] = [
        "礼拜",
        "saturday",
        "sunday",
        "周一",
        "周二",
        "周三",
        "周四",
        "周五",
        "周六",
        "周日",
        "周天",
        "星期",
        "下周",
        "本周",
        "这周",
        "月",
        "号",
        "日",
        "明天",
        "后天",
        "明早",
        "明晚",
        "年底",
        "周末",
        "节后",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "tomorrow",
        "next week",
        "weekend",
    ];
    let lower = anchor.to_lowercase();
    // "5月" alone names a month ("5月那批"), not a day of a course.
    let month_only = lower.ends_with('月')
        && lower
            .trim_end_matches('月')
            .chars()
            .all(|c| c.is_ascii_digit() || "一二三四五六七八九十".contains(c));
    let abbreviated = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .any(|day| {
            lower
                .split(|c: char| !c.is_ascii_alphabetic())
                .any(|word| word == *day)
        });
    (abbreviated || DAYS.iter().any(|day| lower.contains(day))) && !lower.starts_with("每") && !month_only
}

/// What a text is about: its topics and its content bigrams.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topic {
    topics: BTreeSet<String>,
    bigrams: BTreeSet<String>,
}

impl Topic {
    /// Whether anything was found to compare.
    pub fn is_empty(&self) -> bool {
        self.topics.is_empty() && self.bigrams.is_empty()
    }

    /// How much two texts share: a shared topic counts twice a shared bigram.
    pub fn overlap(&self, other: &Topic) -> usize {
        2 * self.topics.intersection(&other.topics).count()
            + self.bigrams.intersection(&other.bigrams).count()
    }

    /// How many content bigrams two texts share (topics aside): parts of one
    /// message that share words are about one thing.
    pub fn shared_words(&self, other: &Topic) -> usize {
        self.bigrams.intersection(&other.bigrams).count()
    }

    /// Whether the text names any topic of the lexicon.
    pub fn has_topic(&self) -> bool {
        !self.topics.is_empty()
    }

    /// How many content bigrams (or English words) the text has.
    pub fn weight(&self) -> usize {
        self.bigrams.len()
    }
}

/// The topic of `text`.
pub fn topic(text: &str, lexicon: &Lexicon) -> Topic {
    let text = clip(text);
    let folded: String = text.chars().map(fold).collect();
    let body = strip_names(&strip_decoration(&folded));
    // "电话" is a phone, not power; "水平" is a level, not water.
    let scrubbed = ["电话", "电脑", "电子", "电商", "水平", "薪水", "证明"]
        .iter()
        .fold(body.clone(), |text, word| text.replace(word, " "));
    let mut topic = Topic::default();
    for (_, _, pattern) in lexicon.topic_finder.matches(&scrubbed) {
        if let Some((name, _)) = lexicon
            .topic_of_pattern
            .get(pattern)
            .and_then(|i| lexicon.topics.get(*i))
        {
            topic.topics.insert(name.clone());
        }
    }
    const STOP: &str = "的了是在我们你他她它这那有没不就都也还要能会可以吗呢吧啊呀哦嗯个一下上来去说到给让把被和与及或等很太再又才已经过着么什怎样好请帮忙麻烦谢今天明今后前里现目";
    let chars: Vec<char> = body.chars().collect();
    // Words every message of a zone's groups uses say nothing of its matter.
    const COMMON: [&str; 16] = [
        "园区", "企业", "公司", "这边", "那边", "问题", "情况", "事情", "领导", "专班", "工作", "时间",
        "大家", "员工", "厂区", "我们",
    ];
    for pair in chars.windows(2) {
        if pair.iter().all(|c| is_cjk(*c) && !STOP.contains(*c)) {
            let bigram: String = pair.iter().collect();
            if !COMMON.contains(&bigram.as_str()) {
                topic.bigrams.insert(bigram);
            }
        }
    }
    const ENGLISH_STOP: [&str; 39] = [
        "the", "and", "for", "our", "your", "you", "with", "that", "this", "have", "has", "from", "they",
        "them", "their", "will", "just", "been", "also", "thanks", "thank", "please", "could", "would",
        "some", "someone", "what", "when", "there", "here", "about", "which", "were", "into", "than", "then",
        "still", "need", "can't",
    ];
    for word in body.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.len() >= 4 && !ENGLISH_STOP.contains(&word) {
            topic.bigrams.insert(word.trim_end_matches('s').to_string());
        }
    }
    topic
}

/// The matters of one message: a numbered list (`1.… 2.…`, `①…②…`,
/// `一是…二是…`) or a matter introduced by `另外` after a first one.
/// One matter is the whole text.
pub fn matters<'t>(text: &'t str, lexicon: &Lexicon) -> Vec<&'t str> {
    let text = clip(text);
    let starts = numbered_items(text);
    if starts.len() >= 2 {
        let mut items = Vec::new();
        for (i, &start) in starts.iter().enumerate() {
            let end = starts.get(i + 1).copied().unwrap_or(text.len());
            items.push(text[start..end].trim());
        }
        // "想咨询…符不符合条件？有几条没看懂，一是…二是…": points of the
        // one question asked before them, each sharing its words.
        let preamble = topic(&text[..starts[0]], lexicon);
        let asks_before = read(&text[..starts[0]], lexicon).asks.is_some();
        let points_of_one = asks_before
            && preamble.weight() >= 6
            && items
                .iter()
                .all(|item| topic(item, lexicon).shared_words(&preamble) > 0);
        if points_of_one {
            return vec![text];
        }
        return items.into_iter().filter(|item| !item.is_empty()).collect();
    }
    let folded: String = text.chars().map(fold).collect();
    // "另外" in the middle of a message that already asked something.
    let markers = lexicon.lists.iter().find(|list| list.name == "new_matter");
    for (at, _, pattern) in markers.into_iter().flat_map(|list| list.finder.matches(&folded)) {
        let word = &markers.map_or("", |list| list.words[pattern].as_str());
        // English markers ("also", "separately") split only a message that
        // announced several matters ("Two headaches: …").
        let cjk = word.chars().all(|c| is_cjk(c) || c == ',');
        let counted = announces_several(&folded) && at_sentence_start(&folded, at);
        if !cjk && !counted {
            continue;
        }
        {
            let char_at = folded[..at].chars().count();
            if char_at >= 6 {
                let byte_at = text.char_indices().nth(char_at).map_or(text.len(), |(b, _)| b);
                let (first, second) = text.split_at(byte_at);
                return vec![first.trim(), second.trim()];
            }
        }
    }
    vec![text]
}

/// Whether a message opens by counting its matters: "Two headaches:",
/// "a couple of things", "three questions".
fn announces_several(folded: &str) -> bool {
    let first: String = folded.chars().take(60).collect();
    let words: Vec<&str> = first
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(2).any(|pair| {
        ["two", "three", "couple"].contains(&pair[0])
            && !["days", "weeks", "months", "hours", "years", "of"].contains(&pair[1])
    }) || first.contains("a couple of things")
}

/// Whether byte `at` begins a sentence or follows its "and": ". And separately, …"
fn at_sentence_start(folded: &str, at: usize) -> bool {
    let before = folded[..at].trim_end();
    let before = before.strip_suffix("and").map_or(before, str::trim_end);
    before.is_empty() || before.ends_with(['.', '!', '?', ';', ':'])
}

/// Byte offsets where numbered items begin: `1.` `1、` `1）` `(1)` `①` `一是`.
fn numbered_items(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut expected = 1u32;
    let circled = ['①', '②', '③', '④', '⑤'];
    let chinese = ['一', '二', '三', '四', '五'];
    let indices: Vec<(usize, char)> = text.char_indices().collect();
    for (n, &(byte, c)) in indices.iter().enumerate() {
        let next = indices.get(n + 1).map(|(_, c)| *c);
        let prev = n.checked_sub(1).map(|p| indices[p].1);
        let at_boundary = prev.is_none_or(|p| !p.is_ascii_digit() && p != '.');
        let numbered =
            c.to_digit(10) == Some(expected) && at_boundary && next.is_some_and(|n| ".、)）:：".contains(n));
        let circle = circled.get(expected as usize - 1) == Some(&c);
        let ordinal = chinese.get(expected as usize - 1) == Some(&c) && next == Some('是');
        let paren = (c == '(' || c == '（')
            && next.and_then(|n| n.to_digit(10)) == Some(expected)
            && indices.get(n + 2).is_some_and(|(_, c)| *c == ')' || *c == '）');
        if numbered || circle || ordinal || paren {
            starts.push(byte);
            expected += 1;
            if expected > 5 {
                break;
            }
        }
    }
    starts
}

/// Whom a message addresses at its start or by mentions: names (without
/// titles) and surnames, lowercased. `everyone` when it mentions the group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addressed {
    /// Names mentioned with `@` (up to whitespace or punctuation).
    pub mentions: Vec<String>,
    /// Surnames addressed with a title at the start (`王工，`, `李姐`).
    pub surnames: Vec<char>,
    /// First names addressed at the start in English (`Hi Tom,`).
    pub first_names: Vec<String>,
    /// `@所有人`, `@all`.
    pub everyone: bool,
    /// Surnames named with a title anywhere in the text (`收到胡队`).
    pub named: Vec<char>,
}

impl Addressed {
    pub fn is_empty(&self) -> bool {
        self.mentions.is_empty() && self.surnames.is_empty() && self.first_names.is_empty()
    }
}

/// Reads whom `text` addresses.
pub fn addressed(text: &str) -> Addressed {
    let text = clip(text);
    let mut found = Addressed::default();
    let folded: String = text.chars().map(fold).collect();
    let mut rest = folded.as_str();
    while let Some(at) = rest.find('@') {
        let after = &rest[at + 1..];
        let end = after
            .find(|c: char| c.is_whitespace() || "，,。:：!！?？@".contains(c))
            .unwrap_or(after.len());
        let name = after[..end].trim().to_string();
        if EVERYONE.contains(&name.as_str()) {
            found.everyone = true;
        } else if !name.is_empty() {
            found.mentions.push(name);
        }
        rest = &after[end..];
    }
    // The start of the text after mentions and greetings: "王工收到", "李姐，…".
    let mut start = strip_decoration(&folded).trim_start().to_string();
    for greeting in ["hi ", "hello ", "dear ", "hey "] {
        if let Some(stripped) = start.strip_prefix(greeting) {
            start = stripped.to_string();
        }
    }
    // "收到陆主任", "好的纪主任，…": the address after an acknowledgement.
    for ack in ["收到", "好的", "明白", "ok"] {
        if let Some(stripped) = start.strip_prefix(ack) {
            start = stripped.trim_start_matches([' ', ',', '，']).to_string();
            break;
        }
    }
    let chars: Vec<char> = start.chars().collect();
    let mut i = 0;
    // Up to three addresses in a row: "王总、李工，…".
    for _ in 0..3 {
        while i < chars.len() && (chars[i].is_whitespace() || "、，,和".contains(chars[i])) {
            i += 1;
        }
        let Some(&surname) = chars.get(i) else { break };
        let title =
            title_at(&chars, i + 1).map(|length| chars[i + 1..i + 1 + length].iter().collect::<String>());
        let after = title
            .as_ref()
            .and_then(|title| chars.get(i + 1 + title.chars().count()));
        let ends = after.is_none_or(|c| c.is_whitespace() || "，,。:：!！、好".contains(*c));
        match title {
            Some(title) if is_cjk(surname) && (is_surname(surname) || ends) => {
                found.surnames.push(surname);
                i += 1 + title.chars().count();
            }
            _ => break,
        }
    }
    // Names with a title further on: "收到胡队，…", "好的王总".
    let all: Vec<char> = strip_decoration(&folded).chars().collect();
    for i in 1..all.len() {
        let starts_title = TITLE_FIRSTS.contains(all[i]) && title_at(&all, i).is_some();
        if starts_title && is_cjk(all[i - 1]) && is_surname(all[i - 1]) && !found.named.contains(&all[i - 1])
        {
            found.named.push(all[i - 1]);
        }
    }
    if found.surnames.is_empty() {
        // "Tom," or "Hi Tom," at the start.
        let word: String = start.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let after = start[word.len()..].chars().next();
        if word.len() >= 2 && matches!(after, Some(',') | Some('，')) {
            found.first_names.push(word);
        }
    }
    found
}

#[cfg(test)]
mod tests;
