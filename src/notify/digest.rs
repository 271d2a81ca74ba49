//! The daily digest's figures and how they read: yesterday's issues per stage
//! (met on time, breached, still running, waived) and every issue still
//! open past a deadline. The engine compiles a [`Digest`] once; each channel
//! renders it in its own language through the `{digest}` placeholder.

use super::render::{local_time, stage_name};
use super::Language;
pub use crate::domain::digest::{Digest, Overdue, ProjectLine, StageFigures, OVERDUE_LISTED};
use crate::domain::from_ms;

/// The digest as markdown lines in `language`, times in `zone`; `escape`
/// neutralizes markup in issue titles and names.
pub fn render(
    digest: &Digest,
    language: Language,
    zone: chrono_tz::Tz,
    escape: fn(&str) -> String,
) -> String {
    let zh = language == Language::Zh;
    let mut lines = Vec::new();
    lines.push(if zh {
        format!("**{}** 新增问题 {} 件", digest.day, digest.raised)
    } else {
        format!(
            "**{}**: {} new issue{}",
            digest.day,
            digest.raised,
            plural(digest.raised)
        )
    });
    for figures in &digest.stages {
        let stage = stage_name(&figures.stage, language);
        lines.push(if zh {
            format!(
                "- {stage}：按时 {}，超时 {}，进行中 {}，免除 {}",
                figures.met, figures.breached, figures.running, figures.waived
            )
        } else {
            format!(
                "- {stage}: {} on time, {} breached, {} running, {} waived",
                figures.met, figures.breached, figures.running, figures.waived
            )
        });
    }
    if !digest.projects.is_empty() {
        lines.push(String::new());
        for line in &digest.projects {
            let name = escape(&line.project_name);
            lines.push(if zh {
                format!(
                    "- {name}：新增 {}，超时 {}，仍超时未办 {}",
                    line.raised, line.breached, line.overdue
                )
            } else {
                format!(
                    "- {name}: {} new, {} breached, {} still overdue",
                    line.raised, line.breached, line.overdue
                )
            });
        }
    }
    lines.push(String::new());
    if digest.overdue_total == 0 {
        lines.push(
            if zh {
                "没有超时未办的问题。"
            } else {
                "No issue is open past a deadline."
            }
            .to_string(),
        );
        return lines.join("\n");
    }
    lines.push(if zh {
        format!("**仍超时未办 {} 件**", digest.overdue_total)
    } else {
        format!("**Still open past a deadline: {}**", digest.overdue_total)
    });
    for item in &digest.overdue {
        let stage = stage_name(&item.stage, language);
        let deadline = local_time(from_ms(item.deadline_ms), zone);
        let (title, project) = (escape(&item.title), escape(&item.project_name));
        lines.push(if zh {
            format!("- #{} {title}（{project}）：{stage}截止 {deadline}", item.seq)
        } else {
            format!("- #{} {title} ({project}): {stage} due {deadline}", item.seq)
        });
    }
    let unlisted = digest.overdue_total - digest.overdue.len() as i64;
    if unlisted > 0 {
        lines.push(if zh {
            format!("- 另有 {unlisted} 件")
        } else {
            format!("- and {unlisted} more")
        });
    }
    lines.join("\n")
}

fn plural(count: i64) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Digest {
        Digest {
            day: "2025-03-03".into(),
            raised: 3,
            stages: vec![StageFigures {
                stage: "ack".into(),
                met: 2,
                breached: 1,
                running: 0,
                waived: 0,
            }],
            overdue: vec![Overdue {
                seq: 12,
                issue: "water".into(),
                title: "工地停水".into(),
                project_name: "中泰环保".into(),
                stage: "handle".into(),
                deadline_ms: 1_741_010_520_000,
                // 2025-03-03 14:02 UTC
            }],
            overdue_total: 3,
            projects: Vec::new(),
        }
    }

    #[test]
    fn a_digest_reads_per_stage_and_lists_the_overdue_in_the_zone_time() {
        let text = render(&sample(), Language::Zh, chrono_tz::Asia::Shanghai, |s| {
            s.to_string()
        });
        assert!(text.starts_with("**2025-03-03** 新增问题 3 件"), "{text}");
        assert!(
            text.contains("- 回复：按时 2，超时 1，进行中 0，免除 0"),
            "{text}"
        );
        assert!(text.contains("**仍超时未办 3 件**"), "{text}");
        assert!(
            text.contains("- #12 工地停水（中泰环保）：处理截止 2025-03-03 22:02 +08:00"),
            "{text}"
        );
        assert!(text.contains("- 另有 2 件"), "{text}");
        let english = render(&sample(), Language::En, chrono_tz::Asia::Shanghai, |s| {
            s.to_string()
        });
        assert!(
            english.contains("- reply: 2 on time, 1 breached, 0 running, 0 waived"),
            "{english}"
        );
        assert!(english.contains("- and 2 more"), "{english}");
    }

    #[test]
    fn a_quiet_day_says_nothing_is_overdue() {
        let digest = Digest {
            day: "2025-03-03".into(),
            ..Digest::default()
        };
        let text = render(&digest, Language::En, chrono_tz::UTC, |s| s.to_string());
        assert!(text.contains("0 new issues"), "{text}");
        assert!(text.ends_with("No issue is open past a deadline."), "{text}");
    }

    #[test]
    fn titles_are_escaped() {
        let mut digest = sample();
        digest.overdue[0].title = "**bold**".into();
        let text = render(&digest, Language::En, chrono_tz::UTC, |s| s.replace('*', "\\*"));
        assert!(text.contains("\\*\\*bold\\*\\*"), "{text}");
    }
}
