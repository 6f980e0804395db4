//! Health: every check of every host, worst first, so the eye lands on what
//! is broken. (The Health issue grows this into incidents and availability.)

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::{Data, Handled, Pane, PaneCtx, PaneId};
use crate::model::{EnvKind, Status};
use crate::sanitize;
use crate::ui::action::Action;
use crate::ui::theme::Role;

#[derive(Default)]
pub struct HealthPane {
    selected: usize,
    filter: String,
}

/// One row of the Health table.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthRow {
    pub check_id: String,
    pub host: String,
    pub check: String,
    pub clients: String,
    pub env: Option<EnvKind>,
    pub tint: bool,
    pub status: Status,
    pub latency_ms: Option<u32>,
    pub since: Option<DateTime<Utc>>,
    pub message: String,
}

/// The rows, worst first, then by host and check, keeping those that match
/// the filter (case-insensitive, on host, check, client, environment and
/// message).
pub fn rows(data: &Data, filter: &str) -> Vec<HealthRow> {
    let needle = filter.to_lowercase();
    let mut rows: Vec<HealthRow> = data
        .fleet
        .checks()
        .map(|(host, check)| {
            let users = data.fleet.users_of(&host.name);
            let mut names: Vec<&str> = users.iter().map(|(c, _)| c.id.as_str()).collect();
            names.dedup();
            // A host serving prod for anyone is a prod host.
            let env = users.iter().map(|(_, e)| *e).min();
            let tint = users.iter().any(|(c, e)| {
                Some(*e) == env
                    && c.environments
                        .iter()
                        .any(|x| x.kind == *e && x.tint && x.hosts.contains(&host.name))
            });
            let live = data.checks.get(&check.id);
            HealthRow {
                check_id: check.id.clone(),
                host: host.name.clone(),
                check: check.name.clone(),
                clients: names.join(", "),
                env,
                tint,
                status: live.map(|l| l.status).unwrap_or(Status::Unknown),
                latency_ms: live.and_then(|l| l.latency_ms),
                since: live.map(|l| l.since),
                message: live
                    .map(|l| sanitize::clean(&l.message))
                    .unwrap_or_else(|| "waiting for the first result".into()),
            }
        })
        .filter(|r| {
            needle.is_empty()
                || [&r.host, &r.check, &r.clients, &r.message]
                    .iter()
                    .any(|f| f.to_lowercase().contains(&needle))
                || r.env.is_some_and(|e| e.label().contains(&needle))
        })
        .collect();
    rows.sort_by(|a, b| {
        b.status
            .cmp(&a.status)
            .then_with(|| a.host.cmp(&b.host))
            .then_with(|| a.check.cmp(&b.check))
    });
    rows
}

/// "45s", "12m", "3h05", "4d": how long a state has lasted.
pub fn age(since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - since).num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3_600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h{:02}", s / 3_600, (s % 3_600) / 60),
        s => format!("{}d", s / 86_400),
    }
}

impl Pane for HealthPane {
    fn id(&self) -> PaneId {
        PaneId::Health
    }

    fn handle(&mut self, action: Action, data: &Data) -> Handled {
        let count = rows(data, &self.filter).len();
        let last = count.saturating_sub(1);
        self.selected = match action {
            Action::Up => self.selected.saturating_sub(1),
            Action::Down => (self.selected + 1).min(last),
            Action::PageUp => self.selected.saturating_sub(10),
            Action::PageDown => (self.selected + 10).min(last),
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
        Some(data.worst())
    }

    fn summary(&self, data: &Data) -> String {
        let counts = data.counts();
        let mut parts: Vec<String> = counts
            .iter()
            .rev()
            .filter(|(s, _)| **s != Status::Up)
            .map(|(s, n)| format!("{n} {}", s.label()))
            .collect();
        let up = counts.get(&Status::Up).copied().unwrap_or(0);
        parts.push(format!("{up} up"));
        parts.join(", ")
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &PaneCtx) {
        let theme = ctx.theme;
        let rows = rows(ctx.data, &self.filter);
        if rows.is_empty() {
            let text = if ctx.data.fleet.hosts.is_empty() {
                "No hosts configured: add [hosts.NAME] with checks to the configuration."
            } else {
                "No check matches the filter."
            };
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.style(Role::Muted))),
                area,
            );
            return;
        }
        let wide = area.width >= 90;
        let selected = self.selected.min(rows.len().saturating_sub(1));
        let height = usize::from(area.height.saturating_sub(1)).max(1);
        let offset = selected.saturating_sub(height - 1);
        let now = ctx.data.now;
        let table_rows = rows
            .iter()
            .enumerate()
            .skip(offset)
            .take(height)
            .map(|(i, r)| {
                let status_style = theme.status(r.status);
                let env_style = match (r.env, r.tint) {
                    (Some(e), true) => theme.env(e),
                    _ => theme.style(Role::Muted),
                };
                let latency = r
                    .latency_ms
                    .map(|l| match l {
                        0 => "<1 ms".to_string(),
                        l => format!("{l} ms"),
                    })
                    .unwrap_or_else(|| "—".into());
                let since = r.since.map(|s| age(s, now)).unwrap_or_else(|| "—".into());
                let mut cells = vec![
                    Cell::from(Span::styled(
                        format!("{} {}", r.status.glyph(), r.status.label()),
                        status_style,
                    )),
                    Cell::from(Line::from(vec![
                        Span::styled(r.host.clone(), theme.style(Role::Text)),
                        Span::styled(format!("/{}", r.check), theme.style(Role::Muted)),
                    ])),
                    Cell::from(Span::styled(
                        r.env.map(|e| e.label()).unwrap_or("—"),
                        env_style,
                    )),
                ];
                if wide {
                    cells.push(Cell::from(Span::styled(
                        r.clients.clone(),
                        theme.style(Role::Text),
                    )));
                }
                cells.push(Cell::from(Span::styled(latency, theme.style(Role::Text))));
                cells.push(Cell::from(Span::styled(since, theme.style(Role::Muted))));
                cells.push(Cell::from(Span::styled(
                    r.message.clone(),
                    theme.style(Role::Muted),
                )));
                let row = Row::new(cells);
                if ctx.focused && i == selected {
                    row.style(theme.style(Role::Selection))
                } else {
                    row
                }
            });
        // HOST/CHECK as wide as the longest name (within reason), so the
        // detail column keeps the rest.
        let name_width = rows
            .iter()
            .map(|r| r.host.chars().count() + 1 + r.check.chars().count())
            .max()
            .unwrap_or(10)
            .clamp(10, 32);
        let mut widths = vec![
            Constraint::Length(10),
            Constraint::Length(u16::try_from(name_width).unwrap_or(32)),
            Constraint::Length(7),
        ];
        let mut header = vec!["STATE", "HOST/CHECK", "ENV"];
        if wide {
            widths.push(Constraint::Length(16));
            header.push("CLIENTS");
        }
        widths.extend([
            Constraint::Length(7),
            Constraint::Length(5),
            Constraint::Min(10),
        ]);
        header.extend(["LATENCY", "SINCE", "DETAIL"]);
        let table = Table::new(table_rows, widths)
            .header(Row::new(header).style(theme.style(Role::Title)))
            .column_spacing(1)
            .style(Style::default());
        frame.render_widget(table, area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ages_read_like_an_operator_says_them() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(age(now - chrono::Duration::seconds(42), now), "42s");
        assert_eq!(age(now - chrono::Duration::minutes(12), now), "12m");
        assert_eq!(age(now - chrono::Duration::minutes(185), now), "3h05");
        assert_eq!(age(now - chrono::Duration::days(4), now), "4d");
        assert_eq!(age(now + chrono::Duration::seconds(5), now), "0s");
    }
}
