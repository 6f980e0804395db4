//! One entry point for every kind of backup source.

use crate::model::backup::{BackupKind, BackupSource, RestorePoint};

use super::{borg, dumps, restic};

/// What listing sources keeps between listings (restic sizes measured),
/// and how remote dump directories are reached.
#[derive(Clone)]
pub struct BackupLister {
    restic_sizes: restic::SizeCache,
    ssh: std::sync::Arc<super::ssh::Options>,
}

impl Default for BackupLister {
    fn default() -> Self {
        BackupLister {
            restic_sizes: restic::SizeCache::default(),
            ssh: std::sync::Arc::new(super::ssh::Options::from_env(None)),
        }
    }
}

impl BackupLister {
    /// The same lister with the SSH options of a configuration (SFTP dump
    /// directories).
    pub fn with_ssh(mut self, opts: std::sync::Arc<super::ssh::Options>) -> BackupLister {
        self.ssh = opts;
        self
    }

    /// Lists the restore points of `src`, within its timeout. Ping sources
    /// have nothing to list: `None`.
    pub async fn list(&self, src: &BackupSource) -> Option<Result<Vec<RestorePoint>, String>> {
        let listing = async {
            match &src.kind {
                BackupKind::Restic(r) => {
                    Some(restic::list(r, src.timeout, &self.restic_sizes).await)
                }
                BackupKind::Borg(b) => Some(borg::list(b, src.timeout).await),
                BackupKind::Dumps(d) => Some(dumps::list(d, src.timeout, &self.ssh).await),
                BackupKind::Ping { .. } => None,
                BackupKind::WalArchive(w) => {
                    Some(super::postgres::archive::list(w, src.timeout).await)
                }
            }
        };
        // Each tool bounds itself; this is the last guard.
        let guard = src.timeout + std::time::Duration::from_secs(5);
        match tokio::time::timeout(guard, listing).await {
            Ok(r) => r,
            Err(_) => Some(Err(format!(
                "listing took more than {}",
                crate::model::words::human_duration(guard)
            ))),
        }
    }
}

/// Locations being built right now (the demo's repositories): listing
/// them would only report a half-made repository, so collectors wait.
static HELD: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Asks collectors to leave every source under `prefix` alone until
/// [`release`].
pub fn hold(prefix: &str) {
    if let Ok(mut h) = HELD.lock() {
        h.push(prefix.to_string());
    }
}

pub fn release(prefix: &str) {
    if let Ok(mut h) = HELD.lock() {
        h.retain(|p| p != prefix);
    }
}

/// Whether `src` lives under a held location.
pub fn is_held(src: &BackupSource) -> bool {
    let place = match &src.kind {
        BackupKind::Restic(r) => r.repository.as_str(),
        BackupKind::Borg(b) => b.repository.as_str(),
        BackupKind::Dumps(d) => d.directory.as_str(),
        BackupKind::Ping { .. } | BackupKind::WalArchive(_) => return false,
    };
    HELD.lock()
        .map(|h| h.iter().any(|p| place.starts_with(p.as_str())))
        .unwrap_or(false)
}
