//! Themes and keymaps reload when their files change: the watch sees the
//! change, the new files are loaded, and a broken file keeps what is in use
//! with the error as a notice.

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime};

use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::style::Color;
use vigie::ui::action::{Action, Context};
use vigie::ui::app::{Msg, update};
use vigie::ui::keys::KeyBinding;
use vigie::ui::reload::{Watch, load};
use vigie::ui::theme::{ColorDepth, Role};

/// Writes `text` and moves the file's mtime forward, so a change within the
/// same second is still seen.
fn write(path: &Path, text: &str, bump: u64) {
    std::fs::write(path, text).unwrap();
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() + Duration::from_secs(bump))
        .unwrap();
}

fn theme(title: &str) -> String {
    format!("inherits = \"dark\"\n[roles.title]\nfg = \"{title}\"\nfg16 = \"white\"\n")
}

#[test]
fn edited_theme_and_keymap_are_loaded_and_swapped_in() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("themes")).unwrap();
    let theme_file = dir.path().join("themes/mine.toml");
    let keymap_file = dir.path().join("keymap.toml");
    write(&theme_file, &theme("#112233"), 0);
    write(&keymap_file, "[global]\nrefresh = [\"R\"]\n", 0);
    let mut watch = Watch::new(dir.path());
    assert!(!watch.changed(), "nothing changed yet");

    let first = load(dir.path(), "mine", ColorDepth::TrueColor, "default").unwrap();
    assert_eq!(
        first.theme.style(Role::Title).fg,
        Some(Color::Rgb(0x11, 0x22, 0x33))
    );
    let big_r = KeyBinding::new(KeyCode::Char('R'), KeyModifiers::NONE);
    assert_eq!(
        first.keymap.lookup(Context::Global, &big_r),
        Some(Action::Refresh)
    );
    let mut app = common::app();
    update(&mut app, Msg::Reloaded(Ok(Box::new(first))));
    assert_eq!(app.theme.name, "mine");

    // Edited: seen, loaded, swapped in, said.
    write(&theme_file, &theme("#445566"), 2);
    write(&keymap_file, "[global]\nrefresh = [\"ctrl-r\"]\n", 2);
    assert!(watch.changed());
    assert!(!watch.changed(), "a change is reported once");
    let second = load(dir.path(), "mine", ColorDepth::TrueColor, "default").unwrap();
    update(&mut app, Msg::Reloaded(Ok(Box::new(second))));
    assert_eq!(
        app.theme.style(Role::Title).fg,
        Some(Color::Rgb(0x44, 0x55, 0x66))
    );
    let ctrl_r = KeyBinding::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
    assert_eq!(
        app.keymap.lookup(Context::Global, &ctrl_r),
        Some(Action::Refresh)
    );
    assert_eq!(app.keymap.lookup(Context::Global, &big_r), None);
    assert!(app.notice.as_ref().unwrap().text.contains("reloaded"));

    // A new theme file is a change too.
    write(&dir.path().join("themes/other.toml"), &theme("#000000"), 3);
    assert!(watch.changed());
}

#[test]
fn a_broken_file_keeps_what_is_in_use_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("themes")).unwrap();
    let theme_file = dir.path().join("themes/mine.toml");
    write(&theme_file, &theme("#112233"), 0);
    let mut app = common::app();
    let good = load(dir.path(), "mine", ColorDepth::TrueColor, "default").unwrap();
    update(&mut app, Msg::Reloaded(Ok(Box::new(good))));
    let mut watch = Watch::new(dir.path());

    write(
        &theme_file,
        "inherits = \"dark\"\n[roles.title\nfg = 1\n",
        2,
    );
    assert!(watch.changed());
    let broken = load(dir.path(), "mine", ColorDepth::TrueColor, "default");
    let err = broken.as_ref().map(|_| ()).unwrap_err().clone();
    assert!(err.contains("mine.toml"), "{err}");
    update(&mut app, Msg::Reloaded(broken.map(Box::new)));
    assert_eq!(
        app.theme.style(Role::Title).fg,
        Some(Color::Rgb(0x11, 0x22, 0x33)),
        "the theme in use is kept"
    );
    let notice = app.notice.as_ref().unwrap().text.clone();
    assert!(
        notice.contains("not reloaded") && notice.contains("mine.toml"),
        "{notice}"
    );

    // A keymap with two actions on one key is refused the same way.
    write(
        &dir.path().join("keymap.toml"),
        "[global]\nrefresh = [\"x\"]\nzoom = [\"x\"]\n",
        3,
    );
    write(&theme_file, &theme("#112233"), 3);
    assert!(watch.changed());
    let err = load(dir.path(), "mine", ColorDepth::TrueColor, "default").unwrap_err();
    assert!(err.contains("refresh") && err.contains("zoom"), "{err}");
}
