//! The Alerts view and acknowledging from the console: what the view lists
//! and in which order, Enter to the alert's row, `a` with a comment typed
//! (never lost), `A`, `:silence`, and the header and view as drawn at 80x24
//! and 120x30.

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use vigie::model::attention::{Ack, Domain, Record, Severity};
use vigie::store::attention::AlertWrite;
use vigie::ui::action::Action;
use vigie::ui::app::{App, Effect, Msg, Overlay, dispatch, run_command, update};
use vigie::ui::attention;
use vigie::ui::panes::PaneId;
use vigie::ui::snapshot;

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::from(code))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        update(app, key(KeyCode::Char(c)));
    }
}

fn ctrl_s(app: &mut App) -> Vec<Effect> {
    update(
        app,
        Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
    )
}

fn screen(app: &App, w: u16, h: u16) -> String {
    snapshot::text(&snapshot::frame(app, w, h).unwrap())
}

fn notice(app: &App) -> String {
    app.notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

const DOWN: &str = "checks:mutu-test/coop-test";
const DEGRADED: &str = "checks:odoo-coop/erp";

/// Marks `id` acknowledged in the console's copy of the store, as the
/// follower would read it after `vigie ack`.
fn acknowledged(app: &mut App, id: &str, by: &str, comment: &str) {
    let since = attention::open(app)
        .iter()
        .find(|o| o.alert.id == id)
        .map(|o| o.alert.since)
        .expect("the alert is open");
    app.data.lifecycle.records.insert(
        id.into(),
        Record {
            id: id.into(),
            first_seen: since,
            resolved: None,
            ack: Some(Ack {
                by: by.into(),
                at: common::now() - chrono::Duration::minutes(4),
                comment: comment.into(),
                expires: None,
            }),
        },
    );
    app.epoch += 1;
}

fn select(app: &mut App, id: &str) {
    let list = attention::open(app);
    let i = list.iter().position(|o| o.alert.id == id).unwrap();
    app.alerts_view.selected = i;
    app.alerts_view.anchor = Some(id.into());
}

#[test]
fn bang_opens_the_view_with_unattended_alerts_before_taken_ones() {
    let mut app = common::app();
    acknowledged(&mut app, DOWN, "alice", "restarting the pool");
    update(&mut app, key(KeyCode::Char('!')));
    assert_eq!(app.overlay, Overlay::Alerts);
    for (w, h) in [(80, 24), (120, 30)] {
        let text = screen(&app, w, h);
        let needs = text.find("Needs someone").unwrap_or(usize::MAX);
        let taken = text.find("Taken (1)").unwrap_or(0);
        assert!(needs < taken, "{w}x{h}:\n{text}");
        assert!(
            text.contains("✔ taken by alice 4m ago: restarting the pool"),
            "{text}"
        );
        assert!(text.contains("odoo-coop/erp"), "{text}");
        assert!(text.contains("mutu-test/coop-test"), "{text}");
        assert!(text.contains("▲"), "{text}");
        assert!(text.contains("✖"), "{text}");
    }
    // :alerts is the same view; Esc closes it.
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.overlay, Overlay::None);
    run_command(&mut app, "alerts");
    assert_eq!(app.overlay, Overlay::Alerts);
}

#[test]
fn enter_goes_to_the_alerts_row_in_its_pane_clearing_a_filter_that_hides_it() {
    let mut app = common::app();
    app.focus = PaneId::Tickets;
    let health = app.panes.iter_mut().find(|p| p.id() == PaneId::Health);
    health.unwrap().set_filter("zzz");
    dispatch(&mut app, Action::Alerts);
    select(&mut app, DEGRADED);
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.overlay, Overlay::None);
    assert_eq!(app.focus, PaneId::Health);
    let pane = app.pane(PaneId::Health).unwrap();
    assert_eq!(pane.filter(), "");
    assert_eq!(pane.selected_row(&app.data).as_deref(), Some("odoo-coop"));
}

#[test]
fn a_acknowledges_the_selected_alert_with_the_comment_typed() {
    let mut app = common::app();
    dispatch(&mut app, Action::Alerts);
    select(&mut app, DEGRADED);
    update(&mut app, key(KeyCode::Char('a')));
    assert!(app.alert_editor.is_some());
    let text = screen(&app, 80, 24);
    assert!(text.contains("Acknowledge odoo-coop/erp"), "{text}");
    typed(&mut app, "slow disk, watching");
    let effects = ctrl_s(&mut app);
    assert!(app.alert_editor.is_none());
    let [Effect::Alerts(AlertWrite::Ack { id, ack })] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(id, DEGRADED);
    assert_eq!(ack.comment, "slow disk, watching");
    assert_eq!(ack.at, common::now());
    assert_eq!(ack.expires, None);
}

#[test]
fn a_typed_comment_is_never_lost_by_esc() {
    let mut app = common::app();
    dispatch(&mut app, Action::Alerts);
    select(&mut app, DOWN);
    update(&mut app, key(KeyCode::Char('a')));
    typed(&mut app, "on my way");
    update(&mut app, key(KeyCode::Esc));
    assert!(app.alert_editor.is_none());
    assert!(notice(&app).contains("comment is kept"), "{}", notice(&app));
    // The view is still open; `a` again brings the comment back.
    assert_eq!(app.overlay, Overlay::Alerts);
    update(&mut app, key(KeyCode::Char('a')));
    let lines = app.alert_editor.as_ref().map(|e| e.area.lines().join("\n"));
    assert_eq!(lines.as_deref(), Some("on my way"));
    let effects = ctrl_s(&mut app);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Alerts(AlertWrite::Ack { ack, .. })] if ack.comment == "on my way"
    ));
    // Saved: the draft is gone.
    assert!(app.alert_drafts.is_empty());
}

#[test]
fn a_on_a_pane_row_acknowledges_that_rows_alerts_or_says_it_has_none() {
    let mut app = common::app();
    app.focus = PaneId::Health;
    let data = app.data.clone();
    let health = app.panes.iter_mut().find(|p| p.id() == PaneId::Health);
    assert!(health.unwrap().select_row("mutu-test", &data));
    update(&mut app, key(KeyCode::Char('a')));
    typed(&mut app, "x");
    let effects = ctrl_s(&mut app);
    assert!(
        matches!(effects.as_slice(), [Effect::Alerts(AlertWrite::Ack { id, .. })] if id == DOWN),
        "{effects:?}"
    );
    // A host without an open alert.
    let host = app
        .data
        .fleet
        .hosts
        .iter()
        .map(|h| h.name.clone())
        .find(|h| h == "dev-1")
        .unwrap();
    let health = app.panes.iter_mut().find(|p| p.id() == PaneId::Health);
    assert!(health.unwrap().select_row(&host, &data));
    update(&mut app, key(KeyCode::Char('a')));
    assert!(app.alert_editor.is_none());
    assert_eq!(notice(&app), "no open alert on dev-1");
}

#[test]
fn shift_a_removes_an_acknowledgement_and_says_when_there_is_none() {
    let mut app = common::app();
    acknowledged(&mut app, DOWN, "alice", "");
    dispatch(&mut app, Action::Alerts);
    select(&mut app, DOWN);
    let effects = update(&mut app, key(KeyCode::Char('A')));
    assert!(
        matches!(effects.as_slice(), [Effect::Alerts(AlertWrite::Unack { id, .. })] if id == DOWN),
        "{effects:?}"
    );
    select(&mut app, DEGRADED);
    assert!(update(&mut app, key(KeyCode::Char('A'))).is_empty());
    assert_eq!(notice(&app), "odoo-coop/erp is not acknowledged");
}

#[test]
fn silence_on_the_command_line_or_in_the_form() {
    let mut app = common::app();
    let effects = run_command(
        &mut app,
        "silence client=cagette host=mutu-test domain=checks for 2h planned work",
    );
    let [Effect::Alerts(AlertWrite::Silence(s))] = effects.as_slice() else {
        panic!("{effects:?} {}", notice(&app));
    };
    assert_eq!(s.client.as_deref(), Some("cagette"));
    assert_eq!(s.host.as_deref(), Some("mutu-test"));
    assert_eq!(s.domain, Some(Domain::Checks));
    assert_eq!(s.severity, None);
    assert_eq!(s.end - s.start, chrono::Duration::hours(2));
    assert_eq!(s.comment, "planned work");
    // Without a comment: the form opens with the selected alert's matchers.
    dispatch(&mut app, Action::Alerts);
    select(&mut app, DOWN);
    run_command(&mut app, "silence");
    let text = app
        .alert_editor
        .as_ref()
        .map(|e| e.area.lines().join("\n"))
        .unwrap_or_default();
    assert!(text.contains("host: mutu-test"), "{text}");
    assert!(text.contains("check: coop-test"), "{text}");
    assert!(text.contains("for: 2h"), "{text}");
    // Saving without a comment keeps the form open and says why.
    assert!(ctrl_s(&mut app).is_empty());
    assert!(app.alert_editor.is_some());
    assert!(notice(&app).contains("needs a comment"), "{}", notice(&app));
    typed(&mut app, " deploying");
    let effects = ctrl_s(&mut app);
    assert!(
        matches!(effects.as_slice(), [Effect::Alerts(AlertWrite::Silence(s))]
            if s.comment == "deploying" && s.severity.is_none() && s.host.as_deref() == Some("mutu-test")),
        "{effects:?} {}",
        notice(&app)
    );
    // An unknown client is said, nothing written.
    let mut app = common::app();
    assert!(run_command(&mut app, "silence client=nobody for 1h why").is_empty());
    assert!(
        notice(&app).starts_with("unknown client 'nobody'"),
        "{}",
        notice(&app)
    );
    let _ = Severity::Critical;
}

#[test]
fn a_write_applied_locally_shows_at_once() {
    let mut app = common::app();
    let writes =
        vigie::ui::alerts::editor::acks(&[DOWN.to_string()], "bob", common::now(), "on it");
    for w in &writes {
        vigie::ui::alerts::apply_locally(&mut app.data.lifecycle, w, common::now());
    }
    app.epoch += 1;
    let open = attention::open(&app);
    let o = open.iter().find(|o| o.alert.id == DOWN).unwrap();
    assert_eq!(o.ack.as_ref().map(|a| a.by.as_str()), Some("bob"));
}

/// The header and the view as drawn: the counts over every domain with
/// the taken ones said apart, the worst unattended alert, the view's groups.
#[test]
fn header_and_alerts_view_snapshots() {
    let mut app = common::app();
    acknowledged(&mut app, DOWN, "alice", "restarting the pool");
    for (w, h) in [(80u16, 24u16), (120, 30)] {
        let text = screen(&app, w, h);
        let header = text.lines().next().unwrap_or_default();
        assert!(header.contains("(1 ack)"), "{w}x{h}: {header}");
        // The worst unattended first: the degraded check, not the taken down one.
        assert!(!header.contains("taken by"), "{header}");
        insta::assert_snapshot!(format!("alerts_header_{w}x{h}"), header);
    }
    dispatch(&mut app, Action::Alerts);
    for (w, h) in [(80u16, 24u16), (120, 30)] {
        let text = screen(&app, w, h);
        assert!(text.contains(" Alerts · "), "{text}");
        assert!(text.contains("1 taken"), "{text}");
        insta::assert_snapshot!(format!("alerts_view_{w}x{h}"), text);
    }
}

/// POS and Maintenance say when a filter hides everything, as the other
/// panes do.
#[test]
fn pos_and_maintenance_filters_that_hide_everything_say_so() {
    for (pane, what) in [(PaneId::Pos, "stores"), (PaneId::Maintenance, "subjects")] {
        let mut app = common::app();
        app.focus = pane;
        let p = app.panes.iter_mut().find(|p| p.id() == pane).unwrap();
        p.set_filter("no-such-thing");
        let text = screen(&app, 120, 40);
        assert!(text.contains(" shown"), "{what}:\n{text}");
        assert!(text.contains("0 of "), "{what}:\n{text}");
    }
}

/// A store's alert times are the store's: labelled with its zone when
/// that is not the display zone.
#[test]
fn pos_alert_times_carry_the_stores_zone_when_it_is_not_the_display_zone() {
    use chrono::Duration as Span;
    let mut app = common::app();
    let mut view = app.data.pos.values().next().cloned().unwrap();
    view.status = vigie::model::Status::Down;
    view.at = app.data.now;
    view.alerts = vec![vigie::model::pos::Alert {
        key: "till-down:Caisse 1".into(),
        severity: vigie::model::Status::Down,
        message: "Caisse 1 does not answer".into(),
        since: app.data.now - Span::minutes(30),
        occurrences: 1,
    }];
    app.focus = PaneId::Pos;
    app.zoomed = true;
    update(&mut app, Msg::Pos(Box::new(view.clone())));
    let same = screen(&app, 120, 40);
    assert!(
        same.contains("since 18:12 ") && !same.contains("since 18:12 CET"),
        "{same}"
    );
    app.data.tz = chrono_tz::America::Montreal;
    update(&mut app, Msg::Pos(Box::new(view)));
    let other = screen(&app, 120, 40);
    assert!(other.contains("since 18:12 CET"), "{other}");
}

/// The wall's clocks name the display zone.
#[test]
fn the_wall_clock_names_the_display_zone() {
    let mut app = common::app();
    app.modes.read_only = true;
    app.wall = Some(vigie::ui::wall::Wall::default());
    for (w, h) in [(120, 30), (80, 24), (60, 12)] {
        let text = screen(&app, w, h);
        assert!(
            text.contains("Europe/Paris") || text.contains(" CET"),
            "{w}x{h}:\n{text}"
        );
    }
}

/// The alert under the cursor when the view opened stays under it when
/// the list re-sorts (another console took it: it moves to "Taken"): `a`
/// takes the alert the operator saw.
#[test]
fn the_selection_follows_its_alert_when_the_list_resorts() {
    let mut app = common::app();
    update(&mut app, key(KeyCode::Char('!')));
    let seen = attention::open(&app)[0].alert.id.clone();
    acknowledged(&mut app, &seen, "bob", "mine");
    assert_ne!(attention::open(&app)[0].alert.id, seen, "taken sorts after");
    update(&mut app, key(KeyCode::Char('a')));
    typed(&mut app, " too");
    let effects = ctrl_s(&mut app);
    assert!(
        matches!(effects.as_slice(), [Effect::Alerts(AlertWrite::Ack { id, ack })]
            if *id == seen && ack.comment == "mine too"),
        "{effects:?}"
    );
}
