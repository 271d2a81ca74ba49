//! The pages' languages: every string in `strings/{lang}.toml`, one file per
//! language, and the few ways a time or a span is written.

use crate::domain::Timestamp;
use chrono::TimeDelta;
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// One language's strings by key.
pub type Strings = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// `?lang=` first (`zh`/`en`), then the first of `Accept-Language`'s
    /// languages that slawatch speaks, else Chinese.
    pub fn pick(query: Option<&str>, accept_language: Option<&str>) -> Lang {
        let known = |tag: &str| {
            let tag = tag.trim().to_ascii_lowercase();
            if tag.starts_with("zh") {
                Some(Lang::Zh)
            } else if tag.starts_with("en") {
                Some(Lang::En)
            } else {
                None
            }
        };
        if let Some(lang) = query.and_then(known) {
            return lang;
        }
        let mut offered: Vec<(f32, usize, Lang)> = accept_language
            .unwrap_or_default()
            .split(',')
            .enumerate()
            .filter_map(|(order, item)| {
                let mut parts = item.split(';');
                let lang = known(parts.next()?)?;
                let quality = parts
                    .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse().ok()))
                    .unwrap_or(1.0);
                Some((quality, order, lang))
            })
            .collect();
        offered.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        offered.first().map_or(Lang::Zh, |(_, _, lang)| *lang)
    }

    /// The `lang` attribute of the page.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The value of `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub fn strings(self) -> &'static Strings {
        static ZH: OnceLock<Strings> = OnceLock::new();
        static EN: OnceLock<Strings> = OnceLock::new();
        let (cell, source) = match self {
            Lang::Zh => (&ZH, include_str!("strings/zh.toml")),
            Lang::En => (&EN, include_str!("strings/en.toml")),
        };
        cell.get_or_init(|| toml::from_str(source).expect("the built-in strings are valid TOML"))
    }

    /// The string at `key`.
    pub fn get(self, key: &str) -> &'static str {
        get(self.strings(), key)
    }
}

/// The string at `key`; `?` if it is missing (a test keeps both files
/// complete).
pub fn get<'a>(strings: &'a Strings, key: &str) -> &'a str {
    strings.get(key).map_or("?", String::as_str)
}

/// A moment as shown on the pages: local date and minute in `zone`.
pub fn time(at: Timestamp, zone: Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
}

/// A target as written in a policy (`10m`, `2h`, `1d`) in words.
pub fn target(lang: Lang, target: &str) -> String {
    let split = target.find(|c: char| !c.is_ascii_digit()).unwrap_or(target.len());
    let (amount, unit) = target.split_at(split);
    let key = match unit {
        "s" => "unit_s",
        "m" => "unit_m",
        "h" => "unit_h",
        "d" => "unit_d",
        _ => return target.to_string(),
    };
    lang.get(key).replace("{n}", amount)
}

/// A span in its two largest units: `1 天 2 小时`, `25 分钟`, `40 秒`.
pub fn span(lang: Lang, delta: TimeDelta) -> String {
    let seconds = delta.num_seconds().abs();
    let parts = [
        (seconds / 86_400, "unit_d"),
        (seconds % 86_400 / 3_600, "unit_h"),
        (seconds % 3_600 / 60, "unit_m"),
        (seconds % 60, "unit_s"),
    ];
    let first = parts.iter().position(|(n, _)| *n > 0).unwrap_or(3);
    let words: Vec<String> = parts[first..]
        .iter()
        .take(2)
        .filter(|(n, _)| *n > 0 || first == 3)
        .map(|(n, key)| lang.get(key).replace("{n}", &n.to_string()))
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_every_string() {
        let zh: Vec<&String> = Lang::Zh.strings().keys().collect();
        let en: Vec<&String> = Lang::En.strings().keys().collect();
        assert_eq!(zh, en);
    }

    #[test]
    fn the_language_is_chosen_by_query_then_accept_language() {
        assert_eq!(Lang::pick(None, None), Lang::Zh);
        assert_eq!(Lang::pick(Some("en"), Some("zh-CN")), Lang::En);
        assert_eq!(Lang::pick(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::pick(None, Some("fr, en;q=0.5, zh;q=0.8")), Lang::Zh);
        assert_eq!(Lang::pick(Some("xx"), Some("de")), Lang::Zh);
    }

    #[test]
    fn targets_and_spans_read_as_words() {
        assert_eq!(target(Lang::Zh, "10m"), "10 分钟");
        assert_eq!(target(Lang::En, "2h"), "2 h");
        assert_eq!(target(Lang::Zh, "1d"), "1 天");
        assert_eq!(span(Lang::Zh, TimeDelta::minutes(25)), "25 分钟");
        assert_eq!(span(Lang::En, TimeDelta::minutes(26 * 60 + 5)), "1 d 2 h");
        assert_eq!(span(Lang::En, TimeDelta::seconds(0)), "0 s");
    }
}
