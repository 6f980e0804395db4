//! The demo's backups: real restic and borg repositories and a dump
//! directory with backdated points (one missing day, one small backup),
//! built in the background in a directory kept across runs (rebuilt when
//! its day has passed), and pings fed as runs. Each is built on its own
//! and listed once built; until then the pane says it is being prepared,
//! or which program is missing and which Debian package holds it (it is
//! built when the program appears).

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

/// One of the demo's repositories, built on its own: the dumps need no
/// program, restic's and borg's need theirs, and one missing never holds
/// back the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Dumps,
    Restic,
    Borg,
}

impl Part {
    /// In building order: the quick one needing nothing first.
    pub const ALL: [Part; 3] = [Part::Dumps, Part::Restic, Part::Borg];

    /// Its directory under [`dir`].
    fn dir(self) -> &'static str {
        match self {
            Part::Dumps => "dumps-mairie",
            Part::Restic => "restic-cagette",
            Part::Borg => "borg-velo",
        }
    }

    /// The program that makes it and the Debian package holding it.
    fn program(self) -> Option<(&'static str, &'static str)> {
        match self {
            Part::Dumps => None,
            Part::Restic => Some(("restic", "restic")),
            Part::Borg => Some(("borg", "borgbackup")),
        }
    }

    /// The file saying on which day it was last built whole.
    fn marker(self, root: &Path) -> PathBuf {
        root.join(format!("{}.built", self.dir()))
    }

    fn prefix(self, root: &Path) -> String {
        root.join(self.dir()).to_string_lossy().into_owned()
    }

    /// The part a demo source reads, if it is one of these.
    pub fn of(src: &crate::model::backup::BackupSource, root: &Path) -> Option<Part> {
        let place = match &src.kind {
            BackupKind::Restic(r) => r.repository.as_str(),
            BackupKind::Borg(b) => b.repository.as_str(),
            BackupKind::Dumps(d) => d.directory.as_str(),
            BackupKind::Ping { .. } | BackupKind::WalArchive(_) => return None,
        };
        Part::ALL
            .into_iter()
            .find(|p| place.starts_with(p.prefix(root).as_str()))
    }

    /// Whether it was built today.
    fn built(self, root: &Path, today: NaiveDate) -> bool {
        std::fs::read_to_string(self.marker(root)).is_ok_and(|s| s.trim() == today.to_string())
    }
}

/// Where one part stands, as the pane and `vigie backups` say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartState {
    /// Built today: list it.
    Built,
    /// Its program is not on the PATH.
    Missing {
        program: &'static str,
        package: &'static str,
    },
    /// Building failed; the listing will show the program's own error.
    Failed(String),
    /// Asked to stop before it was built.
    Stopped,
    /// Another process is building it now.
    Preparing,
    /// Not built today, and nothing building it.
    NotBuilt,
}

/// Shown for a part not built today when nothing builds it.
pub const NOT_BUILT: &str =
    "demo repository not built today: `vigie demo` or `vigie --demo backups` builds it";

/// Where each part stands, without building anything (for a snapshot).
pub fn status(now: DateTime<Utc>) -> Vec<(Part, PartState)> {
    let root = dir();
    let today = now.with_timezone(&chrono_tz::Europe::Paris).date_naive();
    let busy = building_elsewhere(&root);
    Part::ALL
        .into_iter()
        .map(|part| {
            let state = if part.built(&root, today) {
                PartState::Built
            } else if busy {
                PartState::Preparing
            } else if let Some(missing) = missing(part) {
                missing
            } else {
                PartState::NotBuilt
            };
            (part, state)
        })
        .collect()
}

/// Whether another process holds the builders' lock right now.
fn building_elsewhere(root: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(lock) = std::fs::File::open(root.join(".lock")) else {
        return false;
    };
    // SAFETY: flock on a file descriptor we own; released when `lock` closes.
    unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) != 0 }
}

/// The note a source shows for its part's state (`None`: list it).
pub fn note(state: &PartState) -> Option<String> {
    match state {
        PartState::Built | PartState::Failed(_) => None,
        PartState::Missing { program, package } => Some(missing_note(program, package)),
        PartState::Stopped | PartState::Preparing => Some(PREPARING.into()),
        PartState::NotBuilt => Some(NOT_BUILT.into()),
    }
}

/// What the pane shows for a source whose program is missing: the program,
/// the Debian package to install, and that Vigie will build it then.
pub fn missing_note(program: &str, package: &str) -> String {
    format!(
        "{program} is not installed: the demo's repository needs it \
         (Debian: apt install {package}); it is built as soon as {program} is found"
    )
}

/// Whether `program` is an executable file in one of `path`'s directories.
pub fn on_path(program: &str, path: Option<&std::ffi::OsStr>) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.is_some_and(|p| {
        std::env::split_paths(p).any(|d| {
            std::fs::metadata(d.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

fn missing(part: Part) -> Option<PartState> {
    let (program, package) = part.program()?;
    let path = std::env::var_os("PATH");
    (!on_path(program, path.as_deref())).then_some(PartState::Missing { program, package })
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

/// How often a part waiting for its program looks for it again.
const RETRY_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Builds (or reuses) the repositories on a thread and seeds the runs. A
/// part whose program is missing says so in its note and is built when the
/// program appears; each part is listed as soon as it is built.
pub fn prepare_in_background(
    writer: WriteHandle,
    fleet: Arc<Fleet>,
    now: DateTime<Utc>,
) -> Preparing {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = stop.clone();
    let root = dir();
    let tz: Tz = chrono_tz::Europe::Paris;
    let today = now.with_timezone(&tz).date_naive();
    let mut waiting = Vec::new();
    for part in Part::ALL {
        if !part.built(&root, today) {
            crate::sources::backups::hold(&part.prefix(&root));
            waiting.push(part);
        }
    }
    for src in &fleet.backups {
        let Some(part) = Part::of(src, &root).filter(|p| waiting.contains(p)) else {
            continue;
        };
        let note = match missing(part) {
            Some(PartState::Missing { program, package }) => missing_note(program, package),
            _ => PREPARING.into(),
        };
        let _ = writer.send(WriteOp::Backup(BackupWrite::Note {
            source: src.id.clone(),
            note: Some(note),
        }));
    }
    seed_runs(&writer, &fleet, now, tz);
    // The thread holds no writer handle: quitting never waits for it.
    drop(writer);
    let thread_root = root.clone();
    let spawned = std::thread::Builder::new()
        .name("vigie-demo-backups".into())
        .spawn(move || {
            let root = thread_root;
            loop {
                let started = std::time::Instant::now();
                let mut left = Vec::new();
                let result = build(&root, now, tz, &stopped, |part, state| {
                    match state {
                        PartState::Built => tracing::info!(
                            ms = started.elapsed().as_millis() as u64,
                            part = part.dir(),
                            "demo backups ready"
                        ),
                        PartState::Missing { program, .. } => {
                            tracing::info!(part = part.dir(), "demo backups wait for {program}");
                            left.push(part);
                            return;
                        }
                        PartState::Failed(e) => {
                            tracing::warn!(part = part.dir(), "demo backups not built: {e}")
                        }
                        PartState::Stopped | PartState::Preparing | PartState::NotBuilt => {
                            return;
                        }
                    }
                    crate::sources::backups::release(&part.prefix(&root));
                });
                if let Err(e) = result {
                    tracing::warn!("demo backups not built: {e}");
                    for part in Part::ALL {
                        crate::sources::backups::release(&part.prefix(&root));
                    }
                    return;
                }
                if left.is_empty() || !wait(&stopped, RETRY_EVERY) {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("demo backups not prepared: {e}");
        for part in Part::ALL {
            crate::sources::backups::release(&part.prefix(&root));
        }
    }
    Preparing { stop }
}

/// Sleeps `long` unless asked to stop; false when asked.
fn wait(stop: &AtomicBool, long: std::time::Duration) -> bool {
    let step = std::time::Duration::from_millis(100);
    let mut slept = std::time::Duration::ZERO;
    while slept < long {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep(step);
        slept += step;
    }
    !stop.load(Ordering::Relaxed)
}

/// Builds now, in this thread, every part not built today whose program is
/// there (for `vigie --demo backups`, which has no console to wait in), and
/// says where each part stands. Another process building them is waited for.
pub fn prepare_now(now: DateTime<Utc>) -> Result<Vec<(Part, PartState)>, String> {
    let mut states = Vec::new();
    let never = AtomicBool::new(false);
    build(
        &dir(),
        now,
        chrono_tz::Europe::Paris,
        &never,
        |part, state| states.push((part, state.clone())),
    )?;
    Ok(states)
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

/// Makes every part not built today, one after the other, telling `done`
/// where each stands as soon as it does. A part is marked built (for the
/// day) only when it was made whole, so a failed or skipped one is made
/// again next time. `Err` only when the directory itself is unusable.
fn build(
    root: &Path,
    now: DateTime<Utc>,
    tz: Tz,
    stop: &AtomicBool,
    mut done: impl FnMut(Part, &PartState),
) -> Result<(), String> {
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
    secret(&root.join("restic-password"), "demo-restic-password")?;
    secret(&root.join("borg-passphrase"), "demo-borg-passphrase")?;
    let data = root.join("data");
    for part in Part::ALL {
        let state = if part.built(root, today) {
            PartState::Built
        } else if stop.load(Ordering::Relaxed) {
            PartState::Stopped
        } else if let Some(missing) = missing(part) {
            missing
        } else {
            let _ = std::fs::remove_file(part.marker(root));
            let _ = std::fs::remove_dir_all(root.join(part.dir()));
            let made = match part {
                Part::Dumps => dumps(root, today, now, tz),
                Part::Restic => restic(root, &data, today, now, tz, stop),
                Part::Borg => borg(root, &data, today, now, tz, stop),
            };
            let _ = std::fs::remove_dir_all(&data);
            match made {
                _ if stop.load(Ordering::Relaxed) => PartState::Stopped,
                Ok(()) => match std::fs::write(part.marker(root), today.to_string()) {
                    Ok(()) => PartState::Built,
                    Err(e) => PartState::Failed(e.to_string()),
                },
                Err(e) => PartState::Failed(e),
            }
        };
        done(part, &state);
    }
    // The one marker of earlier versions, for every part at once.
    let _ = std::fs::remove_file(root.join("built"));
    Ok(())
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
