//! The board's read: open issues, most urgent first, one page at a time.
//!
//! An open issue stands in one of four tiers at `now`, from the board keys
//! the writer keeps (`running_deadline_ms` d, `running_at_risk_ms` r, with
//! r ≤ d; see `rows::BOARD_COLUMNS`):
//!
//! 0. breached: d < now;
//! 1. at risk: r ≤ now ≤ d;
//! 2. the rest: r > now;
//! 3. no running clock: d is NULL.
//!
//! Tiers 0–2 are ordered by (d, seq), tier 3 by seq. Each tier is a range of
//! an index on (project, d, seq) or (d, seq) (SQLite migration 0012,
//! PostgreSQL 0009), so a page reads about as many index entries as it
//! shows. Tier 1 is the one that no single range of d holds: it is read
//! from a partial index of the issues that were at risk when last written,
//! plus the issues whose warning time passed since their last write, which
//! are all due for the timer's visit (a warning is on the timer's agenda)
//! and so found through `issues_by_due`.
//!
//! With a stage filter the board orders by that stage's own clock, read the
//! same way from that stage's columns (`{stage}_deadline_ms`,
//! `{stage}_at_risk_ms`) and its partial indexes (SQLite migration 0015,
//! PostgreSQL 0012): `issues_{stage}_board` holds the issues whose clock for
//! the stage runs, `issues_{stage}_board_risk` those of them at risk when
//! last written, and `issues_paused_board` the few with a frozen clock
//! (tier 3 of a stage is its paused clocks).

use super::rows::{IssueRow, ISSUE_COLUMNS};
use super::sql::{Param, Statement};
use super::{get, to_ms, Backend, Store, StoreResult};
use crate::domain::policy::Stage;
use crate::domain::Timestamp;

/// Which open issues the board shows.
#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    pub project: Option<String>,
    /// Only issues whose clock for this stage is unsettled, ordered by it.
    pub stage: Option<Stage>,
    /// Rows to skip (page × page size), when there is no cursor.
    pub offset: i64,
    pub limit: i64,
    /// Rows after this one (the last row of the previous page).
    pub after: Option<BoardCursor>,
}

/// Where a row stands on the board: its tier at the time it was shown, its
/// running deadline and number. A page's next page starts after its last
/// row's cursor, wherever the rows before it went in the meantime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardCursor {
    pub tier: u8,
    pub deadline_ms: Option<i64>,
    pub seq: i64,
}

impl BoardCursor {
    /// The cursor of `row` at `now` on the board of `stage` (or the whole
    /// board).
    pub fn of(row: &IssueRow, stage: Option<Stage>, now: Timestamp) -> BoardCursor {
        let running = match stage {
            None => row.running_clock(),
            Some(stage) => row.stage_running_clock(stage),
        };
        let tier = match running {
            Some(clock) if clock.deadline < now => 0,
            Some(clock) if clock.at_risk <= now => 1,
            Some(_) => 2,
            None => 3,
        };
        BoardCursor {
            tier,
            deadline_ms: running.map(|clock| to_ms(clock.deadline)),
            seq: row.seq,
        }
    }

    /// `tier.deadline.seq`, the deadline empty in tier 3.
    pub fn parse(text: &str) -> Option<BoardCursor> {
        let mut parts = text.split('.');
        let tier: u8 = parts.next()?.parse().ok()?;
        let deadline = parts.next()?;
        let seq = parts.next()?.parse().ok()?;
        if parts.next().is_some() || tier > 3 {
            return None;
        }
        let deadline_ms = match (tier, deadline) {
            (3, "") => None,
            (3, _) => return None,
            (_, deadline) => Some(deadline.parse().ok()?),
        };
        Some(BoardCursor {
            tier,
            deadline_ms,
            seq,
        })
    }
}

impl std::fmt::Display for BoardCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let deadline = self.deadline_ms.map_or(String::new(), |ms| ms.to_string());
        write!(f, "{}.{deadline}.{}", self.tier, self.seq)
    }
}

/// Open issues: word for word the WHERE of the board's indexes.
const LIVE: &str = "status IN ('open', 'paused')";
/// Open issues with a frozen clock: word for word the WHERE of
/// `issues_paused_board`, the index of a stage board's tier 3.
const SOME_CLOCK_PAUSED: &str = "(ack_outcome IN ('paused', 'paused_at_risk') \
    OR handle_outcome IN ('paused', 'paused_at_risk') OR plan_outcome IN ('paused', 'paused_at_risk'))";

/// Which clock a board orders by, and the columns and indexes that hold it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Keys {
    /// The whole board: each issue's earliest running clock (the board keys).
    Board,
    /// One stage's own clock.
    Stage(Stage),
}

impl Keys {
    fn deadline(self) -> String {
        match self {
            Keys::Board => "running_deadline_ms".into(),
            Keys::Stage(stage) => format!("{}_deadline_ms", stage.as_str()),
        }
    }

    fn at_risk(self) -> String {
        match self {
            Keys::Board => "running_at_risk_ms".into(),
            Keys::Stage(stage) => format!("{}_at_risk_ms", stage.as_str()),
        }
    }

    /// The terms every read of `part` has, word for word the WHERE of the
    /// index it reads.
    fn live(self, part: Part) -> Vec<String> {
        let mut terms = vec![LIVE.to_string()];
        match self {
            Keys::Board => {}
            Keys::Stage(stage) if part == Part::NoClock => {
                terms.push(SOME_CLOCK_PAUSED.into());
                terms.push(format!(
                    "{}_outcome IN ('paused', 'paused_at_risk')",
                    stage.as_str()
                ));
            }
            Keys::Stage(stage) => terms.push(format!("{}_outcome = 'running'", stage.as_str())),
        }
        if part == Part::AtRiskWritten {
            terms.push(format!("{} <= updated_ms", self.at_risk()));
        }
        terms
    }

    /// The index a read of `part` uses. A stage's indexes are the zone's
    /// (they hold the project as their last column, so a project's page
    /// filters index entries without reading rows).
    fn index(self, part: Part, zone: bool) -> String {
        match (self, part, zone) {
            (_, Part::AtRiskSince, _) => "issues_by_due".into(),
            (Keys::Board, Part::AtRiskWritten, true) => "issues_board_zone_risk".into(),
            (Keys::Board, Part::AtRiskWritten, false) => "issues_board_risk".into(),
            (Keys::Board, _, true) => "issues_board_zone".into(),
            (Keys::Board, _, false) => "issues_board".into(),
            (Keys::Stage(_), Part::NoClock, _) => "issues_paused_board".into(),
            (Keys::Stage(stage), Part::AtRiskWritten, _) => format!("issues_{}_board_risk", stage.as_str()),
            (Keys::Stage(stage), _, _) => format!("issues_{}_board", stage.as_str()),
        }
    }
}

/// The part of one tier's read that a range scan answers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Part {
    Breached,
    /// Tier 1, issues at risk when last written.
    AtRiskWritten,
    /// Tier 1, issues whose warning time passed after their last write.
    AtRiskSince,
    Rest,
    NoClock,
}

impl Part {
    fn of_tier(tier: u8) -> &'static [Part] {
        match tier {
            0 => &[Part::Breached],
            1 => &[Part::AtRiskWritten, Part::AtRiskSince],
            2 => &[Part::Rest],
            _ => &[Part::NoClock],
        }
    }
}

/// What a range read selects.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Select {
    Rows,
    /// `COUNT(*)` of at most `limit` entries (how many an offset skips).
    Count,
}

/// What every range read of one tier shares.
#[derive(Clone, Copy)]
struct Scope<'a> {
    backend: Backend,
    keys: Keys,
    /// One project's issues, or the zone's.
    project: Option<&'a str>,
    now: i64,
    /// Rows after this one, a row of the same tier.
    after: Option<&'a BoardCursor>,
}

/// The read of `part` of the board in `scope`: `limit` rows from `offset`.
fn range(scope: Scope<'_>, part: Part, select: Select, limit: i64, offset: i64) -> Statement {
    let Scope {
        backend,
        keys,
        project,
        now,
        after,
    } = scope;
    let mut statement = Statement::new("");
    let mut bind = |value: Param| statement.placeholder(value);
    // SQLite is told which index to read: its planner, without statistics,
    // may otherwise prefer another range of the same index, or one whose
    // order spares it a sort but which it reads in full.
    let indexed_by = match backend {
        Backend::Sqlite => format!(" INDEXED BY {}", keys.index(part, project.is_none())),
        Backend::Postgres => String::new(),
    };
    let (deadline, at_risk) = (keys.deadline(), keys.at_risk());
    let mut terms: Vec<String> = Vec::new();
    if part == Part::AtRiskSince {
        // The WHERE of `issues_by_due`, then the timer's due issues.
        terms.push("next_due_ms IS NOT NULL".into());
        terms.push(format!("next_due_ms <= {}", bind(Param::from(now))));
    }
    terms.extend(keys.live(part));
    if let Some(project) = project {
        terms.push(format!("project = {}", bind(Param::from(project.to_string()))));
    }
    match part {
        Part::Breached => terms.push(format!("{deadline} < {}", bind(Param::from(now)))),
        Part::AtRiskWritten | Part::AtRiskSince => {
            if part == Part::AtRiskSince {
                terms.push(format!("{at_risk} > updated_ms"));
            }
            terms.push(format!("{deadline} >= {}", bind(Param::from(now))));
            terms.push(format!("{at_risk} <= {}", bind(Param::from(now))));
        }
        Part::Rest => {
            terms.push(format!("{deadline} > {}", bind(Param::from(now))));
            terms.push(format!("{at_risk} > {}", bind(Param::from(now))));
        }
        Part::NoClock if keys == Keys::Board => terms.push(format!("{deadline} IS NULL")),
        // A stage's tier 3 is its frozen clocks (`live`).
        Part::NoClock => {}
    }
    if let Some(after) = after {
        match (part, after.deadline_ms) {
            (Part::NoClock, _) | (_, None) => terms.push(format!("seq > {}", bind(Param::from(after.seq)))),
            (_, Some(after_deadline)) => {
                let (d, s) = (bind(Param::from(after_deadline)), bind(Param::from(after.seq)));
                terms.push(format!("({deadline}, seq) > ({d}, {s})"));
            }
        }
    }
    let order = if part == Part::NoClock {
        "seq".to_string()
    } else {
        format!("{deadline}, seq")
    };
    let (limit, offset) = (bind(Param::from(limit)), bind(Param::from(offset)));
    let filtered = format!("FROM issues{indexed_by} WHERE {}", terms.join(" AND "));
    let sql = match select {
        Select::Rows => {
            format!("SELECT {ISSUE_COLUMNS} {filtered} ORDER BY {order} LIMIT {limit} OFFSET {offset}")
        }
        Select::Count => {
            format!("SELECT COUNT(*) AS n FROM (SELECT 1 AS one {filtered} LIMIT {limit} OFFSET {offset}) c")
        }
    };
    statement.sql = sql;
    statement
}

impl Store {
    /// Open and paused issues matching `filter`, most urgent first: a stage
    /// past its deadline, then one at risk, then by nearest deadline; issues
    /// with no running clock (paused, or all stages met) last. With a stage
    /// filter, the same by that stage's clock, over the issues where it is
    /// unsettled. Reads one page; never the whole set.
    pub async fn board(&self, filter: &BoardFilter, now: Timestamp) -> StoreResult<Vec<IssueRow>> {
        let keys = filter.stage.map_or(Keys::Board, Keys::Stage);
        let project = filter.project.as_deref();
        let now_ms = to_ms(now);
        let mut rows: Vec<IssueRow> = Vec::new();
        // Rows an offset still skips (none after a cursor).
        let mut skip = if filter.after.is_some() {
            0
        } else {
            filter.offset.max(0)
        };
        let first_tier = filter.after.map_or(0, |after| after.tier.min(3));
        for tier in first_tier..=3 {
            let wanted = filter.limit - rows.len() as i64;
            if wanted <= 0 {
                break;
            }
            let scope = Scope {
                backend: self.backend,
                keys,
                project,
                now: now_ms,
                after: filter.after.as_ref().filter(|after| after.tier == tier),
            };
            let parts = Part::of_tier(tier);
            if let [part] = parts {
                if skip > 0 {
                    // A tier the offset skips whole is counted, not read:
                    // at most one entry more than the offset.
                    let count = range(scope, *part, Select::Count, skip + 1, 0);
                    let counted: i64 = get(&count.fetch_one(self).await?, "n")?;
                    if counted <= skip {
                        skip -= counted;
                        continue;
                    }
                }
                let read = range(scope, *part, Select::Rows, wanted, skip);
                skip = 0;
                for row in read.fetch_all(self).await? {
                    rows.push(IssueRow::from_row(&row)?);
                }
                continue;
            }
            // Tier 1 merges its parts: each gives the first rows the page
            // could take from it, skipped ones included.
            let mut found = Vec::new();
            for part in parts {
                let read = range(scope, *part, Select::Rows, skip + wanted, 0);
                for row in read.fetch_all(self).await? {
                    found.push(IssueRow::from_row(&row)?);
                }
            }
            found.sort_by_key(|row| (BoardCursor::of(row, filter.stage, now).deadline_ms, row.seq));
            let skipped = (skip as usize).min(found.len());
            found.drain(..skipped);
            skip -= skipped as i64;
            found.truncate(wanted as usize);
            rows.extend(found);
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests;
