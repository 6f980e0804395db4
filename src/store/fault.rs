//! A store that cannot be written, said instead of hidden: the writer
//! records the fault, the daemon publishes it beside its claim (see
//! `claim::publish`), and consoles, `vigie check` and alerts read it from
//! there, since the store itself is what fails.

use std::path::Path;

use chrono::{DateTime, Utc};
use rusqlite::ErrorCode;

/// Why writes to the store fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreFault {
    /// SQLite found the file damaged: collecting stopped and the file is
    /// left as it is for the operator.
    Damaged {
        since: DateTime<Utc>,
        detail: String,
    },
    /// The disk is full: results wait in memory (`waiting`) until space
    /// returns; `lost` could not wait (too many, or too old).
    Full {
        since: DateTime<Utc>,
        waiting: usize,
        lost: u64,
    },
}

/// The kind of fault a SQLite error is, if it is one that every later
/// write would meet too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    Damaged,
    Full,
}

/// Whether `err` means the file is damaged or the disk is full.
pub fn classify(err: &rusqlite::Error) -> Option<FaultKind> {
    match err.sqlite_error_code()? {
        ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => Some(FaultKind::Damaged),
        ErrorCode::DiskFull => Some(FaultKind::Full),
        _ => None,
    }
}

/// The command that shows an operator what SQLite finds wrong with `db`.
pub fn inspect_command(db: &Path) -> String {
    format!("sqlite3 {} 'PRAGMA integrity_check'", db.display())
}

impl StoreFault {
    /// One line for the header, `vigie check` and the log, naming what to do.
    pub fn describe(&self, db: &Path) -> String {
        match self {
            StoreFault::Damaged { since, detail } => format!(
                "store damaged since {} ({}): collecting stopped, file left as is; \
                 inspect it with `{}`, then move it aside and restart",
                since.format("%Y-%m-%d %H:%M UTC"),
                crate::sanitize::clean_short(detail, 200),
                inspect_command(db)
            ),
            StoreFault::Full {
                since,
                waiting,
                lost,
            } => format!(
                "store cannot be written since {}: disk full under {}; \
                 {waiting} results wait in memory, {lost} lost; free space there",
                since.format("%Y-%m-%d %H:%M UTC"),
                db.parent().unwrap_or(db).display()
            ),
        }
    }
}

/// The header's badge for a published fault line (see
/// [`StoreFault::describe`]).
pub fn badge_of(line: &str) -> &'static str {
    if line.starts_with("store damaged") {
        "STORE DAMAGED"
    } else {
        "STORE FAILING"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn damaged_and_full_are_told_apart_from_passing_errors() {
        assert_eq!(
            classify(&failure(rusqlite::ffi::SQLITE_CORRUPT)),
            Some(FaultKind::Damaged)
        );
        assert_eq!(
            classify(&failure(rusqlite::ffi::SQLITE_NOTADB)),
            Some(FaultKind::Damaged)
        );
        assert_eq!(
            classify(&failure(rusqlite::ffi::SQLITE_FULL)),
            Some(FaultKind::Full)
        );
        assert_eq!(classify(&failure(rusqlite::ffi::SQLITE_BUSY)), None);
        assert_eq!(classify(&failure(rusqlite::ffi::SQLITE_CONSTRAINT)), None);
    }

    #[test]
    fn a_damaged_store_names_the_command_to_inspect_it() {
        let fault = StoreFault::Damaged {
            since: DateTime::UNIX_EPOCH,
            detail: "database disk image is malformed".into(),
        };
        let line = fault.describe(Path::new("/srv/vigie/vigie.db"));
        assert!(
            line.contains("sqlite3 /srv/vigie/vigie.db 'PRAGMA integrity_check'"),
            "{line}"
        );
        assert!(line.contains("collecting stopped"), "{line}");
    }
}
