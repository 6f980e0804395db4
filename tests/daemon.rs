//! `vigie daemon` and consoles on one store: the daemon collects, a
//! snapshot follows it, a second daemon is refused, SIGTERM stops it cleanly,
//! and a daemon killed with -9 is replaced at once.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use vigie::store::DAEMON_MAX_AGE;
use vigie::store::Reader;

fn spawn_daemon(home: &Path, db: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["--demo", "--db", db.to_str().unwrap(), "daemon"])
        .env_clear()
        .env("HOME", home)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn consoles_follow_a_live_daemon_through_the_store() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("shared.db");
    let mut daemon = Kill(spawn_daemon(home.path(), &db));

    // Wait (bounded) until the daemon has a heartbeat and every check a state.
    let declared = include_str!("../src/demo/fleet.toml")
        .matches(".checks]]")
        .count();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = Reader::open(&db)
            .ok()
            .and_then(|r| {
                let hb = r.heartbeat("daemon").ok().flatten()?;
                let states = r.latest_states().ok()?;
                Some(hb.pid == daemon.0.id() && states.len() >= declared)
            })
            .unwrap_or(false);
        if ready {
            break;
        }
        assert!(Instant::now() < deadline, "daemon wrote nothing in 30 s");
        std::thread::sleep(Duration::from_millis(200));
    }

    // A snapshot on the same store follows the daemon instead of probing.
    let out = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args([
            "--demo",
            "--db",
            db.to_str().unwrap(),
            "snapshot",
            "--width",
            "120",
            "--height",
            "40",
        ])
        .env_clear()
        .env("HOME", home.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text.lines().next().unwrap_or_default().contains("daemon"),
        "{text}"
    );
    assert!(!text.contains("waiting for the first result"), "{text}");

    // A second daemon on the same store is refused.
    let second = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["--demo", "--db", db.to_str().unwrap(), "daemon"])
        .env_clear()
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&second.stderr).contains("another daemon"));

    // SIGTERM stops it cleanly.
    // SAFETY: kill() on our own child's pid.
    unsafe {
        libc::kill(daemon.0.id() as i32, libc::SIGTERM);
    }
    let status = daemon.0.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

/// Waits (bounded, 30 s) until `daemon` has beaten into `db`; fails with
/// its stderr if it exits first.
fn wait_for_heartbeat(daemon: &mut Child, db: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = daemon.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = daemon.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            panic!("daemon {} exited ({status}): {err}", daemon.id());
        }
        let beat = Reader::open(db)
            .ok()
            .and_then(|r| r.heartbeat("daemon").ok().flatten())
            .is_some_and(|hb| hb.pid == daemon.id());
        if beat {
            return;
        }
        assert!(Instant::now() < deadline, "daemon did not beat in 30 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_daemon_restarted_right_after_kill_9_collects_at_once() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("shared.db");
    let mut first = Kill(spawn_daemon(home.path(), &db));
    wait_for_heartbeat(&mut first.0, &db);
    let reader = Reader::open(&db).unwrap();
    assert!(reader.live_daemon(Utc::now(), DAEMON_MAX_AGE).is_some());

    first.0.kill().unwrap(); // SIGKILL: no clean heartbeat at exit
    first.0.wait().unwrap();
    let killed = Instant::now();
    let killed_at = Utc::now();
    // Its heartbeat is still fresh, but a console sees it gone already.
    let hb = reader.heartbeat("daemon").unwrap().unwrap();
    assert_eq!(hb.pid, first.0.id());
    assert!(vigie::store::daemon_alive(
        Some(&hb),
        Utc::now(),
        DAEMON_MAX_AGE
    ));
    assert!(reader.live_daemon(Utc::now(), DAEMON_MAX_AGE).is_none());

    let mut second = Kill(spawn_daemon(home.path(), &db));
    wait_for_heartbeat(&mut second.0, &db);
    let beating = killed.elapsed();
    // And it collects: results newer than the kill reach the store.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reader
        .latest_states()
        .unwrap()
        .iter()
        .any(|s| s.last_at > killed_at)
    {
        assert!(
            second.0.try_wait().unwrap().is_none(),
            "second daemon exited"
        );
        assert!(Instant::now() < deadline, "no result in 30 s after restart");
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "restart after kill -9: heartbeat {beating:?}, first result {:?}",
        killed.elapsed()
    );
    assert!(reader.live_daemon(Utc::now(), DAEMON_MAX_AGE).is_some());
}
