//! Which day and which part of it a time anchor names, and so how many
//! steps a message's times set out: what makes a plan.

use super::time::month_and_day;

/// How many steps the anchors set out: the days named, one day named twice
/// ("明天上午九点派车…你们明早安排") counting once; two parts of one named
/// day ("明天中午出报告…当天下午放行") count as two.
pub(super) fn steps(anchors: &[String]) -> usize {
    let mut day = None;
    let mut slots = std::collections::BTreeSet::new();
    let mut named_days = std::collections::BTreeSet::new();
    for anchor in anchors {
        if names_a_day(anchor) {
            let this = day_of(anchor);
            named_days.insert(this.clone());
            day = Some(this);
        }
        if let (Some(day), Some(part)) = (&day, part_of_day(anchor)) {
            slots.insert((day.clone(), part));
        }
    }
    named_days.len().max(slots.len().min(2))
}

/// The day a day-naming anchor stands for, so that two names of one day
/// ("明天上午九点" and "明早") count once: tomorrow, the day after, a
/// weekday (next week's apart), a day of the month; any other anchor is its
/// own day.
pub(super) fn day_of(anchor: &str) -> String {
    let lower = anchor.to_lowercase();
    if lower.contains("大后天") {
        return "+3".into();
    }
    if lower.contains("后天") {
        return "+2".into();
    }
    if ["明天", "明早", "明晚", "明日", "tomorrow"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return "+1".into();
    }
    let next = if lower.contains("下周") || lower.contains("下星期") || lower.contains("next") {
        "next "
    } else {
        ""
    };
    const WEEKDAYS: [(&str, &str, &str); 7] = [
        ("一", "mon", "1"),
        ("二", "tue", "2"),
        ("三", "wed", "3"),
        ("四", "thu", "4"),
        ("五", "fri", "5"),
        ("六", "sat", "6"),
        ("日", "sun", "7"),
    ];
    let chars: Vec<char> = lower.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if "周期拜".contains(*c) {
            if let Some(day) = chars.get(i + 1).and_then(|d| {
                WEEKDAYS
                    .iter()
                    .find(|(zh, ..)| zh.starts_with(*d))
                    .map(|(.., n)| *n)
                    .or((*d == '天').then_some("7"))
            }) {
                return format!("{next}weekday {day}");
            }
        }
    }
    if let Some((.., n)) = WEEKDAYS.iter().find(|(_, en, _)| {
        lower
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|word| word.starts_with(en))
    }) {
        return format!("{next}weekday {n}");
    }
    // "20号", "20日", "the 20th": the digits of the day.
    let digits = first_number(&lower);
    let dated = ['号', '日'].iter().any(|c| lower.contains(*c))
        || ["th", "st", "nd", "rd"].iter().any(|s| lower.ends_with(s))
        || !month_and_day(&lower).is_empty();
    if !digits.is_empty() && dated {
        return format!("day {digits}");
    }
    lower
}

/// The part of the day an anchor names, if any: morning, noon, afternoon,
/// evening, or a clock time's ("明天上午九点" and "明早" are one morning).
pub(super) fn part_of_day(anchor: &str) -> Option<&'static str> {
    let lower = anchor.to_lowercase();
    let words: [(&str, &[&str]); 4] = [
        ("noon", &["中午", "noon", "午饭"]),
        ("afternoon", &["下午", "afternoon", "pm"]),
        ("evening", &["晚上", "明晚", "今晚", "evening", "tonight"]),
        ("morning", &["上午", "早上", "明早", "一早", "morning", "am"]),
    ];
    if let Some((part, _)) = words.iter().find(|(_, names)| {
        names.iter().any(|name| {
            if name.is_ascii() {
                lower
                    .split(|c: char| !c.is_ascii_alphabetic())
                    .any(|word| word == *name)
            } else {
                lower.contains(name)
            }
        })
    }) {
        return Some(part);
    }
    let hour: u32 = first_number(&lower).parse().ok()?;
    let clock = lower.contains(':') || lower.contains('：') || lower.contains('点');
    clock.then_some(match hour {
        0..=11 => "morning",
        12 => "noon",
        13..=18 => "afternoon",
        _ => "evening",
    })
}

/// The first run of digits in `text` ("" if none).
fn first_number(text: &str) -> String {
    text.chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect()
}

/// Whether a time anchor names a day (`周三`, `明天`, `20号`, `下月`,
/// `Friday`) rather than a time of today (`下午`, `三点`, `每天`).
pub(super) fn names_a_day(anchor: &str) -> bool {
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
    // "19th", "2nd": a day of the month.
    let ordinal = lower
        .trim_start_matches("the ")
        .starts_with(|c: char| c.is_ascii_digit())
        && ["st", "nd", "rd", "th"]
            .iter()
            .any(|suffix| lower.ends_with(suffix));
    (abbreviated
        || ordinal
        || !month_and_day(&lower).is_empty()
        || DAYS.iter().any(|day| lower.contains(day)))
        && !lower.starts_with("每")
        && !month_only
}
