//! The console's one alert list: each pane's judge says its alerts
//! (`Pane::alerts`), usage adds the clients near a quota, and the list is
//! sorted worst first. The header, the wall's big word and client dots,
//! and the bell all read this list, so they cannot disagree.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::app::App;
use super::panes::Data;
use crate::model::Status;
use crate::model::attention::{self, Alert, Open, Record, Severity, Silence};
use crate::model::maintenance::WindowState;

/// What the store keeps of the alerts' lifecycle, as the follower read it:
/// who acknowledged what, and the silences.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lifecycle {
    pub records: BTreeMap<String, Record>,
    pub silences: Vec<Silence>,
}

/// How long a cleared alert keeps its identity and acknowledgement.
pub const MERGE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Every open alert at `app.data.now` with its acknowledgement and
/// silence: unattended first, then worst first. Silenced ones are left out
/// of counts and the overall state by their readers.
pub fn open(app: &App) -> Rc<Vec<Open>> {
    let d = &app.data;
    let key = [
        app.epoch,
        d.generation(),
        d.backups.generation,
        d.tickets.version,
        d.now.timestamp_millis().unsigned_abs(),
    ];
    if let Some((k, open)) = app.open.borrow().as_ref() {
        if *k == key {
            return open.clone();
        }
    }
    let l = &d.lifecycle;
    let list = Rc::unwrap_or_clone(list(app));
    let (open, _) = attention::round(&l.records, list, &l.silences, MERGE_WINDOW, d.now);
    let open = Rc::new(open);
    *app.open.borrow_mut() = Some((key, open.clone()));
    open
}

/// The records to store when the set of open alerts moved since the last
/// round this console stored (`App::rounded`): each alert's first sighting
/// and each clearing, so `since` and the merge window outlive the console.
/// `None` while the set is the same.
pub fn round_due(app: &mut App) -> Option<Vec<Record>> {
    let ids: BTreeSet<String> = open(app).iter().map(|o| o.alert.id.clone()).collect();
    if app.rounded.as_ref() == Some(&ids) {
        return None;
    }
    let l = &app.data.lifecycle;
    let alerts = Rc::unwrap_or_clone(list(app));
    let (_, kept) = attention::round(&l.records, alerts, &l.silences, MERGE_WINDOW, app.data.now);
    app.rounded = Some(ids);
    Some(kept)
}

/// The alerts that are not silenced, worst first (what the header counts
/// and the wall's big word and dots show).
pub fn shown(open: &[Open]) -> Vec<Alert> {
    let mut out: Vec<Alert> = open
        .iter()
        .filter(|o| o.silenced.is_none())
        .map(|o| o.alert.clone())
        .collect();
    attention::sort(&mut out);
    out
}

/// Every open alert at `app.data.now`, worst first. Made once per change
/// of the data (`App::epoch`): a frame asks for it twice (header, wall),
/// and a key that only moves a selection changes nothing in it.
pub fn list(app: &App) -> Rc<Vec<Alert>> {
    // What tests and tools change in place is in the key too.
    let d = &app.data;
    let key = [
        app.epoch,
        d.generation(),
        d.backups.generation,
        d.tickets.version,
        d.now.timestamp_millis().unsigned_abs(),
    ];
    if let Some((k, list)) = app.alerts.borrow().as_ref() {
        if *k == key {
            return list.clone();
        }
    }
    let list = Rc::new(build(app));
    *app.alerts.borrow_mut() = Some((key, list.clone()));
    list
}

fn build(app: &App) -> Vec<Alert> {
    let mut out = Vec::new();
    for pane in &app.panes {
        pane.alerts(&app.data, &mut out);
    }
    let near = crate::model::usage::near_quotas(&app.data.usage.reports);
    attention::usage_alerts(&near, app.data.now, &mut out);
    // Vigie itself: a store that cannot be written loses history and
    // acknowledgements (the tracker is the tickets pane's to say).
    let me = attention::SelfState {
        store: app.store_fault.as_ref().map(|f| {
            let since = app.store_fault_since.unwrap_or(app.data.now);
            (f.clone(), since)
        }),
        ..attention::SelfState::default()
    };
    attention::vigie_alerts(&me, &app.data.fleet.attention, app.data.now, &mut out);
    attention::sort(&mut out);
    out
}

/// The one overall state: the worst alert's; without warnings or
/// criticals, unknown while a check has no verdict, maintenance while a
/// window runs, else up. The wall's big word and the header's lead both come from it.
pub fn overall(list: &[Alert], data: &Data) -> Status {
    if let Some(worst) = list.first().filter(|a| a.severity > Severity::Info) {
        return worst.severity.status();
    }
    // Checks not judged yet (or judged unknown: Vigie cut off) leave the
    // fleet's state unknown, as the checks' own worst says.
    let checks = data.worst();
    if checks == Status::Unknown && data.fleet.checks().next().is_some() {
        return Status::Unknown;
    }
    let windows = data
        .maintenance
        .iter()
        .any(|w| w.state_at(data.now) == WindowState::InProgress);
    if windows || checks == Status::Maintenance {
        return Status::Maintenance;
    }
    Status::Up
}

/// Whether a critical alert calls for the bell: one not rung for yet that
/// began while this console watched (`watching_since`) and was not in the
/// first list it made (`rung` is `None` until then), so starting a console
/// on a known outage does not ring, whatever its judge knows of when it
/// began. This is the bell's one path, for every domain (checks too).
/// `fresh` names alerts whose subject was judged for the first time since
/// the last call (a check's first verdict, already down): found, not new,
/// so they do not ring. `rung` keeps the open criticals' ids: one that
/// resolves and comes back rings again.
pub fn new_criticals(
    list: &[Open],
    rung: &mut Option<BTreeSet<String>>,
    watching_since: DateTime<Utc>,
    fresh: &BTreeSet<String>,
) -> bool {
    // Acknowledged or silenced: someone is on it, or it was said to wait.
    let open: BTreeSet<String> = list
        .iter()
        .filter(|o| o.unattended())
        .map(|o| &o.alert)
        .filter(|a| a.severity == Severity::Critical)
        .map(|a| a.id.clone())
        .collect();
    let ring = rung.as_ref().is_some_and(|before| {
        list.iter().map(|o| &o.alert).any(|a| {
            open.contains(&a.id)
                && a.since >= watching_since
                && !before.contains(&a.id)
                && !fresh.contains(&a.id)
        })
    });
    *rung = Some(open);
    ring
}
