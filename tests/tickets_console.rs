//! The Tickets pane in the console: urgency order, the stale mark, the
//! timer keys (stopping asks for a comment), notes, read-only refusals.

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use vigie::model::tickets::{Journal, Ticket};
use vigie::sources::tickets::desk::DeskView;
use vigie::store::tickets::{Cached, Timer};
use vigie::ui::app::{App, Effect, Msg, update};
use vigie::ui::panes::PaneId;
use vigie::ui::panes::tickets::{TicketCmd, TicketsFeed};
use vigie::ui::snapshot;

fn ticket(id: u64, client: &str, title: &str, priority: &str, created: DateTime<Utc>) -> Ticket {
    Ticket {
        id,
        project: format!("{client}-support"),
        client: Some(client.into()),
        title: title.into(),
        status: "New".into(),
        closed: false,
        priority: priority.into(),
        tracker: "Support".into(),
        author: "Client".into(),
        assignee: None,
        created,
        updated: created,
        spent: Duration::ZERO,
        first_time_entry: None,
        journals: vec![],
        url: Some(format!("https://redmine.example.org/issues/{id}")),
    }
}

/// Sunday 22 Nov 2026 18:42 Paris (common::now): a breached urgent ticket
/// from Friday, one due Monday, one with a running timer.
fn feed(error: Option<&str>) -> TicketsFeed {
    let now = common::now();
    let h = |n: i64| now - chrono::Duration::hours(n);
    let mut noted = ticket(12, "velo", "Formulaire muet", "normal", h(30));
    noted.journals.push(Journal {
        at: h(29),
        author: "Alice".into(),
        notes: Some("Regarde\nles logs".into()),
        status_change: Some(("New".into(), "In Progress".into())),
    });
    let tickets = vec![
        noted,
        ticket(10, "cagette", "Caisses hors ligne", "urgent", h(52)),
        ticket(11, "cagette", "Paiement \u{1b}[2Jrefusé", "urgent", h(2)),
    ];
    TicketsFeed {
        view: Some(DeskView {
            cached: Cached {
                tickets,
                synced: Some(now - chrono::Duration::minutes(12)),
                error: error.map(String::from),
            },
            error: error.map(String::from),
            timer: Some(Timer {
                operator: "alice".into(),
                backend: "redmine".into(),
                ticket: 12,
                started: now - chrono::Duration::minutes(20),
            }),
            pending: vec![],
            entries: vec![],
        }),
        backend: "redmine".into(),
        ..TicketsFeed::default()
    }
}

fn app_with_tickets(error: Option<&str>) -> App {
    let mut app = common::app();
    update(&mut app, Msg::Tickets(Box::new(feed(error))));
    app.focus = PaneId::Tickets;
    app.zoomed = true;
    app
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn screen(app: &App, w: u16, h: u16) -> String {
    snapshot::text(&snapshot::frame(app, w, h).unwrap())
}

#[test]
fn breached_first_then_nearest_deadline_and_escapes_harmless() {
    let app = app_with_tickets(None);
    for (w, h) in [(80, 24), (200, 60)] {
        let text = screen(&app, w, h);
        let pos = |s: &str| {
            text.find(s)
                .unwrap_or_else(|| panic!("{s} missing at {w}x{h}:\n{text}"))
        };
        assert!(pos("Caisses hors ligne") < pos("Paiement"), "{text}");
        assert!(pos("Paiement") < pos("Formulaire muet"), "{text}");
        assert!(text.contains("LATE"), "{text}");
        assert!(text.contains("▶20m"), "{text}");
        assert!(!text.contains('\u{1b}'));
        assert!(text.contains("redmine · synced 12m ago"), "{text}");
    }
}

#[test]
fn an_unreachable_tracker_is_marked_stale_with_the_caches_age() {
    let app = app_with_tickets(Some("tracker unreachable: connection refused"));
    let text = screen(&app, 120, 30);
    assert!(
        text.contains("STALE (cache 12m old): tracker unreachable"),
        "{text}"
    );
    assert!(
        text.contains("Caisses hors ligne"),
        "cached tickets still shown"
    );
}

#[test]
fn the_detail_shows_notes_and_status_history() {
    let mut app = app_with_tickets(None);
    for _ in 0..2 {
        update(
            &mut app,
            Msg::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)),
        );
    }
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    let text = screen(&app, 120, 30);
    assert!(text.contains("#12 Formulaire muet"), "{text}");
    assert!(text.contains("Alice · status New → In Progress"), "{text}");
    assert!(
        text.contains("  Regarde") && text.contains("  les logs"),
        "{text}"
    );
}

#[test]
fn stopping_asks_for_a_comment_then_switches() {
    let mut app = app_with_tickets(None);
    // Row 0 is ticket 10; the timer runs on 12.
    assert!(
        update(&mut app, key('t')).is_empty(),
        "the editor opens first"
    );
    assert!(screen(&app, 120, 30).contains("Stop #12 (then start #10)"));
    for c in "Logs lus".chars() {
        update(&mut app, key(c));
    }
    let effects = update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
    );
    assert_eq!(
        effects,
        vec![Effect::Ticket(TicketCmd::Stop {
            comment: "Logs lus".into(),
            title: "Formulaire muet".into(),
            client: Some("velo".into()),
            then_start: Some(10),
        })]
    );
    assert!(app.editor.is_none());
}

#[test]
fn cancelling_the_comment_keeps_the_timer_and_a_refused_note_comes_back() {
    let mut app = app_with_tickets(None);
    update(&mut app, key('t'));
    let effects = update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
    );
    assert!(effects.is_empty());
    assert!(app.notice.as_ref().unwrap().text.contains("keeps running"));

    update(&mut app, key('n'));
    for c in "On regarde".chars() {
        update(&mut app, key(c));
    }
    let effects = update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
    );
    assert_eq!(
        effects,
        vec![Effect::Ticket(TicketCmd::Note {
            ticket: 10,
            text: "On regarde".into()
        })]
    );
    let mut back = feed(None);
    back.notice = Some("note NOT sent to #10: unreachable".into());
    back.returned = Some((10, "On regarde".into()));
    update(&mut app, Msg::Tickets(Box::new(back)));
    let ed = app.editor.as_ref().expect("the note is back in the editor");
    assert_eq!(ed.area.lines().join("\n"), "On regarde");
}

#[test]
fn read_only_refuses_timers_and_notes_but_opens_the_browser() {
    let mut app = app_with_tickets(None);
    app.modes.read_only = true;
    assert!(update(&mut app, key('t')).is_empty());
    assert!(update(&mut app, key('n')).is_empty());
    assert!(app.editor.is_none());
    assert!(app.notice.as_ref().unwrap().text.contains("read-only"));
    assert_eq!(
        update(&mut app, key('o')),
        vec![Effect::Ticket(TicketCmd::Open(
            "https://redmine.example.org/issues/10".into()
        ))]
    );
}
