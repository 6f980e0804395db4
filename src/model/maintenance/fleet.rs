//! Windows against the fleet: whose rules apply, which checks are covered,
//! and the time availability must leave out.

use chrono::{DateTime, Utc};

use super::rules::Scope;
use super::{ClientRules, MaintenanceWindow, Target};
use crate::model::availability::Interval;
use crate::model::{Client, Fleet, Status};

/// The clients whose rules a window on `target` must satisfy: every client
/// using a host (a mutualised server answers to all of them), or the one
/// client whose service is touched.
pub fn affected_clients<'a>(fleet: &'a Fleet, target: &Target) -> Vec<&'a Client> {
    match target {
        Target::Host(h) => {
            let mut out: Vec<&Client> = Vec::new();
            for (c, _) in fleet.users_of(h) {
                if !out.iter().any(|x| x.id == c.id) {
                    out.push(c);
                }
            }
            out
        }
        Target::Client(c) => fleet.client(c).into_iter().collect(),
    }
}

/// Whether `window` covers check `check_id` (on `host`): every check of a
/// host window's host; a client window's checks that serve the client on
/// its hosts.
pub fn covers(fleet: &Fleet, window: &MaintenanceWindow, host: &str, check_id: &str) -> bool {
    match &window.target {
        Target::Host(h) => h == host,
        Target::Client(c) => fleet.client(c).is_some_and(|client| {
            client
                .environments
                .iter()
                .any(|e| e.hosts.iter().any(|x| x == host))
                && fleet
                    .host(host)
                    .and_then(|h| h.checks.iter().find(|k| k.id == check_id))
                    .is_some_and(|k| k.serves(c))
        }),
    }
}

/// Whether `window` covers the POS stores of `client`: a window on the
/// client, or on the host its Odoo runs on (while Odoo is down for
/// maintenance no till can open or close a session).
pub fn covers_stores(fleet: &Fleet, window: &MaintenanceWindow, client: &Client) -> bool {
    match &window.target {
        Target::Client(c) => *c == client.id,
        Target::Host(h) => client.odoo.as_ref().is_some_and(|odoo| {
            let odoo_host = url_host(&odoo.url);
            fleet
                .host(h)
                .is_some_and(|host| odoo_host == host.address || odoo_host == host.name)
        }),
    }
}

/// The host part of a URL ("https://erp.example:8069/x" -> "erp.example").
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => authority.split(':').next().unwrap_or(authority),
    }
}

/// What a window on `target` is judged against, with the windows already
/// planned (the one being moved is told apart by its UID in the proposal).
pub fn scope<'a>(fleet: &'a Fleet, target: &Target, windows: &'a [MaintenanceWindow]) -> Scope<'a> {
    let clients: Vec<&ClientRules> = affected_clients(fleet, target)
        .into_iter()
        .map(|c| &c.maintenance)
        .collect();
    let existing = windows
        .iter()
        .map(|w| {
            let ids = affected_clients(fleet, &w.target)
                .into_iter()
                .map(|c| c.id.clone())
                .collect();
            (w, ids)
        })
        .collect();
    Scope { clients, existing }
}

/// A check's intervals with the time of `windows` (sorted or not) marked
/// as maintenance: what availability leaves out.
pub fn overlay(
    intervals: &[Interval],
    windows: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Vec<Interval> {
    let mut spans: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        windows.iter().copied().filter(|(a, b)| a < b).collect();
    spans.sort();
    let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for (a, b) in spans {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    if merged.is_empty() {
        return intervals.to_vec();
    }
    let mut out = Vec::new();
    for i in intervals {
        let mut start = i.start;
        for &(a, b) in &merged {
            if i.end.is_some_and(|e| a >= e) || b <= start {
                continue;
            }
            if a > start {
                out.push(Interval {
                    start,
                    end: Some(a),
                    status: i.status,
                });
            }
            start = b;
        }
        if i.end.is_none_or(|e| start < e) {
            out.push(Interval {
                start,
                end: i.end,
                status: i.status,
            });
        }
    }
    out.extend(merged.into_iter().map(|(a, b)| Interval {
        start: a,
        end: Some(b),
        status: Status::Maintenance,
    }));
    out.sort_by_key(|i| i.start);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_host_of_a_url_is_read_without_scheme_port_or_credentials() {
        for (url, host) in [
            ("https://erp.example.org:8069/web", "erp.example.org"),
            ("http://10.0.0.5", "10.0.0.5"),
            ("http://user:pw@odoo.lan/x?y", "odoo.lan"),
            ("http://[::1]:8069/", "::1"),
            ("odoo.lan:8069", "odoo.lan"),
        ] {
            assert_eq!(super::url_host(url), host, "{url}");
        }
    }

    use super::*;
    use crate::model::availability;
    use chrono::{TimeDelta, TimeZone};

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + TimeDelta::hours(h)
    }

    #[test]
    fn an_announced_window_takes_its_time_out_of_availability() {
        let ivs = [
            Interval {
                start: t(0),
                end: Some(t(10)),
                status: Status::Up,
            },
            Interval {
                start: t(10),
                end: Some(t(12)),
                status: Status::Down,
            },
            Interval {
                start: t(12),
                end: None,
                status: Status::Up,
            },
        ];
        let plain = availability::of_check(&ivs, t(0), t(24), t(24));
        assert_eq!(plain.down, TimeDelta::hours(2));
        // The window covers the outage and an hour either side.
        let marked = overlay(&ivs, &[(t(9), t(13))]);
        let a = availability::of_check(&marked, t(0), t(24), t(24));
        assert_eq!(a.down, TimeDelta::zero());
        assert_eq!(a.maintenance, TimeDelta::hours(4));
        assert_eq!(a.up, TimeDelta::hours(20));
        assert_eq!(a.percent(), Some(100.0));
        // Overlapping windows count once.
        let twice = overlay(&ivs, &[(t(9), t(11)), (t(10), t(13))]);
        assert_eq!(
            availability::of_check(&twice, t(0), t(24), t(24)).maintenance,
            TimeDelta::hours(4)
        );
    }
}
