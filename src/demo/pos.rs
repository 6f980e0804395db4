//! The demo's stores: two shops of the coop on loopback. Magasin Sud fails
//! over to its 4G router for six minutes every hour (and did so
//! around midday today); Épicerie Nord's session was left open last night.
//! Tills, IoT boxes and routers are HTTP endpoints here; Odoo is the
//! project's stand-in, filled with sessions relative to now.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{DateTime, TimeDelta, Timelike, Utc};

use super::odoo::{self, OdooDb, User};
use crate::model::Status;
use crate::model::pos::{StoreView, Timeline, UplinkRole, day};
use crate::model::{Fleet, Site};

/// The demo's Odoo login and key (written to an owner-only file).
pub const DEMO_LOGIN: &str = "vigie";
pub const DEMO_KEY: &str = "demo-api-key";

/// Whether Magasin Sud's main line is down now (6 minutes an hour).
pub fn sud_on_backup(now: DateTime<Utc>) -> bool {
    (40..46).contains(&now.minute())
}

pub fn routes() -> Router {
    Router::new()
        .route("/pos/{store}/till/{n}", get(till))
        .route("/pos/{store}/hw_proxy/hello", get(|| async { "ping" }))
        .route("/pos/{store}/main", get(main_line))
        .route("/pos/{store}/backup", get(|| async { "LTE router ok" }))
        .route("/pos/{store}/router.json", get(router))
}

async fn till(Path((store, n)): Path<(String, u32)>) -> (StatusCode, &'static str) {
    // Till 3 of Sud is switched off a minute out of ten.
    if store == "magasin" && n == 3 && Utc::now().minute() % 10 == 7 {
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    }
    (StatusCode::OK, "ok")
}

async fn main_line(Path(store): Path<String>) -> (StatusCode, &'static str) {
    if store == "magasin" && sud_on_backup(Utc::now()) {
        (StatusCode::SERVICE_UNAVAILABLE, "wan down")
    } else {
        (StatusCode::OK, "wan up")
    }
}

async fn router(Path(store): Path<String>) -> String {
    let active = if store == "magasin" && sud_on_backup(Utc::now()) {
        "lte"
    } else {
        "wan"
    };
    format!(r#"{{"wan": {{"active": "{active}", "lte_signal_dbm": -79}}}}"#)
}

/// Fills the Odoo stand-in: Sud's sessions are opened and closed on time;
/// Nord's last session was opened at its previous opening and never closed.
pub fn fill_odoo(db: &mut OdooDb, fleet: &Fleet, now: DateTime<Utc>) {
    db.name = "coop".into();
    db.users = vec![User {
        login: DEMO_LOGIN.into(),
        key: DEMO_KEY.into(),
        uid: 2,
    }];
    let mut configs = Vec::new();
    let mut sessions = Vec::new();
    let mut id = 100;
    let sites = fleet
        .clients
        .iter()
        .flat_map(|c| c.sites.iter())
        .filter(|s| s.pos.is_some());
    for site in sites {
        let Some(store) = &site.pos else { continue };
        for name in &store.configs {
            id += 1;
            let config = (id, name.as_str());
            configs.push(odoo::pos_config(id, name));
            let days = openings_before(site, now);
            if site.id == "nord" {
                // Last night: the previous opening day's session, opened
                // and never closed.
                let today = day::local_date(site, now);
                if let Some(d) = days.iter().rev().find(|d| d.date < today && d.close <= now) {
                    id += 1;
                    sessions.push(odoo::pos_session(
                        id,
                        config,
                        "opened",
                        Some(d.open - TimeDelta::minutes(4)),
                        None,
                        false,
                    ));
                }
            } else {
                for d in &days {
                    id += 1;
                    let closed = d.close <= now;
                    let (state, stop) = if closed {
                        ("closed", Some(d.close + TimeDelta::minutes(12)))
                    } else {
                        ("opened", None)
                    };
                    if d.open - TimeDelta::minutes(10) <= now {
                        sessions.push(odoo::pos_session(
                            id,
                            config,
                            state,
                            Some(d.open - TimeDelta::minutes(10)),
                            stop,
                            false,
                        ));
                    }
                }
            }
        }
    }
    let mut models = BTreeMap::new();
    models.insert("pos.config".to_string(), configs);
    models.insert("pos.session".to_string(), sessions);
    db.models = models;
}

/// The store's openings of the last three days up to today.
fn openings_before(site: &Site, now: DateTime<Utc>) -> Vec<day::StoreDay> {
    let today = day::local_date(site, now);
    (0..3)
        .rev()
        .filter_map(|back| today.checked_sub_days(chrono::Days::new(back)))
        .filter_map(|d| day::day_of(site, d))
        .collect()
}

/// Today's earlier connectivity for the demo's timelines: on the main line
/// all day, Sud on 4G from 11:20 to 13:05 (local), and its hourly
/// failovers.
pub fn seed_timelines(
    views: &mut BTreeMap<(String, String), StoreView>,
    fleet: &Fleet,
    now: DateTime<Utc>,
) {
    for ((client, site_id), view) in views.iter_mut() {
        let Some(site) = fleet
            .client(client)
            .and_then(|c| c.sites.iter().find(|s| &s.id == site_id))
        else {
            continue;
        };
        let start = day::today(site, now)
            .map_or(now - TimeDelta::hours(12), |d| d.open - TimeDelta::hours(1));
        let mut tl = Timeline::default();
        let mut t = start.min(now);
        while t < now {
            let local = t.with_timezone(&site.timezone);
            let minutes = local.hour() * 60 + local.minute();
            let backup = site.id == "magasin"
                && ((11 * 60 + 20..13 * 60 + 5).contains(&minutes) || sud_on_backup(t));
            let (status, line) = if backup {
                (Status::Degraded, UplinkRole::Backup)
            } else {
                (Status::Up, UplinkRole::Main)
            };
            tl.push(t, status, Some(line), TimeDelta::minutes(5));
            t += TimeDelta::minutes(1);
        }
        for s in &view.timeline.segments {
            tl.push(s.from, s.status, s.uplink, TimeDelta::minutes(5));
            tl.push(s.to, s.status, s.uplink, TimeDelta::minutes(5));
        }
        view.timeline = tl;
    }
}
