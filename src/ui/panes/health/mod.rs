//! Health: "is anything of ours broken, and are we inside our contracts?"
//! Hosts grouped by client and environment, worst first, with their latency
//! over the last hour, host figures, certificate days and this month's
//! availability against the contract. Enter opens a host's detail: charts
//! over 24 h / 7 d / 30 d, incidents, and the raw last result of each check.

pub mod cells;
mod detail;
pub mod rows;
mod wall;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use self::rows::{Group, HostRow};
use super::{Data, Handled, Pane, PaneCtx, PaneId};
use crate::model::metric::names;
use crate::model::{EnvKind, Status};
use crate::sanitize;
use crate::ui::action::Action;
use crate::ui::history::{DetailRequest, Period};
use crate::ui::theme::{Role, Theme};

/// Checks' generation, fleet, filter, widest name allowed.
type NameKey = (u64, usize, String, usize);

#[derive(Default)]
pub struct HealthPane {
    /// Index among the host lines (group headers are not selectable).
    selected: usize,
    filter: String,
    detail: Option<DetailView>,
    /// The grouping of the last frame, reused while nothing changed.
    cache: std::cell::RefCell<rows::Cache>,
    /// The HOST column's width, kept with what it was measured on (checks'
    /// generation, fleet, filter) and the widest name allowed.
    name_width: std::cell::RefCell<Option<(NameKey, usize)>>,
}

/// The open detail of one host.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DetailView {
    host: String,
    period: Period,
    /// The row under the selection: the host's checks first, then the
    /// period's incidents (kept when the period changes, clamped on use).
    cursor: usize,
}

/// A host as listed, for tests and tools: its group and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedHost {
    pub client: Option<String>,
    pub env: Option<EnvKind>,
    pub host: String,
    pub status: Status,
}

/// The hosts in display order (a host several clients use appears under
/// each), keeping those that match `filter`.
pub fn listed(data: &Data, filter: &str) -> Vec<ListedHost> {
    rows::groups(data, filter)
        .iter()
        .flat_map(|g| {
            g.hosts.iter().map(move |h| ListedHost {
                client: g.client.map(|c| c.id.clone()),
                env: g.env,
                host: h.host.name.clone(),
                status: h.status,
            })
        })
        .collect()
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

impl HealthPane {
    /// The host under the selection.
    fn selected_host(&self, data: &Data) -> Option<String> {
        let groups = rows::groups(data, &self.filter);
        groups
            .iter()
            .flat_map(|g| g.hosts.iter())
            .nth(self.selected)
            .map(|h| h.host.name.clone())
    }
}

impl Pane for HealthPane {
    fn id(&self) -> PaneId {
        PaneId::Health
    }

    fn handle(&mut self, action: Action, data: &Data) -> Handled {
        if let Some(detail) = &mut self.detail {
            let last = detail::row_count(data, &detail.host, detail.period).saturating_sub(1);
            let cursor = detail.cursor.min(last);
            match action {
                Action::Back => self.detail = None,
                Action::NextPeriod => detail.period = detail.period.longer(),
                Action::PrevPeriod => detail.period = detail.period.shorter(),
                Action::Up => detail.cursor = cursor.saturating_sub(1),
                Action::Down => detail.cursor = (cursor + 1).min(last),
                Action::PageUp => detail.cursor = cursor.saturating_sub(10),
                Action::PageDown => detail.cursor = (cursor + 10).min(last),
                Action::Top => detail.cursor = 0,
                Action::Bottom => detail.cursor = last,
                Action::Select => {}
                _ => return Handled::No,
            }
            return Handled::Yes;
        }
        let count = rows::host_count(&rows::groups_cached(data, &self.filter, &self.cache));
        let last = count.saturating_sub(1);
        self.selected = match action {
            Action::Up => self.selected.saturating_sub(1),
            Action::Down => (self.selected + 1).min(last),
            Action::PageUp => self.selected.saturating_sub(10),
            Action::PageDown => (self.selected + 10).min(last),
            Action::Top => 0,
            Action::Bottom => last,
            Action::Select => {
                if let Some(host) = self.selected_host(data) {
                    self.detail = Some(DetailView {
                        host,
                        period: Period::Day,
                        cursor: 0,
                    });
                }
                self.selected
            }
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

    fn hints(&self) -> Vec<Action> {
        if self.detail.is_some() {
            vec![Action::PrevPeriod, Action::NextPeriod, Action::Ssh]
        } else {
            vec![Action::Select, Action::Ssh]
        }
    }

    fn selected_host(&self, data: &Data) -> Option<String> {
        match &self.detail {
            Some(d) => Some(d.host.clone()),
            None => HealthPane::selected_host(self, data),
        }
    }

    fn selected_row(&self, data: &Data) -> Option<String> {
        Pane::selected_host(self, data)
    }

    fn select_row(&mut self, row: &str, data: &Data) -> bool {
        let groups = rows::groups(data, &self.filter);
        let at = groups
            .iter()
            .flat_map(|g| g.hosts.iter())
            .position(|h| h.host.name == row);
        match at {
            Some(i) => {
                self.selected = i;
                self.detail = None;
                true
            }
            None => false,
        }
    }

    fn history_request(&self) -> Option<DetailRequest> {
        self.detail.as_ref().map(|d| DetailRequest {
            host: d.host.clone(),
            period: d.period,
        })
    }

    fn worst(&self, data: &Data) -> Option<Status> {
        Some(data.worst())
    }

    fn alerts(&self, data: &Data, out: &mut Vec<crate::model::attention::Alert>) {
        let states: Vec<_> = data
            .checks
            .iter()
            .map(|(id, c)| crate::model::attention::CheckState {
                id,
                status: c.status,
                observed: c.observed,
                flapping: c.flapping,
                since: c.since,
                message: &c.message,
            })
            .collect();
        crate::model::attention::check_alerts(&data.fleet, &states, out);
    }

    fn wall_title(&self) -> Option<&'static str> {
        Some("Open incidents")
    }

    fn wall_lines(&self, data: &Data, n: usize) -> Vec<super::WallLine> {
        wall::incidents(data, n)
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
        if let Some(d) = &self.detail {
            detail::render(frame, area, ctx, &d.host, d.period, d.cursor);
            return;
        }
        let theme = ctx.theme;
        let groups = rows::groups_cached(ctx.data, &self.filter, &self.cache);
        if groups.is_empty() {
            let text = if ctx.data.fleet.hosts.is_empty() {
                "No hosts configured: add [hosts.NAME] with checks to the configuration."
                    .to_string()
            } else {
                let all = rows::groups(ctx.data, "");
                let count = |s: Status| {
                    all.iter()
                        .flat_map(|g| &g.hosts)
                        .filter(|h| h.status == s)
                        .count()
                };
                super::hidden_by_filter(
                    rows::host_count(&all),
                    &[
                        (count(Status::Down), "down"),
                        (count(Status::Degraded), "warning"),
                        (count(Status::Unknown), "unknown"),
                    ],
                )
            };
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.style(Role::Muted))),
                area,
            );
            return;
        }
        let layout = Layout::for_width(area.width);
        let lines = rows::lines(&groups);
        let host_total = rows::host_count(&groups);
        let selected = self.selected.min(host_total.saturating_sub(1));
        // The line index of the selected host, to scroll it into view.
        let mut seen = 0;
        let selected_line = lines
            .iter()
            .position(|l| match l {
                rows::Line::Host(..) => {
                    seen += 1;
                    seen - 1 == selected
                }
                rows::Line::Group(_) => false,
            })
            .unwrap_or(0);
        let height = usize::from(area.height.saturating_sub(1)).max(1);
        let offset = selected_line.saturating_sub(height - 1);
        // Hosts are indented under their group's title; both must fit.
        // Measured again only when the grouping or the width changed.
        let key = (
            ctx.data.generation(),
            std::sync::Arc::as_ptr(&ctx.data.fleet) as usize,
            self.filter.clone(),
            layout.name_max,
        );
        let cached = self
            .name_width
            .borrow()
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, w)| *w);
        let name_width = cached.unwrap_or_else(|| {
            let w = name_width(&groups, &layout);
            *self.name_width.borrow_mut() = Some((key, w));
            w
        });
        let table_rows = lines
            .iter()
            .skip(offset)
            .take(height)
            .map(|line| match line {
                rows::Line::Group(g) => (group_row(&groups[*g], ctx, &layout), Style::default()),
                rows::Line::Host(g, h) => {
                    let group = &groups[*g];
                    let row = host_row(group, &group.hosts[*h], ctx, &layout);
                    let index = groups[..*g].iter().map(|x| x.hosts.len()).sum::<usize>() + h;
                    if ctx.focused && index == selected {
                        (row, theme.style(Role::Selection))
                    } else {
                        (row, Style::default())
                    }
                }
            })
            .collect::<Vec<_>>();
        let mut widths = vec![
            Constraint::Length(layout.state),
            Constraint::Length(u16::try_from(name_width).unwrap_or(28)),
        ];
        let mut header = vec!["STATE", "HOST"];
        if layout.spark > 0 {
            widths.push(Constraint::Length(layout.spark));
            header.push("LAST HOUR");
        }
        widths.push(Constraint::Length(6));
        header.push("MS");
        widths.extend([Constraint::Length(4); 3]);
        header.extend(["CPU", "MEM", "DISK"]);
        if layout.cert {
            widths.push(Constraint::Length(7));
            header.push("CERT");
        }
        widths.push(Constraint::Length(7));
        header.push("MONTH");
        if layout.since {
            widths.push(Constraint::Length(5));
            header.push("SINCE");
        }
        widths.push(Constraint::Min(10));
        header.push("DETAIL");
        let header: Vec<Line> = header.into_iter().map(Line::from).collect();
        crate::ui::render::draw_table(
            frame.buffer_mut(),
            area,
            &widths,
            (&header, theme.style(Role::Title)),
            &table_rows,
        );
    }
}

/// Which optional columns fit.
struct Layout {
    /// 13 for "▲ failing 1/3", 1 for the glyph alone on narrow terminals.
    state: u16,
    name_max: usize,
    spark: u16,
    cert: bool,
    since: bool,
}

impl Layout {
    fn for_width(width: u16) -> Layout {
        Layout {
            state: if width >= 90 { 13 } else { 1 },
            name_max: if width >= 110 { 34 } else { 22 },
            spark: match width {
                w if w >= 150 => 30,
                w if w >= 110 => 15,
                _ => 0,
            },
            cert: width >= 100,
            since: width >= 90,
        }
    }

    /// Cells between HOST and DETAIL, for a group header's spanning text.
    fn middle_cells(&self) -> usize {
        usize::from(self.spark > 0) + 4 + usize::from(self.cert)
    }
}

/// The HOST column: the widest host name (indented, with its flapping
/// mark) or group title, within the layout's bounds.
fn name_width(groups: &[Group], layout: &Layout) -> usize {
    groups
        .iter()
        .flat_map(|g| {
            let title = match (g.client, g.env) {
                (Some(c), Some(e)) => c.name.chars().count() + 3 + e.label().len(),
                _ => 9,
            }
            .min(layout.name_max);
            g.hosts
                .iter()
                .map(|h| 2 + h.host.name.chars().count() + usize::from(h.flapping) * 2)
                .chain([title])
        })
        .max()
        .unwrap_or(8)
        .clamp(8, layout.name_max)
}

/// "Coop La Cagette · prod", or "no client" for hosts nobody uses.
fn group_title(group: &Group) -> String {
    match (group.client, group.env) {
        (Some(c), Some(e)) => format!("{} · {}", sanitize::clean(&c.name), e.label()),
        _ => "no client".to_string(),
    }
}

fn styled(text: impl Into<String>, style: Style) -> Line<'static> {
    Line::from(Span::styled(text.into(), style))
}

/// "Coop Alpha · prod" with the group's state and its month against the
/// contract.
fn group_row(group: &Group, ctx: &PaneCtx, layout: &Layout) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let mut title = group_title(group);
    if title.chars().count() > layout.name_max {
        // Narrow terminal: the client's key is shorter than its name.
        if let (Some(c), Some(e)) = (group.client, group.env) {
            title = format!("{} · {}", sanitize::clean(&c.id), e.label());
        }
    }
    let env_style = match (group.env, group.tint) {
        (Some(e), true) => theme.env(e),
        _ => theme.style(Role::Title),
    };
    // The group's state is its worst host's, already on that host's line:
    // the glyph is enough here, and only when something is wrong.
    let glyph = if group.status == Status::Up {
        String::new()
    } else {
        group.status.glyph().to_string()
    };
    let mut cells = vec![
        styled(glyph, theme.status(group.status)),
        styled(
            title,
            env_style.add_modifier(ratatui::style::Modifier::BOLD),
        ),
    ];
    for _ in 0..layout.middle_cells() {
        cells.push(Line::default());
    }
    let month = group
        .client
        .filter(|_| group.env == Some(EnvKind::Prod))
        .and_then(|c| ctx.data.history.client_month.get(&c.id));
    match month {
        Some(m) => {
            let (text, status) = cells::availability(m.availability, Some(m.target));
            cells.push(styled(text, theme.status(status)));
            if layout.since {
                cells.push(Line::default());
            }
            let credit = if !m.credit.is_zero() {
                format!(
                    "target {}% · credit {} {}",
                    m.target,
                    crate::model::money::format_cents(m.credit),
                    sanitize::clean(&m.currency)
                )
            } else {
                format!("target {}%", m.target)
            };
            cells.push(styled(credit, theme.style(Role::Muted)));
        }
        None => cells.push(Line::default()),
    }
    cells
}

fn host_row(group: &Group, row: &HostRow, ctx: &PaneCtx, layout: &Layout) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let data = ctx.data;
    let host = row.host;
    let muted = theme.style(Role::Muted);
    let text = theme.style(Role::Text);
    let name_style = match (group.env, group.tint) {
        (Some(e), true) => theme.env(e),
        _ => text,
    };
    let mut name = vec![Span::styled(
        format!("  {}", sanitize::clean(&host.name)),
        name_style,
    )];
    if row.flapping {
        name.push(Span::styled(" ↯", theme.status(Status::Degraded)));
    }
    let state = if layout.state > 1 {
        // The worst check's own words: "failing 1/3" rather than "degraded".
        let label = row
            .worst
            .and_then(|i| host.checks.get(i))
            .and_then(|c| data.checks.get(&c.id))
            .filter(|l| l.status == row.status)
            .map_or_else(|| row.status.label().to_string(), |l| l.label());
        format!("{} {label}", row.status.glyph())
    } else {
        row.status.glyph().to_string()
    };
    let mut cells = vec![styled(state, theme.status(row.status)), Line::from(name)];
    let main = rows::latency_check(host, group.client.map(|c| c.id.as_str()));
    let live = main.and_then(|c| data.checks.get(&c.id));
    if layout.spark > 0 {
        let width = usize::from(layout.spark);
        let spark = match main.and_then(|c| data.history.sparklines.get(&c.id)) {
            Some(points) => cells::sparkline(points, width),
            None => {
                let points: Vec<Option<f64>> = live
                    .map(|l| l.latencies.iter().map(|v| Some(f64::from(*v))).collect())
                    .unwrap_or_default();
                cells::sparkline(&points, width)
            }
        };
        cells.push(styled(spark, theme.style(Role::Accent)));
    }
    cells.push(styled(
        cells::latency(live.and_then(|l| l.latency_ms)),
        text,
    ));
    let figures = rows::figures(data, host);
    let thresholds = cells::host_thresholds(host);
    for (value, metric) in [
        (figures.cpu, names::CPU_BUSY_PCT),
        (figures.mem, names::MEM_USED_PCT),
        (figures.disk, names::DISK_USED_PCT),
    ] {
        let (t, s) = cells::percent(value, &thresholds, metric);
        cells.push(styled(t, gauge_style(theme, s)));
    }
    if layout.cert {
        let (t, s) = cells::cert_days(figures.cert_days, host);
        cells.push(styled(t, gauge_style(theme, s)));
    }
    let month = host_month(data, host, group.client.map(|c| c.id.as_str()));
    let target = group
        .client
        .and_then(|c| data.history.client_month.get(&c.id))
        .map(|m| m.target);
    let (t, s) = cells::availability(month, target);
    cells.push(styled(t, gauge_style(theme, s)));
    if layout.since {
        let since = row
            .since
            .map(|s| age(s, data.now))
            .unwrap_or_else(|| "—".into());
        cells.push(styled(since, muted));
    }
    let detail = match row.worst.and_then(|i| host.checks.get(i)) {
        Some(check) => match data.checks.get(&check.id) {
            Some(l) => format!(
                "{}: {}",
                sanitize::clean(&check.name),
                sanitize::clean(&l.message)
            ),
            None => format!(
                "{}: waiting for the first result",
                sanitize::clean(&check.name)
            ),
        },
        None => "no checks configured".into(),
    };
    cells.push(styled(detail, muted));
    cells
}

/// Muted when fine, coloured when it needs an eye.
fn gauge_style(theme: &Theme, s: Status) -> Style {
    match s {
        Status::Up | Status::Unknown | Status::Maintenance => theme.style(Role::Text),
        bad => theme.status(bad),
    }
}

/// The lowest month availability among the host's SLA checks (those of
/// `client`'s service on a shared host).
fn host_month(data: &Data, host: &crate::model::Host, client: Option<&str>) -> Option<f64> {
    host.checks
        .iter()
        .filter(|c| c.sla && client.is_none_or(|id| c.serves(id)))
        .filter_map(|c| data.history.check_month.get(&c.id).copied().flatten())
        .reduce(f64::min)
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
