//! The times a message names (`周五前`, `下周二`, `明天上午`, `by Friday`,
//! `13:30`, `the 19th`) and whether each names a day: what makes a plan.

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
    // "Sept 30", "September 30": a month's name and a day.
    spans.extend(month_and_day(&lower));
    // 周一…周日, 星期X, N号, N日, N月, N点; "the 19th", "by the 2nd".
    let numeral = |c: char| c.is_ascii_digit() || "一二三四五六七八九十两半".contains(c);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            spans.extend(day_of_month(&chars, i));
            spans.extend(clock_time(&chars, i));
        }
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

/// The span of a time of day whose digits start at `i`: "13:30", "9:00",
/// "9am", "3 pm"; not "2:1" or "10:30:15"-like counters, nor a ratio
/// inside a longer number.
fn clock_time(chars: &[char], i: usize) -> Option<(usize, usize)> {
    if i > 0 && (chars[i - 1] == ':' || chars[i - 1] == '：') {
        return None;
    }
    let digits = chars[i..].iter().take_while(|d| d.is_ascii_digit()).count();
    if digits == 0 || digits > 2 {
        return None;
    }
    let hour: u32 = chars[i..i + digits].iter().collect::<String>().parse().ok()?;
    let after = i + digits;
    if matches!(chars.get(after), Some(':' | '：')) {
        let minutes = chars[after + 1..]
            .iter()
            .take_while(|d| d.is_ascii_digit())
            .count();
        let end = after + 1 + minutes;
        let minute_ok = minutes == 2 && chars[after + 1] < '6';
        let counter = matches!(chars.get(end), Some(':' | '：'))
            || chars.get(end).is_some_and(char::is_ascii_alphanumeric);
        return (hour < 24 && minute_ok && !counter).then_some((i, end));
    }
    // "9am", "3 pm": the meridiem as a word of its own.
    let gap = usize::from(chars.get(after) == Some(&' '));
    let lower = |k: usize| chars.get(k).map(char::to_ascii_lowercase);
    let meridiem = matches!(
        (lower(after + gap), lower(after + gap + 1)),
        (Some('a' | 'p'), Some('m'))
    ) && !lower(after + gap + 2).is_some_and(|c| c.is_ascii_alphanumeric());
    (hour <= 12 && meridiem).then_some((i, after + gap + 2))
}

/// The span of a day of the month whose digits start at `i`: "on the
/// 19th", "by the 2nd", "May 19th"; not "the 4th floor", "4th-gen". "the "
/// is part of it, so that "Saturday the 14th" is one day with its weekday.
/// Reads the characters in place: it runs on every digit the writer reads.
fn day_of_month(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let lower = |k: usize| chars.get(k).map(char::to_ascii_lowercase);
    let is = |from: usize, word: &str| {
        chars
            .get(from..from + word.chars().count())
            .is_some_and(|found| found.iter().map(char::to_ascii_lowercase).eq(word.chars()))
    };
    let digits = chars[i..].iter().take_while(|d| d.is_ascii_digit()).count();
    let suffix = (lower(i + digits)?, lower(i + digits + 1)?);
    let ordinal = digits <= 2 && matches!(suffix, ('s', 't') | ('n', 'd') | ('r', 'd') | ('t', 'h'));
    let end = i + digits + 2;
    let ends = chars
        .get(end)
        .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != '-');
    let after = chars[end..]
        .iter()
        .position(|c| !c.is_whitespace())
        .map_or(end, |skip| end + skip);
    let the = i >= 4 && is(i - 4, "the ");
    let month = i >= 4 && chars[i - 1] == ' ' && MONTH_NAMES.iter().any(|m| is(i - 4, &m[..3]));
    (ordinal && ends && (the || month) && !is(after, "floor")).then_some((if the { i - 4 } else { i }, end))
}

/// The spans (in characters) of "Sept 30", "September 30", "Oct 1": a
/// month's name, a space and a day of one or two digits.
pub(super) fn month_and_day(lower: &str) -> Vec<(usize, usize)> {
    let chars: Vec<char> = lower.chars().collect();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_word = chars[i].is_ascii_alphabetic() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric());
        if !starts_word {
            i += 1;
            continue;
        }
        let word_end = i + chars[i..].iter().take_while(|c| c.is_ascii_alphabetic()).count();
        let word: String = chars[i..word_end].iter().collect();
        let month =
            word.len() >= 3 && (word == "sept" || MONTH_NAMES.iter().any(|m| m.starts_with(word.as_str())));
        if month && chars.get(word_end) == Some(&' ') {
            let digits = chars[word_end + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let end = word_end + 1 + digits;
            let ends = chars
                .get(end)
                .is_none_or(|c| !c.is_ascii_alphanumeric() || "snrt".contains(*c));
            if (1..=2).contains(&digits) && ends {
                spans.push((i, end));
            }
        }
        i = word_end;
    }
    spans
}

/// Months by name; the first three letters are the abbreviation ("May
/// 19th", "Sep 30").
const MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
