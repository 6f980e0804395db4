//! A directory of dated dump files (`odoo_2026-11-21.sql.gz`): the name
//! gives the date (in the source's timezone), the file its size. A file
//! named with a date only takes its modification time when that falls on
//! the same day, else midnight.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

use crate::model::TimeOfDay;
use crate::model::backup::{DumpPattern, DumpSource, RestorePoint, local_instant};

/// One directory entry as listed (locally or over SFTP).
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub size: u64,
    pub modified: Option<DateTime<Utc>>,
}

/// Lists the directory: a local one on a blocking thread, `host:/path`
/// over SFTP through the SSH layer (strict host keys, never a prompt).
pub async fn list(
    src: &DumpSource,
    timeout: Duration,
    ssh: &crate::sources::ssh::Options,
) -> Result<Vec<RestorePoint>, String> {
    if let Some((host, path)) = remote_parts(&src.directory) {
        let Some(target) = &src.sftp else {
            return Err(format!("{host} is not a host of the configuration"));
        };
        let entries =
            crate::sources::ssh::list_dir(target.clone(), ssh.clone(), path.to_string(), timeout)
                .await
                .map_err(|e| e.to_string())?;
        let entries: Vec<Entry> = entries
            .into_iter()
            .filter(|e| !e.is_dir)
            .take(100_000)
            .map(|e| Entry {
                name: e.name,
                size: e.size,
                modified: e.mtime.and_then(|s| DateTime::from_timestamp(s, 0)),
            })
            .collect();
        return points(&entries, &src.pattern, src.timezone);
    }
    let dir = src.directory.clone();
    let read = tokio::task::spawn_blocking(move || read_local(&dir));
    let entries = match tokio::time::timeout(timeout, read).await {
        Ok(Ok(r)) => r?,
        Ok(Err(_)) => return Err("the directory listing stopped".into()),
        Err(_) => {
            return Err(format!(
                "listing {} took more than {}",
                src.directory,
                crate::model::words::human_duration(timeout)
            ));
        }
    };
    points(&entries, &src.pattern, src.timezone)
}

/// `host:/path` (SFTP) rather than a local path.
pub fn is_remote(dir: &str) -> bool {
    remote_parts(dir).is_some()
}

use crate::model::backup::remote_parts;

fn read_local(dir: &str) -> Result<Vec<Entry>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("directory {dir} does not exist"),
        std::io::ErrorKind::PermissionDenied => format!("directory {dir} is not readable"),
        _ => format!("cannot list {dir}: {e}"),
    })?;
    let mut out = Vec::new();
    for e in rd.flatten().take(100_000) {
        let Ok(meta) = e.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        out.push(Entry {
            name: e.file_name().to_string_lossy().into_owned(),
            size: meta.len(),
            modified: meta.modified().ok().map(DateTime::<Utc>::from),
        });
    }
    Ok(out)
}

/// The matching entries as restore points, oldest first. A directory with
/// files but none matching is an error (the pattern is probably wrong).
pub fn points(
    entries: &[Entry],
    pattern: &DumpPattern,
    tz: Tz,
) -> Result<Vec<RestorePoint>, String> {
    let mut out = Vec::new();
    for e in entries {
        let Some(local) = pattern.match_name(&e.name) else {
            continue;
        };
        let at = at_of(local, pattern.with_time, e.modified, tz);
        out.push(RestorePoint {
            id: e.name.clone(),
            at,
            size: Some(e.size),
            duration: None,
            detail: e.name.clone(),
        });
    }
    if out.is_empty() && !entries.is_empty() {
        return Err(format!(
            "no file name matches '{}' among {} files",
            pattern.text,
            entries.len()
        ));
    }
    out.sort_by_key(|p| p.at);
    Ok(out)
}

fn at_of(
    local: NaiveDateTime,
    with_time: bool,
    modified: Option<DateTime<Utc>>,
    tz: Tz,
) -> DateTime<Utc> {
    if !with_time {
        if let Some(m) = modified.filter(|m| m.with_timezone(&tz).date_naive() == local.date()) {
            return m;
        }
    }
    let minutes = local.time().signed_duration_since(chrono::NaiveTime::MIN);
    local_instant(tz, local.date(), TimeOfDay { minutes: 0 }) + minutes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, size: u64) -> Entry {
        Entry {
            name: name.into(),
            size,
            modified: None,
        }
    }

    #[test]
    fn matching_files_become_points_and_others_are_ignored() {
        let p = DumpPattern::parse("odoo_{date}.sql.gz").unwrap();
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let e = [
            entry("odoo_2026-11-21.sql.gz", 10),
            entry("README", 1),
            entry("odoo_2026-11-20.sql.gz", 9),
        ];
        let pts = points(&e, &p, tz).unwrap();
        let got: Vec<(&str, String, Option<u64>)> = pts
            .iter()
            .map(|p| (p.id.as_str(), p.at.to_rfc3339(), p.size))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "odoo_2026-11-20.sql.gz",
                    "2026-11-19T23:00:00+00:00".into(),
                    Some(9)
                ),
                (
                    "odoo_2026-11-21.sql.gz",
                    "2026-11-20T23:00:00+00:00".into(),
                    Some(10)
                ),
            ]
        );
    }

    #[test]
    fn a_directory_where_nothing_matches_is_an_error() {
        let p = DumpPattern::parse("odoo_{date}.sql.gz").unwrap();
        let e = points(&[entry("dump.sql", 1)], &p, chrono_tz::UTC).unwrap_err();
        assert!(e.contains("no file name matches"), "{e}");
        assert!(points(&[], &p, chrono_tz::UTC).unwrap().is_empty());
    }

    #[test]
    fn remote_directories_are_told_apart() {
        for (dir, remote) in [
            ("/srv/dumps", false),
            ("./d", false),
            ("db1:/srv/dumps", true),
        ] {
            assert_eq!(is_remote(dir), remote, "{dir}");
        }
    }
}
