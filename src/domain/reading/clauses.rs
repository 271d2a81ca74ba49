//! How one clause of a message reads: where clauses break, whether a
//! clause takes up what was just said, asks by itself, or tells of a step
//! already taken.

use super::is_cjk;

/// `text` with each run of spaces between two Chinese characters read as
/// a comma.
pub(super) fn clause_breaks(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(' ') {
        return std::borrow::Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' {
            let end = i + chars[i..].iter().take_while(|c| **c == ' ').count();
            let between = i > 0 && is_cjk(chars[i - 1]) && chars.get(end).is_some_and(|c| is_cjk(*c));
            out.push(if between { '，' } else { ' ' });
            i = end;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    std::borrow::Cow::Owned(out)
}

/// Whether `opening` (the text after its addresses) takes up what was just
/// said: "那" as "then" ("那我们要怎么整改", not "那个" or "那边"), or a
/// short acknowledgement ("好，", "Thanks.", "OK so") with more after it.
pub(super) fn takes_up(opening: &str) -> bool {
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

/// Action words that, without a mark of completion, offer help to come
/// ("我转给他们" will pass it on; "我转给照明所了" has; "我报给城管照明所"
/// is about to, "报给住建局了" is done).
pub(super) const OFFERS: [&str; 5] = ["帮你们", "替你们", "转给", "报给", "报上"];

/// Whether a clause marks its verb as done: 了, 过, 已, 好, 完.
pub(super) fn completed(clause: &str) -> bool {
    clause.chars().any(|c| "了过已好完".contains(c))
}

/// An A-not-A question ("看今天能不能派人", "是不是没报检") asks, with no
/// question mark.
pub(super) fn asks_itself(clause: &str) -> bool {
    let chars: Vec<char> = clause.chars().collect();
    chars
        .windows(3)
        .any(|w| w[1] == '不' && w[0] == w[2] && is_cjk(w[0]) && !"一".contains(w[0]))
        || chars
            .windows(3)
            .any(|w| w[1] == '没' && w[0] == w[2] && w[0] == '有')
}

/// The last comma clause of a sentence, without its end mark.
pub(super) fn last_clause(sentence: &str) -> Option<&str> {
    sentence
        .trim_end_matches(|c: char| "。！!；;\n?.".contains(c) || c.is_whitespace())
        .rsplit(|c: char| "，,、:：".contains(c))
        .map(str::trim)
        .find(|clause| !clause.is_empty())
}

/// "打过电话了", "和王教授通过电话了": a verb with 过, its object and a final
/// 了 tell of a step already taken. "超过三天了", "经过…" tell of none.
pub(super) fn experienced(clause: &str) -> Option<String> {
    let chars: Vec<char> = clause.chars().collect();
    let end = chars.iter().rposition(|c| *c == '了')?;
    let at = chars[..end].iter().rposition(|c| *c == '过')?;
    let object = end - at - 1;
    let verb = *chars.get(at.checked_sub(1)?)?;
    // "对过了", "核过了": checking verbs need no object.
    let checked = object == 0 && "问查核对谈试测".contains(verb);
    (((1..=6).contains(&object) || checked)
        && is_cjk(verb)
        && !"超经难错路不没太度胜".contains(verb)
        && chars[at + 1..end].iter().all(|c| is_cjk(*c)))
    .then(|| chars[at - 1..=end].iter().collect())
}

/// "把原因查清楚": a step told to be done with 把, and nothing in the
/// clause done yet (no 了, 过 or 已).
pub(super) fn instructs(clause: &str, word: &str) -> bool {
    let Some(at) = clause.find(word) else {
        return false;
    };
    clause[..at].contains('把') && !clause.chars().any(|c| "了过已".contains(c))
}

/// "踏勘完了", "材料审完了": a verb with 完了 tells of a step finished.
/// "用完了", "快完了", "忙完了再…" tell of none.
pub(super) fn finished(clause: &str) -> Option<String> {
    let chars: Vec<char> = clause.chars().collect();
    chars
        .windows(3)
        .find(|w| w[1] == '完' && w[2] == '了' && is_cjk(w[0]) && !"用快忙等吃喝花卖没不说就".contains(w[0]))
        .map(|w| w.iter().collect())
}

/// "已经重新出图", "已发函": 已/已经 before a verb reports a step taken.
/// "已经在走审批" (under way), "已收到", "已经两周了", "已经是…" report none.
pub(super) fn done_verb(clause: &str) -> Option<String> {
    let chars: Vec<char> = clause.chars().collect();
    let at = chars.iter().position(|c| *c == '已')?;
    let skip = if chars.get(at + 1) == Some(&'经') { 2 } else { 1 };
    let next = *chars.get(at + skip)?;
    let not_a_step = "在是有收受读阅知快很过不没太多几两三四五六七八九十一半超逾到满久近";
    (is_cjk(next) && !not_a_step.contains(next))
        .then(|| chars[at..(at + skip + 2).min(chars.len())].iter().collect())
}

/// "告知书看了", "材料看了": a paper read, which acknowledges and sets
/// nothing moving ("现场看了" does).
pub(super) fn read_a_paper(clause: &str, word: &str) -> bool {
    word == "看了"
        && clause
            .find(word)
            .and_then(|at| clause[..at].chars().next_back())
            .is_some_and(|c| "书表件料单图函".contains(c))
}

/// "明天上午我送到交通局窗口", "下周去现场": a step on a day to come, with
/// nothing in the clause done yet.
pub(super) fn to_come(clause: &str) -> bool {
    [
        "明天",
        "明早",
        "后天",
        "下周",
        "待会",
        "一会儿",
        "稍后",
        "回头",
        "tomorrow",
        "next week",
        "later",
    ]
    .iter()
    .any(|word| clause.contains(word))
        && !completed(clause)
}
