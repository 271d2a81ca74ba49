//! `slawatch report`: the compliance report read straight from the store
//! (the service may be stopped), as an aligned table, CSV, or the XLSX
//! workbook a zone office mails upward: one sheet per grouping, a frozen
//! header row, percentages formatted, Chinese headers by default.

use crate::domain::policy::PolicySet;
use crate::domain::Timestamp;
use crate::engine::compliance::{compliance, group_label, to_csv, Compliance, Figures, GroupBy, Period};
use crate::engine::report::{gather, ReportRequest};
use crate::store::Store;
use anyhow::Context;

/// How `slawatch report` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "table" => Some(Format::Table),
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// Headers in Chinese (the default) or English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Chinese,
    English,
}

/// The columns of the table and the workbook, by language.
fn headers(language: Language, group_by: GroupBy) -> [&'static str; 13] {
    let group = match (language, group_by) {
        (Language::Chinese, GroupBy::Project) => "项目",
        (Language::Chinese, GroupBy::Stage) => "范围",
        (Language::Chinese, GroupBy::Week) => "周",
        (Language::Chinese, GroupBy::Month) => "月份",
        (Language::Chinese, GroupBy::Staff) => "人员",
        (Language::English, other) => other.as_str(),
    };
    match language {
        Language::Chinese => [
            group,
            "名称",
            "环节",
            "发起",
            "按时达成",
            "超时达成",
            "超时合计",
            "豁免",
            "进行中",
            "达标率",
            "中位用时(分钟)",
            "P90用时(分钟)",
            "最长用时(分钟)",
        ],
        Language::English => [
            group,
            "name",
            "stage",
            "raised",
            "met on time",
            "met late",
            "breached",
            "waived",
            "open",
            "compliance",
            "median (min)",
            "p90 (min)",
            "max (min)",
        ],
    }
}

/// A sheet's name per grouping.
fn sheet_name(language: Language, group_by: GroupBy) -> &'static str {
    match (language, group_by) {
        (Language::Chinese, GroupBy::Project) => "按项目",
        (Language::Chinese, GroupBy::Stage) => "按环节",
        (Language::Chinese, GroupBy::Week) => "按周",
        (Language::Chinese, GroupBy::Month) => "按月",
        (Language::Chinese, GroupBy::Staff) => "按人员",
        (Language::English, other) => other.as_str(),
    }
}

fn stage_name(language: Language, stage: &str) -> &str {
    match (language, stage) {
        (Language::Chinese, "ack") => "响应",
        (Language::Chinese, "handle") => "处理",
        (Language::Chinese, "plan") => "方案",
        _ => stage,
    }
}

/// Minutes, to one decimal, of SLA-clock seconds.
fn minutes(seconds: Option<i64>) -> Option<f64> {
    seconds.map(|s| (s as f64 / 6.0).round() / 10.0)
}

/// One row of a grouping's table: its cells as text or numbers.
enum Cell {
    Text(String),
    Count(u64),
    Percent(Option<f64>),
    Minutes(Option<f64>),
}

impl Cell {
    fn shown(&self) -> String {
        match self {
            Cell::Text(text) => text.clone(),
            Cell::Count(count) => count.to_string(),
            Cell::Percent(Some(p)) => format!("{p:.1}%"),
            Cell::Minutes(Some(m)) => format!("{m:.1}"),
            Cell::Percent(None) | Cell::Minutes(None) => "—".to_string(),
        }
    }
}

fn rows(report: &Compliance, language: Language, name_of: &dyn Fn(&str) -> String) -> Vec<Vec<Cell>> {
    report
        .figures
        .iter()
        .map(|((group, stage), figures): (&(String, _), &Figures)| {
            vec![
                Cell::Text(group.clone()),
                Cell::Text(group_label(report.group_by, group, name_of)),
                Cell::Text(stage_name(language, stage.as_str()).to_string()),
                Cell::Count(figures.raised),
                Cell::Count(figures.met),
                Cell::Count(figures.met_late),
                Cell::Count(figures.breached),
                Cell::Count(figures.waived),
                Cell::Count(figures.open),
                Cell::Percent(figures.met_percent()),
                Cell::Minutes(minutes(figures.median())),
                Cell::Minutes(minutes(figures.p90())),
                Cell::Minutes(minutes(figures.max())),
            ]
        })
        .collect()
}

/// Columns a terminal gives a character: two for wide (CJK) characters.
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let wide = matches!(u32::from(c),
                0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
                | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD);
            if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

/// The report as a table aligned for a terminal: text left, numbers right.
pub fn to_table(report: &Compliance, language: Language, name_of: &dyn Fn(&str) -> String) -> String {
    let header: Vec<Cell> = headers(language, report.group_by)
        .iter()
        .map(|h| Cell::Text(h.to_string()))
        .collect();
    let body = rows(report, language, name_of);
    let shown: Vec<Vec<String>> = std::iter::once(&header)
        .chain(body.iter())
        .map(|row| row.iter().map(Cell::shown).collect())
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|column| {
            shown
                .iter()
                .map(|row| display_width(&row[column]))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &shown {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(column, text)| {
                let pad = " ".repeat(widths[column] - display_width(text));
                if column < 3 {
                    format!("{text}{pad}")
                } else {
                    format!("{pad}{text}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    if body.is_empty() {
        out.push_str(match language {
            Language::Chinese => "（本期间无问题）\n",
            Language::English => "(no issue raised in the period)\n",
        });
    }
    out
}

/// The workbook: one sheet per report, each with a bold, frozen header row.
pub fn to_xlsx(
    reports: &[Compliance],
    language: Language,
    name_of: &dyn Fn(&str) -> String,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format as CellFormat, Workbook};
    let mut workbook = Workbook::new();
    let bold = CellFormat::new().set_bold();
    let percent = CellFormat::new().set_num_format("0.0%");
    let decimal = CellFormat::new().set_num_format("0.0");
    for report in reports {
        let sheet = workbook.add_worksheet();
        sheet.set_name(sheet_name(language, report.group_by))?;
        for (column, header) in (0u16..).zip(headers(language, report.group_by)) {
            sheet.write_string_with_format(0, column, header, &bold)?;
            sheet.set_column_width(column, if column < 3 { 18 } else { 12 })?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (row, cells) in (1u32..).zip(rows(report, language, name_of)) {
            for (column, cell) in (0u16..).zip(cells) {
                match cell {
                    Cell::Text(text) => sheet.write_string(row, column, text)?,
                    Cell::Count(count) => sheet.write_number(row, column, count as f64)?,
                    Cell::Percent(Some(p)) => {
                        sheet.write_number_with_format(row, column, p / 100.0, &percent)?
                    }
                    Cell::Minutes(Some(m)) => sheet.write_number_with_format(row, column, m, &decimal)?,
                    Cell::Percent(None) | Cell::Minutes(None) => sheet,
                };
            }
        }
    }
    workbook.save_to_buffer()
}

/// What `slawatch report` was asked.
#[derive(Debug, Clone)]
pub struct ReportCommand {
    pub period: Period,
    pub project: Option<String>,
    /// Table and CSV: one grouping; XLSX has a sheet for each.
    pub group_by: GroupBy,
    pub format: Format,
    pub language: Language,
}

/// Runs `slawatch report`: the bytes to write (to a file or stdout).
pub async fn run(
    store: &Store,
    policies: &PolicySet,
    name_of: &dyn Fn(&str) -> String,
    command: &ReportCommand,
    now: Timestamp,
) -> anyhow::Result<Vec<u8>> {
    let request = ReportRequest {
        period: command.period,
        project: command.project.clone(),
        // Staff need the events too: only read them when asked.
        group_by: match command.format {
            Format::Xlsx => GroupBy::Staff,
            _ => command.group_by,
        },
        limit: None,
    };
    let gathered = gather(store, policies, &request)
        .await
        .context("cannot read the report from the store")?;
    let count = |group_by| compliance(&gathered.cycles, group_by, &gathered.met_by, now);
    Ok(match command.format {
        Format::Table => to_table(&count(command.group_by), command.language, name_of).into_bytes(),
        Format::Csv => to_csv(&count(command.group_by), name_of).into_bytes(),
        Format::Xlsx => {
            let reports: Vec<Compliance> = GroupBy::ALL.into_iter().map(count).collect();
            to_xlsx(&reports, command.language, name_of).context("cannot write the workbook")?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("中泰"), 4);
        assert_eq!(display_width("达标率"), 6);
    }

    #[test]
    fn an_empty_report_says_so() {
        let report = Compliance::default();
        let table = to_table(&report, Language::English, &|key| key.to_string());
        assert!(table.contains("no issue raised"), "{table}");
        assert!(table.starts_with("project"), "{table}");
    }
}
