//! POS: "can every store sell, open and close today?" A tile per store,
//! worst first: its state and period, the session, tills as dots with
//! their latency, the IoT box, the line in use (main or 4G), today's
//! timeline with the opening and closing marks, and the alerts.

mod tile;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub use tile::{StoreDisplay, age, line_text, session_text, zone_label};

use super::{Data, Handled, Pane, PaneCtx, PaneId};
use crate::model::pos::StoreView;
use crate::model::{Fleet, Status};
use crate::sanitize;
use crate::ui::action::Action;
use crate::ui::theme::Role;

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

    fn selected_row(&self, data: &Data) -> Option<String> {
        ordered(data, &self.filter)
            .get(self.selected)
            .map(|v| format!("{}/{}", v.client, v.site))
    }

    fn select_row(&mut self, row: &str, data: &Data) -> bool {
        let at = ordered(data, &self.filter)
            .iter()
            .position(|v| format!("{}/{}", v.client, v.site) == row);
        if let Some(i) = at {
            self.selected = i;
        }
        at.is_some()
    }

    fn worst(&self, data: &Data) -> Option<Status> {
        data.pos.values().map(|v| v.status).max()
    }

    fn alerts(&self, data: &Data, out: &mut Vec<crate::model::attention::Alert>) {
        let views: Vec<&StoreView> = data.pos.values().collect();
        crate::model::attention::store_alerts(&views, out);
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
        if views.is_empty() {
            let all = ctx.data.pos.values();
            let count = |s: Status| all.clone().filter(|v| v.status == s).count();
            let text = super::hidden_by_filter(
                ctx.data.pos.len(),
                &[
                    (count(Status::Down), "critical"),
                    (count(Status::Degraded), "warning"),
                ],
            );
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.style(Role::Muted))),
                area,
            );
            return;
        }
        let selected = self.selected.min(views.len().saturating_sub(1));
        let width = usize::from(area.width);
        let height = usize::from(area.height);
        // Each tile's display was built when its view arrived; a view put
        // in place without `update` (a test, a snapshot) is built here.
        let displays: Vec<Cow<StoreDisplay>> = views
            .iter()
            .map(|v| {
                ctx.data.pos_display(v).map_or_else(
                    || Cow::Owned(StoreDisplay::new(v, ctx.data.tz)),
                    Cow::Borrowed,
                )
            })
            .collect();
        // Scroll so the selected tile is on screen: tiles before it are
        // skipped until it fits. Only the tiles that fit are built.
        let mut first = 0;
        while first < selected
            && displays[first..=selected]
                .iter()
                .map(|d| d.height())
                .sum::<usize>()
                > height
        {
            first += 1;
        }
        let mut lines: Vec<Line> = Vec::with_capacity(height + 8);
        for (i, v) in views.iter().enumerate().skip(first) {
            if lines.len() >= height {
                break;
            }
            let chosen = i == selected && ctx.focused;
            lines.extend(displays[i].lines(v, width, ctx.data.now, theme, chosen));
        }
        // Only the tiles' text is written, not their padding.
        crate::ui::render::draw_padded_lines(frame.buffer_mut(), area, &lines);
    }
}
