//! The store verdict: the probes, the IoT box, the line in use and the
//! session rules together. An open session proves nothing about
//! connectivity (it may have been opened yesterday), so the probes are
//! always judged too.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::day::{self, Period, StoreDay};
use super::session::{self, severity};
use super::{
    Alert, AlertTracker, Condition, Observation, OdooProblem, PosSession, Reading, StorePos,
    Timeline, UplinkRole,
};
use crate::model::{Site, Status};

/// What the pane and the CLI show of a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreView {
    pub client: String,
    pub site: String,
    pub name: String,
    #[serde(with = "tz_name")]
    pub tz: chrono_tz::Tz,
    pub at: DateTime<Utc>,
    pub period: Period,
    /// The store's state: the worst alert; `Up` without alerts.
    pub status: Status,
    pub tills: Vec<(String, Reading)>,
    pub iot: Option<Reading>,
    pub uplinks: Vec<(UplinkRole, Reading)>,
    pub active: Option<Result<UplinkRole, String>>,
    pub sessions: Option<Result<Vec<PosSession>, OdooProblem>>,
    pub odoo_health: Option<Reading>,
    pub alerts: Vec<Alert>,
    /// Stored apart from the view (segments), so skipped in its JSON.
    #[serde(skip)]
    pub timeline: Timeline,
    pub today: Option<StoreDay>,
}

/// A timezone kept by its IANA name (as the store keeps a view).
mod tz_name {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(tz: &chrono_tz::Tz, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(tz.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<chrono_tz::Tz, D::Error> {
        let name = String::deserialize(d)?;
        name.parse()
            .map_err(|_| serde::de::Error::custom(format!("unknown timezone {name}")))
    }
}

impl StoreView {
    /// A store not observed yet.
    pub fn pending(client: &str, site: &Site, store: &StorePos, now: DateTime<Utc>) -> StoreView {
        StoreView {
            client: client.to_string(),
            site: site.id.clone(),
            name: site.name.clone(),
            tz: site.timezone,
            at: now,
            period: day::period(site, &store.settings, now),
            status: Status::Unknown,
            tills: store
                .tills
                .iter()
                .map(|t| {
                    (
                        t.name.clone(),
                        Reading {
                            status: Status::Unknown,
                            latency_ms: None,
                            message: "not probed yet".into(),
                        },
                    )
                })
                .collect(),
            iot: None,
            uplinks: Vec::new(),
            active: None,
            sessions: None,
            odoo_health: None,
            alerts: Vec::new(),
            timeline: Timeline::default(),
            today: day::today(site, now),
        }
    }

    /// The session that matters most: an open one first, else the latest.
    pub fn current_session(&self) -> Option<&PosSession> {
        let sessions = self.sessions.as_ref()?.as_ref().ok()?;
        sessions
            .iter()
            .filter(|s| s.state.is_open())
            .max_by_key(|s| s.start_at)
            .or_else(|| sessions.iter().max_by_key(|s| s.start_at))
    }

    /// Whether a store is critical (the CLI's exit code).
    pub fn is_critical(&self) -> bool {
        self.status == Status::Down
    }
}

/// The conditions the probes show at `period`: a till or the IoT box down
/// (critical in a critical period, a warning while open, nothing while
/// closed: tills may be off); every uplink down (critical in a critical
/// period, else a warning); one line down or traffic on the 4G backup (a
/// warning: the store still reaches Odoo); the line in use unreadable (a
/// warning: the router page changed); Odoo unreachable or its
/// `/web/health` failing (like a till);
/// Odoo refusing Vigie (a warning: Vigie cannot tell).
pub fn probe_conditions(store: &StorePos, obs: &Observation, period: Period) -> Vec<Condition> {
    let sev = severity(period);
    let mut out = Vec::new();
    if period != Period::Closed {
        for (till, r) in store.tills.iter().zip(&obs.tills) {
            if r.status == Status::Down {
                out.push(Condition::new(
                    format!("till-down:{}", till.name),
                    sev,
                    format!("till {} unreachable: {}", till.name, r.message),
                ));
            }
        }
        if let Some(r) = &obs.iot {
            if r.status == Status::Down {
                out.push(Condition::new(
                    "iot-down",
                    sev,
                    format!("IoT box unreachable: {}", r.message),
                ));
            }
        }
    }
    let lines: Vec<(UplinkRole, &Reading)> = store
        .uplinks
        .iter()
        .map(|u| u.role)
        .zip(&obs.uplinks)
        .collect();
    let down: Vec<UplinkRole> = lines
        .iter()
        .filter(|(_, r)| r.status == Status::Down)
        .map(|(u, _)| *u)
        .collect();
    if !lines.is_empty() && down.len() == lines.len() {
        out.push(Condition::new(
            "uplinks-down",
            if period == Period::Closed {
                Status::Degraded
            } else {
                sev
            },
            "every internet line is down",
        ));
    } else {
        for role in &down {
            out.push(Condition::new(
                format!("uplink-down:{}", role.label()),
                Status::Degraded,
                format!("{} line down", role.label()),
            ));
        }
    }
    match &obs.active {
        Some(Ok(UplinkRole::Backup)) => out.push(Condition::new(
            "on-backup",
            Status::Degraded,
            "traffic on the 4G backup",
        )),
        Some(Err(why)) => out.push(Condition::new(
            "line-unknown",
            Status::Degraded,
            format!("line in use unknown: {why}"),
        )),
        _ => {}
    }
    if let Some(Err(problem)) = &obs.odoo {
        let sev = match problem {
            OdooProblem::Unreachable(_) if period != Period::Closed => sev,
            _ => Status::Degraded,
        };
        out.push(Condition::new("odoo", sev, problem.describe()));
    }
    if let Some(r) = obs
        .odoo_health
        .as_ref()
        .filter(|r| r.status == Status::Down)
    {
        let sev = if period == Period::Closed {
            Status::Degraded
        } else {
            sev
        };
        out.push(Condition::new(
            "odoo-health",
            sev,
            format!("Odoo /web/health: {}", r.message),
        ));
    }
    out
}

/// Connectivity for the timeline: every line down is down; one line down,
/// traffic on 4G, or a till down is degraded.
pub fn connectivity(obs: &Observation) -> Status {
    let lines_down = obs
        .uplinks
        .iter()
        .filter(|r| r.status == Status::Down)
        .count();
    if !obs.uplinks.is_empty() && lines_down == obs.uplinks.len() {
        return Status::Down;
    }
    let tills_down = obs
        .tills
        .iter()
        .filter(|r| r.status == Status::Down)
        .count();
    if !obs.tills.is_empty() && tills_down == obs.tills.len() && obs.uplinks.is_empty() {
        return Status::Down;
    }
    if lines_down > 0 || tills_down > 0 || matches!(obs.active, Some(Ok(UplinkRole::Backup))) {
        Status::Degraded
    } else {
        Status::Up
    }
}

/// Judges one observation of a store: conditions from the probes and the
/// sessions, filtered by the tracker (minimum duration, repeats merged);
/// the store's state is its worst alert.
pub fn judge(
    client: &str,
    site: &Site,
    store: &StorePos,
    obs: &Observation,
    tracker: &mut AlertTracker,
    timeline: &mut Timeline,
) -> StoreView {
    let now = obs.at;
    let period = day::period(site, &store.settings, now);
    let mut conditions = probe_conditions(store, obs, period);
    if let Some(Ok(sessions)) = &obs.odoo {
        conditions.extend(session::conditions(
            site,
            &store.settings,
            &store.configs,
            sessions,
            now,
        ));
    }
    let alerts = tracker.update(
        now,
        &conditions,
        store.settings.alert_after,
        store.settings.merge_within,
    );
    let gap = TimeDelta::from_std(store.settings.interval * 3).unwrap_or(TimeDelta::MAX);
    timeline.push(
        now,
        connectivity(obs),
        obs.active.clone().and_then(Result::ok),
        gap,
    );
    let status = alerts
        .iter()
        .map(|a| a.severity)
        .max()
        .unwrap_or(Status::Up);
    StoreView {
        client: client.to_string(),
        site: site.id.clone(),
        name: site.name.clone(),
        tz: site.timezone,
        at: now,
        period,
        status,
        tills: store
            .tills
            .iter()
            .map(|t| t.name.clone())
            .zip(obs.tills.iter().cloned())
            .collect(),
        iot: obs.iot.clone(),
        uplinks: store
            .uplinks
            .iter()
            .map(|u| u.role)
            .zip(obs.uplinks.iter().cloned())
            .collect(),
        active: obs.active.clone(),
        sessions: obs.odoo.clone(),
        odoo_health: obs.odoo_health.clone(),
        alerts,
        timeline: timeline.clone(),
        today: day::today(site, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pos::{PosSettings, SessionState, Target, Till, Uplink};
    use crate::model::{DayHours, OpeningHours, TimeOfDay};

    fn site() -> Site {
        let open = DayHours::Open {
            open: TimeOfDay::new(9, 0).unwrap(),
            close: TimeOfDay::new(20, 0).unwrap(),
        };
        Site {
            id: "s".into(),
            name: "S".into(),
            timezone: chrono_tz::Europe::Paris,
            hours: OpeningHours { days: [open; 7] },
            pos: None,
        }
    }

    fn store() -> StorePos {
        let settings = PosSettings {
            alert_after: std::time::Duration::ZERO,
            ..PosSettings::default()
        };
        StorePos {
            tills: vec![
                Till {
                    name: "T1".into(),
                    target: Target::Tcp("t1:9100".into()),
                },
                Till {
                    name: "T2".into(),
                    target: Target::Tcp("t2:9100".into()),
                },
            ],
            iot: None,
            uplinks: vec![
                Uplink {
                    role: UplinkRole::Main,
                    target: Target::Tcp("r1:80".into()),
                },
                Uplink {
                    role: UplinkRole::Backup,
                    target: Target::Tcp("r2:80".into()),
                },
            ],
            traffic: None,
            configs: vec!["Caisse".into()],
            settings,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn up() -> Reading {
        Reading::up(3)
    }

    fn down() -> Reading {
        Reading::down("refused")
    }

    fn opened_today() -> Vec<PosSession> {
        vec![PosSession {
            id: 1,
            name: "POS/1".into(),
            config: "Caisse".into(),
            state: SessionState::Opened,
            start_at: Some(at("2026-06-10T06:55:00Z")),
            stop_at: None,
            rescue: false,
        }]
    }

    #[test]
    fn store_verdict_by_time_probes_and_session() {
        let ok = opened_today();
        type Case = (
            &'static str,
            &'static str,
            Vec<Reading>,
            Vec<Reading>,
            Option<Result<UplinkRole, String>>,
            Option<Result<Vec<PosSession>, OdooProblem>>,
            Status,
        );
        let cases: Vec<Case> = vec![
            (
                "all well at midday",
                "2026-06-10T10:00:00Z",
                vec![up(), up()],
                vec![up(), up()],
                Some(Ok(UplinkRole::Main)),
                Some(Ok(ok.clone())),
                Status::Up,
            ),
            (
                "a till down at midday is a warning",
                "2026-06-10T10:00:00Z",
                vec![up(), down()],
                vec![up(), up()],
                None,
                Some(Ok(ok.clone())),
                Status::Degraded,
            ),
            (
                "a till down at opening is critical",
                "2026-06-10T07:10:00Z",
                vec![up(), down()],
                vec![up(), up()],
                None,
                Some(Ok(ok.clone())),
                Status::Down,
            ),
            (
                "a till down at closing is critical",
                "2026-06-10T17:45:00Z",
                vec![down(), up()],
                vec![up(), up()],
                None,
                Some(Ok(ok.clone())),
                Status::Down,
            ),
            (
                "a till off at night is fine",
                "2026-06-10T22:00:00Z",
                vec![down(), down()],
                vec![up(), up()],
                None,
                None,
                Status::Up,
            ),
            (
                "an open session with every line down at opening is critical",
                "2026-06-10T07:10:00Z",
                vec![up(), up()],
                vec![down(), down()],
                None,
                Some(Ok(ok.clone())),
                Status::Down,
            ),
            (
                "failover to 4G at opening is a warning",
                "2026-06-10T07:10:00Z",
                vec![up(), up()],
                vec![down(), up()],
                Some(Ok(UplinkRole::Backup)),
                Some(Ok(ok.clone())),
                Status::Degraded,
            ),
            (
                "a router page that changed is a warning",
                "2026-06-10T10:00:00Z",
                vec![up(), up()],
                vec![up(), up()],
                Some(Err("router page has no /wan".into())),
                Some(Ok(ok.clone())),
                Status::Degraded,
            ),
            (
                "Odoo unreachable at opening is critical",
                "2026-06-10T07:10:00Z",
                vec![up(), up()],
                vec![up(), up()],
                None,
                Some(Err(OdooProblem::Unreachable("timeout".into()))),
                Status::Down,
            ),
            (
                "wrong Odoo credentials are a warning",
                "2026-06-10T07:10:00Z",
                vec![up(), up()],
                vec![up(), up()],
                None,
                Some(Err(OdooProblem::WrongCredentials)),
                Status::Degraded,
            ),
            (
                "POS not installed is a warning",
                "2026-06-10T10:00:00Z",
                vec![up(), up()],
                vec![up(), up()],
                None,
                Some(Err(OdooProblem::PosNotInstalled)),
                Status::Degraded,
            ),
        ];
        for (name, now, tills, uplinks, active, odoo, want) in cases {
            let obs = Observation {
                at: at(now),
                tills,
                iot: None,
                uplinks,
                active,
                odoo,
                odoo_health: None,
            };
            let view = judge(
                "c",
                &site(),
                &store(),
                &obs,
                &mut AlertTracker::default(),
                &mut Timeline::default(),
            );
            assert_eq!(view.status, want, "{name}: {:?}", view.alerts);
        }
    }

    #[test]
    fn the_alert_waits_for_the_minimum_duration() {
        let mut store = store();
        store.settings.alert_after = std::time::Duration::from_secs(60);
        let mut tracker = AlertTracker::default();
        let mut tl = Timeline::default();
        let mut statuses = Vec::new();
        for now in [
            "2026-06-10T07:10:00Z",
            "2026-06-10T07:10:30Z",
            "2026-06-10T07:11:00Z",
        ] {
            let obs = Observation {
                at: at(now),
                tills: vec![down(), up()],
                iot: None,
                uplinks: vec![up(), up()],
                active: None,
                odoo: Some(Ok(opened_today())),
                odoo_health: None,
            };
            statuses.push(judge("c", &site(), &store, &obs, &mut tracker, &mut tl).status);
        }
        assert_eq!(statuses, vec![Status::Up, Status::Up, Status::Down]);
    }
}
