//! The daemon's claim on a store: an exclusive `flock` on a file next to
//! it (`vigie.db.daemon`), held for the daemon's whole life. The kernel
//! drops the lock when the process dies, even by `kill -9`, so a restart
//! claims the store at once, and a console that finds the lock free knows
//! the daemon is gone without waiting for its heartbeat to age.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a starting daemon retries a held lock: a console probing it
/// holds a shared lock for a few microseconds, which must not refuse a
/// daemon that starts at that moment.
const CLAIM_PATIENCE: Duration = Duration::from_secs(1);

/// The daemon's lock file for the store at `db`.
pub fn claim_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".daemon");
    PathBuf::from(name)
}

/// The claim file's size, reserved when claimed, so that publishing a
/// fault never needs a new block on a full disk.
const CLAIM_FILE_BYTES: usize = 4096;

/// The store claimed by this process until it is dropped (or dies).
#[derive(Debug)]
pub struct DaemonClaim {
    file: File,
    holder: String,
}

impl DaemonClaim {
    /// Says beside the store why it cannot be written (`None`: it can), for
    /// consoles, `vigie check` and alerts, which cannot read it from the
    /// store itself. Overwrites the reserved bytes in place.
    pub fn publish(&self, fault: Option<&str>) -> std::io::Result<()> {
        let mut text = format!("{}\n", self.holder);
        if let Some(fault) = fault {
            let fault = crate::sanitize::clean_short(fault, CLAIM_FILE_BYTES / 2);
            text.push_str(&format!("{FAULT_PREFIX}{fault}\n"));
        }
        let mut bytes = text.into_bytes();
        bytes.truncate(CLAIM_FILE_BYTES);
        bytes.resize(CLAIM_FILE_BYTES, b'\n');
        self.file.write_all_at(&bytes, 0)
    }
}

/// Marks the line of the claim file that holds the store's fault.
const FAULT_PREFIX: &str = "fault: ";

/// Why the store could not be claimed.
#[derive(Debug)]
pub enum ClaimRefused {
    /// Another living process holds it; what it wrote in the file (its pid
    /// and host), when readable.
    Held { holder: Option<String> },
    /// The lock file cannot be opened or locked.
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl std::fmt::Display for ClaimRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClaimRefused::Held { holder: Some(h) } => write!(f, "held by {h}"),
            ClaimRefused::Held { holder: None } => write!(f, "held by another process"),
            ClaimRefused::Io { path, error } => {
                write!(f, "cannot lock {}: {error}", path.display())
            }
        }
    }
}

/// Claims the store at `db` for this daemon (`pid` on `host`, written in
/// the file for the refusal's message).
pub fn claim(db: &Path, pid: u32, host: &str) -> Result<DaemonClaim, ClaimRefused> {
    let path = claim_path(db);
    let io = |error| ClaimRefused::Io {
        path: path.clone(),
        error,
    };
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    let started = Instant::now();
    loop {
        match try_flock(&file, libc::LOCK_EX) {
            Ok(true) => break,
            Ok(false) if started.elapsed() < CLAIM_PATIENCE => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(false) => {
                let holder = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|s| s.lines().next().map(|l| l.trim().to_string()))
                    .map(|l| crate::sanitize::clean_short(&l, 200))
                    .filter(|s| !s.is_empty());
                return Err(ClaimRefused::Held { holder });
            }
            Err(e) => return Err(io(e)),
        }
    }
    // Only the holder writes: a refused daemon never clobbers the text.
    // SAFETY: posix_fallocate on a file descriptor this function owns.
    let reserved = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, CLAIM_FILE_BYTES as i64) };
    if reserved != 0 {
        // tmpfs and most file systems support it; without it a fault may
        // not be published on a full disk, which the log still says.
        tracing::debug!(error = reserved, "claim file space not reserved");
    }
    let claim = DaemonClaim {
        file,
        holder: format!("pid {pid} on {}", crate::sanitize::clean_short(host, 100)),
    };
    claim.publish(None).map_err(io)?;
    Ok(claim)
}

/// What the daemon holding the store at `db` published about it failing:
/// `None` when nobody holds it or all is well.
pub fn published_fault(db: &Path) -> Option<String> {
    let file = File::open(claim_path(db)).ok()?;
    if try_flock(&file, libc::LOCK_SH).ok()? {
        // Nobody holds it; ours goes with `file`.
        return None;
    }
    let mut bytes = vec![0; CLAIM_FILE_BYTES];
    let n = file.read_at(&mut bytes, 0).ok()?;
    bytes.truncate(n);
    String::from_utf8_lossy(&bytes)
        .lines()
        .find_map(|l| l.strip_prefix(FAULT_PREFIX))
        .map(|f| crate::sanitize::clean_short(f.trim(), CLAIM_FILE_BYTES))
}

/// Whether a daemon holds the store at `db` now: `Some(false)` when the
/// lock file exists and nobody holds it (the daemon stopped or died),
/// `None` when there is no lock file (no daemon since this version, or a
/// file this process may not open): then only the heartbeat tells.
pub fn daemon_holds(db: &Path) -> Option<bool> {
    let file = File::open(claim_path(db)).ok()?;
    // A shared lock taken here is released when `file` is dropped, at once.
    try_flock(&file, libc::LOCK_SH).ok().map(|got| !got)
}

/// `flock(2)` without waiting: whether the lock was taken (`false`: another
/// open file holds a conflicting one). Locks follow the open file, so the
/// kernel drops them when the holder exits, however it dies.
fn try_flock(file: &File, op: libc::c_int) -> std::io::Result<bool> {
    // SAFETY: flock on a descriptor `file` keeps open for the call.
    if unsafe { libc::flock(file.as_raw_fd(), op | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_held_until_dropped_and_refuses_a_second() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("vigie.db");
        assert_eq!(daemon_holds(&db), None);
        let first = claim(&db, 41, "here").unwrap();
        assert_eq!(daemon_holds(&db), Some(true));
        match claim(&db, 42, "here") {
            Err(ClaimRefused::Held { holder }) => {
                assert_eq!(holder.as_deref(), Some("pid 41 on here"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(published_fault(&db), None);
        first
            .publish(Some("store cannot be written: disk full"))
            .unwrap();
        assert_eq!(
            published_fault(&db).as_deref(),
            Some("store cannot be written: disk full")
        );
        first.publish(None).unwrap();
        assert_eq!(published_fault(&db), None);
        first.publish(Some("store damaged")).unwrap();
        drop(first);
        assert_eq!(daemon_holds(&db), Some(false));
        // A dead daemon's words are not shown.
        assert_eq!(published_fault(&db), None);
        let _second = claim(&db, 43, "here").unwrap();
        assert_eq!(daemon_holds(&db), Some(true));
    }
}
