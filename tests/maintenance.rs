//! Maintenance windows end to end: the binary suggests, checks, plans,
//! moves and cancels windows in a real store; the exported calendar is read
//! back by an independent iCalendar parser (the `ical` crate); the SLA
//! report leaves announced maintenance out of availability.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use chrono::{DateTime, NaiveDateTime, TimeDelta, TimeZone, Utc};
use vigie::model::maintenance::{Kind, MaintenanceWindow, Target, WindowState};
use vigie::model::money::Decimal;
use vigie::model::{CheckResult, Status};
use vigie::store::{Reader, WriteOp, Writer};

const CONFIG: &str = r#"
[contracts.std]
intervention = { urgent = "2h" }
hourly_rate = 100
monthly_fee = 200
tiers = [{ below = 99.9, credit_percent = 10 }]

[clients.coop]
name = "Coop; Nord"
timezone = "Europe/Paris"
contract = "std"
[clients.coop.environments.prod]
hosts = ["mutu", "erp"]
[clients.coop.sites.store]
name = "Store"
hours = { tue = "09:00-20:00", wed = "09:00-20:00", thu = "09:00-20:00", fri = "09:00-20:00", sat = "09:00-19:00" }

[clients.bar]
name = "Bar"
timezone = "Europe/Paris"
contract = "std"
[clients.bar.environments.prod]
hosts = ["mutu"]
[clients.bar.maintenance]
hours = { tue = "11:00-22:00", wed = "11:00-22:00", thu = "11:00-22:00" }

[hosts.mutu]
address = "127.0.0.1"
[[hosts.mutu.checks]]
name = "web"
kind = "tcp"
address = "127.0.0.1:9"

[hosts.erp]
address = "127.0.0.1"
[[hosts.erp.checks]]
name = "web"
kind = "tcp"
address = "127.0.0.1:9"
"#;

fn vigie(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigie"))
        .arg("--config")
        .arg(dir.join("vigie.toml"))
        .arg("--db")
        .arg(dir.join("vigie.db"))
        .arg("--log")
        .arg(dir.join("vigie.log"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("TZ", "Europe/Paris")
        .output()
        .unwrap()
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("vigie.toml"), CONFIG).unwrap();
    dir
}

/// "  1. Wed 2026-12-09 23:00 - 00:00 CET" -> "2026-12-09 23:00".
fn slot_starts(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let (n, rest) = l.split_once(". ")?;
            n.parse::<u32>().ok()?;
            rest.get(4..20).map(str::to_string)
        })
        .collect()
}

/// The UID printed after "planned " or "announced ".
fn uid_of(text: &str) -> String {
    text.split_whitespace()
        .find(|w| w.ends_with("@vigie"))
        .unwrap_or_else(|| panic!("no UID in {text}"))
        .to_string()
}

fn prop<'a>(props: &'a [ical::property::Property], name: &str) -> &'a ical::property::Property {
    props
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no {name} in {props:?}"))
}

fn value<'a>(props: &'a [ical::property::Property], name: &str) -> &'a str {
    prop(props, name).value.as_deref().unwrap_or("")
}

fn tzid(p: &ical::property::Property) -> Option<String> {
    p.params
        .as_ref()?
        .iter()
        .find(|(k, _)| k == "TZID")
        .and_then(|(_, v)| v.first().cloned())
}

#[test]
fn a_window_is_suggested_planned_moved_cancelled_and_exported() {
    let dir = setup();
    let d = dir.path();
    // The shared host answers to both clients: the bar closes at 22:00, so
    // with the hour kept free nothing starts before 23:00.
    let s = vigie(
        d,
        &[
            "maintenance",
            "suggest",
            "--host",
            "mutu",
            "--duration",
            "1h",
            "-n",
            "3",
        ],
    );
    assert_eq!(s.status.code(), Some(0), "{}", out(&s));
    let starts = slot_starts(&out(&s));
    assert_eq!(starts.len(), 3, "{}", out(&s));
    assert!(out(&s).contains("(rules of coop, bar)"), "{}", out(&s));
    for st in &starts {
        assert!(st.ends_with("23:00"), "{}", out(&s));
    }
    // The first slot passes the check; a Friday evening breaks rules, in words.
    let ok = vigie(
        d,
        &[
            "maintenance",
            "check",
            "--host",
            "mutu",
            "--at",
            &starts[0],
            "--duration",
            "1h",
        ],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", out(&ok));
    assert!(out(&ok).starts_with("OK: host mutu"), "{}", out(&ok));
    let friday = next_weekday_after(8, chrono::Weekday::Fri);
    let bad = vigie(
        d,
        &[
            "maintenance",
            "check",
            "--host",
            "mutu",
            "--at",
            &format!("{friday} 20:00"),
            "--duration",
            "2h",
        ],
    );
    assert_eq!(bad.status.code(), Some(1), "{}", out(&bad));
    let text = out(&bad);
    assert!(
        text.contains("Friday is a forbidden day for Coop; Nord"),
        "{text}"
    );
    assert!(text.contains("overlaps Store's opening hours"), "{text}");
    assert!(text.contains("Friday is a forbidden day for Bar"), "{text}");
    // A plan that breaks rules is refused without --force, and nothing is stored.
    let refused = vigie(
        d,
        &[
            "maintenance",
            "plan",
            "--host",
            "mutu",
            "--at",
            &format!("{friday} 20:00"),
            "--duration",
            "2h",
        ],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", out(&refused));
    assert!(out(&refused).contains("--force"), "{}", out(&refused));

    let p1 = vigie(
        d,
        &[
            "maintenance",
            "plan",
            "--host",
            "mutu",
            "--at",
            &starts[0],
            "--duration",
            "1h",
            "--title",
            "Kernel, reboot",
        ],
    );
    assert_eq!(p1.status.code(), Some(0), "{}", out(&p1));
    let first = uid_of(&out(&p1));
    let p2 = vigie(
        d,
        &[
            "maintenance",
            "plan",
            "--client",
            "coop",
            "--at",
            &starts[1],
            "--duration",
            "2h",
            "--title",
            "Odoo 17 minor update, then the tills' firmware and the label printers",
            "--announce",
        ],
    );
    assert_eq!(p2.status.code(), Some(0), "{}", out(&p2));
    let second = uid_of(&out(&p2));
    assert_ne!(first, second);
    let mv = vigie(d, &["maintenance", "move", &first, "--at", &starts[2]]);
    assert_eq!(mv.status.code(), Some(0), "{}", out(&mv));
    assert!(out(&mv).contains("sequence 1"), "{}", out(&mv));
    let cancel = vigie(d, &["maintenance", "cancel", &first]);
    assert_eq!(cancel.status.code(), Some(0), "{}", out(&cancel));
    assert!(out(&cancel).contains("sequence 2"), "{}", out(&cancel));
    let list = vigie(d, &["maintenance", "list"]);
    assert!(
        !out(&list).contains(&first),
        "cancelled windows are hidden: {}",
        out(&list)
    );
    assert!(out(&list).contains(&second), "{}", out(&list));
    assert!(
        out(&list).contains("then the tills' firmware and the label printers"),
        "the title is whole: {}",
        out(&list)
    );
    let all = vigie(d, &["maintenance", "list", "--all"]);
    assert!(out(&all).contains("cancelled"), "{}", out(&all));

    // The calendar, read back by the ical crate.
    let ex = vigie(d, &["maintenance", "export", "--client", "coop"]);
    assert_eq!(ex.status.code(), Some(0), "{}", out(&ex));
    let ics = String::from_utf8(ex.stdout.clone()).unwrap();
    assert!(ics.lines().all(|l| l.len() <= 76), "lines are folded");
    assert!(ics.contains("\r\n"), "CRLF line ends");
    let again = vigie(d, &["maintenance", "export", "--client", "coop"]);
    assert_eq!(
        again.stdout, ex.stdout,
        "an unchanged calendar exports the same"
    );
    let mut cals = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()));
    let cal = cals
        .next()
        .expect("one calendar")
        .expect("a calendar the parser accepts");
    assert!(cals.next().is_none());
    assert_eq!(value(&cal.properties, "VERSION"), "2.0");
    assert_eq!(cal.timezones.len(), 1);
    let zone = &cal.timezones[0];
    assert_eq!(value(&zone.properties, "TZID"), "Europe/Paris");
    assert!(zone.transitions.len() >= 2, "{zone:?}");
    for t in &zone.transitions {
        let from = value(&t.properties, "TZOFFSETFROM");
        let to = value(&t.properties, "TZOFFSETTO");
        assert!(
            (from, to) == ("+0100", "+0200") || (from, to) == ("+0200", "+0100"),
            "{from} {to}"
        );
        assert!(
            value(&t.properties, "DTSTART").ends_with("T030000")
                || value(&t.properties, "DTSTART").ends_with("T020000")
        );
    }
    assert_eq!(cal.events.len(), 2, "both windows affect coop");
    let event = |uid: &str| {
        cal.events
            .iter()
            .find(|e| value(&e.properties, "UID") == uid)
            .unwrap_or_else(|| panic!("no event {uid}"))
    };
    let moved = event(&first);
    assert_eq!(value(&moved.properties, "SEQUENCE"), "2");
    assert_eq!(value(&moved.properties, "STATUS"), "CANCELLED");
    let dtstart = prop(&moved.properties, "DTSTART");
    assert_eq!(tzid(dtstart).as_deref(), Some("Europe/Paris"));
    let expected = NaiveDateTime::parse_from_str(&starts[2], "%Y-%m-%d %H:%M").unwrap();
    assert_eq!(
        dtstart.value.as_deref(),
        Some(expected.format("%Y%m%dT%H%M%S").to_string().as_str())
    );
    let dtend = prop(&moved.properties, "DTEND");
    let end = expected + TimeDelta::hours(1);
    assert_eq!(
        dtend.value.as_deref(),
        Some(end.format("%Y%m%dT%H%M%S").to_string().as_str())
    );
    assert_eq!(
        value(&moved.properties, "SUMMARY"),
        "Maintenance: Kernel\\, reboot"
    );
    let stamp = value(&moved.properties, "DTSTAMP");
    assert!(
        NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").is_ok(),
        "{stamp}"
    );
    let announced = event(&second);
    assert_eq!(value(&announced.properties, "SEQUENCE"), "0");
    assert_eq!(value(&announced.properties, "STATUS"), "CONFIRMED");
    assert!(value(&announced.properties, "DESCRIPTION").contains("Coop\\; Nord"));
}

/// A date at least `days` from today that falls on `day`.
fn next_weekday_after(days: i64, day: chrono::Weekday) -> String {
    let mut d = Utc::now().date_naive() + TimeDelta::days(days);
    while chrono::Datelike::weekday(&d) != day {
        d = d.succ_opt().unwrap();
    }
    d.format("%Y-%m-%d").to_string()
}

#[test]
fn check_says_when_a_local_time_does_not_exist_or_happens_twice() {
    let dir = setup();
    let d = dir.path();
    let missing = vigie(
        d,
        &[
            "maintenance",
            "check",
            "--client",
            "coop",
            "--at",
            "2027-03-28 02:30",
            "--duration",
            "1h",
        ],
    );
    assert!(
        out(&missing).contains("2027-03-28 02:30 does not exist in Europe/Paris (clocks jump forward); read as 03:30 CEST"),
        "{}",
        out(&missing)
    );
    let twice = vigie(
        d,
        &[
            "maintenance",
            "check",
            "--client",
            "coop",
            "--at",
            "2026-10-25 02:30",
            "--duration",
            "1h",
        ],
    );
    assert!(
        out(&twice).contains("happens twice in Europe/Paris (clocks fall back); the first is taken (02:30 CEST); write 2026-10-25 02:30+01:00 for the second"),
        "{}",
        out(&twice)
    );
    let second = vigie(
        d,
        &[
            "maintenance",
            "check",
            "--client",
            "coop",
            "--at",
            "2026-10-25 02:30+01:00",
            "--duration",
            "1h",
        ],
    );
    assert!(!out(&second).contains("note:"), "{}", out(&second));
    assert!(
        out(&second).contains("starts in the past"),
        "{}",
        out(&second)
    );
    let bad = vigie(
        d,
        &[
            "maintenance",
            "check",
            "--client",
            "nobody",
            "--at",
            "2026-12-02 22:00",
            "--duration",
            "1h",
        ],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", out(&bad));
    assert!(
        out(&bad).contains("unknown client 'nobody', expected one of: coop, bar"),
        "{}",
        out(&bad)
    );
}

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

fn window(uid: &str, state: WindowState, announced: Option<DateTime<Utc>>) -> MaintenanceWindow {
    MaintenanceWindow {
        uid: uid.into(),
        target: Target::Host("erp".into()),
        kind: Kind::Standard,
        start: t(4, 21),
        end: t(4, 23),
        title: "upgrade".into(),
        state,
        sequence: 0,
        created: t(1, 9),
        stamp: t(1, 9),
        announced,
    }
}

/// coop's month when its ERP was down 21:30-22:30 on the 4th (and the mutu
/// host up all month), with `w` stored.
fn coop_month(w: Option<MaintenanceWindow>) -> vigie::cli::report::ClientReport {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.db");
    let writer = Writer::spawn(&path).unwrap();
    if let Some(w) = w {
        writer.send(WriteOp::SaveWindow(w)).unwrap();
    }
    let r = |check: &str, at: DateTime<Utc>, s: Status| {
        CheckResult::observed(check, at, s, Some(3), "x")
    };
    let start = Utc.with_ymd_and_hms(2026, 10, 31, 23, 0, 0).unwrap();
    for check in ["erp/web", "mutu/web"] {
        writer
            .send(WriteOp::Result(r(check, start, Status::Up)))
            .unwrap();
    }
    writer
        .send(WriteOp::Result(r(
            "erp/web",
            t(4, 21) + TimeDelta::minutes(30),
            Status::Down,
        )))
        .unwrap();
    writer
        .send(WriteOp::Result(r(
            "erp/web",
            t(4, 22) + TimeDelta::minutes(30),
            Status::Up,
        )))
        .unwrap();
    writer.flush().unwrap();
    let cfg = vigie::config::parse(CONFIG, Path::new("<test>")).unwrap();
    let reader = Reader::open(&path).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
    let mut reports =
        vigie::cli::report::build(&reader, &cfg.fleet, 2026, 11, Some("coop"), now).unwrap();
    reports.remove(0)
}

#[test]
fn the_sla_report_leaves_out_only_announced_maintenance() {
    let plain = coop_month(None);
    assert_eq!(plain.time.down, TimeDelta::hours(1));
    assert_eq!(plain.time.maintenance, TimeDelta::zero());
    assert_eq!(plain.credit_percent, Decimal::TEN);
    let announced = coop_month(Some(window("a", WindowState::Announced, Some(t(1, 9)))));
    assert_eq!(announced.time.down, TimeDelta::zero());
    assert_eq!(announced.time.maintenance, TimeDelta::hours(2));
    assert_eq!(announced.percent, Some(100.0));
    assert_eq!(announced.credit_percent, Decimal::ZERO);
    // Told nobody, told after it began, or cancelled: the outage counts.
    for w in [
        window("p", WindowState::Planned, None),
        window("late", WindowState::Announced, Some(t(4, 22))),
        window("c", WindowState::Cancelled, Some(t(1, 9))),
    ] {
        let r = coop_month(Some(w.clone()));
        assert_eq!(r.time.down, TimeDelta::hours(1), "{w:?}");
        assert_eq!(r.time.maintenance, TimeDelta::zero(), "{w:?}");
    }
}

#[test]
fn a_stale_version_of_a_window_never_undoes_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.db");
    let writer = Writer::spawn(&path).unwrap();
    let w0 = window("u@vigie", WindowState::Planned, None);
    let mut w1 = w0.changed(t(2, 9));
    w1.state = WindowState::Cancelled;
    writer.send(WriteOp::SaveWindow(w0.clone())).unwrap();
    writer.send(WriteOp::SaveWindow(w1.clone())).unwrap();
    writer.send(WriteOp::SaveWindow(w0)).unwrap();
    writer.flush().unwrap();
    let reader = Reader::open(&path).unwrap();
    assert_eq!(reader.maintenance_windows().unwrap(), vec![w1.clone()]);
    assert_eq!(reader.maintenance_window("u@vigie").unwrap(), Some(w1));
    assert_eq!(reader.maintenance_window("other").unwrap(), None);
}

#[test]
fn the_example_configuration_documents_every_maintenance_key() {
    let cfg = vigie::config::load(Path::new("assets/vigie.example.toml")).unwrap();
    let coop = cfg.fleet.client("coop").unwrap();
    let m = &coop.maintenance;
    assert_eq!(m.closures.len(), 1);
    assert_eq!(m.closures[0].reason, "year-end inventory");
    assert_eq!(m.policy.recurring.len(), 1);
    assert_eq!(
        m.policy.recurring[0].rule.to_string(),
        "FREQ=MONTHLY;BYDAY=1MO"
    );
    assert_eq!(m.opening.len(), 1, "the store's hours");
    assert_eq!(m.policy.notice(Kind::Major), TimeDelta::days(60));
    assert_eq!(m.policy.major_per_year, 2);
    let office = vigie::config::load(Path::new("tests/valid_configs/maintenance.toml")).unwrap();
    let o = &office.fleet.client("office").unwrap().maintenance;
    assert_eq!(o.policy.notice(Kind::Standard), TimeDelta::days(3));
    assert_eq!(o.policy.max(Kind::Standard), TimeDelta::hours(2));
    assert_eq!(o.timezone, chrono_tz::America::Montreal);
    assert_eq!(o.opening[0].timezone, chrono_tz::America::Montreal);
}

/// The engine against a closed loopback port: while an announced window
/// covers the host the failing check shows 'maintenance' (observed down,
/// no alert); a check on another host is judged as usual.
#[tokio::test]
async fn the_engine_shows_maintenance_during_an_announced_window() {
    use std::time::Duration;
    use vigie::engine::{Engine, EngineOptions, Event, maintenance};
    use vigie::model::{Check, CheckKind, Fleet, Host};

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let check = |host: &str| {
        let mut c = Check::new(
            host,
            "port",
            CheckKind::Tcp {
                address: closed.to_string(),
                slow_ms: 1_000,
            },
            Duration::from_millis(40),
            Duration::from_millis(30),
        );
        c.down_after = 1;
        c
    };
    let host = |name: &str| Host {
        name: name.into(),
        address: "127.0.0.1".into(),
        ssh_user: None,
        ssh_port: 22,
        checks: vec![check(name)],
    };
    let fleet = Fleet {
        hosts: vec![host("erp"), host("other")],
        ..Fleet::default()
    };
    let now = Utc::now();
    let mut w = window(
        "w@vigie",
        WindowState::Announced,
        Some(now - TimeDelta::days(8)),
    );
    w.start = now - TimeDelta::minutes(5);
    w.end = now + TimeDelta::hours(1);
    let silences = maintenance::Silences::default();
    *silences.write().unwrap() = maintenance::spans(&fleet, &[w]);
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let engine = Engine::start_with(
        &fleet,
        vigie::sources::Sources::new().unwrap(),
        tx,
        EngineOptions {
            silences,
            ..EngineOptions::default()
        },
    );
    let (mut erp, mut other) = (Vec::new(), Vec::new());
    while erp.len() < 3 || other.len() < 3 {
        let Some(Event::Result(r)) = rx.recv().await else {
            panic!("engine stopped")
        };
        if r.check_id == "erp/port" {
            erp.push(r);
        } else {
            other.push(r);
        }
    }
    drop(engine);
    for r in &erp {
        assert_eq!(
            (r.status, r.observed),
            (Status::Maintenance, Status::Down),
            "{r:?}"
        );
        assert!(
            r.message.starts_with("announced maintenance"),
            "{}",
            r.message
        );
    }
    for r in &other {
        assert_eq!(r.status, Status::Down, "{r:?}");
    }
}

fn key(c: char) -> vigie::ui::app::Msg {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    vigie::ui::app::Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn special(code: crossterm::event::KeyCode) -> vigie::ui::app::Msg {
    use crossterm::event::{KeyEvent, KeyModifiers};
    vigie::ui::app::Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn frame_text(app: &vigie::ui::app::App, w: u16, h: u16) -> String {
    let buffer = vigie::ui::snapshot::frame(app, w, h).unwrap();
    vigie::ui::snapshot::text(&buffer)
}

/// The pane's form on the demo fleet: it opens on the best slot of the
/// shared host with every rule met, lists the broken rules as soon as a key
/// moves the window out of them, and saves only a window that breaks none.
#[test]
fn the_form_checks_every_rule_as_the_window_moves() {
    use crossterm::event::KeyCode;
    use vigie::ui::app::{Effect, update};
    let mut app = common::app();
    app.data.maintenance = vigie::demo::maintenance::windows(app.data.now);
    update(&mut app, key('4'));
    update(&mut app, key('z'));
    let week = frame_text(&app, 200, 60);
    assert!(week.contains("host mutu-1"), "{week}");
    assert!(
        week.contains("Les Amis du Vélo, Mairie de Saint-Aubin"),
        "{week}"
    );
    assert!(week.contains("Move to the new server"), "{week}");
    assert!(update(&mut app, key('n')).is_empty());
    let text = frame_text(&app, 200, 60);
    assert!(
        text.contains("every rule of Les Amis du Vélo, Mairie de Saint-Aubin is met"),
        "{text}"
    );
    // Fifteen minutes earlier is inside the workshop's margin.
    update(&mut app, special(KeyCode::Up));
    let text = frame_text(&app, 200, 60);
    assert!(
        text.contains("rule(s) broken: overlaps Les Amis du Vélo's opening hours"),
        "{text}"
    );
    assert!(
        update(&mut app, special(KeyCode::Enter)).is_empty(),
        "a window that breaks rules is not saved"
    );
    update(&mut app, special(KeyCode::Down));
    let effects = update(&mut app, special(KeyCode::Enter));
    let [Effect::SaveWindow(w)] = effects.as_slice() else {
        panic!("expected one window to save, got {effects:?}");
    };
    assert_eq!(w.target, Target::Host("mutu-1".into()));
    assert_eq!((w.sequence, w.state), (0, WindowState::Planned));
    // Month view and the 80x24 frame.
    update(&mut app, special(KeyCode::Enter));
    let small = frame_text(&app, 80, 24);
    assert!(small.contains("Mon") && small.contains("Sun"), "{small}");
}

#[test]
fn read_only_refuses_to_plan_move_or_cancel() {
    use vigie::ui::app::update;
    let mut app = common::app();
    app.modes.read_only = true;
    app.data.maintenance = vigie::demo::maintenance::windows(app.data.now);
    update(&mut app, key('4'));
    for c in ['n', 'm', 'x'] {
        assert!(update(&mut app, key(c)).is_empty());
    }
    let text = frame_text(&app, 200, 60);
    assert!(!text.contains("every rule of"), "no form opened: {text}");
    for a in [
        vigie::ui::action::Action::PlanWindow,
        vigie::ui::action::Action::MoveWindow,
        vigie::ui::action::Action::CancelWindow,
    ] {
        assert!(a.mutates(), "{a:?}");
    }
    assert!(!vigie::ui::action::Action::NextSubject.mutates());
}

/// `x` asks first; a second `x` cancels; Esc keeps the window. The notice
/// says what happened, in the display zone.
#[test]
fn cancelling_a_window_asks_first_and_the_notice_says_cancelled() {
    use crossterm::event::KeyCode;
    use vigie::ui::app::{Effect, update};
    use vigie::ui::panes::maintenance::window_notice;
    let mut app = common::app();
    app.data.maintenance = vigie::demo::maintenance::windows(app.data.now);
    update(&mut app, key('4'));
    assert!(
        update(&mut app, key('x')).is_empty(),
        "x alone cancels nothing"
    );
    let text = frame_text(&app, 200, 60);
    assert!(text.contains("Cancel the window of"), "{text}");
    assert!(update(&mut app, special(KeyCode::Esc)).is_empty());
    let text = frame_text(&app, 200, 60);
    assert!(
        !text.contains("Cancel the window of"),
        "Esc keeps it: {text}"
    );
    update(&mut app, key('x'));
    let effects = update(&mut app, key('x'));
    let [Effect::SaveWindow(w)] = effects.as_slice() else {
        panic!("expected one window to save, got {effects:?}");
    };
    assert_eq!(w.state, WindowState::Cancelled);
    let notice = window_notice(w, chrono_tz::Europe::Paris);
    assert!(notice.ends_with(" cancelled"), "{notice}");
    assert!(notice.starts_with("window "), "{notice}");

    let mut planned = window("u1", WindowState::Planned, None);
    assert_eq!(
        window_notice(&planned, chrono_tz::Europe::Paris),
        "window Wed 04 Nov 22:00 planned"
    );
    planned.sequence = 2;
    assert_eq!(
        window_notice(&planned, chrono_tz::UTC),
        "window moved to Wed 04 Nov 21:00 (sequence 2)"
    );
}
