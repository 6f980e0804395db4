//! The wall display as drawn: large state and clock, client states and open
//! incidents worst first, pages that rotate with the clock; the bell on a
//! new critical; the frame-rate caps.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as Span;
use vigie::engine::Event;
use vigie::model::{CheckResult, Status};
use vigie::ui::app::{App, Effect, Modes, Msg, update};
use vigie::ui::keymap::Keymap;
use vigie::ui::run::frame_interval;
use vigie::ui::snapshot;
use vigie::ui::theme::{ColorDepth, ThemeSet};
use vigie::ui::wall::{self, ROTATE_EVERY_SECS, Wall};

fn wall_app() -> App {
    let mut app = common::app();
    app.modes.read_only = true;
    app.wall = Some(Wall::default());
    app
}

fn screen(app: &App, w: u16, h: u16) -> String {
    snapshot::text(&snapshot::frame(app, w, h).unwrap())
}

#[test]
fn the_wall_shows_a_store_the_daemon_cannot_write() {
    let mut app = wall_app();
    assert!(!screen(&app, 200, 60).contains("STORE"));
    app.store_fault = Some("store cannot be written since 2026-12-07 21:00 UTC: disk full".into());
    let text = screen(&app, 200, 60);
    assert!(text.contains("STORE FAILING"), "{text}");
}

#[test]
fn the_wall_leads_with_the_state_and_the_clock_in_large_type() {
    let app = wall_app();
    for (w, h) in [(80, 24), (200, 60)] {
        let text = screen(&app, w, h);
        let lines: Vec<&str> = text.lines().collect();
        // Five rows of block glyphs at the top: the state word and 18:42
        // (common::now() is 17:42 UTC, shown in Paris time).
        assert!(
            lines[..5].iter().all(|l| l.contains('█')),
            "{w}x{h}:\n{text}"
        );
        // The down check and the demo's ping source without a point.
        assert!(
            lines[5].contains("✖ 2 critical · ▲ 1 warning"),
            "{w}x{h}:\n{text}"
        );
        assert!(text.contains("Sun 22 Nov 18:42:07"), "{w}x{h}:\n{text}");
        // No keys footer, no prompts, no panes' borders.
        assert!(!text.contains("? help"), "{text}");
        assert!(!text.contains('┌'), "{text}");
    }
}

#[test]
fn the_big_clock_shows_hours_and_minutes() {
    let app = wall_app();
    let text = screen(&app, 200, 60);
    let top: Vec<String> = text.lines().take(5).map(String::from).collect();
    let expected = wall::bigtext::lines("18:42", 3);
    for (row, want) in top.iter().zip(expected.iter()) {
        assert!(
            row.trim_end().ends_with(want.trim_end()),
            "{row:?} / {want:?}"
        );
    }
}

#[test]
fn the_worst_client_and_incident_come_first() {
    let app = wall_app();
    let text = screen(&app, 120, 40);
    let clients = text.find("Clients").unwrap();
    let incidents = text.find("Open incidents").unwrap();
    assert!(clients < incidents);
    let first_client = text[clients..].lines().nth(1).unwrap();
    assert!(first_client.contains('✖'), "{first_client}");
    let first_incident = text[incidents..].lines().nth(1).unwrap();
    assert!(
        first_incident.contains("✖ mutu-test coop-test: HTTP 503"),
        "{first_incident}"
    );
    let second = text[incidents..].lines().nth(2).unwrap();
    assert!(second.contains("▲ odoo-coop erp"), "{second}");
}

/// A fleet of `n` clients with one host and one check each.
pub fn many_clients(n: usize) -> Arc<vigie::model::Fleet> {
    let mut toml = String::from(
        "[contracts.basic]\nintervention = { urgent = \"2h\" }\nhourly_rate = 1\nmonthly_fee = 0\n",
    );
    for i in 0..n {
        toml.push_str(&format!(
            "[clients.c{i}]\nname = \"Client {i}\"\ntimezone = \"Europe/Paris\"\ncontract = \"basic\"\n\
             [clients.c{i}.environments.prod]\nhosts = [\"h{i}\"]\n\
             [hosts.h{i}]\naddress = \"127.0.0.1\"\n\
             [[hosts.h{i}.checks]]\nname = \"web\"\nkind = \"tcp\"\naddress = \"127.0.0.1:9\"\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, toml).unwrap();
    Arc::new(vigie::config::load(&path).unwrap().fleet)
}

fn big_wall(n: usize) -> App {
    let fleet = many_clients(n);
    let themes = ThemeSet::load(None).unwrap();
    let theme = themes.resolve("dark", ColorDepth::Ansi16).unwrap();
    let mut app = App::new(
        fleet.clone(),
        Arc::new(themes),
        theme,
        Keymap::load("default", None).unwrap(),
        common::now(),
        chrono_tz::Europe::Paris,
        Modes {
            demo: false,
            read_only: true,
        },
    );
    app.wall = Some(Wall::default());
    for (i, (_, check)) in fleet.checks().enumerate() {
        let status = if i % 7 == 0 { Status::Down } else { Status::Up };
        app.data.record(&CheckResult::observed(
            check.id.clone(),
            common::now() - Span::minutes(5),
            status,
            Some(3),
            "connect: refused",
        ));
    }
    app
}

#[test]
fn pages_rotate_with_the_clock_when_the_sections_do_not_fit() {
    let mut app = big_wall(120);
    let first = screen(&app, 100, 30);
    assert!(first.contains("page "), "{first}");
    let total: usize = first
        .split("page ")
        .nth(1)
        .and_then(|s| s.split('/').nth(1))
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    assert!(total >= 3, "{total}");
    let mut seen = std::collections::BTreeSet::new();
    for turn in 0..total as i64 {
        app.data.now = common::now() + Span::seconds(turn * ROTATE_EVERY_SECS);
        let text = screen(&app, 100, 30);
        let label = text
            .split("page ")
            .nth(1)
            .and_then(|s| s.split('/').next())
            .unwrap()
            .to_string();
        seen.insert(label);
    }
    assert_eq!(seen.len(), total, "every page is shown once per round");
    // Every client appears on some page.
    let mut all = String::new();
    for turn in 0..total as i64 {
        app.data.now = common::now() + Span::seconds(turn * ROTATE_EVERY_SECS);
        all.push_str(&screen(&app, 100, 30));
    }
    for i in 0..120 {
        assert!(all.contains(&format!("Client {i} ")) || all.contains(&format!("Client {i}\n")));
    }
}

#[test]
fn tab_turns_the_page_by_hand() {
    let mut app = big_wall(120);
    let before = screen(&app, 100, 30);
    update(&mut app, Msg::Key(crossterm::event::KeyCode::Tab.into()));
    let after = screen(&app, 100, 30);
    assert_ne!(before, after);
    assert_eq!(app.wall.as_ref().map(|w| w.offset), Some(1));
}

fn result(id: &str, status: Status, minutes_ago: i64) -> Msg {
    Msg::Engine(Event::Result(CheckResult::observed(
        id,
        common::now() - Span::minutes(minutes_ago),
        status,
        None,
        "x",
    )))
}

/// A check becoming critical rings through the alert list, like every
/// other domain: on the clock's second after its result, once (a result
/// never rings by itself, so the bell cannot ring twice for one outage).
#[test]
fn the_bell_rings_once_when_a_known_check_becomes_critical() {
    let mut app = common::app();
    app.bell = true;
    assert!(tick(&mut app, 1).is_empty(), "known before: no bell");
    // odoo-coop/erp is degraded in the common console.
    let later = |app: &App| {
        Msg::Engine(Event::Result(CheckResult::observed(
            "odoo-coop/erp",
            app.data.now,
            Status::Down,
            None,
            "x",
        )))
    };
    let msg = later(&app);
    assert!(
        update(&mut app, msg).is_empty(),
        "the result itself is silent"
    );
    assert_eq!(tick(&mut app, 1), vec![Effect::Bell]);
    let msg = later(&app);
    assert!(update(&mut app, msg).is_empty());
    assert!(tick(&mut app, 1).is_empty(), "rung once");
    // Degraded is not critical.
    update(&mut app, result("odoo-coop/node", Status::Degraded, 0));
    assert!(tick(&mut app, 1).is_empty());
    // A check seen for the first time already down does not ring.
    assert!(!app.data.checks.contains_key("dev-1/node"));
    let first = Msg::Engine(Event::Result(CheckResult::observed(
        "dev-1/node",
        app.data.now,
        Status::Down,
        None,
        "x",
    )));
    update(&mut app, first);
    assert!(tick(&mut app, 1).is_empty(), "found down, not gone down");
    // Back up, then down again: it rings again.
    let up = Msg::Engine(Event::Result(CheckResult::observed(
        "odoo-coop/erp",
        app.data.now,
        Status::Up,
        None,
        "x",
    )));
    update(&mut app, up);
    assert!(tick(&mut app, 1).is_empty());
    let msg = later(&app);
    update(&mut app, msg);
    assert_eq!(tick(&mut app, 1), vec![Effect::Bell]);
    // Off by configuration.
    let mut quiet = common::app();
    quiet.bell = false;
    tick(&mut quiet, 1);
    let msg = later(&quiet);
    update(&mut quiet, msg);
    assert!(tick(&mut quiet, 1).is_empty());
}

/// A critical POS alert on the first store the demo watches (Coop La
/// Cagette's), begun `minutes_ago`.
fn critical_store(app: &mut App, minutes_ago: i64) {
    let mut view = app.data.pos.values().next().cloned().unwrap();
    view.status = Status::Down;
    view.at = app.data.now;
    view.alerts = vec![vigie::model::pos::Alert {
        key: "till-down:Caisse 1".into(),
        severity: Status::Down,
        message: "Caisse 1 does not answer at closing".into(),
        since: app.data.now - Span::minutes(minutes_ago),
        occurrences: 1,
    }];
    update(app, Msg::Pos(Box::new(view)));
}

fn tick(app: &mut App, seconds: i64) -> Vec<Effect> {
    let now = app.data.now + Span::seconds(seconds);
    update(app, Msg::Tick(now))
}

/// Every domain's new critical rings on the clock's second, once; one that
/// was there before the console started does not.
#[test]
fn the_bell_rings_once_for_a_new_critical_of_any_domain() {
    let mut app = common::app();
    app.bell = true;
    assert!(
        tick(&mut app, 1).is_empty(),
        "the down check and the ping source without a point are not news"
    );
    critical_store(&mut app, 0);
    assert_eq!(tick(&mut app, 1), vec![Effect::Bell]);
    assert!(tick(&mut app, 1).is_empty(), "rung once");
    // Known before the console started: no bell.
    let mut old = common::app();
    old.bell = true;
    critical_store(&mut old, 60);
    assert!(tick(&mut old, 1).is_empty());
}

/// The big word, the counts under it and the client dots read the same
/// list as the header: with every check up, a store's critical till (and
/// the demo's ping source without a point) make DOWN, "✖ 2 critical",
/// and the store's client's dot is red with the reason.
#[test]
fn the_wall_never_contradicts_the_header() {
    let mut app = wall_app();
    update(&mut app, result("mutu-test/coop-test", Status::Up, 0));
    update(&mut app, result("odoo-coop/erp", Status::Up, 0));
    update(&mut app, result("dev-1/node", Status::Up, 0));
    critical_store(&mut app, 5);
    let text = screen(&app, 120, 14);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("✖ DOWN"), "{text}");
    assert!(lines[1].contains("✖ 2 critical"), "{text}");
    let clients = section(&text, "Clients");
    assert!(
        clients[1].contains("✖ Coop La Cagette · Magasin Sud: Caisse 1"),
        "{clients:?}"
    );
    // The console's header says the same.
    app.wall = None;
    let header = screen(&app, 120, 30);
    let header = header.lines().next().unwrap_or_default();
    assert!(header.contains("✖ 2 critical"), "{header}");
}

#[test]
fn frames_are_capped_on_the_wall_and_over_ssh() {
    let none = |_: &str| None;
    let ssh = |k: &str| (k == "SSH_CONNECTION").then(|| "10.0.0.1 5000 10.0.0.2 22".to_string());
    let tty = |k: &str| (k == "SSH_TTY").then(|| "/dev/pts/3".to_string());
    assert_eq!(frame_interval(false, &none), Duration::ZERO);
    assert_eq!(frame_interval(false, &ssh), Duration::from_millis(100));
    assert_eq!(frame_interval(false, &tty), Duration::from_millis(100));
    assert_eq!(frame_interval(true, &ssh), Duration::from_secs(1));
    assert_eq!(frame_interval(true, &none), Duration::from_secs(1));
    // Over SSH a page turn costs a screenful: pages stay three times longer.
    assert_eq!(Wall::for_env(&ssh).rotate_every_secs, 30);
    assert_eq!(Wall::for_env(&none).rotate_every_secs, ROTATE_EVERY_SECS);
}

/// The POS pane offers the wall its stores at risk, worst first.
#[test]
fn stores_whose_tills_are_at_risk_are_on_the_wall() {
    let mut app = wall_app();
    app.data.pos = vigie::ui::panes::pos::pending_views(&app.data.fleet, common::now());
    assert!(!app.data.pos.is_empty(), "the demo fleet has stores");
    let text = screen(&app, 160, 50);
    let at = text
        .find("Stores whose tills are at risk")
        .unwrap_or_else(|| panic!("{text}"));
    let first = text[at..].lines().nth(1).unwrap();
    assert!(first.contains("not probed yet"), "{first}");
    // Once every store is up, the section says so.
    for v in app.data.pos.values_mut() {
        v.status = Status::Up;
    }
    let text = screen(&app, 160, 50);
    let at = text.find("Stores whose tills are at risk").unwrap();
    assert!(text[at..].lines().nth(1).unwrap().contains("none"));
}

/// The text of one section of the wall: its title line and the lines
/// under it, up to the next blank line.
fn section<'a>(text: &'a str, title: &str) -> Vec<&'a str> {
    let at = text
        .find(title)
        .unwrap_or_else(|| panic!("{title}:\n{text}"));
    text[at..]
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .collect()
}

fn ticket(id: u64, client: &str, title: &str, hours_ago: i64) -> vigie::model::tickets::Ticket {
    let created = common::now() - Span::hours(hours_ago);
    vigie::model::tickets::Ticket {
        id,
        project: format!("{client}-support"),
        client: Some(client.into()),
        title: title.into(),
        status: "New".into(),
        closed: false,
        priority: "urgent".into(),
        tracker: "Support".into(),
        author: "Client".into(),
        assignee: None,
        created,
        updated: created,
        spent: Duration::ZERO,
        first_time_entry: None,
        journals: vec![],
        url: None,
        intervention: None,
        journals_as_of: None,
    }
}

/// The Tickets pane offers the wall its breached tickets, then the nearest
/// running deadlines, in the board's order; tickets someone already
/// started on are left out.
#[test]
fn tickets_nearest_their_deadline_are_on_the_wall() {
    let mut app = wall_app();
    let mut started = ticket(13, "velo", "Already on it", 50);
    started.first_time_entry = Some(common::now() - Span::hours(49));
    let tickets = vec![
        ticket(11, "cagette", "Paiement \u{1b}[2Jrefusé", 2),
        started,
        ticket(
            10,
            "cagette",
            "Caisses hors ligne depuis ce matin dans les deux magasins du quartier nord",
            52,
        ),
    ];
    let feed = vigie::ui::panes::tickets::TicketsFeed {
        view: Some(vigie::sources::tickets::desk::DeskView {
            cached: vigie::store::tickets::Cached {
                tickets,
                synced: Some(common::now()),
                error: None,
                cursor: None,
            },
            error: None,
            timer: None,
            pending: vec![],
            entries: vec![],
            unread: 0,
        }),
        backend: "redmine".into(),
        ..Default::default()
    };
    update(&mut app, Msg::Tickets(Box::new(feed)));
    let text = screen(&app, 200, 60);
    let lines = section(&text, "Tickets nearest their deadline");
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].contains("✖ #10 cagette · Caisses hors ligne"),
        "{text}"
    );
    assert!(lines[1].contains("…"), "long titles are cut: {text}");
    assert!(lines[1].contains("LATE"), "{text}");
    assert!(lines[2].contains("#11 cagette · Paiement"), "{text}");
    // The due moment and the wall-clock time until it.
    let due = lines[2].rsplit("· ").next().unwrap_or_default();
    assert!(due.contains(" in "), "{text}");
    assert!(due.contains(':'), "{text}");
    assert!(!text.contains('\u{1b}'));
    assert!(!text.contains("Already on it"), "{text}");
}

fn window(
    uid: &str,
    target: vigie::model::maintenance::Target,
    start_min: i64,
    minutes: i64,
    state: vigie::model::maintenance::WindowState,
) -> vigie::model::maintenance::MaintenanceWindow {
    let start = common::now() + Span::minutes(start_min);
    let week_ago = common::now() - Span::days(8);
    vigie::model::maintenance::MaintenanceWindow {
        uid: uid.into(),
        target,
        kind: vigie::model::maintenance::Kind::Standard,
        start,
        end: start + Span::minutes(minutes),
        title: "updates".into(),
        state,
        sequence: 0,
        created: week_ago,
        stamp: week_ago,
        announced: Some(week_ago),
    }
}

/// The Maintenance pane offers the wall the window in progress, then the
/// ones starting within a day; cancelled and later windows stay off it.
#[test]
fn the_next_days_maintenance_is_on_the_wall() {
    use vigie::model::maintenance::{Target, WindowState};
    let mut app = wall_app();
    let text = screen(&app, 200, 60);
    assert!(
        section(&text, "Maintenance, next 24 h")[1].contains("none"),
        "{text}"
    );
    // common::now() is Sunday 18:42 in Paris.
    app.data.maintenance = vec![
        window(
            "later",
            Target::Client("velo".into()),
            3 * 60 + 18,
            120,
            WindowState::Planned,
        ),
        window(
            "off",
            Target::Client("mairie".into()),
            60,
            60,
            WindowState::Cancelled,
        ),
        window(
            "wed",
            Target::Client("mairie".into()),
            3 * 24 * 60,
            60,
            WindowState::Announced,
        ),
        // Tomorrow 18:00, 23 h 18 min ahead: still on the wall.
        window(
            "tomorrow",
            Target::Client("velo".into()),
            23 * 60 + 18,
            60,
            WindowState::Announced,
        ),
        window(
            "now",
            Target::Host("mutu-1".into()),
            -30,
            120,
            WindowState::Announced,
        ),
    ];
    let text = screen(&app, 200, 60);
    let lines = section(&text, "Maintenance, next 24 h");
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[1].contains("host mutu-1 · Sun 18:12-20:12 CET · standard · in progress"),
        "{text}"
    );
    assert!(
        lines[2].contains("client velo · Sun 22:00-00:00 CET · standard · planned"),
        "{text}"
    );
    assert!(
        lines[3].contains("client velo · Mon 18:00-19:00 CET · standard · announced"),
        "{text}"
    );
    assert!(!text.contains("client mairie"), "{text}");
}

/// The Backups pane offers the wall its clients that are not up, worst
/// first, with their verdict.
#[test]
fn clients_whose_backups_are_not_up_are_on_the_wall() {
    use vigie::model::backup::SourceRecord;
    let mut app = wall_app();
    let mut records = std::collections::BTreeMap::new();
    records.insert(
        "cagette-db".to_string(),
        SourceRecord {
            checked: Some(common::now()),
            error: Some("repository is locked".into()),
            ..SourceRecord::default()
        },
    );
    app.data.backups.set(records);
    let text = screen(&app, 200, 60);
    let lines = section(&text, "Backups");
    assert!(lines.len() >= 2, "{text}");
    assert!(
        lines[1].contains("✖ Coop La Cagette: error: repository is locked"),
        "{text}"
    );
    assert!(
        lines[2..].iter().any(|l| l.contains("Les Amis du Vélo")),
        "{text}"
    );
}

/// The wall says who took a client's worst alert.
#[test]
fn the_wall_says_who_took_an_alert() {
    use vigie::model::attention::{Ack, Record};
    let mut app = wall_app();
    let now = app.data.now;
    let mut records = std::collections::BTreeMap::new();
    records.insert(
        "checks:mutu-test/coop-test".to_string(),
        Record {
            id: "checks:mutu-test/coop-test".into(),
            first_seen: now,
            resolved: None,
            ack: Some(Ack {
                by: "camille".into(),
                at: now,
                comment: String::new(),
                expires: None,
            }),
        },
    );
    update(
        &mut app,
        Msg::Attention(Box::new(vigie::ui::attention::Lifecycle {
            records,
            silences: Vec::new(),
        })),
    );
    let text = screen(&app, 200, 40);
    let clients = section(&text, "Clients");
    assert!(
        clients.iter().any(|l| l.contains(
            "mutu-test/coop-test: down: HTTP 503 Service Unavailable (taken by camille)"
        )),
        "{clients:?}"
    );
}
