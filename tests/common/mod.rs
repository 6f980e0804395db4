//! A console in a known state, for snapshot and update tests.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use vigie::demo;
use vigie::model::{CheckResult, Status};
use vigie::ui::app::{App, Modes};
use vigie::ui::keymap::Keymap;
use vigie::ui::theme::{ColorDepth, ThemeSet};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 17, 42, 7)
        .single()
        .unwrap()
}

/// The demo fleet (pointed at a dead address; nothing is probed) with
/// results recorded by hand: one check down, one degraded, the rest up,
/// one never run.
pub fn app_with(theme: &str, depth: ColorDepth, keymap: &str) -> App {
    let config = demo::config_for("127.0.0.1:9".parse().unwrap()).unwrap();
    let themes = ThemeSet::load(None).unwrap();
    let theme = themes.resolve(theme, depth).unwrap();
    let keymap = Keymap::load(keymap, None).unwrap();
    let fleet = Arc::new(config.fleet);
    let mut app = App::new(
        fleet.clone(),
        Arc::new(themes),
        theme,
        keymap,
        now(),
        chrono_tz::Europe::Paris,
        Modes {
            demo: true,
            read_only: false,
        },
    );
    let ids: Vec<String> = fleet.checks().map(|(_, c)| c.id.clone()).collect();
    for (i, id) in ids.iter().enumerate() {
        if id == "dev-1/node" {
            continue; // never run yet
        }
        let (status, latency, message) = match id.as_str() {
            "mutu-test/coop-test" => (Status::Down, None, "HTTP 503 Service Unavailable"),
            "odoo-coop/erp" => (Status::Degraded, Some(1312), "200 OK, slow"),
            _ => (Status::Up, Some(20 + i as u32), "200 OK"),
        };
        app.data.record(&CheckResult::observed(
            id.clone(),
            now() - Duration::minutes(3 + i as i64 * 7),
            status,
            latency,
            message,
        ));
    }
    app
}

pub fn app() -> App {
    app_with("dark", ColorDepth::TrueColor, "default")
}
