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
