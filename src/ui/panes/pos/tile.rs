//! A store's tile. What a tile shows is worked out once per new view of the
//! store ([`StoreDisplay::new`], called by `update`): cleaned names, hours,
//! latencies, alert lines and today's timeline folded into one worst state
//! per minute. A frame only picks the visible tiles and cuts the minutes
//! into as many cells as the width allows.

use chrono::{DateTime, TimeDelta, Utc};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use crate::model::Status;
use crate::model::pos::{OdooProblem, StoreView, UplinkRole};
use crate::sanitize;
use crate::ui::theme::{Role, Theme};

/// A store's tile, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreDisplay {
    /// The time of the view it was built from (a newer view rebuilds it).
    pub at: DateTime<Utc>,
    name: String,
    /// " client · opening 09:00–20:00 · "
    head: String,
    line: (String, Status),
    uplinks: Vec<(&'static str, Status)>,
    iot: Option<Status>,
    odoo: Option<Status>,
    /// Each till's state and latency, padded ("3   ", "--  ").
    tills: Vec<(Status, String)>,
    /// Severity, cleaned message, " since 09:12 ×3".
    alerts: Vec<(Status, String, String)>,
    bar: Bar,
}

/// Today's timeline: the span shown and the worst state of each minute.
#[derive(Debug, Clone, PartialEq)]
struct Bar {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    from_label: String,
    to_label: String,
    open: Option<DateTime<Utc>>,
    close: Option<DateTime<Utc>>,
    minutes: Vec<Option<Status>>,
}

fn hhmm(t: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz).format("%H:%M").to_string()
}

/// The store's zone after its local hours (" CET") when it is not the
/// display zone `tz`: every other time on screen is in the display zone.
pub fn zone_label(v: &StoreView, tz: chrono_tz::Tz) -> String {
    if v.tz == tz {
        String::new()
    } else {
        v.at.with_timezone(&v.tz).format(" %Z").to_string()
    }
}

impl StoreDisplay {
    /// `tz`: the display zone (the store's hours are labelled when theirs
    /// differs).
    pub fn new(v: &StoreView, tz: chrono_tz::Tz) -> StoreDisplay {
        let hours = v.today.map_or("closed today".to_string(), |d| {
            format!(
                "{} {}–{}{}",
                v.period.label(),
                hhmm(d.open, v.tz),
                hhmm(d.close, v.tz),
                zone_label(v, tz)
            )
        });
        StoreDisplay {
            at: v.at,
            name: sanitize::clean(&v.name),
            head: format!(" {} · {hours} · ", sanitize::clean(&v.client)),
            line: line_text(v),
            uplinks: v
                .uplinks
                .iter()
                .map(|(r, x)| (r.label(), x.status))
                .collect(),
            iot: v.iot.as_ref().map(|r| r.status),
            odoo: v.odoo_health.as_ref().map(|r| r.status),
            tills: v
                .tills
                .iter()
                .map(|(_, r)| {
                    let ms = r.latency_ms.map_or("--".to_string(), |l| l.to_string());
                    (r.status, format!("{ms:<4}"))
                })
                .collect(),
            alerts: v
                .alerts
                .iter()
                .map(|a| {
                    let times = if a.occurrences > 1 {
                        format!(" ×{}", a.occurrences)
                    } else {
                        String::new()
                    };
                    (
                        a.severity,
                        sanitize::clean(&a.message),
                        // With its day when not the store's today, and the
                        // store's zone when it is not the display zone (the
                        // message's own times are the store's too).
                        format!(
                            " since {}{}{times}",
                            crate::model::hours::moment(a.since, v.at, v.tz),
                            zone_label(v, tz)
                        ),
                    )
                })
                .collect(),
            bar: Bar::new(v),
        }
    }

    /// Lines the tile takes: state, equipment, timeline, one per alert.
    pub fn height(&self) -> usize {
        3 + self.alerts.len()
    }

    /// The tile's lines; the first one reversed when `selected`.
    pub fn lines<'a>(
        &'a self,
        v: &StoreView,
        width: usize,
        now: DateTime<Utc>,
        theme: &Theme,
        selected: bool,
    ) -> Vec<Line<'a>> {
        let muted = theme.style(Role::Muted);
        let mut out = Vec::with_capacity(self.height());
        let (session, sst) = session_text(v, now);
        let mut first = Line::from(vec![
            Span::styled(format!("{} ", v.status.glyph()), theme.status(v.status)),
            Span::styled(
                self.name.as_str(),
                theme.style(Role::Title).add_modifier(Modifier::BOLD),
            ),
            Span::styled(self.head.as_str(), muted),
            Span::styled(session, theme.status(sst)),
        ]);
        if selected {
            first = first.patch_style(Style::default().add_modifier(Modifier::REVERSED));
        }
        out.push(first);
        // The line in use and both lines first (they decide whether the
        // store reaches Odoo), then the IoT box, Odoo, the tills.
        let mut spans = Vec::with_capacity(8 + 2 * self.tills.len());
        spans.push(Span::raw("  "));
        if !self.line.0.is_empty() {
            spans.push(Span::styled(
                self.line.0.as_str(),
                theme.status(self.line.1),
            ));
            spans.push(Span::styled(" · ", muted));
        }
        for (role, s) in &self.uplinks {
            spans.push(Span::styled(*role, muted));
            spans.push(Span::styled(" ", muted));
            spans.push(Span::styled(s.glyph(), theme.status(*s)));
            spans.push(Span::raw(" "));
        }
        for (label, s) in [("iot ", self.iot), ("odoo ", self.odoo)] {
            if let Some(s) = s {
                spans.push(Span::styled(label, muted));
                spans.push(Span::styled(s.glyph(), theme.status(s)));
                spans.push(Span::raw(" "));
            }
        }
        spans.push(Span::styled("tills ", muted));
        for (s, ms) in &self.tills {
            spans.push(Span::styled(s.glyph(), theme.status(*s)));
            spans.push(Span::styled(ms.as_str(), muted));
        }
        out.push(Line::from(spans));
        out.push(self.bar.line(width, now, theme));
        for (sev, message, since) in &self.alerts {
            out.push(Line::from(vec![
                Span::styled("  ", muted),
                Span::styled(sev.glyph(), theme.status(*sev)),
                Span::raw(" "),
                Span::styled(message.as_str(), theme.style(Role::Text)),
                Span::styled(since.as_str(), muted),
            ]));
        }
        out
    }
}

impl Bar {
    /// From an hour before opening to an hour after closing (the whole
    /// local day when closed), the worst connectivity of each minute.
    fn new(v: &StoreView) -> Bar {
        let (from, to) = match v.today {
            Some(d) => (d.open - TimeDelta::hours(1), d.close + TimeDelta::hours(1)),
            None => {
                let date = v.at.with_timezone(&v.tz).date_naive();
                let start = crate::model::pos::day::local_instant_tz(v.tz, date);
                (start, start + TimeDelta::hours(24))
            }
        };
        let n = usize::try_from((to - from).num_minutes().max(1)).unwrap_or(1);
        let mut minutes: Vec<Option<Status>> = vec![None; n];
        let index = |t: DateTime<Utc>| -> usize {
            usize::try_from((t - from).num_minutes().max(0)).unwrap_or(0)
        };
        for s in &v.timeline.segments {
            if s.to < from || s.from >= to {
                continue;
            }
            let (a, b) = (index(s.from.max(from)), index(s.to.min(to)).min(n - 1));
            for m in &mut minutes[a..=b] {
                *m = Some(m.map_or(s.status, |x| x.max(s.status)));
            }
        }
        Bar {
            from,
            to,
            from_label: format!("  {} ", hhmm(from, v.tz)),
            to_label: format!(" {}", hhmm(to, v.tz)),
            open: v.today.map(|d| d.open),
            close: v.today.map(|d| d.close),
            minutes,
        }
    }

    /// One cell per slice, coloured by the worst state seen in it, `┃` at
    /// opening and closing, `│` now, `·` for time still to come.
    fn line<'a>(&'a self, width: usize, now: DateTime<Utc>, theme: &Theme) -> Line<'a> {
        let muted = theme.style(Role::Muted);
        let cells = width.saturating_sub(14).max(10);
        let span_ms = (self.to - self.from).num_milliseconds().max(1);
        let mark = |t: DateTime<Utc>| {
            usize::try_from((t - self.from).num_milliseconds() * cells as i64 / span_ms)
                .unwrap_or(usize::MAX)
        };
        let open_i = self.open.map_or(usize::MAX, mark);
        let close_i = self.close.map_or(usize::MAX, mark);
        let (now_i, past) = if now < self.from {
            (usize::MAX, 0)
        } else if now >= self.to {
            (usize::MAX, cells)
        } else {
            // Cells that begin at or before now are drawn from the states.
            let i = mark(now);
            (i, i + 1)
        };
        let n = self.minutes.len();
        let mut spans = Vec::with_capacity(16);
        spans.push(Span::styled(self.from_label.as_str(), muted));
        let mut run = String::with_capacity(cells * 3);
        let mut run_style = muted;
        for i in 0..cells {
            let (ch, style) = if i == open_i || i == close_i {
                ('┃', theme.style(Role::Accent))
            } else if i == now_i {
                ('│', theme.style(Role::Text))
            } else if i >= past {
                ('·', muted)
            } else {
                let (a, b) = (i * n / cells, ((i + 1) * n / cells).max(i * n / cells + 1));
                match self.minutes[a..b.min(n)].iter().flatten().max() {
                    None => (' ', muted),
                    Some(s) => (
                        match s {
                            Status::Up => '▂',
                            Status::Degraded => '▅',
                            Status::Down => '█',
                            _ => '?',
                        },
                        theme.status(*s),
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
        spans.push(Span::styled(self.to_label.as_str(), muted));
        Line::from(spans)
    }
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
        Some(Err(why)) => (
            format!("line ? ({})", sanitize::clean(why)),
            Status::Unknown,
        ),
        None => (String::new(), Status::Up),
    }
}
