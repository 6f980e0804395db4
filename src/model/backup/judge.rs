//! A configured source judged from what the store holds: its listing's
//! error, its points and runs. Shared by the pane and `vigie backups`.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{BackupRun, BackupSource, Evidence, RestorePoint, SourceEval, evaluate};
use crate::model::Status;

/// What is known of a source's listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing<'a> {
    /// Listed successfully (or a ping source: nothing to list).
    Listed,
    /// The last listing failed with this cause; the points are the last known.
    Failed(&'a str),
    /// Not listed yet; with a note when something is being prepared.
    NotYet(Option<&'a str>),
}

/// A source judged at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub status: Status,
    /// "RPO ok, last 06:12, 15/15 days", "error: wrong password for ...".
    pub verdict: String,
    pub eval: SourceEval,
}

/// Judges `src` (rules in [`evaluate`]): a failed listing makes the
/// source down with "error: <cause>" (its last known points still fill the
/// calendar); a source never listed is unknown, not down.
pub fn judge(
    src: &BackupSource,
    tz: Tz,
    points: &[RestorePoint],
    runs: &[BackupRun],
    listing: Listing,
    now: DateTime<Utc>,
) -> Judged {
    let evidence = src.kind.evidence();
    let eval = evaluate(&src.policy, evidence, tz, points, runs, now);
    let (status, verdict) = match listing {
        Listing::Failed(cause) => (Status::Down, format!("error: {cause}")),
        Listing::NotYet(note) if evidence == Evidence::RestorePoints => (
            Status::Unknown,
            note.unwrap_or("not listed yet").to_string(),
        ),
        _ => (eval.status, eval.verdict.clone()),
    };
    Judged {
        status,
        verdict,
        eval,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::backup::{BackupKind, BackupPolicy, RunOutcome};

    fn source(kind: BackupKind) -> BackupSource {
        BackupSource {
            id: "s".into(),
            name: "s".into(),
            client: "c".into(),
            kind,
            policy: BackupPolicy {
                retention_days: 1,
                ..BackupPolicy::default()
            },
            every: Duration::from_secs(60),
            timeout: Duration::from_secs(60),
        }
    }

    #[test]
    fn listing_state_decides_before_the_points() {
        let now: DateTime<Utc> = "2026-11-29T12:00:00Z".parse().unwrap();
        let dumps = source(BackupKind::Dumps(crate::model::backup::DumpSource {
            directory: "/d".into(),
            pattern: crate::model::backup::DumpPattern::parse("{date}").unwrap(),
            timezone: chrono_tz::UTC,
            sftp: None,
        }));
        let ping = source(BackupKind::Ping { uuid: "u".into() });
        let fresh = [RestorePoint {
            id: "p".into(),
            at: "2026-11-29T02:00:00Z".parse().unwrap(),
            size: Some(1),
            duration: None,
            detail: String::new(),
        }];
        let ran = [BackupRun {
            at: "2026-11-29T02:00:00Z".parse().unwrap(),
            started: None,
            outcome: RunOutcome::Success,
            size: None,
        }];
        // (source, points, runs, listing, status, verdict starts with)
        let cases = [
            (
                &dumps,
                &fresh[..],
                &[][..],
                Listing::Listed,
                Status::Up,
                "RPO ok",
            ),
            (
                &dumps,
                &fresh[..],
                &[][..],
                Listing::Failed("directory /d does not exist"),
                Status::Down,
                "error: directory /d",
            ),
            (
                &dumps,
                &[][..],
                &[][..],
                Listing::NotYet(None),
                Status::Unknown,
                "not listed yet",
            ),
            (
                &dumps,
                &[][..],
                &[][..],
                Listing::NotYet(Some("preparing demo repositories…")),
                Status::Unknown,
                "preparing",
            ),
            (
                &ping,
                &[][..],
                &ran[..],
                Listing::NotYet(None),
                Status::Up,
                "RPO ok",
            ),
        ];
        for (src, points, runs, listing, status, verdict) in cases {
            let j = judge(src, chrono_tz::UTC, points, runs, listing, now);
            assert_eq!(j.status, status, "{listing:?}");
            assert!(j.verdict.starts_with(verdict), "{listing:?}: {}", j.verdict);
        }
    }
}
