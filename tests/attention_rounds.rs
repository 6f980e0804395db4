//! The collecting console (no daemon) keeps the alerts' first sightings in
//! the store: it stores a round when the set of open alerts changes, never
//! before it has read what the store knew, and never while a daemon collects.

mod common;

use chrono::Duration as Span;
use vigie::model::Status;
use vigie::model::attention::Record;
use vigie::store::attention::AlertWrite;
use vigie::store::{Reader, WriteOp, Writer};
use vigie::ui::app::{App, Effect, Feed, Msg, update};
use vigie::ui::attention::{self, Lifecycle};

fn tick(app: &mut App) -> Vec<Vec<Record>> {
    let now = app.data.now + Span::seconds(1);
    update(app, Msg::Tick(now))
        .into_iter()
        .filter_map(|e| match e {
            Effect::Round(records) => Some(records),
            _ => None,
        })
        .collect()
}

fn open_ids(app: &App) -> Vec<String> {
    let mut ids: Vec<String> = attention::open(app)
        .iter()
        .map(|o| o.alert.id.clone())
        .collect();
    ids.sort();
    ids
}

fn ids(records: &[Record]) -> Vec<String> {
    let mut ids: Vec<String> = records
        .iter()
        .filter(|r| r.resolved.is_none())
        .map(|r| r.id.clone())
        .collect();
    ids.sort();
    ids
}

/// A critical POS alert on the first store the demo watches.
fn critical_store(app: &mut App) {
    let mut view = app.data.pos.values().next().cloned().unwrap();
    view.status = Status::Down;
    view.at = app.data.now;
    view.alerts = vec![vigie::model::pos::Alert {
        key: "till-down:Caisse 1".into(),
        severity: Status::Down,
        message: "Caisse 1 does not answer at closing".into(),
        since: app.data.now - Span::minutes(3),
        occurrences: 1,
    }];
    update(app, Msg::Pos(Box::new(view)));
}

#[test]
fn the_collecting_console_stores_a_round_when_the_open_set_changes() {
    let mut app = common::app();
    assert_eq!(app.feed, Feed::LocalEngine);
    assert!(
        tick(&mut app).is_empty(),
        "nothing stored before the store's lifecycle was read"
    );
    update(&mut app, Msg::Attention(Box::default()));
    let first = tick(&mut app);
    assert_eq!(first.len(), 1, "one round once the lifecycle is known");
    assert!(!first[0].is_empty());
    assert_eq!(ids(&first[0]), open_ids(&app));
    assert!(
        tick(&mut app).is_empty(),
        "the same set is not stored again"
    );
    critical_store(&mut app);
    let second = tick(&mut app);
    assert_eq!(second.len(), 1, "a new alert makes a new round");
    let store_alert = second[0]
        .iter()
        .find(|r| r.id.starts_with("pos:") && r.id.contains("till-down"))
        .expect("the store's alert is in the round");
    assert_eq!(
        store_alert.first_seen,
        app.data.now - Span::minutes(3) - Span::seconds(1)
    );
    // Following a daemon: the daemon stores the rounds.
    update(&mut app, Msg::Feed(Feed::Daemon));
    let mut cleared = app.data.pos.values().next().cloned().unwrap();
    cleared.alerts.clear();
    cleared.status = Status::Up;
    update(&mut app, Msg::Pos(Box::new(cleared)));
    assert!(tick(&mut app).is_empty());
}

/// Stored, a round's first sighting is what the next console (or `vigie
/// alerts`) reads as the alert's `since`, however late it sees it.
#[test]
fn a_stored_round_keeps_since_for_the_next_reader() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigie.db");
    let mut app = common::app();
    update(&mut app, Msg::Attention(Box::default()));
    critical_store(&mut app);
    let round = tick(&mut app).pop().expect("a round");
    let writer = Writer::spawn(&db).unwrap();
    writer
        .send(WriteOp::Alerts(AlertWrite::Round {
            records: round,
            at: app.data.now,
        }))
        .unwrap();
    writer.flush().unwrap();
    let records = Reader::open(&db).unwrap().alert_records().unwrap();
    // A later console whose judge only saw the problem now.
    let mut later = common::app();
    later.data.now = app.data.now + Span::minutes(5);
    update(
        &mut later,
        Msg::Attention(Box::new(Lifecycle {
            records,
            silences: Vec::new(),
        })),
    );
    let mut view = app.data.pos.values().next().cloned().unwrap();
    view.at = later.data.now;
    for a in &mut view.alerts {
        a.since = later.data.now;
    }
    update(&mut later, Msg::Pos(Box::new(view)));
    let open = attention::open(&later);
    let till = open
        .iter()
        .find(|o| o.alert.id.contains("till-down"))
        .expect("still open");
    assert_eq!(
        till.alert.since,
        app.data.now - Span::minutes(3) - Span::seconds(1)
    );
}
