//! Months of believable history for the demo store: mostly up, a few
//! incidents and slow spells per check, the same every time (seeded).

use chrono::{DateTime, Duration, Utc};

use crate::model::{Check, CheckKind, CheckResult, Status};

/// A small deterministic generator (splitmix64): the demo must not depend on
/// a random crate's algorithm changing.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x1000_0000_01b3)
    })
}

/// Results for `check` every `step` over `days` days before `now` (exclusive).
pub fn history(check: &Check, now: DateTime<Utc>, days: i64, step: Duration) -> Vec<CheckResult> {
    let seed = hash(&check.id);
    let start = now - Duration::days(days);
    let step_ms = step.num_milliseconds().max(1_000);
    let slots = (now - start).num_milliseconds() / step_ms;
    let mut out = Vec::with_capacity(usize::try_from(slots).unwrap_or(0));
    // An incident lasts a few slots; draw one per hour-long block.
    let per_block = (3_600_000 / step_ms).max(1);
    for i in 0..slots {
        let at = start + Duration::milliseconds(i * step_ms);
        let block = mix(seed ^ (i / per_block) as u64);
        let noise = mix(seed.wrapping_add(i as u64));
        let base_latency = 40 + (seed % 60) as u32;
        let latency = base_latency + (noise % 40) as u32;
        // About one bad hour in 300 is down, one in 120 is slow.
        let (status, latency_ms, message) = match block % 300 {
            0 => (Status::Down, None, down_message(&check.kind)),
            1 | 2 => (
                Status::Degraded,
                Some(latency * 25),
                slow_message(&check.kind, latency * 25),
            ),
            _ => (Status::Up, Some(latency), up_message(&check.kind)),
        };
        out.push(CheckResult::observed(
            check.id.clone(),
            at,
            status,
            latency_ms,
            message,
        ));
    }
    out
}

fn up_message(kind: &CheckKind) -> String {
    match kind {
        CheckKind::Http(_) | CheckKind::Prometheus(_) => "200 OK".into(),
        CheckKind::NodeExporter { .. } => "load ok · mem ok · disk ok".into(),
        CheckKind::Tcp { .. } => "connected".into(),
        CheckKind::SshCommand(_) => "exit 0".into(),
        CheckKind::Nagios(_) => "OK".into(),
        CheckKind::Postgres(_) => "primary · archive 2m old · 12/97 connections".into(),
        CheckKind::Odoo(_) => "Odoo 17.0: crons on time, mail flowing".into(),
    }
}

/// A slow spell in each kind's own words (a host is not "200 OK").
fn slow_message(kind: &CheckKind, latency_ms: u32) -> String {
    match kind {
        CheckKind::Http(_) | CheckKind::Prometheus(_) => format!("200 OK, slow ({latency_ms} ms)"),
        CheckKind::NodeExporter { .. } => "load high · mem 93% · disk ok".into(),
        CheckKind::Tcp { .. } => format!("connected, slow ({latency_ms} ms)"),
        CheckKind::SshCommand(_) => format!("exit 0, slow ({latency_ms} ms)"),
        CheckKind::Nagios(_) => "WARNING".into(),
        CheckKind::Postgres(_) => "replica lag 45 s".into(),
        CheckKind::Odoo(_) => "mails queued for 70 min".into(),
    }
}

fn down_message(kind: &CheckKind) -> String {
    match kind {
        CheckKind::Http(_) | CheckKind::Prometheus(_) => "HTTP 503 Service Unavailable".into(),
        CheckKind::NodeExporter { .. } => "scrape failed: connection refused".into(),
        CheckKind::Tcp { .. } => "connect: connection refused".into(),
        CheckKind::SshCommand(_) => "exit 1".into(),
        CheckKind::Nagios(_) => "CRITICAL".into(),
        CheckKind::Postgres(_) => "WAL archiving failing (3 failed)".into(),
        CheckKind::Odoo(_) => "Odoo unreachable: connection refused".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn check() -> Check {
        Check::new(
            "odoo-coop",
            "erp",
            CheckKind::Http(crate::model::HttpCheck::get("http://x")),
            std::time::Duration::from_secs(10),
            std::time::Duration::from_secs(5),
        )
    }

    #[test]
    fn history_is_deterministic_and_mostly_up() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
            .single()
            .unwrap_or_default();
        let a = history(&check(), now, 90, Duration::minutes(5));
        let b = history(&check(), now, 90, Duration::minutes(5));
        assert_eq!(a, b);
        assert_eq!(a.len(), 90 * 24 * 12);
        let up = a.iter().filter(|r| r.status == Status::Up).count();
        assert!(up * 100 / a.len() >= 97, "{up} of {}", a.len());
        assert!(a.iter().any(|r| r.status == Status::Down));
        assert!(a.iter().all(|r| r.at < now));
    }

    #[test]
    fn a_slow_spell_is_said_in_the_check_kinds_words() {
        let http = slow_message(&check().kind, 1300);
        assert_eq!(http, "200 OK, slow (1300 ms)");
        let tcp = CheckKind::Tcp {
            address: "127.0.0.1:5432".into(),
            slow_ms: 500,
        };
        assert!(!slow_message(&tcp, 900).contains("200 OK"));
    }
}
