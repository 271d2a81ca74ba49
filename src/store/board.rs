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
mod tests {
    use super::*;
    use crate::domain::issue::IssueStatus;
    use crate::store::rows::StageSnapshot;
    use crate::store::{from_ms, get};

    async fn migrated_store(dir: &tempfile::TempDir) -> Store {
        let url = format!("sqlite://{}/board.db", dir.path().display());
        let store = Store::connect(&url, 1).await.unwrap();
        store.migrate().await.unwrap();
        store
    }

    /// Every read of a page is a range of the index meant for it, in the
    /// index's order: no sort, and no other index.
    #[tokio::test]
    async fn each_part_of_the_board_reads_a_range_of_its_index_without_sorting() {
        let dir = tempfile::tempdir().unwrap();
        let store = migrated_store(&dir).await;
        let cursor = BoardCursor {
            tier: 1,
            deadline_ms: Some(5),
            seq: 7,
        };
        let parts = [
            Part::Breached,
            Part::AtRiskWritten,
            Part::AtRiskSince,
            Part::Rest,
            Part::NoClock,
        ];
        let keys = [
            Keys::Board,
            Keys::Stage(Stage::Ack),
            Keys::Stage(Stage::Handle),
            Keys::Stage(Stage::Plan),
        ];
        for keys in keys {
            for part in parts {
                for project in [None, Some("p")] {
                    for after in [None, Some(&cursor)] {
                        for select in [Select::Rows, Select::Count] {
                            let scope = Scope {
                                backend: Backend::Sqlite,
                                keys,
                                project,
                                now: 1_000,
                                after,
                            };
                            let read = range(scope, part, select, 51, 0);
                            let explain = Statement {
                                sql: format!("EXPLAIN QUERY PLAN {}", read.sql),
                                params: read.params,
                            };
                            let plan: Vec<String> = explain
                                .fetch_all(&store)
                                .await
                                .unwrap()
                                .iter()
                                .map(|step| get(step, "detail").unwrap())
                                .collect();
                            let index = keys.index(part, project.is_none());
                            let what = format!("{keys:?} {part:?} {project:?} {after:?}: {plan:?}");
                            // A range of the index; a stage's frozen clocks
                            // are the whole of theirs (only paused issues).
                            let read = match (keys, part) {
                                (Keys::Stage(_), Part::NoClock) => format!("USING INDEX {index}"),
                                _ => format!("INDEX {index} ("),
                            };
                            assert!(plan.iter().any(|step| step.contains(&read)), "{what}");
                            // The issues whose warning time passed since their
                            // last write (the timer's overdue visits, normally
                            // none) are the one set the board sorts.
                            if part != Part::AtRiskSince || select == Select::Count {
                                assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{what}");
                            }
                        }
                    }
                }
            }
        }
    }

    /// A small deterministic generator (xorshift).
    struct Random(u64);

    impl Random {
        fn below(&mut self, n: u64) -> i64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n) as i64
        }
    }

    /// A stage clock in one of the stored forms: running (maybe overdue),
    /// frozen by a pause, met, waived, breached at close.
    fn snapshot(stage: Stage, random: &mut Random, base: i64) -> StageSnapshot {
        // Few distinct deadlines, so that ties are ordered by number.
        let deadline = base + 10 * random.below(12) - 60;
        let mut snapshot = StageSnapshot {
            stage,
            target: "10m".into(),
            deadline: Some(deadline),
            at_risk: Some(deadline - 10 * random.below(4)),
            met: None,
            waived: None,
            paused_remaining: None,
            paused_at_risk: false,
            final_breach: false,
        };
        match random.below(8) {
            0 => {
                (snapshot.deadline, snapshot.at_risk) = (None, None);
                snapshot.paused_remaining = Some(1_000);
                snapshot.paused_at_risk = random.below(2) == 0;
            }
            1 => snapshot.met = Some(deadline - 5),
            2 => snapshot.waived = Some(deadline),
            3 => snapshot.final_breach = true,
            _ => {}
        }
        snapshot
    }

    /// The board's order before it had its own keys: one sort of every open
    /// issue (with a stage, of those whose clock for it is unsettled, by
    /// that clock), the reference the index reads must agree with.
    async fn sorted_by_one_query(
        store: &Store,
        project: Option<&str>,
        stage: Option<Stage>,
        now: i64,
    ) -> Vec<i64> {
        let running = |p: &str| format!("CASE WHEN i.{p}_outcome = 'running' THEN i.{p}_deadline_ms END");
        let at_risk = |p: &str| format!("(i.{p}_outcome = 'running' AND i.{p}_at_risk_ms <= $3)");
        let (deadline, risk, unsettled) = match stage {
            Some(stage) => {
                let p = stage.as_str();
                let unsettled = format!("AND i.{p}_outcome IN ('running', 'paused', 'paused_at_risk')");
                (running(p), at_risk(p), unsettled)
            }
            None => {
                let [a, b, c] = ["ack", "handle", "plan"].map(running);
                let least = format!(
                    "CASE WHEN ({a}) IS NOT NULL AND (({b}) IS NULL OR ({a}) <= ({b})) AND (({c}) IS NULL OR ({a}) <= ({c})) THEN ({a}) \
                     WHEN ({b}) IS NOT NULL AND (({c}) IS NULL OR ({b}) <= ({c})) THEN ({b}) ELSE ({c}) END"
                );
                (
                    least,
                    ["ack", "handle", "plan"].map(at_risk).join(" OR "),
                    String::new(),
                )
            }
        };
        let sql = format!(
            "SELECT seq FROM (SELECT i.*, {deadline} AS next_deadline_ms, CASE WHEN {risk} THEN 1 ELSE 0 END AS risk \
             FROM issues i WHERE i.status IN ('open', 'paused') AND ($1 = '' OR i.project = $2) {unsettled}) b \
             ORDER BY CASE WHEN next_deadline_ms IS NULL THEN 3 WHEN next_deadline_ms < $4 THEN 0 \
             WHEN risk = 1 THEN 1 ELSE 2 END, next_deadline_ms, seq"
        );
        let project = project.unwrap_or_default();
        let rows = sqlx::query(&sql)
            .bind(project)
            .bind(project)
            .bind(now)
            .bind(now)
            .fetch_all(store.pool())
            .await
            .unwrap();
        rows.iter().map(|row| get(row, "seq").unwrap()).collect()
    }

    /// Every page, by cursor and by offset, at several instants, for the
    /// zone and for each project: the same issues in the same order as one
    /// sort of all of them.
    #[tokio::test]
    async fn pages_by_cursor_or_offset_follow_the_order_of_one_sort() {
        let dir = tempfile::tempdir().unwrap();
        let store = migrated_store(&dir).await;
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        let base = 1_000_000;
        let mut rows = Vec::new();
        for seq in 1..=400 {
            let stages: Vec<StageSnapshot> = Stage::ALL
                .iter()
                .map(|stage| snapshot(*stage, &mut random, base))
                .collect();
            let status = match random.below(10) {
                0 => IssueStatus::Closed,
                1 | 2 => IssueStatus::Paused,
                _ => IssueStatus::Open,
            };
            // Written some time ago; the timer's next visit is the first
            // warning or deadline after that, as the agenda has it.
            let updated = base + 10 * random.below(10) - 50;
            let next_due = stages
                .iter()
                .filter(|s| s.outcome() == "running")
                .flat_map(|s| [s.at_risk, s.deadline])
                .flatten()
                .filter(|at| *at > updated)
                .min();
            let project = ["p", "q", "r"][random.below(3) as usize];
            rows.push(IssueRow {
                issue: format!("i{seq}"),
                seq,
                project: Some(project.to_string()),
                priority: None,
                title: None,
                policy: None,
                status,
                cycle: 1,
                cycle_start: Some(from_ms(base - 100)),
                raised_at: Some(from_ms(base - 100)),
                closed_at: None,
                resolution: None,
                first_seen: from_ms(base - 100),
                updated: from_ms(updated),
                next_due: next_due.map(from_ms),
                stages,
            });
        }
        let mut tx = store.begin().await.unwrap();
        tx.save_issues(&rows, |_| false).await.unwrap();
        tx.commit().await.unwrap();

        for now in [
            base - 70,
            base - 20,
            base - 5,
            base,
            base + 15,
            base + 40,
            base + 100,
        ] {
            if (base..=base + 40).contains(&now) {
                // Some at-risk issues are found only among the timer's due
                // issues: at risk since their last write.
                let since = rows.iter().filter(|row| {
                    let running = row.running_clock();
                    row.status != IssueStatus::Closed
                        && running.is_some_and(|clock| {
                            let (risk, deadline) = (to_ms(clock.at_risk), to_ms(clock.deadline));
                            risk > to_ms(row.updated) && risk <= now && deadline >= now
                        })
                });
                assert!(since.count() > 0, "now {now}");
            }
            let stages = [None, Some(Stage::Ack), Some(Stage::Handle), Some(Stage::Plan)];
            for (project, stage) in [None, Some("p"), Some("q")]
                .into_iter()
                .flat_map(|project| stages.map(|stage| (project, stage)))
            {
                let expected = sorted_by_one_query(&store, project, stage, now).await;
                let at = from_ms(now);
                let mut filter = BoardFilter {
                    project: project.map(String::from),
                    stage,
                    limit: 7,
                    ..BoardFilter::default()
                };
                let mut by_cursor = Vec::new();
                loop {
                    let page = store.board(&filter, at).await.unwrap();
                    by_cursor.extend(page.iter().map(|row| row.seq));
                    match page.last() {
                        Some(last) if page.len() == 7 => {
                            filter.after = Some(BoardCursor::of(last, stage, at))
                        }
                        _ => break,
                    }
                }
                assert_eq!(by_cursor, expected, "by cursor, now {now}, {project:?} {stage:?}");
                for page in 0..=(expected.len() / 7) {
                    let filter = BoardFilter {
                        project: project.map(String::from),
                        stage,
                        offset: 7 * page as i64,
                        limit: 7,
                        ..BoardFilter::default()
                    };
                    let seqs: Vec<i64> = store
                        .board(&filter, at)
                        .await
                        .unwrap()
                        .iter()
                        .map(|r| r.seq)
                        .collect();
                    let from = (7 * page).min(expected.len());
                    let to = (7 * page + 7).min(expected.len());
                    assert_eq!(
                        seqs,
                        expected[from..to],
                        "page {page}, now {now}, {project:?} {stage:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn cursors_read_back_what_they_wrote() {
        for cursor in [
            BoardCursor {
                tier: 0,
                deadline_ms: Some(-5),
                seq: 3,
            },
            BoardCursor {
                tier: 3,
                deadline_ms: None,
                seq: 9,
            },
        ] {
            assert_eq!(BoardCursor::parse(&cursor.to_string()), Some(cursor));
        }
        for bad in ["", "4.1.1", "3.5.1", "1..2", "1.x.2", "1.2.3.4", "0.1"] {
            assert_eq!(BoardCursor::parse(bad), None, "{bad}");
        }
    }
}
