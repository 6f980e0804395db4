//! `vigie status-page --out DIR` (or `[status_page] dir`): a static site any
//! web server can serve, one folder per client: `index.html`,
//! `status.json`, `maintenance.ics` and `incidents.atom`. Only public names
//! are shown (`public_name` on a check, else "Service N"): never a host
//! name, a check name or a probe's detail text.

mod render;

use std::path::Path;

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use chrono_tz::Tz;

use super::report::{self, sla_checks};
use super::setup::{self, NoConfig};
use super::{Cli, CliError};
use crate::config::StatusPageSettings;
use crate::model::maintenance::{self, MaintenanceWindow, WindowState};
use crate::model::{Fleet, Status};
use crate::store::{Reader, StoreError};

pub use render::{atom, html, ics, json};

/// How far back the page lists incidents.
pub const INCIDENT_DAYS: i64 = 90;

/// A service as the client sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicService {
    pub name: String,
    pub status: Status,
    pub since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PublicIncident {
    pub service: String,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

/// One client's page.
#[derive(Debug, Clone)]
pub struct ClientPage {
    pub client: String,
    pub name: String,
    pub tz: Tz,
    pub generated: DateTime<Utc>,
    pub services: Vec<PublicService>,
    /// Announced windows to come or in progress, titles replaced by a
    /// neutral one (a title may name hosts).
    pub maintenance: Vec<MaintenanceWindow>,
    /// The last [`INCIDENT_DAYS`], newest first.
    pub incidents: Vec<PublicIncident>,
    /// The last three months, oldest first: ("2026-10", availability).
    pub months: Vec<(String, Option<f64>)>,
}

/// The public name of `check_id`, else "Service N" (its rank among the
/// client's services).
fn public_name(settings: &StatusPageSettings, check_id: &str, rank: usize) -> String {
    settings
        .public_names
        .get(check_id)
        .cloned()
        .unwrap_or_else(|| format!("Service {}", rank + 1))
}

/// The three months ending with `now`'s, in `tz`.
fn last_months(tz: Tz, now: DateTime<Utc>) -> Vec<(i32, u32)> {
    let d = now.with_timezone(&tz);
    let n = d.year() * 12 + d.month0() as i32;
    (n - 2..=n)
        .map(|k| (k.div_euclid(12), k.rem_euclid(12) as u32 + 1))
        .collect()
}

/// Every client's page at `now`, from the store: the services are the
/// client's SLA checks (as `report sla` counts them), the availability
/// `report sla`'s.
pub fn gather(
    reader: &Reader,
    fleet: &Fleet,
    settings: &StatusPageSettings,
    now: DateTime<Utc>,
) -> Result<Vec<ClientPage>, StoreError> {
    let latest = reader.latest_states()?;
    let windows = reader.maintenance_windows()?;
    let since = now - TimeDelta::days(INCIDENT_DAYS);
    let intervals = reader.intervals(since, now, &[])?;
    let mut out = Vec::new();
    for client in &fleet.clients {
        let checks = sla_checks(fleet, client);
        let names: Vec<String> = checks
            .iter()
            .enumerate()
            .map(|(i, c)| public_name(settings, c, i))
            .collect();
        let services = checks
            .iter()
            .zip(&names)
            .map(|(c, name)| {
                let state = latest.iter().find(|s| &s.check_id == c);
                PublicService {
                    name: name.clone(),
                    status: state.map_or(Status::Unknown, |s| s.status),
                    since: state.map(|s| s.since),
                }
            })
            .collect();
        let maintenance = windows
            .iter()
            .filter(|w| w.announced.is_some() && w.end > now)
            .filter(|w| !matches!(w.state, WindowState::Cancelled | WindowState::Done))
            .filter(|w| {
                maintenance::fleet::affected_clients(fleet, &w.target)
                    .iter()
                    .any(|c| c.id == client.id)
            })
            .map(|w| MaintenanceWindow {
                title: format!("{} maintenance", capitalised(w.kind.label())),
                ..w.clone()
            })
            .collect();
        let mut incidents: Vec<PublicIncident> = intervals
            .iter()
            .filter(|i| i.interval.status == Status::Down)
            .filter_map(|i| {
                let k = checks.iter().position(|c| *c == i.check_id)?;
                Some(PublicIncident {
                    service: names[k].clone(),
                    start: i.interval.start,
                    end: i.interval.end,
                })
            })
            .collect();
        incidents.sort_by_key(|i| std::cmp::Reverse(i.start));
        let mut months = Vec::new();
        for (y, m) in last_months(client.timezone, now) {
            let r = report::build(reader, fleet, y, m, Some(&client.id), now)?;
            months.push((format!("{y}-{m:02}"), r.first().and_then(|r| r.percent)));
        }
        out.push(ClientPage {
            client: client.id.clone(),
            name: client.name.clone(),
            tz: client.timezone,
            generated: now,
            services,
            maintenance,
            incidents,
            months,
        });
    }
    Ok(out)
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// Writes every page under `dir`: each client's files are written in a
/// staging folder inside `dir`, then renamed into `dir/<client>/` one by
/// one (a rename is atomic), so a web server never serves a half-written
/// file.
pub fn write(dir: &Path, pages: &[ClientPage]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let staging = dir.join(format!(".staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    let result = (|| {
        for p in pages {
            let stem = super::month::file_stem(&p.client);
            let files = [
                ("index.html", html(p)),
                (
                    "status.json",
                    serde_json::to_string_pretty(&json(p)).unwrap_or_default(),
                ),
                ("maintenance.ics", ics(p)),
                ("incidents.atom", atom(p)),
            ];
            let target = dir.join(&stem);
            std::fs::create_dir_all(&target)?;
            for (name, text) in files {
                let tmp = staging.join(format!("{stem}-{name}"));
                std::fs::write(&tmp, text)?;
                std::fs::rename(&tmp, target.join(name))?;
            }
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}

pub async fn run(cli: &Cli, out: Option<&Path>) -> Result<u8, CliError> {
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let Some(dir) = out
        .map(Path::to_path_buf)
        .or_else(|| setup.config.status_page.dir.clone())
    else {
        return Err(CliError::input(
            "expected --out DIR (or [status_page] dir in the configuration)",
        ));
    };
    let fleet = &setup.config.fleet;
    if setup.demo.as_ref().is_some_and(|d| d.private()) {
        let writer =
            crate::store::Writer::spawn(&setup.db).map_err(|e| CliError::input(e.to_string()))?;
        report::seed_demo(fleet, &writer)?;
    }
    let reader = Reader::open(&setup.db).map_err(|e| CliError::input(e.to_string()))?;
    let pages = gather(&reader, fleet, &setup.config.status_page, Utc::now())
        .map_err(|e| CliError::input(e.to_string()))?;
    write(&dir, &pages)
        .map_err(|e| CliError::input(format!("cannot write {}: {e}", dir.display())))?;
    for p in &pages {
        println!("{}", dir.join(super::month::file_stem(&p.client)).display());
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_last_three_months_cross_the_new_year() {
        let now = Utc.with_ymd_and_hms(2027, 1, 15, 12, 0, 0).unwrap();
        assert_eq!(
            last_months(chrono_tz::Europe::Paris, now),
            [(2026, 11), (2026, 12), (2027, 1)]
        );
        // 23:30 UTC on 31 December is already January in Paris.
        let now = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
        assert_eq!(
            last_months(chrono_tz::Europe::Paris, now),
            [(2026, 11), (2026, 12), (2027, 1)]
        );
    }
}
