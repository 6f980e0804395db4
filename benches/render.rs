//! Rendering costs: the console's first frame (state built from the demo
//! configuration, then drawn) and a full frame at 200x60 on a busy state.

use std::hint::black_box;
use std::sync::Arc;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vigie::demo;
use vigie::model::{CheckResult, Status};
use vigie::ui::app::{App, Modes};
use vigie::ui::keymap::Keymap;
use vigie::ui::render::render;
use vigie::ui::theme::{ColorDepth, ThemeSet};

fn build_app() -> App {
    let config = demo::config_for("127.0.0.1:9".parse().expect("address")).expect("demo config");
    let themes = ThemeSet::load(None).expect("themes");
    let theme = themes
        .resolve("dark", ColorDepth::TrueColor)
        .expect("theme");
    let keymap = Keymap::load("default", None).expect("keymap");
    App::new(
        Arc::new(config.fleet),
        Arc::new(themes),
        theme,
        keymap,
        Utc::now(),
        chrono_tz::Europe::Paris,
        Modes {
            demo: true,
            read_only: false,
        },
    )
}

fn first_frame(c: &mut Criterion) {
    c.bench_function("first_frame_demo_config_to_200x60", |b| {
        b.iter(|| {
            let app = build_app();
            let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
            terminal.draw(|f| render(black_box(&app), f)).expect("draw");
        })
    });
}

fn full_frame(c: &mut Criterion) {
    let mut app = build_app();
    let ids: Vec<String> = app.data.fleet.checks().map(|(_, c)| c.id.clone()).collect();
    for (i, id) in ids.iter().enumerate() {
        let status = [Status::Up, Status::Degraded, Status::Down][i % 3];
        app.data.record(&CheckResult::observed(
            id.clone(),
            Utc::now(),
            status,
            Some(40 + i as u32),
            "200 OK",
        ));
    }
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    c.bench_function("full_frame_200x60", |b| {
        b.iter(|| {
            // A new frame each time, as after a resize: every cell redrawn.
            terminal.draw(|f| render(black_box(&app), f)).expect("draw");
        })
    });
}

/// A fleet of 1,000 hosts (200 clients, each with prod, preprod and dev),
/// three checks each, with metrics and history: the Health pane zoomed at
/// 200x60, as an operator of a large fleet sees it.
fn health_1000_hosts(c: &mut Criterion) {
    use std::collections::HashMap;
    use std::fmt::Write as _;
    use vigie::model::Metric;
    use vigie::ui::history::{ClientMonth, HealthHistory};

    let mut toml = String::from(
        "[contracts.std]\nintervention = { urgent = \"2h\" }\nhourly_rate = 120\nmonthly_fee = 300\n",
    );
    for c in 0..200 {
        let _ = write!(
            toml,
            "[clients.c{c}]\nname = \"Client {c}\"\ntimezone = \"Europe/Paris\"\ncontract = \"std\"\n"
        );
        for (e, env) in ["prod", "preprod", "dev"].iter().enumerate() {
            let hosts: Vec<String> = (0..if e == 0 { 3 } else { 1 })
                .map(|k| format!("\"h{c}-{env}-{k}\""))
                .collect();
            let _ = write!(
                toml,
                "[clients.c{c}.environments.{env}]\nhosts = [{}]\n",
                hosts.join(", ")
            );
        }
    }
    for c in 0..200 {
        for (env, n) in [("prod", 3), ("preprod", 1), ("dev", 1)] {
            for k in 0..n {
                let h = format!("h{c}-{env}-{k}");
                let _ = write!(
                    toml,
                    "[hosts.{h}]\naddress = \"10.0.0.1\"\n\
                     [[hosts.{h}.checks]]\nname = \"web\"\nkind = \"http\"\nurl = \"https://{h}.example.org\"\n\
                     [[hosts.{h}.checks]]\nname = \"db\"\nkind = \"tcp\"\naddress = \"10.0.0.1:5432\"\n\
                     [[hosts.{h}.checks]]\nname = \"node\"\nkind = \"node_exporter\"\nurl = \"http://10.0.0.1:9100/metrics\"\n"
                );
            }
        }
    }
    let config =
        vigie::config::parse(&toml, std::path::Path::new("<bench>")).expect("bench config");
    assert_eq!(config.fleet.hosts.len(), 1_000);
    let mut app = build_app();
    app.data =
        vigie::ui::panes::Data::new(Arc::new(config.fleet), Utc::now(), chrono_tz::Europe::Paris);
    let ids: Vec<String> = app.data.fleet.checks().map(|(_, c)| c.id.clone()).collect();
    let mut sparklines = HashMap::new();
    let mut check_month = HashMap::new();
    for (i, id) in ids.iter().enumerate() {
        let status = [
            Status::Up,
            Status::Up,
            Status::Up,
            Status::Degraded,
            Status::Down,
        ][i % 5];
        let mut r = CheckResult::observed(
            id.clone(),
            Utc::now(),
            status,
            Some(40 + (i % 50) as u32),
            "200 OK",
        );
        r.metrics = vec![
            Metric::new("cpu_busy_pct", (i % 100) as f64),
            Metric::new("mem_used_pct", 50.0),
            Metric::new("disk_used_pct:/", 70.0),
            Metric::new("tls_days_left", 40.0),
        ];
        app.data.record(&r);
        sparklines.insert(
            id.clone(),
            (0..60).map(|m| Some(f64::from(m % 7))).collect(),
        );
        check_month.insert(id.clone(), Some(99.95));
    }
    let client_month = (0..200)
        .map(|c| {
            (
                format!("c{c}"),
                ClientMonth {
                    availability: Some(99.8),
                    target: 99.9,
                    credit: vigie::model::money::Decimal::from(30),
                    currency: "EUR".into(),
                },
            )
        })
        .collect();
    app.data.history = HealthHistory {
        sparklines,
        check_month,
        client_month,
    };
    app.zoomed = true;
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    c.bench_function("health_1000_hosts_200x60", |b| {
        b.iter(|| {
            terminal.draw(|f| render(black_box(&app), f)).expect("draw");
        })
    });
}

criterion_group!(benches, first_frame, full_frame, health_1000_hosts);
criterion_main!(benches);
