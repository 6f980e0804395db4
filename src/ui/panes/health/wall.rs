//! What the Health pane offers the wall display: its open incidents.

use super::super::{Data, WallLine};
use super::age;
use crate::model::Status;
use crate::sanitize;

/// Checks that need an eye (down, degraded, or unknown after a result),
/// worst first, then the longest-running first; at most `n`. Checks in
/// maintenance and checks never run yet are left out. Ages are counted in
/// minutes, so a wall redrawn every second does not change every second.
pub fn incidents(data: &Data, n: usize) -> Vec<WallLine> {
    let mut open: Vec<(Status, chrono::DateTime<chrono::Utc>, WallLine)> = Vec::new();
    for (host, check) in data.fleet.checks() {
        let Some(live) = data.checks.get(&check.id) else {
            continue;
        };
        if matches!(live.status, Status::Up | Status::Maintenance) {
            continue;
        }
        let secs = (data.now - live.since).num_seconds();
        let since = if secs < 60 {
            "<1m".to_string()
        } else {
            age(live.since, data.now)
        };
        let text = format!(
            "{} {}: {} · {since}",
            sanitize::clean(&host.name),
            sanitize::clean(&check.name),
            sanitize::clean_short(&live.message, 80)
        );
        open.push((
            live.status,
            live.since,
            WallLine {
                status: live.status,
                text,
            },
        ));
    }
    open.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    open.into_iter().take(n).map(|(_, _, l)| l).collect()
}
