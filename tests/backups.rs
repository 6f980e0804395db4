//! Backup sources against real restic and borg repositories made here with
//! backdated snapshots (one missing day, one small backup), a dump
//! directory, bad input of every kind, and pings sent over HTTP to a
//! running `vigie daemon`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use vigie::model::TimeOfDay;
use vigie::model::backup::{
    BackupKind, BackupPolicy, BackupSource, BorgSource, DayState, DumpPattern, DumpSource,
    Evidence, ResticSource, Schedule, Secret, evaluate, month_days,
};
use vigie::sources::backups::BackupLister;

mod support;
use support::sshd::{KeyPair, Sshd, SshdConfig, free_port, options};

fn sh(cmd: &mut Command) {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Files of `size` bytes that do not deduplicate across days.
fn fill(dir: &Path, day: i64, size: usize) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let mut x: u32 = 0x1234_5678 ^ day as u32;
    let bytes: Vec<u8> = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(dir.join("db.dump"), bytes).unwrap();
}

/// 02:05 UTC, `back` days ago.
fn night(now: DateTime<Utc>, back: i64) -> DateTime<Utc> {
    let d = (now - TimeDelta::days(back)).date_naive();
    d.and_hms_opt(2, 5, 0).unwrap().and_utc()
}

fn policy(days: u32) -> BackupPolicy {
    BackupPolicy {
        schedule: Schedule::Daily(TimeOfDay::new(2, 0).unwrap()),
        grace: Duration::from_secs(4 * 3600),
        retention_days: days,
        rpo: Duration::from_secs(26 * 3600 + 24 * 3600),
        min_size: None,
        suspect_ratio: 0.5,
        suspect_window: 7,
    }
}

fn source(kind: BackupKind) -> BackupSource {
    BackupSource {
        id: "s".into(),
        name: "s".into(),
        client: "c".into(),
        kind,
        policy: policy(6),
        every: Duration::from_secs(60),
        timeout: Duration::from_secs(60),
    }
}

const DAYS: i64 = 6; // days 6..1 back: 4 back missing, 2 back small

/// A restic repository with a snapshot each night but one, one small.
fn restic_repo(dir: &Path, now: DateTime<Utc>) -> std::path::PathBuf {
    let repo = dir.join("restic");
    let pw = dir.join("pw");
    std::fs::write(&pw, "s3cret").unwrap();
    set_mode(&pw, 0o600);
    let base = || {
        let mut c = Command::new("restic");
        c.env("RESTIC_PASSWORD_FILE", &pw)
            .env("TZ", "UTC")
            .args(["--no-cache", "--quiet", "--repo"])
            .arg(&repo);
        c
    };
    sh(base().arg("init"));
    let data = dir.join("data");
    for back in (1..=DAYS).rev() {
        if back == 4 {
            continue;
        }
        fill(&data, back, if back == 2 { 2_000 } else { 100_000 });
        let t = night(now, back).format("%Y-%m-%d %H:%M:%S").to_string();
        sh(base().current_dir(&data).args([
            "backup", "--host", "db1", "--tag", "nightly", "--time", &t, ".",
        ]));
    }
    repo
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn restic_source(repo: &Path, pw: &Path, binary: &str) -> BackupSource {
    source(BackupKind::Restic(ResticSource {
        repository: repo.to_string_lossy().into(),
        binary: binary.into(),
        password: Secret::File(pw.to_string_lossy().into()),
        host: None,
    }))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The states of the last `DAYS` days (oldest first) as the calendar shows them.
fn states(
    src: &BackupSource,
    points: &[vigie::model::backup::RestorePoint],
    now: DateTime<Utc>,
) -> Vec<DayState> {
    let eval = evaluate(
        &src.policy,
        Evidence::RestorePoints,
        chrono_tz::UTC,
        points,
        &[],
        now,
    );
    let mut out = Vec::new();
    for back in (1..=DAYS).rev() {
        let d = (now - TimeDelta::days(back)).date_naive();
        use chrono::Datelike;
        let days = month_days(
            &src.policy,
            Evidence::RestorePoints,
            chrono_tz::UTC,
            points,
            &[],
            &eval,
            d.year(),
            d.month(),
        );
        out.push(days.iter().find(|x| x.date == d).unwrap().state);
    }
    out
}

#[test]
fn restic_repository_shows_missing_and_small_nights_and_refuses_bad_setups() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let repo = restic_repo(dir.path(), now);
    let pw = dir.path().join("pw");
    let rt = runtime();
    let lister = BackupLister::default();

    let src = restic_source(&repo, &pw, "restic");
    let points = rt.block_on(lister.list(&src)).unwrap().unwrap();
    assert_eq!(points.len(), 5, "{points:?}");
    assert!(
        points.iter().all(|p| p.size.is_some()),
        "sizes measured: {points:?}"
    );
    assert!(points[0].detail.contains("db1") && points[0].detail.contains("nightly"));
    assert_eq!(points[0].at, night(now, 6));
    use DayState::*;
    assert_eq!(
        states(&src, &points, now),
        vec![Ok, Ok, Missing, Ok, Suspect, Ok]
    );

    // Bad setups: each is a readable cause, never a panic.
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "nope").unwrap();
    set_mode(&wrong, 0o600);
    let loose = dir.path().join("loose");
    std::fs::write(&loose, "s3cret").unwrap();
    set_mode(&loose, 0o644);
    let junk = dir.path().join("junk-restic");
    std::fs::write(&junk, "#!/bin/sh\necho '[{\"time\": 12'\n").unwrap();
    set_mode(&junk, 0o755);
    let cases = [
        (restic_source(&repo, &wrong, "restic"), "wrong password"),
        (
            restic_source(&repo, &loose, "restic"),
            "readable by group or others",
        ),
        (
            restic_source(&dir.path().join("nowhere"), &pw, "restic"),
            "no restic repository",
        ),
        (
            restic_source(&repo, &pw, "/nonexistent/bin/restic"),
            "not found",
        ),
        (
            restic_source(&repo, &pw, junk.to_str().unwrap()),
            "malformed JSON",
        ),
    ];
    for (src, cause) in cases {
        let e = rt.block_on(lister.list(&src)).unwrap().unwrap_err();
        assert!(e.contains(cause), "expected '{cause}' in: {e}");
    }
}

fn borg_repo(dir: &Path, now: DateTime<Utc>) -> std::path::PathBuf {
    let repo = dir.join("borg");
    let base = || {
        let mut c = Command::new("borg");
        c.env("BORG_PASSPHRASE", "s3cret");
        c
    };
    sh(base().args(["init", "--encryption", "repokey"]).arg(&repo));
    let data = dir.join("data");
    for back in (1..=DAYS).rev() {
        if back == 4 {
            continue;
        }
        fill(&data, back, if back == 2 { 2_000 } else { 100_000 });
        // --timestamp is UTC.
        let t = night(now, back).format("%Y-%m-%dT%H:%M:%S").to_string();
        let archive = format!("{}::n-{back}", repo.display());
        sh(base()
            .current_dir(&data)
            .args(["create", "--timestamp", &t, &archive, "."]));
    }
    repo
}

fn borg_source(repo: &Path, pass_env: &str, binary: &str) -> BackupSource {
    source(BackupKind::Borg(BorgSource {
        repository: repo.to_string_lossy().into(),
        binary: binary.into(),
        timezone: "Europe/Paris".parse().unwrap(),
        passphrase: Some(Secret::Env(pass_env.into())),
    }))
}

#[test]
fn borg_repository_times_sizes_and_bad_setups() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let repo = borg_repo(dir.path(), now);
    // SAFETY: set before any thread of this test reads the environment.
    unsafe {
        std::env::set_var("VIGIE_TEST_BORG_PASS", "s3cret");
        std::env::set_var("VIGIE_TEST_BORG_WRONG", "nope");
    }
    let rt = runtime();
    let lister = BackupLister::default();
    let src = borg_source(&repo, "VIGIE_TEST_BORG_PASS", "borg");
    let points = rt.block_on(lister.list(&src)).unwrap().unwrap();
    assert_eq!(points.len(), 5, "{points:?}");
    // Times are UTC instants again, whatever the timezone borg printed in.
    assert_eq!(points[0].at, night(now, 6));
    assert!(
        points
            .iter()
            .all(|p| p.size.is_some() && p.duration.is_some())
    );
    use DayState::*;
    assert_eq!(
        states(&src, &points, now),
        vec![Ok, Ok, Missing, Ok, Suspect, Ok]
    );

    // A repository held by another borg is reported as locked.
    let mut holder = Command::new("borg")
        .env("BORG_PASSPHRASE", "s3cret")
        .arg("with-lock")
        .arg(&repo)
        .args(["sleep", "20"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let locked = rt.block_on(lister.list(&src)).unwrap();
    let _ = holder.kill();
    let _ = holder.wait();
    let e = locked.unwrap_err();
    assert!(e.contains("locked"), "{e}");

    let cases = [
        (
            borg_source(&repo, "VIGIE_TEST_BORG_WRONG", "borg"),
            "wrong passphrase",
        ),
        (
            borg_source(&repo, "VIGIE_TEST_BORG_UNSET", "borg"),
            "is not set",
        ),
        (
            borg_source(&dir.path().join("nowhere"), "VIGIE_TEST_BORG_PASS", "borg"),
            "no borg repository",
        ),
        (
            borg_source(&repo, "VIGIE_TEST_BORG_PASS", "/nonexistent/borg"),
            "not found",
        ),
    ];
    for (src, cause) in cases {
        let e = rt.block_on(lister.list(&src)).unwrap().unwrap_err();
        assert!(e.contains(cause), "expected '{cause}' in: {e}");
    }
}

#[test]
fn dump_directory_lists_dated_files_and_says_when_nothing_matches() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    for back in 1..=DAYS {
        if back == 4 {
            continue;
        }
        let d = (now - TimeDelta::days(back)).date_naive();
        let size = if back == 2 { 10 } else { 5_000 };
        std::fs::write(dir.path().join(format!("odoo_{d}.sql.gz")), vec![0u8; size]).unwrap();
    }
    std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
    let src = source(BackupKind::Dumps(DumpSource {
        directory: dir.path().to_string_lossy().into(),
        pattern: DumpPattern::parse("odoo_{date}.sql.gz").unwrap(),
        timezone: chrono_tz::UTC,
        sftp: None,
    }));
    let rt = runtime();
    let lister = BackupLister::default();
    let points = rt.block_on(lister.list(&src)).unwrap().unwrap();
    assert_eq!(points.len(), 5);
    use DayState::*;
    assert_eq!(
        states(&src, &points, now),
        vec![Ok, Ok, Missing, Ok, Suspect, Ok]
    );

    let other = source(BackupKind::Dumps(DumpSource {
        directory: dir.path().to_string_lossy().into(),
        pattern: DumpPattern::parse("erp-{date}.dump").unwrap(),
        timezone: chrono_tz::UTC,
        sftp: None,
    }));
    let e = rt.block_on(lister.list(&other)).unwrap().unwrap_err();
    assert!(e.contains("no file name matches 'erp-{date}.dump'"), "{e}");
}

/// The same dated dump files, on a host reached over SFTP by the real
/// sshd: listed through the SSH layer with strict host keys; an unknown
/// host key is an error in the source, never a question.
#[test]
fn dump_directory_over_sftp_is_listed_through_the_ssh_layer() {
    let keys = tempfile::tempdir().unwrap();
    let key = KeyPair::new(keys.path(), "id", "");
    let sshd = Sshd::start(SshdConfig {
        allow_tcp_forwarding: false,
        authorized: vec![key.public_line.clone()],
    });
    std::fs::write(
        keys.path().join("known_hosts"),
        format!("{}\n", sshd.known_hosts_line()),
    )
    .unwrap();
    let remote = tempfile::tempdir().unwrap();
    let now = Utc::now();
    for back in 1..=DAYS {
        if back == 4 {
            continue;
        }
        let d = (now - TimeDelta::days(back)).date_naive();
        let size = if back == 2 { 10 } else { 5_000 };
        std::fs::write(
            remote.path().join(format!("odoo_{d}.sql.gz")),
            vec![0u8; size],
        )
        .unwrap();
    }
    std::fs::create_dir(remote.path().join("odoo_2020-01-01.sql.gz.d")).unwrap();
    let src = source(BackupKind::Dumps(DumpSource {
        directory: format!("backup-host:{}", remote.path().display()),
        pattern: DumpPattern::parse("odoo_{date}.sql.gz").unwrap(),
        timezone: chrono_tz::UTC,
        sftp: Some(sshd.target("backup-host", Some(&key.private))),
    }));
    let rt = runtime();
    let lister = BackupLister::default().with_ssh(std::sync::Arc::new(options(keys.path())));
    let points = rt.block_on(lister.list(&src)).unwrap().unwrap();
    assert_eq!(points.len(), 5, "directories are not restore points");
    assert_eq!(points.iter().filter(|p| p.size == Some(10)).count(), 1);
    use DayState::*;
    assert_eq!(
        states(&src, &points, now),
        vec![Ok, Ok, Missing, Ok, Suspect, Ok]
    );

    // A host whose key nobody trusted: the source says so.
    let strangers = tempfile::tempdir().unwrap();
    std::fs::write(strangers.path().join("known_hosts"), "").unwrap();
    let wary = BackupLister::default().with_ssh(std::sync::Arc::new(options(strangers.path())));
    let e = rt.block_on(wary.list(&src)).unwrap().unwrap_err();
    assert!(e.contains("unknown host key"), "{e}");

    // A missing remote directory is a readable error too.
    let gone = source(BackupKind::Dumps(DumpSource {
        directory: "backup-host:/nonexistent-dumps-for-vigie".into(),
        pattern: DumpPattern::parse("odoo_{date}.sql.gz").unwrap(),
        timezone: chrono_tz::UTC,
        sftp: Some(sshd.target("backup-host", Some(&key.private))),
    }));
    let e = rt.block_on(lister.list(&gone)).unwrap().unwrap_err();
    assert!(e.contains("/nonexistent-dumps-for-vigie"), "{e}");
}

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 request; the status code.
fn http(port: u16, method: &str, path: &str, body: &str) -> u16 {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn pings_reach_a_running_daemon_and_the_cli_judges_every_source() {
    let dir = tempfile::tempdir().unwrap();
    let now = Utc::now();
    let repo = restic_repo(dir.path(), now);
    let port = free_port();
    let config = dir.path().join("vigie.toml");
    let db = dir.path().join("vigie.db");
    std::fs::write(
        &config,
        format!(
            r#"
[contracts.c]
intervention = {{ urgent = "2h" }}
hourly_rate = 1.0
monthly_fee = 1.0
[clients.coop]
name = "Coop"
timezone = "UTC"
contract = "c"
[clients.asso]
name = "Asso"
timezone = "UTC"
contract = "c"
[pings]
listen = "127.0.0.1:{port}"
[backups.db]
client = "coop"
kind = "restic"
repository = "{repo}"
password_file = "{pw}"
retention_days = 3
rpo = "3d"
# Tonight's backup is never due during the test: the window is the last
# three nights whatever the hour.
grace = "23h"
[backups.files]
client = "coop"
kind = "borg"
repository = "{missing}"
[backups.scripts]
client = "asso"
kind = "ping"
uuid = "0b7a3c1e-5f2d-4e8a-9c6b-1d2e3f4a5b6c"
retention_days = 1
"#,
            repo = repo.display(),
            pw = dir.path().join("pw").display(),
            missing = dir.path().join("no-borg").display(),
        ),
    )
    .unwrap();
    let mut daemon = Kill(
        Command::new(env!("CARGO_BIN_EXE_vigie"))
            .args([
                "--config",
                config.to_str().unwrap(),
                "--db",
                db.to_str().unwrap(),
                "daemon",
            ])
            .env("HOME", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    // Wait for the ping receiver.
    let mut lines = BufReader::new(daemon.0.stderr.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = lines.next().and_then(Result::ok).unwrap_or_default();
        if line.contains("backup pings on") {
            break;
        }
        assert!(Instant::now() < deadline, "no ping receiver announced");
    }
    let uuid = "0b7a3c1e-5f2d-4e8a-9c6b-1d2e3f4a5b6c";
    // (method, path, body, status)
    let cases = [
        ("GET", format!("/ping/{uuid}/start"), "", 200),
        ("POST", format!("/ping/{uuid}"), "backup log...", 200),
        ("GET", format!("/ping/{uuid}/fail"), "", 200),
        ("POST", format!("/ping/{uuid}/0"), "", 200),
        ("GET", "/ping/not-a-known-uuid".to_string(), "", 404),
        ("GET", format!("/ping/{uuid}/bogus"), "", 404),
    ];
    for (method, path, body, status) in &cases {
        assert_eq!(http(port, method, path, body), *status, "{method} {path}");
        std::thread::sleep(Duration::from_millis(20));
    }

    // The store keeps the runs: start + success is one run with a duration.
    let deadline = Instant::now() + Duration::from_secs(20);
    let records = loop {
        let r = vigie::store::Reader::open(&db)
            .ok()
            .and_then(|r| r.backups(now - TimeDelta::days(1)).ok())
            .unwrap_or_default();
        let pinged = r.get("scripts").map_or(0, |s| s.runs.len());
        let listed = r.get("db").is_some_and(|s| s.checked.is_some());
        if pinged >= 3 && listed {
            break r;
        }
        assert!(Instant::now() < deadline, "runs not stored: {r:?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let runs = &records["scripts"].runs;
    use vigie::model::backup::RunOutcome;
    let outcomes: Vec<RunOutcome> = runs.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        vec![RunOutcome::Success, RunOutcome::Failed, RunOutcome::Success]
    );
    assert!(
        runs[0].started.is_some(),
        "start then success makes a duration"
    );
    assert_eq!(records["db"].points.len(), 5);
    drop(daemon);

    // The CLI: the broken borg source shows its cause, the others still work.
    let out = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "backups",
            "--format",
            "json",
        ])
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_id = |id: &str| {
        report["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
            .unwrap()
    };
    let files = by_id("files");
    assert_eq!(files["status"], "down");
    assert!(
        files["verdict"]
            .as_str()
            .unwrap()
            .starts_with("error: no borg repository"),
        "{files}"
    );
    let db_src = by_id("db");
    // Retention 3: the last three nights are there (1, 2 small, 3).
    assert_eq!(
        (
            db_src["days_present"].as_u64(),
            db_src["days_required"].as_u64()
        ),
        (Some(3), Some(3))
    );
    assert_eq!(db_src["suspects"], 1);
    assert_eq!(db_src["status"], "degraded");
    let scripts = by_id("scripts");
    assert_eq!(scripts["status"], "up", "{scripts}");
    // A broken rule makes the exit code critical, as `vigie check` does.
    assert_eq!(report["verdict"], "CRITICAL");
    assert_eq!(out.status.code(), Some(2));

    // Markdown, one client.
    let out = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "backups",
            "--client",
            "asso",
        ])
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("| scripts | asso | ping | up |"), "{md}");
    assert!(!md.contains("| db |"), "{md}");
    assert_eq!(out.status.code(), Some(0), "{md}");
}

/// `vigie --demo backups` with `PATH` holding only `bin`.
fn demo_backups(home: &Path, bin: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["--demo", "backups"])
        .env_clear()
        .env("PATH", bin)
        .env("HOME", home)
        .env("TZ", "Europe/Paris")
        .env("VIGIE_DEMO_BACKUPS", home.join("repos"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The table row of `source`.
fn row<'a>(text: &'a str, source: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(&format!("| {source} |")))
        .unwrap_or_else(|| panic!("no row for {source}:\n{text}"))
}

/// Without restic or borg the demo names the missing program and its
/// Debian package, lists the dumps (which need neither) at once, and builds
/// restic's repository as soon as restic is on the PATH, the same day.
#[test]
fn the_demo_names_a_missing_program_and_builds_its_repository_once_it_appears() {
    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();

    let text = demo_backups(home.path(), &bin);
    let cagette = row(&text, "cagette-db");
    assert!(
        cagette.contains("restic is not installed") && cagette.contains("apt install restic"),
        "{text}"
    );
    let velo = row(&text, "velo-files");
    assert!(
        velo.contains("borg is not installed") && velo.contains("apt install borgbackup"),
        "{text}"
    );
    assert!(row(&text, "mairie-dumps").contains("RPO ok"), "{text}");
    assert!(!text.contains(vigie::demo::backups::PREPARING), "{text}");

    let restic = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v restic"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    std::os::unix::fs::symlink(restic.trim(), bin.join("restic")).unwrap();
    let text = demo_backups(home.path(), &bin);
    let cagette = row(&text, "cagette-db");
    assert!(
        !cagette.contains("not installed") && !cagette.contains("no restic repository"),
        "{text}"
    );
    // Read from a real repository: its nights are there (the count moves
    // by one around local midnight, when the newest night changes day).
    assert!(
        cagette.contains("RPO ok") && !cagette.contains(" 0/15 days"),
        "{text}"
    );
    assert!(
        row(&text, "velo-files").contains("borg is not installed"),
        "{text}"
    );
}
