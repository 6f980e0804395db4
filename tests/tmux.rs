//! The console in a real terminal (tmux): first frame, live rows, help,
//! resize, quit, and the terminal given back as it was found.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
    /// Where the shell wrapping vigie writes its exit status (tmux's own
    /// pane_dead_status is sometimes empty after the pane has died).
    status_file: std::path::PathBuf,
}

impl Tmux {
    /// Starts `vigie ARGS` in a fresh tmux server, with only HOME, TERM, TZ
    /// and `env` (space-separated NAME=VALUE pairs) in its environment.
    fn start(home: &Path, width: u16, height: u16, env: &str, args: &str) -> Tmux {
        let socket = format!("vigie-test-{}-{width}x{height}", std::process::id());
        let bin = env!("CARGO_BIN_EXE_vigie");
        let status_file = home.join("exit-status");
        let cmd = format!(
            "env -i HOME={home} TERM=xterm-256color TZ=Europe/Paris {env} {bin} {args} 2> {home}/stderr; echo $? > {status}",
            home = home.display(),
            status = status_file.display()
        );
        let ok = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                &width.to_string(),
            ])
            .args(["-y", &height.to_string(), "-s", "t", &cmd])
            .status()
            .expect("tmux is installed by scripts/test")
            .success();
        assert!(ok, "tmux new-session failed");
        let t = Tmux {
            socket,
            status_file,
        };
        t.tmux(&["set-option", "-t", "t", "remain-on-exit", "on"]);
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn capture(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "t"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Waits (bounded) until the screen satisfies `pred`.
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.capture();
            if pred(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "never saw {what}:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The exit status of vigie, once it has exited.
    fn dead_status(&self) -> Option<String> {
        let status = std::fs::read_to_string(&self.status_file).ok()?;
        status.ends_with('\n').then(|| status.trim().to_string())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn drive(width: u16, height: u16) {
    let home = tempfile::tempdir().unwrap();
    let t = Tmux::start(home.path(), width, height, "", "demo");
    let screen = t.wait_for("live rows", |s| {
        s.contains("DEMO") && s.contains("odoo-coop/erp") && s.contains(" ms")
    });
    assert!(screen.contains("VIGIE"));
    assert!(screen.contains("Health"));

    t.keys(&["?"]);
    t.wait_for("help", |s| s.contains("Help") && s.contains("quit Vigie"));
    t.keys(&["Escape"]);
    t.wait_for("help closed", |s| !s.contains("quit Vigie"));

    t.keys(&["3"]);
    t.wait_for("tickets pane", |s| {
        s.contains("No ticket tracker configured")
    });

    t.tmux(&["resize-window", "-t", "t", "-x", "100", "-y", "30"]);
    t.wait_for("redraw after resize", |s| {
        s.lines().next().is_some_and(|l| l.contains("VIGIE"))
    });

    t.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = t.dead_status() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "vigie did not quit:\n{}",
            t.capture()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status, "0");
    // The alternate screen is gone: the console's frame is no longer shown.
    let after = t.capture();
    assert!(
        !after.contains("odoo-coop/erp"),
        "terminal not restored:\n{after}"
    );
}

#[test]
fn console_in_tmux_80x24() {
    drive(80, 24);
}

#[test]
fn console_in_tmux_200x60() {
    drive(200, 60);
}

#[test]
fn console_refuses_a_named_config_that_does_not_exist() {
    // Only the default path may be missing (then the console shows the
    // demo); a file named by VIGIE_CONFIG must exist.
    let home = tempfile::tempdir().unwrap();
    let missing = home.path().join("nowhere.toml");
    let t = Tmux::start(
        home.path(),
        100,
        30,
        &format!("VIGIE_CONFIG={}", missing.display()),
        "",
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = t.dead_status() {
            break s;
        }
        assert!(Instant::now() < deadline, "vigie did not exit");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status, "2");
    let err = std::fs::read_to_string(home.path().join("stderr")).unwrap();
    assert!(err.contains("nowhere.toml"), "{err}");
}
