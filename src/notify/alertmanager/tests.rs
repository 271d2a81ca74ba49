use super::*;
use crate::notify::test_support::{channel, deadline, json_body, notification, NOW_MS};
use crate::notify::{build_requests, judge_reply, ChannelKind, ReplyVerdict};

fn alerts(notification: &Notification) -> Vec<Value> {
    let sent = build_requests(
        &channel(ChannelKind::Alertmanager),
        notification,
        NOW_MS,
        &Templates::builtin(),
    )
    .unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url, "http://alertmanager:9093/api/v2/alerts");
    json_body(&sent[0]).as_array().unwrap().clone()
}

const NOW: &str = "2024-05-30T02:24:00.000Z";

#[test]
fn a_breach_fires_a_critical_alert_and_ends_the_warning() {
    let sent = alerts(&notification(NotificationKind::Breach));
    assert_eq!(sent.len(), 2);
    let critical = &sent[0];
    assert_eq!(
        critical["labels"],
        json!({"alertname": "SlawatchBreach", "project": "zhongtai", "stage": "ack",
               "issue": "wechat:grp-zhongtai:m-88121", "severity": "critical"})
    );
    assert_eq!(critical["startsAt"], stamp(deadline()));
    assert_eq!(critical["endsAt"], "2024-05-30T02:44:00.000Z");
    assert_eq!(
        critical["generatorURL"],
        "http://127.0.0.1:8080/v1/issues/wechat:grp-zhongtai:m-88121"
    );
    assert_eq!(
        critical["annotations"]["summary"],
        "【SLA 超时】中泰环保绿色环保过滤设备制造项目 #12"
    );
    assert_eq!(critical["annotations"]["escalation_step"], "0");
    assert_eq!(sent[1]["labels"]["severity"], "warning");
    assert_eq!(sent[1]["endsAt"], NOW);
}

#[test]
fn a_warning_fires_only_the_warning() {
    let sent = alerts(&notification(NotificationKind::Warning));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["labels"]["severity"], "warning");
    assert_eq!(sent[0]["endsAt"], "2024-05-30T02:44:00.000Z");
}

#[test]
fn an_escalation_re_sends_the_same_critical_alert() {
    let breach = alerts(&notification(NotificationKind::Breach));
    let step = alerts(&notification(NotificationKind::Escalation));
    assert_eq!(step[0]["labels"], breach[0]["labels"]);
    assert_eq!(step[0]["annotations"]["escalation_step"], "1");
}

#[test]
fn resolved_and_retracted_stages_end_both_alerts_now() {
    let mut met = notification(NotificationKind::Breach);
    met.resolved = true;
    for notification in [met, notification(NotificationKind::Retraction)] {
        let sent = alerts(&notification);
        let severities: Vec<&str> = sent
            .iter()
            .map(|a| a["labels"]["severity"].as_str().unwrap())
            .collect();
        assert_eq!(severities, ["critical", "warning"]);
        assert!(sent.iter().all(|a| a["endsAt"] == NOW));
    }
}

#[test]
fn a_digest_is_not_an_alert() {
    let sent = build_requests(
        &channel(ChannelKind::Alertmanager),
        &notification(NotificationKind::DailyDigest),
        NOW_MS,
        &Templates::builtin(),
    )
    .unwrap();
    assert!(sent.is_empty());
}

#[test]
fn the_endpoint_is_the_v2_alerts_path_once() {
    assert_eq!(endpoint("http://am:9093/"), "http://am:9093/api/v2/alerts");
    assert_eq!(
        endpoint("http://am:9093/api/v2/alerts"),
        "http://am:9093/api/v2/alerts"
    );
    assert_eq!(endpoint("http://proxy/am"), "http://proxy/am/api/v2/alerts");
}

#[test]
fn alertmanager_replies_are_judged_by_status() {
    assert_eq!(
        judge_reply(ChannelKind::Alertmanager, 200, b""),
        ReplyVerdict::Delivered
    );
    assert!(matches!(
        judge_reply(ChannelKind::Alertmanager, 400, b"bad"),
        ReplyVerdict::Failed(_)
    ));
    assert!(matches!(
        judge_reply(ChannelKind::Alertmanager, 503, b""),
        ReplyVerdict::Retry(_)
    ));
}
