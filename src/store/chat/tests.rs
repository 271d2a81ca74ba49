use super::lookup::{known_from_row, known_issue, KNOWN_COLUMNS};
use super::*;
use crate::domain::issue::IssueStatus;
use crate::domain::policy::Stage;
use crate::store::rows::IssueRow;

fn raised(chat_id: &str, raised_by: &str, seq: i64) -> ChatIssue {
    ChatIssue {
        platform: "wechat".into(),
        chat_id: chat_id.into(),
        raised_by: raised_by.into(),
        seq,
    }
}

#[test]
fn the_chat_index_finds_a_chats_issues_by_requester_and_forgets_closed_ones() {
    let mut index = ChatIssueIndex::default();
    // Not read from the store yet: additions wait for that read.
    index.add(vec![raised("grp", "wechat:wang", 1)]);
    assert!(index.candidates("wechat", "grp", None).is_empty());

    index.loaded = true;
    index.add(vec![
        raised("grp", "wechat:wang", 1),
        raised("grp", "wechat:li", 2),
        raised("other", "wechat:wang", 3),
    ]);
    // Added again (reopened): still once.
    index.add(vec![raised("grp", "wechat:wang", 1)]);
    assert_eq!(index.candidates("wechat", "grp", None), vec![1, 2]);
    assert_eq!(index.candidates("wechat", "grp", Some("wechat:wang")), vec![1]);
    assert_eq!(
        index.candidates("wechat", "other", Some("wechat:li")),
        Vec::<i64>::new()
    );
    assert!(index.candidates("slack", "grp", None).is_empty());

    let grp = ("wechat".to_string(), "grp".to_string());
    index.forget(grp.clone(), 1);
    assert_eq!(index.candidates("wechat", "grp", None), vec![2]);
    index.forget(grp, 2);
    assert!(!index
        .chats
        .contains_key(&("wechat".to_string(), "grp".to_string())));
}
/// The writer's copy of an issue it wrote says what reading the issue
/// back says, for every status and stage outcome.
#[tokio::test]
async fn a_copy_from_the_written_row_equals_the_row_read_back() {
    use crate::store::rows::StageSnapshot;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/chat.db", dir.path().display());
    let store = Store::connect(&url, 1).await.unwrap();
    store.migrate().await.unwrap();
    let snapshot = |stage: Stage, form: u64| {
        let mut snapshot = StageSnapshot {
            stage,
            target: "10m".into(),
            deadline: Some(5_000),
            at_risk: Some(4_000),
            met: None,
            waived: None,
            paused_remaining: None,
            paused_at_risk: false,
            final_breach: false,
        };
        match form {
            1 => snapshot.met = Some(4_500),
            2 => snapshot.met = Some(6_000),
            3 => snapshot.waived = Some(4_000),
            4 => snapshot.final_breach = true,
            5 => {
                (snapshot.deadline, snapshot.at_risk) = (None, None);
                snapshot.paused_remaining = Some(100);
            }
            _ => {}
        }
        snapshot
    };
    let statuses = [IssueStatus::Open, IssueStatus::Paused, IssueStatus::Closed];
    let rows: Vec<IssueRow> = (0..36_u64)
        .map(|n| IssueRow {
            issue: format!("wechat:grp:m{n}"),
            seq: n as i64 + 1,
            project: Some("p".into()),
            priority: None,
            title: (n % 4 != 0).then(|| format!("停水 {n}")),
            policy: None,
            status: statuses[(n % 3) as usize],
            cycle: 1,
            cycle_start: Some(from_ms(1_000)),
            raised_at: (n % 5 != 0).then(|| from_ms(1_000 + n as i64)),
            closed_at: None,
            resolution: None,
            first_seen: from_ms(900),
            updated: from_ms(2_000 + n as i64),
            next_due: None,
            // Every stage in every form over the rows; now and then a
            // stage the policy does not have.
            stages: Stage::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| (n + *i as u64) % 7 != 0)
                .map(|(i, stage)| snapshot(*stage, (n / 3 + i as u64) % 6))
                .collect(),
        })
        .collect();
    let mut tx = store.begin().await.unwrap();
    tx.save_issues(&rows, |_| false).await.unwrap();
    tx.commit().await.unwrap();
    let read = sqlx::query(&format!("SELECT {KNOWN_COLUMNS} FROM issues i ORDER BY i.seq"))
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(read.len(), rows.len());
    for (row, stored) in rows.iter().zip(&read) {
        let by = Some("wechat:wang".to_string());
        assert_eq!(
            known_from_row(row, by.clone()),
            known_issue(stored, by).unwrap(),
            "{row:?}"
        );
    }
}
