use super::*;

fn reading(text: &str) -> Reading {
    read(text, &Lexicon::default())
}

#[test]
fn greetings_thanks_and_stickers_with_names_are_pleasantries() {
    for text in [
        "好的，谢谢周科",
        "[强]",
        "各位领导早上好[太阳]",
        "太感谢了汪主任[抱拳][抱拳]",
        "Thanks Anna!",
        "👍👍",
        "收到，辛苦两位",
    ] {
        assert!(reading(text).pleasantry, "{text}");
    }
    for text in [
        "谢谢，另外宿舍什么时候能分？",
        "车间停电了",
        "Could you help with the permit?",
    ] {
        assert!(!reading(text).pleasantry, "{text}");
    }
}

#[test]
fn action_is_read_from_what_was_done_not_what_will_be() {
    for text in [
        "已经跟供电公司抢修班联系上了，抢修车已经出发",
        "问过住建局审批科了，卡在消防设计审查意见没上传",
        "水务公司调度说是园区北路在换阀门",
        "I called the customs office and they released the container",
    ] {
        assert!(reading(text).action.is_some(), "{text}");
    }
    for text in [
        "收到，我马上联系供电公司",
        "已安排专人对接",
        "还没联系上城建公司，明天一早再打",
        "还在等交通局那边回话，我再催一下",
        "已经在对接了哈",
        "I'll check with the window tomorrow",
    ] {
        assert!(reading(text).action.is_none(), "{text}");
    }
}

#[test]
fn a_plan_needs_dated_steps() {
    assert!(
        reading("定下来：周六前把床铺配齐，周日下午统一入住，从下月起算房租")
            .plan
            .is_some()
    );
    assert!(
        reading("接驳科排了这周四上午接驳，周四下午通水测试，周五之前能用")
            .plan
            .is_some()
    );
    // One time is an appointment, not a plan; today's steps are not a plan either.
    assert!(reading("维修师傅下午三点上门").plan.is_none());
    assert!(reading("备案材料今天先走线上预审").plan.is_none());
    assert!(
        reading("能不能周五前和下周一各来一次？").plan.is_none(),
        "a question plans nothing"
    );
}

#[test]
fn time_anchors_merge_adjacent_times() {
    assert_eq!(time_anchors("下午三点带你们去看房"), ["下午三点"]);
    assert_eq!(time_anchors("周三前交材料，下周一我陪你们去"), ["周三", "下周一"]);
    assert!(time_anchors("好的一点点").is_empty());
}

#[test]
fn confirmations_and_withdrawals_are_not_questions() {
    assert!(reading("来电了，谢谢两位！").fixed.is_some());
    assert!(reading("Lights are working again, thank you!").fixed.is_some());
    assert!(reading("修好了吗？").fixed.is_none());
    assert!(reading("太好了，周四我们安排人").fixed.is_none());
    assert!(reading("搞错了，是我们自己的开关跳了，没事了")
        .withdrawn
        .is_some());
}

#[test]
fn several_matters_in_one_message_are_split() {
    let lexicon = Lexicon::default();
    let numbered = matters("两个事：1.消防验收想约下周；2.宿舍还没落实", &lexicon);
    assert_eq!(numbered.len(), 2, "{numbered:?}");
    assert!(numbered[1].contains("宿舍"));
    let also = matters(
        "我们的货车要办通行证，不知道怎么申请。另外食堂晚上八点就关了",
        &lexicon,
    );
    assert_eq!(also.len(), 2, "{also:?}");
    assert_eq!(matters("另外，宿舍的空调坏了", &lexicon).len(), 1);
    assert_eq!(matters("停电了，车间全停", &lexicon).len(), 1);
}

#[test]
fn addresses_and_mentions_are_read() {
    let found = addressed("@王磊 王工收到，水压的事我马上联系");
    assert_eq!(found.mentions, ["王磊"]);
    let titled = addressed("李姐，三家客运公司的报价发你了");
    assert_eq!(titled.surnames, ['李']);
    assert!(addressed("@所有人 明天停水").everyone);
    assert_eq!(addressed("Hi Tom, sure.").first_names, ["tom"]);
}

#[test]
fn topics_tie_a_follow_up_to_its_issue_and_common_words_do_not() {
    let lexicon = Lexicon::default();
    let issue = topic("我们厂区又停电了，园区是不是在检修？", &lexicon);
    assert!(topic("二车间也没电了", &lexicon).overlap(&issue) > 0);
    assert_eq!(topic("园区的班车这周晚了三次", &lexicon).overlap(&issue), 0);
    assert_eq!(
        topic("打电话问问", &lexicon).overlap(&issue),
        0,
        "a phone is not power"
    );
}

#[test]
fn only_the_start_of_a_huge_message_is_read() {
    let start = "厂区停电了，生产线全停，怎么办？";
    let huge = format!("{start}{}", "谢谢".repeat(400_000));
    let clipped = clip(&huge);
    assert_eq!(
        clipped.len(),
        READ_BYTES - READ_BYTES % 3,
        "cut at a character boundary"
    );
    assert_eq!(reading(&huge), reading(clipped));
    assert_eq!(
        topic(&huge, &Lexicon::default()),
        topic(clipped, &Lexicon::default())
    );
}

#[test]
fn holiday_wishes_in_other_words_are_pleasantries() {
    for text in [
        "各位领导早上好，祝大家国庆假期愉快[福]",
        "祝各位节日快乐，平安吉祥🏮",
        "周末愉快！",
        "Happy holidays everyone 🎄",
        "Merry Christmas all!",
    ] {
        assert!(reading(text).pleasantry, "{text}");
    }
    for text in [
        "假期里宿舍停水了，能派人看看吗",
        "Happy to help, but the gate is still closed",
    ] {
        assert!(!reading(text).pleasantry, "{text}");
    }
}

#[test]
fn good_news_in_other_words_asks_for_nothing() {
    for text in [
        "our first bonded shipment of salmon cleared today, pic from the dock",
        "首批产品今天下线了🎉",
        "跟大家报告一下，我们的环评批复获批了",
        "The new line went live this morning",
    ] {
        let read = reading(text);
        assert!(read.good_news && read.asks.is_none(), "{text}: {read:?}");
    }
    // News that asks, or a problem with a celebration word, is no good news.
    for text in [
        "首批货到港了，报关怎么办？",
        "our first shipment is stuck at customs",
    ] {
        let read = reading(text);
        assert!(!read.good_news || read.asks.is_some(), "{text}: {read:?}");
    }
}

#[test]
fn a_fix_with_a_remaining_concern_is_no_confirmation() {
    for text in [
        "电压已经恢复了 电池只剩40分钟 冷机重启要厂家来 就怕再来一次",
        "来水了，但是压力还是不够",
        "Power is back on but the chiller still needs a restart",
    ] {
        assert!(reading(text).fixed.is_none(), "{text}");
    }
    for text in [
        "来电了，谢谢",
        "到了0.62 灭菌柜开起来了 谢谢谢谢",
        "It's back online, thanks!",
    ] {
        assert!(reading(text).fixed.is_some(), "{text}");
    }
}

#[test]
fn dispatch_and_findings_are_action_and_asking_a_superior_is_not() {
    for text in [
        "派出所值班民警已经出警，十分钟到你们西门",
        "上午在外资科查到了，是设备型号写错了",
        "我刚把更正函扫描件发你",
        "消防队已经出动",
        "科里说你们写个情况说明就行",
    ] {
        assert!(reading(text).action.is_some(), "{text}");
    }
    for text in [
        "邀请收到，我请示一下陈主任的时间",
        "我跟领导汇报一下再回你",
        "我下周再问",
        "那边还没回复，我明天上午再去找",
    ] {
        assert!(reading(text).action.is_none(), "{text}");
    }
}

#[test]
fn a_plan_is_agreed_not_only_dated() {
    // Dates in a message that is stalled or only intends.
    for text in [
        "还没，城管绿化科这周在忙道路保洁检查，我下周再问",
        "@侯文军 明天一早去不动产登记中心跑一趟，务必这周给企业一个准信",
        "楼总，问过了，6月那批有三张报关单对不上；5月那批在等国库退库",
    ] {
        assert!(reading(text).plan.is_none(), "{text}");
    }
    for text in [
        "安排是：明天上午柜子进场、你们接电，明晚22点第一次供餐；下周五我们三方碰一下",
        "今天上午井开了，定的是周三熔接，周四开通测试，周五前交付",
        "后面这样安排：本周五前你们提交变更申请，分局答应15个工作日内审完，我每周一同步进度",
        "Approved this morning. Plan: broker submits today, inspection Thu am, release Thu pm, trucking Fri",
    ] {
        assert!(reading(text).plan.is_some(), "{text}");
    }
}

#[test]
fn times_are_not_merged_across_punctuation_and_past_days_are_no_steps() {
    assert_eq!(
        time_anchors("晚上八点到十二点，下周一开始试运行"),
        ["晚上八点到十二点", "下周一"]
    );
    assert!(time_anchors("上周五交的材料").is_empty());
    assert_eq!(
        time_anchors("release Thu pm, unpack Saturday"),
        ["Thu", "Saturday"]
    );
    // Not days: words that start like one.
    assert!(time_anchors("this month the money was enough, thus").is_empty());
}

#[test]
fn points_of_one_question_are_one_matter_and_separate_problems_are_two() {
    let lexicon = Lexicon::default();
    let one = "想咨询一下：今年的首台套重大技术装备保险补偿，我们那台设备符不符合条件？文件有几条没看懂，一是首台套按省内首台还是国内首台认定，二是保费补贴按实际保险费还是保险金额算";
    assert_eq!(matters(one, &lexicon).len(), 1);
    let two = "两个急事：一是东门外纬二路封路，集卡进不去；二是冷链货柜在海关查验滞留三天了";
    assert_eq!(matters(two, &lexicon).len(), 2);
}

#[test]
fn english_reports_of_work_done_are_action_and_a_question_after_them_does_not_hide_them() {
    for text in [
        "Property says their technician is on his way, 15 min. Nobody is trapped inside?",
        "Added the plate to the gate list and told the security supervisor",
        "Feeder test done: a loose cable joint in the ring main unit",
        "药品科刚回电了：说明书版本和检测报告对不上",
        "水利站看过了，是井管下段淤堵",
    ] {
        assert!(reading(text).action.is_some(), "{text}");
    }
    for text in [
        "方总，收到，我们在查卡在哪个环节，半小时内给你回话",
        "Is the technician on his way?",
        "not done yet, still waiting for the part",
    ] {
        assert!(reading(text).action.is_none(), "{text}");
    }
}

#[test]
fn english_weekdays_and_an_arrangement_make_a_plan() {
    for text in [
        "Feeder test done. State Grid will replace it on Saturday 7-9 am; we'll post the notice on Friday.",
        "后续这样：这周五前你们签补充合同，下个月起额度按季度提前报",
    ] {
        assert!(reading(text).plan.is_some(), "{text}");
    }
    assert!(reading("We'll post the notice on Friday and see on Saturday")
        .plan
        .is_none());
}

#[test]
fn problems_said_without_a_fault_word_are_still_problems() {
    for text in [
        "我们危废仓库快满了，处置单位说这个月额度用完了，满了就得停产",
        "仓库放不下了",
    ] {
        assert!(reading(text).asks.is_some(), "{text}");
    }
}

#[test]
fn an_address_after_an_acknowledgement_is_an_address() {
    assert_eq!(addressed("收到陆主任").surnames, ['陆']);
    assert_eq!(
        addressed("好的纪主任，赖经理我加你微信细聊").surnames,
        ['纪', '赖']
    );
    assert!(addressed("收到，马上处理").surnames.is_empty());
}

#[test]
fn taking_up_what_was_said_is_a_follow_up() {
    for text in [
        "好，那线下材料要准备哪些？",
        "好的，那我们周五前把材料交过去",
        "孙科那我们要怎么整改啊",
        "那要不要我们派人去现场？",
        "Thanks. Hmm, our tax manager says she already corrected it.",
        "OK, so who signs the form?",
    ] {
        assert!(reading(text).follow_up, "{text}");
    }
    for text in [
        "那个食堂的事怎么样了",
        "那边的路灯又坏了",
        "好的",
        "Thanks!",
        "行业代码不匹配，提交不了",
        "Some of the racks are still held at customs",
        "车间停电了",
    ] {
        assert!(!reading(text).follow_up, "{text}");
    }
}

#[test]
fn done_before_a_verb_reports_action_and_under_way_does_not() {
    for text in [
        "测绘院昨天下午已经重新出图交登记中心了",
        "已发函给住建局",
        "我们已经补办了手续",
    ] {
        assert!(reading(text).action.is_some(), "{text}");
    }
    for text in [
        "蒸汽的事已经在走审批了",
        "已收到，我问一下",
        "已经两周了还没消息",
        "已经是第三次了",
        "我已经很尽力在催了，还没答复",
    ] {
        assert!(reading(text).action.is_none(), "{text}");
    }
}

#[test]
fn a_timetable_of_three_days_is_a_plan_and_two_intended_days_are_not() {
    for text in [
        "Please send me your job posting by Wednesday; I'll push it on the zone account Thursday and to the colleges Friday.",
        "材料周三前发我，周四报审，下周一出结果",
        "跟中央厨房定好了：下礼拜一中午开始送，先试一个礼拜，月底按实际份数结账",
    ] {
        assert!(reading(text).plan.is_some(), "{text}");
    }
    for text in [
        "我下周一跟人才办一起去看看房源",
        "周三周四能来吗？周五也行吗？",
        "还在等答复，周一问了周三又问，周五再催",
        "上礼拜一就报了",
    ] {
        assert!(reading(text).plan.is_none(), "{text}");
    }
    assert!(
        time_anchors("下礼拜一开始送")
            .iter()
            .any(|a| a.contains("礼拜一")),
        "{:?}",
        time_anchors("下礼拜一开始送")
    );
}

#[test]
fn good_news_with_a_but_still_tells_a_problem() {
    for text in [
        "环评批复拿到了，但是许可证系统里提交不上去",
        "The permit came through, but the system still rejects our filing",
    ] {
        assert!(!reading(text).good_news, "{text}");
    }
    assert!(reading("环评通过了🎉").good_news);
}

#[test]
fn urging_to_hurry_is_progress() {
    for text in [
        "曹科，麻烦加急一下，他们是从国外回来的",
        "请抓紧帮我们问问",
        "Could you expedite this?",
    ] {
        assert!(reading(text).progress.is_some(), "{text}");
    }
    assert!(reading("我们今天要加班赶货").progress.is_none());
}

#[test]
fn an_intention_without_anything_done_intends() {
    for text in [
        "已安排专人对接交警",
        "马上联系供水公司",
        "I'll call them tomorrow",
    ] {
        assert!(reading(text).intends, "{text}");
    }
    for text in [
        "已联系供水公司，抢修队已经到了",
        "跟交警说好了，我马上把通行证送过去",
        "水压恢复了",
    ] {
        assert!(!reading(text).intends, "{text}");
    }
}

#[test]
fn a_verb_with_guo_its_object_and_le_reports_a_step_taken() {
    for text in [
        "赵科，我给特检院起重所值班的钱所长打过电话了，9点派两个检验员过来",
        "今天上午和王教授通过电话了，他很感兴趣",
        "我们跟物业谈过这件事了",
        "街道那边我跑过两趟了",
    ] {
        assert!(reading(text).action.is_some(), "{text}");
    }
    for text in [
        "审批超过三天了",
        "路过你们厂门口了",
        "还没打过电话了解情况",
        "已经过了两个月了",
    ] {
        assert!(reading(text).action.is_none(), "{text}");
    }
}

#[test]
fn an_a_not_a_question_asks_and_only_the_asking_clause_does() {
    // The clause that asks reports nothing.
    for text in [
        "收到。@潘雯 潘科帮忙联系一下特检院，看今天能不能派人",
        "你们是不是已经报了？",
        "物业有没有处理过",
    ] {
        assert!(reading(text).action.is_none(), "{text}");
    }
    // A report before the question still stands.
    for text in [
        "潘经理，问了特检院电梯所，说是今年新规，你们是不是没在系统上报检？",
        "已经联系了供电公司，他们说下午来，你们那边能不能留个人？",
    ] {
        assert!(reading(text).action.is_some(), "{text}");
    }
    // English questions ask throughout.
    assert!(reading("Have you called them, or should I?").action.is_none());
}

#[test]
fn help_offered_is_no_action_until_it_is_done() {
    for text in ["需要你们出个情况说明，我帮你们递上去", "材料给我，我替你们交"] {
        assert!(reading(text).action.is_none(), "{text}");
    }
    for text in [
        "情况说明我帮你们递上去了",
        "我已经帮你们提交",
        "替你们约好了下午三点",
    ] {
        assert!(reading(text).action.is_some(), "{text}");
    }
}

#[test]
fn english_markers_split_a_message_that_counted_its_matters() {
    let lexicon = Lexicon::default();
    let two = "Morning Helen. Two headaches: my permit expires on the 30th and the booking shows nothing. \
               And separately, a local company just filed our name as a trademark.";
    assert_eq!(matters(two, &lexicon).len(), 2);
    let couple = "A couple of things: the gate card does not work. Also, the canteen is closed on Sunday.";
    assert_eq!(matters(couple, &lexicon).len(), 2);
    // Without a count, "also" stays inside the one matter.
    for text in [
        "The gate card does not work. Also, the guard would not let our driver in.",
        "We waited two weeks for the permit. Separately the window lost our file.",
        "Two headaches: the meter also reads double since Monday.",
    ] {
        assert_eq!(matters(text, &lexicon).len(), 1, "{text}");
    }
}

#[test]
fn wishes_for_an_occasion_ask_for_nothing() {
    for text in [
        "国庆节快到了，祝各位领导节日快乐，阖家幸福[玫瑰][玫瑰]",
        "端午将至，祝专班各位端午安康",
    ] {
        assert!(reading(text).pleasantry, "{text}");
    }
    for text in [
        "祝经理，我们二车间停电了",
        "祝大家节日快乐！另外宿舍的空调什么时候能修？",
    ] {
        assert!(!reading(text).pleasantry, "{text}");
    }
}

#[test]
fn a_one_character_thanks_counts_only_as_a_clause_of_its_own() {
    assert!(!reading("供电公司说单电源不行要双电源，之前根本没提过").thanks);
    assert!(reading("行，谢谢").thanks);
    assert!(reading("行").thanks);
    assert!(reading("供电公司说单电源不行要双电源，之前根本没提过")
        .asks
        .is_some());
}

#[test]
fn trouble_ahead_is_a_fault_and_thanks_for_the_trouble_is_not() {
    assert!(reading("社保交不上就麻烦了").asks.is_some());
    let agreeing = reading("是的褚主任，麻烦了，土堆在场里扬尘检查压力也大");
    assert!(agreeing.follow_up, "{agreeing:?}");
    assert!(reading("对，还有东侧那个井也在冒").follow_up);
    assert!(!reading("对接的人是谁？").follow_up);
}

#[test]
fn a_stopgap_with_a_but_is_no_fix() {
    let text = "夜里我们自己把备用燃气锅炉开起来了，勉强顶着，但它带不动全部负荷，二号罐还停着";
    assert!(reading(text).fixed.is_none());
    assert!(reading("压力上来了，二号罐开始升温灭菌了").fixed.is_some());
}

#[test]
fn english_says_a_separate_matter_and_a_blocked_booking() {
    let text = "Jason, separate thing: our contractor says the filing must be done before the 15th, but the online system won't let us book an inspection.";
    let read = reading(text);
    assert!(read.new_matter.is_some(), "{read:?}");
    assert!(read.asks.is_some(), "{read:?}");
    assert!(reading("Adding something else on Sofie: is the school full?")
        .new_matter
        .is_some());
}

#[test]
fn answers_settled_and_papers_handed_in_are_action() {
    for text in [
        "Michelle，和管委会办公室确认好了：冯主任下周二下午3点会见",
        "I went over to the office and handed in the missing page",
        "The bureau approved both places under the talent quota",
    ] {
        assert!(reading(text).action.is_some(), "{text}");
    }
}

#[test]
fn english_days_of_the_month_are_days_and_a_weekday_with_its_date_is_one() {
    let anchors =
        time_anchors("walk-through on the 19th at 9:30, close gaps by the 22nd, inspection on the 24th");
    assert_eq!(
        anchors.iter().filter(|a| names_a_day(a)).count(),
        3,
        "{anchors:?}"
    );
    let one = time_anchors("Booked booth B-12 for Saturday the 14th, 9:00-12:00");
    assert_eq!(one.iter().filter(|a| names_a_day(a)).count(), 1, "{one:?}");
    assert!(time_anchors("we have 4th-floor space and 5 staff").is_empty());
    let read = reading("Agreed with the bureau: pre-inspection on the 19th, you close gaps by the 22nd, formal inspection on the 24th.");
    assert!(read.plan.is_some(), "{read:?}");
}

#[test]
fn a_second_matter_opened_by_huanyou_after_a_question_is_split() {
    let lexicon = Lexicon::default();
    let text = "30号停电那天我们热处理线在连续生产，能不能给我们保一路电？还有厂门口那几盏路灯坏了快一个月了";
    assert_eq!(matters(text, &lexicon).len(), 2);
    for one in [
        "能不能给我们保一路电？还有三天就要停了",
        "能不能给我们保一路电？还有没有别的办法",
        "还有个事，路灯坏了",
    ] {
        assert_eq!(matters(one, &lexicon).len(), 1, "{one}");
    }
}

#[test]
fn passed_on_is_action_once_done_and_a_visit_brings_a_problem_for_the_enterprise() {
    assert!(reading("卢工，路灯的事我转给城管照明所了，他们今天晚上来修")
        .action
        .is_some());
    assert!(reading("路灯的事我转给城管照明所").action.is_none());
    assert!(reading("跟治安大队王警官通上电话了，要这几样材料")
        .action
        .is_some());
    assert!(reading("Got through to the hazardous chemicals section.")
        .action
        .is_some());
    assert!(reading("上午到宸光工地走访，了解到施工许可证还办不下来")
        .on_behalf
        .is_some());
    assert!(reading("所以想请专班帮个忙，下个月要招60个普工").asks.is_some());
}

/// Pieces that steer the rules into their corners: ordinals at the end of
/// a text, markers of a new matter, numbered items, dates, names.
const PIECES: &str = "(还有|另外|the |May |[0-9]{1,3}|st|nd|th|rd|周[一五]|号|点|[？。，!?:：、]|[a-z ]{0,6}|停电|谢谢|祝|节日快乐|已经|联系上了|1\\.|2\\.|①|②|一是|二是|王科|@李娜|\\[图片\\]|\\[强\\]|转给|了|吗| ){0,40}";

static LEXICON: std::sync::LazyLock<Lexicon> = std::sync::LazyLock::new(Lexicon::default);

proptest::proptest! {
    #[test]
    fn reading_any_text_never_panics(text in PIECES) {
        let lexicon = &*LEXICON;
        let _ = read(&text, lexicon);
        let _ = topic(&text, lexicon);
        let _ = matters(&text, lexicon);
        let _ = addressed(&text);
        for anchor in time_anchors(&text) {
            let _ = names_a_day(&anchor);
        }
    }

    #[test]
    fn reading_arbitrary_unicode_never_panics(text in "\\PC{0,80}") {
        let lexicon = &*LEXICON;
        let _ = read(&text, lexicon);
        let _ = topic(&text, lexicon);
        let _ = matters(&text, lexicon);
        let _ = time_anchors(&text);
    }
}

#[test]
fn a_work_order_raised_is_action_and_time_words_say_nothing_of_a_matter() {
    assert!(reading("电信政企中心派单了 装维师傅9点前到你们机房")
        .action
        .is_some());
    assert!(reading("麻烦把提单号和报关单号发我").action.is_none());
    let lexicon = Lexicon::default();
    let apartment = topic(
        "Is anything free in the talent apartments? Ideally for 12 months.",
        &lexicon,
    );
    let subsidy = topic("Is the subsidy deadline still the end of the month?", &lexicon);
    assert_eq!(apartment.overlap(&subsidy), 0);
}

#[test]
fn times_of_day_count_as_steps_of_a_course() {
    assert_eq!(
        time_anchors("inspected today at 13:30, and tomorrow at 9:00"),
        ["13:30", "tomorrow", "9:00"]
    );
    assert_eq!(time_anchors("arrive at 9am or 3 pm"), ["9am", "3 pm"]);
    // Ratios, counters and times that are no time are not.
    for text in [
        "mixed 2:1",
        "uptime 10:30:15",
        "code 12:75",
        "room 3pm2",
        "pma 3 pma",
    ] {
        assert!(time_anchors(text).is_empty(), "{text}");
    }
    let agreed = "Martin, agreed with the customs office: (1) the cold boxes are inspected today at 13:30; \
                  (2) the rest tomorrow at 9:00 and released by noon.";
    assert!(reading(agreed).plan.is_some());
    // One appointment is no course.
    assert!(reading("Agreed, the engineer comes at 10:30.").plan.is_none());
}

#[test]
fn a_space_between_chinese_words_ends_a_clause() {
    // The intention in the second clause does not undo the call reported
    // in the first.
    assert!(reading("交警中队电话打通了 铁骑马上到 物流园调度我也打了")
        .action
        .is_some());
    assert!(reading("电话打通了，铁骑马上到").action.is_some());
    assert!(reading("收到 我马上联系交警").action.is_none());
    assert!(reading("收到 我马上联系交警").intends);
}

#[test]
fn help_thanked_for_is_not_help_asked_for_and_a_seconding_adds_to_the_matter() {
    let thanks = reading("借这个机会谢谢管委会一年来的帮忙，年初道路开口的事都是大家跑下来的[抱拳]");
    assert!(thanks.asks.is_none() && thanks.thanks);
    assert!(reading("能不能帮忙问一下税务局").asks.is_some());
    assert!(reading("谢谢，另外能帮忙问下宿舍的事吗").asks.is_some());

    let second = reading("+1. We also got an email from the bureau, but the upload link is broken.");
    assert!(second.follow_up && second.new_matter.is_none());
    assert!(reading("We also got an email from the bureau")
        .new_matter
        .is_some());
}

#[test]
fn a_site_visit_brings_a_problem_for_the_enterprise() {
    assert!(
        reading("@蔡工 上午到金印现场看了，焚烧炉点不着火，周边小区已经有人投诉")
            .on_behalf
            .is_some()
    );
    assert!(
        reading("We visited the site this morning: the gate barrier is broken")
            .on_behalf
            .is_some()
    );
}

#[test]
fn an_invitation_to_an_occasion_is_good_news() {
    assert!(reading("节后第一天上午九点是我们新车间的开工仪式，欢迎各位领导光临").good_news);
    assert!(!reading("开工仪式的场地临时停电了，能帮忙问下吗？").good_news);
}

#[test]
fn a_notice_header_in_brackets_announces() {
    assert!(reading("【通知】本年度专精特新企业认定申报已启动，截止本月28日").announcement);
    assert!(reading("[温馨提示] 明天起园区东门封闭施工").announcement);
    assert!(!reading("[图片]").announcement);
    assert!(!reading("【急】车间停电了").announcement);
}

#[test]
fn a_step_finished_or_a_slot_booked_is_action_and_a_miss_is_not() {
    for text in [
        "踏勘完了，初步思路是线路往西侧绿化带迁",
        "邢总早，约上了，今天下午两点供电公司来现场踏勘",
        "电信说纬二路施工挖断了主干光缆，抢修队已经在现场熔接",
        "Director Qian looked at it: your letter only lists the first batch",
    ] {
        assert!(reading(text).action.is_some(), "{text}");
    }
    for text in ["材料快完了吗", "等忙完了我再问", "用完了"] {
        assert!(reading(text).action.is_none(), "{text}");
    }
}

#[test]
fn one_day_named_twice_is_one_step_and_two_parts_of_a_day_are_two() {
    // A pickup booked for tomorrow morning is an appointment, not a course.
    let booked = "联系上了，已经跟他们调度说定，明天上午九点派车过来，你们明早安排人配合";
    assert!(reading(booked).plan.is_none());
    assert!(reading(booked).action.is_some());
    let steps = "问了海关查验科，实验室答应加急，明天中午出报告，结果没问题当天下午放行";
    assert!(reading(steps).plan.is_some());
    // "Sept 30" is a day of its own.
    let english =
        "Checked with the section: they re-run the review on Thursday; the refund arrives before Sept 30.";
    assert!(reading(english).plan.is_some());
    assert_eq!(
        time_anchors("before Sept 30, or by October 2"),
        ["Sept 30", "October 2"]
    );
    assert!(time_anchors("a 30 unit batch").is_empty());
}

#[test]
fn a_second_matter_after_a_semicolon_or_an_and_sentence_is_split() {
    let lexicon = Lexicon::default();
    let two = "孙主任下午好。有两件事想请专班帮帮忙：3号库喷淋复验想约一下，客户10号就要进货；\
               还有去年的办公用房租金补贴，说上半年兑现，到现在也没到账";
    assert_eq!(matters(two, &lexicon).len(), 2);
    let english = "Morning! Our canteen must stop using LPG cylinders by the end of this month and there is no \
                   piped gas yet. And the 208 shuttle hasn't stopped outside our gate since Monday. Can help check both?";
    let parts = matters(english, &lexicon);
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert!(parts[1].starts_with("And the 208"));
    // "And" alone, asking about one thing, splits nothing.
    assert_eq!(
        matters(
            "The meter reads zero. And the alarm beeps. Can you check?",
            &lexicon
        )
        .len(),
        1
    );
}

#[test]
fn a_call_received_from_a_named_caller_is_passed_on() {
    let text = "@邱军 刚接到生态环境分局监控中心电话，说你们排口的在线监测一直离线";
    assert!(reading(text).on_behalf.is_some());
    assert!(reading("接到通知，明天停电，电话联系不上的企业请互相转告")
        .on_behalf
        .is_none());
}

#[test]
fn half_a_withdrawal_with_a_problem_left_withdraws_nothing() {
    assert!(reading("东门那个弄错了，是我们自己阀门没开全。就西侧那个有问题")
        .withdrawn
        .is_none());
    assert!(reading("不好意思搞错了，我们的报告是已通过").withdrawn.is_some());
}

#[test]
fn instructions_chasing_and_answers_that_explain_a_delay_are_no_action() {
    for text in [
        "@赵凯 联系城投代建公司，今天下午就带施工单位去现场，把原因查清楚",
        "建设公司那边昨天一直没给答复，我刚又打过去催了",
        "修剪的事还没排上，园林所说这周人都压在主干道上",
        "问过安保公司了，夜里人手不够，那边还没给答复，说下周排班会上再议",
    ] {
        assert!(reading(text).action.is_none(), "{text}");
    }
    for text in ["错峰方案跟供电公司对过了", "已经把原因查清了", "许可批下来了"] {
        assert!(reading(text).action.is_some(), "{text}");
    }
}

#[test]
fn that_one_is_no_question_about_progress() {
    assert!(reading("西门外那个卡口晚上八点以后就没人值守了 有没有办法")
        .progress
        .is_none());
    assert!(reading("那个事怎么样了").progress.is_some());
    assert!(reading("能不能快点啊").progress.is_some());
}

#[test]
fn papers_ready_with_a_question_are_no_fix_and_a_drain_cleared_is() {
    assert!(reading("材料都弄好了，施科发给谁").fixed.is_none());
    assert!(
        reading("通好了 说是下游井里堵了一大坨水泥浆 现在水退了 谢谢骆主任")
            .fixed
            .is_some()
    );
}

#[test]
fn a_report_filed_is_action_once_filed_and_a_paper_read_is_not() {
    for text in [
        "95598报上了，工单号3206240612-0147，抢修班说二十分钟到现场",
        "报给城管局路灯所了，他们明天上午9点来换灯",
        "邹经理，交警秩序科答复需要：占道申请表、吊装方案、交通疏导方案",
        "师傅过去看了，是循环泵烧了",
    ] {
        assert!(reading(text).action.is_some(), "{text}");
    }
    for text in [
        "收到陶经理 我报给城管照明所",
        "邓工，告知书看了。校准期间的数据按规定可以剔除",
        "示意图收到了，明天上午我送到交通局窗口，争取周末前批下来",
        "任总，公寓的事上周报给住建局了，还没批下来，我再催一下",
    ] {
        assert!(reading(text).action.is_none(), "{text}");
    }
    // Nothing done, so the two days are no agreed course either.
    assert!(
        reading("示意图收到了，明天上午我送到交通局窗口，争取周末前批下来")
            .plan
            .is_none()
    );
}

#[test]
fn half_the_store_running_again_is_no_fix_and_troubling_again_is_a_new_request() {
    assert!(
        reading("厂里的备用发电机只能带一个库 已经给三号库开起来了 四号库还是没电")
            .fixed
            .is_none()
    );
    assert!(reading("冯科～又来麻烦您了 我们北门外面人行道上的井盖碎了一块")
        .new_matter
        .is_some());
}

#[test]
fn a_call_made_with_the_outcome_still_open_is_stalled() {
    let text = "城管环卫那边打过去了，铲车都在主干道上，纬三路啥时候能排上还不好说";
    assert!(reading(text).action.is_none(), "{text}");
}

#[test]
fn an_apology_for_disturbing_is_courtesy_and_a_contact_made_is_action() {
    assert!(reading("尊敬的各位领导，中午好！不好意思午休时间打扰大家。").pleasantry);
    assert!(!reading("不好意思，我们车间停电了").pleasantry);
    assert!(reading("杜经理，联系好了园区消防维保中心，他们工程师4点半到泵房")
        .action
        .is_some());
}
