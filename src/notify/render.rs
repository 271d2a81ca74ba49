//! Fills a template with the facts of a notification, in the channel's
//! language, with times in the policy's time zone (never UTC).

use super::templates::{parse, Piece, Templates};
use super::{Language, Notification};
use chrono::{DateTime, TimeDelta, Utc};

/// A rendered message: its first line as a plain title, and the whole text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The heading without markdown marks, for platforms that show a title
    /// apart (DingTalk `title`, Feishu card header, Alertmanager `summary`).
    pub title: String,
    /// The whole markdown message, heading included.
    pub text: String,
}

impl Rendered {
    /// The message without its heading line, for platforms that show the
    /// title apart.
    pub fn body(&self) -> &str {
        let text = self.text.trim_start_matches(['\n', '\r']);
        match text.split_once('\n') {
            Some((_, rest)) => rest.trim_start_matches(['\n', '\r']),
            None => "",
        }
    }
}

/// How a platform needs free text (titles, names) neutralised before it goes
/// into markup.
pub type Escape = fn(&str) -> String;

/// No escaping: for JSON consumers that do not render markup.
pub fn plain(text: &str) -> String {
    text.to_string()
}

/// For WeCom, DingTalk and Feishu markdown: an enterprise's title must not
/// mention the whole group (`<at id=all></at>`, `<@userid>`) or inject HTML,
/// nor break the message's lines.
pub fn neutralize_markup(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => '＜',
            '>' => '＞',
            '\r' | '\n' => ' ',
            other => other,
        })
        .collect()
}

/// Renders the template for the notification's kind in `language`.
/// Placeholders the template system does not know are left as written, so a
/// faulty override still delivers a readable message (`check-config` reports it).
pub fn render(
    templates: &Templates,
    language: Language,
    notification: &Notification,
    now_unix_ms: i64,
    escape: Escape,
) -> Rendered {
    let template = templates.get(language, notification.kind);
    let now = DateTime::<Utc>::from_timestamp_millis(now_unix_ms).unwrap_or(notification.detected_at);
    let facts = Facts {
        notification,
        language,
        now,
        escape,
    };
    let text = match parse(template) {
        Ok(pieces) => pieces
            .into_iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.to_string(),
                Piece::Placeholder(name) => facts.value(name).unwrap_or_else(|| format!("{{{name}}}")),
            })
            .collect(),
        Err(()) => template.to_string(),
    };
    let text = text.trim_end().to_string();
    Rendered {
        title: title_of(&text),
        text,
    }
}

struct Facts<'a> {
    notification: &'a Notification,
    language: Language,
    now: DateTime<Utc>,
    escape: Escape,
}

impl Facts<'_> {
    fn value(&self, name: &str) -> Option<String> {
        let n = self.notification;
        let language = self.language;
        let escape = self.escape;
        let value = match name {
            "project" => escape(&n.project),
            "project_name" => match (n.project_name.as_str(), n.project.as_str(), language) {
                // The zone's digest speaks for every project.
                ("", "", Language::Zh) => "全区".to_string(),
                ("", "", Language::En) => "whole zone".to_string(),
                ("", project, _) => escape(project),
                (name, _, _) => escape(name),
            },
            "issue" => escape(&n.issue),
            "seq" => n.seq.to_string(),
            "cycle" => n.cycle.to_string(),
            "title" => escape(&n.title),
            "stage" => n
                .stage
                .as_deref()
                .map(|s| stage_name(s, language))
                .unwrap_or_default(),
            "raised_by" => match &n.raised_by {
                Some(who) if !who.trim().is_empty() => escape(who),
                _ => unknown(language).to_string(),
            },
            "raised_at" => local_time(n.raised_at, n.time_zone),
            "deadline" => n
                .deadline
                .map(|d| local_time(d, n.time_zone))
                .unwrap_or_else(|| "—".into()),
            "detected_at" => local_time(n.detected_at, n.time_zone),
            "promise" => promise(n.stage.as_deref(), n.target.as_deref(), language),
            "late" => late(n.deadline, self.now, language),
            "remaining" => remaining(n.deadline, self.now, language),
            "step" => n.escalation_step.to_string(),
            "url" => n.url.clone(),
            "digest" => n
                .digest
                .as_ref()
                .map(|digest| super::digest::render(digest, language, n.time_zone, escape))
                .unwrap_or_default(),
            "confirmation" => escape(n.confirmation.as_deref().unwrap_or_default()),
            _ => return None,
        };
        Some(value)
    }
}

/// `2024-05-30 10:02 +08:00`: the offset keeps a reader in another zone right.
pub fn local_time(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone).format("%Y-%m-%d %H:%M %:z").to_string()
}

fn unknown(language: Language) -> &'static str {
    match language {
        Language::Zh => "（未知）",
        Language::En => "(unknown)",
    }
}

pub(crate) fn stage_name(stage: &str, language: Language) -> String {
    let name = match (stage, language) {
        ("ack", Language::Zh) => "回复",
        ("handle", Language::Zh) => "处理",
        ("plan", Language::Zh) => "推进方案",
        ("ack", Language::En) => "reply",
        ("handle", Language::En) => "handling",
        ("plan", Language::En) => "plan",
        (other, _) => other,
    };
    name.to_string()
}

/// The broken promise: "超过10分钟未回复" / "no reply within 10 minutes".
pub fn promise(stage: Option<&str>, target: Option<&str>, language: Language) -> String {
    let Some(stage) = stage else { return String::new() };
    let words = target.map(|t| duration_words(t, language));
    match (language, stage, words) {
        (Language::Zh, "ack", Some(d)) => format!("超过{d}未回复"),
        (Language::Zh, "handle", Some(d)) => format!("超过{d}未处理"),
        (Language::Zh, "plan", Some(d)) => format!("超过{d}未形成推进方案"),
        (Language::Zh, "ack", None) => "未按时回复".into(),
        (Language::Zh, "handle", None) => "未按时处理".into(),
        (Language::Zh, "plan", None) => "未按时形成推进方案".into(),
        (Language::Zh, other, Some(d)) => format!("超过{d}未完成「{other}」"),
        (Language::Zh, other, None) => format!("未按时完成「{other}」"),
        (Language::En, "ack", Some(d)) => format!("no reply within {d}"),
        (Language::En, "handle", Some(d)) => format!("not handled within {d}"),
        (Language::En, "plan", Some(d)) => format!("no agreed plan within {d}"),
        (Language::En, "ack", None) => "no timely reply".into(),
        (Language::En, "handle", None) => "not handled in time".into(),
        (Language::En, "plan", None) => "no agreed plan in time".into(),
        (Language::En, other, Some(d)) => format!("{other} not done within {d}"),
        (Language::En, other, None) => format!("{other} not done in time"),
    }
}

/// A target as words: `10m` → "10分钟" / "10 minutes", `1d` → "1天" / "1 day".
/// Anything else is shown as written.
pub fn duration_words(target: &str, language: Language) -> String {
    let target = target.trim();
    let Some(unit) = target.chars().last() else {
        return String::new();
    };
    let digits = &target[..target.len() - unit.len_utf8()];
    let Ok(amount) = digits.parse::<u64>() else {
        return target.to_string();
    };
    let (zh, en) = match unit {
        's' => ("秒", "second"),
        'm' => ("分钟", "minute"),
        'h' => ("小时", "hour"),
        'd' => ("天", "day"),
        _ => return target.to_string(),
    };
    match language {
        Language::Zh => format!("{amount}{zh}"),
        Language::En => format!("{amount} {en}{}", if amount == 1 { "" } else { "s" }),
    }
}

/// How late the stage is at `now`: "超时 12 分钟" / "12 minutes late".
pub fn late(deadline: Option<DateTime<Utc>>, now: DateTime<Utc>, language: Language) -> String {
    match deadline.map(|d| now - d).filter(|d| *d > TimeDelta::zero()) {
        Some(overdue) => match language {
            Language::Zh => format!("超时 {}", span(overdue, language)),
            Language::En => format!("{} late", span(overdue, language)),
        },
        None => match language {
            Language::Zh => "未超时".into(),
            Language::En => "not late yet".into(),
        },
    }
}

/// Time left before the deadline: "2 分钟" / "2 minutes".
pub fn remaining(deadline: Option<DateTime<Utc>>, now: DateTime<Utc>, language: Language) -> String {
    match deadline.map(|d| d - now).filter(|d| *d > TimeDelta::zero()) {
        Some(left) => span(left, language),
        None => match language {
            Language::Zh => "0 分钟".into(),
            Language::En => "no time".into(),
        },
    }
}

/// A positive duration in its two largest units, rounded down:
/// "1 小时 5 分钟" / "1 hour 5 minutes".
fn span(duration: TimeDelta, language: Language) -> String {
    let seconds = duration.num_seconds().max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds % 86_400 / 3_600, seconds % 3_600 / 60);
    let parts: Vec<(i64, &str, &str)> = if days > 0 {
        vec![(days, "天", "day"), (hours, "小时", "hour")]
    } else if hours > 0 {
        vec![(hours, "小时", "hour"), (minutes, "分钟", "minute")]
    } else if minutes > 0 {
        vec![(minutes, "分钟", "minute")]
    } else {
        vec![(seconds, "秒", "second")]
    };
    let words: Vec<String> = parts
        .into_iter()
        .enumerate()
        .filter(|(i, (amount, _, _))| *i == 0 || *amount > 0)
        .map(|(_, (amount, zh, en))| match language {
            Language::Zh => format!("{amount} {zh}"),
            Language::En => format!("{amount} {en}{}", if amount == 1 { "" } else { "s" }),
        })
        .collect();
    words.join(" ")
}

/// The first non-empty line, without `#` and `**`.
fn title_of(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    line.trim_start_matches('#').replace("**", "").trim().to_string()
}

#[cfg(test)]
mod tests;
