//! The console's update function and its frames, without a terminal.

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use vigie::engine::Event;
use vigie::model::{CheckResult, Status};
use vigie::ui::app::{Effect, Msg, Overlay, update};
use vigie::ui::panes::health;
use vigie::ui::panes::{LiveCheck, PaneId};
use vigie::ui::render::help_lines;
use vigie::ui::snapshot;
use vigie::ui::theme::ColorDepth;

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

fn type_text(app: &mut vigie::ui::app::App, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        effects.extend(update(app, ch(c)));
    }
    effects
}

#[test]
fn tab_moves_focus_through_the_five_panes_and_wraps() {
    let mut app = common::app();
    let mut seen = vec![app.focus];
    for _ in 0..5 {
        update(&mut app, key(KeyCode::Tab));
        seen.push(app.focus);
    }
    assert_eq!(
        seen,
        vec![
            PaneId::Health,
            PaneId::Backups,
            PaneId::Tickets,
            PaneId::Maintenance,
            PaneId::Pos,
            PaneId::Health
        ]
    );
    update(&mut app, key(KeyCode::BackTab));
    assert_eq!(app.focus, PaneId::Pos);
}

#[test]
fn number_keys_focus_a_pane() {
    let mut app = common::app();
    update(&mut app, ch('3'));
    assert_eq!(app.focus, PaneId::Tickets);
    update(&mut app, ch('5'));
    assert_eq!(app.focus, PaneId::Pos);
}

#[test]
fn zoom_toggles_and_escape_leaves_it() {
    let mut app = common::app();
    update(&mut app, ch('z'));
    assert!(app.zoomed);
    update(&mut app, key(KeyCode::Esc));
    assert!(!app.zoomed);
}

#[test]
fn command_line_focuses_a_pane_by_name() {
    let mut app = common::app();
    update(&mut app, ch(':'));
    assert_eq!(app.overlay, Overlay::Command(String::new()));
    type_text(&mut app, "tickets");
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.focus, PaneId::Tickets);
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn colon_q_quits_and_q_quits() {
    let mut app = common::app();
    update(&mut app, ch(':'));
    type_text(&mut app, "q");
    assert_eq!(update(&mut app, key(KeyCode::Enter)), vec![Effect::Quit]);
    let mut app = common::app();
    assert_eq!(update(&mut app, ch('q')), vec![Effect::Quit]);
}

#[test]
fn unknown_command_says_so_and_changes_nothing() {
    let mut app = common::app();
    update(&mut app, ch(':'));
    type_text(&mut app, "frobnicate");
    let effects = update(&mut app, key(KeyCode::Enter));
    assert!(effects.is_empty());
    let notice = app
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(notice.contains("unknown command ':frobnicate'"), "{notice}");
    assert_eq!(app.focus, PaneId::Health);
}

#[test]
fn commands_can_name_any_action() {
    let mut app = common::app();
    update(&mut app, ch(':'));
    type_text(&mut app, "zoom");
    update(&mut app, key(KeyCode::Enter));
    assert!(app.zoomed);
}

#[test]
fn theme_command_switches_theme_live() {
    let mut app = common::app();
    update(&mut app, ch(':'));
    type_text(&mut app, "theme light");
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.theme.name, "light");
    update(&mut app, ch(':'));
    type_text(&mut app, "theme nope");
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.theme.name, "light");
    assert!(app.notice.is_some());
}

#[test]
fn slash_filters_the_focused_list_and_escape_restores_it() {
    let mut app = common::app();
    let all = health::listed(&app.data, "").len();
    update(&mut app, ch('/'));
    type_text(&mut app, "mutu-1");
    let pane = app.pane(PaneId::Health).map(|p| p.filter().to_string());
    assert_eq!(pane.as_deref(), Some("mutu-1"));
    let filtered = health::listed(&app.data, "mutu-1");
    assert!(!filtered.is_empty() && filtered.len() < all);
    assert!(filtered.iter().all(|r| r.host == "mutu-1"));
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.overlay, Overlay::None);
    // A second filter typed then abandoned brings back the first.
    update(&mut app, ch('/'));
    type_text(&mut app, "x");
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(
        app.pane(PaneId::Health)
            .map(|p| p.filter().to_string())
            .as_deref(),
        Some("mutu-1")
    );
    // Esc with no overlay clears the filter.
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(
        app.pane(PaneId::Health)
            .map(|p| p.filter().to_string())
            .as_deref(),
        Some("")
    );
}

#[test]
fn keys_typed_in_the_command_line_are_not_actions() {
    let mut app = common::app();
    update(&mut app, ch(':'));
    // 'q' is quit in the keymap, but here it is text.
    assert!(type_text(&mut app, "q2z").is_empty());
    assert_eq!(app.overlay, Overlay::Command("q2z".into()));
    assert!(!app.zoomed);
}

#[test]
fn worst_host_and_group_come_first_in_health() {
    let app = common::app();
    let rows = health::listed(&app.data, "");
    assert_eq!(rows[0].status, Status::Down);
    assert_eq!(rows[0].host, "mutu-test");
    // Statuses never improve going down the list within a group, and
    // groups are ordered worst first.
    let firsts: Vec<Status> = rows
        .iter()
        .enumerate()
        .filter(|(i, r)| *i == 0 || (rows[i - 1].client != r.client || rows[i - 1].env != r.env))
        .map(|(_, r)| r.status)
        .collect();
    assert!(firsts.windows(2).all(|w| w[0] >= w[1]), "{firsts:?}");
    // A mutualised host is listed under each client that uses it.
    let mutu: Vec<_> = rows.iter().filter(|r| r.host == "mutu-1").collect();
    assert!(mutu.len() >= 2, "{mutu:?}");
}

#[test]
fn arrows_and_vim_keys_move_the_selection() {
    let mut app = common::app();
    update(&mut app, key(KeyCode::Down));
    update(&mut app, key(KeyCode::Down));
    assert_eq!(app.pane(PaneId::Health).and_then(|p| p.selected()), Some(2));
    update(&mut app, key(KeyCode::Up));
    assert_eq!(app.pane(PaneId::Health).and_then(|p| p.selected()), Some(1));

    let mut vim = common::app_with("dark", ColorDepth::TrueColor, "vim");
    update(&mut vim, ch('j'));
    update(&mut vim, ch('G'));
    let last = health::listed(&vim.data, "").len() - 1;
    assert_eq!(
        vim.pane(PaneId::Health).and_then(|p| p.selected()),
        Some(last)
    );
    update(&mut vim, ch('g'));
    assert_eq!(vim.pane(PaneId::Health).and_then(|p| p.selected()), Some(0));
}

#[test]
fn ctrl_z_suspends_and_key_releases_are_ignored() {
    let mut app = common::app();
    let ctrl_z = Msg::Key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL));
    assert_eq!(update(&mut app, ctrl_z), vec![Effect::Suspend]);
    let mut release = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    assert!(update(&mut app, Msg::Key(release)).is_empty());
}

#[test]
fn engine_results_update_state_and_keep_when_it_began() {
    let mut app = common::app();
    let at = common::now();
    let result = |status, secs| {
        CheckResult::observed(
            "odoo-coop/erp",
            at + chrono::Duration::seconds(secs),
            status,
            Some(30),
            "200 OK",
        )
    };
    update(&mut app, Msg::Engine(Event::Result(result(Status::Up, 0))));
    update(&mut app, Msg::Engine(Event::Result(result(Status::Up, 10))));
    let live = app.data.checks.get("odoo-coop/erp").cloned();
    assert_eq!(live.as_ref().map(|l| l.status), Some(Status::Up));
    assert_eq!(live.as_ref().map(|l| l.since), Some(at));
    assert_eq!(
        live.map(|l| l.last_at),
        Some(at + chrono::Duration::seconds(10))
    );
}

#[test]
fn stored_states_merge_with_what_the_console_saw() {
    let mut app = common::app();
    let at = common::now();
    let secs = chrono::Duration::seconds;
    // This console's engine saw the ERP up a minute ago.
    let seen = CheckResult::observed(
        "mutu-1/velo-site",
        at - secs(60),
        Status::Up,
        Some(30),
        "200 OK",
    );
    update(&mut app, Msg::Engine(Event::Result(seen)));
    let stored = |status, since: i64, last: i64, message: &str| LiveCheck {
        status,
        since: at - secs(since),
        last_at: at - secs(last),
        latency_ms: Some(45),
        message: message.into(),
        latencies: Default::default(),
        observed: status,
        metrics: Vec::new(),
        flapping: false,
        failing: None,
    };
    // The store knows it has been up for two days: the run is older than
    // this console, and `since` says so.
    update(
        &mut app,
        Msg::States(vec![(
            "mutu-1/velo-site".into(),
            stored(Status::Up, 2 * 86_400, 60, "200 OK"),
        )]),
    );
    let live = app.data.checks.get("mutu-1/velo-site").cloned().unwrap();
    assert_eq!(live.since, at - secs(2 * 86_400));
    assert_eq!(
        live.latency_ms,
        Some(30),
        "an equal-time row changes nothing else"
    );
    // An older stored result never overwrites a newer one.
    update(
        &mut app,
        Msg::States(vec![(
            "mutu-1/velo-site".into(),
            stored(Status::Down, 600, 300, "HTTP 503"),
        )]),
    );
    let live = app.data.checks.get("mutu-1/velo-site").cloned().unwrap();
    assert_eq!(live.status, Status::Up);
    // A newer one (a daemon's) wins, keeps the latency history, and
    // starts a new run.
    update(
        &mut app,
        Msg::States(vec![(
            "mutu-1/velo-site".into(),
            stored(Status::Down, 5, 5, "HTTP 503"),
        )]),
    );
    let live = app.data.checks.get("mutu-1/velo-site").cloned().unwrap();
    assert_eq!(live.status, Status::Down);
    assert_eq!(live.since, at - secs(5));
    assert_eq!(live.message, "HTTP 503");
    let latencies: Vec<u32> = live.latencies.iter().copied().collect();
    assert!(latencies.ends_with(&[30, 45]), "{latencies:?}");
}

#[test]
fn notices_fade_with_the_clock() {
    let mut app = common::app();
    update(&mut app, ch(':'));
    type_text(&mut app, "nope");
    update(&mut app, key(KeyCode::Enter));
    assert!(app.notice.is_some());
    update(
        &mut app,
        Msg::Tick(common::now() + chrono::Duration::seconds(10)),
    );
    assert!(app.notice.is_none());
}

#[test]
fn help_is_generated_from_the_active_keymap() {
    let app = common::app_with("dark", ColorDepth::TrueColor, "vim");
    let text: Vec<String> = help_lines(&app).iter().map(|l| l.to_string()).collect();
    let text = text.join("\n");
    for (action, keys) in app.keymap.bindings(vigie::ui::action::Context::Global) {
        if keys.is_empty() {
            continue;
        }
        assert!(
            text.contains(action.describe()),
            "help lacks {}",
            action.name()
        );
    }
    assert!(text.contains('j'), "vim keys in help:\n{text}");
    assert!(text.contains("ctrl-z"), "the terminal's own key:\n{text}");
}

#[test]
fn outside_text_is_shown_harmless() {
    let mut app = common::app();
    update(
        &mut app,
        Msg::Engine(Event::Result(CheckResult::observed(
            "odoo-coop/erp",
            common::now(),
            Status::Down,
            None,
            "boom\u{1b}]52;c;aGk=\u{7}\u{1b}[2J",
        ))),
    );
    app.zoomed = true;
    let buffer = snapshot::frame(&app, 200, 60).unwrap();
    let text = snapshot::text(&buffer);
    assert!(!text.contains('\u{1b}'));
    assert!(text.contains("boom␛]52;c;aGk=␇␛[2J"), "{text}");
}

#[test]
fn read_only_mode_is_shown_in_the_header() {
    let mut app = common::app();
    app.modes.read_only = true;
    let buffer = snapshot::frame(&app, 120, 40).unwrap();
    let text = snapshot::text(&buffer);
    let header = text.lines().next().unwrap_or_default();
    assert!(header.contains("READ-ONLY"), "{header}");
}

#[test]
fn a_store_the_daemon_cannot_write_is_shown_in_the_header() {
    let mut app = common::app();
    let fault = "store damaged since 2026-12-07 21:00 UTC (database disk image is malformed)";
    update(&mut app, Msg::StoreFault(Some(fault.into())));
    let text = snapshot::text(&snapshot::frame(&app, 120, 40).unwrap());
    let header = text.lines().next().unwrap_or_default();
    assert!(header.contains("STORE DAMAGED"), "{header}");
    update(&mut app, Msg::StoreFault(None));
    let text = snapshot::text(&snapshot::frame(&app, 120, 40).unwrap());
    assert!(
        !text.lines().next().unwrap_or_default().contains("STORE"),
        "{text}"
    );
}

/// A critical POS alert on the first store the demo watches (Coop La
/// Cagette's), begun `minutes_ago`.
pub fn critical_store(app: &mut vigie::ui::app::App, minutes_ago: i64) {
    let mut view = app.data.pos.values().next().cloned().unwrap();
    view.status = Status::Down;
    view.at = app.data.now;
    view.alerts = vec![vigie::model::pos::Alert {
        key: "till-down:Caisse 1".into(),
        severity: Status::Down,
        message: "Caisse 1 does not answer at closing".into(),
        since: app.data.now - chrono::Duration::minutes(minutes_ago),
        occurrences: 1,
    }];
    update(app, Msg::Pos(Box::new(view)));
}

/// The header counts open alerts of every domain by severity (a store's
/// till beside the checks) and leads with the worst, whichever pane has
/// the focus; in glyphs on a narrow terminal.
#[test]
fn the_header_counts_alerts_of_every_domain_and_leads_with_the_worst() {
    let mut app = common::app();
    critical_store(&mut app, 1);
    let header = |w: u16| {
        let buffer = snapshot::frame(&app, w, 40).unwrap();
        let text = snapshot::text(&buffer);
        text.lines().next().unwrap_or_default().to_string()
    };
    // The down check (older than the store's alert), the store and the
    // demo's ping source without a restore point are critical; the slow
    // ERP a warning.
    let wide = header(200);
    assert!(wide.contains("✖ 3 critical · ▲ 1 warning"), "{wide}");
    assert!(
        wide.contains("│ mutu-test/coop-test: down: HTTP 503"),
        "{wide}"
    );
    let narrow = header(80);
    assert!(narrow.contains("✖ 3 ▲ 1"), "{narrow}");
    assert!(narrow.contains("│ mutu-test"), "{narrow}");
}

/// A store's tile is worked out when its view arrives, not per frame; what
/// it draws is exactly what the tile built at drawing time draws (a view
/// put in place without `update`), at any size.
#[test]
fn pos_tiles_worked_out_on_update_draw_the_same_as_built_when_drawn() {
    use vigie::model::pos::{Alert, Reading, UplinkRole};
    let mut views: Vec<_> = common::app().data.pos.values().cloned().collect();
    let now = common::now();
    for (i, v) in views.iter_mut().enumerate() {
        v.at = now;
        v.status = if i == 0 {
            Status::Down
        } else {
            Status::Degraded
        };
        v.uplinks = vec![
            (UplinkRole::Main, Reading::down("refused")),
            (UplinkRole::Backup, Reading::up(12)),
        ];
        v.active = Some(Ok(UplinkRole::Backup));
        let mut t = now - chrono::TimeDelta::hours(10);
        while t < now {
            let s = match (t.timestamp() / 1800) % 5 {
                0 => Status::Down,
                1 => Status::Degraded,
                _ => Status::Up,
            };
            v.timeline
                .push(t, s, Some(UplinkRole::Main), chrono::TimeDelta::minutes(1));
            t += chrono::TimeDelta::seconds(20);
        }
        v.alerts = vec![Alert {
            key: "till-down:1".into(),
            severity: v.status,
            message: "till 1 unreachable \u{1b}[2J".into(),
            since: now - chrono::TimeDelta::minutes(5),
            occurrences: 2,
        }];
    }
    let mut updated = common::app();
    let mut placed = common::app();
    for app in [&mut updated, &mut placed] {
        app.focus = PaneId::Pos;
        app.zoomed = true;
    }
    for v in views {
        placed
            .data
            .pos
            .insert((v.client.clone(), v.site.clone()), v.clone());
        update(&mut updated, Msg::Pos(Box::new(v)));
    }
    for (w, h) in [(80, 24), (200, 60), (60, 12)] {
        let a = snapshot::frame(&updated, w, h).unwrap();
        let b = snapshot::frame(&placed, w, h).unwrap();
        assert_eq!(snapshot::styled(&a), snapshot::styled(&b), "{w}x{h}");
        let text = snapshot::text(&a);
        assert!(text.contains('█') && text.contains('▅'), "{text}");
    }
    let text = snapshot::text(&snapshot::frame(&updated, 200, 60).unwrap());
    assert!(text.contains("till 1 unreachable ␛[2J since"), "{text}");
    assert!(text.contains("×2"), "{text}");
}

// Snapshots: what the operator sees, with styles where themes matter.

#[test]
fn snapshot_80x24() {
    let app = common::app();
    let buffer = snapshot::frame(&app, 80, 24).unwrap();
    insta::assert_snapshot!("console_80x24", snapshot::text(&buffer));
}

#[test]
fn snapshot_200x60_with_styles() {
    let app = common::app();
    let buffer = snapshot::frame(&app, 200, 60).unwrap();
    insta::assert_snapshot!("console_200x60_text", snapshot::text(&buffer));
    insta::assert_snapshot!("console_200x60_styles", snapshot::styled(&buffer));
}

#[test]
fn snapshot_80x24_sixteen_colours_with_styles() {
    let app = common::app_with("dark", ColorDepth::Ansi16, "default");
    let buffer = snapshot::frame(&app, 80, 24).unwrap();
    insta::assert_snapshot!("console_80x24_ansi16_styles", snapshot::styled(&buffer));
}

#[test]
fn snapshot_mono_has_no_colour() {
    let app = common::app_with("mono", ColorDepth::Mono, "default");
    let buffer = snapshot::frame(&app, 120, 40).unwrap();
    let styled = snapshot::styled(&buffer);
    assert!(
        !styled.contains("fg=") && !styled.contains("bg="),
        "{styled}"
    );
    insta::assert_snapshot!("console_120x40_mono_styles", styled);
}

#[test]
fn snapshot_help_overlay() {
    let mut app = common::app();
    update(&mut app, ch('?'));
    let buffer = snapshot::frame(&app, 80, 24).unwrap();
    insta::assert_snapshot!("console_help_80x24", snapshot::text(&buffer));
}

#[test]
fn snapshot_zoomed_pane_and_command_line() {
    let mut app = common::app();
    update(&mut app, ch('2'));
    update(&mut app, ch('z'));
    update(&mut app, ch(':'));
    type_text(&mut app, "heal");
    let buffer = snapshot::frame(&app, 100, 20).unwrap();
    insta::assert_snapshot!("console_zoom_backups_command", snapshot::text(&buffer));
}

#[test]
fn too_small_terminal_says_so() {
    let app = common::app();
    let text = snapshot::text(&snapshot::frame(&app, 30, 8).unwrap());
    assert!(text.contains("too small"), "{text}");
}

#[test]
fn enter_opens_a_host_detail_with_history_and_esc_closes_it() {
    use vigie::ui::history::{CheckSeries, DetailRequest, HostDetail, Incident, Period};
    let mut app = common::app();
    update(&mut app, key(KeyCode::Enter));
    let first = health::listed(&app.data, "")[0].host.clone();
    let request = app.pane(PaneId::Health).and_then(|p| p.history_request());
    assert_eq!(
        request,
        Some(DetailRequest {
            host: first.clone(),
            period: Period::Day
        })
    );
    // Until the follower answers, the detail says it is reading.
    let text = snapshot::text(&snapshot::frame(&app, 120, 40).unwrap());
    assert!(text.contains("reading 24 h of history"), "{text}");
    let now = common::now();
    let check_id = app.data.fleet.host(&first).unwrap().checks[0].id.clone();
    app.data.detail = Some(HostDetail {
        request: DetailRequest {
            host: first.clone(),
            period: Period::Day,
        },
        from: now - chrono::Duration::hours(24),
        to: now,
        checks: vec![CheckSeries {
            check_id: check_id.clone(),
            latency: (0..24)
                .map(|h| (now - chrono::Duration::hours(24 - h), 20.0 + h as f64))
                .collect(),
            metrics: Vec::new(),
            figures: Vec::new(),
            availability: Some(99.5),
        }],
        incidents: vec![Incident {
            check_id,
            status: Status::Down,
            start: now - chrono::Duration::hours(3),
            end: Some(now - chrono::Duration::hours(2)),
            cause: "HTTP 503 Service Unavailable".into(),
        }],
        error: None,
    });
    app.zoomed = true;
    let text = snapshot::text(&snapshot::frame(&app, 120, 40).unwrap());
    assert!(text.contains("INCIDENT"), "{text}");
    assert!(text.contains("HTTP 503 Service Unavailable"), "{text}");
    assert!(text.contains("1h00"), "lasted: {text}");
    assert!(text.contains("latency"), "{text}");
    assert!(text.contains("99.50%"), "{text}");
    // → asks for a week, Esc goes back to the list.
    update(&mut app, key(KeyCode::Right));
    let request = app.pane(PaneId::Health).and_then(|p| p.history_request());
    assert_eq!(request.map(|r| r.period), Some(Period::Week));
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(
        app.pane(PaneId::Health).and_then(|p| p.history_request()),
        None
    );
}

/// In a host detail the moving keys move the selection through the host's
/// checks, then the period's incidents (they were dropped before, so the
/// screen changed only at the next clock tick).
#[test]
fn in_a_host_detail_moving_keys_go_through_checks_then_incidents() {
    use vigie::ui::history::{DetailRequest, HostDetail, Incident, Period};
    use vigie::ui::theme::Role;
    let mut app = common::app();
    app.zoomed = true;
    update(&mut app, key(KeyCode::Enter));
    let first = health::listed(&app.data, "")[0].host.clone();
    let host = app.data.fleet.host(&first).unwrap();
    let first_check = host.checks[0].name.clone();
    let check_id = host.checks[0].id.clone();
    let check_count = host.checks.len();
    let now = common::now();
    let incident = |cause: &str, hours: i64| Incident {
        check_id: check_id.clone(),
        status: Status::Down,
        start: now - chrono::Duration::hours(hours),
        end: Some(now - chrono::Duration::hours(hours - 1)),
        cause: cause.into(),
    };
    app.data.detail = Some(HostDetail {
        request: DetailRequest {
            host: first.clone(),
            period: Period::Day,
        },
        from: now - chrono::Duration::hours(24),
        to: now,
        checks: Vec::new(),
        incidents: vec![incident("earlier cause", 5), incident("later cause", 3)],
        error: None,
    });
    let selection = app.theme.style(Role::Selection).bg;
    // Whether the first line below the header (which names the worst
    // alert, a check too) showing `needle` is drawn selected.
    let selected = |app: &vigie::ui::app::App, needle: &str| {
        let buf = snapshot::frame(app, 120, 40).unwrap();
        let text = snapshot::text(&buf);
        let (y, line) = text
            .lines()
            .enumerate()
            .skip(1)
            .find(|(_, l)| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not on screen:\n{text}"));
        let x = line[..line.find(needle).unwrap()].chars().count();
        buf[(x as u16, y as u16)].bg == selection.unwrap()
    };
    assert!(
        selected(&app, &first_check),
        "the first check starts selected"
    );
    for _ in 0..check_count {
        update(&mut app, key(KeyCode::Down));
    }
    assert!(selected(&app, "earlier cause"));
    assert!(!selected(&app, &first_check));
    update(&mut app, key(KeyCode::Down));
    assert!(selected(&app, "later cause"));
    // The last row holds the selection.
    update(&mut app, key(KeyCode::Down));
    assert!(selected(&app, "later cause"));
    update(&mut app, key(KeyCode::Up));
    assert!(selected(&app, "earlier cause"));
    update(&mut app, key(KeyCode::PageUp));
    assert!(selected(&app, &first_check));
    // Still the same host's detail: the keys did not reach the host list.
    let request = app.pane(PaneId::Health).and_then(|p| p.history_request());
    assert_eq!(request.map(|r| r.host), Some(first));
}

/// This year's usage of the demo fleet, seeded into a real store and read
/// back as the follower reads it.
fn demo_usage_view(app: &vigie::ui::app::App) -> vigie::ui::usage::UsageView {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let writer = vigie::store::Writer::spawn(&path).unwrap();
    let now = common::now();
    writer
        .send(vigie::store::WriteOp::Usage(vigie::demo::usage::samples(
            &app.data.fleet,
            now,
        )))
        .unwrap();
    writer.flush().unwrap();
    let reader = vigie::store::Reader::open(&path).unwrap();
    let mut stored = reader.usage(2026).unwrap();
    let reports = vigie::model::usage::fleet_reports(&app.data.fleet, &mut stored, 2026, None, now);
    vigie::ui::usage::UsageView {
        year: 2026,
        reports,
        read: true,
    }
}

#[test]
fn usage_view_shows_meters_against_quotas_and_who_is_near() {
    let mut app = common::app();
    let view = demo_usage_view(&app);
    update(&mut app, Msg::Usage(Box::new(view)));
    update(&mut app, ch(':'));
    type_text(&mut app, "usage");
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.overlay, Overlay::Usage { scroll: 0 });
    let buffer = snapshot::frame(&app, 100, 40).unwrap();
    let text = snapshot::text(&buffer);
    // The town hall is past its 20 GB, the coop near its SMS quota:
    // nearest first; the coop's documents (79 %) are not near.
    let lines: Vec<&str> = text.lines().collect();
    let at = |a: &str, b: &str| lines.iter().position(|l| l.contains(a) && l.contains(b));
    let mairie = at("Mairie de Saint-Aubin", "20.2 GB of 20 GB").unwrap();
    let coop = at("Coop La Cagette", "SMS").unwrap();
    assert!(
        at("Near a quota", "").unwrap() < mairie && mairie < coop,
        "{text}"
    );
    assert!(lines[mairie].contains("101 %"), "{text}");
    assert!(
        !lines[..coop + 1]
            .iter()
            .any(|l| l.contains("Coop La Cagette") && l.contains("documents")),
        "{text}"
    );
    // The bike club's failed days in March are gaps, and its mail counter's
    // reset is flagged.
    assert!(
        text.contains("3 gap days, 1 backwards") || text.contains("4 gap days, 1 backwards"),
        "{text}"
    );
    insta::assert_snapshot!("console_usage_100x40", text);
    // Moving scrolls, esc closes.
    update(&mut app, key(KeyCode::Down));
    assert_eq!(app.overlay, Overlay::Usage { scroll: 1 });
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.overlay, Overlay::None);
}

#[test]
fn usage_of_another_year_is_said_to_be_the_clis_not_shown_as_this_one() {
    let mut app = common::app();
    let view = demo_usage_view(&app);
    let shown = view.year;
    update(&mut app, Msg::Usage(Box::new(view)));
    update(&mut app, ch(':'));
    type_text(&mut app, &format!("usage {}", shown - 1));
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.overlay, Overlay::None);
    let text = snapshot::text(&snapshot::frame(&app, 120, 30).unwrap());
    assert!(
        text.contains(&format!("vigie usage --year {}", shown - 1)),
        "{text}"
    );
    update(&mut app, ch(':'));
    type_text(&mut app, &format!("usage {shown}"));
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.overlay, Overlay::Usage { scroll: 0 });
}

#[test]
fn usage_view_says_when_nothing_is_read_yet() {
    let mut app = common::app();
    update(&mut app, ch(':'));
    type_text(&mut app, "usage");
    update(&mut app, key(KeyCode::Enter));
    let text = snapshot::text(&snapshot::frame(&app, 80, 24).unwrap());
    assert!(text.contains("reading usage from the store"), "{text}");
}

/// A filter that hides every host says how many, and what it hides that
/// matters: an empty list must not read as "nothing wrong".
#[test]
fn a_filter_that_hides_everything_says_so() {
    let mut app = common::app();
    let all = health::listed(&app.data, "").len();
    update(&mut app, ch('/'));
    type_text(&mut app, "no-such-host");
    update(&mut app, key(KeyCode::Enter));
    let buffer = snapshot::frame(&app, 120, 40).unwrap();
    let text = snapshot::text(&buffer);
    assert!(all > 0);
    // The demo's hosts, two of them down (one seen by two clients).
    assert!(
        text.contains(&format!("0 of {all} shown, 2 down, 1 warning")),
        "{text}"
    );
    assert!(text.contains("hidden by the filter"), "{text}");
}

/// A check failing but not yet confirmed is a warning that says so, never
/// up nor unknown; flapping checks are counted in the header.
#[test]
fn a_failing_check_shows_failing_and_flapping_is_counted() {
    let mut app = common::app();
    let mut r = CheckResult::observed(
        "odoo-coop/erp",
        common::now(),
        Status::Degraded,
        None,
        "timeout after 5s (failure 1 of 3)",
    );
    r.observed = Status::Down;
    r.failing = Some((1, 3));
    r.first_failure = Some(common::now());
    r.flapping = true;
    update(&mut app, Msg::Engine(Event::Result(r)));
    let live = app.data.checks.get("odoo-coop/erp").cloned();
    assert_eq!(live.map(|l| l.label()).as_deref(), Some("failing 1/3"));
    let buffer = snapshot::frame(&app, 200, 60).unwrap();
    let text = snapshot::text(&buffer);
    assert!(text.contains("▲ failing 1/3"), "{text}");
    let header = text.lines().next().unwrap_or_default();
    assert!(header.contains("↯ 1 flapping"), "{header}");
}

/// Confirmed down after failing: the console's `since` is the first
/// failure, as the store's interval is.
#[test]
fn a_confirmed_outage_began_at_its_first_failure_on_screen_too() {
    let mut app = common::app();
    let at = common::now();
    let mut r = CheckResult::observed("odoo-coop/erp", at, Status::Down, None, "timeout");
    r.first_failure = Some(at - chrono::Duration::seconds(120));
    update(&mut app, Msg::Engine(Event::Result(r)));
    let live = app.data.checks.get("odoo-coop/erp").cloned();
    assert_eq!(
        live.map(|l| l.since),
        Some(at - chrono::Duration::seconds(120))
    );
}

/// A store's hours are its own local times: named with its zone when the
/// display zone differs, left bare when it is the same.
#[test]
fn store_hours_name_their_zone_only_when_it_is_not_the_display_zone() {
    let mut app = common::app();
    let views: Vec<_> = app.data.pos.values().cloned().collect();
    assert!(!views.is_empty(), "the demo fleet has stores");
    let tile_heads = |app: &vigie::ui::app::App| {
        let buffer = snapshot::frame(app, 200, 60).unwrap();
        snapshot::text(&buffer)
    };
    for v in views.clone() {
        update(&mut app, Msg::Pos(Box::new(v)));
    }
    let same = tile_heads(&app);
    assert!(!same.contains("–20:30 CET"), "{same}");
    app.data.tz = chrono_tz::America::Montreal;
    for v in views {
        update(&mut app, Msg::Pos(Box::new(v)));
    }
    let other = tile_heads(&app);
    assert!(other.contains(" CET · "), "{other}");
}

/// Backups too: a filter that hides every source says so.
#[test]
fn a_backups_filter_that_hides_every_source_says_so() {
    let mut app = common::app();
    update(&mut app, ch('2'));
    update(&mut app, ch('/'));
    type_text(&mut app, "no-such-source");
    update(&mut app, key(KeyCode::Enter));
    let text = snapshot::text(&snapshot::frame(&app, 120, 40).unwrap());
    let n = app.data.fleet.backups.len();
    assert!(n > 0);
    assert!(text.contains(&format!("0 of {n} shown")), "{text}");
}
/// Acknowledgements read from the store are counted apart in the header,
/// which then leads with the worst alert nobody took; a silenced alert is
/// left out of the counts.
#[test]
fn the_header_says_what_is_taken_and_leads_with_what_is_not() {
    use vigie::model::attention::{Ack, Record, Silence};
    let mut app = common::app();
    critical_store(&mut app, 1);
    let now = app.data.now;
    let mut records = std::collections::BTreeMap::new();
    records.insert(
        "checks:mutu-test/coop-test".to_string(),
        Record {
            id: "checks:mutu-test/coop-test".into(),
            first_seen: now - chrono::Duration::hours(1),
            resolved: None,
            ack: Some(Ack {
                by: "camille".into(),
                at: now,
                comment: "restarting".into(),
                expires: None,
            }),
        },
    );
    let silences = vec![Silence {
        id: 1,
        client: None,
        host: None,
        check: None,
        domain: Some(vigie::model::attention::Domain::Backups),
        severity: None,
        start: now - chrono::Duration::minutes(5),
        end: now + chrono::Duration::hours(2),
        comment: "known: pings arrive tomorrow".into(),
        author: "sam".into(),
    }];
    update(
        &mut app,
        Msg::Attention(Box::new(vigie::ui::attention::Lifecycle {
            records,
            silences,
        })),
    );
    let buffer = snapshot::frame(&app, 200, 40).unwrap();
    let text = snapshot::text(&buffer);
    let header = text.lines().next().unwrap_or_default();
    // The down check (taken) and the store: 2 critical, 1 taken; the ping
    // source's backup alert is silenced.
    assert!(
        header.contains("✖ 2 critical (1 ack) · ▲ 1 warning"),
        "{header}"
    );
    assert!(
        header.contains("│ Magasin Sud: Caisse 1 does not answer"),
        "{header}"
    );
}

/// The header names who is on call, as `vigie oncall` says it, where there
/// is room; under 100 columns the counts and the clock keep the line.
#[test]
fn the_header_names_who_is_on_call() {
    let mut app = common::app();
    let config = vigie::demo::config_for(std::net::SocketAddr::from(([127, 0, 0, 1], 9))).unwrap();
    let rota = config.paging.rota.clone().unwrap();
    let who = rota.header_words(app.data.now).unwrap();
    app.rota = Some(rota);
    let wide = snapshot::text(&snapshot::frame(&app, 160, 40).unwrap());
    let header = wide.lines().next().unwrap_or_default().to_string();
    assert!(header.contains(&who), "{header}");
    let narrow = snapshot::text(&snapshot::frame(&app, 80, 24).unwrap());
    assert!(
        !narrow
            .lines()
            .next()
            .unwrap_or_default()
            .contains("on call"),
        "{narrow}"
    );
}
