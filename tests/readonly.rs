//! Read-only and wall modes refuse everything that would change anything,
//! whatever produced it: every action (by dispatch and by `:` command),
//! every key of every shipped keymap, and every effect on the runner's side.

mod common;

use crossterm::event::{KeyEvent, KeyEventKind, KeyEventState};
use strum::IntoEnumIterator;
use vigie::ui::action::{Action, Context};
use vigie::ui::app::{App, Effect, Msg, Overlay, dispatch, run_command, update};
use vigie::ui::guard;
use vigie::ui::keymap::Keymap;
use vigie::ui::panes::PaneId;
use vigie::ui::snapshot;
use vigie::ui::theme::ColorDepth;
use vigie::ui::wall::Wall;

/// What an operator can see of the console's state.
#[derive(Debug, Clone, PartialEq)]
struct View {
    focus: PaneId,
    zoomed: bool,
    overlay: Overlay,
    filters: Vec<String>,
    selected: Vec<Option<usize>>,
    wall_offset: Option<usize>,
}

fn view(app: &App) -> View {
    View {
        focus: app.focus,
        zoomed: app.zoomed,
        overlay: app.overlay.clone(),
        filters: app.panes.iter().map(|p| p.filter().to_string()).collect(),
        selected: app.panes.iter().map(|p| p.selected()).collect(),
        wall_offset: app.wall.as_ref().map(|w| w.offset),
    }
}

/// Consoles in the states an operator can reach: each pane focused, zoomed,
/// filtered, a host detail open, the selection moved.
fn states_of(keymap: &str) -> Vec<(String, Box<dyn Fn() -> App>)> {
    let keymap = keymap.to_string();
    let mut out: Vec<(String, Box<dyn Fn() -> App>)> = Vec::new();
    for pane in PaneId::ALL {
        let k = keymap.clone();
        out.push((
            format!("{} focused", pane.name()),
            Box::new(move || {
                let mut app = common::app_with("dark", ColorDepth::TrueColor, &k);
                app.focus = pane;
                app
            }),
        ));
    }
    let k = keymap.clone();
    out.push((
        "health zoomed and filtered, second row".into(),
        Box::new(move || {
            let mut app = common::app_with("dark", ColorDepth::TrueColor, &k);
            app.zoomed = true;
            dispatch(&mut app, Action::Down);
            run_command(&mut app, "filter");
            for c in "mutu".chars() {
                update(&mut app, common_key(c));
            }
            update(
                &mut app,
                Msg::Key(KeyEvent::from(crossterm::event::KeyCode::Enter)),
            );
            app
        }),
    ));
    let k = keymap.clone();
    out.push((
        "alerts view open, an acknowledged alert selected".into(),
        Box::new(move || {
            let mut app = common::app_with("dark", ColorDepth::TrueColor, &k);
            acknowledge_first(&mut app);
            dispatch(&mut app, Action::Alerts);
            assert_eq!(app.overlay, Overlay::Alerts);
            app
        }),
    ));
    let k = keymap.clone();
    out.push((
        "health, the selected host has an acknowledged alert".into(),
        Box::new(move || {
            let mut app = common::app_with("dark", ColorDepth::TrueColor, &k);
            let id = acknowledge_first(&mut app);
            let host = id
                .trim_start_matches("checks:")
                .split('/')
                .next()
                .unwrap_or("");
            let _ = app
                .panes
                .iter_mut()
                .find(|p| p.id() == PaneId::Health)
                .map(|p| p.select_row(host, &app.data));
            app
        }),
    ));
    let k = keymap;
    out.push((
        "host detail open".into(),
        Box::new(move || {
            let mut app = common::app_with("dark", ColorDepth::TrueColor, &k);
            dispatch(&mut app, Action::Select);
            app
        }),
    ));
    out
}

/// Acknowledges the first open alert in the console's copy of the store
/// (as a follower reads it), so that removing it is possible; its id.
fn acknowledge_first(app: &mut App) -> String {
    let open = vigie::ui::attention::open(app);
    let first = open.first().expect("the test fleet has an open alert");
    let id = first.alert.id.clone();
    let record = vigie::model::attention::Record {
        id: id.clone(),
        first_seen: first.alert.since,
        resolved: None,
        ack: Some(vigie::model::attention::Ack {
            by: "alice".into(),
            at: common::now(),
            comment: "on it".into(),
            expires: None,
        }),
    };
    app.data.lifecycle.records.insert(id.clone(), record);
    app.epoch += 1;
    id
}

fn common_key(c: char) -> Msg {
    Msg::Key(KeyEvent::from(crossterm::event::KeyCode::Char(c)))
}

fn refused_on_screen(app: &App, action: Action) {
    let notice = app
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    // In the words of the help, not the keymap's internal name.
    assert_eq!(notice, guard::refusal_of(action), "{}", action.name());
    assert!(notice.ends_with("is not allowed on a read-only console"));
    assert!(!notice.contains('_'), "{notice}");
    let text = snapshot::text(&snapshot::frame(app, 120, 40).unwrap());
    assert!(
        text.contains(&notice),
        "{}: the notice is not on screen:\n{text}",
        action.name()
    );
}

#[test]
fn every_action_enumerated_is_in_action_all() {
    assert_eq!(Action::iter().collect::<Vec<_>>(), Action::ALL.to_vec());
}

/// For every action in every reachable state: read-only refuses exactly the
/// mutating ones (no effect, nothing changed, a notice on screen) and lets
/// every other one do what it does in a normal console.
#[test]
fn read_only_refuses_each_mutating_action_and_only_those() {
    let mut mutating = 0;
    let mut allowed = 0;
    for (state, build) in states_of("default") {
        for action in Action::iter() {
            let mut rw = build();
            let rw_effects = dispatch(&mut rw, action);
            // An action that asks the runner for a mutating effect must be
            // declared mutating, or dispatch would not refuse it.
            if rw_effects.iter().any(Effect::mutates) {
                assert!(
                    action.mutates(),
                    "{state}: '{}' yields a mutating effect but is not declared mutating",
                    action.name()
                );
            }
            let mut ro = build();
            ro.modes.read_only = true;
            let before = view(&ro);
            let ro_effects = dispatch(&mut ro, action);
            if action.mutates() {
                mutating += 1;
                // Refused: nothing that changes anything (the refusal's own
                // audit line, `SshRefused`, may go to the runner).
                assert!(
                    !ro_effects.iter().any(Effect::mutates),
                    "{state}: {}",
                    action.name()
                );
                assert_eq!(view(&ro), before, "{state}: {} changed", action.name());
                refused_on_screen(&ro, action);
                // The same action typed as a command is refused the same way.
                let mut cmd = build();
                cmd.modes.read_only = true;
                assert!(
                    !run_command(&mut cmd, action.name())
                        .iter()
                        .any(Effect::mutates)
                );
                refused_on_screen(&cmd, action);
            } else {
                allowed += 1;
                assert_eq!(ro_effects, rw_effects, "{state}: {}", action.name());
                assert_eq!(view(&ro), view(&rw), "{state}: {}", action.name());
                let notice = ro.notice.as_ref().map(|n| n.text.as_str()).unwrap_or("");
                assert!(!notice.contains("read-only"), "{state}: {notice}");
            }
            // The runner's side: whatever a normal console would execute,
            // read-only keeps only what does not mutate.
            let kept = guard::permit(&mut ro, rw_effects.clone());
            let expected: Vec<Effect> = rw_effects.into_iter().filter(|e| !e.mutates()).collect();
            assert_eq!(kept, expected, "{state}: {}", action.name());
        }
    }
    let states = states_of("default").len();
    assert_eq!(mutating + allowed, states * Action::ALL.len());
    // Acknowledging and silencing are among the judged mutations.
    for a in [Action::Ack, Action::Unack, Action::Silence] {
        assert!(a.mutates(), "{}", a.name());
    }
    // `:silence` with its matchers is the same action, refused the same way.
    for (state, build) in states_of("default") {
        let mut app = build();
        app.modes.read_only = true;
        let before = view(&app);
        let effects = run_command(&mut app, "silence client=coop for 2h planned work");
        assert!(effects.is_empty(), "{state}: {effects:?}");
        assert_eq!(view(&app), before, "{state}");
        assert!(app.alert_editor.is_none(), "{state}");
        refused_on_screen(&app, Action::Silence);
    }
    eprintln!("{mutating} mutating and {allowed} allowed (action, state) pairs");
}

/// The runner's guard passes everything through outside read-only modes and
/// keeps the effects that only look (quit, refresh, suspend, bell).
#[test]
fn the_runner_guard_keeps_what_only_looks() {
    let looking = [
        Effect::Quit,
        Effect::RefreshChecks,
        Effect::Suspend,
        Effect::Bell,
    ];
    let mut app = common::app();
    app.modes.read_only = true;
    for e in &looking {
        assert!(!e.mutates(), "{e:?}");
    }
    assert_eq!(guard::permit(&mut app, looking.to_vec()), looking.to_vec());
    assert!(app.notice.is_none());
}

/// The wall refuses every mutating action too, and opens no prompt
/// whatever it is asked: no command line, no filter, no help.
#[test]
fn the_wall_refuses_mutating_actions_and_opens_no_prompt() {
    for action in Action::iter() {
        let mut app = common::app();
        app.modes.read_only = true;
        app.wall = Some(Wall::default());
        let effects = dispatch(&mut app, action);
        assert_eq!(app.overlay, Overlay::None, "{}", action.name());
        assert!(!app.zoomed, "{}", action.name());
        if action.mutates() {
            assert!(!effects.iter().any(Effect::mutates), "{}", action.name());
            refused_on_screen(&app, action);
        }
        for e in &effects {
            assert!(
                matches!(
                    e,
                    Effect::Quit | Effect::RefreshChecks | Effect::SshRefused { .. }
                ),
                "{}: {e:?}",
                action.name()
            );
        }
    }
}

/// The keymaps shipped in `keymaps/`: each file is a base a user can pick.
fn shipped_keymaps() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/keymaps");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert!(names.len() >= 2, "{names:?}");
    names
}

fn pane_of(ctx: Context) -> PaneId {
    match ctx {
        Context::Global | Context::Health => PaneId::Health,
        Context::Backups => PaneId::Backups,
        Context::Tickets => PaneId::Tickets,
        Context::Maintenance => PaneId::Maintenance,
        Context::Pos => PaneId::Pos,
    }
}

/// Every key bound in every shipped keymap, in every context, pressed in a
/// read-only console and on the wall: a key whose action mutates is
/// refused with a notice; no key opens a prompt on the wall.
#[test]
fn every_key_of_every_shipped_keymap_is_judged_in_read_only_and_wall() {
    let mut keys_tried = 0;
    for name in shipped_keymaps() {
        let keymap = Keymap::load(&name, None).unwrap();
        for ctx in Context::ALL {
            for (_, keys) in keymap.bindings(ctx) {
                for key in keys {
                    let action = keymap.lookup(ctx, &key).expect("a bound key has an action");
                    let event = KeyEvent {
                        code: key.code,
                        modifiers: key.modifiers,
                        kind: KeyEventKind::Press,
                        state: KeyEventState::NONE,
                    };
                    for wall in [false, true] {
                        let mut app = common::app_with("dark", ColorDepth::TrueColor, &name);
                        app.focus = pane_of(ctx);
                        app.modes.read_only = true;
                        if wall {
                            app.wall = Some(Wall::default());
                        }
                        let before = view(&app);
                        let effects = update(&mut app, Msg::Key(event));
                        keys_tried += 1;
                        if action.mutates() {
                            assert!(
                                !effects.iter().any(Effect::mutates),
                                "{name} {key} ({})",
                                action.name()
                            );
                            assert_eq!(view(&app), before, "{name} {key}");
                            refused_on_screen(&app, action);
                        }
                        if wall {
                            assert_eq!(app.overlay, Overlay::None, "{name} {key}");
                        }
                        let kept = guard::permit(&mut app, effects.clone());
                        assert!(kept.iter().all(|e| !e.mutates()));
                    }
                }
            }
        }
    }
    assert!(keys_tried > 50, "{keys_tried}");
}

/// A read-only console does not advertise what it would refuse: neither
/// its footer nor its help names a mutating action.
#[test]
fn read_only_footer_and_help_offer_only_what_is_allowed() {
    for pane in PaneId::ALL {
        let mut app = common::app();
        app.focus = pane;
        app.modes.read_only = true;
        let offered = vigie::ui::render::footer_actions(&app);
        assert!(
            offered.iter().all(|a| !a.mutates()),
            "{}: {offered:?}",
            pane.name()
        );
        let help: String = vigie::ui::render::help_lines(&app)
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            !help.contains(":silence"),
            "{}: help offers :silence",
            pane.name()
        );
        for a in Action::iter().filter(|a| a.mutates()) {
            assert!(
                !help.contains(a.describe()),
                "{}: help offers {}",
                pane.name(),
                a.label()
            );
        }
        // A console that may act offers them.
        app.modes.read_only = false;
        let all = vigie::ui::render::footer_actions(&app);
        if pane == PaneId::Tickets {
            assert!(all.contains(&Action::TimerToggle));
        }
    }
    assert_eq!(
        guard::refusal_of(Action::TimerToggle),
        "starting or stopping a timer is not allowed on a read-only console"
    );
}
