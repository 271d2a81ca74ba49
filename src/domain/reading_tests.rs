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
