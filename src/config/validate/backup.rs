//! `[backups.<id>]` and `[pings]`: backup sources, their kind-specific keys
//! and their policy (schedule, retention, RPO, size rules).

use std::time::Duration;

use toml::Spanned;

use super::{Validator, one_of};
use crate::config::raw::{RawBackup, RawConfig};
use crate::model::TimeOfDay;
use crate::model::backup::{
    BackupKind, BackupPolicy, BackupSource, BorgSource, Cron, DumpPattern, DumpSource,
    ResticSource, Schedule, Secret, WalArchiveSource,
};

const KINDS: [&str; 5] = ["restic", "borg", "dumps", "ping", "wal_archive"];

pub(super) fn sources(v: &mut Validator, raw: &RawConfig) -> Vec<BackupSource> {
    let clients: Vec<&str> = raw
        .clients
        .iter()
        .map(|(id, _)| id.get_ref().as_str())
        .collect();
    let hosts: Vec<&str> = raw
        .hosts
        .iter()
        .map(|(n, _)| n.get_ref().as_str())
        .collect();
    let mut out = Vec::new();
    let mut uuids: Vec<&str> = Vec::new();
    for (id, b) in raw.backups.iter() {
        let client = b.client.get_ref();
        let tz = match raw.clients.iter().find(|(c, _)| c.get_ref() == client) {
            Some((_, c)) => c.timezone.0,
            None => {
                let expected = if clients.is_empty() {
                    ": no [clients.<id>] table is defined".to_string()
                } else {
                    format!(", expected {}", one_of(&clients))
                };
                v.error(
                    b.client.span(),
                    format!("unknown client '{client}'{expected}"),
                );
                chrono_tz::UTC
            }
        };
        if let Some(u) = &b.uuid {
            if uuids.contains(&u.get_ref().as_str()) {
                v.error(
                    u.span(),
                    format!(
                        "ping uuid '{}' is used twice, expected one uuid per source",
                        u.get_ref()
                    ),
                );
            }
            uuids.push(u.get_ref());
        }
        let Some(kind) = kind(v, b, tz, &hosts) else {
            continue;
        };
        let mut policy = policy(v, b);
        if matches!(kind, BackupKind::WalArchive(_)) {
            // The archive is continuous: its RPO is the offer's hour, and
            // one day of points is what the calendar can ask of it.
            if b.rpo.is_none() {
                policy.rpo = Duration::from_secs(3600);
            }
            if b.retention_days.is_none() {
                policy.retention_days = 1;
            }
        }
        out.push(BackupSource {
            id: id.get_ref().clone(),
            name: b.name.clone().unwrap_or_else(|| id.get_ref().clone()),
            client: client.clone(),
            kind,
            policy,
            every: b
                .every
                .as_ref()
                .map_or(Duration::from_secs(600), |d| d.get_ref().0),
            timeout: b
                .timeout
                .as_ref()
                .map_or(Duration::from_secs(120), |d| d.get_ref().0),
        });
    }
    out
}

pub(super) fn pings(v: &mut Validator, raw: &RawConfig) -> Option<std::net::SocketAddr> {
    let p = raw.pings.as_ref()?;
    match p.listen.get_ref().parse() {
        Ok(a) => Some(a),
        Err(_) => {
            v.error(
                p.listen.span(),
                format!(
                    "invalid listen address '{}', expected an address and port like 127.0.0.1:8111",
                    p.listen.get_ref()
                ),
            );
            None
        }
    }
}

/// The kind-specific keys: required ones present, foreign ones refused.
/// `hosts`: the names of `[hosts]`, which a remote dump directory must name.
fn kind(
    v: &mut Validator,
    b: &RawBackup,
    client_tz: chrono_tz::Tz,
    hosts: &[&str],
) -> Option<BackupKind> {
    let kind = b.kind.get_ref().as_str();
    let allowed: &[&str] = match kind {
        "restic" => &[
            "repository",
            "binary",
            "password_env",
            "password_file",
            "host",
        ],
        "borg" => &[
            "repository",
            "binary",
            "password_env",
            "password_file",
            "passcommand",
            "timezone",
        ],
        "dumps" => &["directory", "pattern", "timezone"],
        "ping" => &["uuid"],
        "wal_archive" => &["url", "password_env", "password_file"],
        _ => {
            v.error(
                b.kind.span(),
                format!("unknown backup kind '{kind}', expected {}", one_of(&KINDS)),
            );
            return None;
        }
    };
    let given: [(&str, Option<std::ops::Range<usize>>); 11] = [
        ("url", b.url.as_ref().map(Spanned::span)),
        ("repository", b.repository.as_ref().map(Spanned::span)),
        ("binary", b.binary.as_ref().map(Spanned::span)),
        ("password_env", b.password_env.as_ref().map(Spanned::span)),
        ("password_file", b.password_file.as_ref().map(Spanned::span)),
        ("passcommand", b.passcommand.as_ref().map(Spanned::span)),
        ("host", b.host.as_ref().map(Spanned::span)),
        ("timezone", b.timezone.map(|_| b.kind.span())),
        ("directory", b.directory.as_ref().map(Spanned::span)),
        ("pattern", b.pattern.as_ref().map(Spanned::span)),
        ("uuid", b.uuid.as_ref().map(Spanned::span)),
    ];
    let mut ok = true;
    for (key, span) in given {
        if let Some(span) = span {
            if !allowed.contains(&key) {
                v.error(
                    span,
                    format!(
                        "key `{key}` does not apply to a {kind} source, expected only {}",
                        one_of(allowed)
                    ),
                );
                ok = false;
            }
        }
    }
    let mut required = |v: &mut Validator, value: &Option<Spanned<String>>, key: &str| {
        let got = value.as_ref().map(|s| s.get_ref().clone());
        if got.as_deref().is_none_or(str::is_empty) {
            v.error(b.kind.span(), format!("a {kind} source needs `{key}`"));
            ok = false;
        }
        got.unwrap_or_default()
    };
    let secret = |env: &Option<Spanned<String>>,
                  file: &Option<Spanned<String>>,
                  cmd: &Option<Spanned<String>>| {
        env.as_ref()
            .map(|e| Secret::Env(e.get_ref().clone()))
            .or_else(|| file.as_ref().map(|f| Secret::File(f.get_ref().clone())))
            .or_else(|| cmd.as_ref().map(|c| Secret::Command(c.get_ref().clone())))
    };
    let out = match kind {
        "restic" => {
            let repository = required(v, &b.repository, "repository");
            let password = secret(&b.password_env, &b.password_file, &None);
            if password.is_none() {
                v.error(
                    b.kind.span(),
                    "a restic source needs `password_env` (a variable name) or `password_file` (an owner-only file)",
                );
                ok = false;
            }
            BackupKind::Restic(ResticSource {
                repository,
                binary: b
                    .binary
                    .as_ref()
                    .map_or("restic".into(), |s| s.get_ref().clone()),
                password: password.unwrap_or(Secret::Env("RESTIC_PASSWORD".into())),
                host: b.host.as_ref().map(|h| h.get_ref().clone()),
            })
        }
        "borg" => BackupKind::Borg(BorgSource {
            repository: required(v, &b.repository, "repository"),
            binary: b
                .binary
                .as_ref()
                .map_or("borg".into(), |s| s.get_ref().clone()),
            timezone: b.timezone.map_or(client_tz, |t| t.0),
            passphrase: secret(&b.password_env, &b.password_file, &b.passcommand),
        }),
        "dumps" => {
            let directory = required(v, &b.directory, "directory");
            let text = required(v, &b.pattern, "pattern");
            let pattern = match DumpPattern::parse(&text) {
                Ok(p) => p,
                Err(e) => {
                    if let Some(p) = &b.pattern {
                        v.error(p.span(), e);
                    }
                    ok = false;
                    DumpPattern::parse("{date}").ok()?
                }
            };
            if let (Some((host, _)), Some(d)) =
                (crate::model::backup::remote_parts(&directory), &b.directory)
            {
                if !hosts.contains(&host) {
                    v.error(
                        d.span(),
                        format!(
                            "unknown host '{host}' in directory '{directory}', expected host:/path with a host of [hosts]: {}",
                            one_of(hosts)
                        ),
                    );
                }
            }
            BackupKind::Dumps(DumpSource {
                directory,
                pattern,
                timezone: b.timezone.map_or(client_tz, |t| t.0),
                sftp: None,
            })
        }
        "wal_archive" => {
            let url = required(v, &b.url, "url");
            let pg = super::postgres::source(v, b.url.as_ref(), &b.password_env, &b.password_file);
            BackupKind::WalArchive(WalArchiveSource { url, password: pg })
        }
        _ => BackupKind::Ping {
            uuid: required(v, &b.uuid, "uuid"),
        },
    };
    ok.then_some(out)
}

fn policy(v: &mut Validator, b: &RawBackup) -> BackupPolicy {
    let mut p = BackupPolicy::default();
    match (&b.at, &b.cron) {
        (Some(at), Some(cron)) => {
            v.error(
                cron.span(),
                format!(
                    "both `at` (line {}) and `cron` are set, expected one schedule",
                    v.line_of(&at.span())
                ),
            );
        }
        (Some(at), None) => p.schedule = Schedule::Daily(at.get_ref().0),
        (None, Some(cron)) => match Cron::parse(cron.get_ref()) {
            Ok(c) => p.schedule = Schedule::Cron(c),
            Err(e) => v.error(cron.span(), e),
        },
        (None, None) => p.schedule = Schedule::Daily(TimeOfDay { minutes: 2 * 60 }),
    }
    if let Some(g) = &b.grace {
        p.grace = g.get_ref().0;
    }
    if let Some(r) = &b.retention_days {
        p.retention_days = *r.get_ref();
        if p.retention_days == 0 || p.retention_days > 3660 {
            v.error(r.span(), "retention_days must be from 1 to 3660 days");
        }
    }
    if let Some(r) = &b.rpo {
        p.rpo = r.get_ref().0;
        if p.rpo.is_zero() {
            v.error(
                r.span(),
                "rpo is 0s, expected the maximum age of the newest restore point, like 26h",
            );
        }
    }
    if let Some(m) = &b.min_size {
        match parse_size(m.get_ref()) {
            Some(n) => p.min_size = Some(n),
            None => v.error(
                m.span(),
                format!(
                    "invalid size '{}', expected a size like 500MB, 2GiB or 1024",
                    m.get_ref()
                ),
            ),
        }
    }
    if let Some(pct) = &b.suspect_below_pct {
        let x = *pct.get_ref();
        if !(0.0..=100.0).contains(&x) {
            v.error(
                pct.span(),
                format!("suspect_below_pct is {x}, expected 0 to 100"),
            );
        } else {
            p.suspect_ratio = x / 100.0;
        }
    }
    p
}

/// `1024`, `500MB`, `2GiB` (decimal and binary units) to bytes.
pub(crate) fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..digits].parse().ok()?;
    let mult: u64 = match s[digits..].trim() {
        "" | "B" => 1,
        "kB" | "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_with_decimal_and_binary_units() {
        let cases = [
            ("1024", Some(1024)),
            ("500MB", Some(500_000_000)),
            ("2GiB", Some(2 << 30)),
            ("2 GB", Some(2_000_000_000)),
            ("2.5GB", None),
            ("lots", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_size(s), want, "{s}");
        }
    }
}
