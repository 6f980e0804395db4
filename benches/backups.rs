//! Backups: judging 200 sources of 400 restore points each (the overview
//! the pane and `vigie backups` build), and a calendar frame at 200x60 with
//! those sources.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vigie::model::backup::{BackupRun, RestorePoint, RunOutcome, SourceRecord, overview};
use vigie::ui::app::{App, Modes};
use vigie::ui::keymap::Keymap;
use vigie::ui::panes::PaneId;
use vigie::ui::render::render;
use vigie::ui::theme::{ColorDepth, ThemeSet};

const CLIENTS: usize = 20;
const SOURCES: usize = 200;
const POINTS: usize = 400;

fn config() -> vigie::config::Config {
    let mut toml = String::from(
        "[contracts.c]\nintervention = { urgent = \"2h\" }\nhourly_rate = 1.0\nmonthly_fee = 1.0\n",
    );
    for c in 0..CLIENTS {
        toml.push_str(&format!(
            "[clients.c{c}]\nname = \"Client {c}\"\ntimezone = \"Europe/Paris\"\ncontract = \"c\"\n"
        ));
    }
    for s in 0..SOURCES {
        toml.push_str(&format!(
            "[backups.s{s}]\nclient = \"c{}\"\nkind = \"restic\"\nrepository = \"/srv/restic/{s}\"\npassword_env = \"PW\"\nretention_days = 30\nmin_size = \"1MB\"\n",
            s % CLIENTS
        ));
    }
    vigie::config::parse(&toml, std::path::Path::new("<bench>")).expect("config")
}

/// 400 daily points per source, a missing day and a small one here and
/// there, and a run log of the same days.
fn records() -> BTreeMap<String, SourceRecord> {
    let now = Utc::now();
    (0..SOURCES)
        .map(|s| {
            let mut points = Vec::with_capacity(POINTS);
            let mut runs = Vec::with_capacity(POINTS);
            for d in 0..POINTS {
                if (d + s) % 97 == 5 {
                    continue;
                }
                let at = now - TimeDelta::days(d as i64) - TimeDelta::hours(3);
                let size = if (d + s) % 61 == 3 {
                    1_000
                } else {
                    50_000_000 + d as u64
                };
                points.push(RestorePoint {
                    id: format!("{s:04}{d:04}"),
                    at,
                    size: Some(size),
                    duration: Some(Duration::from_secs(300)),
                    detail: "odoo-coop /var/lib/postgresql".into(),
                });
                runs.push(BackupRun {
                    at,
                    started: Some(at - TimeDelta::minutes(5)),
                    outcome: RunOutcome::Success,
                    size: Some(size),
                });
            }
            let rec = SourceRecord {
                points,
                runs,
                checked: Some(now),
                error: None,
                note: None,
            };
            (format!("s{s}"), rec)
        })
        .collect()
}

fn evaluate(c: &mut Criterion) {
    let config = config();
    let records = records();
    c.bench_function("backups_overview_200_sources_400_points", |b| {
        b.iter(|| overview(black_box(&config.fleet), black_box(&records), Utc::now()))
    });
}

fn frame(c: &mut Criterion) {
    let config = config();
    let themes = ThemeSet::load(None).expect("themes");
    let theme = themes
        .resolve("dark", ColorDepth::TrueColor)
        .expect("theme");
    let keymap = Keymap::load("default", None).expect("keymap");
    let mut app = App::new(
        Arc::new(config.fleet),
        Arc::new(themes),
        theme,
        keymap,
        Utc::now(),
        chrono_tz::Europe::Paris,
        Modes::default(),
    );
    app.data.backups.set(records());
    app.focus = PaneId::Backups;
    app.zoomed = true;
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    // The first frame builds what the pane caches per generation of the records.
    terminal.draw(|f| render(&app, f)).expect("draw");
    c.bench_function("backups_frame_200_sources_200x60", |b| {
        b.iter(|| {
            terminal.draw(|f| render(black_box(&app), f)).expect("draw");
        })
    });
}

criterion_group!(benches, evaluate, frame);
criterion_main!(benches);
