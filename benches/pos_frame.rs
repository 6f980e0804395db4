//! A POS frame: the pane zoomed at 200x60 with 50 stores of 10 tills, each
//! with a day of timeline and alerts.

use std::hint::black_box;
use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vigie::model::Status;
use vigie::model::pos::{Alert, Reading, UplinkRole};
use vigie::ui::app::{App, Modes};
use vigie::ui::keymap::Keymap;
use vigie::ui::panes::PaneId;
use vigie::ui::render::render;
use vigie::ui::theme::{ColorDepth, ThemeSet};

fn app_with_stores(stores: usize, tills: usize) -> App {
    let mut toml = String::from(
        "[contracts.c]\nintervention = { urgent = \"2h\" }\nhourly_rate = 1.0\nmonthly_fee = 1.0\n[clients.coop]\nname = \"Coop\"\ntimezone = \"Europe/Paris\"\ncontract = \"c\"\n",
    );
    for s in 0..stores {
        let list: Vec<String> = (0..tills)
            .map(|t| format!("{{ name = \"T{t}\", address = \"10.0.{s}.{t}\", port = 9100 }}"))
            .collect();
        toml.push_str(&format!(
            "[clients.coop.sites.s{s}]\nname = \"Store {s}\"\nhours = {{ mon = \"08:00-20:00\", tue = \"08:00-20:00\", wed = \"08:00-20:00\", thu = \"08:00-20:00\", fri = \"08:00-20:00\", sat = \"08:00-20:00\", sun = \"08:00-20:00\" }}\n\
             [clients.coop.sites.s{s}.pos]\ntills = [{}]\niot = \"http://10.0.{s}.200\"\nmain = {{ address = \"10.0.{s}.1\", port = 80 }}\nbackup = {{ url = \"http://10.0.{s}.2/\" }}\n",
            list.join(", ")
        ));
    }
    let config = vigie::config::parse(&toml, std::path::Path::new("<bench>")).expect("config");
    let themes = ThemeSet::load(None).expect("themes");
    let theme = themes
        .resolve("dark", ColorDepth::TrueColor)
        .expect("theme");
    let keymap = Keymap::load("default", None).expect("keymap");
    let now = Utc::now();
    let mut app = App::new(
        Arc::new(config.fleet),
        Arc::new(themes),
        theme,
        keymap,
        now,
        chrono_tz::Europe::Paris,
        Modes::default(),
    );
    let mut views: Vec<_> = app.data.pos.values().cloned().collect();
    for (i, v) in views.iter_mut().enumerate() {
        let status = [Status::Up, Status::Up, Status::Degraded, Status::Down][i % 4];
        v.status = status;
        for (j, (_, r)) in v.tills.iter_mut().enumerate() {
            *r = if (i + j) % 7 == 0 {
                Reading::down("connect: refused")
            } else {
                Reading::up(3 + j as u32)
            };
        }
        v.iot = Some(Reading::up(2));
        v.uplinks = vec![
            (UplinkRole::Main, Reading::up(1)),
            (UplinkRole::Backup, Reading::up(4)),
        ];
        v.active = Some(Ok(if i % 3 == 0 {
            UplinkRole::Backup
        } else {
            UplinkRole::Main
        }));
        let mut t = now - TimeDelta::hours(14);
        while t < now {
            let s = if (t.timestamp() / 600) % 9 == 0 {
                Status::Degraded
            } else {
                Status::Up
            };
            v.timeline
                .push(t, s, Some(UplinkRole::Main), TimeDelta::minutes(1));
            t += TimeDelta::seconds(10);
        }
        if status != Status::Up {
            v.alerts = vec![Alert {
                key: "till-down:T0".into(),
                severity: status,
                message: "till T0 unreachable: connect: refused".into(),
                since: now,
                occurrences: 2,
            }];
        }
    }
    // As the console takes them in: each tile is worked out once.
    for v in views {
        app.data.set_pos(v);
    }
    app.focus = PaneId::Pos;
    app.zoomed = true;
    app
}

fn pos_frame(c: &mut Criterion) {
    let app = app_with_stores(50, 10);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    c.bench_function("pos_frame_50_stores_200x60", |b| {
        b.iter(|| {
            terminal.draw(|f| render(black_box(&app), f)).expect("draw");
        })
    });
}

criterion_group!(benches, pos_frame);
criterion_main!(benches);
