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
        intervention: None,
        journals_as_of: None,
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
                cursor: None,
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
            unread: 0,
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

fn shift(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::SHIFT))
}

fn ctrl_s() -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL))
}

fn selected_row(app: &App) -> String {
    let text = screen(app, 120, 30);
    // The selection is the row the pane draws with the selection style;
    // read it through the pane instead of colours.
    let id = app
        .pane(PaneId::Tickets)
        .and_then(|p| p.selected_ticket(&app.data));
    format!("{id:?}\n{text}")
}

#[test]
fn the_selection_stays_on_the_same_ticket_when_the_order_moves() {
    let mut app = app_with_tickets(None);
    // Rows: 10 (breached), 11 (due soon), 12 (timer running, clock stopped).
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)),
    );
    let pane = |app: &App| {
        app.pane(PaneId::Tickets)
            .and_then(|p| p.selected_ticket(&app.data))
    };
    assert_eq!(pane(&app), Some(11), "{}", selected_row(&app));
    // A resync brings a new breached ticket at the top and the timer
    // switched to 11 (its clock stops: it moves down).
    let mut next = feed(None);
    if let Some(view) = next.view.as_mut() {
        let old = common::now() - chrono::Duration::hours(80);
        view.cached
            .tickets
            .push(ticket(9, "cagette", "Sauvegarde absente", "urgent", old));
        if let Some(t) = view.timer.as_mut() {
            t.ticket = 11;
        }
    }
    update(&mut app, Msg::Tickets(Box::new(next)));
    assert_eq!(pane(&app), Some(11), "{}", selected_row(&app));
    // Keys act on that ticket, and moving goes on from where it is now.
    update(&mut app, key('n'));
    assert!(screen(&app, 120, 30).contains("Note on #11"));
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
    );
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE)),
    );
    let above = pane(&app);
    assert!(above.is_some() && above != Some(11));
}

#[test]
fn a_new_ticket_is_typed_in_the_editor_and_checked_before_it_leaves() {
    let mut app = app_with_tickets(None);
    assert!(update(&mut app, shift('N')).is_empty());
    let text = screen(&app, 120, 30);
    assert!(text.contains("New ticket"), "{text}");
    // The client of the selected ticket is proposed; the title is typed.
    let typed = app.editor.as_ref().map(|e| e.area.lines().join("\n"));
    assert_eq!(
        typed.as_deref(),
        Some("client: cagette\npriority: normal\ntitle: ")
    );
    for c in "Balance HS".chars() {
        update(&mut app, key(c));
    }
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    for c in "au rayon fruits".chars() {
        update(&mut app, key(c));
    }
    assert_eq!(
        update(&mut app, ctrl_s()),
        vec![Effect::Ticket(TicketCmd::Create {
            client: "cagette".into(),
            priority: "normal".into(),
            title: "Balance HS".into(),
            description: "au rayon fruits".into(),
        })]
    );
    assert!(app.editor.is_none());

    // An unknown client keeps the editor open with the text, and says why.
    update(&mut app, shift('N'));
    if let Some(ed) = app.editor.as_mut() {
        ed.area.select_all();
        ed.area.cut();
        ed.area.insert_str("client: nobody\ntitle: x");
    }
    assert!(update(&mut app, ctrl_s()).is_empty());
    assert!(app.editor.is_some(), "the text is kept");
    let notice = app
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(notice.contains("unknown client 'nobody'"), "{notice}");
}

#[test]
fn a_status_is_chosen_among_the_trackers() {
    let mut app = app_with_tickets(None);
    let mut f = feed(None);
    f.statuses = ["New", "In Progress", "Closed"]
        .iter()
        .map(|n| vigie::sources::tickets::StatusName {
            name: (*n).into(),
            closed: *n == "Closed",
        })
        .collect();
    update(&mut app, Msg::Tickets(Box::new(f)));
    update(&mut app, shift('S'));
    let text = screen(&app, 120, 30);
    assert!(
        text.contains("Status of #10 (New, In Progress, Closed)"),
        "{text}"
    );
    if let Some(ed) = app.editor.as_mut() {
        ed.area.select_all();
        ed.area.cut();
        ed.area.insert_str("in progress");
    }
    assert_eq!(
        update(&mut app, ctrl_s()),
        vec![Effect::Ticket(TicketCmd::SetStatus {
            ticket: 10,
            status: "In Progress".into()
        })]
    );
    update(&mut app, shift('S'));
    if let Some(ed) = app.editor.as_mut() {
        ed.area.insert_str("zzz");
    }
    assert!(update(&mut app, ctrl_s()).is_empty());
    assert!(app.editor.is_some());
}

#[test]
fn read_only_refuses_new_tickets_and_statuses() {
    let mut app = app_with_tickets(None);
    app.modes.read_only = true;
    assert!(update(&mut app, shift('N')).is_empty());
    assert!(update(&mut app, shift('S')).is_empty());
    assert!(app.editor.is_none());
    assert!(app.notice.as_ref().unwrap().text.contains("read-only"));
    // And the runner's side refuses the effects themselves.
    for cmd in [
        TicketCmd::Create {
            client: "cagette".into(),
            priority: "urgent".into(),
            title: "x".into(),
            description: String::new(),
        },
        TicketCmd::SetStatus {
            ticket: 10,
            status: "Closed".into(),
        },
    ] {
        let kept = vigie::ui::guard::permit(&mut app, vec![Effect::Ticket(cmd)]);
        assert!(kept.is_empty());
    }
    let kept = vigie::ui::guard::permit(&mut app, vec![Effect::Ticket(TicketCmd::History(10))]);
    assert_eq!(kept.len(), 1, "reading a history changes nothing");
}

#[test]
fn the_footer_shows_words_not_action_names() {
    let app = app_with_tickets(None);
    let text = screen(&app, 200, 60);
    let footer = text.lines().last().unwrap_or_default().to_string();
    assert!(footer.contains("t start/stop timer"), "{footer}");
    assert!(footer.contains("N new ticket"), "{footer}");
    assert!(!footer.contains('_'), "{footer}");
}

#[test]
fn opening_a_ticket_whose_history_was_skipped_reads_it() {
    let mut app = app_with_tickets(None);
    let mut f = feed(None);
    if let Some(view) = f.view.as_mut() {
        for t in &mut view.cached.tickets {
            if t.id == 10 {
                t.journals_as_of = Some(t.created);
            }
        }
    }
    update(&mut app, Msg::Tickets(Box::new(f)));
    let effects = update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    assert_eq!(effects, vec![Effect::Ticket(TicketCmd::History(10))]);
    assert!(screen(&app, 120, 30).contains("history as of"));
}

#[test]
fn starting_a_timer_on_the_first_row_keeps_that_ticket_selected() {
    let mut app = app_with_tickets(None);
    let mut f = feed(None);
    if let Some(view) = f.view.as_mut() {
        view.timer = None;
    }
    update(&mut app, Msg::Tickets(Box::new(f)));
    // No key moved the selection: row 0, ticket 10.
    assert_eq!(
        update(&mut app, key('t')),
        vec![Effect::Ticket(TicketCmd::Start(10))]
    );
    // The timer stops 10's clock: it moves below the running ones.
    let mut f = feed(None);
    if let Some(t) = f.view.as_mut().and_then(|v| v.timer.as_mut()) {
        t.ticket = 10;
    }
    update(&mut app, Msg::Tickets(Box::new(f)));
    let first_row = screen(&app, 120, 30)
        .lines()
        .find(|l| l.contains("Paiement") || l.contains("Caisses") || l.contains("Formulaire"))
        .unwrap_or_default()
        .to_string();
    assert!(!first_row.contains("Caisses"), "10 moved: {first_row}");
    update(
        &mut app,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    assert!(screen(&app, 120, 30).contains("#10 Caisses hors ligne"));
}

#[test]
fn the_narrow_board_fits_80_columns() {
    let app = app_with_tickets(None);
    let text = screen(&app, 80, 24);
    let head = text
        .lines()
        .find(|l| l.contains("DEADLINE"))
        .unwrap_or_default()
        .to_string();
    assert!(head.contains("SPENT"), "{head}");
}

#[test]
fn the_wide_board_keeps_cost_and_age_apart() {
    let app = app_with_tickets(None);
    let text = screen(&app, 200, 60);
    // Below the header, which names the late ticket too.
    let row = text
        .lines()
        .skip(1)
        .find(|l| l.contains("Caisses"))
        .unwrap_or_default()
        .to_string();
    assert!(row.contains("EUR "), "{row}");
    let head = text
        .lines()
        .find(|l| l.contains("DEADLINE"))
        .unwrap_or_default()
        .to_string();
    // The header's AGE ends where the rows' age does.
    let end = |l: &str| l.trim_end_matches(['│', ' ']).chars().count();
    assert_eq!(end(&head), end(&row), "\n{head}\n{row}");
}

#[test]
fn a_clock_whose_history_is_being_read_says_checking() {
    let now = common::now();
    let mut f = feed(None);
    let view = f.view.as_mut().unwrap();
    // #13 changed since it was opened and its history is not read yet.
    let mut unread = ticket(
        13,
        "velo",
        "Relance SEPA",
        "urgent",
        now - chrono::Duration::hours(50),
    );
    unread.updated = now - chrono::Duration::hours(1);
    unread.journals_as_of = Some(unread.created);
    view.cached.tickets.push(unread);
    view.unread = 1;
    let mut app = common::app();
    update(&mut app, Msg::Tickets(Box::new(f)));
    app.focus = PaneId::Tickets;
    app.zoomed = true;
    for (w, h) in [(80, 24), (200, 60)] {
        let text = screen(&app, w, h);
        let row = text
            .lines()
            .find(|l| l.contains("Relance SEPA"))
            .unwrap_or_else(|| panic!("#13 missing at {w}x{h}:\n{text}"));
        assert!(row.contains("checking"), "{row}");
        assert!(
            !row.contains("LATE"),
            "not judged late before its history: {row}"
        );
        assert!(text.contains("reading 1 history"), "{text}");
        assert!(
            text.find("Caisses hors ligne") < text.find("Relance SEPA"),
            "the breached one stays first:\n{text}"
        );
    }
}
