//! restic repositories: `restic snapshots --json` (time, hostname, paths,
//! tags, the summary's sizes when restic writes one), and for restic
//! versions without a summary, `restic stats --mode restore-size` once per
//! new snapshot (remembered by id).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::child;
use crate::model::backup::{ResticSource, RestorePoint, Secret};

/// Sizes of snapshots already measured, by repository and snapshot id.
pub type SizeCache = Arc<Mutex<HashMap<(String, String), u64>>>;

/// Snapshots measured with `restic stats` per listing at most (newest first).
const STATS_PER_LISTING: usize = 40;

/// What restic keeps of Vigie's environment besides [`child::ALLOWED`]:
/// the SSH agent, for `sftp:` repositories. Its password and repository
/// are always given, never inherited.
const INHERITED: &[&str] = &["SSH_AUTH_SOCK"];

#[derive(Deserialize)]
struct Snapshot {
    time: String,
    id: Option<String>,
    short_id: Option<String>,
    hostname: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    tags: Option<Vec<String>>,
    summary: Option<Summary>,
}

#[derive(Deserialize)]
struct Summary {
    backup_start: Option<String>,
    backup_end: Option<String>,
    total_bytes_processed: Option<u64>,
}

#[derive(Deserialize)]
struct Stats {
    total_size: Option<u64>,
}

/// Lists the repository's snapshots as restore points.
pub async fn list(
    src: &ResticSource,
    timeout: Duration,
    sizes: &SizeCache,
) -> Result<Vec<RestorePoint>, String> {
    let deadline = Instant::now() + timeout;
    let env = password_env(&src.password)?;
    let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (*k, v.clone())).collect();
    let mut args = vec![
        "snapshots",
        "--json",
        "--no-cache",
        "--repo",
        src.repository.as_str(),
    ];
    if let Some(h) = &src.host {
        args.extend(["--host", h.as_str()]);
    }
    let out = child::run(&src.binary, &args, &env, INHERITED, timeout).await?;
    if !out.success {
        return Err(explain(&out.complaint(), &src.repository));
    }
    let mut points = parse_snapshots(&out.stdout)?;
    // restic before 0.17 writes no summary: measure new snapshots once.
    let mut todo: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].size.is_none())
        .collect();
    todo.sort_by_key(|&i| std::cmp::Reverse(points[i].at));
    let mut measured = 0;
    for i in todo {
        let key = (src.repository.clone(), points[i].id.clone());
        let known = sizes.lock().ok().and_then(|m| m.get(&key).copied());
        if let Some(s) = known {
            points[i].size = Some(s);
            continue;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if measured >= STATS_PER_LISTING || left.is_zero() {
            continue;
        }
        measured += 1;
        let id = points[i].id.clone();
        let args = [
            "stats",
            "--json",
            "--no-cache",
            "--mode",
            "restore-size",
            "--repo",
            src.repository.as_str(),
            id.as_str(),
        ];
        let Ok(out) = child::run(&src.binary, &args, &env, INHERITED, left).await else {
            continue;
        };
        if let Some(size) = out
            .success
            .then(|| serde_json::from_slice::<Stats>(&out.stdout).ok())
            .flatten()
            .and_then(|s| s.total_size)
        {
            points[i].size = Some(size);
            if let Ok(mut m) = sizes.lock() {
                m.insert(key, size);
            }
        }
    }
    Ok(points)
}

/// The child's password: the configured variable's value as
/// RESTIC_PASSWORD, or an owner-only file as RESTIC_PASSWORD_FILE.
fn password_env(secret: &Secret) -> Result<Vec<(&'static str, String)>, String> {
    match secret {
        Secret::Env(name) => Ok(vec![("RESTIC_PASSWORD", child::env_secret(name)?)]),
        Secret::File(path) => {
            child::owner_only(path)?;
            Ok(vec![("RESTIC_PASSWORD_FILE", path.clone())])
        }
        Secret::Command(_) => Err("restic sources take password_env or password_file".into()),
    }
}

/// `restic snapshots --json` to restore points, newest last.
pub fn parse_snapshots(json: &[u8]) -> Result<Vec<RestorePoint>, String> {
    let snaps: Vec<Snapshot> =
        serde_json::from_slice(json).map_err(|e| format!("restic printed malformed JSON ({e})"))?;
    let mut out = Vec::with_capacity(snaps.len());
    for s in snaps {
        let at = rfc3339(&s.time)
            .ok_or_else(|| format!("restic snapshot time '{}' is not a date", s.time))?;
        let id = s.short_id.or(s.id).unwrap_or_else(|| s.time.clone());
        let mut detail = s.hostname.unwrap_or_default();
        if !s.paths.is_empty() {
            detail.push_str(&format!(" {}", s.paths.join(",")));
        }
        if let Some(tags) = s.tags.filter(|t| !t.is_empty()) {
            detail.push_str(&format!(" [{}]", tags.join(",")));
        }
        let (size, duration) = match &s.summary {
            Some(sum) => {
                let d = match (
                    sum.backup_start.as_deref().and_then(rfc3339),
                    sum.backup_end.as_deref().and_then(rfc3339),
                ) {
                    (Some(a), Some(b)) => (b - a).to_std().ok(),
                    _ => None,
                };
                (sum.total_bytes_processed, d)
            }
            None => (None, None),
        };
        out.push(RestorePoint {
            id,
            at,
            size,
            duration,
            detail: detail.trim().to_string(),
        });
    }
    out.sort_by_key(|p| p.at);
    Ok(out)
}

fn rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// restic's complaint in the operator's words, when we recognise it.
fn explain(complaint: &str, repo: &str) -> String {
    let low = complaint.to_lowercase();
    if low.contains("wrong password") || low.contains("no key found") {
        format!("wrong password for {repo}")
    } else if low.contains("does not exist")
        || low.contains("unable to open config file")
        || low.contains("is there a repository at")
    {
        format!("no restic repository at {repo}")
    } else if low.contains("locked") {
        format!("repository {repo} is locked: {complaint}")
    } else {
        complaint.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_with_and_without_summary_become_points() {
        let json = br#"[
          {"time":"2026-11-20T02:05:00.5+01:00","paths":["/srv/odoo"],"hostname":"db1",
           "tags":["nightly"],"id":"aaaa","short_id":"aa"},
          {"time":"2026-11-21T02:05:00Z","paths":["/srv"],"hostname":"db1","tags":null,"id":"bbbb",
           "summary":{"backup_start":"2026-11-21T02:00:00Z","backup_end":"2026-11-21T02:05:00Z",
                      "total_bytes_processed":123456}}
        ]"#;
        let p = parse_snapshots(json).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].id, "aa");
        assert_eq!(p[0].at.to_rfc3339(), "2026-11-20T01:05:00.500+00:00");
        assert_eq!(p[0].detail, "db1 /srv/odoo [nightly]");
        assert_eq!(p[0].size, None);
        assert_eq!(p[1].id, "bbbb");
        assert_eq!(p[1].size, Some(123_456));
        assert_eq!(p[1].duration, Some(Duration::from_secs(300)));
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        for bad in [&b"{"[..], b"[{\"time\":\"yesterday\"}]", b"not json", b""] {
            assert!(parse_snapshots(bad).is_err());
        }
    }
}
