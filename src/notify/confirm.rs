//! What the bot says back in the group (SPEC §4, a project's `confirm`):
//! that an issue was taken on, with its number and the promise, and, with
//! `all`, what each later message recorded. Pure: the caller passes what a
//! message did and the policy's targets.

use super::render::duration_words;
use super::Language;

/// A project's choice of confirmations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Confirm {
    /// Nothing is said in the group.
    #[default]
    Off,
    /// Only new issues: 「已受理 #12：…」.
    Raised,
    /// New issues and every recorded stage, close and reopening.
    All,
}

impl Confirm {
    /// `off`, `raised` or `all`.
    pub fn parse(text: &str) -> Option<Confirm> {
        match text {
            "off" => Some(Confirm::Off),
            "raised" => Some(Confirm::Raised),
            "all" => Some(Confirm::All),
            _ => None,
        }
    }
}

/// One thing a message did: the issue's number and an event kind or `joined`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done<'a> {
    pub seq: i64,
    pub kind: &'a str,
}

/// The stage targets as written (`10m`, `2h`, `1d`), in stage order.
pub type Targets<'a> = &'a [(&'a str, String)];

/// The confirmation for what a message did, one line per issue it raised
/// or moved; `None` when there is nothing to say.
pub fn confirmation(mode: Confirm, done: &[Done], targets: Targets, language: Language) -> Option<String> {
    let mut lines = Vec::new();
    for item in done {
        let line = match (mode, item.kind) {
            (Confirm::Off, _) => None,
            (_, "raised") => Some(received(item.seq, targets, language)),
            (Confirm::Raised, _) => None,
            (Confirm::All, kind) => recorded(item.seq, kind, language),
        };
        lines.extend(line);
    }
    lines.dedup();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn received(seq: i64, targets: Targets, language: Language) -> String {
    let promise: Vec<String> = targets
        .iter()
        .map(|(stage, target)| {
            let within = duration_words(target, language);
            match (language, *stage) {
                (Language::Zh, "ack") => format!("{within}内回复"),
                (Language::Zh, "handle") => format!("{within}内处理"),
                (Language::Zh, "plan") => format!("{within}内给出推进计划"),
                (Language::Zh, other) => format!("{within}内完成「{other}」"),
                (Language::En, "ack") => format!("a reply within {within}"),
                (Language::En, "handle") => format!("handling within {within}"),
                (Language::En, "plan") => format!("an agreed plan within {within}"),
                (Language::En, other) => format!("{other} within {within}"),
            }
        })
        .collect();
    match language {
        Language::Zh => format!("已受理 #{seq}：{}", promise.join("、")),
        Language::En => format!("Received as #{seq}: {}", promise.join(", ")),
    }
}

fn recorded(seq: i64, kind: &str, language: Language) -> Option<String> {
    let zh = match kind {
        "handled" => "已记为已处理",
        "planned" => "已记为有推进计划",
        "closed" => "已关闭",
        "reopened" => "已重新打开",
        "paused" => "已暂停计时",
        "resumed" => "已恢复计时",
        _ => return None,
    };
    let en = match kind {
        "handled" => "recorded as handled",
        "planned" => "recorded as planned",
        "closed" => "closed",
        "reopened" => "reopened",
        "paused" => "clock paused",
        _ => "clock resumed",
    };
    Some(match language {
        Language::Zh => format!("#{seq} {zh}（如有误，专班回复此消息 #撤销）"),
        Language::En => format!("#{seq} {en} (staff: reply /undo if this is wrong)"),
    })
}

/// The language of a confirmation: English when the message holds no
/// Chinese, Chinese otherwise.
pub fn language_of(text: &str) -> Language {
    if text.chars().any(|c| matches!(c as u32, 0x4E00..=0x9FFF)) || text.trim().is_empty() {
        Language::Zh
    } else {
        Language::En
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets() -> Vec<(&'static str, String)> {
        vec![
            ("ack", "10m".into()),
            ("handle", "2h".into()),
            ("plan", "1d".into()),
        ]
    }

    #[test]
    fn a_new_issue_is_confirmed_with_its_number_and_the_promise() {
        let done = [Done {
            seq: 12,
            kind: "raised",
        }];
        let targets = targets();
        assert_eq!(
            confirmation(Confirm::Raised, &done, &targets, Language::Zh).as_deref(),
            Some("已受理 #12：10分钟内回复、2小时内处理、1天内给出推进计划")
        );
        assert_eq!(
            confirmation(Confirm::All, &done, &targets, Language::En).as_deref(),
            Some("Received as #12: a reply within 10 minutes, handling within 2 hours, an agreed plan within 1 day")
        );
        assert_eq!(confirmation(Confirm::Off, &done, &targets, Language::Zh), None);
    }

    #[test]
    fn stages_are_confirmed_only_with_all_and_acknowledgements_never() {
        let targets = targets();
        let done = [
            Done {
                seq: 3,
                kind: "acknowledged",
            },
            Done {
                seq: 3,
                kind: "handled",
            },
            Done {
                seq: 4,
                kind: "joined",
            },
        ];
        assert_eq!(confirmation(Confirm::Raised, &done, &targets, Language::Zh), None);
        assert_eq!(
            confirmation(Confirm::All, &done, &targets, Language::Zh).as_deref(),
            Some("#3 已记为已处理（如有误，专班回复此消息 #撤销）")
        );
    }

    #[test]
    fn the_language_follows_the_message() {
        assert_eq!(language_of("Lights are off again"), Language::En);
        assert_eq!(language_of("停电了"), Language::Zh);
        assert_eq!(language_of(""), Language::Zh);
    }
}
