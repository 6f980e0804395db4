//! The Health list as data: hosts grouped by client and environment, worst
//! group first and worst host first within it. Built without strings, so
//! a fleet of a thousand hosts costs little; text is made only for the rows
//! on screen.

use chrono::{DateTime, Utc};

use crate::model::metric::names;
use crate::model::{Client, EnvKind, Host, Status};
use crate::ui::panes::Data;

/// A client's environment (or the hosts no client uses) and its hosts.
#[derive(Debug, Clone)]
pub struct Group<'a> {
    pub client: Option<&'a Client>,
    pub env: Option<EnvKind>,
    pub tint: bool,
    pub status: Status,
    pub hosts: Vec<HostRow<'a>>,
}

/// One host under one group.
#[derive(Debug, Clone)]
pub struct HostRow<'a> {
    pub host: &'a Host,
    pub status: Status,
    pub flapping: bool,
    /// When the worst check entered its state.
    pub since: Option<DateTime<Utc>>,
    /// The check that sets the host's state (first worst), if any ran.
    pub worst: Option<usize>,
}

/// A line of the list: a group header or a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    Group(usize),
    Host(usize, usize),
}

/// The state of a check as the console knows it (unknown before its first
/// result).
pub fn check_status(data: &Data, check_id: &str) -> Status {
    data.checks
        .get(check_id)
        .map_or(Status::Unknown, |c| c.status)
}

/// A host as one client sees it: its checks of that client's services and
/// the host's own (on a shared host, another client's app is not theirs).
fn host_row<'a>(data: &Data, host: &'a Host, client: Option<&str>) -> HostRow<'a> {
    let mut status = Status::Up;
    let mut worst = None;
    let mut since = None;
    let mut flapping = false;
    for (i, check) in host.checks.iter().enumerate() {
        if client.is_some_and(|c| !check.serves(c)) {
            continue;
        }
        let live = data.checks.get(&check.id);
        let s = live.map_or(Status::Unknown, |c| c.status);
        flapping |= live.is_some_and(|c| c.flapping);
        if worst.is_none() || s > status {
            status = s;
            worst = Some(i);
            since = live.map(|c| c.since);
        }
    }
    if worst.is_none() {
        status = Status::Unknown;
    }
    HostRow {
        host,
        status,
        flapping,
        since,
        worst,
    }
}

fn matches(data: &Data, group: &Group, row: &HostRow, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let has = |s: &str| s.to_lowercase().contains(needle);
    has(&row.host.name)
        || group.client.is_some_and(|c| has(&c.name) || has(&c.id))
        || group.env.is_some_and(|e| has(e.label()))
        || has(row.status.label())
        || row
            .host
            .checks
            .iter()
            .any(|c| has(&c.name) || data.checks.get(&c.id).is_some_and(|l| has(&l.message)))
}

/// The groups, worst first, each with its hosts worst first, keeping the
/// hosts that match `filter` (case-insensitive: host, client, environment,
/// state, check names and messages). A host several clients use appears
/// under each of them.
pub fn groups<'a>(data: &'a Data, filter: &str) -> Vec<Group<'a>> {
    let needle = filter.to_lowercase();
    let fleet = &data.fleet;
    let mut out: Vec<Group<'a>> = Vec::new();
    let mut used = std::collections::HashSet::new();
    let by_name: std::collections::HashMap<&str, &Host> =
        fleet.hosts.iter().map(|h| (h.name.as_str(), h)).collect();
    for client in &fleet.clients {
        for env in &client.environments {
            let mut group = Group {
                client: Some(client),
                env: Some(env.kind),
                tint: env.tint,
                status: Status::Up,
                hosts: Vec::new(),
            };
            for name in &env.hosts {
                if let Some(host) = by_name.get(name.as_str()).copied() {
                    used.insert(host.name.as_str());
                    group
                        .hosts
                        .push(host_row(data, host, Some(client.id.as_str())));
                }
            }
            out.push(group);
        }
    }
    let orphans: Vec<HostRow<'a>> = fleet
        .hosts
        .iter()
        .filter(|h| !used.contains(h.name.as_str()))
        .map(|h| host_row(data, h, None))
        .collect();
    if !orphans.is_empty() {
        out.push(Group {
            client: None,
            env: None,
            tint: false,
            status: Status::Up,
            hosts: orphans,
        });
    }
    for group in &mut out {
        let keep: Vec<HostRow<'a>> = group
            .hosts
            .iter()
            .filter(|r| matches(data, group, r, &needle))
            .cloned()
            .collect();
        group.hosts = keep;
        group
            .hosts
            .sort_by(|a, b| b.status.cmp(&a.status).then(a.host.name.cmp(&b.host.name)));
        group.status = group.hosts.first().map_or(Status::Up, |h| h.status);
    }
    out.retain(|g| !g.hosts.is_empty());
    // Worst group first; then prod before preprod before dev; then the
    // configuration's order (a stable sort keeps it).
    out.sort_by(|a, b| {
        b.status.cmp(&a.status).then(
            a.env
                .unwrap_or(EnvKind::Dev)
                .cmp(&b.env.unwrap_or(EnvKind::Dev)),
        )
    });
    out
}

/// The groups as indices into the fleet, kept between frames while the
/// checks, the fleet and the filter are unchanged.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    key: Option<(u64, usize, String)>,
    groups: Vec<CachedGroup>,
}

#[derive(Debug, Clone)]
struct CachedGroup {
    client: Option<usize>,
    env: Option<EnvKind>,
    tint: bool,
    status: Status,
    hosts: Vec<CachedHost>,
}

#[derive(Debug, Clone)]
struct CachedHost {
    host: usize,
    status: Status,
    flapping: bool,
    since: Option<DateTime<Utc>>,
    worst: Option<usize>,
}

/// [`groups`], from `cache` when nothing it depends on changed.
pub fn groups_cached<'a>(
    data: &'a Data,
    filter: &str,
    cache: &std::cell::RefCell<Cache>,
) -> Vec<Group<'a>> {
    let fleet = &data.fleet;
    let key = (
        data.generation(),
        std::sync::Arc::as_ptr(fleet) as usize,
        filter.to_string(),
    );
    let mut cache = cache.borrow_mut();
    if cache.key.as_ref() != Some(&key) {
        let client_index = |c: &Client| fleet.clients.iter().position(|x| x.id == c.id);
        let host_index: std::collections::HashMap<&str, usize> = fleet
            .hosts
            .iter()
            .enumerate()
            .map(|(i, h)| (h.name.as_str(), i))
            .collect();
        cache.groups = groups(data, filter)
            .iter()
            .map(|g| CachedGroup {
                client: g.client.and_then(client_index),
                env: g.env,
                tint: g.tint,
                status: g.status,
                hosts: g
                    .hosts
                    .iter()
                    .filter_map(|h| {
                        Some(CachedHost {
                            host: *host_index.get(h.host.name.as_str())?,
                            status: h.status,
                            flapping: h.flapping,
                            since: h.since,
                            worst: h.worst,
                        })
                    })
                    .collect(),
            })
            .collect();
        cache.key = Some(key);
    }
    cache
        .groups
        .iter()
        .map(|g| Group {
            client: g.client.and_then(|i| fleet.clients.get(i)),
            env: g.env,
            tint: g.tint,
            status: g.status,
            hosts: g
                .hosts
                .iter()
                .filter_map(|h| {
                    Some(HostRow {
                        host: fleet.hosts.get(h.host)?,
                        status: h.status,
                        flapping: h.flapping,
                        since: h.since,
                        worst: h.worst,
                    })
                })
                .collect(),
        })
        .collect()
}

/// The lines in display order.
pub fn lines(groups: &[Group]) -> Vec<Line> {
    let mut out = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        out.push(Line::Group(g));
        for h in 0..group.hosts.len() {
            out.push(Line::Host(g, h));
        }
    }
    out
}

/// How many host lines there are (what the selection moves over).
pub fn host_count(groups: &[Group]) -> usize {
    groups.iter().map(|g| g.hosts.len()).sum()
}

/// Host metrics of a host's latest results: CPU, memory, the fullest disk,
/// and the fewest certificate days, each with its judged state.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HostFigures {
    pub cpu: Option<f64>,
    pub mem: Option<f64>,
    pub disk: Option<f64>,
    pub cert_days: Option<f64>,
}

pub fn figures(data: &Data, host: &Host) -> HostFigures {
    let mut f = HostFigures::default();
    for check in &host.checks {
        let Some(live) = data.checks.get(&check.id) else {
            continue;
        };
        for m in &live.metrics {
            let slot = match m.base() {
                names::CPU_BUSY_PCT => &mut f.cpu,
                names::MEM_USED_PCT => &mut f.mem,
                names::DISK_USED_PCT => {
                    f.disk = Some(f.disk.map_or(m.value, |d| d.max(m.value)));
                    continue;
                }
                names::TLS_DAYS_LEFT => {
                    f.cert_days = Some(f.cert_days.map_or(m.value, |d| d.min(m.value)));
                    continue;
                }
                _ => continue,
            };
            *slot = Some(m.value);
        }
    }
    f
}

/// The check whose latency stands for the host: its first service check
/// (http, tcp...) of `client`'s, else its first check.
pub fn latency_check<'a>(host: &'a Host, client: Option<&str>) -> Option<&'a crate::model::Check> {
    host.checks
        .iter()
        .find(|c| c.kind.is_service() && client.is_none_or(|id| c.serves(id)))
        .or(host.checks.first())
}
