use std::collections::HashMap;
use std::fs;

use ratatui::style::{Color, Modifier, Style};
use vigie::model::{EnvKind, Status};
use vigie::ui::theme::{ColorDepth, Role, Theme, ThemeError, ThemeSet};

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

/// A theme set from the shipped themes plus the given user files.
fn with_user_themes(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<ThemeSet, ThemeError>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        fs::write(dir.path().join(format!("{name}.toml")), text).unwrap();
    }
    let set = ThemeSet::load(Some(dir.path()));
    (dir, set)
}

fn load_err(files: &[(&str, &str)]) -> String {
    let (dir, set) = with_user_themes(files);
    let msg = set.expect_err("load should fail").to_string();
    // Paths differ per run; keep only the file name.
    msg.replace(&format!("{}/", dir.path().display()), "")
}

fn has_no_colour(style: Style) -> bool {
    style.fg.is_none() && style.bg.is_none()
}

#[test]
fn every_shipped_theme_resolves_at_every_depth() {
    let set = ThemeSet::load(None).unwrap();
    assert_eq!(set.names(), ["dark", "high-contrast", "light", "mono"]);
    for name in set.names() {
        for depth in ColorDepth::ALL {
            let theme = set.resolve(&name, depth).unwrap();
            assert_eq!(theme.name, name);
            assert_eq!(theme.depth, depth);
            assert!(
                set.description(&name).is_some(),
                "{name} has no description"
            );
        }
    }
}

#[test]
fn colours_follow_the_depth() {
    let set = ThemeSet::shipped().unwrap();
    let crit = |depth| set.resolve("dark", depth).unwrap().style(Role::Crit);
    assert_eq!(
        crit(ColorDepth::TrueColor).fg,
        Some(Color::Rgb(0xff, 0x5f, 0x5f))
    );
    assert_eq!(crit(ColorDepth::Ansi256).fg, Some(Color::Indexed(203)));
    assert_eq!(crit(ColorDepth::Ansi16).fg, Some(Color::LightRed));
    assert_eq!(crit(ColorDepth::Mono).fg, None);
    for depth in ColorDepth::ALL {
        assert!(
            crit(depth).add_modifier.contains(Modifier::BOLD),
            "crit is bold at {depth:?}"
        );
    }
}

#[test]
fn shipped_colour_themes_use_only_16_colours_at_depth_16() {
    let set = ThemeSet::shipped().unwrap();
    for name in ["dark", "light", "high-contrast"] {
        let theme = set.resolve(name, ColorDepth::Ansi16).unwrap();
        for role in Role::ALL {
            let s = theme.style(role);
            for c in [s.fg, s.bg].into_iter().flatten() {
                assert!(
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                    "{name} {role:?} uses {c:?} at 16 colours"
                );
            }
        }
    }
}

#[test]
fn states_are_told_apart_in_every_shipped_theme() {
    let set = ThemeSet::shipped().unwrap();
    for name in set.names() {
        for depth in [
            ColorDepth::Ansi16,
            ColorDepth::Ansi256,
            ColorDepth::TrueColor,
        ] {
            let t = set.resolve(&name, depth).unwrap();
            let states = [
                Status::Up,
                Status::Degraded,
                Status::Down,
                Status::Unknown,
                Status::Maintenance,
            ];
            for (i, a) in states.iter().enumerate() {
                for b in &states[i + 1..] {
                    assert_ne!(
                        t.status(*a),
                        t.status(*b),
                        "{name} at {depth:?}: {a:?} looks like {b:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn mono_has_no_colour_and_tells_states_apart_by_modifiers() {
    let set = ThemeSet::shipped().unwrap();
    for depth in ColorDepth::ALL {
        let mono = set.resolve("mono", depth).unwrap();
        for role in Role::ALL {
            assert!(
                has_no_colour(mono.style(role)),
                "mono {role:?} has a colour at {depth:?}"
            );
        }
        let crit = mono.style(Role::Crit);
        let warn = mono.style(Role::Warn);
        let ok = mono.style(Role::Ok);
        let selection = mono.style(Role::Selection);
        assert!(crit.add_modifier.contains(Modifier::BOLD));
        assert!(selection.add_modifier.contains(Modifier::REVERSED));
        for (a, b) in [
            (crit, ok),
            (crit, warn),
            (warn, ok),
            (selection, ok),
            (selection, crit),
            (selection, warn),
        ] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn every_colour_theme_drops_all_colour_at_mono_depth() {
    let set = ThemeSet::shipped().unwrap();
    let dark = set.resolve("dark", ColorDepth::Mono).unwrap();
    for role in Role::ALL {
        assert!(has_no_colour(dark.style(role)));
    }
    assert!(dark.style(Role::Crit).add_modifier.contains(Modifier::BOLD));
}

#[test]
fn no_color_selects_mono() {
    let env = env_of(&[
        ("NO_COLOR", "1"),
        ("COLORTERM", "truecolor"),
        ("TERM", "xterm-256color"),
    ]);
    let depth = ColorDepth::detect(&env);
    assert_eq!(depth, ColorDepth::Mono);
    let set = ThemeSet::shipped().unwrap();
    assert_eq!(set.choose(None, depth).unwrap().name, "mono");
    assert_eq!(set.choose(Some("dark"), depth).unwrap().name, "mono");
    assert_eq!(
        set.choose(Some("dark"), ColorDepth::Ansi16).unwrap().name,
        "dark"
    );
    assert_eq!(
        set.choose(None, ColorDepth::TrueColor).unwrap().name,
        "dark"
    );
}

#[test]
fn a_user_theme_built_on_mono_is_kept_without_colour() {
    let (_dir, set) =
        with_user_themes(&[("quiet", "inherits = \"mono\"\n[roles.ok]\ndim = true\n")]);
    let set = set.unwrap();
    assert_eq!(
        set.choose(Some("quiet"), ColorDepth::Mono).unwrap().name,
        "quiet"
    );
}

#[test]
fn empty_no_color_is_ignored() {
    let env = env_of(&[("NO_COLOR", ""), ("TERM", "xterm")]);
    assert_eq!(ColorDepth::detect(&env), ColorDepth::Ansi16);
}

#[test]
fn colorterm_and_term_detection() {
    let cases: &[(&[(&str, &str)], ColorDepth)] = &[
        (
            &[("COLORTERM", "truecolor"), ("TERM", "xterm")],
            ColorDepth::TrueColor,
        ),
        (&[("COLORTERM", "24bit")], ColorDepth::TrueColor),
        (
            &[("COLORTERM", "TrueColor"), ("TERM", "screen")],
            ColorDepth::TrueColor,
        ),
        (
            &[("COLORTERM", "yes"), ("TERM", "xterm-256color")],
            ColorDepth::Ansi256,
        ),
        (&[("TERM", "tmux-256color")], ColorDepth::Ansi256),
        (&[("TERM", "xterm")], ColorDepth::Ansi16),
        (&[("TERM", "linux")], ColorDepth::Ansi16),
        (&[], ColorDepth::Ansi16),
        (&[("TERM", "dumb")], ColorDepth::Mono),
        (
            &[("TERM", "dumb"), ("COLORTERM", "truecolor")],
            ColorDepth::Mono,
        ),
    ];
    for (pairs, want) in cases {
        assert_eq!(ColorDepth::detect(&env_of(pairs)), *want, "{pairs:?}");
    }
}

#[test]
fn depth_override_parses() {
    assert_eq!(
        ColorDepth::parse("truecolor").unwrap(),
        ColorDepth::TrueColor
    );
    assert_eq!(ColorDepth::parse("256").unwrap(), ColorDepth::Ansi256);
    assert_eq!(ColorDepth::parse("16").unwrap(), ColorDepth::Ansi16);
    assert_eq!(ColorDepth::parse("mono").unwrap(), ColorDepth::Mono);
    let err = ColorDepth::parse("88").unwrap_err().to_string();
    assert_eq!(
        err,
        "unknown colour depth '88': expected truecolor, 256, 16 or mono"
    );
}

#[test]
fn status_and_env_use_their_roles() {
    let t = ThemeSet::shipped()
        .unwrap()
        .resolve("dark", ColorDepth::TrueColor)
        .unwrap();
    assert_eq!(t.status(Status::Up), t.style(Role::Ok));
    assert_eq!(t.status(Status::Degraded), t.style(Role::Warn));
    assert_eq!(t.status(Status::Down), t.style(Role::Crit));
    assert_eq!(t.status(Status::Unknown), t.style(Role::Unknown));
    assert_eq!(t.status(Status::Maintenance), t.style(Role::Maintenance));
    assert_eq!(t.env(EnvKind::Prod), t.style(Role::EnvProd));
    assert_eq!(t.env(EnvKind::Preprod), t.style(Role::EnvPreprod));
    assert_eq!(t.env(EnvKind::Dev), t.style(Role::EnvDev));
    assert!(matches!(t.env(EnvKind::Prod).fg, Some(Color::Rgb(r, g, b)) if r > g && r > b));
}

#[test]
fn child_role_replaces_the_parents_and_the_parent_fills_the_rest() {
    let child = "inherits = \"dark\"\n[roles.ok]\nfg = \"#00ff00\"\n";
    let (_dir, set) = with_user_themes(&[("child", child)]);
    let set = set.unwrap();
    let t = set.resolve("child", ColorDepth::TrueColor).unwrap();
    let dark = set.resolve("dark", ColorDepth::TrueColor).unwrap();
    assert_eq!(
        t.style(Role::Ok),
        Style::default().fg(Color::Rgb(0, 0xff, 0))
    );
    // No 16-colour fallback given: computed from fg, not inherited from dark.
    let t16 = set.resolve("child", ColorDepth::Ansi16).unwrap();
    assert_eq!(t16.style(Role::Ok).fg, Some(Color::LightGreen));
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Ok) {
        assert_eq!(t.style(role), dark.style(role), "{role:?}");
    }
}

#[test]
fn whole_role_override_drops_parent_modifiers() {
    let child = "inherits = \"dark\"\n[roles.crit]\nfg = \"red\"\n";
    let (_dir, set) = with_user_themes(&[("child", child)]);
    let t = set
        .unwrap()
        .resolve("child", ColorDepth::TrueColor)
        .unwrap();
    assert_eq!(t.style(Role::Crit), Style::default().fg(Color::Red));
}

#[test]
fn grandchild_inherits_through_its_parent() {
    let (_dir, set) = with_user_themes(&[
        ("a", "inherits = \"light\"\n[roles.warn]\nfg = 214\n"),
        ("b", "inherits = \"a\"\n[roles.ok]\nfg = \"green\"\n"),
    ]);
    let set = set.unwrap();
    let b = set.resolve("b", ColorDepth::Ansi256).unwrap();
    let light = set.resolve("light", ColorDepth::Ansi256).unwrap();
    assert_eq!(b.style(Role::Warn).fg, Some(Color::Indexed(214)));
    assert_eq!(b.style(Role::Ok).fg, Some(Color::Green));
    assert_eq!(b.style(Role::Text), light.style(Role::Text));
}

#[test]
fn inheritance_cycle_is_an_error() {
    let err = load_err(&[
        ("a", "inherits = \"b\"\n"),
        ("b", "inherits = \"c\"\n"),
        ("c", "inherits = \"a\"\n"),
    ]);
    assert_eq!(
        err,
        "themes inherit from each other in a cycle: a -> b -> c -> a; remove one of these `inherits`"
    );
}

#[test]
fn self_inheritance_of_a_new_theme_is_a_cycle() {
    let err = load_err(&[("loop", "inherits = \"loop\"\n")]);
    assert!(err.contains("cycle: loop -> loop"), "{err}");
}

#[test]
fn bad_colour_error_names_line_and_column() {
    let text = "inherits = \"dark\"\n\n[roles.ok]\nfg16 = \"green\"\nfg = \"blurple\"\n";
    let err = load_err(&[("bad", text)]);
    assert_eq!(
        err,
        "bad.toml:5:6: unknown colour 'blurple': expected #rrggbb, 0-255 or a colour name"
    );
}

#[test]
fn bad_hex_and_out_of_range_index_are_bad_colours() {
    let err = load_err(&[("bad", "inherits = \"dark\"\n[roles.ok]\nfg = \"#12345\"\n")]);
    assert!(
        err.starts_with("bad.toml:3:6: unknown colour '#12345'"),
        "{err}"
    );
    let err = load_err(&[("bad", "inherits = \"dark\"\n[roles.ok]\nbg = 256\n")]);
    assert!(
        err.starts_with("bad.toml:3:6: unknown colour '256'"),
        "{err}"
    );
}

#[test]
fn fg16_accepts_only_the_16_names() {
    let err = load_err(&[(
        "bad",
        "inherits = \"dark\"\n[roles.ok]\nfg16 = \"#00ff00\"\n",
    )]);
    assert!(
        err.starts_with(
            "bad.toml:3:8: unknown colour '#00ff00': expected one of the 16 ANSI colour names"
        ),
        "{err}"
    );
}

#[test]
fn unknown_role_error_names_line_and_column() {
    let err = load_err(&[("bad", "inherits = \"dark\"\n[roles.okay]\nfg = \"green\"\n")]);
    assert!(
        err.starts_with("bad.toml:2:8: unknown role 'okay': expected one of text, muted,"),
        "{err}"
    );
}

#[test]
fn unknown_key_in_a_role_is_an_error() {
    let err = load_err(&[(
        "bad",
        "inherits = \"dark\"\n[roles.ok]\nforeground = \"green\"\n",
    )]);
    assert_eq!(
        err,
        "bad.toml:3:1: unknown key 'foreground' in [roles.ok]: expected one of \
         fg, fg16, bg, bg16, bold, italic, underline, reversed, dim"
    );
}

#[test]
fn unknown_top_level_key_is_an_error() {
    let err = load_err(&[("bad", "inherit = \"dark\"\n")]);
    assert!(
        err.starts_with("bad.toml:1:1: unknown key 'inherit' in the top level"),
        "{err}"
    );
}

#[test]
fn modifier_must_be_a_boolean() {
    let err = load_err(&[("bad", "inherits = \"dark\"\n[roles.ok]\nbold = \"yes\"\n")]);
    assert_eq!(
        err,
        "bad.toml:3:8: 'bold' must be true or false, found string"
    );
}

#[test]
fn toml_syntax_error_has_a_location() {
    let err = load_err(&[("bad", "inherits = \"dark\"\n[roles.ok\n")]);
    assert!(err.starts_with("bad.toml:2:"), "{err}");
}

#[test]
fn unknown_parent_is_an_error() {
    let err = load_err(&[("x", "\ninherits = \"y\"\n")]);
    assert!(
        err.starts_with(
            "x.toml:2:12: theme 'x' inherits from 'y', which does not exist; available: dark,"
        ),
        "{err}"
    );
}

#[test]
fn root_theme_missing_a_role_is_an_error_naming_it() {
    let text = "[roles.text]\nfg = \"white\"\n";
    let err = load_err(&[("partial", text)]);
    assert!(
        err.starts_with(
            "partial.toml: theme 'partial' has no parent and does not define role 'muted'"
        ),
        "{err}"
    );
}

#[test]
fn unknown_theme_lists_the_available_ones() {
    let set = ThemeSet::shipped().unwrap();
    let err = set
        .resolve("solarized", ColorDepth::TrueColor)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "unknown theme 'solarized'; available: dark, high-contrast, light, mono"
    );
}

#[test]
fn user_theme_shadows_a_shipped_one() {
    let mut text = String::new();
    for role in Role::ALL {
        text.push_str(&format!("[roles.{}]\nfg = \"#010203\"\n", role.name()));
    }
    let (_dir, set) = with_user_themes(&[("dark", &text), ("mine", "inherits = \"dark\"\n")]);
    let set = set.unwrap();
    assert_eq!(
        set.names(),
        ["dark", "high-contrast", "light", "mine", "mono"]
    );
    let dark = set.resolve("dark", ColorDepth::TrueColor).unwrap();
    assert_eq!(
        dark.style(Role::Crit),
        Style::default().fg(Color::Rgb(1, 2, 3))
    );
    // Themes inheriting from "dark" now get the user's dark.
    let mine = set.resolve("mine", ColorDepth::TrueColor).unwrap();
    assert_eq!(mine.style(Role::Ok).fg, Some(Color::Rgb(1, 2, 3)));
    let light = set.resolve("light", ColorDepth::TrueColor).unwrap();
    assert_eq!(light.style(Role::Ok).fg, Some(Color::Rgb(0x2e, 0x7d, 0x32)));
}

#[test]
fn user_theme_may_extend_the_shipped_theme_it_shadows() {
    let (_dir, set) =
        with_user_themes(&[("dark", "inherits = \"dark\"\n[roles.ok]\nfg = \"cyan\"\n")]);
    let set = set.unwrap();
    let shipped = ThemeSet::shipped()
        .unwrap()
        .resolve("dark", ColorDepth::TrueColor)
        .unwrap();
    let dark: Theme = set.resolve("dark", ColorDepth::TrueColor).unwrap();
    assert_eq!(dark.style(Role::Ok).fg, Some(Color::Cyan));
    assert_eq!(dark.style(Role::Crit), shipped.style(Role::Crit));
}

#[test]
fn missing_user_dir_means_shipped_themes_only() {
    let dir = tempfile::tempdir().unwrap();
    let set = ThemeSet::load(Some(&dir.path().join("nope"))).unwrap();
    assert_eq!(set.names().len(), 4);
}

#[test]
fn non_toml_files_in_the_user_dir_are_ignored() {
    let (_dir, set) = with_user_themes(&[]);
    let dir = _dir.path();
    fs::write(dir.join("README"), "not a theme").unwrap();
    assert_eq!(
        ThemeSet::load(Some(dir)).unwrap().names(),
        set.unwrap().names()
    );
}

#[test]
fn user_theme_dir_follows_xdg() {
    use std::path::PathBuf;
    use vigie::ui::theme::user_theme_dir;
    let xdg = env_of(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")]);
    assert_eq!(user_theme_dir(&xdg), Some(PathBuf::from("/x/vigie/themes")));
    let home = env_of(&[("XDG_CONFIG_HOME", "relative"), ("HOME", "/h")]);
    assert_eq!(
        user_theme_dir(&home),
        Some(PathBuf::from("/h/.config/vigie/themes"))
    );
    assert_eq!(user_theme_dir(&env_of(&[])), None);
}
