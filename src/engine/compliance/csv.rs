//! The compliance figures as CSV: the page's download, the API's
//! `format=csv` and `slawatch report --format csv`.

use super::{Compliance, GroupBy};

/// The header of [`to_csv`]: the first ten columns are those of the first
/// version of the report, in the same order.
pub const CSV_HEADER: &str =
    "project,project_name,stage,met,breached,waived,open,met_percent,median_seconds,\
                              p90_seconds,raised,met_late,max_seconds";

/// The header of [`to_csv`] for a grouping other than by project.
fn csv_header(group_by: GroupBy) -> String {
    match group_by {
        GroupBy::Project => CSV_HEADER.to_string(),
        other => CSV_HEADER.replacen("project,project_name", &format!("{},label", other.as_str()), 1),
    }
}

/// A CSV field: quoted when it must be, and never read as a formula by a
/// spreadsheet.
pub fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The label shown beside a group's key: a project's configured name, and
/// the key itself for other groupings ("all projects" for `stage`).
pub fn group_label(group_by: GroupBy, key: &str, name_of: &dyn Fn(&str) -> String) -> String {
    match group_by {
        GroupBy::Project => name_of(key),
        GroupBy::Stage => "all projects".to_string(),
        _ => key.to_string(),
    }
}

/// The figures as CSV, one line per group and stage (the page's download,
/// `GET /v1/reports/compliance?format=csv` and `slawatch report --format
/// csv` alike).
pub fn to_csv(report: &Compliance, name_of: &dyn Fn(&str) -> String) -> String {
    let mut out = format!("{}\r\n", csv_header(report.group_by));
    for ((group, stage), figures) in &report.figures {
        let optional = |value: Option<String>| value.unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
            field(group),
            field(&group_label(report.group_by, group, name_of)),
            stage.as_str(),
            figures.met,
            figures.breached,
            figures.waived,
            figures.open,
            optional(figures.met_percent().map(|p| format!("{p:.1}"))),
            optional(figures.median().map(|s| s.to_string())),
            optional(figures.p90().map(|s| s.to_string())),
            figures.raised,
            figures.met_late,
            optional(figures.max().map(|s| s.to_string())),
        ));
    }
    out
}
