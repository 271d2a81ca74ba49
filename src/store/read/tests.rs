use super::counts::{project_counts_sql, stage_counts_sql};
use super::*;

/// A fresh SQLite store in `dir` with every migration applied.
async fn migrated_store(dir: &tempfile::TempDir) -> Store {
    let url = format!("sqlite://{}/read.db", dir.path().display());
    let store = Store::connect(&url, 1).await.unwrap();
    store.migrate().await.unwrap();
    store
}

/// The live counts read the covering index `issues_live` alone, in
/// project order: their WHERE must stay word for word the index's.
#[tokio::test]
async fn live_counts_read_only_the_live_index() {
    let dir = tempfile::tempdir().unwrap();
    let store = migrated_store(&dir).await;
    let now = chrono::Utc::now();
    for sql in [project_counts_sql(now), stage_counts_sql(now)] {
        let explained = Statement {
            sql: format!("EXPLAIN QUERY PLAN {}", sql.sql),
            params: sql.params,
        };
        let plan: Vec<String> = explained
            .fetch_all(&store)
            .await
            .unwrap()
            .iter()
            .map(|step| get(step, "detail").unwrap())
            .collect();
        assert!(
            plan.iter()
                .any(|step| step.contains("USING COVERING INDEX issues_live")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{plan:?}");
    }
}

/// The live counts by stage state, against rows written directly:
/// paused stages count as pending or at risk, settled stages and closed
/// issues not at all.
#[tokio::test]
async fn live_counts_count_unsettled_stages_of_open_issues() {
    let dir = tempfile::tempdir().unwrap();
    let store = migrated_store(&dir).await;
    let now = chrono::Utc::now();
    let n = to_ms(now);
    // issue, seq, project, status, then per stage: outcome, at risk, deadline
    let rows = [
        (
            "a",
            1,
            Some("p"),
            "open",
            ("running", n + 100, n + 200),
            ("running", n - 10, n + 100),
            ("running", n - 20, n - 5),
        ),
        (
            "b",
            2,
            Some("p"),
            "paused",
            ("paused", 0, 0),
            ("paused_at_risk", 0, 0),
            ("met", n, n),
        ),
        (
            "c",
            3,
            Some("p"),
            "closed",
            ("running", n + 100, n + 200),
            ("running", n + 100, n + 200),
            ("running", n + 100, n + 200),
        ),
        (
            "d",
            4,
            None,
            "open",
            ("met_late", n, n),
            ("breached", n, n),
            ("running", n + 100, n + 200),
        ),
        (
            "e",
            5,
            Some("q"),
            "open",
            ("met", n, n),
            ("met", n, n),
            ("waived", n, n),
        ),
    ];
    for (issue, seq, project, status, ack, handle, plan) in rows {
        sqlx::query(
            "INSERT INTO issues (issue, seq, project, status, cycle, first_seen_ms, updated_ms, stages, \
             ack_outcome, ack_at_risk_ms, ack_deadline_ms, handle_outcome, handle_at_risk_ms, \
             handle_deadline_ms, plan_outcome, plan_at_risk_ms, plan_deadline_ms) \
             VALUES (?, ?, ?, ?, 1, 0, 0, '[]', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(issue)
        .bind(seq)
        .bind(project)
        .bind(status)
        .bind(ack.0)
        .bind(ack.1)
        .bind(ack.2)
        .bind(handle.0)
        .bind(handle.1)
        .bind(handle.2)
        .bind(plan.0)
        .bind(plan.1)
        .bind(plan.2)
        .execute(&store.pool)
        .await
        .unwrap();
    }

    let mut stages = store.stage_counts(now).await.unwrap();
    stages.sort_by(|a, b| (&a.project, &a.stage).cmp(&(&b.project, &b.stage)));
    let counts = |project: &str, stage: &str, pending, at_risk, breached| StageCounts {
        project: project.into(),
        stage: stage.into(),
        pending,
        at_risk,
        breached,
    };
    assert_eq!(
        stages,
        [
            counts("", "plan", 1, 0, 0),
            counts("p", "ack", 2, 0, 0),
            counts("p", "handle", 0, 2, 0),
            counts("p", "plan", 0, 0, 1),
        ]
    );
    assert_eq!(
        store.project_counts(now).await.unwrap(),
        [
            ProjectCounts {
                project: "p".into(),
                open: 1,
                paused: 1,
                open_with_unmet_stages: 2,
                open_stages: 5,
                at_risk: 2,
                breached: 1,
            },
            // Open with every stage settled: open, nothing unmet.
            ProjectCounts {
                project: "q".into(),
                open: 1,
                ..ProjectCounts::default()
            },
        ]
    );
}
