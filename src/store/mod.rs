//! The SQLite store: one writer thread per process, any number of readers.
//!
//! The daemon (or a console running the engine itself) owns the only
//! [`Writer`]; consoles and the wall display use [`Reader`]s and poll
//! [`Reader::data_version`] to notice the writer's commits. WAL mode lets
//! readers work while the writer commits.
//!
//! Timestamps are UTC instants stored as INTEGER milliseconds since the Unix
//! epoch ([`to_ms`], [`from_ms`]); time zones live in the model.

pub mod attention;
pub mod backups;
pub mod claim;
mod error;
pub mod fault;
pub mod history;
mod maintenance;
pub mod migrations;
mod open;
pub mod pages;
pub mod pos;
mod read;
mod state;
pub mod tickets;
pub mod usage;
mod writer;

use std::path::{Path, PathBuf};

/// How often a collector (the daemon, or a console collecting itself)
/// drops history past its retention.
pub const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// How often the daemon writes its heartbeat.
pub const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// A daemon whose heartbeat is older than this is gone: consoles take over
/// collecting, and `vigie snapshot` reads no daemon.
pub const DAEMON_MAX_AGE: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

use chrono::{DateTime, Utc};

pub use error::StoreError;
pub use migrations::SCHEMA_VERSION;
pub use open::{APPLICATION_ID, DEFAULT_BUSY_TIMEOUT, StoreOptions};
pub use read::{AuditEntry, CheckState, Heartbeat, Reader, daemon_alive};
pub use writer::{MAX_WAIT, MAX_WAITING_RESULTS, WriteHandle, WriteOp, Writer};

/// Where the database lives: the `--db` flag, else
/// `$XDG_DATA_HOME/vigie/vigie.db`, else `$HOME/.local/share/vigie/vigie.db`.
///
/// `env` is the environment lookup (`|k| std::env::var(k).ok()` in the
/// binary). Empty or relative `XDG_DATA_HOME` is ignored, as the XDG base
/// directory specification says. `None` when nothing tells us where.
pub fn resolve_path(flag: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(path) = flag {
        return Some(path.to_path_buf());
    }
    if let Some(data) = env("XDG_DATA_HOME").filter(|d| Path::new(d).is_absolute()) {
        return Some(Path::new(&data).join("vigie").join("vigie.db"));
    }
    env("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| Path::new(&home).join(".local/share/vigie/vigie.db"))
}

/// An instant as stored: milliseconds since the Unix epoch, UTC.
pub fn to_ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// The inverse of [`to_ms`]. A value outside chrono's range (only a damaged or
/// hand-edited file holds one) is clamped rather than trusted.
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(if ms < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |key| {
            vars.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        }
    }

    /// (--db flag, environment, expected path)
    type PathCase = (
        Option<&'static str>,
        &'static [(&'static str, &'static str)],
        Option<&'static str>,
    );

    #[test]
    fn store_path_flag_beats_xdg_beats_home() {
        let both: &[(&str, &str)] = &[("XDG_DATA_HOME", "/data"), ("HOME", "/home/op")];
        let cases: &[PathCase] = &[
            (Some("/tmp/x.db"), both, Some("/tmp/x.db")),
            (Some("rel.db"), &[], Some("rel.db")),
            (None, both, Some("/data/vigie/vigie.db")),
            (
                None,
                &[("HOME", "/home/op")],
                Some("/home/op/.local/share/vigie/vigie.db"),
            ),
            (
                None,
                &[("XDG_DATA_HOME", ""), ("HOME", "/home/op")],
                Some("/home/op/.local/share/vigie/vigie.db"),
            ),
            (
                None,
                &[("XDG_DATA_HOME", "relative"), ("HOME", "/home/op")],
                Some("/home/op/.local/share/vigie/vigie.db"),
            ),
            (None, &[("HOME", "")], None),
            (None, &[], None),
        ];
        for (flag, vars, want) in cases {
            let got = resolve_path(flag.map(Path::new), &env_of(vars));
            assert_eq!(
                got.as_deref(),
                want.map(Path::new),
                "flag {flag:?} env {vars:?}"
            );
        }
    }

    #[test]
    fn store_instants_round_trip_through_milliseconds() {
        let at = Utc.with_ymd_and_hms(2025, 3, 30, 1, 59, 59).unwrap()
            + chrono::TimeDelta::milliseconds(123);
        assert_eq!(to_ms(at), 1_743_299_999_123);
        assert_eq!(from_ms(to_ms(at)), at);
        assert_eq!(from_ms(0), DateTime::UNIX_EPOCH);
        assert_eq!(
            from_ms(-1_000),
            DateTime::UNIX_EPOCH - chrono::TimeDelta::seconds(1)
        );
    }

    #[test]
    fn store_out_of_range_milliseconds_are_clamped_not_panicking() {
        assert_eq!(from_ms(i64::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(from_ms(i64::MIN), DateTime::<Utc>::MIN_UTC);
    }
}
