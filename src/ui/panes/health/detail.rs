//! The detail of one host: each check's raw last result, latency and host
//! metric charts over the chosen period, and the incidents of the period.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Row, Table, TableState};

use super::{age, cells};
use crate::model::Status;
use crate::sanitize;
use crate::ui::history::{HostDetail, Period};
use crate::ui::panes::{Data, PaneCtx};
use crate::ui::theme::Role;

/// The history read for `host` over `period`, once the follower sent it.
fn read_for<'a>(data: &'a Data, host: &str, period: Period) -> Option<&'a HostDetail> {
    data.detail
        .as_ref()
        .filter(|d| d.request.host == host && d.request.period == period)
}

/// How many rows the selection moves through: the host's checks, then the
/// incidents of the period (once read).
pub(super) fn row_count(data: &Data, host: &str, period: Period) -> usize {
    let checks = data.fleet.host(host).map_or(0, |h| h.checks.len());
    checks + read_for(data, host, period).map_or(0, |d| d.incidents.len())
}

pub(super) fn render(
    frame: &mut Frame,
    area: Rect,
    ctx: &PaneCtx,
    host_name: &str,
    period: Period,
    cursor: usize,
) {
    let theme = ctx.theme;
    let data = ctx.data;
    let Some(host) = data.fleet.host(host_name) else {
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!("{} is no longer configured.", sanitize::clean(host_name)),
                theme.style(Role::Muted),
            )),
            area,
        );
        return;
    };
    let detail = read_for(data, &host.name, period);
    let cursor = cursor.min(row_count(data, &host.name, period).saturating_sub(1));

    // Title line: host, users, period switch.
    let users: Vec<String> = data
        .fleet
        .users_of(&host.name)
        .iter()
        .map(|(c, e)| format!("{} {}", sanitize::clean(&c.name), e.label()))
        .collect();
    let mut title = vec![
        Span::styled(sanitize::clean(&host.name), theme.style(Role::Title)),
        Span::styled(
            format!("  {}  ", sanitize::clean(&host.address)),
            theme.style(Role::Muted),
        ),
        Span::styled(users.join(", "), theme.style(Role::Text)),
        Span::raw("   "),
    ];
    for p in Period::ALL {
        let style = if p == period {
            theme.style(Role::Selection)
        } else {
            theme.style(Role::Muted)
        };
        title.push(Span::styled(format!(" {} ", p.label()), style));
    }
    title.push(Span::styled(
        "  ←/→ period · ↑/↓ checks, incidents · Esc back",
        theme.style(Role::Muted),
    ));

    let checks = host.checks.len() as u16;
    let incidents_height = detail.map_or(2, |d| (d.incidents.len() as u16 + 1).clamp(2, 8));
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Length(checks + 1),
            Constraint::Min(4),
            Constraint::Length(incidents_height),
        ])
        .split(area);
    frame.render_widget(Paragraph::new(Line::from(title)), rows[0]);
    let check_rows = host.checks.len();
    render_checks(frame, rows[1], ctx, host, detail, cursor);
    match detail {
        None => frame.render_widget(
            Paragraph::new(Span::styled(
                format!("reading {} of history…", period.label()),
                theme.style(Role::Muted),
            )),
            rows[2],
        ),
        Some(d) if d.error.is_some() => frame.render_widget(
            Paragraph::new(Span::styled(
                format!(
                    "history unavailable: {}",
                    sanitize::clean(d.error.as_deref().unwrap_or_default())
                ),
                theme.status(Status::Unknown),
            )),
            rows[2],
        ),
        Some(d) => {
            render_charts(frame, rows[2], ctx, d);
            render_incidents(frame, rows[3], ctx, d, cursor.checked_sub(check_rows));
        }
    }
}

/// One line per check: state, kind, the raw last result with its metrics.
fn render_checks(
    frame: &mut Frame,
    area: Rect,
    ctx: &PaneCtx,
    host: &crate::model::Host,
    detail: Option<&HostDetail>,
    cursor: usize,
) {
    let theme = ctx.theme;
    let data = ctx.data;
    let rows = host.checks.iter().map(|check| {
        let live = data.checks.get(&check.id);
        let status = live.map_or(Status::Unknown, |l| l.status);
        let mut last = match live {
            Some(l) => {
                let mut parts = vec![sanitize::clean(&l.message)];
                if l.observed != l.status && !l.is_failing() {
                    parts.push(format!("probe says {}", l.observed.label()));
                }
                if l.flapping {
                    parts.push("flapping".into());
                }
                let metrics: Vec<String> = l
                    .metrics
                    .iter()
                    .map(|m| format!("{}={}", sanitize::clean(&m.name), short(m.value)))
                    .collect();
                if !metrics.is_empty() {
                    parts.push(metrics.join(" "));
                }
                parts.push(format!("{} ago", age(l.last_at, data.now)));
                parts.join(" · ")
            }
            None => "waiting for the first result".into(),
        };
        if let Some(a) = detail
            .and_then(|d| d.checks.iter().find(|c| c.check_id == check.id))
            .and_then(|c| c.availability)
        {
            last = format!("{} · {}", cells::availability(Some(a), None).0, last);
        }
        Row::new(vec![
            Span::styled(
                format!(
                    "{} {}",
                    status.glyph(),
                    live.map_or_else(|| status.label().to_string(), |l| l.label())
                ),
                theme.status(status),
            ),
            Span::styled(sanitize::clean(&check.name), theme.style(Role::Text)),
            Span::styled(check.kind.label(), theme.style(Role::Muted)),
            Span::styled(
                cells::latency(live.and_then(|l| l.latency_ms)),
                theme.style(Role::Text),
            ),
            Span::styled(last, theme.style(Role::Muted)),
        ])
    });
    let name_width = host
        .checks
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(6)
        .clamp(5, 24) as u16;
    let table = Table::new(
        rows,
        [
            Constraint::Length(13),
            Constraint::Length(name_width),
            Constraint::Length(13),
            Constraint::Length(6),
            Constraint::Min(10),
        ],
    )
    .header(
        Row::new(["STATE", "CHECK", "KIND", "MS", "LAST RESULT"]).style(theme.style(Role::Title)),
    )
    .row_highlight_style(theme.style(Role::Selection))
    .column_spacing(1);
    let mut state =
        TableState::default().with_selected((cursor < host.checks.len()).then_some(cursor));
    frame.render_stateful_widget(table, area, &mut state);
}

/// "12", "0.5", "1.2e9": a metric value in few characters.
fn short(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{v:.1e}")
    } else if v.fract() == 0.0 || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn x_of(at: DateTime<Utc>, from: DateTime<Utc>) -> f64 {
    (at - from).num_seconds() as f64
}

/// Latency of every check on the left (or the whole width), host metrics
/// in percent on the right when the host has them, then a plugin's figures
/// (each chart only where there is room).
fn render_charts(frame: &mut Frame, area: Rect, ctx: &PaneCtx, d: &HostDetail) {
    let theme = ctx.theme;
    let span = x_of(d.to, d.from).max(1.0);
    let latency: Vec<(String, Vec<(f64, f64)>)> = d
        .checks
        .iter()
        .filter(|c| !c.latency.is_empty())
        .map(|c| {
            let name = c
                .check_id
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            let pts = c
                .latency
                .iter()
                .map(|(t, v)| (x_of(*t, d.from), *v))
                .collect();
            (name, pts)
        })
        .collect();
    let metrics: Vec<(String, Vec<(f64, f64)>)> = d
        .checks
        .iter()
        .flat_map(|c| c.metrics.iter())
        .map(|(name, pts)| {
            (
                name.clone(),
                pts.iter().map(|(t, v)| (x_of(*t, d.from), *v)).collect(),
            )
        })
        .collect();
    let figures: Vec<(String, Vec<(f64, f64)>)> = d
        .checks
        .iter()
        .flat_map(|c| c.figures.iter())
        .map(|(name, pts)| {
            (
                name.clone(),
                pts.iter().map(|(t, v)| (x_of(*t, d.from), *v)).collect(),
            )
        })
        .collect();
    if latency.is_empty() && metrics.is_empty() && figures.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "no history over this period yet",
                theme.style(Role::Muted),
            )),
            area,
        );
        return;
    }
    let shown = [
        !latency.is_empty(),
        !metrics.is_empty(),
        !figures.is_empty(),
    ]
    .iter()
    .filter(|s| **s)
    .count();
    let parts = if shown == 3 && area.width >= 120 {
        Layout::default()
            .direction(Direction::Horizontal)
            .constraints([
                Constraint::Percentage(40),
                Constraint::Percentage(30),
                Constraint::Percentage(30),
            ])
            .split(area)
            .to_vec()
    } else if shown >= 2 && area.width >= 80 {
        Layout::default()
            .direction(Direction::Horizontal)
            .constraints([Constraint::Percentage(55), Constraint::Percentage(45)])
            .split(area)
            .to_vec()
    } else {
        vec![area]
    };
    let x_labels = vec![
        Span::styled(
            format!("-{}", d.request.period.label()),
            theme.style(Role::Muted),
        ),
        Span::styled("now", theme.style(Role::Muted)),
    ];
    let mut slot = 0;
    if !latency.is_empty() {
        let max = latency
            .iter()
            .flat_map(|(_, p)| p.iter().map(|(_, v)| *v))
            .fold(1.0_f64, f64::max);
        let look = ChartLook {
            ctx,
            span,
            x_labels: &x_labels,
            title: "latency",
            y_max: max * 1.1,
            unit: " ms",
        };
        frame.render_widget(chart(&look, &latency), parts[slot]);
        slot += 1;
    }
    if !metrics.is_empty() {
        if let Some(area) = parts.get(slot) {
            let look = ChartLook {
                ctx,
                span,
                x_labels: &x_labels,
                title: "cpu · mem · disk",
                y_max: 100.0,
                unit: "%",
            };
            frame.render_widget(chart(&look, &metrics), *area);
            slot += 1;
        }
    }
    // A plugin's figures in their own units, on a scale of their own.
    if !figures.is_empty() {
        if let Some(area) = parts.get(slot) {
            let max = figures
                .iter()
                .flat_map(|(_, p)| p.iter().map(|(_, v)| *v))
                .filter(|v| v.is_finite())
                .fold(f64::MIN_POSITIVE, f64::max);
            let look = ChartLook {
                ctx,
                span,
                x_labels: &x_labels,
                title: "plugin figures",
                y_max: max * 1.1,
                unit: "",
            };
            frame.render_widget(chart(&look, &figures), *area);
        }
    }
}

struct ChartLook<'a> {
    ctx: &'a PaneCtx<'a>,
    span: f64,
    x_labels: &'a [Span<'a>],
    title: &'a str,
    y_max: f64,
    unit: &'a str,
}

fn chart<'a>(look: &ChartLook<'a>, series: &'a [(String, Vec<(f64, f64)>)]) -> Chart<'a> {
    let theme = look.ctx.theme;
    let palette = [
        Role::Accent,
        Role::Ok,
        Role::Warn,
        Role::EnvPreprod,
        Role::EnvDev,
    ];
    let datasets: Vec<Dataset> = series
        .iter()
        .enumerate()
        .map(|(i, (name, pts))| {
            Dataset::default()
                .name(sanitize::clean(name))
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.style(palette[i % palette.len()]))
                .data(pts)
        })
        .collect();
    Chart::new(datasets)
        .x_axis(
            Axis::default()
                .bounds([0.0, look.span])
                .labels(look.x_labels.to_vec())
                .style(theme.style(Role::Muted)),
        )
        .y_axis(
            Axis::default()
                .title(Span::styled(
                    look.title.to_string(),
                    theme.style(Role::Title),
                ))
                .bounds([0.0, look.y_max])
                .labels(vec![
                    Span::styled("0", theme.style(Role::Muted)),
                    Span::styled(
                        format!("{}{}", short(look.y_max), look.unit),
                        theme.style(Role::Muted),
                    ),
                ])
                .style(theme.style(Role::Muted)),
        )
        .style(Style::default())
}

/// The period's incidents; `selected` is the one under the selection, kept
/// in view when the list is longer than its area.
fn render_incidents(
    frame: &mut Frame,
    area: Rect,
    ctx: &PaneCtx,
    d: &HostDetail,
    selected: Option<usize>,
) {
    let theme = ctx.theme;
    if d.incidents.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!("no incident over the last {}", d.request.period.label()),
                theme.style(Role::Ok),
            )),
            area,
        );
        return;
    }
    let tz = ctx.data.tz;
    let rows = d.incidents.iter().map(|i| {
        let end = i.end.unwrap_or(ctx.data.now);
        let lasted = age(i.start, end);
        Row::new(vec![
            Span::styled(
                format!("{} {}", i.status.glyph(), i.status.label()),
                theme.status(i.status),
            ),
            Span::styled(
                i.start.with_timezone(&tz).format("%a %d %H:%M").to_string(),
                theme.style(Role::Text),
            ),
            Span::styled(
                match i.end {
                    Some(_) => lasted,
                    None => format!("{lasted}, ongoing"),
                },
                theme.style(Role::Text),
            ),
            Span::styled(
                i.check_id
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                theme.style(Role::Muted),
            ),
            Span::styled(sanitize::clean(&i.cause), theme.style(Role::Muted)),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(10),
            Constraint::Length(12),
            Constraint::Length(13),
            Constraint::Length(12),
            Constraint::Min(10),
        ],
    )
    .header(
        Row::new(["INCIDENT", "START", "LASTED", "CHECK", "CAUSE"]).style(theme.style(Role::Title)),
    )
    .row_highlight_style(theme.style(Role::Selection))
    .column_spacing(1);
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
}
