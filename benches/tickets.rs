//! The Tickets pane with 1,000 open tickets: judge every ticket against its
//! client's contract (business-hours deadlines), sort by urgency, filter,
//! and draw a 200x60 frame with the pane focused and zoomed.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vigie::demo;
use vigie::model::tickets::{Journal, Ticket};
use vigie::sources::tickets::desk::DeskView;
use vigie::store::tickets::Cached;
use vigie::ui::app::{App, Modes, Msg, update};
use vigie::ui::keymap::Keymap;
use vigie::ui::panes::PaneId;
use vigie::ui::panes::tickets::{TicketsFeed, rows};
use vigie::ui::render::render;
use vigie::ui::theme::{ColorDepth, ThemeSet};

fn app_with(n: u64) -> App {
    let config = demo::config_for("127.0.0.1:9".parse().expect("address")).expect("demo config");
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
    let priorities = ["Urgent", "High", "Normal", "Low"];
    let clients = ["cagette", "velo", "mairie"];
    let tickets: Vec<Ticket> = (0..n)
        .map(|i| {
            let created = now - chrono::Duration::minutes((i as i64 * 37) % (60 * 24 * 20));
            Ticket {
                id: 10_000 + i,
                project: "p".into(),
                client: Some(clients[(i % 3) as usize].into()),
                title: format!("Ticket number {i} about something on the till"),
                status: "New".into(),
                closed: false,
                priority: priorities[(i % 4) as usize].into(),
                tracker: "Support".into(),
                author: "Client".into(),
                assignee: None,
                created,
                updated: created,
                spent: Duration::from_secs((i % 7) * 900),
                first_time_entry: None,
                journals: (0..(i % 3))
                    .map(|j| Journal {
                        at: created + chrono::Duration::minutes(30 * (j as i64 + 1)),
                        author: if j == 0 {
                            "Client".into()
                        } else {
                            "Alice".into()
                        },
                        notes: Some("note".into()),
                        status_change: None,
                    })
                    .collect(),
                url: None,
                intervention: None,
                journals_as_of: None,
            }
        })
        .collect();
    let feed = TicketsFeed {
        view: Some(DeskView {
            cached: Cached {
                tickets,
                synced: Some(now),
                error: None,
                cursor: None,
            },
            error: None,
            timer: None,
            pending: vec![],
            entries: vec![],
            unread: 0,
        }),
        backend: "redmine".into(),
        ..TicketsFeed::default()
    };
    update(&mut app, Msg::Tickets(Box::new(feed)));
    app.focus = PaneId::Tickets;
    app.zoomed = true;
    app
}

fn tickets(c: &mut Criterion) {
    let app = app_with(1_000);
    c.bench_function("tickets_1000_judge_sort_filter", |b| {
        b.iter(|| black_box(rows(&app.data, black_box("till")).len()))
    });
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    c.bench_function("tickets_1000_frame_200x60", |b| {
        b.iter(|| {
            terminal.draw(|f| render(black_box(&app), f)).expect("draw");
        })
    });
}

criterion_group!(benches, tickets);
criterion_main!(benches);
