use super::*;
use crate::notify::render::{plain, render};
use crate::notify::test_support::{notification, NOW_MS};

/// A fresh, empty directory under the system temp dir.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("slawatch-templates-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("zh")).unwrap();
    std::fs::create_dir_all(dir.join("en")).unwrap();
    dir
}

#[test]
fn the_built_in_templates_pass_the_check() {
    assert_eq!(Templates::builtin().check(), Vec::new());
}

#[test]
fn the_shipped_files_are_the_built_in_templates() {
    // Next to this file, wherever the crate is built from (`file!()` may be absolute).
    let file = Path::new(file!());
    let here = if file.is_absolute() {
        file.to_path_buf()
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(file)
    };
    let shipped = here.parent().unwrap().join("../../../config/templates");
    let loaded = Templates::load(&shipped).unwrap();
    assert_eq!(loaded.check(), Vec::new());
    for language in Language::ALL {
        for kind in NotificationKind::ALL {
            assert_eq!(
                loaded.get(language, kind),
                Templates::builtin().get(language, kind)
            );
        }
    }
}

#[test]
fn an_override_replaces_one_template_and_the_rest_stay_built_in() {
    let dir = scratch_dir("override");
    std::fs::write(dir.join("zh/breach.md"), "超时：{title}（{late}）").unwrap();
    let templates = Templates::load(&dir).unwrap();
    let text = render(
        &templates,
        Language::Zh,
        &notification(NotificationKind::Breach),
        NOW_MS,
        plain,
    )
    .text;
    assert_eq!(text, "超时：工地因管道抢修停水（超时 12 分钟）");
    assert_eq!(
        templates.get(Language::En, NotificationKind::Breach),
        Templates::builtin().get(Language::En, NotificationKind::Breach)
    );
    let problems = templates.check();
    assert_eq!(
        problems.len(),
        2 * NotificationKind::ALL.len() - 1,
        "{problems:?}"
    );
    assert!(problems
        .iter()
        .all(|p| p.problem == Problem::Missing && !p.is_error()));
    assert!(problems[0].to_string().contains("built-in template is used"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_check_reports_unknown_placeholders_braces_and_stray_files() {
    let dir = scratch_dir("faulty");
    std::fs::write(dir.join("zh/breach.md"), "{project_name} {titel}").unwrap();
    std::fs::write(dir.join("en/breach.md"), "late by {late").unwrap();
    std::fs::write(dir.join("en/warning.md"), "  \n").unwrap();
    std::fs::write(dir.join("zh/breech.md"), "typo").unwrap();
    let problems: Vec<TemplateProblem> = Templates::load(&dir)
        .unwrap()
        .check()
        .into_iter()
        .filter(TemplateProblem::is_error)
        .collect();
    let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 4, "{shown:#?}");
    for expected in [
        "zh/breach.md: unknown placeholder {titel}",
        "en/breach.md: a `{` or `}` is not closed",
        "en/warning.md: the template is empty",
        "zh/breech.md: matches no notification kind",
    ] {
        assert!(
            shown.iter().any(|s| s.contains(expected)),
            "{expected}: {shown:#?}"
        );
    }
    // A faulty template still delivers: unknown placeholders stay as written.
    let templates = Templates::load(&dir).unwrap();
    let text = render(
        &templates,
        Language::Zh,
        &notification(NotificationKind::Breach),
        NOW_MS,
        plain,
    )
    .text;
    assert_eq!(text, "中泰环保绿色环保过滤设备制造项目 {titel}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_missing_directory_is_an_error() {
    let error = Templates::load(Path::new("/nonexistent/slawatch/templates")).unwrap_err();
    assert!(error.contains("/nonexistent/slawatch/templates"));
}

#[test]
fn doubled_braces_are_literal() {
    assert_eq!(
        parse("{{x}} {seq}").unwrap(),
        vec![
            Piece::Text("{"),
            Piece::Text("x"),
            Piece::Text("}"),
            Piece::Text(" "),
            Piece::Placeholder("seq")
        ]
    );
    assert!(parse("a } b").is_err());
    assert!(parse("{a b}").is_err());
}

#[test]
fn template_files_are_named_by_language_and_kind() {
    assert_eq!(file_name(Language::Zh, NotificationKind::Breach), "zh/breach.md");
    assert_eq!(
        file_name(Language::En, NotificationKind::DailyDigest),
        "en/daily_digest.md"
    );
}
