//! The wall display with 1,000 hosts: the cost of a frame, and the bytes an
//! idle second sends to the terminal through the console's own draw path
//! (ratatui's diff, synchronized update, crossterm), printed before the
//! timings. `cargo bench --bench wall`.

use std::fmt::Write as _;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use vigie::model::{CheckResult, Status};
use vigie::ui::app::{App, Modes};
use vigie::ui::keymap::Keymap;
use vigie::ui::terminal::{BasicColours, draw_frame};
use vigie::ui::theme::{ColorDepth, ThemeSet};
use vigie::ui::wall::Wall;

/// Counts bytes and throws them away.
#[derive(Clone, Default)]
struct Count(Arc<AtomicUsize>);

impl Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(buf.len(), Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// 200 clients, 5 hosts each (1,000), 3 checks per host; one check in 40
/// down, one in 25 degraded.
fn wall_app() -> App {
    let mut toml = String::from(
        "[contracts.std]\nintervention = { urgent = \"2h\" }\nhourly_rate = 120\nmonthly_fee = 300\n",
    );
    for c in 0..200 {
        let hosts: Vec<String> = (0..5).map(|k| format!("\"h{c}-{k}\"")).collect();
        let _ = write!(
            toml,
            "[clients.c{c}]\nname = \"Client {c}\"\ntimezone = \"Europe/Paris\"\ncontract = \"std\"\n\
             [clients.c{c}.environments.prod]\nhosts = [{}]\n",
            hosts.join(", ")
        );
        for k in 0..5 {
            let h = format!("h{c}-{k}");
            let _ = write!(
                toml,
                "[hosts.{h}]\naddress = \"10.0.0.1\"\n\
                 [[hosts.{h}.checks]]\nname = \"web\"\nkind = \"http\"\nurl = \"https://{h}.example.org\"\n\
                 [[hosts.{h}.checks]]\nname = \"db\"\nkind = \"tcp\"\naddress = \"10.0.0.1:5432\"\n\
                 [[hosts.{h}.checks]]\nname = \"node\"\nkind = \"node_exporter\"\nurl = \"http://10.0.0.1:9100/metrics\"\n"
            );
        }
    }
    let config = vigie::config::parse(&toml, std::path::Path::new("<bench>")).expect("config");
    assert_eq!(config.fleet.hosts.len(), 1_000);
    let themes = ThemeSet::load(None).expect("themes");
    let theme = themes.resolve("dark", ColorDepth::Ansi256).expect("theme");
    let now = Utc
        .with_ymd_and_hms(2026, 11, 22, 17, 42, 0)
        .single()
        .expect("time");
    let fleet = Arc::new(config.fleet);
    let mut app = App::new(
        fleet.clone(),
        Arc::new(themes),
        theme,
        Keymap::load("default", None).expect("keymap"),
        now,
        chrono_tz::Europe::Paris,
        Modes {
            demo: false,
            read_only: true,
        },
    );
    app.wall = Some(Wall::default());
    for (i, (_, check)) in fleet.checks().enumerate() {
        let status = if i % 40 == 0 {
            Status::Down
        } else if i % 25 == 0 {
            Status::Degraded
        } else {
            Status::Up
        };
        app.data.record(&CheckResult::observed(
            check.id.clone(),
            now - Duration::minutes(30),
            status,
            Some(40),
            "HTTP 503 Service Unavailable",
        ));
    }
    app
}

fn idle_bytes(app: &mut App, width: u16, height: u16, seconds: i64) -> (usize, usize) {
    let count = Count::default();
    let backend = CrosstermBackend::new(BasicColours::new(count.clone()));
    let mut terminal = Terminal::with_options(
        backend,
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, width, height)),
        },
    )
    .expect("terminal");
    draw_frame(&mut terminal, app).expect("draw");
    let first = count.0.swap(0, Ordering::Relaxed);
    let start = app.data.now;
    for s in 1..=seconds {
        app.data.now = start + Duration::seconds(s);
        draw_frame(&mut terminal, app).expect("draw");
    }
    app.data.now = start;
    (first, count.0.load(Ordering::Relaxed))
}

fn wall(c: &mut Criterion) {
    let mut app = wall_app();
    for every in [10, 30] {
        if let Some(w) = app.wall.as_mut() {
            w.rotate_every_secs = every;
        }
        for (w, h) in [(200, 60), (80, 24)] {
            let (first, idle) = idle_bytes(&mut app, w, h, 600);
            println!(
                "wall {w}x{h}, 1,000 hosts: first frame {first} bytes; idle, one frame a second for 600 s: {idle} bytes = {:.0} bytes/s (pages turn every {every} s)",
                idle as f64 / 600.0
            );
        }
    }
    if let Some(w) = app.wall.as_mut() {
        w.rotate_every_secs = 10;
    }
    let count = Count::default();
    let mut terminal = Terminal::with_options(
        CrosstermBackend::new(BasicColours::new(count)),
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 200, 60)),
        },
    )
    .expect("terminal");
    let start = app.data.now;
    let mut s = 0;
    c.bench_function("wall_1000_hosts_200x60_tick", |b| {
        b.iter(|| {
            s += 1;
            app.data.now = start + Duration::seconds(s);
            draw_frame(&mut terminal, &app).expect("draw");
        })
    });
}

criterion_group!(benches, wall);
criterion_main!(benches);
