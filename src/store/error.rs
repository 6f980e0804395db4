//! What can go wrong with the database file, said so an operator can act on it.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::ErrorCode;

/// Every message names the file and says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot tell where to keep the database: neither XDG_DATA_HOME nor HOME is set; \
         pass --db PATH"
    )]
    NoDataDir,

    #[error(
        "cannot create the directory {} for the database ({source}): \
         create it with write access for this user, or pass --db PATH",
        dir.display()
    )]
    Directory { dir: PathBuf, source: io::Error },

    #[error(
        "cannot open or create {} ({source}): check that it and its directory are \
         accessible to this user, or pass --db PATH",
        path.display()
    )]
    CannotOpen {
        path: PathBuf,
        source: rusqlite::Error,
    },

    #[error(
        "no Vigie database at {}: start `vigie daemon` first, or pass --db PATH",
        path.display()
    )]
    Missing { path: PathBuf },

    #[error(
        "{} is not a Vigie database or is damaged ({reason}): move it aside or pass --db PATH",
        path.display()
    )]
    NotVigie { path: PathBuf, reason: String },

    #[error(
        "{} is damaged (SQLite's check: {detail}): Vigie left it as it is and writes nothing \
         to it; inspect it with `sqlite3 {} 'PRAGMA integrity_check'`, then move it aside \
         (or restore a copy) and start again",
        path.display(),
        path.display()
    )]
    Damaged { path: PathBuf, detail: String },

    #[error(
        "{} was written by a newer Vigie (schema {found}, this one knows {known}): upgrade Vigie",
        path.display()
    )]
    SchemaTooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },

    #[error(
        "{} still has schema {found} and this Vigie needs {needs}: stop any older \
         `vigie daemon` and start this version once so it upgrades the file",
        path.display()
    )]
    SchemaTooOld {
        path: PathBuf,
        found: u32,
        needs: u32,
    },

    #[error(
        "{} stayed locked by another process for more than {:.1} s: check that only one \
         `vigie daemon` runs and nothing else holds the file (`fuser {}`), then try again",
        path.display(),
        waited.as_secs_f64(),
        path.display()
    )]
    Locked { path: PathBuf, waited: Duration },

    #[error(
        "{} is read-only: give this user write access to it and to its directory, \
         or pass --db PATH",
        path.display()
    )]
    ReadOnly { path: PathBuf },

    #[error(
        "cannot start the database writer thread for {} ({source}): \
         the system is short of threads or memory; retry after freeing some",
        path.display()
    )]
    Thread { path: PathBuf, source: io::Error },

    #[error(
        "the database writer for {} has stopped: see the log for the cause and restart Vigie",
        path.display()
    )]
    WriterStopped { path: PathBuf },

    #[error(
        "database error on {} ({source}): if it persists, check the disk and run \
         `sqlite3 {} 'PRAGMA integrity_check'`",
        path.display(),
        path.display()
    )]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

impl StoreError {
    /// Turns a SQLite failure into the error an operator can act on.
    pub(crate) fn from_sqlite(path: &Path, busy_timeout: Duration, err: rusqlite::Error) -> Self {
        let path = path.to_path_buf();
        match err.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::NotVigie {
                path,
                reason: err.to_string(),
            },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked {
                path,
                waited: busy_timeout,
            },
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { path },
            Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied) => {
                StoreError::CannotOpen { path, source: err }
            }
            _ => StoreError::Sqlite { path, source: err },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn store_error_names_the_file_and_the_remedy() {
        let path = Path::new("/srv/vigie/vigie.db");
        let t = Duration::from_secs(5);
        let cases = [
            (
                StoreError::from_sqlite(path, t, sqlite_failure(rusqlite::ffi::SQLITE_NOTADB)),
                "is not a Vigie database or is damaged",
                "move it aside or pass --db PATH",
            ),
            (
                StoreError::from_sqlite(path, t, sqlite_failure(rusqlite::ffi::SQLITE_CORRUPT)),
                "is not a Vigie database or is damaged",
                "move it aside",
            ),
            (
                StoreError::from_sqlite(path, t, sqlite_failure(rusqlite::ffi::SQLITE_BUSY)),
                "more than 5.0 s",
                "only one `vigie daemon`",
            ),
            (
                StoreError::from_sqlite(path, t, sqlite_failure(rusqlite::ffi::SQLITE_READONLY)),
                "is read-only",
                "write access",
            ),
            (
                StoreError::SchemaTooNew {
                    path: path.into(),
                    found: 7,
                    known: 2,
                },
                "written by a newer Vigie (schema 7, this one knows 2)",
                "upgrade Vigie",
            ),
        ];
        for (err, what, todo) in cases {
            let msg = err.to_string();
            assert!(msg.contains("/srv/vigie/vigie.db"), "{msg}");
            assert!(msg.contains(what), "{msg}");
            assert!(msg.contains(todo), "{msg}");
        }
    }
}
