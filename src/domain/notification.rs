//! What a notification says: one type from the notices the domain decides,
//! through the outbox, to the request a channel sends.

use super::digest::Digest;
use super::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a notification announces (SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// A stage is at risk (elapsed ≥ `warn_at` × target).
    Warning,
    /// A deadline passed unmet.
    Breach,
    /// A step of the policy's escalation ladder, while the stage stays unmet.
    Escalation,
    /// A breach disproved by events that arrived later.
    Retraction,
    /// Yesterday's figures, per project or for the zone.
    DailyDigest,
    /// What the bot understood from a message, said in the group through a
    /// group robot where the platform's hook answer cannot carry it.
    Confirmation,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 6] = [
        NotificationKind::Warning,
        NotificationKind::Breach,
        NotificationKind::Escalation,
        NotificationKind::Retraction,
        NotificationKind::DailyDigest,
        NotificationKind::Confirmation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Warning => "warning",
            NotificationKind::Breach => "breach",
            NotificationKind::Escalation => "escalation",
            NotificationKind::Retraction => "retraction",
            NotificationKind::DailyDigest => "daily_digest",
            NotificationKind::Confirmation => "confirmation",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

impl Serialize for NotificationKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for NotificationKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        NotificationKind::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown notification kind `{text}`")))
    }
}

/// The facts of one notification (SPEC §6 generic webhook body), frozen
/// when the outbox row is written. Times are UTC instants; messages show
/// them in `time_zone`, the policy's zone. The outbox keeps everything but
/// the delivery id as its JSON payload, times as Unix milliseconds
/// (`raised_at_ms`, …), as rows written by earlier versions have it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// The delivery id: `webhook-id`, stable across retries and unique per
    /// notice and channel. Must not contain `.`. Kept in its own column.
    #[serde(skip)]
    pub delivery: String,
    pub kind: NotificationKind,
    pub issue: String,
    pub seq: i64,
    pub project: String,
    pub project_name: String,
    /// `ack`, `handle` or `plan`; `None` for a digest.
    pub stage: Option<String>,
    /// The stage's target as written in the policy (`10m`, `2h`, `1d`).
    pub target: Option<String>,
    pub cycle: i64,
    pub title: String,
    pub raised_by: Option<String>,
    #[serde(rename = "raised_at_ms", with = "ms")]
    pub raised_at: Timestamp,
    #[serde(rename = "deadline_ms", default, with = "optional_ms")]
    pub deadline: Option<Timestamp>,
    #[serde(rename = "detected_at_ms", with = "ms")]
    pub detected_at: Timestamp,
    /// 0 for the breach itself, n for ladder step n.
    pub escalation_step: i64,
    /// The signed issue page `/i/{issue}?exp=…&sig=…` under `public_url`.
    pub url: String,
    #[serde(with = "zone")]
    pub time_zone: chrono_tz::Tz,
    /// The stage is met or the issue closed: Alertmanager gets `endsAt`.
    pub resolved: bool,
    /// The figures of a daily digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// A confirmation's words (`notify::confirm`), already in the group's
    /// language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<String>,
}

impl Notification {
    /// The notification an outbox row carries; an error for a payload that
    /// does not read, or that names a kind this version does not know.
    pub fn from_payload(delivery: &str, payload: &str) -> Result<Notification, String> {
        #[derive(Deserialize)]
        struct Kind {
            kind: String,
        }
        let mut notification: Notification =
            serde_json::from_str(payload).map_err(|error| match serde_json::from_str::<Kind>(payload) {
                Ok(Kind { kind }) if NotificationKind::parse(&kind).is_none() => {
                    format!("unknown notification kind `{kind}`")
                }
                _ => format!("unreadable payload: {error}"),
            })?;
        notification.delivery = delivery.to_string();
        Ok(notification)
    }
}

/// An instant as Unix milliseconds.
mod ms {
    use crate::domain::{from_ms, to_ms, Timestamp};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(to_ms(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        i64::deserialize(deserializer).map(from_ms)
    }
}

/// An optional instant as Unix milliseconds or `null`.
mod optional_ms {
    use crate::domain::{from_ms, to_ms, Timestamp};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(at: &Option<Timestamp>, serializer: S) -> Result<S::Ok, S::Error> {
        at.map(to_ms).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Timestamp>, D::Error> {
        Option::<i64>::deserialize(deserializer).map(|ms| ms.map(from_ms))
    }
}

/// A time zone by its IANA name; one this build does not know reads as
/// Asia/Shanghai, the zone of the policies' default calendar.
mod zone {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(zone: &chrono_tz::Tz, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(zone.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<chrono_tz::Tz, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(name.parse().unwrap_or(chrono_tz::Asia::Shanghai))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::to_ms;

    /// A payload as the outbox holds it, written before the notices moved
    /// into the domain (then as `engine::notices::Facts`).
    const STORED: &str = r#"{"kind":"breach","issue":"water","seq":12,"project":"zhongtai","project_name":"中泰环保","stage":"ack","target":"10m","cycle":1,"title":"工地停水","raised_by":"王永忠","raised_at_ms":1717034520000,"deadline_ms":1717035120000,"detected_at_ms":1717035180000,"escalation_step":0,"url":"https://sla.example.cn/i/water?exp=1&sig=x","time_zone":"Asia/Shanghai","resolved":false}"#;

    #[test]
    fn stored_payloads_read_and_write_back_unchanged() {
        let notification = Notification::from_payload("msg_1", STORED).unwrap();
        assert_eq!(notification.delivery, "msg_1");
        assert_eq!(notification.kind, NotificationKind::Breach);
        assert_eq!(to_ms(notification.raised_at), 1_717_034_520_000);
        assert_eq!(notification.deadline.map(to_ms), Some(1_717_035_120_000));
        assert_eq!(notification.time_zone, chrono_tz::Asia::Shanghai);
        assert_eq!(serde_json::to_string(&notification).unwrap(), STORED);
    }

    #[test]
    fn an_unknown_kind_is_named_and_an_unreadable_payload_said_so() {
        let newer = STORED.replace(r#""kind":"breach""#, r#""kind":"holiday""#);
        assert_eq!(
            Notification::from_payload("msg_1", &newer).unwrap_err(),
            "unknown notification kind `holiday`"
        );
        let broken = Notification::from_payload("msg_1", "{").unwrap_err();
        assert!(broken.starts_with("unreadable payload: "), "{broken}");
    }

    #[test]
    fn an_unknown_time_zone_reads_as_shanghai() {
        let elsewhere = STORED.replace("Asia/Shanghai", "Mars/Olympus");
        let notification = Notification::from_payload("msg_1", &elsewhere).unwrap();
        assert_eq!(notification.time_zone, chrono_tz::Asia::Shanghai);
    }
}
