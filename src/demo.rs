//! `slawatch demo`: a sample zone with issues timed relative to now, so the
//! API, metrics, dashboards and alerts show something at once.

use crate::config::{Config, Project};
use chrono::{TimeDelta, Utc};
use serde_json::{json, Value};

/// The demo's own database, kept apart from real data.
pub const DEMO_DATABASE_URL: &str = "sqlite://data/demo.db";

/// (key, name, chat, staff) of the three demo projects, modelled on real cases.
const PROJECTS: [(&str, &str, &str, &str); 3] = [
    (
        "qingliang",
        "年产30万吨轻量化材料项目（总投资3亿元）",
        "wechat:grp-qingliang",
        "wechat:wxid_lihua",
    ),
    (
        "chuandong",
        "精密传动部件厂（租赁厂房）",
        "wechat:grp-chuandong",
        "wechat:wxid_zhaolei",
    ),
    (
        "zhongtai",
        "中泰环保绿色环保过滤设备制造项目",
        "wechat:grp-zhongtai",
        "wechat:wxid_wangyx",
    ),
];

/// One scripted issue: what was raised, and when each step followed
/// (minutes after raising; `None` = not yet).
struct Script {
    project: &'static str,
    title: &'static str,
    raised_minutes_ago: i64,
    ack: Option<i64>,
    handled: Option<i64>,
    planned: Option<i64>,
    closed: Option<(i64, &'static str)>,
}

const fn script(
    project: &'static str,
    title: &'static str,
    raised_minutes_ago: i64,
    ack: Option<i64>,
    handled: Option<i64>,
    planned: Option<i64>,
) -> Script {
    Script {
        project,
        title,
        raised_minutes_ago,
        ack,
        handled,
        planned,
        closed: None,
    }
}

const SCRIPTS: &[Script] = &[
    // The seed scenario: water cut at the construction site, yesterday.
    script(
        "zhongtai",
        "工地因管道抢修停水，主体结构浇筑急需用水",
        26 * 60,
        Some(5),
        Some(90),
        Some(23 * 60),
    ),
    script(
        "zhongtai",
        "环评批复材料需补充监测数据",
        50 * 60,
        Some(4),
        Some(60),
        Some(20 * 60),
    ),
    script("zhongtai", "临时用电增容申请进度", 5 * 60, Some(25), None, None),
    script("zhongtai", "施工车辆夜间通行证办理", 9, None, None, None),
    script(
        "zhongtai",
        "厂区围墙外排水沟堵塞",
        3 * 60,
        Some(7),
        Some(100),
        None,
    ),
    script(
        "qingliang",
        "天然气管道接入时间确认",
        30 * 60,
        Some(3),
        Some(45),
        Some(18 * 60),
    ),
    script(
        "qingliang",
        "高管人才公寓申请",
        27 * 60,
        Some(15),
        Some(200),
        None,
    ),
    script("qingliang", "设备进口报关咨询", 4 * 60, Some(6), None, None),
    script("qingliang", "消防验收预约", 100, Some(2), None, None),
    script("qingliang", "厂房屋面漏水维修协调", 8, None, None, None),
    script(
        "qingliang",
        "员工通勤班车线路调整",
        2 * 60,
        Some(9),
        Some(70),
        Some(110),
    ),
    script(
        "chuandong",
        "租赁厂房电力容量不足",
        45 * 60,
        Some(12),
        Some(150),
        Some(30 * 60),
    ),
    script(
        "chuandong",
        "小微企业贷款贴息政策咨询",
        6 * 60,
        Some(8),
        Some(115),
        None,
    ),
    script(
        "chuandong",
        "厂房租金减免申请材料",
        22 * 60,
        Some(9),
        Some(100),
        None,
    ),
    script("chuandong", "危废暂存间建设规范", 40, Some(3), None, None),
    script("chuandong", "招工信息发布渠道", 11, None, None, None),
    Script {
        closed: Some((30, "withdrawn")),
        ..script("chuandong", "门卫室搭建是否需要报建", 3 * 60, Some(4), None, None)
    },
    Script {
        closed: Some((20, "resolved")),
        ..script("qingliang", "道路开口审批", 10 * 60, Some(6), None, None)
    },
];

/// Adds the demo projects to `config` and points it at the demo database
/// unless a database was configured explicitly.
pub fn prepare(config: &mut Config, database_given: bool) {
    if !database_given {
        config.database_url = DEMO_DATABASE_URL.to_string();
    }
    for (key, name, chat, staff) in PROJECTS {
        config.projects.entry(key.to_string()).or_insert_with(|| Project {
            key: key.to_string(),
            name: name.to_string(),
            chats: vec![chat.to_string()],
            staff: vec![staff.to_string()],
            ..Project::default()
        });
    }
}

/// The demo events, timed relative to now, as `POST /v1/events` takes them.
pub fn events() -> Vec<Value> {
    let now = Utc::now();
    let run = now.timestamp();
    let mut events = Vec::new();
    for (index, script) in SCRIPTS.iter().enumerate() {
        let issue = format!("demo-{}-{index:02}", script.project);
        let raised_at = now - TimeDelta::minutes(script.raised_minutes_ago);
        let at = |minutes: i64| (raised_at + TimeDelta::minutes(minutes)).to_rfc3339();
        let staff = PROJECTS
            .iter()
            .find(|p| p.0 == script.project)
            .map_or("", |p| p.3);
        let staff_actor = json!({ "id": staff, "role": "staff" });
        events.push(json!({
            "id": format!("{issue}-raised-{run}"), "issue": issue, "kind": "raised", "at": at(0),
            "project": script.project, "title": script.title,
            "actor": { "id": format!("requester-{}", script.project), "role": "requester" },
        }));
        for (kind, minutes) in [
            ("acknowledged", script.ack),
            ("handled", script.handled),
            ("planned", script.planned),
        ] {
            if let Some(minutes) = minutes {
                events.push(json!({
                    "id": format!("{issue}-{kind}-{run}"), "issue": issue, "kind": kind, "at": at(minutes),
                    "actor": staff_actor,
                }));
            }
        }
        if let Some((minutes, resolution)) = script.closed {
            events.push(json!({
                "id": format!("{issue}-closed-{run}"), "issue": issue, "kind": "closed", "at": at(minutes),
                "resolution": resolution, "actor": staff_actor,
            }));
        }
    }
    events
}

/// Seconds between two rounds of live demo traffic.
pub const TRAFFIC_INTERVAL_SECONDS: u64 = 20;

/// One round of live traffic (round `tick` of run `run`): a new issue in one
/// project, the reply to the previous one, the action on an older one, the
/// plan for an older one still. Every fifth issue gets no reply, so breaches
/// keep coming ten minutes later. Rates and compliance panels move as they
/// would in a real zone.
pub fn traffic(run: i64, tick: u64) -> Vec<Value> {
    let at = Utc::now().to_rfc3339();
    let issue = |n: u64| format!("live-{run}-{n}");
    let project = PROJECTS[(tick % PROJECTS.len() as u64) as usize].0;
    let mut events = vec![json!({
        "id": format!("{}-raised", issue(tick)), "issue": issue(tick), "kind": "raised", "at": at,
        "project": project, "title": format!("现场问题 #{tick}"),
    })];
    for (kind, back) in [("acknowledged", 1), ("handled", 3), ("planned", 6)] {
        if let Some(n) = tick.checked_sub(back).filter(|n| n % 5 != 4) {
            events.push(
                json!({ "id": format!("{}-{kind}", issue(n)), "issue": issue(n), "kind": kind, "at": at }),
            );
        }
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::{Event, Receipt};

    #[test]
    fn every_demo_event_is_valid_and_in_the_past() {
        let receipt = Receipt {
            received_at: Utc::now(),
            source: "demo".into(),
            max_future_skew: TimeDelta::zero(),
        };
        let events = events();
        assert!(events.len() >= 40, "a few dozen issues' worth of events");
        for value in &events {
            Event::parse(value, &receipt, "").unwrap_or_else(|e| panic!("{value}: {}", e.message));
        }
    }

    #[test]
    fn live_traffic_replies_to_four_issues_in_five() {
        let receipt = Receipt {
            received_at: Utc::now(),
            source: "demo".into(),
            max_future_skew: TimeDelta::minutes(1),
        };
        let replies: usize = (0..50)
            .map(|tick| traffic(7, tick))
            .inspect(|round| {
                round
                    .iter()
                    .for_each(|v| drop(Event::parse(v, &receipt, "").unwrap()))
            })
            .map(|round| round.iter().filter(|e| e["kind"] == "acknowledged").count())
            .sum();
        assert_eq!(
            replies, 40,
            "ticks 1..49 acknowledge issues 0..48, less the nine n % 5 == 4"
        );
    }

    #[test]
    fn one_issue_breaches_a_minute_after_start() {
        let soonest = SCRIPTS
            .iter()
            .filter(|s| s.ack.is_none())
            .map(|s| 10 - s.raised_minutes_ago)
            .filter(|left| *left > 0)
            .min();
        assert_eq!(soonest, Some(1));
    }
}
