//! Alerts: which state changes reach the on-call phone, and how repeats are
//! merged (DOMAIN: the on-call operator is woken for what is down, once).
//!
//! Rules, in order:
//! - A check in maintenance never alerts, and neither does `unknown` (Vigie
//!   cannot tell: its own network may be cut); they leave the last alerted
//!   level as it was.
//! - A check alerts when its level changes from what was last sent:
//!   `critical` (down), `flapping`, or `ok` again (a recovery is sent only
//!   after a critical or flapping alert). Degraded is not critical.
//! - A check that flaps sends one `flapping` alert, then nothing until it
//!   settles (down: critical; up: recovered).
//! - Changes are held for the merge window from the first one; what changed
//!   and changed back within it sends nothing, and several changes go out
//!   as one summary.
//!
//! Pure: the time is always a parameter.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{CheckResult, Status};

/// The payload a webhook expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    /// A JSON document (`title`, `text`, `level`, `items`) POSTed as is.
    Generic,
    /// A Matrix room message, PUT through the client-server API.
    Matrix,
    /// `{"text": ...}` POSTed to a Mattermost or Slack incoming webhook.
    Slack,
}

/// Where a secret is read from, when the daemon starts (never from the
/// configuration itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    /// A file only its owner may read or write.
    File(std::path::PathBuf),
}

/// Where a webhook's URL comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    Plain(String),
    Secret(SecretSource),
}

/// One `[[alerts.webhooks]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSpec {
    pub name: String,
    pub kind: WebhookKind,
    /// The endpoint (Matrix: the homeserver's base URL). A Slack or
    /// Mattermost URL is itself a secret, so it may come from the
    /// environment or a file too.
    pub url: UrlSource,
    /// Matrix: the room id (`!abc:example.org`).
    pub room: Option<String>,
    /// Bearer token (Matrix access token, or the generic endpoint's).
    pub token: Option<SecretSource>,
}

/// `[alerts]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSettings {
    /// Changes within this long of the first are sent as one message.
    pub merge_window: Duration,
    pub webhooks: Vec<WebhookSpec>,
}

impl Default for AlertSettings {
    fn default() -> AlertSettings {
        AlertSettings {
            merge_window: Duration::from_secs(30),
            webhooks: Vec::new(),
        }
    }
}

/// What was last sent about a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Flapping,
    Critical,
}

impl Level {
    /// The level a result asks for; `None` for results that never alert
    /// (maintenance, unknown).
    pub fn of(status: Status, flapping: bool) -> Option<Level> {
        match status {
            Status::Maintenance | Status::Unknown => None,
            _ if flapping => Some(Level::Flapping),
            Status::Down => Some(Level::Critical),
            Status::Up | Status::Degraded => Some(Level::Ok),
        }
    }
}

/// One check's change in an alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertItem {
    pub check_id: String,
    pub level: Level,
    pub status: Status,
    pub at: DateTime<Utc>,
    /// The result's message (already cleaned by the source).
    pub message: String,
}

impl AlertItem {
    /// One line for a chat message.
    pub fn line(&self) -> String {
        let what = match self.level {
            Level::Critical => "DOWN",
            Level::Flapping => "FLAPPING",
            Level::Ok => "RECOVERED",
        };
        format!("{what} {}: {}", self.check_id, self.message)
    }
}

/// What is sent: one change, or a summary of several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub items: Vec<AlertItem>,
}

/// Lines of a summary before "and N more".
pub const SUMMARY_LINES: usize = 20;

impl Alert {
    /// The worst level in the alert.
    pub fn worst(&self) -> Level {
        self.items
            .iter()
            .map(|i| i.level)
            .max()
            .unwrap_or(Level::Ok)
    }

    /// The first line: the change itself, or counts for a summary.
    pub fn title(&self) -> String {
        if let [one] = self.items.as_slice() {
            return format!("Vigie: {}", one.line());
        }
        let count = |l: Level| self.items.iter().filter(|i| i.level == l).count();
        let mut parts = Vec::new();
        for (level, word) in [
            (Level::Critical, "down"),
            (Level::Flapping, "flapping"),
            (Level::Ok, "recovered"),
        ] {
            let n = count(level);
            if n > 0 {
                parts.push(format!("{n} {word}"));
            }
        }
        format!("Vigie: {}", parts.join(", "))
    }

    /// The whole text: the title, then a line per change (worst first).
    pub fn text(&self) -> String {
        if self.items.len() == 1 {
            return self.title();
        }
        let mut items: Vec<&AlertItem> = self.items.iter().collect();
        items.sort_by(|a, b| b.level.cmp(&a.level).then(a.check_id.cmp(&b.check_id)));
        let mut out = self.title();
        for item in items.iter().take(SUMMARY_LINES) {
            out.push('\n');
            out.push_str(&item.line());
        }
        if items.len() > SUMMARY_LINES {
            out.push_str(&format!("\n… and {} more", items.len() - SUMMARY_LINES));
        }
        out
    }

    /// Several alerts that could not be sent in time become one summary,
    /// keeping the latest change per check.
    pub fn merge(alerts: impl IntoIterator<Item = Alert>) -> Alert {
        let mut by_check: BTreeMap<String, AlertItem> = BTreeMap::new();
        for alert in alerts {
            for item in alert.items {
                by_check.insert(item.check_id.clone(), item);
            }
        }
        Alert {
            items: by_check.into_values().collect(),
        }
    }
}

/// Decides what to send, from the stream of results.
#[derive(Debug, Clone)]
pub struct Alerter {
    window: Duration,
    /// What was last sent per check (absent: ok).
    sent: BTreeMap<String, Level>,
    /// The latest alerting result per check since the window opened.
    pending: BTreeMap<String, AlertItem>,
    opened: Option<DateTime<Utc>>,
}

impl Alerter {
    pub fn new(window: Duration) -> Alerter {
        Alerter {
            window,
            sent: BTreeMap::new(),
            pending: BTreeMap::new(),
            opened: None,
        }
    }

    /// Starts from the states a restarted daemon resumes, so a check that
    /// was already down is not announced again.
    pub fn resume(&mut self, states: impl IntoIterator<Item = (String, Status)>) {
        for (id, status) in states {
            if let Some(level) = Level::of(status, false) {
                self.sent.insert(id, level);
            }
        }
    }

    /// Takes one judged result in.
    pub fn observe(&mut self, r: &CheckResult) {
        let Some(level) = Level::of(r.status, r.flapping) else {
            return;
        };
        let sent = self.sent.get(&r.check_id).copied().unwrap_or(Level::Ok);
        if level == sent && !self.pending.contains_key(&r.check_id) {
            return;
        }
        // A flapping check stays flapping until it settles.
        if sent == Level::Flapping && r.flapping {
            self.pending.remove(&r.check_id);
            return;
        }
        self.opened.get_or_insert(r.at);
        self.pending.insert(
            r.check_id.clone(),
            AlertItem {
                check_id: r.check_id.clone(),
                level,
                status: r.status,
                at: r.at,
                message: r.message.clone(),
            },
        );
    }

    /// The alert to send now, once the merge window has passed since the
    /// first held change; changes that came back to what was last sent are
    /// dropped.
    pub fn due(&mut self, now: DateTime<Utc>) -> Option<Alert> {
        let opened = self.opened?;
        let window = chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::zero());
        if now - opened < window {
            return None;
        }
        self.opened = None;
        let mut items = Vec::new();
        for (id, item) in std::mem::take(&mut self.pending) {
            let sent = self.sent.get(&id).copied().unwrap_or(Level::Ok);
            if item.level != sent {
                self.sent.insert(id, item.level);
                items.push(item);
            }
        }
        (!items.is_empty()).then_some(Alert { items })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 0)
            .single()
            .unwrap()
            + chrono::Duration::seconds(s)
    }

    fn r(id: &str, status: Status, flapping: bool, at: i64) -> CheckResult {
        let mut c = CheckResult::observed(id, t(at), status, None, "msg");
        c.flapping = flapping;
        c
    }

    const W: Duration = Duration::from_secs(30);

    /// Runs `results` (each at its time) and asks for alerts every second
    /// until `until`; returns each alert's (checks, levels).
    fn run(results: &[CheckResult], until: i64) -> Vec<Vec<(String, Level)>> {
        let mut a = Alerter::new(W);
        let mut out = Vec::new();
        let mut next = 0;
        for now in 0..=until {
            while next < results.len() && results[next].at <= t(now) {
                a.observe(&results[next]);
                next += 1;
            }
            if let Some(alert) = a.due(t(now)) {
                out.push(
                    alert
                        .items
                        .iter()
                        .map(|i| (i.check_id.clone(), i.level))
                        .collect(),
                );
            }
        }
        out
    }

    #[test]
    fn a_check_going_down_alerts_once_after_the_window() {
        let got = run(
            &[
                r("a/web", Status::Down, false, 0),
                r("a/web", Status::Down, false, 60),
                r("a/web", Status::Down, false, 120),
            ],
            200,
        );
        assert_eq!(got, vec![vec![("a/web".to_string(), Level::Critical)]]);
    }

    #[test]
    fn down_then_up_within_the_window_sends_nothing() {
        let got = run(
            &[
                r("a/web", Status::Down, false, 0),
                r("a/web", Status::Up, false, 10),
            ],
            100,
        );
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn recovery_is_sent_after_a_critical() {
        let got = run(
            &[
                r("a/web", Status::Down, false, 0),
                r("a/web", Status::Up, false, 100),
            ],
            200,
        );
        assert_eq!(
            got,
            vec![
                vec![("a/web".to_string(), Level::Critical)],
                vec![("a/web".to_string(), Level::Ok)]
            ]
        );
    }

    #[test]
    fn a_flapping_check_sends_one_message() {
        let mut results = Vec::new();
        for i in 0..20 {
            let s = if i % 2 == 0 { Status::Down } else { Status::Up };
            results.push(r("a/web", s, i >= 3, i * 60));
        }
        let got = run(&results, 20 * 60);
        let flapping: Vec<_> = got
            .iter()
            .flatten()
            .filter(|(_, l)| *l == Level::Flapping)
            .collect();
        assert_eq!(flapping.len(), 1, "{got:?}");
        // The three changes before it was judged flapping were each sent
        // (a minute apart, longer than the window); after the flapping
        // message, 16 more changes send nothing.
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got.last().unwrap()[0].1, Level::Flapping);
    }

    #[test]
    fn a_burst_becomes_one_summary() {
        let results: Vec<CheckResult> = (0..12)
            .map(|i| r(&format!("h{i}/web"), Status::Down, false, i))
            .collect();
        let got = run(&results, 100);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].len(), 12);
    }

    #[test]
    fn maintenance_and_unknown_never_alert() {
        let got = run(
            &[
                r("a/web", Status::Maintenance, false, 0),
                r("b/web", Status::Unknown, false, 0),
            ],
            100,
        );
        assert!(got.is_empty());
        // Down, then into maintenance: no recovery is announced.
        let got = run(
            &[
                r("a/web", Status::Down, false, 0),
                r("a/web", Status::Maintenance, false, 100),
            ],
            300,
        );
        assert_eq!(got, vec![vec![("a/web".to_string(), Level::Critical)]]);
    }

    #[test]
    fn degraded_is_not_critical() {
        assert!(run(&[r("a/web", Status::Degraded, false, 0)], 100).is_empty());
    }

    #[test]
    fn a_restart_does_not_announce_what_was_already_down() {
        let mut a = Alerter::new(W);
        a.resume([("a/web".to_string(), Status::Down)]);
        a.observe(&r("a/web", Status::Down, false, 0));
        assert_eq!(a.due(t(100)), None);
        a.observe(&r("a/web", Status::Up, false, 200));
        assert_eq!(a.due(t(300)).map(|x| x.items[0].level), Some(Level::Ok));
    }

    #[test]
    fn summaries_say_what_changed_worst_first() {
        let alert = Alert {
            items: vec![
                AlertItem {
                    check_id: "b/web".into(),
                    level: Level::Ok,
                    status: Status::Up,
                    at: t(0),
                    message: "200 OK".into(),
                },
                AlertItem {
                    check_id: "a/web".into(),
                    level: Level::Critical,
                    status: Status::Down,
                    at: t(0),
                    message: "HTTP 503".into(),
                },
            ],
        };
        assert_eq!(
            alert.text(),
            "Vigie: 1 down, 1 recovered\nDOWN a/web: HTTP 503\nRECOVERED b/web: 200 OK"
        );
        let one = Alert {
            items: vec![alert.items[1].clone()],
        };
        assert_eq!(one.text(), "Vigie: DOWN a/web: HTTP 503");
    }

    #[test]
    fn merging_keeps_the_latest_change_per_check() {
        let item = |id: &str, level| AlertItem {
            check_id: id.into(),
            level,
            status: Status::Down,
            at: t(0),
            message: String::new(),
        };
        let merged = Alert::merge([
            Alert {
                items: vec![item("a", Level::Critical), item("b", Level::Critical)],
            },
            Alert {
                items: vec![item("a", Level::Ok)],
            },
        ]);
        assert_eq!(merged.items.len(), 2);
        assert_eq!(merged.items[0].level, Level::Ok);
    }
}
