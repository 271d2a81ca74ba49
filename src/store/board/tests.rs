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
                    Some(last) if page.len() == 7 => filter.after = Some(BoardCursor::of(last, stage, at)),
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
