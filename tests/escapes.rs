//! An escape sequence from outside never reaches the terminal: strings from
//! a real HTTP server on loopback (a JSON body read by a check) and from the
//! configuration (host, client and check names) are drawn by the console's
//! own draw path into bytes, and those bytes are read as a terminal would.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use chrono::Utc;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use vigie::sources::Sources;
use vigie::ui::action::Action;
use vigie::ui::app::{App, Modes, dispatch};
use vigie::ui::keymap::Keymap;
use vigie::ui::terminal::{BasicColours, draw_frame};
use vigie::ui::theme::{ColorDepth, ThemeSet};
use vigie::ui::wall::Wall;

/// What each outside string tries: clipboard write (OSC 52), screen wipe
/// (CSI 2J), a hyperlink (OSC 8), cursor moves and colours (CSI), the same
/// in 8-bit C1 form (CSI U+009B, OSC U+009D, ST U+009C), a bell, and a
/// right-to-left override.
const OSC52: &str = "\u{1b}]52;c;aGk=\u{7}";
const CLEAR: &str = "\u{1b}[2J\u{1b}[H";
const LINK: &str = "\u{1b}]8;;http://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\";
const CSI: &str = "\u{1b}[31;1m\u{1b}[10A";
const C1: &str = "\u{9b}2J\u{9d}52;c;aGk=\u{9c}";
const BIDI: &str = "\u{202e}exe.txt";

/// The body a misbehaving service answers with: the check reads `/status`
/// and shows its value when it is not "pass". JSON cannot carry a raw ESC
/// (serde escapes it when the value is shown), but it carries C1 controls
/// and bidi overrides as they are, and raw ESC travels in the keys.
fn body() -> String {
    let value = format!("{C1}{BIDI}{OSC52}{CLEAR}");
    serde_json::json!({ "status": value }).to_string()
}

async fn serve() -> std::net::SocketAddr {
    let body = body();
    let app = Router::new().route(
        "/health",
        get(move || {
            let b = body.clone();
            async move { ([("content-type", "application/json")], b) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// TOML basic strings take \u escapes, so a configuration can hold them.
fn toml_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || c == '"' || c == '\\' || ('\u{2000}'..'\u{2100}').contains(&c) {
                format!("\\u{:04x}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn config(addr: std::net::SocketAddr) -> String {
    let host = toml_escape(&format!("erp{OSC52}{CSI}"));
    let client = toml_escape(&format!("Coop{LINK}{BIDI}"));
    let check = toml_escape(&format!("web{CLEAR}{C1}"));
    format!(
        r#"
[contracts.basic]
intervention = {{ urgent = "2h" }}
hourly_rate = 120
monthly_fee = 0

[clients.coop]
name = "{client}"
timezone = "Europe/Paris"
contract = "basic"

[clients.coop.environments.prod]
hosts = ["{host}"]

[hosts."{host}"]
address = "127.0.0.1"

[[hosts."{host}".checks]]
name = "{check}"
kind = "http"
url = "http://{addr}/health"
json = {{ pointer = "/status", op = "==", value = "pass" }}
"#
    )
}

/// Reads `bytes` as a terminal would and fails on anything but what the
/// console itself sends: CSI cursor positions (H), colours (m) and the
/// synchronized-update mode (?2026h/l), the cursor hidden (?25l). No OSC, no other CSI, no C1
/// control, no C0 control but ESC, no bidi override.
fn assert_only_drawing(bytes: &[u8], what: &str) {
    let text = std::str::from_utf8(bytes).expect("frames are UTF-8");
    let mut chars = text.chars().peekable();
    let mut sequences = 0;
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                assert_eq!(chars.next(), Some('['), "{what}: ESC not starting a CSI");
                let mut params = String::new();
                let fin = loop {
                    match chars.next() {
                        Some(p @ ('0'..='9' | ';' | '?')) => params.push(p),
                        Some(f) => break f,
                        None => panic!("{what}: unterminated CSI"),
                    }
                };
                let ok = match fin {
                    'H' | 'm' => !params.contains('?'),
                    'h' | 'l' => params == "?2026" || params == "?25",
                    _ => false,
                };
                assert!(ok, "{what}: unexpected sequence ESC[{params}{fin}");
                sequences += 1;
            }
            c if c.is_control() => {
                panic!("{what}: control character U+{:04X} written", c as u32)
            }
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                panic!("{what}: bidi control U+{:04X} written", c as u32)
            }
            _ => {}
        }
    }
    assert!(sequences > 0, "{what}: nothing drawn");
}

fn app_for(fleet: Arc<vigie::model::Fleet>) -> App {
    let themes = ThemeSet::load(None).unwrap();
    let theme = themes.resolve("dark", ColorDepth::TrueColor).unwrap();
    App::new(
        fleet,
        Arc::new(themes),
        theme,
        Keymap::load("default", None).unwrap(),
        Utc::now(),
        chrono_tz::Europe::Paris,
        Modes::default(),
    )
}

/// A writer the test can read back after the terminal wrote to it.
#[derive(Clone, Default)]
struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn bytes_of(app: &App, width: u16, height: u16) -> (Vec<u8>, String) {
    let out = Shared::default();
    let backend = CrosstermBackend::new(BasicColours::new(out.clone()));
    let mut terminal = Terminal::with_options(
        backend,
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, width, height)),
        },
    )
    .unwrap();
    draw_frame(&mut terminal, app).unwrap();
    let bytes = out.0.borrow().clone();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (bytes, text)
}

#[tokio::test]
async fn injected_sequences_never_reach_the_terminal() {
    let addr = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, config(addr)).unwrap();
    let config = vigie::config::load(&path).unwrap();
    let host = &config.fleet.hosts[0];
    assert!(host.name.contains('\u{1b}'), "the name keeps its ESC");
    let fleet = Arc::new(config.fleet);
    let sources = Sources::new().unwrap();
    let results = vigie::engine::run_once(&fleet, &sources).await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].status, vigie::model::Status::Down);
    assert!(
        results[0].message.contains("52;c;aGk="),
        "the body's value is in the message: {:?}",
        results[0].message
    );

    let mut app = app_for(fleet);
    for r in &results {
        app.data.record(r);
    }
    app.zoomed = true;
    let (bytes, text) = bytes_of(&app, 200, 40);
    assert_only_drawing(&bytes, "health pane");
    // What was injected is on screen as harmless text.
    assert!(text.contains("erp␛]52;c;aGk=␇"), "{text}");
    assert!(text.contains("52;c;aGk="), "{text}");

    dispatch(&mut app, Action::Select);
    let (bytes, text) = bytes_of(&app, 200, 40);
    assert_only_drawing(&bytes, "host detail");
    assert!(text.contains("␛[2J"), "{text}");

    dispatch(&mut app, Action::Back);
    app.wall = Some(Wall::default());
    app.modes.read_only = true;
    let (bytes, text) = bytes_of(&app, 160, 40);
    assert_only_drawing(&bytes, "wall");
    assert!(text.contains("Coop␛]8;;http://evil.example/"), "{text}");

    // The grid and an 80x24 terminal draw the same strings in other widths.
    app.wall = None;
    app.zoomed = false;
    for (w, h) in [(120, 40), (80, 24)] {
        let (bytes, _) = bytes_of(&app, w, h);
        assert_only_drawing(&bytes, &format!("console {w}x{h}"));
    }
}

/// The scanner itself fails on each injected sequence written raw, so the
/// test above cannot pass by reading nothing.
#[test]
fn the_byte_reader_catches_every_injected_form() {
    for bad in [OSC52, CLEAR, LINK, CSI, C1, BIDI, "\u{7}"] {
        let mut framed = b"\x1b[1;1Hok".to_vec();
        framed.extend_from_slice(bad.as_bytes());
        let caught = std::panic::catch_unwind(|| assert_only_drawing(&framed, "raw"));
        assert!(caught.is_err(), "{bad:?} not caught");
    }
}
