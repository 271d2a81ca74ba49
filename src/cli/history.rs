//! `slawatch report`, `import`, `export` and `replay`: their arguments
//! checked and handed to the library's `history`, the output written.

use crate::config::Config;
use std::path::PathBuf;

pub(super) fn report_command(
    from: &str,
    to: &str,
    project: Option<String>,
    format: &str,
    group_by: &str,
    lang: &str,
) -> Result<crate::history::report::ReportCommand, String> {
    use crate::engine::compliance::{GroupBy, Period};
    use crate::history::report::{Format, Language, ReportCommand};
    Ok(ReportCommand {
        period: Period::parse(from, to, None).map_err(|(field, message)| format!("--{field}: {message}"))?,
        project,
        group_by: GroupBy::parse(group_by).ok_or("--group-by is project, stage, week, month or staff")?,
        format: Format::parse(format).ok_or("--format is table, csv or xlsx")?,
        language: match lang {
            "zh" => Language::Chinese,
            "en" => Language::English,
            _ => return Err("--lang is zh or en".into()),
        },
    })
}

/// Writes to `out`, or to standard output.
pub(super) fn write_out(out: Option<&std::path::Path>, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    match out {
        Some(path) => std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display())),
        None => std::io::stdout()
            .write_all(bytes)
            .context("cannot write to standard output"),
    }
}

/// `slawatch import events|messages FILE`.
pub(super) async fn import(
    config: &Config,
    what: &str,
    file: &std::path::Path,
    source: &str,
) -> anyhow::Result<()> {
    use crate::history::import::{import_events, import_messages, Progress};
    use anyhow::Context;
    if what != "events" && what != "messages" {
        anyhow::bail!("import what? `events` or `messages`, not `{what}`");
    }
    let (mut input, size): (Box<dyn std::io::BufRead>, Option<u64>) = if file == std::path::Path::new("-") {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let opened = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        let size = opened.metadata().ok().map(|m| m.len());
        (Box::new(std::io::BufReader::with_capacity(1 << 20, opened)), size)
    };
    let store = crate::open_store(config).await?;
    let (writer, task) = crate::history::quiet_writer(&store, config);
    let skew = config.engine.max_future_skew;
    let mut progress = Progress::new(if what == "events" { "events" } else { "messages" }, size);
    let tally = if what == "events" {
        import_events(&writer, &mut *input, source, skew, &mut progress).await
    } else {
        import_messages(&writer, &mut *input, source, skew, &mut progress).await
    };
    drop(writer);
    let _ = task.await;
    store.close().await;
    let tally = tally?;
    let rate = progress.finish(&tally);
    let events = if what == "messages" {
        format!(", {} events", tally.events)
    } else {
        String::new()
    };
    println!("imported {what}: {tally}{events} ({rate:.0} lines/s)");
    Ok(())
}

/// An optional `--from`/`--to` pair.
fn period(
    from: Option<String>,
    to: Option<String>,
) -> anyhow::Result<Option<crate::engine::compliance::Period>> {
    use crate::engine::compliance::Period;
    match (from, to) {
        (None, None) => Ok(None),
        (Some(from), Some(to)) => Period::parse(&from, &to, None)
            .map(Some)
            .map_err(|(field, message)| anyhow::anyhow!("--{field}: {message}")),
        _ => anyhow::bail!("--from and --to go together"),
    }
}

/// `slawatch export events|issues|breaches`.
pub(super) async fn export(
    config: &Config,
    what: &str,
    from: Option<String>,
    to: Option<String>,
    project: Option<String>,
    format: &str,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    use crate::engine::compliance::Period;
    use crate::history::export::{export, ExportFormat, What};
    use anyhow::Context;
    let what = match what {
        "events" => What::Events,
        "issues" => What::Issues,
        "breaches" => What::Breaches,
        other => anyhow::bail!("export what? `events`, `issues` or `breaches`, not `{other}`"),
    };
    let format = match (format, what) {
        ("jsonl", _) => ExportFormat::Jsonl,
        ("csv", What::Issues | What::Breaches) => ExportFormat::Csv,
        _ => anyhow::bail!("--format is jsonl, or csv for issues and breaches"),
    };
    let zone = config.policies.select("", None).calendar.time_zone();
    let (from, to) = match period(from, to)? {
        None => (None, None),
        Some(Period::Instants { from, to }) => (Some(from), Some(to)),
        Some(Period::Dates { from, to }) => {
            let midnight = |date: chrono::NaiveDate| {
                use chrono::TimeZone;
                let local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
                zone.from_local_datetime(&local)
                    .earliest()
                    .map(|at| at.to_utc())
                    .unwrap_or_else(|| local.and_utc())
            };
            (Some(midnight(from)), Some(midnight(to)))
        }
    };
    let filter = crate::store::history::ExportFilter { project, from, to };
    let store = crate::open_store(config).await?;
    let mut sink: Box<dyn std::io::Write> = match &out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let written = export(&store, what, format, &filter, &mut *sink).await?;
    store.close().await;
    eprintln!("exported {written} records");
    Ok(())
}

/// `slawatch replay [--from --to] [--project] [--apply]` under `--config`.
pub(super) async fn replay(
    config: &Config,
    from: Option<String>,
    to: Option<String>,
    project: Option<String>,
    apply: bool,
    against: Option<&Config>,
) -> anyhow::Result<()> {
    use crate::history::replay::{describe, replay, target_changes, Scope};
    let scope = Scope {
        period: period(from, to)?,
        project,
    };
    let store = crate::open_store(config).await?;
    let diff = replay(&store, config, &scope, chrono::Utc::now()).await?;
    let changes = against.map_or_else(Vec::new, |current| {
        target_changes(&current.policies, &config.policies)
    });
    print!("{}", describe(&diff, &changes));
    if apply {
        let count = crate::history::replay::apply(&store, config).await?;
        println!("derived state rebuilt for {count} issues under this configuration");
    }
    store.close().await;
    Ok(())
}
