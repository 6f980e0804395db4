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
//! - A POS store alerts by its state (its worst raised alert): critical
//!   when a till, line or session fails in a critical period (30 min
//!   around opening and closing), a `warning` that does not page outside
//!   them (tills work offline), `ok` again when it clears; a store under
//!   announced maintenance leaves its last level as it was.
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
    /// `[[alerts.receivers]]`: e-mail and ntfy.
    pub receivers: Vec<super::receiver::ReceiverSpec>,
    /// Where phones acknowledge (`listen`, `ack_secret_file`).
    pub ack: Option<super::receiver::AckSettings>,
}

impl Default for AlertSettings {
    fn default() -> AlertSettings {
        AlertSettings {
            merge_window: Duration::from_secs(30),
            webhooks: Vec::new(),
            receivers: Vec::new(),
            ack: None,
        }
    }
}

/// What was last sent about a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    /// Sent, but not a page (a POS problem outside a critical period).
    Warning,
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

    /// The level a POS store's state asks for: its worst alert is
    /// critical only in a critical period (the judge made it `Down`
    /// there), a warning otherwise; `None` while under maintenance or
    /// not yet observed.
    pub fn of_store(status: Status) -> Option<Level> {
        match status {
            Status::Maintenance | Status::Unknown => None,
            Status::Down => Some(Level::Critical),
            Status::Degraded => Some(Level::Warning),
            Status::Up => Some(Level::Ok),
        }
    }
}

/// What a store's view says to the alerter: its id (`pos:client/site`),
/// level, state and a message naming the store, its period and its worst
/// alert. `silenced`: an announced maintenance window covers the store
/// now (no level: nothing is sent).
pub fn store_change(
    view: &super::pos::StoreView,
    silenced: bool,
) -> (String, Option<Level>, Status, String) {
    let id = super::pos::alert_id(&view.client, &view.site);
    let level = if silenced {
        None
    } else {
        Level::of_store(view.status)
    };
    let mut message = format!("{} ({})", view.name, view.period.label());
    if let Some(worst) = view.alerts.first() {
        message.push_str(": ");
        message.push_str(&worst.message);
        if view.alerts.len() > 1 {
            message.push_str(&format!(" (+{} more)", view.alerts.len() - 1));
        }
    }
    (id, level, view.status, message)
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
            Level::Warning => "WARNING",
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
            (Level::Warning, "warning"),
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

    /// Starts from levels already sent (a POS store's stored state), so
    /// a restart does not announce them again.
    pub fn resume_levels(&mut self, levels: impl IntoIterator<Item = (String, Level)>) {
        self.sent.extend(levels);
    }

    /// Takes one judged result in.
    pub fn observe(&mut self, r: &CheckResult) {
        let Some(level) = Level::of(r.status, r.flapping) else {
            return;
        };
        self.observe_level(&r.check_id, level, r.flapping, r.status, r.at, &r.message);
    }

    /// Takes a POS store's latest view in (see [`store_change`]).
    pub fn observe_store(&mut self, view: &super::pos::StoreView, silenced: bool) {
        let (id, level, status, message) = store_change(view, silenced);
        if let Some(level) = level {
            self.observe_level(&id, level, false, status, view.at, &message);
        }
    }

    fn observe_level(
        &mut self,
        id: &str,
        level: Level,
        flapping: bool,
        status: Status,
        at: DateTime<Utc>,
        message: &str,
    ) {
        let sent = self.sent.get(id).copied().unwrap_or(Level::Ok);
        if level == sent && !self.pending.contains_key(id) {
            return;
        }
        // A flapping check stays flapping until it settles.
        if sent == Level::Flapping && flapping {
            self.pending.remove(id);
            return;
        }
        self.opened.get_or_insert(at);
        self.pending.insert(
            id.to_string(),
            AlertItem {
                check_id: id.to_string(),
                level,
                status,
                at,
                message: message.to_string(),
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

    fn store(
        status: Status,
        period: crate::model::pos::Period,
        at: i64,
    ) -> crate::model::pos::StoreView {
        use crate::model::pos::{PosSettings, StorePos, StoreView};
        use crate::model::{DayHours, OpeningHours, Site, TimeOfDay};
        let open = DayHours::Open {
            open: TimeOfDay::new(9, 0).unwrap(),
            close: TimeOfDay::new(20, 0).unwrap(),
        };
        let site = Site {
            id: "sud".into(),
            name: "Magasin Sud".into(),
            timezone: chrono_tz::Europe::Paris,
            hours: OpeningHours { days: [open; 7] },
            pos: None,
        };
        let pos = StorePos {
            tills: Vec::new(),
            iot: None,
            uplinks: Vec::new(),
            traffic: None,
            configs: Vec::new(),
            settings: PosSettings::default(),
        };
        let mut v = StoreView::pending("coop", &site, &pos, t(at));
        v.status = status;
        v.period = period;
        if status != Status::Up {
            v.alerts = vec![crate::model::pos::Alert {
                key: "till-down:Caisse 1".into(),
                severity: status,
                message: "till Caisse 1 unreachable".into(),
                since: t(at),
                occurrences: 1,
            }];
        }
        v
    }

    #[test]
    fn a_store_pages_only_in_a_critical_period_and_never_under_maintenance() {
        use crate::model::pos::Period;
        // (store state, period, silenced, expected levels sent)
        let cases = [
            (Status::Down, Period::Opening, false, vec![Level::Critical]),
            (Status::Degraded, Period::Open, false, vec![Level::Warning]),
            (Status::Down, Period::Closing, true, vec![]),
            (Status::Up, Period::Open, false, vec![]),
            (Status::Unknown, Period::Opening, false, vec![]),
        ];
        for (status, period, silenced, want) in cases {
            let mut a = Alerter::new(W);
            a.observe_store(&store(status, period, 0), silenced);
            let got: Vec<Level> = a
                .due(t(100))
                .map(|x| x.items.iter().map(|i| i.level).collect())
                .unwrap_or_default();
            assert_eq!(got, want, "{status:?} {period:?} silenced={silenced}");
        }
    }

    #[test]
    fn a_store_alert_names_the_store_its_period_and_its_worst_problem() {
        use crate::model::pos::Period;
        let mut a = Alerter::new(W);
        a.observe_store(&store(Status::Down, Period::Opening, 0), false);
        let alert = a.due(t(60)).unwrap();
        assert_eq!(
            alert.text(),
            "Vigie: DOWN pos:coop/sud: Magasin Sud (opening): till Caisse 1 unreachable"
        );
        // Cleared: a recovery; a warning after it is announced as such.
        a.observe_store(&store(Status::Up, Period::Open, 100), false);
        assert_eq!(a.due(t(200)).map(|x| x.items[0].level), Some(Level::Ok));
        a.observe_store(&store(Status::Degraded, Period::Open, 300), false);
        let warn = a.due(t(400)).unwrap();
        assert_eq!(
            warn.title(),
            "Vigie: WARNING pos:coop/sud: Magasin Sud (open): till Caisse 1 unreachable"
        );
    }

    #[test]
    fn a_restart_does_not_announce_a_store_already_sent() {
        use crate::model::pos::Period;
        let mut a = Alerter::new(W);
        a.resume_levels([("pos:coop/sud".to_string(), Level::Critical)]);
        a.observe_store(&store(Status::Down, Period::Opening, 0), false);
        assert_eq!(a.due(t(100)), None);
    }
}
