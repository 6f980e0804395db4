//! Odoo seen from the inside (`kind = "odoo"`): the failures that do not
//! show on `/web/health` but pile up invoices and mails: a scheduled action
//! (`ir.cron`) that stopped running, mails in exception or stuck in the
//! queue, failed background jobs (OCA `queue_job`), modules waiting for an
//! upgrade. Pure: what Odoo answered and the time, in; a state and its
//! reason, out.

use chrono::{DateTime, TimeDelta, Utc};

use super::Status;

/// What one reading of a client's Odoo found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OdooInside {
    /// The server's series, from the `base` module's version (`17.0`).
    pub version: Option<String>,
    /// Active scheduled actions whose next call is in the past, with that
    /// next call, most overdue first.
    pub late_crons: Vec<(String, DateTime<Utc>)>,
    /// `mail.mail` in state `exception` (sending failed).
    pub mails_in_exception: u64,
    /// The oldest `mail.mail` still `outgoing`, by its date.
    pub oldest_queued_mail: Option<DateTime<Utc>>,
    /// `queue.job` in state `failed`; `None` when `queue_job` is not installed.
    pub failed_jobs: Option<u64>,
    /// Modules in `to upgrade`, `to install` or `to remove`.
    pub pending_modules: Vec<String>,
}

/// How late is too late. Defaults: a scheduled action more than an hour
/// past its next call is late (most run every few minutes to every day and
/// Odoo runs them within a minute when its cron workers are alive); six
/// hours late is down. A mail queued more than an hour is stuck (Odoo's
/// mail queue cron runs every minute or so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsideLimits {
    pub cron_late: TimeDelta,
    pub cron_down: TimeDelta,
    pub mail_queued: TimeDelta,
}

impl Default for InsideLimits {
    fn default() -> InsideLimits {
        InsideLimits {
            cron_late: TimeDelta::hours(1),
            cron_down: TimeDelta::hours(6),
            mail_queued: TimeDelta::hours(1),
        }
    }
}

/// The state of the client's Odoo from the inside, and why: every problem
/// named, worst first; `up` with the version when all is well.
pub fn judge(seen: &OdooInside, now: DateTime<Utc>, limits: &InsideLimits) -> (Status, String) {
    let mut problems: Vec<(Status, String)> = Vec::new();
    let late: Vec<&(String, DateTime<Utc>)> = seen
        .late_crons
        .iter()
        .filter(|(_, next)| now - *next > limits.cron_late)
        .collect();
    if let Some((name, next)) = late.iter().min_by_key(|(_, next)| *next) {
        let by = now - *next;
        let status = if by > limits.cron_down {
            Status::Down
        } else {
            Status::Degraded
        };
        let others = match late.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        problems.push((
            status,
            format!("scheduled action '{name}' {} late{others}", human(by)),
        ));
    }
    if seen.mails_in_exception > 0 {
        problems.push((
            Status::Degraded,
            format!("{} mail(s) in exception", seen.mails_in_exception),
        ));
    }
    if let Some(oldest) = seen.oldest_queued_mail {
        if now - oldest > limits.mail_queued {
            problems.push((
                Status::Degraded,
                format!("mail queued for {}", human(now - oldest)),
            ));
        }
    }
    if let Some(n) = seen.failed_jobs.filter(|n| *n > 0) {
        problems.push((Status::Degraded, format!("{n} failed queue job(s)")));
    }
    if !seen.pending_modules.is_empty() {
        let mut names = seen.pending_modules.clone();
        names.sort();
        let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
        let more = names.len().saturating_sub(3);
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        problems.push((
            Status::Degraded,
            format!("modules waiting for an upgrade: {}{tail}", shown.join(", ")),
        ));
    }
    let version = seen
        .version
        .as_deref()
        .map_or_else(|| "Odoo".to_string(), |v| format!("Odoo {v}"));
    // Worst first; the order above among equals.
    problems.sort_by_key(|(s, _)| std::cmp::Reverse(*s));
    match problems.first() {
        None => (
            Status::Up,
            format!("{version}: crons on time, mail flowing"),
        ),
        Some((worst, _)) => {
            let reasons: Vec<&str> = problems.iter().map(|(_, r)| r.as_str()).collect();
            (*worst, format!("{version}: {}", reasons.join("; ")))
        }
    }
}

/// "3h 20m", "2d 4h", "45m": how long, to the minute.
fn human(d: TimeDelta) -> String {
    let m = d.num_minutes().max(0);
    match (m / 1440, (m % 1440) / 60, m % 60) {
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .unwrap()
            .and_utc()
    }

    #[test]
    fn each_problem_is_a_state_and_a_reason_naming_it() {
        let now = at("2026-12-08 10:00");
        let ok = OdooInside {
            version: Some("17.0".into()),
            failed_jobs: Some(0),
            ..Default::default()
        };
        let crons = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(n, t)| (n.to_string(), at(t)))
                .collect::<Vec<_>>()
        };
        let cases = [
            (
                ok.clone(),
                Status::Up,
                "Odoo 17.0: crons on time, mail flowing",
            ),
            (
                // 30 minutes behind: within the limit.
                OdooInside {
                    late_crons: crons(&[("Mail: Email Queue Manager", "2026-12-08 09:30")]),
                    ..ok.clone()
                },
                Status::Up,
                "Odoo 17.0: crons on time, mail flowing",
            ),
            (
                OdooInside {
                    late_crons: crons(&[
                        ("Mail: Email Queue Manager", "2026-12-08 08:30"),
                        ("Invoicing: send invoices", "2026-12-08 06:40"),
                    ]),
                    ..ok.clone()
                },
                Status::Degraded,
                "Odoo 17.0: scheduled action 'Invoicing: send invoices' 3h 20m late (and 1 more)",
            ),
            (
                OdooInside {
                    late_crons: crons(&[("POS: close sessions", "2026-12-06 06:00")]),
                    ..ok.clone()
                },
                Status::Down,
                "Odoo 17.0: scheduled action 'POS: close sessions' 2d 4h late",
            ),
            (
                OdooInside {
                    mails_in_exception: 3,
                    ..ok.clone()
                },
                Status::Degraded,
                "Odoo 17.0: 3 mail(s) in exception",
            ),
            (
                OdooInside {
                    oldest_queued_mail: Some(at("2026-12-08 07:15")),
                    ..ok.clone()
                },
                Status::Degraded,
                "Odoo 17.0: mail queued for 2h 45m",
            ),
            (
                OdooInside {
                    oldest_queued_mail: Some(at("2026-12-08 09:50")),
                    ..ok.clone()
                },
                Status::Up,
                "Odoo 17.0: crons on time, mail flowing",
            ),
            (
                OdooInside {
                    failed_jobs: Some(2),
                    ..ok.clone()
                },
                Status::Degraded,
                "Odoo 17.0: 2 failed queue job(s)",
            ),
            (
                OdooInside {
                    failed_jobs: None,
                    version: None,
                    ..ok.clone()
                },
                Status::Up,
                "Odoo: crons on time, mail flowing",
            ),
            (
                OdooInside {
                    pending_modules: vec![
                        "stock".into(),
                        "account".into(),
                        "sale".into(),
                        "point_of_sale".into(),
                    ],
                    ..ok.clone()
                },
                Status::Degraded,
                "Odoo 17.0: modules waiting for an upgrade: account, point_of_sale, sale and 1 more",
            ),
            (
                // Several: the worst leads, the others follow.
                OdooInside {
                    mails_in_exception: 1,
                    late_crons: crons(&[("POS: close sessions", "2026-12-07 10:00")]),
                    ..ok.clone()
                },
                Status::Down,
                "Odoo 17.0: scheduled action 'POS: close sessions' 1d late; 1 mail(s) in exception",
            ),
        ];
        for (seen, status, reason) in cases {
            assert_eq!(
                judge(&seen, now, &InsideLimits::default()),
                (status, reason.to_string()),
                "{seen:?}"
            );
        }
    }
}
