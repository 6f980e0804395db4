//! The one demo store every `--demo` process of a user shares, so the demo
//! console, `vigie --demo report sla`, `alerts`, `ack`... read and write
//! the same history and the same acknowledgements.
//!
//! It lives at `$XDG_RUNTIME_DIR/vigie/demo.db` (else `$XDG_STATE_HOME`, else
//! `~/.local/state`), in an owner-only directory. A lock file beside it
//! says who uses it: the first process takes it exclusively, seeds the
//! store when it is missing, stale or of another schema, then keeps it
//! shared like every later process for as long as it runs. A stamp file
//! written once seeding is complete names the schema and the seed time.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::store::migrations::SCHEMA_VERSION;

/// A seed older than this is made again by the next process that finds
/// nobody else using the store: the demo's windows, tickets and backups
/// are placed around the time of seeding, and a console that ran meanwhile
/// kept only its own hours of history.
pub const STALE_AFTER: Duration = Duration::hours(6);

/// `$XDG_RUNTIME_DIR/vigie`, else `$XDG_STATE_HOME/vigie`, else
/// `~/.local/state/vigie` (relative values are ignored, as the XDG
/// specification says).
pub fn dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let absolute = |k: &str| env(k).filter(|d| Path::new(d).is_absolute());
    if let Some(d) = absolute("XDG_RUNTIME_DIR") {
        return Some(Path::new(&d).join("vigie"));
    }
    if let Some(d) = absolute("XDG_STATE_HOME") {
        return Some(Path::new(&d).join("vigie"));
    }
    absolute("HOME").map(|h| Path::new(&h).join(".local/state/vigie"))
}

/// The shared demo store, held for as long as this process uses it.
#[derive(Debug)]
pub struct SharedStore {
    pub db: PathBuf,
    /// Kept open: the lock lives as long as this descriptor.
    _lock: File,
    /// Whether this process found it to seed (and holds it exclusively).
    pub seed_due: bool,
}

/// What seeding must do once done: mark the store seeded and let others in.
#[derive(Debug)]
pub struct SeedMark {
    lock: File,
    stamp: PathBuf,
}

impl SeedMark {
    /// The first part of the seed is written: later processes may read.
    pub fn share(&self) {
        if let Err(e) = flock(&self.lock, libc::LOCK_SH) {
            tracing::warn!("demo store lock not shared: {e}");
        }
    }

    /// The whole seed is written: the store is reused from now on.
    pub fn done(&self, seeded: DateTime<Utc>) {
        if let Err(e) = std::fs::write(&self.stamp, stamp_text(seeded)) {
            tracing::warn!("demo store not marked seeded: {e}");
        }
        self.share();
    }
}

/// The seed waiting for this process's seeding thread (see
/// `demo::seed_in_background`), if this process is to seed.
static DUE: Mutex<Option<Option<SeedMark>>> = Mutex::new(None);

/// Says that this process must seed its demo store; `mark`, when the
/// store is the shared one, is what seeding marks when done.
pub fn set_due(mark: Option<SeedMark>) {
    if let Ok(mut due) = DUE.lock() {
        *due = Some(mark);
    }
}

/// Takes the pending seed: `None` when there is nothing to seed (the
/// shared store was seeded by another process, or seeding already ran).
pub fn take_due() -> Option<Option<SeedMark>> {
    DUE.lock().ok().and_then(|mut d| d.take())
}

fn stamp_text(seeded: DateTime<Utc>) -> String {
    format!(
        "schema={SCHEMA_VERSION}\nseeded={}\n",
        seeded.timestamp_millis()
    )
}

/// Whether a stamp file's text says the store can be reused at `now`.
pub fn reusable(stamp: &str, now: DateTime<Utc>) -> bool {
    let field = |key: &str| {
        stamp
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    let schema_ok = field("schema") == Some(i64::from(SCHEMA_VERSION));
    let seeded = field("seeded").and_then(DateTime::from_timestamp_millis);
    schema_ok && seeded.is_some_and(|s| s <= now && now - s < STALE_AFTER)
}

/// Opens the shared demo store in `dir` at `now`: waits while another
/// process seeds it, and, when this process is the only one using it,
/// removes a store that cannot be reused so it is seeded afresh.
pub fn open(dir: &Path, now: DateTime<Utc>) -> std::io::Result<(SharedStore, Option<SeedMark>)> {
    owner_only_dir(dir)?;
    let db = dir.join("demo.db");
    let stamp = dir.join("demo.stamp");
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join("demo.lock"))?;
    let alone = flock(&lock, libc::LOCK_EX | libc::LOCK_NB).is_ok();
    if !alone {
        // Another process uses it; if it is seeding, wait for the first part.
        flock(&lock, libc::LOCK_SH)?;
        let store = SharedStore {
            db,
            _lock: lock,
            seed_due: false,
        };
        return Ok((store, None));
    }
    let keep = std::fs::read_to_string(&stamp)
        .map(|s| reusable(&s, now))
        .unwrap_or(false);
    if keep && db.exists() {
        flock(&lock, libc::LOCK_SH)?;
        let store = SharedStore {
            db,
            _lock: lock,
            seed_due: false,
        };
        return Ok((store, None));
    }
    for name in ["demo.stamp", "demo.db", "demo.db-wal", "demo.db-shm"] {
        match std::fs::remove_file(dir.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    let mark = SeedMark {
        lock: lock.try_clone()?,
        stamp,
    };
    let store = SharedStore {
        db,
        _lock: lock,
        seed_due: true,
    };
    Ok((store, Some(mark)))
}

/// `flock(2)` on `file` (blocking unless `op` has `LOCK_NB`). On the same
/// open file, an exclusive lock taken again as shared is converted, so a
/// seeder lets readers in without letting go.
fn flock(file: &File, op: libc::c_int) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    loop {
        // SAFETY: flock on a descriptor `file` keeps open for the call.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Creates `dir` readable by its owner only, and refuses one that others
/// may read or that someone else owns (the demo keeps keys beside it).
fn owner_only_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let meta = std::fs::metadata(dir)?;
    // SAFETY: getuid has no preconditions and cannot fail.
    let me = unsafe { libc::getuid() };
    if meta.uid() != me {
        return Err(std::io::Error::other(format!(
            "{} belongs to another user: remove it or set XDG_RUNTIME_DIR",
            dir.display()
        )));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::hours(h)
    }

    #[test]
    fn runtime_dir_then_state_home_then_home() {
        let all = |k: &str| match k {
            "XDG_RUNTIME_DIR" => Some("/run/user/1000".to_string()),
            "XDG_STATE_HOME" => Some("/s".to_string()),
            "HOME" => Some("/home/camille".to_string()),
            _ => None,
        };
        assert_eq!(dir(&all), Some(PathBuf::from("/run/user/1000/vigie")));
        let no_runtime = |k: &str| if k == "XDG_RUNTIME_DIR" { None } else { all(k) };
        assert_eq!(dir(&no_runtime), Some(PathBuf::from("/s/vigie")));
        let relative = |k: &str| match k {
            "XDG_RUNTIME_DIR" | "XDG_STATE_HOME" => Some("relative".to_string()),
            _ => all(k),
        };
        assert_eq!(
            dir(&relative),
            Some(PathBuf::from("/home/camille/.local/state/vigie"))
        );
        assert_eq!(dir(&|_| None), None);
    }

    #[test]
    fn a_stamp_is_reused_only_fresh_and_of_this_schema() {
        let fresh = stamp_text(at(0));
        assert!(reusable(&fresh, at(1)));
        assert!(!reusable(&fresh, at(6)), "stale after six hours");
        assert!(!reusable(&fresh, at(-1)), "seeded in the future");
        let other = fresh.replace(
            &format!("schema={SCHEMA_VERSION}"),
            &format!("schema={}", SCHEMA_VERSION + 1),
        );
        assert!(!reusable(&other, at(1)));
        assert!(!reusable("garbage", at(1)));
        assert!(!reusable("", at(1)));
    }

    #[test]
    fn the_first_opener_seeds_then_the_next_reuses() {
        let root = tempfile::tempdir().unwrap();
        let d = root.path().join("vigie");
        let (first, mark) = open(&d, at(0)).unwrap();
        assert!(first.seed_due);
        std::fs::write(&first.db, "seeded").unwrap();
        mark.unwrap().done(at(0));
        drop(first);
        let (again, mark) = open(&d, at(1)).unwrap();
        assert!(!again.seed_due && mark.is_none());
        assert_eq!(std::fs::read_to_string(&again.db).unwrap(), "seeded");
        drop(again);
        // Stale: removed and seeded again.
        let (stale, mark) = open(&d, at(7)).unwrap();
        assert!(stale.seed_due && mark.is_some());
        assert!(!stale.db.exists());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&d).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn a_second_process_never_removes_a_store_in_use() {
        let root = tempfile::tempdir().unwrap();
        let d = root.path().join("vigie");
        let (first, mark) = open(&d, at(0)).unwrap();
        std::fs::write(&first.db, "in use").unwrap();
        let mark = mark.unwrap();
        mark.done(at(0));
        // Stale by the clock, but the first holder still uses it.
        let (second, none) = open(&d, at(9)).unwrap();
        assert!(!second.seed_due && none.is_none());
        assert_eq!(std::fs::read_to_string(&second.db).unwrap(), "in use");
    }

    #[test]
    fn a_store_never_marked_seeded_is_seeded_again() {
        let root = tempfile::tempdir().unwrap();
        let d = root.path().join("vigie");
        let (first, mark) = open(&d, at(0)).unwrap();
        std::fs::write(&first.db, "half").unwrap();
        drop(mark);
        drop(first);
        let (again, mark) = open(&d, at(0)).unwrap();
        assert!(again.seed_due && mark.is_some());
        assert!(!again.db.exists());
    }
}
