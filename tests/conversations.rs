//! The conversation corpus (`tests/conversations/`), played through
//! `POST /v1/messages` on a real server and scored against its labels: how
//! many real problems became exactly one issue, how many issues were
//! spurious, and how many stage outcomes (`ack`, `handle`, `plan` met at the
//! labelled message, or not met) came out right. Prints the figures by part
//! and by stage, and fails if a part falls below the floor it has reached.
//!
//! Also prints, per part, how the wrong outcomes were wrong (a stage met too
//! early, too late, never, or where none was due; a missed issue's message
//! ignored or joined to another issue; spurious issues by requesters and by
//! staff): counts only, so that the held-out part can be studied by kind
//! without being read.
//!
//! `SLAWATCH_CONVERSATIONS_VERBOSE=1` prints every disagreement outside the
//! held-out part (`=all` includes it).

#[macro_use]
mod common;

use chrono::{Duration as Span, NaiveTime, TimeZone};
use chrono_tz::Asia::Shanghai;
use common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

backend_tests!(the_corpus_is_read_as_labelled);

/// Floors per part: (stages right, spurious issues per real issue at most,
/// real issues found). CI fails below them; they sit just under what the
/// classifier reaches, so that a regression shows.
const FLOORS: [(&str, f64, f64, f64); 3] = [
    ("examples", 0.97, 0.03, 0.97),
    ("dev", 0.90, 0.045, 0.96),
    ("holdout", 0.75, 0.145, 0.875),
];

const STAGES: [&str; 3] = ["ack", "handle", "plan"];

struct Conversation {
    part: String,
    file: String,
    doc: Value,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conversations")
}

/// The part that may be empty: a new held-out set is added into it from
/// outside, and until then (git keeps no empty directory) it may be missing.
const MAY_BE_EMPTY: &str = "holdout";

fn load_corpus() -> Vec<Conversation> {
    let mut all = Vec::new();
    for (part, ..) in FLOORS {
        let dir = corpus_dir().join(part);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => Some(entries),
            Err(e) if part == MAY_BE_EMPTY && e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => panic!("cannot read {}: {e}", dir.display()),
        };
        let mut files: Vec<PathBuf> = entries
            .into_iter()
            .flatten()
            .map(|entry| entry.expect("directory entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        if files.is_empty() && part == MAY_BE_EMPTY {
            eprintln!("{part}: no conversations");
            continue;
        }
        assert!(!files.is_empty(), "no conversations in {}", dir.display());
        for path in files {
            let text = std::fs::read_to_string(&path).expect("read conversation");
            let doc: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()));
            all.push(Conversation {
                part: part.to_string(),
                file: path.file_name().unwrap().to_string_lossy().into_owned(),
                doc,
            });
        }
    }
    all
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// One configuration for the whole corpus: every conversation's chat maps
/// to its project, staff are merged per project, zone staff and bots go to
/// the zone.
fn corpus_config(corpus: &[Conversation]) -> String {
    let mut projects: BTreeMap<String, (String, BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut zone_staff = BTreeSet::new();
    let mut bots = BTreeSet::new();
    for c in corpus {
        let d = &c.doc;
        let platform = d["platform"].as_str().expect("platform");
        let project = projects
            .entry(d["project"].as_str().expect("project").to_string())
            .or_default();
        project.0 = d["project_name"].as_str().unwrap_or_default().to_string();
        project
            .1
            .insert(format!("{platform}:{}", d["chat_id"].as_str().expect("chat_id")));
        for id in strings(&d["staff"]) {
            project.2.insert(format!("{platform}:{id}"));
        }
        for id in strings(&d["zone_staff"]) {
            zone_staff.insert(format!("{platform}:{id}"));
        }
        for id in strings(&d["bots"]) {
            bots.insert(format!("{platform}:{id}"));
        }
    }
    let list = |set: &BTreeSet<String>| serde_json::to_string(&set.iter().collect::<Vec<_>>()).unwrap();
    let mut toml = String::new();
    for (id, (name, chats, staff)) in &projects {
        toml.push_str(&format!(
            "[projects.{id}]\nname = {}\nchats = {}\nstaff = {}\n\n",
            serde_json::to_string(name).unwrap(),
            list(chats),
            list(staff)
        ));
    }
    toml.push_str(&format!(
        "[zone]\nstaff = {}\nbot_ids = {}\n",
        list(&zone_staff),
        list(&bots)
    ));
    toml
}

/// What slawatch made of one conversation.
#[derive(Default)]
struct Played {
    /// Message id → the issues it raised, in order.
    raised: BTreeMap<String, Vec<String>>,
    /// Issue key → stage → the message at which it was met.
    met: HashMap<String, HashMap<String, Option<String>>>,
    /// Message id → the answer's actions, for the verbose report.
    answers: BTreeMap<String, Vec<String>>,
}

fn encode_path(key: &str) -> String {
    key.chars()
        .map(|c| match c {
            '#' => "%23".to_string(),
            '%' => "%25".to_string(),
            '?' => "%3F".to_string(),
            ' ' => "%20".to_string(),
            c => c.to_string(),
        })
        .collect()
}

async fn play(app: &TestApp, c: &Conversation) -> Played {
    let d = &c.doc;
    let platform = d["platform"].as_str().unwrap();
    let chat_id = d["chat_id"].as_str().unwrap();
    let conv_id = d["id"].as_str().unwrap_or(&c.file);
    let messages = d["messages"].as_array().expect("messages");
    let max_offset = messages
        .iter()
        .filter_map(|m| m["offset"].as_f64())
        .fold(0.0, f64::max);
    let start = NaiveTime::parse_from_str(d["start"].as_str().unwrap_or("09:00"), "%H:%M").expect("start");
    let days_back = ((max_offset + 24.0 * 60.0) / (24.0 * 60.0)).ceil() as i64 + 1;
    let day = (chrono::Utc::now().with_timezone(&Shanghai) - Span::days(days_back)).date_naive();
    let base = Shanghai
        .from_local_datetime(&day.and_time(start))
        .single()
        .expect("unambiguous start")
        .with_timezone(&chrono::Utc);
    let people = &d["people"];

    let mut played = Played::default();
    let mut seqs: HashMap<String, i64> = HashMap::new();
    let mut times: Vec<(i64, String)> = Vec::new();
    for m in messages {
        let id = m["id"].as_str().expect("message id");
        let sender = m["sender"].as_str().expect("sender");
        let mut text = m["text"].as_str().unwrap_or_default().to_string();
        while let Some(start) = text.find("{seq:") {
            let end = start + text[start..].find('}').expect("closing brace of {seq:…}");
            let named = &text[start + 5..end];
            let seq = seqs.get(named).map_or("?".to_string(), |s| s.to_string());
            text.replace_range(start..=end, &seq);
        }
        let at = base + Span::milliseconds((m["offset"].as_f64().unwrap() * 60_000.0).round() as i64);
        times.push((at.timestamp_millis(), id.to_string()));
        let mut body = json!({
            "platform": platform,
            "message_id": format!("{conv_id}-{id}"),
            "chat_id": chat_id,
            "sender": { "id": sender, "name": people[sender].as_str().unwrap_or(sender) },
            "text": text,
            "at": rfc3339(at),
            "mentions": [],
        });
        if let Some(reply_to) = m["reply_to"].as_str() {
            body["reply_to"] = format!("{conv_id}-{reply_to}").into();
        }
        let response = app
            .request(Method::POST, "/v1/messages")
            .json(&body)
            .send()
            .await
            .expect("POST /v1/messages");
        let (status, answer) = json_of(response).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {id}: {answer}", c.file);
        let mut shown = Vec::new();
        for action in answer["actions"].as_array().expect("actions") {
            let issue = action["issue"].as_str().unwrap().to_string();
            let kind = action["kind"].as_str().unwrap().to_string();
            if kind == "raised" {
                played
                    .raised
                    .entry(id.to_string())
                    .or_default()
                    .push(issue.clone());
                if let Some(seq) = action["seq"].as_i64() {
                    seqs.entry(id.to_string()).or_insert(seq);
                }
            }
            shown.push(format!("{kind} #{}", action["seq"]));
        }
        played.answers.insert(id.to_string(), shown);
    }
    for issue in played.raised.values().flatten() {
        let body = app.get_json(&format!("/v1/issues/{}", encode_path(issue))).await;
        let mut stages = HashMap::new();
        for stage in body["stages"].as_array().expect("stages") {
            let met = stage["met_at"].as_str().map(|at| {
                let ms = chrono::DateTime::parse_from_rfc3339(at)
                    .expect("met_at")
                    .timestamp_millis();
                times
                    .iter()
                    .find(|(t, _)| *t == ms)
                    .map_or_else(|| format!("(at {at})"), |(_, id)| id.clone())
            });
            stages.insert(stage["stage"].as_str().unwrap().to_string(), met);
        }
        played.met.insert(issue.clone(), stages);
    }
    played
}

#[derive(Default, Clone, Copy)]
struct Score {
    real: usize,
    found: usize,
    spurious: usize,
    stages: [(usize, usize); 3],
    /// Per stage, how the wrong outcomes of found issues were wrong: met
    /// too early, too late, never met, or met where no stage was due.
    wrong: [[usize; 4]; 3],
    /// Missed issues whose raising message was ignored, joined an issue
    /// that is no real one, or joined or acted on a real issue.
    missed: [usize; 3],
    /// Spurious issues raised by a requester, and by staff.
    spurious_by: [usize; 2],
}

const WRONG_KINDS: [&str; 4] = ["early", "late", "unmet", "extra"];

impl Score {
    fn add(&mut self, other: &Score) {
        self.real += other.real;
        self.found += other.found;
        self.spurious += other.spurious;
        for (mine, theirs) in self.stages.iter_mut().zip(other.stages) {
            mine.0 += theirs.0;
            mine.1 += theirs.1;
        }
        for (mine, theirs) in self.missed.iter_mut().zip(other.missed) {
            *mine += theirs;
        }
        for (mine, theirs) in self.spurious_by.iter_mut().zip(other.spurious_by) {
            *mine += theirs;
        }
        for (mine, theirs) in self.wrong.iter_mut().zip(other.wrong) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
    }
    fn stage_rate(&self) -> f64 {
        let (right, all) = self
            .stages
            .iter()
            .fold((0, 0), |acc, s| (acc.0 + s.0, acc.1 + s.1));
        right as f64 / all.max(1) as f64
    }
    fn spurious_rate(&self) -> f64 {
        self.spurious as f64 / self.real.max(1) as f64
    }
    fn found_rate(&self) -> f64 {
        self.found as f64 / self.real.max(1) as f64
    }
}

/// The sequence numbers of the issues no gold issue claims, as the answers
/// show them.
fn spurious_seqs(c: &Conversation, played: &Played) -> Vec<String> {
    let gold_raisers: BTreeSet<&str> = c.doc["gold"]["issues"]
        .as_array()
        .expect("gold.issues")
        .iter()
        .filter_map(|i| i["raised_by"].as_str())
        .collect();
    played
        .raised
        .keys()
        .filter(|m| !gold_raisers.contains(m.as_str()))
        .flat_map(|m| played.answers.get(m).cloned().unwrap_or_default())
        .filter_map(|a| a.strip_prefix("raised #").map(String::from))
        .collect()
}

fn sender_of<'a>(c: &'a Conversation, message: &str) -> &'a str {
    c.doc["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["id"] == message)
        .and_then(|m| m["sender"].as_str())
        .unwrap_or_default()
}

fn is_staff(c: &Conversation, sender: &str) -> bool {
    ["staff", "zone_staff"].iter().any(|list| {
        c.doc[*list]
            .as_array()
            .is_some_and(|people| people.iter().any(|p| p == sender))
    })
}

/// Scores one conversation; `notes` collects the disagreements.
fn score(c: &Conversation, played: &Played, notes: &mut Vec<String>) -> Score {
    let gold = &c.doc["gold"];
    let mut s = Score::default();
    let position: HashMap<&str, usize> = c.doc["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .enumerate()
        .map(|(i, m)| (m["id"].as_str().unwrap_or_default(), i))
        .collect();
    let mut claimed: BTreeSet<String> = BTreeSet::new();
    let mut used: HashMap<String, usize> = HashMap::new();
    for issue in gold["issues"].as_array().expect("gold.issues") {
        s.real += 1;
        let raised_by = issue["raised_by"].as_str().expect("raised_by");
        let n = used.entry(raised_by.to_string()).or_default();
        let key = played
            .raised
            .get(raised_by)
            .and_then(|keys| keys.get(*n))
            .cloned();
        *n += 1;
        let Some(key) = key else {
            notes.push(format!("{}: missed the issue raised by {raised_by}", c.file));
            let answers = played.answers.get(raised_by).cloned().unwrap_or_default();
            let spurious_seqs: Vec<String> = spurious_seqs(c, played);
            let joined_spurious = answers
                .iter()
                .any(|a| spurious_seqs.iter().any(|seq| a.ends_with(&format!(" #{seq}"))));
            s.missed[match (answers.is_empty(), joined_spurious) {
                (true, _) => 0,
                (false, true) => 1,
                (false, false) => 2,
            }] += 1;
            for (i, stage) in STAGES.iter().enumerate() {
                s.stages[i].1 += 1;
                notes.push(format!(
                    "{}:   {stage} of {raised_by}: wanted {}",
                    c.file, issue[stage]["at"]
                ));
            }
            continue;
        };
        s.found += 1;
        claimed.insert(key.clone());
        for (i, stage) in STAGES.iter().enumerate() {
            let wanted = issue[stage]["at"].as_str().map(String::from);
            let got = played
                .met
                .get(&key)
                .and_then(|m| m.get(*stage))
                .cloned()
                .flatten();
            s.stages[i].1 += 1;
            if wanted == got {
                s.stages[i].0 += 1;
            } else {
                let kind = match (&wanted, &got) {
                    (Some(_), None) => 2,
                    (None, _) => 3,
                    (Some(w), Some(g)) => match (position.get(w.as_str()), position.get(g.as_str())) {
                        (Some(w), Some(g)) if g < w => 0,
                        _ => 1,
                    },
                };
                s.wrong[i][kind] += 1;
                notes.push(format!(
                    "{}: {stage} of the issue raised by {raised_by}: wanted {:?}, got {:?}",
                    c.file, wanted, got
                ));
            }
        }
    }
    for (message, keys) in &played.raised {
        for key in keys {
            if !claimed.contains(key) {
                s.spurious += 1;
                s.spurious_by[usize::from(is_staff(c, sender_of(c, message)))] += 1;
                notes.push(format!("{}: spurious issue raised by {message}", c.file));
            }
        }
    }
    s
}

async fn the_corpus_is_read_as_labelled(backend: Backend) {
    let corpus = load_corpus();
    let app = spawn_app(backend, &corpus_config(&corpus)).await;
    // The held-out part is scored but not shown unless asked for by name,
    // so that rules are not written against it.
    let verbose = std::env::var("SLAWATCH_CONVERSATIONS_VERBOSE").unwrap_or_default();
    let mut by_part: BTreeMap<String, Score> = BTreeMap::new();
    let mut report = String::new();
    for c in &corpus {
        let played = play(&app, c).await;
        let mut notes = Vec::new();
        let s = score(c, &played, &mut notes);
        by_part.entry(c.part.clone()).or_default().add(&s);
        let shown = match verbose.as_str() {
            "" => false,
            "all" => true,
            _ => c.part != "holdout",
        };
        if shown && !notes.is_empty() {
            report.push_str(&format!(
                "--- {} ({})\n",
                c.file,
                c.doc["summary"].as_str().unwrap_or("")
            ));
            for m in c.doc["messages"].as_array().unwrap() {
                let id = m["id"].as_str().unwrap();
                report.push_str(&format!(
                    "    {id:>4} {:<10} {:?} -> {}\n",
                    m["sender"].as_str().unwrap().chars().take(10).collect::<String>(),
                    m["text"].as_str().unwrap().chars().take(70).collect::<String>(),
                    played.answers.get(id).map(|a| a.join(", ")).unwrap_or_default()
                ));
            }
            for note in notes {
                report.push_str(&format!("  {note}\n"));
            }
        }
    }
    let mut summary = format!("conversation corpus on {backend:?}:\n");
    for (part, s) in &by_part {
        summary.push_str(&format!(
            "  {part:<9} issues {:>3}  found {:.3}  spurious {:.3}  stages right {:.3} (ack {}/{}, handle {}/{}, plan {}/{})\n",
            s.real,
            s.found_rate(),
            s.spurious_rate(),
            s.stage_rate(),
            s.stages[0].0,
            s.stages[0].1,
            s.stages[1].0,
            s.stages[1].1,
            s.stages[2].0,
            s.stages[2].1,
        ));
    }
    for (part, s) in &by_part {
        let kinds: Vec<String> = STAGES
            .iter()
            .zip(s.wrong)
            .map(|(stage, wrong)| {
                let counts: Vec<String> = WRONG_KINDS
                    .iter()
                    .zip(wrong)
                    .map(|(kind, n)| format!("{kind} {n}"))
                    .collect();
                format!("{stage}: {}", counts.join(", "))
            })
            .collect();
        summary.push_str(&format!(
            "  {part:<9} wrong stages of found issues: {}\n  {part:<9} missed issues: ignored {}, joined a spurious one {}, joined a real one {}; spurious issues: by requesters {}, by staff {}\n",
            kinds.join("; "),
            s.missed[0],
            s.missed[1],
            s.missed[2],
            s.spurious_by[0],
            s.spurious_by[1],
        ));
    }
    eprintln!("{report}{summary}");
    for (part, stages, spurious, found) in FLOORS {
        let Some(s) = by_part.get(part).copied() else {
            assert_eq!(part, MAY_BE_EMPTY, "the {part} conversations were not played");
            continue;
        };
        assert!(
            s.stage_rate() >= stages && s.spurious_rate() <= spurious && s.found_rate() >= found,
            "the {part} conversations fell below their floor (stages right ≥ {stages}, spurious ≤ {spurious}, found ≥ {found}):\n{summary}"
        );
    }
}
