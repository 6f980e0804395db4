//! borg repositories: `borg list --json` for every archive and
//! `borg info --json --last N` for the sizes and durations of the newest.
//! Borg writes local times without an offset: the source's timezone says
//! which.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::child;
use crate::model::backup::{BorgSource, RestorePoint, Secret, local_instant};

/// Archives whose sizes are read with `borg info` (the newest): enough for
/// the suspicious-size rule and the last weeks of the calendar.
const INFO_LAST: usize = 40;

/// What borg keeps of Vigie's environment besides [`child::ALLOWED`]: the
/// SSH agent (`ssh://` repositories) and where borg keeps its keys, cache
/// and security state. Its passphrase and repository are always given.
const INHERITED: &[&str] = &[
    "SSH_AUTH_SOCK",
    "BORG_BASE_DIR",
    "BORG_CONFIG_DIR",
    "BORG_CACHE_DIR",
    "BORG_SECURITY_DIR",
    "BORG_KEYS_DIR",
];

#[derive(Deserialize)]
struct List {
    archives: Vec<ListArchive>,
}

#[derive(Deserialize)]
struct ListArchive {
    name: String,
    time: Option<String>,
    start: Option<String>,
}

#[derive(Deserialize)]
struct Info {
    archives: Vec<InfoArchive>,
}

#[derive(Deserialize)]
struct InfoArchive {
    name: String,
    duration: Option<f64>,
    stats: Option<InfoStats>,
}

#[derive(Deserialize)]
struct InfoStats {
    original_size: Option<u64>,
}

/// Lists the repository's archives as restore points.
pub async fn list(src: &BorgSource, timeout: Duration) -> Result<Vec<RestorePoint>, String> {
    let deadline = Instant::now() + timeout;
    let mut env: Vec<(&str, String)> = vec![
        // Never wait on a question: an unknown or moved repository fails.
        ("BORG_RELOCATED_REPO_ACCESS_IS_OK", "no".into()),
        ("BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK", "no".into()),
        ("BORG_DISPLAY_PASSPHRASE", "no".into()),
        // borg lists local times of its own process: make them the
        // source's timezone, the one they are read in.
        ("TZ", src.timezone.name().to_string()),
    ];
    match &src.passphrase {
        Some(Secret::Env(name)) => env.push(("BORG_PASSPHRASE", child::env_secret(name)?)),
        Some(Secret::File(path)) => {
            child::owner_only(path)?;
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read password file {path}: {e}"))?;
            env.push((
                "BORG_PASSPHRASE",
                text.trim_end_matches(['\n', '\r']).to_string(),
            ));
        }
        Some(Secret::Command(cmd)) => env.push(("BORG_PASSCOMMAND", cmd.clone())),
        None => {}
    }
    let repo = src.repository.as_str();
    let out = child::run(
        &src.binary,
        &["list", "--json", repo],
        &env,
        INHERITED,
        timeout,
    )
    .await?;
    if !out.success {
        return Err(explain(&out.complaint(), repo));
    }
    let mut points = parse_list(&out.stdout, src.timezone)?;
    let left = deadline.saturating_duration_since(Instant::now());
    if !points.is_empty() && !left.is_zero() {
        let last = INFO_LAST.to_string();
        let args = ["info", "--json", "--last", last.as_str(), repo];
        let out = child::run(&src.binary, &args, &env, INHERITED, left).await?;
        if !out.success {
            return Err(explain(&out.complaint(), repo));
        }
        apply_info(&mut points, &out.stdout)?;
    }
    Ok(points)
}

/// `borg list --json` to restore points (sizes unknown), oldest first.
pub fn parse_list(json: &[u8], tz: Tz) -> Result<Vec<RestorePoint>, String> {
    let list: List =
        serde_json::from_slice(json).map_err(|e| format!("borg printed malformed JSON ({e})"))?;
    let mut out = Vec::with_capacity(list.archives.len());
    for a in list.archives {
        let time = a.time.or(a.start).unwrap_or_default();
        let at = local_time(&time, tz)
            .ok_or_else(|| format!("borg archive time '{time}' is not a date"))?;
        out.push(RestorePoint {
            id: a.name.clone(),
            at,
            size: None,
            duration: None,
            detail: a.name,
        });
    }
    out.sort_by_key(|p| p.at);
    Ok(out)
}

/// Adds the sizes and durations of `borg info --json` to the points.
pub fn apply_info(points: &mut [RestorePoint], json: &[u8]) -> Result<(), String> {
    let info: Info =
        serde_json::from_slice(json).map_err(|e| format!("borg printed malformed JSON ({e})"))?;
    let by_name: HashMap<&str, &InfoArchive> =
        info.archives.iter().map(|a| (a.name.as_str(), a)).collect();
    for p in points {
        if let Some(a) = by_name.get(p.id.as_str()) {
            p.size = a.stats.as_ref().and_then(|s| s.original_size);
            p.duration = a
                .duration
                .filter(|d| d.is_finite() && *d >= 0.0)
                .map(Duration::from_secs_f64);
        }
    }
    Ok(())
}

/// `2026-11-20T02:05:00.000000` in `tz`.
fn local_time(s: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    let minutes = t.time().signed_duration_since(chrono::NaiveTime::MIN);
    let tod = crate::model::TimeOfDay::new(0, 0)?;
    // local_instant resolves gaps and ambiguities; seconds are added back.
    let base = local_instant(tz, t.date(), tod);
    Some(base + minutes)
}

fn explain(complaint: &str, repo: &str) -> String {
    let low = complaint.to_lowercase();
    if low.contains("passphrase") && (low.contains("incorrect") || low.contains("wrong")) {
        format!("wrong passphrase for {repo}")
    } else if low.contains("does not exist") || low.contains("is not a valid repository") {
        format!("no borg repository at {repo}")
    } else if low.contains("lock") {
        format!("repository {repo} is locked: {complaint}")
    } else {
        complaint.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borg_times_are_read_in_the_sources_timezone() {
        let json = br#"{"archives":[
            {"name":"b","start":"2026-11-21T02:05:00.000000","time":"2026-11-21T02:05:00.000000"},
            {"name":"a","start":"2026-07-20T02:05:30.250000"}]}"#;
        let tz: Tz = "Europe/Paris".parse().unwrap();
        let p = parse_list(json, tz).unwrap();
        // (archive, UTC instant): winter +01:00, summer +02:00.
        let want = [
            ("a", "2026-07-20T00:05:30.250+00:00"),
            ("b", "2026-11-21T01:05:00+00:00"),
        ];
        for (point, (name, at)) in p.iter().zip(want) {
            assert_eq!(
                (point.id.as_str(), point.at.to_rfc3339().as_str()),
                (name, at)
            );
        }
    }

    #[test]
    fn info_adds_sizes_and_durations() {
        let tz: Tz = "UTC".parse().unwrap();
        let mut p = parse_list(
            br#"{"archives":[{"name":"x","time":"2026-11-21T02:05:00"}]}"#,
            tz,
        )
        .unwrap();
        apply_info(
            &mut p,
            br#"{"archives":[{"name":"x","duration":12.5,"stats":{"original_size":4096}}]}"#,
        )
        .unwrap();
        assert_eq!(p[0].size, Some(4096));
        assert_eq!(p[0].duration, Some(Duration::from_millis(12_500)));
    }

    #[test]
    fn malformed_borg_json_is_an_error() {
        let tz: Tz = "UTC".parse().unwrap();
        for bad in [&b"{"[..], b"{\"archives\":[{\"name\":1}]}", b"[]"] {
            assert!(parse_list(bad, tz).is_err());
        }
    }
}
