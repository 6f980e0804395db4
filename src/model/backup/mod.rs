//! Backups: restore points that exist now, runs Vigie has observed, the
//! policy a source must meet, and the rules that judge them (DOMAIN: daily
//! backups kept 15 or 30 days; RPO; suspiciously small backups).
//!
//! Two things are kept apart on purpose: the *run log* (every run Vigie
//! observed, stored, so a day later pruned by retention is never shown as
//! missed) and the *restore points* that exist now (what can be restored).

mod evaluate;
mod judge;
mod overview;
mod schedule;

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub use evaluate::{
    ClientVerdict, DayEval, DayState, SizeTrend, SourceEval, client_verdict, evaluate, month_days,
};
pub use judge::{Judged, Listing, judge};
pub use overview::{ClientRow, Overview, SourceRecord, SourceRow, overview};
pub use schedule::{Cron, Schedule, local_instant};

/// Something that can be restored, as the repository lists it now.
#[derive(Debug, Clone, PartialEq)]
pub struct RestorePoint {
    /// The repository's identifier (restic short id, borg archive name,
    /// dump file name).
    pub id: String,
    pub at: DateTime<Utc>,
    /// Bytes, when the repository tells.
    pub size: Option<u64>,
    /// How long the backup took, when known.
    pub duration: Option<Duration>,
    /// Host, paths, tags: what the point holds (outside text, sanitized
    /// before display).
    pub detail: String,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RunOutcome {
    /// Started and not finished (yet).
    Started,
    Success,
    Failed,
}

impl RunOutcome {
    pub fn code(self) -> i64 {
        match self {
            RunOutcome::Started => 0,
            RunOutcome::Success => 1,
            RunOutcome::Failed => 2,
        }
    }

    pub fn from_code(code: i64) -> RunOutcome {
        match code {
            1 => RunOutcome::Success,
            2 => RunOutcome::Failed,
            _ => RunOutcome::Started,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RunOutcome::Started => "started",
            RunOutcome::Success => "success",
            RunOutcome::Failed => "failed",
        }
    }
}

/// One run Vigie observed: a restore point seen in a repository, or a ping.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupRun {
    /// When it ended (or, for `Started`, began).
    pub at: DateTime<Utc>,
    pub started: Option<DateTime<Utc>>,
    pub outcome: RunOutcome,
    pub size: Option<u64>,
}

impl BackupRun {
    pub fn duration(&self) -> Option<Duration> {
        let s = self.started?;
        (self.at - s).to_std().ok()
    }
}

/// Where the evidence of a day comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// A repository or dump directory: restore points decide.
    RestorePoints,
    /// Pings only: the run log decides (nothing to list).
    Runs,
}

/// What a source must meet (DOMAIN: daily backups kept 15 or 30 days, RPO).
#[derive(Debug, Clone, PartialEq)]
pub struct BackupPolicy {
    pub schedule: Schedule,
    /// How late after the expected time a day's backup still counts as on
    /// time (before that the day is not due yet).
    pub grace: Duration,
    /// Daily restore points that must exist (15 or 30).
    pub retention_days: u32,
    /// Maximum age of the newest restore point.
    pub rpo: Duration,
    /// A point smaller than this is suspect.
    pub min_size: Option<u64>,
    /// A point smaller than this fraction of the median of the previous
    /// `suspect_window` points is suspect (0.5 = under 50 %).
    pub suspect_ratio: f64,
    pub suspect_window: usize,
}

impl Default for BackupPolicy {
    fn default() -> BackupPolicy {
        BackupPolicy {
            schedule: Schedule::Daily(crate::model::TimeOfDay { minutes: 2 * 60 }),
            grace: Duration::from_secs(4 * 3600),
            retention_days: 15,
            rpo: Duration::from_secs(26 * 3600),
            min_size: None,
            suspect_ratio: 0.5,
            suspect_window: 7,
        }
    }
}

/// The kind of a source and how to reach it.
#[derive(Debug, Clone, PartialEq)]
pub enum BackupKind {
    Restic(ResticSource),
    Borg(BorgSource),
    Dumps(DumpSource),
    /// Healthchecks-style pings to `vigie daemon` at `/ping/<uuid>`.
    Ping {
        uuid: String,
    },
    /// A PostgreSQL primary's WAL archive, read from `pg_stat_archiver`:
    /// the last archived segment is the newest point-in-time restore
    /// point, so the policy's RPO judges the archive's age.
    WalArchive(WalArchiveSource),
}

impl BackupKind {
    pub fn label(&self) -> &'static str {
        match self {
            BackupKind::Restic(_) => "restic",
            BackupKind::Borg(_) => "borg",
            BackupKind::Dumps(_) => "dumps",
            BackupKind::Ping { .. } => "ping",
            BackupKind::WalArchive(_) => "wal_archive",
        }
    }

    pub fn evidence(&self) -> Evidence {
        match self {
            BackupKind::Ping { .. } => Evidence::Runs,
            _ => Evidence::RestorePoints,
        }
    }
}

/// A PostgreSQL server whose archiver is read (a `postgres` check's URL
/// and password rules: no password in the URL, else env, file or .pgpass).
#[derive(Debug, Clone, PartialEq)]
pub struct WalArchiveSource {
    pub url: String,
    pub password: Option<crate::model::alert::SecretSource>,
}

/// A restic repository, listed with `restic snapshots --json`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResticSource {
    /// A local path or any restic repository URL (`sftp:user@host:/path`).
    pub repository: String,
    pub binary: String,
    /// Environment variable holding the password, or an owner-only file.
    pub password: Secret,
    /// Only snapshots of this hostname, when set.
    pub host: Option<String>,
}

/// A borg repository, listed with `borg list --json` and `borg info --json`.
#[derive(Debug, Clone, PartialEq)]
pub struct BorgSource {
    pub repository: String,
    pub binary: String,
    /// Borg's times carry no offset: the timezone of the machine that made
    /// the archives.
    pub timezone: Tz,
    pub passphrase: Option<Secret>,
}

/// A directory of dated dump files (`odoo_{date}.sql.gz`).
#[derive(Debug, Clone, PartialEq)]
pub struct DumpSource {
    /// A local directory, or `host:/path` read over SFTP through the SSH layer.
    pub directory: String,
    pub pattern: DumpPattern,
    /// Timezone of the dates written in file names.
    pub timezone: Tz,
    /// For `host:/path`: how to reach the host (its `[hosts]` entry, jump
    /// hosts included), filled once every host is known.
    pub sftp: Option<crate::model::ssh::SshTarget>,
}

/// How a dump's file name gives its date.
#[derive(Debug, Clone, PartialEq)]
pub struct DumpPattern {
    /// Literal text before `{date}` (or `{datetime}`), and after it.
    pub prefix: String,
    pub suffix: String,
    /// `{datetime}` (`2026-11-21T0300` / `2026-11-21_03-00`) rather than `{date}`.
    pub with_time: bool,
    pub text: String,
}

/// Where a secret comes from; the value itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// The name of an environment variable.
    Env(String),
    /// A file readable by its owner only.
    File(String),
    /// A command that prints it (borg's BORG_PASSCOMMAND).
    Command(String),
}

/// One configured backup source, with its policy.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupSource {
    /// `[backups.<id>]`.
    pub id: String,
    pub name: String,
    /// The client whose data it holds.
    pub client: String,
    pub kind: BackupKind,
    pub policy: BackupPolicy,
    /// How often the repository is listed.
    pub every: Duration,
    /// A listing slower than this is killed and reported.
    pub timeout: Duration,
}

impl DumpPattern {
    /// `odoo_{date}.sql.gz`: one `{date}` (YYYY-MM-DD or YYYYMMDD) or
    /// `{datetime}` (date, then `T`, `_` or `-`, then HHMM, HH-MM or HH:MM).
    pub fn parse(text: &str) -> Result<DumpPattern, String> {
        for (token, with_time) in [("{datetime}", true), ("{date}", false)] {
            if let Some((prefix, suffix)) = text.split_once(token) {
                if suffix.contains('{') || prefix.contains('{') {
                    break;
                }
                return Ok(DumpPattern {
                    prefix: prefix.to_string(),
                    suffix: suffix.to_string(),
                    with_time,
                    text: text.to_string(),
                });
            }
        }
        Err(format!(
            "pattern '{text}' needs exactly one {{date}} or {{datetime}}, like odoo_{{date}}.sql.gz"
        ))
    }

    /// The local date and time a file name gives (midnight for `{date}`),
    /// or `None` when the name does not match.
    pub fn match_name(&self, name: &str) -> Option<chrono::NaiveDateTime> {
        let middle = name
            .strip_prefix(&self.prefix)?
            .strip_suffix(&self.suffix)?;
        if self.with_time {
            for f in [
                "%Y-%m-%dT%H%M",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d_%H-%M",
                "%Y-%m-%d_%H%M",
                "%Y-%m-%d-%H%M",
                "%Y%m%d-%H%M",
                "%Y%m%d_%H%M",
                "%Y%m%dT%H%M",
                "%Y%m%d%H%M",
            ] {
                if let Ok(t) = chrono::NaiveDateTime::parse_from_str(middle, f) {
                    return Some(t);
                }
            }
            None
        } else {
            ["%Y-%m-%d", "%Y%m%d"]
                .iter()
                .find_map(|f| chrono::NaiveDate::parse_from_str(middle, f).ok())
                .filter(|_| middle.len() == 10 || middle.len() == 8)
                .map(|d| d.and_time(chrono::NaiveTime::MIN))
        }
    }
}

/// The host and the path of a `host:/path` directory.
pub fn remote_parts(dir: &str) -> Option<(&str, &str)> {
    if dir.starts_with('/') || dir.starts_with('.') {
        return None;
    }
    dir.split_once(':').filter(|(h, _)| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::DumpPattern;

    #[test]
    fn dump_names_give_their_date_or_do_not_match() {
        let date = DumpPattern::parse("odoo_{date}.sql.gz").unwrap();
        let time = DumpPattern::parse("db-{datetime}.dump").unwrap();
        // (pattern, file name, local date-time it gives)
        let cases = [
            (&date, "odoo_2026-11-21.sql.gz", Some("2026-11-21 00:00")),
            (&date, "odoo_20261121.sql.gz", Some("2026-11-21 00:00")),
            (&date, "odoo_2026-11-21.sql", None),
            (&date, "odoo_2026-13-01.sql.gz", None),
            (&date, "odoo_latest.sql.gz", None),
            (&date, "other_2026-11-21.sql.gz", None),
            (&time, "db-2026-11-21T0315.dump", Some("2026-11-21 03:15")),
            (&time, "db-2026-11-21_03-15.dump", Some("2026-11-21 03:15")),
            (&time, "db-2026-11-21.dump", None),
        ];
        for (p, name, want) in cases {
            let got = p
                .match_name(name)
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string());
            assert_eq!(got.as_deref(), want, "{} / {name}", p.text);
        }
    }

    #[test]
    fn a_pattern_without_one_date_token_is_refused() {
        for p in ["odoo.sql.gz", "{date}_{date}", "{time}.gz"] {
            assert!(DumpPattern::parse(p).is_err(), "{p}");
        }
    }
}
