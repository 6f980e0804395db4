//! The demo's backups: real restic and borg repositories and a dump
//! directory with backdated points (one missing day, one small backup),
//! built in the background in a directory kept across runs (rebuilt when
//! its day has passed), and pings fed as runs. Until they are ready the
//! pane says so; without restic or borg the source shows its error.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::model::Fleet;
use crate::model::TimeOfDay;
use crate::model::backup::{BackupKind, BackupRun, RunOutcome, local_instant};
use crate::store::backups::BackupWrite;
use crate::store::{WriteHandle, WriteOp};

/// Shown in the pane while the repositories are made.
pub const PREPARING: &str = "preparing demo repositories…";

/// Days of restore points the demo repositories hold (the retention).
const DAYS: i64 = 15;
/// Days back with no restic snapshot (a missed night).
const MISSING_DAY: i64 = 6;
/// Days back with a tiny restic snapshot (a suspect one).
const SMALL_DAY: i64 = 3;

/// Where the demo's repositories live: `VIGIE_DEMO_BACKUPS`, else
/// `$XDG_DATA_HOME/vigie/demo-backups`, else `~/.local/share/...`, else a
/// directory under the system's temporary directory.
pub fn dir() -> PathBuf {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let Some(d) = env("VIGIE_DEMO_BACKUPS") {
        return PathBuf::from(d);
    }
    if let Some(d) = env("XDG_DATA_HOME").filter(|d| Path::new(d).is_absolute()) {
        return Path::new(&d).join("vigie").join("demo-backups");
    }
    if let Some(h) = env("HOME") {
        return Path::new(&h).join(".local/share/vigie/demo-backups");
    }
    std::env::temp_dir().join("vigie-demo-backups")
}

/// The building thread; dropping this asks it to stop between steps.
pub struct Preparing {
    stop: Arc<AtomicBool>,
}

impl Drop for Preparing {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Builds (or reuses) the repositories on a thread and seeds the runs.
pub fn prepare_in_background(
    writer: WriteHandle,
    fleet: Arc<Fleet>,
    now: DateTime<Utc>,
) -> Preparing {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let root = dir();
    let prefix = root.to_string_lossy().into_owned();
    crate::sources::backups::hold(&prefix);
    for src in &fleet.backups {
        if !matches!(src.kind, BackupKind::Ping { .. }) {
            let _ = writer.send(WriteOp::Backup(BackupWrite::Note {
                source: src.id.clone(),
                note: Some(PREPARING.into()),
            }));
        }
    }
    let tz: Tz = chrono_tz::Europe::Paris;
    seed_runs(&writer, &fleet, now, tz);
    // The thread holds no writer handle: quitting never waits for it.
    drop(writer);
    let spawned = std::thread::Builder::new()
        .name("vigie-demo-backups".into())
        .spawn(move || {
            let started = std::time::Instant::now();
            match build(&root, now, tz, &stopped) {
                Ok(true) => tracing::info!(
                    ms = started.elapsed().as_millis() as u64,
                    dir = %root.display(),
                    "demo backups built"
                ),
                Ok(false) => tracing::info!(dir = %root.display(), "demo backups reused"),
                Err(e) => tracing::warn!("demo backups not built: {e}"),
            }
            crate::sources::backups::release(&prefix);
        });
    if let Err(e) = spawned {
        tracing::warn!("demo backups not prepared: {e}");
        crate::sources::backups::release(&dir().to_string_lossy());
    }
    Preparing { stop }
}

/// The run log the demo "observed" before the repositories pruned their
/// older points, and the ping source's runs (a failure four days ago).
fn seed_runs(writer: &WriteHandle, fleet: &Fleet, now: DateTime<Utc>, tz: Tz) {
    let today = now.with_timezone(&tz).date_naive();
    for src in &fleet.backups {
        let mut runs = Vec::new();
        let (from, to) = match src.kind {
            BackupKind::Ping { .. } => (0, 40),
            _ => (DAYS, 45),
        };
        for back in from..to {
            let date = today - TimeDelta::days(back);
            if !src.policy.schedule.runs_on(date) {
                continue;
            }
            let start = local_instant(tz, date, src.policy.schedule.time_of_day());
            let end = start + TimeDelta::minutes(7 + back % 5);
            if end > now {
                continue;
            }
            let failed = matches!(src.kind, BackupKind::Ping { .. }) && back == 4;
            runs.push(BackupRun {
                at: end,
                started: Some(start),
                outcome: if failed {
                    RunOutcome::Failed
                } else {
                    RunOutcome::Success
                },
                size: None,
            });
        }
        let _ = writer.send(WriteOp::Backup(BackupWrite::Runs {
            source: src.id.clone(),
            runs,
        }));
    }
}

/// Makes the repositories unless today's are there. `Ok(false)`: reused.
fn build(root: &Path, now: DateTime<Utc>, tz: Tz, stop: &AtomicBool) -> Result<bool, String> {
    std::fs::create_dir_all(root).map_err(|e| format!("{}: {e}", root.display()))?;
    // One builder at a time across processes.
    let lock = std::fs::File::create(root.join(".lock")).map_err(|e| e.to_string())?;
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a file descriptor we own; released when `lock` closes.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err("cannot lock the demo backups directory".into());
        }
    }
    let today = now.with_timezone(&tz).date_naive();
    let marker = root.join("built");
    let stamp = today.to_string();
    if std::fs::read_to_string(&marker).is_ok_and(|s| s.trim() == stamp) {
        return Ok(false);
    }
    let _ = std::fs::remove_file(&marker);
    for d in ["restic-cagette", "borg-velo", "dumps-mairie", "data"] {
        let _ = std::fs::remove_dir_all(root.join(d));
    }
    secret(&root.join("restic-password"), "demo-restic-password")?;
    secret(&root.join("borg-passphrase"), "demo-borg-passphrase")?;
    dumps(root, today, now, tz)?;
    let data = root.join("data");
    let mut errors = Vec::new();
    if let Err(e) = restic(root, &data, today, now, tz, stop) {
        errors.push(e);
    }
    if let Err(e) = borg(root, &data, today, now, tz, stop) {
        errors.push(e);
    }
    let _ = std::fs::remove_dir_all(&data);
    if stop.load(Ordering::Relaxed) {
        return Err("stopped before the end".into());
    }
    std::fs::write(&marker, stamp).map_err(|e| e.to_string())?;
    if errors.is_empty() {
        Ok(true)
    } else {
        Err(errors.join("; "))
    }
}

fn secret(path: &Path, value: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(value.as_bytes()).map_err(|e| e.to_string())
}

/// The days to back up, oldest first, with the instant of each (skipping
/// a time still to come today).
fn days(today: NaiveDate, now: DateTime<Utc>, tz: Tz, at: TimeOfDay) -> Vec<(i64, DateTime<Utc>)> {
    (0..DAYS)
        .rev()
        .map(|back| {
            (
                back,
                local_instant(tz, today - TimeDelta::days(back), at) + TimeDelta::minutes(5),
            )
        })
        .filter(|(_, t)| *t <= now)
        .collect()
}

/// The data of day `back`: a few files, a tiny one on the small day.
fn fill(data: &Path, back: i64, small: bool) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(data);
    std::fs::create_dir_all(data).map_err(|e| e.to_string())?;
    let size = if small {
        4_000
    } else {
        200_000 + (back as usize * 1_777) % 20_000
    };
    let mut x: u32 = 0x9e37_79b9 ^ back as u32;
    let bytes: Vec<u8> = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x & 0xff) as u8
        })
        .collect();
    std::fs::write(data.join("db.dump"), bytes).map_err(|e| e.to_string())
}

fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("{:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

fn restic(
    root: &Path,
    data: &Path,
    today: NaiveDate,
    now: DateTime<Utc>,
    tz: Tz,
    stop: &AtomicBool,
) -> Result<(), String> {
    let repo = root.join("restic-cagette");
    let base = || {
        let mut c = Command::new("restic");
        c.env("RESTIC_PASSWORD_FILE", root.join("restic-password"))
            .env_remove("RESTIC_PASSWORD")
            .arg("--no-cache")
            .arg("--quiet")
            .arg("--repo")
            .arg(&repo);
        c
    };
    run(base().arg("init"))?;
    let at = TimeOfDay::new(2, 0).unwrap_or(TimeOfDay { minutes: 120 });
    for (back, t) in days(today, now, tz, at) {
        if stop.load(Ordering::Relaxed) {
            return Err("stopped".into());
        }
        if back == MISSING_DAY {
            continue;
        }
        fill(data, back, back == SMALL_DAY)?;
        // restic reads --time in the process's timezone: give it UTC.
        let time = t.format("%Y-%m-%d %H:%M:%S").to_string();
        run(base().env("TZ", "UTC").current_dir(data).args([
            "backup",
            "--host",
            "odoo-coop",
            "--tag",
            "nightly",
            "--time",
            &time,
            ".",
        ]))?;
    }
    Ok(())
}

fn borg(
    root: &Path,
    data: &Path,
    today: NaiveDate,
    now: DateTime<Utc>,
    tz: Tz,
    stop: &AtomicBool,
) -> Result<(), String> {
    let repo = root.join("borg-velo");
    let pass = std::fs::read_to_string(root.join("borg-passphrase")).map_err(|e| e.to_string())?;
    let base = || {
        let mut c = Command::new("borg");
        c.env("BORG_PASSPHRASE", &pass)
            .env("BORG_RELOCATED_REPO_ACCESS_IS_OK", "yes")
            .env_remove("BORG_PASSCOMMAND");
        c
    };
    run(base().args(["init", "--encryption", "repokey"]).arg(&repo))?;
    let at = TimeOfDay::new(3, 0).unwrap_or(TimeOfDay { minutes: 180 });
    for (back, t) in days(today, now, tz, at) {
        if stop.load(Ordering::Relaxed) {
            return Err("stopped".into());
        }
        fill(data, back, false)?;
        // borg's --timestamp is UTC.
        let local = t.with_timezone(&tz);
        let stamp = t.format("%Y-%m-%dT%H:%M:%S").to_string();
        let archive = format!("{}::velo-{}", repo.display(), local.format("%Y-%m-%d"));
        run(base()
            .current_dir(data)
            .args(["create", "--timestamp", &stamp, &archive, "."]))?;
    }
    Ok(())
}

/// `odoo_<date>.sql.gz` for 31 days, each dated 01:35 on its day.
fn dumps(root: &Path, today: NaiveDate, now: DateTime<Utc>, tz: Tz) -> Result<(), String> {
    let dir = root.join("dumps-mairie");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for back in 0..31 {
        let date = today - TimeDelta::days(back);
        if local_instant(tz, date, TimeOfDay { minutes: 95 }) > now {
            continue;
        }
        let path = dir.join(format!("odoo_{}.sql.gz", date.format("%Y-%m-%d")));
        let size = 40_000 + (date.day() as usize * 311) % 3_000;
        std::fs::write(&path, vec![0x1f; size]).map_err(|e| e.to_string())?;
        let at = local_instant(tz, date, TimeOfDay { minutes: 95 });
        let f = std::fs::File::options()
            .write(true)
            .open(&path)
            .map_err(|e| e.to_string())?;
        let _ = f.set_modified(std::time::SystemTime::from(at));
    }
    std::fs::write(
        dir.join("README.txt"),
        "dumps of the mairie's Odoo database\n",
    )
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// Whether today's repositories are built (a snapshot lists them only then).
pub fn ready(now: DateTime<Utc>) -> bool {
    let today = now.with_timezone(&chrono_tz::Europe::Paris).date_naive();
    std::fs::read_to_string(dir().join("built")).is_ok_and(|s| s.trim() == today.to_string())
}
