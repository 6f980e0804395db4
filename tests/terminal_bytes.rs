//! What the terminal receives, byte for byte: an idle second redraws only
//! the clock; each colour depth sends only the colour codes it can show;
//! TERM and NO_COLOR pick the depth.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use chrono::Duration;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use vigie::ui::app::{App, Msg, update};
use vigie::ui::terminal::{BasicColours, draw_frame};
use vigie::ui::theme::ColorDepth;
use vigie::ui::wall::Wall;

#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn terminal(w: u16, h: u16) -> (Terminal<CrosstermBackend<BasicColours<Shared>>>, Shared) {
    let out = Shared::default();
    let t = Terminal::with_options(
        CrosstermBackend::new(BasicColours::new(out.clone())),
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, w, h)),
        },
    )
    .unwrap();
    (t, out)
}

fn take(out: &Shared) -> String {
    String::from_utf8(std::mem::take(&mut *out.0.borrow_mut())).unwrap()
}

/// The printable text of a frame's bytes (escape sequences removed).
fn printed(bytes: &str) -> String {
    let mut out = String::new();
    let mut chars = bytes.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() && d != '[' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn idle_second(app: &mut App, w: u16, h: u16) -> (usize, String) {
    let (mut t, out) = terminal(w, h);
    draw_frame(&mut t, app).unwrap();
    let first = take(&out).len();
    update(app, Msg::Tick(common::now() + Duration::seconds(1)));
    draw_frame(&mut t, app).unwrap();
    (first, take(&out))
}

#[test]
fn an_idle_second_redraws_only_the_clock() {
    let mut app = common::app();
    let (first, second) = idle_second(&mut app, 200, 60);
    // 18:42:07 becomes 18:42:08: one digit, plus cursor moves and styles.
    assert_eq!(printed(&second), "8", "{second:?}");
    assert!(second.len() < 100, "{} bytes: {second:?}", second.len());
    assert!(first > 10_000, "the first frame is whole ({first} bytes)");
}

#[test]
fn an_idle_second_on_the_wall_redraws_only_the_small_clock() {
    let mut app = common::app();
    app.modes.read_only = true;
    app.wall = Some(Wall::default());
    for (w, h) in [(200, 60), (80, 24)] {
        let (_, second) = idle_second(&mut app, w, h);
        assert_eq!(printed(&second), "8", "{w}x{h}: {second:?}");
        app.data.now = common::now();
    }
}

/// Every SGR sequence of a frame, split into its parameters.
fn colour_codes(bytes: &str) -> Vec<String> {
    bytes
        .split('\u{1b}')
        .filter_map(|s| s.strip_prefix('['))
        .filter_map(|s| s.split_once('m').map(|(p, _)| p.to_string()))
        .filter(|p| p.chars().all(|c| c.is_ascii_digit() || c == ';'))
        .collect()
}

#[test]
fn each_colour_depth_sends_only_the_codes_it_can_show() {
    for depth in ColorDepth::ALL {
        let mut app = common::app_with("dark", depth, "default");
        app.notice = None;
        let (mut t, out) = terminal(120, 40);
        draw_frame(&mut t, &app).unwrap();
        let codes = colour_codes(&take(&out));
        assert!(!codes.is_empty());
        let joined = codes.join(" ");
        let rgb = joined.contains("38;2;") || joined.contains("48;2;");
        let indexed = joined.contains("38;5;") || joined.contains("48;5;");
        // Palette indices used by 38;5;N / 48;5;N.
        let indices: Vec<u16> = codes
            .iter()
            .flat_map(|c| {
                let p: Vec<&str> = c.split(';').collect();
                p.windows(3)
                    .filter(|w| (w[0] == "38" || w[0] == "48") && w[1] == "5")
                    .filter_map(|w| w[2].parse().ok())
                    .collect::<Vec<u16>>()
            })
            .collect();
        match depth {
            ColorDepth::TrueColor => assert!(rgb, "{joined}"),
            ColorDepth::Ansi256 => {
                assert!(indexed && !rgb, "{joined}");
                assert!(indices.iter().any(|i| *i >= 16), "{joined}");
            }
            // The 16 colours go out as the original SGR codes (30-37,
            // 90-97, 40-47, 100-107) that every terminal reads, never as
            // 38;5;N, an RGB or an extended index.
            ColorDepth::Ansi16 => {
                assert!(!rgb && !indexed, "{joined}");
                let basic = codes.iter().flat_map(|c| c.split(';')).any(|p| {
                    p.parse::<u16>()
                        .is_ok_and(|n| matches!(n, 30..=37 | 40..=47 | 90..=97 | 100..=107))
                });
                assert!(basic, "{joined}");
            }
            ColorDepth::Mono => assert!(!indexed && !rgb, "{joined}"),
        }
    }
}

#[test]
fn term_and_no_color_pick_the_depth() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    };
    for (vars, want) in [
        (&[("TERM", "linux")][..], ColorDepth::Ansi16),
        (&[("TERM", "screen")][..], ColorDepth::Ansi16),
        (&[("TERM", "xterm-256color")][..], ColorDepth::Ansi256),
        (&[("TERM", "tmux-256color")][..], ColorDepth::Ansi256),
        (&[("TERM", "screen-256color")][..], ColorDepth::Ansi256),
        (
            &[("TERM", "tmux-256color"), ("COLORTERM", "truecolor")][..],
            ColorDepth::TrueColor,
        ),
        (
            &[("TERM", "xterm-256color"), ("NO_COLOR", "1")][..],
            ColorDepth::Mono,
        ),
        (
            &[("TERM", "dumb"), ("COLORTERM", "truecolor")][..],
            ColorDepth::Mono,
        ),
    ] {
        assert_eq!(ColorDepth::detect(&env(vars)), want, "{vars:?}");
    }
    assert_eq!(ColorDepth::parse("16").unwrap(), ColorDepth::Ansi16);
}
