//! POS: "can every store sell, open and close today?" A tile per store,
//! worst first: its state and period, the session, tills as dots with
//! their latency, the IoT box, the line in use (main or 4G), today's
//! timeline with the opening and closing marks, and the alerts.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Data, Handled, Pane, PaneCtx, PaneId};
use crate::model::pos::{OdooProblem, StoreView, UplinkRole};
use crate::model::{Fleet, Status};
use crate::sanitize;
use crate::ui::action::Action;
use crate::ui::theme::{Role, Theme};

/// A pending view of every watched store, before the first probe.
pub fn pending_views(
    fleet: &Arc<Fleet>,
    now: DateTime<Utc>,
) -> BTreeMap<(String, String), StoreView> {
    crate::engine::pos::stores(fleet)
        .into_iter()
        .map(|(c, s, p)| {
            (
                (c.id.clone(), s.id.clone()),
                StoreView::pending(&c.id, s, p, now),
            )
        })
        .collect()
}

/// The stores in display order: worst first, then by name; those matching
/// `filter` (store or client).
pub fn ordered<'a>(data: &'a Data, filter: &str) -> Vec<&'a StoreView> {
    let needle = filter.to_lowercase();
    let mut views: Vec<&StoreView> = data
        .pos
        .values()
        .filter(|v| {
            needle.is_empty()
                || v.name.to_lowercase().contains(&needle)
                || v.client.to_lowercase().contains(&needle)
        })
        .collect();
    views.sort_by(|a, b| b.status.cmp(&a.status).then_with(|| a.name.cmp(&b.name)));
    views
}

#[derive(Default)]
pub struct PosPane {
    selected: usize,
    filter: String,
}

impl Pane for PosPane {
    fn id(&self) -> PaneId {
        PaneId::Pos
    }

    fn handle(&mut self, action: Action, data: &Data) -> Handled {
        let last = ordered(data, &self.filter).len().saturating_sub(1);
        self.selected = match action {
            Action::Up => self.selected.saturating_sub(1),
            Action::Down => (self.selected + 1).min(last),
            Action::PageUp => self.selected.saturating_sub(5),
            Action::PageDown => (self.selected + 5).min(last),
            Action::Top => 0,
            Action::Bottom => last,
            _ => return Handled::No,
        };
        Handled::Yes
    }

    fn filter(&self) -> &str {
        &self.filter
    }

    fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_string();
        self.selected = 0;
    }

    fn selected(&self) -> Option<usize> {
        Some(self.selected)
    }

    fn worst(&self, data: &Data) -> Option<Status> {
        data.pos.values().map(|v| v.status).max()
    }

    fn wall_title(&self) -> Option<&'static str> {
        Some("Stores whose tills are at risk")
    }

    /// Stores not up, worst first: the store, its period (opening and
    /// closing are critical) and its worst alert.
    fn wall_lines(&self, data: &Data, n: usize) -> Vec<super::WallLine> {
        let mut at_risk: Vec<&StoreView> = data
            .pos
            .values()
            .filter(|v| v.status != Status::Up)
            .collect();
        at_risk.sort_by(|a, b| b.status.cmp(&a.status).then(a.name.cmp(&b.name)));
        at_risk
            .into_iter()
            .take(n)
            .map(|v| {
                let why = v
                    .alerts
                    .iter()
                    .max_by_key(|a| a.severity)
                    .map(|a| sanitize::clean_short(&a.message, 80))
                    .unwrap_or_else(|| "not probed yet".into());
                super::WallLine {
                    status: v.status,
                    text: format!("{} · {}: {why}", sanitize::clean(&v.name), v.period.label()),
                }
            })
            .collect()
    }

    fn summary(&self, data: &Data) -> String {
        if data.pos.is_empty() {
            return "no stores".into();
        }
        let crit = data
            .pos
            .values()
            .filter(|v| v.status == Status::Down)
            .count();
        let warn = data
            .pos
            .values()
            .filter(|v| v.status == Status::Degraded)
            .count();
        let unknown = data
            .pos
            .values()
            .filter(|v| v.status == Status::Unknown)
            .count();
        match (crit, warn) {
            (0, 0) if unknown > 0 => format!("{unknown} not probed yet"),
            (0, 0) => format!("{} stores ok", data.pos.len()),
            (0, w) => format!("{w} warning"),
            (c, 0) => format!("{c} critical"),
            (c, w) => format!("{c} critical, {w} warning"),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &PaneCtx) {
        let theme = ctx.theme;
        if ctx.data.pos.is_empty() {
            let lines = vec![
                Line::from(Span::styled(
                    "No stores with tills configured.",
                    theme.style(Role::Text),
                )),
                Line::from(Span::styled(
                    "Add [clients.<c>.sites.<s>.pos] with tills, iot, main, backup (see README).",
                    theme.style(Role::Muted),
                )),
            ];
            frame.render_widget(Paragraph::new(lines), area);
            return;
        }
        let views = ordered(ctx.data, &self.filter);
        let selected = self.selected.min(views.len().saturating_sub(1));
        let width = usize::from(area.width);
        let height = usize::from(area.height);
        // Scroll so the selected tile is on screen: tiles before it are
        // skipped until it fits.
        let tiles: Vec<Vec<Line>> = views
            .iter()
            .map(|v| tile(v, width, ctx.data.now, theme))
            .collect();
        let mut first = 0;
        while first < selected
            && tiles[first..=selected].iter().map(Vec::len).sum::<usize>() > height
        {
            first += 1;
        }
        let mut lines: Vec<Line> = Vec::with_capacity(height);
        for (i, t) in tiles.into_iter().enumerate().skip(first) {
            if lines.len() >= height {
                break;
            }
            for (j, mut l) in t.into_iter().enumerate() {
                if i == selected && ctx.focused && j == 0 {
                    l = l.patch_style(Style::default().add_modifier(Modifier::REVERSED));
                }
                lines.push(l);
            }
        }
        lines.truncate(height);
        frame.render_widget(Paragraph::new(lines), area);
    }
}

fn hhmm(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

/// "3h12m", "45m", "2d4h".
pub fn age(d: TimeDelta) -> String {
    let m = d.num_minutes().max(0);
    match m {
        0..60 => format!("{m}m"),
        60..1440 => format!("{}h{:02}m", m / 60, m % 60),
        _ => format!("{}d{}h", m / 1440, (m % 1440) / 60),
    }
}

/// The session in a few words: state and age, or why it is not known.
pub fn session_text(v: &StoreView, now: DateTime<Utc>) -> (String, Status) {
    match &v.sessions {
        None if v.status == Status::Unknown => ("not read yet".into(), Status::Unknown),
        None => ("no Odoo configured".into(), Status::Unknown),
        Some(Err(p)) => (
            p.describe(),
            match p {
                OdooProblem::Unreachable(_) => Status::Down,
                _ => Status::Unknown,
            },
        ),
        Some(Ok(_)) => match v.current_session() {
            None => ("no session".into(), Status::Unknown),
            Some(s) => {
                let since = s
                    .start_at
                    .map(|t| format!(" {}", age(now - t)))
                    .unwrap_or_default();
                let st = if s.state.is_open() {
                    Status::Up
                } else {
                    Status::Maintenance
                };
                let rescue = if s.rescue { " (rescue)" } else { "" };
                (format!("session {}{since}{rescue}", s.state.label()), st)
            }
        },
    }
}

/// The line in use, as shown: "via main", "via 4G", or why unknown.
pub fn line_text(v: &StoreView) -> (String, Status) {
    match &v.active {
        Some(Ok(UplinkRole::Main)) => ("via main".into(), Status::Up),
        Some(Ok(UplinkRole::Backup)) => ("via 4G".into(), Status::Degraded),
        Some(Err(why)) => (format!("line ? ({why})"), Status::Unknown),
        None => (String::new(), Status::Up),
    }
}

fn tile<'a>(v: &'a StoreView, width: usize, now: DateTime<Utc>, theme: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    let muted = theme.style(Role::Muted);
    // 1: state, name, period and hours, session.
    let hours = v.today.map_or("closed today".to_string(), |d| {
        format!(
            "{} {}–{}",
            v.period.label(),
            hhmm(d.open, v.tz),
            hhmm(d.close, v.tz)
        )
    });
    let (session, sst) = session_text(v, now);
    out.push(Line::from(vec![
        Span::styled(format!("{} ", v.status.glyph()), theme.status(v.status)),
        Span::styled(
            sanitize::clean(&v.name),
            theme.style(Role::Title).add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!(" {} · {hours} · ", sanitize::clean(&v.client)),
            muted,
        ),
        Span::styled(session, theme.status(sst)),
    ]));
    // 2: the line in use and both lines first (they decide whether the
    // store reaches Odoo), then the IoT box, then the tills.
    let mut spans = vec![Span::raw("  ")];
    let (line, lst) = line_text(v);
    if !line.is_empty() {
        spans.push(Span::styled(line, theme.status(lst)));
        spans.push(Span::styled(" · ", muted));
    }
    for (role, r) in &v.uplinks {
        spans.push(Span::styled(format!("{} ", role.label()), muted));
        spans.push(Span::styled(r.status.glyph(), theme.status(r.status)));
        spans.push(Span::raw(" "));
    }
    if let Some(r) = &v.iot {
        spans.push(Span::styled("iot ", muted));
        spans.push(Span::styled(r.status.glyph(), theme.status(r.status)));
        spans.push(Span::raw(" "));
    }
    if let Some(r) = &v.odoo_health {
        spans.push(Span::styled("odoo ", muted));
        spans.push(Span::styled(r.status.glyph(), theme.status(r.status)));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled("tills ", muted));
    for (_, r) in &v.tills {
        spans.push(Span::styled(r.status.glyph(), theme.status(r.status)));
        let ms = r.latency_ms.map_or("--".to_string(), |l| l.to_string());
        spans.push(Span::styled(format!("{ms:<4}"), muted));
    }
    out.push(Line::from(spans));
    // 3: today's timeline.
    out.push(timeline(v, width, now, theme));
    // Alerts, worst first.
    for a in &v.alerts {
        let times = if a.occurrences > 1 {
            format!(" ×{}", a.occurrences)
        } else {
            String::new()
        };
        out.push(Line::from(vec![
            Span::styled(
                format!("  {} ", a.severity.glyph()),
                theme.status(a.severity),
            ),
            Span::styled(sanitize::clean(&a.message), theme.style(Role::Text)),
            Span::styled(format!(" since {}{times}", hhmm(a.since, v.tz)), muted),
        ]));
    }
    out
}

/// Today's bar: from an hour before opening to an hour after closing (the
/// whole day when closed), one cell per slice coloured by the worst
/// connectivity seen, `┃` at opening and closing, `│` now.
fn timeline<'a>(v: &StoreView, width: usize, now: DateTime<Utc>, theme: &Theme) -> Line<'a> {
    let muted = theme.style(Role::Muted);
    let (from, to) = match v.today {
        Some(d) => (d.open - TimeDelta::hours(1), d.close + TimeDelta::hours(1)),
        None => {
            let date = now.with_timezone(&v.tz).date_naive();
            let start = crate::model::pos::day::local_instant_tz(v.tz, date);
            (start, start + TimeDelta::hours(24))
        }
    };
    let cells = width.saturating_sub(14).max(10);
    let span_ms = (to - from).num_milliseconds().max(1);
    let at = |i: usize| from + TimeDelta::milliseconds(span_ms * i as i64 / cells as i64);
    let mark = |t: DateTime<Utc>| ((t - from).num_milliseconds() * cells as i64 / span_ms) as usize;
    let (open_i, close_i) = v
        .today
        .map_or((usize::MAX, usize::MAX), |d| (mark(d.open), mark(d.close)));
    let now_i = if now >= from && now < to {
        mark(now)
    } else {
        usize::MAX
    };
    let mut spans = vec![Span::styled(format!("  {} ", hhmm(from, v.tz)), muted)];
    let mut run = String::new();
    let mut run_style = muted;
    for i in 0..cells {
        let (ch, style) = if i == open_i || i == close_i {
            ('┃', theme.style(Role::Accent))
        } else if i == now_i {
            ('│', theme.style(Role::Text))
        } else if at(i) > now {
            ('·', muted)
        } else {
            match v.timeline.worst_between(at(i), at(i + 1)) {
                None => (' ', muted),
                Some((s, _)) => (
                    match s {
                        Status::Up => '▂',
                        Status::Degraded => '▅',
                        Status::Down => '█',
                        _ => '?',
                    },
                    theme.status(s),
                ),
            }
        };
        if style != run_style && !run.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut run), run_style));
        }
        run_style = style;
        run.push(ch);
    }
    if !run.is_empty() {
        spans.push(Span::styled(run, run_style));
    }
    spans.push(Span::styled(format!(" {}", hhmm(to, v.tz)), muted));
    Line::from(spans)
}
