//! `vigie --wall` in a real terminal (tmux): it starts, its pages rotate,
//! every key of every shipped keymap is refused or harmless, and `q` gives
//! the terminal back.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyModifiers};
use vigie::ui::action::{Action, Context};
use vigie::ui::keymap::Keymap;
use vigie::ui::keys::KeyBinding;

static SERVERS: AtomicUsize = AtomicUsize::new(0);

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(width: u16, height: u16, cmd: &str) -> Tmux {
        let n = SERVERS.fetch_add(1, Ordering::Relaxed);
        let socket = format!("vigie-wall-{}-{n}", std::process::id());
        let ok = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .args(["-s", "t", cmd])
            .status()
            .expect("tmux is installed by scripts/test")
            .success();
        assert!(ok, "tmux new-session failed");
        let t = Tmux { socket };
        t.tmux(&["set-option", "-t", "t", "remain-on-exit", "on"]);
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn capture(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "t"])
    }

    fn wait_for(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.capture();
            if pred(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "never saw {what}:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Forty clients, each with one host whose TCP check fails: more than a
/// 100x24 wall shows at once.
fn write_config(dir: &Path) -> std::path::PathBuf {
    let port = closed_port();
    let mut toml = String::from(
        "[contracts.basic]\nintervention = { urgent = \"2h\" }\nhourly_rate = 1\nmonthly_fee = 0\n",
    );
    for i in 0..40 {
        toml.push_str(&format!(
            "[clients.c{i}]\nname = \"Client {i}\"\ntimezone = \"Europe/Paris\"\ncontract = \"basic\"\n\
             [clients.c{i}.environments.prod]\nhosts = [\"h{i}\"]\n\
             [hosts.h{i}]\naddress = \"127.0.0.1\"\n\
             [[hosts.h{i}.checks]]\nname = \"web\"\nkind = \"tcp\"\naddress = \"127.0.0.1:{port}\"\n"
        ));
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

fn start_wall(dir: &Path, keymap: &str) -> Tmux {
    let config = write_config(dir);
    let cmd = format!(
        "env -i HOME={home} TERM=xterm-256color TZ=Europe/Paris {bin} --config {config} \
         --db {home}/vigie.db --log {home}/vigie.log --keymap {keymap} --wall \
         2> {home}/stderr; echo $? > {home}/exit-status; exec sleep 600",
        home = dir.display(),
        bin = env!("CARGO_BIN_EXE_vigie"),
        config = config.display(),
    );
    Tmux::start(100, 24, &cmd)
}

fn page_label(screen: &str) -> Option<String> {
    let at = screen.find("page ")?;
    Some(screen[at..].split_whitespace().nth(1)?.to_string())
}

fn is_wall(screen: &str) -> bool {
    screen.lines().take(5).all(|l| l.contains('█')) && screen.contains("read-only")
}

/// The key as tmux's send-keys names it; plain characters are sent
/// literally (`-l`).
fn tmux_key(k: &KeyBinding) -> (bool, String) {
    let mut prefix = String::new();
    if k.modifiers.contains(KeyModifiers::CONTROL) {
        prefix.push_str("C-");
    }
    if k.modifiers.contains(KeyModifiers::ALT) {
        prefix.push_str("M-");
    }
    let name = match k.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) if prefix.is_empty() => return (true, c.to_string()),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Escape".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "BTab".into(),
        KeyCode::Backspace => "BSpace".into(),
        KeyCode::Delete => "DC".into(),
        KeyCode::Insert => "IC".into(),
        KeyCode::Up => "Up".into(),
        KeyCode::Down => "Down".into(),
        KeyCode::Left => "Left".into(),
        KeyCode::Right => "Right".into(),
        KeyCode::PageUp => "PPage".into(),
        KeyCode::PageDown => "NPage".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => panic!("no tmux name for {other:?}"),
    };
    if k.modifiers.contains(KeyModifiers::SHIFT) && !matches!(k.code, KeyCode::BackTab) {
        prefix.push_str("S-");
    }
    (false, format!("{prefix}{name}"))
}

#[test]
fn the_wall_starts_and_its_pages_rotate() {
    let home = tempfile::tempdir().unwrap();
    let t = start_wall(home.path(), "default");
    t.wait_for("the wall with pages", 20, |s| {
        is_wall(s) && page_label(s).is_some()
    });
    // Pages turn on the clock, so the first page seen may be any of them:
    // the clients' page comes round within one rotation (10 s a page).
    t.wait_for("the clients' page", 70, |s| {
        is_wall(s) && s.contains("Clients")
    });
    let first = t
        .wait_for("a page label", 20, |s| page_label(s).is_some())
        .to_string();
    let label = page_label(&first).unwrap();
    // Pages turn every ten seconds.
    let turned = t.wait_for("the next page", 25, |s| {
        page_label(s).is_some_and(|l| l != label)
    });
    assert!(is_wall(&turned), "{turned}");
    assert_ne!(first, turned);
    // No cursor on the wall.
    let cursor = t.tmux(&["display-message", "-p", "-t", "t", "#{cursor_flag}"]);
    assert_eq!(cursor.trim(), "0");
    t.tmux(&["send-keys", "-t", "t", "q"]);
    let status = home.path().join("exit-status");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !status.exists() {
        assert!(Instant::now() < deadline, "vigie did not quit");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(std::fs::read_to_string(&status).unwrap().trim(), "0");
}

/// Every key bound in every shipped keymap, pressed on the wall: a
/// mutating action is refused on screen; nothing opens a prompt or leaves
/// the wall. Quit keys are pressed last.
#[test]
fn every_key_of_every_shipped_keymap_is_refused_or_harmless_on_the_wall() {
    for name in ["default", "vim"] {
        let keymap = Keymap::load(name, None).unwrap();
        let home = tempfile::tempdir().unwrap();
        let t = start_wall(home.path(), name);
        t.wait_for("the wall", 20, is_wall);
        let mut keys: Vec<KeyBinding> = Vec::new();
        for ctx in Context::ALL {
            for (_, ks) in keymap.bindings(ctx) {
                for k in ks {
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
            }
        }
        let mut quits = Vec::new();
        for key in keys {
            // The wall shows Health's context (its focus never moves).
            let action = keymap.lookup(Context::Health, &key);
            if action == Some(Action::Quit) {
                quits.push(key);
                continue;
            }
            let (literal, tmux_name) = tmux_key(&key);
            let mut args = vec!["send-keys", "-t", "t"];
            if literal {
                args.push("-l");
            }
            args.push(&tmux_name);
            t.tmux(&args);
            if action.is_some_and(Action::mutates) {
                t.wait_for(&format!("{name}: {key} refused"), 10, |s| {
                    s.contains("is not allowed on a read-only console")
                });
            }
            // Still the wall, no prompt: a ':' typed now would be a command
            // line, so the footer never shows one.
            std::thread::sleep(Duration::from_millis(150));
            let s = t.capture();
            assert!(is_wall(&s), "{name}: after {key}:\n{s}");
            assert!(
                !s.lines().last().unwrap_or("").starts_with(':'),
                "{name}: {key} opened a prompt:\n{s}"
            );
        }
        assert!(!quits.is_empty());
        let (literal, q) = tmux_key(&quits[0]);
        let mut args = vec!["send-keys", "-t", "t"];
        if literal {
            args.push("-l");
        }
        args.push(&q);
        t.tmux(&args);
        let status = home.path().join("exit-status");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !status.exists() {
            assert!(Instant::now() < deadline, "{name}: vigie did not quit");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A keymap edited while the console runs is used without a restart; a
/// broken one is refused on screen and the keys in use stay.
#[test]
fn an_edited_keymap_is_used_without_a_restart() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".config/vigie");
    std::fs::create_dir_all(&dir).unwrap();
    let cmd = format!(
        "env -i HOME={home} TERM=xterm-256color TZ=Europe/Paris {bin} demo \
         --db {home}/vigie.db --log {home}/vigie.log 2> {home}/stderr; \
         echo $? > {home}/exit-status; exec sleep 600",
        home = home.path().display(),
        bin = env!("CARGO_BIN_EXE_vigie"),
    );
    let t = Tmux::start(120, 40, &cmd);
    t.wait_for("the console", 20, |s| {
        s.contains("VIGIE") && s.contains("Health")
    });
    std::fs::write(dir.join("keymap.toml"), "[global]\nhelp = [\"h\"]\n").unwrap();
    t.wait_for("the reload notice", 10, |s| {
        s.contains("theme and keymap reloaded")
    });
    t.tmux(&["send-keys", "-t", "t", "-l", "h"]);
    t.wait_for("help on the new key", 10, |s| s.contains("quit Vigie"));
    t.tmux(&["send-keys", "-t", "t", "Escape"]);
    t.wait_for("help closed", 10, |s| !s.contains("quit Vigie"));
    std::fs::write(dir.join("keymap.toml"), "[global]\nhelp = [\"h\"\n").unwrap();
    t.wait_for("the refusal", 10, |s| s.contains("not reloaded"));
    t.tmux(&["send-keys", "-t", "t", "-l", "h"]);
    t.wait_for("help still on h", 10, |s| s.contains("quit Vigie"));
}
