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

criterion_group!(benches, first_frame, full_frame);
criterion_main!(benches);
