//! Fixtures shared by the channel tests: one breach of the sample project,
//! channels in one line, and an HMAC written out by hand (RFC 2104 over
//! `sha2` alone) so signatures are checked by a second, independent route.

use super::{Channel, ChannelKind, Language, Notification, NotificationKind, OutgoingRequest};
use chrono::{DateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};

/// 2024-05-30 10:02 in Shanghai: the sample issue is raised.
pub fn raised_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 30, 2, 2, 0).unwrap()
}

/// The `ack` deadline, ten minutes later (10:12 +08:00).
pub fn deadline() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 30, 2, 12, 0).unwrap()
}

/// Twelve minutes past the deadline (10:24 +08:00), in Unix milliseconds.
pub const NOW_MS: i64 = 1_717_035_840_000;

pub fn notification(kind: NotificationKind) -> Notification {
    Notification {
        delivery: "ntf_01HZX3K9Q7".into(),
        kind,
        issue: "wechat:grp-zhongtai:m-88121".into(),
        seq: 12,
        project: "zhongtai".into(),
        project_name: "中泰环保绿色环保过滤设备制造项目".into(),
        stage: Some("ack".into()),
        target: Some("10m".into()),
        cycle: 1,
        title: "工地因管道抢修停水".into(),
        raised_by: Some("王永忠".into()),
        raised_at: raised_at(),
        deadline: Some(deadline()),
        detected_at: deadline() + chrono::TimeDelta::seconds(30),
        escalation_step: if kind == NotificationKind::Escalation {
            1
        } else {
            0
        },
        url: "http://127.0.0.1:8080/v1/issues/wechat:grp-zhongtai:m-88121".into(),
        time_zone: chrono_tz::Asia::Shanghai,
        resolved: false,
        digest: (kind == NotificationKind::DailyDigest).then(|| digest_listing("工地停水", 1)),
        confirmation: (kind == NotificationKind::Confirmation)
            .then(|| "已受理 #12：10分钟内回复、2小时内处理、1天内给出推进计划".to_string()),
    }
}

/// A digest of 3 raised issues (2 acknowledged on time, 1 late) listing
/// `count` overdue issues titled `title`.
pub fn digest_listing(title: &str, count: usize) -> crate::notify::digest::Digest {
    use crate::notify::digest::{Digest, Overdue, StageFigures};
    Digest {
        day: "2024-05-29".into(),
        raised: 3,
        stages: vec![StageFigures {
            stage: "ack".into(),
            met: 2,
            breached: 1,
            running: 0,
            waived: 0,
        }],
        overdue: (0..count)
            .map(|index| Overdue {
                seq: 12 + index as i64,
                issue: format!("issue-{index}"),
                title: title.to_string(),
                project_name: "中泰环保".into(),
                stage: "handle".into(),
                deadline_ms: 1_717_041_720_000,
            })
            .collect(),
        overdue_total: count as i64,
        projects: Vec::new(),
    }
}

pub fn channel(kind: ChannelKind) -> Channel {
    let url = match kind {
        ChannelKind::Webhook => "http://127.0.0.1:9000/slawatch",
        ChannelKind::Wecom => "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
        ChannelKind::Feishu => "https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e",
        ChannelKind::Dingtalk => "https://oapi.dingtalk.com/robot/send?access_token=566cc69da782ec",
        ChannelKind::Slack => "https://hooks.slack.com/services/T000/B000/XXXX",
        ChannelKind::Alertmanager => "http://alertmanager:9093",
    };
    Channel {
        name: format!("team-{}", kind.as_str()),
        kind,
        url: url.into(),
        secret: None,
        language: Language::Zh,
        mention_mobiles: Vec::new(),
        mention_user_ids: Vec::new(),
        mention_all: false,
    }
}

pub fn json_body(request: &OutgoingRequest) -> serde_json::Value {
    serde_json::from_slice(&request.body).expect("the body is JSON")
}

/// HMAC-SHA256 per RFC 2104, built from the hash alone.
pub fn hmac_by_hand(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block_key = [0u8; BLOCK];
    if key.len() > BLOCK {
        block_key[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block_key[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block_key.map(|k| k ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}
