//! The `:usage` view: per client, this year's meters against the quotas of
//! its contract with a sparkline of the days, and who is near a quota,
//! nearest first. Drawn over the panes; esc closes it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::app::App;
use super::theme::{Role, Theme};
use crate::model::usage::{GB, Meter, MeterYear, UsageReport, gb, near_quotas};
use crate::sanitize;

/// What the follower read: this year's reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageView {
    pub year: i32,
    pub reports: Vec<UsageReport>,
    /// False until the first read (the view says it is reading).
    pub read: bool,
}

/// A year of days in `width` columns, each the highest figure of its days
/// (a column with no reading at all stays blank: a gap, not a zero).
pub fn columns(meter: &MeterYear, width: usize) -> Vec<Option<f64>> {
    let days = &meter.days;
    if width == 0 || days.is_empty() {
        return Vec::new();
    }
    let n = days.len();
    let cols = width.min(n);
    // Column i covers days [i*n/cols, (i+1)*n/cols): every column a share.
    (0..cols)
        .map(|i| {
            days[i * n / cols..(i + 1) * n / cols]
                .iter()
                .filter_map(|(_, f)| f.value())
                .max()
                .map(|v| v as f64)
        })
        .collect()
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The figure of a meter and the share of its quota, if it has one.
fn figure(r: &UsageReport, m: &MeterYear) -> (String, Option<f64>) {
    let quota = r.quotas.iter().find(|q| q.meter == m.meter);
    match (m.meter, quota) {
        (Meter::ActiveUsers, _) => (format!("{} distinct", r.users_year.unwrap_or(0)), None),
        (Meter::Documents, Some(q)) => (
            format!("{} of {} GB", gb(q.used), q.included / GB),
            Some(q.percent()),
        ),
        (Meter::Documents, None) => (gb(m.peak), None),
        (_, Some(q)) => (
            format!("{} of {}", thousands(q.used), thousands(q.included)),
            Some(q.percent()),
        ),
        (_, None) => (thousands(m.counted), None),
    }
}

fn share_role(pct: f64, near: u32) -> Role {
    if pct >= 100.0 {
        Role::Crit
    } else if pct >= f64::from(near) {
        Role::Warn
    } else {
        Role::Ok
    }
}

/// The view's lines for an inner width of `width` columns.
pub fn lines(view: &UsageView, app: &App, width: u16) -> Vec<Line<'static>> {
    let theme: &Theme = &app.theme;
    let mut out: Vec<Line<'static>> = Vec::new();
    if !view.read {
        out.push(Line::styled(
            "reading usage from the store…",
            theme.style(Role::Muted),
        ));
        return out;
    }
    if view.reports.is_empty() {
        out.push(Line::styled(
            "No client meters usage: add [clients.<c>.usage] and [contracts.<id>.usage].",
            theme.style(Role::Muted),
        ));
        return out;
    }
    out.push(Line::styled(
        "Near a quota, nearest first",
        theme.style(Role::Title),
    ));
    let near = near_quotas(&view.reports);
    if near.is_empty() {
        out.push(Line::styled("  nobody", theme.style(Role::Muted)));
    }
    for n in &near {
        let Some(r) = view.reports.iter().find(|r| r.client == n.client) else {
            continue;
        };
        let Some(m) = r.meter(n.quota.meter) else {
            continue;
        };
        let (text, _) = figure(r, m);
        let pct = n.quota.percent();
        out.push(Line::from(vec![
            Span::styled(
                format!("  {:>4.0} % ", pct.min(9999.0)),
                theme.style(share_role(pct, r.near_quota_pct)),
            ),
            Span::raw(format!(
                "{:<22} {:<12} {}",
                sanitize::clean_short(&client_name(app, &r.client), 22),
                m.meter.label(),
                text
            )),
        ]));
    }
    let label_w = 14usize;
    let figure_w = 20usize;
    // "100 % " and a space.
    let pct_w = 7usize;
    let note_w = 24usize;
    for r in &view.reports {
        out.push(Line::raw(""));
        let mut head = vec![
            Span::styled(
                sanitize::clean_short(&client_name(app, &r.client), 40),
                theme.style(Role::Title),
            ),
            Span::styled(
                format!(
                    "  {} {} so far",
                    crate::model::money::format_cents(r.total),
                    sanitize::clean_short(&r.currency, 3)
                ),
                theme.style(Role::Muted),
            ),
        ];
        if let Some(last) = r
            .meters
            .iter()
            .filter_map(|m| m.days.last())
            .map(|(d, _)| *d)
            .max()
        {
            head.push(Span::styled(
                format!(" · through {last}"),
                theme.style(Role::Muted),
            ));
        }
        out.push(Line::from(head));
        for m in &r.meters {
            let (text, pct) = figure(r, m);
            let mut notes = Vec::new();
            let gaps = m.gap_days();
            if gaps > 0 {
                notes.push(format!(
                    "{gaps} gap day{}",
                    if gaps == 1 { "" } else { "s" }
                ));
            }
            if !m.flags.is_empty() {
                notes.push(format!("{} backwards", m.flags.len()));
            }
            let note = format!(
                "{:<note_w$}",
                sanitize::clean_short(&notes.join(", "), note_w - 1)
            );
            let used = 2 + label_w + figure_w + pct_w + note_w;
            let spark_w = usize::from(width).saturating_sub(used).min(366);
            let spark = super::panes::health::cells::sparkline(&columns(m, spark_w), spark_w);
            let pct_span = match pct {
                Some(p) => Span::styled(
                    format!("{:>4.0} % ", p.min(9999.0)),
                    theme.style(share_role(p, r.near_quota_pct)),
                ),
                None => Span::raw(" ".repeat(pct_w)),
            };
            out.push(Line::from(vec![
                Span::raw(format!("  {:<label_w$}", m.meter.label())),
                Span::raw(format!(
                    "{:<figure_w$}",
                    sanitize::clean_short(&text, figure_w)
                )),
                pct_span,
                Span::styled(note, theme.style(Role::Warn)),
                Span::styled(spark, theme.style(Role::Accent)),
            ]));
        }
    }
    out
}

fn client_name(app: &App, id: &str) -> String {
    app.data
        .fleet
        .client(id)
        .map_or_else(|| id.to_string(), |c| c.name.clone())
}

pub fn render(app: &App, frame: &mut Frame, body: Rect, scroll: u16) {
    let inner_w = body.width.saturating_sub(2);
    let lines = lines(&app.data.usage, app, inner_w);
    let inner_h = usize::from(body.height.saturating_sub(2));
    let below = lines.len().saturating_sub(inner_h + usize::from(scroll));
    let year = app.data.usage.year;
    let title = match (scroll, below) {
        (0, 0) => format!(" Usage {year} · esc closes "),
        (_, 0) => format!(" Usage {year} · ↑ more · esc closes "),
        (_, n) => format!(" Usage {year} · ↓ {n} more · esc closes "),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.style(Role::BorderFocused))
        .title(Span::styled(title, app.theme.style(Role::Title)));
    frame.render_widget(Clear, body);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll, 0))
            .style(app.theme.style(Role::Text)),
        body,
    );
}
