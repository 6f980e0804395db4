//! A store that fails is said, never hidden: pages damaged with `dd` are
//! refused at start and stop the writer when met later; a full disk (a
//! small tmpfs) keeps results waiting in memory until space returns.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use vigie::model::{CheckResult, Status};
use vigie::store::fault::StoreFault;
use vigie::store::{Reader, StoreError, WriteOp, Writer};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// `n` results of `checks` checks, a minute apart per check, with
/// messages long enough to fill pages.
fn results(prefix: &str, checks: usize, n: usize, from: DateTime<Utc>) -> Vec<CheckResult> {
    (0..n)
        .map(|i| {
            CheckResult::observed(
                format!("{prefix}{:04}/http", i % checks),
                from + TimeDelta::minutes((i / checks) as i64),
                if i % 7 == 0 { Status::Down } else { Status::Up },
                Some(u32::try_from(i % 900).unwrap()),
                format!(
                    "HTTP 200 in {} ms, body {} bytes, round {i}",
                    i % 900,
                    1000 + i
                ),
            )
        })
        .collect()
}

/// A store of about `n` results, closed (its WAL folded into the file).
fn store_with(path: &Path, n: usize) {
    let writer = Writer::spawn(path).unwrap();
    for chunk in results("web", 400, n, t0()).chunks(5_000) {
        writer.send(WriteOp::Results(chunk.to_vec())).unwrap();
    }
    writer.flush().unwrap();
}

/// Overwrites pages `from..to` of `path` with the system's `dd`, from a
/// file of bytes that look random but are the same every run.
fn damage_pages(path: &Path, from: u64, to: u64) {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let noise: Vec<u8> = (0..(to - from) * 4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let noise_file = path.with_extension("noise");
    fs::write(&noise_file, noise).unwrap();
    let status = Command::new("dd")
        .arg(format!("if={}", noise_file.display()))
        .arg(format!("of={}", path.display()))
        .args([
            "bs=4096",
            &format!("seek={from}"),
            "conv=notrunc",
            "status=none",
        ])
        .status()
        .unwrap();
    assert!(status.success());
}

fn pages(path: &Path) -> u64 {
    fs::metadata(path).unwrap().len() / 4096
}

#[test]
fn random_bytes_over_the_middle_of_the_store_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.db");
    store_with(&path, 20_000);
    let n = pages(&path);
    assert!(n > 100, "{n} pages");
    damage_pages(&path, n / 2, n / 2 + 8);
    let before = fs::read(&path).unwrap();

    let err = Writer::spawn(&path).unwrap_err();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!(
            "sqlite3 {} 'PRAGMA integrity_check'",
            path.display()
        )),
        "{msg}"
    );
    // Left for the operator exactly as found.
    assert!(
        fs::read(&path).unwrap() == before,
        "the damaged file was changed"
    );

    // The daemon says so and does not start.
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["--demo", "--db", path.to_str().unwrap(), "daemon"])
        .env_clear()
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is damaged"), "{stderr}");
    assert!(stderr.contains("PRAGMA integrity_check"), "{stderr}");
    assert!(
        fs::read(&path).unwrap() == before,
        "the daemon changed the file"
    );

    // Nor does `vigie tickets` answer from it as if all were well.
    let out = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["--demo", "--db", path.to_str().unwrap(), "tickets"])
        .env_clear()
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("PRAGMA integrity_check"), "{stderr}");
    assert!(
        fs::read(&path).unwrap() == before,
        "tickets changed the file"
    );
}

fn wal(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

#[test]
fn pages_damaged_under_a_running_writer_stop_it_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigie.db");
    // Larger than SQLite's page cache, so the writer reads pages from disk.
    store_with(&path, 120_000);
    let writer = Writer::spawn(&path).unwrap();
    assert_eq!(writer.fault(), None);
    let n = pages(&path);
    damage_pages(&path, n / 10, n - n / 10);

    // New checks all over the index: their pages come from the disk.
    let later = t0() + TimeDelta::days(30);
    writer
        .send(WriteOp::Results(results("zz", 500, 500, later)))
        .unwrap();
    writer.flush().unwrap();
    let fault = writer.fault();
    assert!(
        matches!(fault, Some(StoreFault::Damaged { .. })),
        "{fault:?}"
    );
    let line = fault.unwrap().describe(&path);
    assert!(line.contains("PRAGMA integrity_check"), "{line}");

    // Nothing more is written into the damaged file.
    let (db, log) = (fs::read(&path).unwrap(), fs::read(wal(&path)).ok());
    writer
        .send(WriteOp::Results(results("yy", 50, 500, later)))
        .unwrap();
    writer.flush().unwrap();
    assert!(
        fs::read(&path).unwrap() == db,
        "the damaged file was written"
    );
    assert!(fs::read(wal(&path)).ok() == log, "its WAL was written");
}

/// A tmpfs of `size` mounted on a fresh directory, unmounted when dropped.
struct Tmpfs {
    at: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("disk");
        fs::create_dir(&at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "vigie-test"])
            .arg(&at)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mounting a tmpfs needs root (scripts/test runs as root in CI): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { at, _dir: dir }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

/// Fills the disk under `dir` until it refuses; the filler's path.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let filler = dir.join("filler");
    let mut f = fs::File::create(&filler).unwrap();
    let block = vec![0xA5u8; 4096];
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
    filler
}

#[test]
fn results_wait_in_memory_while_the_disk_is_full_and_are_written_when_space_returns() {
    let disk = Tmpfs::mount("3m");
    let path = disk.at.join("vigie.db");
    let writer = Writer::spawn(&path).unwrap();
    writer
        .send(WriteOp::Results(results("web", 20, 20, t0())))
        .unwrap();
    writer.flush().unwrap();
    assert_eq!(writer.fault(), None);

    let filler = fill(&disk.at);
    let later = t0() + TimeDelta::hours(1);
    let waiting = results("full", 300, 3_000, later);
    for r in &waiting {
        writer.send(WriteOp::Result(r.clone())).unwrap();
    }
    writer.flush().unwrap();
    match writer.fault() {
        Some(StoreFault::Full {
            waiting: n, lost, ..
        }) => {
            assert!(n > 0, "{n} waiting");
            assert_eq!(lost, 0);
        }
        other => panic!("expected a full store, got {other:?}"),
    }
    let reader = Reader::open(&path).unwrap();
    let stored = reader.latest_states().unwrap();
    assert!(stored.len() < 20 + 300, "{} states", stored.len());

    // Space returns: what waited is written, and the fault clears.
    fs::remove_file(&filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while writer.fault().is_some() {
        assert!(
            Instant::now() < deadline,
            "still failing 30 s after space returned"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    writer.flush().unwrap();
    let states = reader.latest_states().unwrap();
    assert_eq!(states.len(), 20 + 300);
    let last = waiting.iter().map(|r| r.at).max().unwrap();
    assert_eq!(
        states
            .iter()
            .filter(|s| s.check_id.starts_with("full"))
            .filter(|s| s.last_at == last)
            .count(),
        300
    );
}

#[test]
fn vigie_check_says_unknown_while_the_daemon_publishes_a_failing_store() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("vigie.db");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_vigie"))
            .args(["--demo", "--db", db.to_str().unwrap(), "check"])
            .env_clear()
            .env("HOME", home.path())
            .output()
            .unwrap()
    };
    let text = |o: &std::process::Output| String::from_utf8_lossy(&o.stdout).into_owned();
    let before = run();
    assert!(!text(&before).contains("vigie/store"), "{}", text(&before));

    // This test process holds the claim as a daemon would.
    let claim = vigie::store::claim::claim(&db, std::process::id(), "test").unwrap();
    let fault = StoreFault::Full {
        since: t0(),
        waiting: 12,
        lost: 0,
    };
    claim.publish(Some(&fault.describe(&db))).unwrap();
    let out = run();
    let out_text = text(&out);
    let line = out_text
        .lines()
        .find(|l| l.contains("vigie/store"))
        .unwrap_or_else(|| panic!("{out_text}"));
    assert!(line.starts_with("UNKNOWN "), "{line}");
    assert!(line.contains("disk full"), "{line}");
    assert_ne!(out.status.code(), Some(0));
    drop(claim);
    // A dead daemon's words are not repeated.
    assert!(!text(&run()).contains("vigie/store"));
}
