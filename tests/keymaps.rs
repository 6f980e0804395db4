use std::fs;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use vigie::ui::action::{Action, Context};
use vigie::ui::keymap::{KeyConflict, Keymap, KeymapError};
use vigie::ui::keys::KeyBinding;

fn key(s: &str) -> KeyBinding {
    KeyBinding::parse(s).unwrap()
}

fn patch(base: &str, text: &str) -> Result<Keymap, KeymapError> {
    Keymap::from_str_patch(base, text, "/home/x/.config/vigie/keymap.toml")
}

fn patch_err(text: &str) -> String {
    patch("default", text)
        .expect_err("patch should fail")
        .to_string()
}

#[test]
fn default_binds_every_action() {
    let km = Keymap::load("default", None).unwrap();
    // A pane's own actions may be bound in that pane's table only.
    for action in Action::ALL {
        assert!(
            Context::ALL
                .iter()
                .any(|ctx| !km.keys_for(*ctx, action).is_empty()),
            "{action:?} has no key"
        );
    }
}

#[test]
fn default_bindings_are_the_documented_ones() {
    let km = Keymap::load("default", None).unwrap();
    let expected = [
        ("q", Action::Quit),
        ("ctrl-c", Action::Quit),
        ("?", Action::Help),
        (":", Action::CommandLine),
        ("/", Action::Filter),
        ("esc", Action::Back),
        ("tab", Action::FocusNext),
        ("shift-tab", Action::FocusPrev),
        ("1", Action::FocusHealth),
        ("5", Action::FocusPos),
        ("z", Action::Zoom),
        ("up", Action::Up),
        ("down", Action::Down),
        ("pageup", Action::PageUp),
        ("pagedown", Action::PageDown),
        ("home", Action::Top),
        ("end", Action::Bottom),
        ("enter", Action::Select),
        ("r", Action::Refresh),
        ("right", Action::NextPeriod),
        ("[", Action::PrevPeriod),
    ];
    for (k, action) in expected {
        assert_eq!(km.lookup(Context::Global, &key(k)), Some(action), "{k}");
    }
    assert_eq!(km.lookup(Context::Global, &key("j")), None);
}

#[test]
fn pane_contexts_fall_back_to_global() {
    let km = Keymap::load("default", None).unwrap();
    for ctx in Context::ALL {
        assert_eq!(km.lookup(ctx, &key("q")), Some(Action::Quit));
        let here = km.bindings(ctx);
        for b in km.bindings(Context::Global) {
            assert!(here.contains(&b), "{ctx:?} lacks {b:?}");
        }
    }
}

#[test]
fn vim_loads_without_conflict_and_keeps_arrows() {
    let km = Keymap::load("vim", None).unwrap();
    let g = Context::Global;
    assert_eq!(km.lookup(g, &key("j")), Some(Action::Down));
    assert_eq!(km.lookup(g, &key("k")), Some(Action::Up));
    assert_eq!(km.lookup(g, &key("g")), Some(Action::Top));
    assert_eq!(km.lookup(g, &key("G")), Some(Action::Bottom));
    assert_eq!(km.lookup(g, &key("ctrl-u")), Some(Action::PageUp));
    assert_eq!(km.lookup(g, &key("ctrl-d")), Some(Action::PageDown));
    assert_eq!(km.lookup(g, &key("down")), Some(Action::Down));
    assert_eq!(km.lookup(g, &key("q")), Some(Action::Quit));
    assert_eq!(km.keys_for(g, Action::Down), vec![key("down"), key("j")]);
}

#[test]
fn user_patch_replaces_and_unbinds() {
    let km = patch(
        "default",
        "[global]\nrefresh = [\"ctrl-r\", \"f5\"]\nzoom = []\n",
    )
    .unwrap();
    let g = Context::Global;
    assert_eq!(
        km.keys_for(g, Action::Refresh),
        vec![key("ctrl-r"), key("f5")]
    );
    assert_eq!(km.lookup(g, &key("r")), None);
    assert_eq!(km.lookup(g, &key("z")), None);
    assert!(km.keys_for(g, Action::Zoom).is_empty());
    assert!(km.bindings(g).iter().all(|(a, _)| *a != Action::Zoom));
    // Untouched actions keep the base's keys.
    assert_eq!(km.keys_for(g, Action::Quit), vec![key("q"), key("ctrl-c")]);
}

#[test]
fn user_patch_over_vim() {
    let km = patch("vim", "[global]\ndown = [\"j\"]\n").unwrap();
    assert_eq!(km.keys_for(Context::Global, Action::Down), vec![key("j")]);
    assert_eq!(km.lookup(Context::Global, &key("k")), Some(Action::Up));
}

#[test]
fn freed_key_can_be_rebound() {
    let km = patch(
        "default",
        "[global]\nquit = [\"ctrl-c\"]\nrefresh = [\"q\"]\n",
    )
    .unwrap();
    assert_eq!(km.lookup(Context::Global, &key("q")), Some(Action::Refresh));
}

#[test]
fn pane_key_may_shadow_a_global_key() {
    let km = patch("default", "[tickets]\nselect = [\"r\"]\n").unwrap();
    assert_eq!(km.lookup(Context::Tickets, &key("r")), Some(Action::Select));
    assert_eq!(km.lookup(Context::Health, &key("r")), Some(Action::Refresh));
}

#[test]
fn conflict_names_both_actions_and_where_each_came_from() {
    let err = patch("vim", "base = \"vim\"\n[global]\nquit = [\"g\"]\n")
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        err,
        "key \"g\" in [global] is bound to both \"top\" (keymaps/vim.toml:10:1) and \"quit\" \
         (/home/x/.config/vigie/keymap.toml:3:1); give one of them other keys (an empty list [] unbinds)"
    );
}

#[test]
fn conflict_inside_one_patch_is_found() {
    let err = patch_err("[health]\nup = [\"x\"]\ndown = [\"x\"]\n");
    assert!(
        err.starts_with("key \"x\" in [health] is bound to both \"up\""),
        "{err}"
    );
    assert!(
        err.contains("\"down\" (/home/x/.config/vigie/keymap.toml:3:1)"),
        "{err}"
    );
}

#[test]
fn conflict_is_structured() {
    let err = patch("default", "[global]\nzoom = [\"q\"]\n")
        .err()
        .unwrap();
    match err {
        KeymapError::Conflict(c) => {
            let KeyConflict {
                key: k,
                context,
                first,
                second,
                first_at,
                second_at,
            } = *c;
            assert_eq!(k, key("q"));
            assert_eq!(context, "global");
            assert_eq!((first, second), ("quit", "zoom"));
            assert_eq!(first_at.file, "keymaps/default.toml");
            assert_eq!((second_at.line, second_at.column), (2, 1));
        }
        other => panic!("expected a conflict, got {other}"),
    }
}

#[test]
fn unknown_action_error_has_line_and_column() {
    let err = patch_err("[global]\n\n  frobnicate = [\"x\"]\n");
    assert!(
        err.starts_with("/home/x/.config/vigie/keymap.toml:3:3: unknown action 'frobnicate' in [global]: expected one of quit, help,"),
        "{err}"
    );
}

#[test]
fn unknown_context_error_has_line_and_column() {
    let err = patch_err("[global]\nquit = [\"q\"]\n[helth]\nup = [\"k\"]\n");
    assert!(
        err.starts_with("/home/x/.config/vigie/keymap.toml:3:2: unknown context [helth]: expected one of global, health,"),
        "{err}"
    );
}

#[test]
fn bad_key_error_names_the_key_and_where_it_is() {
    let err = patch_err("[global]\nquit = [\"q\", \"ctrl-enterr\"]\n");
    assert!(
        err.starts_with("/home/x/.config/vigie/keymap.toml:2:14: bad key \"ctrl-enterr\" for 'quit': unknown key \"enterr\""),
        "{err}"
    );
}

#[test]
fn keys_must_be_a_list_of_strings() {
    let err = patch_err("[global]\nquit = 3\n");
    assert!(
        err.starts_with("/home/x/.config/vigie/keymap.toml:2:8: 'quit' must be a list of keys"),
        "{err}"
    );
    let err = patch_err("[global]\nquit = [3]\n");
    assert!(
        err.starts_with("/home/x/.config/vigie/keymap.toml:2:9: a key must be a string"),
        "{err}"
    );
}

#[test]
fn a_single_key_may_be_written_without_brackets() {
    let km = patch("default", "[global]\nhelp = \"f1\"\n").unwrap();
    assert_eq!(km.keys_for(Context::Global, Action::Help), vec![key("f1")]);
}

#[test]
fn unknown_base_is_an_error() {
    let err = Keymap::load("emacs", None).err().unwrap().to_string();
    assert_eq!(
        err,
        "unknown keymap base 'emacs': expected one of default, vim"
    );
}

#[test]
fn load_reads_the_user_file_and_its_base() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keymap.toml");
    fs::write(&path, "base = \"vim\"\n[global]\nquit = [\"Q\"]\n").unwrap();
    let km = Keymap::load("default", Some(&path)).unwrap();
    assert_eq!(km.lookup(Context::Global, &key("j")), Some(Action::Down));
    assert_eq!(km.lookup(Context::Global, &key("Q")), Some(Action::Quit));
    assert_eq!(km.lookup(Context::Global, &key("q")), None);

    fs::write(&path, "[global]\nquit = [\"j\"]\n").unwrap();
    let err = Keymap::load("vim", Some(&path)).err().unwrap().to_string();
    let file = path.display().to_string();
    assert!(err.contains(&format!("\"quit\" ({file}:2:1)")), "{err}");
    assert!(err.contains("\"down\" (keymaps/vim.toml:"), "{err}");
}

#[test]
fn missing_user_file_is_no_patch() {
    let dir = tempfile::tempdir().unwrap();
    let km = Keymap::load("default", Some(&dir.path().join("keymap.toml"))).unwrap();
    assert_eq!(km.lookup(Context::Global, &key("q")), Some(Action::Quit));
}

#[test]
fn parse_display_round_trip() {
    let keys = [
        "q",
        "Q",
        "?",
        ":",
        "/",
        "1",
        "-",
        "ctrl-c",
        "ctrl-C",
        "alt-x",
        "ctrl-alt-x",
        "shift-tab",
        "ctrl-shift-tab",
        "tab",
        "enter",
        "esc",
        "space",
        "ctrl-space",
        "backspace",
        "delete",
        "insert",
        "up",
        "down",
        "left",
        "right",
        "shift-up",
        "pageup",
        "pagedown",
        "home",
        "end",
        "f1",
        "f12",
        "alt-f4",
        "ctrl--",
        "é",
    ];
    for text in keys {
        let k = KeyBinding::parse(text).unwrap();
        assert_eq!(k.to_string(), text);
        assert_eq!(KeyBinding::parse(&k.to_string()).unwrap(), k);
    }
}

#[test]
fn aliases_display_canonically() {
    let cases = [
        ("Ctrl-c", "ctrl-c"),
        ("shift-q", "Q"),
        ("backtab", "shift-tab"),
        ("escape", "esc"),
        ("return", "enter"),
        ("pgup", "pageup"),
        ("PgDn", "pagedown"),
        ("F5", "f5"),
        (" ", "space"),
        ("alt-ctrl-x", "ctrl-alt-x"),
    ];
    for (text, canonical) in cases {
        assert_eq!(
            KeyBinding::parse(text).unwrap().to_string(),
            canonical,
            "{text}"
        );
    }
}

#[test]
fn bad_keys_are_refused_with_a_reason() {
    for text in ["", "enterr", "ctrl-", "f0", "f25", "shift-1", "cmd-x"] {
        let err = KeyBinding::parse(text).unwrap_err();
        assert!(!err.is_empty(), "{text}");
    }
}

#[test]
fn from_event_normalises_what_terminals_send() {
    let ev = |code, mods| KeyBinding::from_event(&KeyEvent::new(code, mods));
    // 'Q' may come with or without SHIFT; shift+'q' from kitty-style terminals.
    assert_eq!(ev(KeyCode::Char('Q'), KeyModifiers::SHIFT), key("Q"));
    assert_eq!(ev(KeyCode::Char('Q'), KeyModifiers::NONE), key("Q"));
    assert_eq!(ev(KeyCode::Char('q'), KeyModifiers::SHIFT), key("Q"));
    assert_ne!(ev(KeyCode::Char('Q'), KeyModifiers::SHIFT), key("q"));
    // '?' arrives with SHIFT on many terminals.
    assert_eq!(ev(KeyCode::Char('?'), KeyModifiers::SHIFT), key("?"));
    // shift-tab arrives as BackTab, usually with SHIFT.
    assert_eq!(ev(KeyCode::BackTab, KeyModifiers::SHIFT), key("shift-tab"));
    assert_eq!(ev(KeyCode::BackTab, KeyModifiers::NONE), key("shift-tab"));
    assert_eq!(ev(KeyCode::Tab, KeyModifiers::SHIFT), key("shift-tab"));
    // ctrl-c is Char('c') with CONTROL.
    assert_eq!(ev(KeyCode::Char('c'), KeyModifiers::CONTROL), key("ctrl-c"));
    assert_eq!(ev(KeyCode::Char('u'), KeyModifiers::CONTROL), key("ctrl-u"));
    assert_eq!(ev(KeyCode::Enter, KeyModifiers::NONE), key("enter"));
    assert_eq!(ev(KeyCode::Char(' '), KeyModifiers::NONE), key("space"));
}

#[test]
fn events_drive_the_keymap() {
    let km = Keymap::load("default", None).unwrap();
    let ev = |code, mods| KeyBinding::from_event(&KeyEvent::new(code, mods));
    assert_eq!(
        km.lookup(
            Context::Health,
            &ev(KeyCode::Char('c'), KeyModifiers::CONTROL)
        ),
        Some(Action::Quit)
    );
    assert_eq!(
        km.lookup(Context::Health, &ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
        Some(Action::FocusPrev)
    );
    assert_eq!(
        km.lookup(
            Context::Health,
            &ev(KeyCode::Char('?'), KeyModifiers::SHIFT)
        ),
        Some(Action::Help)
    );
}
