//! The Maintenance pane: "when may we touch this server, and who must we
//! tell?" A week (days as columns, hours as rows) or a month of one host or
//! client: opening hours, closures and windows; the windows below with the
//! rules each breaks; and a form to plan or move a window that checks every
//! affected client's rules on each key.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Data, Handled, Pane, PaneCtx, PaneId};
use crate::model::maintenance::fleet::{affected_clients, scope};
use crate::model::maintenance::local::at;
use crate::model::maintenance::rules::closure_span;
use crate::model::maintenance::{
    Breach, Kind, MaintenanceWindow, Proposal, Target, WindowState, check_window, next_slots,
    span_words,
};
use crate::model::{DayHours, Status, TimeOfDay};
use crate::sanitize;
use crate::ui::action::Action;
use crate::ui::app::Effect;
use crate::ui::theme::Role;

/// A window being planned or moved, judged on every change.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// The window being moved; `None` plans a new one.
    pub uid: Option<String>,
    pub target: Target,
    pub kind: Kind,
    pub start: DateTime<Utc>,
    pub duration: TimeDelta,
}

#[derive(Default)]
pub struct MaintenancePane {
    subject: usize,
    month: bool,
    /// Weeks (or months) from the current one.
    offset: i64,
    selected: usize,
    form: Option<Form>,
    /// The window `x` asked to cancel, waiting for a second `x` or Enter:
    /// cancelling is announced to the client, so it is never one key.
    confirm_cancel: Option<String>,
    filter: String,
    effects: Vec<Effect>,
}

/// What the notice says once a window is written: what happened to it, in
/// the display zone ("window Tue 08 Dec 22:00 cancelled").
pub fn window_notice(w: &MaintenanceWindow, tz: Tz) -> String {
    let when = w.start.with_timezone(&tz).format("%a %d %b %H:%M");
    match w.state {
        WindowState::Cancelled => format!("window {when} cancelled"),
        _ if w.sequence == 0 => format!("window {when} planned"),
        _ => format!("window moved to {when} (sequence {})", w.sequence),
    }
}

/// How far ahead the wall looks: a day, so that at 02:00 this evening's
/// 22:00 window is already on it (18 h left it off until 04:00).
const AHEAD: TimeDelta = TimeDelta::hours(24);

/// Hosts shared by several clients first (they need every client's
/// agreement), then the other hosts, then clients.
fn subjects(data: &Data) -> Vec<Target> {
    let fleet = &data.fleet;
    let mut hosts: Vec<(usize, &str)> = fleet
        .hosts
        .iter()
        .map(|h| {
            (
                affected_clients(fleet, &Target::Host(h.name.clone())).len(),
                h.name.as_str(),
            )
        })
        .filter(|(n, _)| *n > 0)
        .collect();
    hosts.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    hosts
        .into_iter()
        .map(|(_, h)| Target::Host(h.to_string()))
        .chain(fleet.clients.iter().map(|c| Target::Client(c.id.clone())))
        .collect()
}

/// The subjects the filter keeps: a host or client whose name, or the
/// name of a client it concerns, contains the filter.
fn subjects_matching(data: &Data, filter: &str) -> Vec<Target> {
    let needle = filter.to_lowercase();
    subjects(data)
        .into_iter()
        .filter(|t| {
            needle.is_empty()
                || t.label().to_lowercase().contains(&needle)
                || affected_clients(&data.fleet, t).iter().any(|c| {
                    c.id.to_lowercase().contains(&needle) || c.name.to_lowercase().contains(&needle)
                })
        })
        .collect()
}

fn tz_of(data: &Data, target: &Target) -> Tz {
    affected_clients(&data.fleet, target)
        .first()
        .map_or(data.tz, |c| c.timezone)
}

/// Windows shown for a subject: its own, and for a host those of the
/// clients on it (and the reverse), since they touch the same machines.
fn windows_of<'a>(data: &'a Data, target: &Target) -> Vec<&'a MaintenanceWindow> {
    let mine: Vec<String> = affected_clients(&data.fleet, target)
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let mut out: Vec<&MaintenanceWindow> = data
        .maintenance
        .iter()
        .filter(|w| {
            w.target == *target
                || affected_clients(&data.fleet, &w.target)
                    .iter()
                    .any(|c| mine.contains(&c.id))
        })
        .collect();
    // The one in progress first, then the soonest.
    out.sort_by_key(|w| (w.state_at(data.now) != WindowState::InProgress, w.start));
    out
}

/// The rules a stored window breaks, judged when its clients were told
/// (or when it was planned).
fn breaches_of(data: &Data, w: &MaintenanceWindow) -> Vec<Breach> {
    let sc = scope(&data.fleet, &w.target, &data.maintenance);
    let p = Proposal {
        start: w.start,
        end: w.end,
        kind: w.kind,
        uid: Some(&w.uid),
    };
    check_window(&sc, p, w.announced.unwrap_or(w.created))
}

impl MaintenancePane {
    fn subject(&self, data: &Data) -> Option<Target> {
        let s = subjects_matching(data, &self.filter);
        s.get(self.subject % s.len().max(1)).cloned()
    }

    /// The form's judgement, as of now.
    pub fn form_breaches(&self, data: &Data) -> Vec<Breach> {
        let Some(f) = &self.form else {
            return Vec::new();
        };
        let sc = scope(&data.fleet, &f.target, &data.maintenance);
        let p = Proposal {
            start: f.start,
            end: f.start + f.duration,
            kind: f.kind,
            uid: f.uid.as_deref(),
        };
        check_window(&sc, p, data.now)
    }

    pub fn form(&self) -> Option<&Form> {
        self.form.as_ref()
    }

    fn open_new(&mut self, data: &Data) {
        let Some(target) = self.subject(data) else {
            return;
        };
        let sc = scope(&data.fleet, &target, &data.maintenance);
        let duration = TimeDelta::hours(1);
        // Seeded with the best slot, so the form starts valid.
        let start = next_slots(
            &sc,
            data.now,
            data.now,
            duration,
            Kind::Standard,
            1,
            TimeDelta::days(90),
        )
        .first()
        .map_or(data.now + TimeDelta::days(7), |s| s.start);
        self.form = Some(Form {
            uid: None,
            target,
            kind: Kind::Standard,
            start,
            duration,
        });
    }

    fn selected_window<'a>(&self, data: &'a Data) -> Option<&'a MaintenanceWindow> {
        let target = self.subject(data)?;
        windows_of(data, &target).get(self.selected).copied()
    }

    fn save(&mut self, data: &Data) -> Handled {
        let Some(f) = self.form.clone() else {
            return Handled::No;
        };
        if !self.form_breaches(data).is_empty() {
            // Kept open: the breaches are on screen.
            return Handled::Yes;
        }
        let now = DateTime::from_timestamp(data.now.timestamp(), 0).unwrap_or(data.now);
        let w = match &f.uid {
            Some(uid) => {
                let Some(old) = data.maintenance.iter().find(|w| w.uid == *uid) else {
                    self.form = None;
                    return Handled::Yes;
                };
                let mut w = old.changed(now);
                w.start = f.start;
                w.end = f.start + f.duration;
                if w.announced.is_some() {
                    w.announced = Some(now);
                }
                w
            }
            None => MaintenanceWindow {
                uid: crate::cli::maintenance::new_uid(now),
                target: f.target.clone(),
                kind: f.kind,
                start: f.start,
                end: f.start + f.duration,
                title: "Maintenance".into(),
                state: WindowState::Planned,
                sequence: 0,
                created: now,
                stamp: now,
                announced: None,
            },
        };
        self.effects.push(Effect::SaveWindow(Box::new(w)));
        self.form = None;
        Handled::Yes
    }

    fn handle_form(&mut self, action: Action, data: &Data) -> Handled {
        let Some(f) = self.form.as_mut() else {
            return Handled::No;
        };
        let step = TimeDelta::minutes(15);
        match action {
            Action::Up => f.start -= step,
            Action::Down => f.start += step,
            Action::PrevPeriod => f.start -= TimeDelta::days(1),
            Action::NextPeriod => f.start += TimeDelta::days(1),
            Action::PageUp => f.duration = (f.duration - step).max(step),
            Action::PageDown => f.duration += step,
            Action::NextSubject => {
                f.kind = match f.kind {
                    Kind::Standard => Kind::Emergency,
                    Kind::Emergency => Kind::Major,
                    Kind::Major => Kind::Standard,
                }
            }
            Action::Select => return self.save(data),
            Action::Back => self.form = None,
            _ => return Handled::No,
        }
        Handled::Yes
    }
}

impl Pane for MaintenancePane {
    fn id(&self) -> PaneId {
        PaneId::Maintenance
    }

    fn handle(&mut self, action: Action, data: &Data) -> Handled {
        if self.form.is_some() {
            return self.handle_form(action, data);
        }
        if let Some(uid) = self.confirm_cancel.take() {
            if matches!(action, Action::CancelWindow | Action::Select) {
                if let Some(w) = data.maintenance.iter().find(|w| w.uid == uid) {
                    let now = DateTime::from_timestamp(data.now.timestamp(), 0).unwrap_or(data.now);
                    let mut c = w.changed(now);
                    c.state = WindowState::Cancelled;
                    self.effects.push(Effect::SaveWindow(Box::new(c)));
                }
                return Handled::Yes;
            }
            // Esc keeps the window; any other key keeps it and does its job.
            if matches!(action, Action::Back) {
                return Handled::Yes;
            }
        }
        match action {
            Action::PlanWindow => self.open_new(data),
            Action::MoveWindow => {
                let Some(w) = self.selected_window(data).cloned() else {
                    return Handled::Yes;
                };
                if w.state == WindowState::Cancelled {
                    return Handled::Yes;
                }
                self.form = Some(Form {
                    uid: Some(w.uid.clone()),
                    target: w.target.clone(),
                    kind: w.kind,
                    start: w.start,
                    duration: w.duration(),
                });
            }
            Action::CancelWindow => {
                let Some(w) = self.selected_window(data) else {
                    return Handled::Yes;
                };
                if w.state != WindowState::Cancelled {
                    self.confirm_cancel = Some(w.uid.clone());
                }
            }
            Action::NextSubject => {
                self.subject += 1;
                self.selected = 0;
            }
            Action::Select => self.month = !self.month,
            Action::NextPeriod => self.offset += 1,
            Action::PrevPeriod => self.offset -= 1,
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => {
                let n = self.subject(data).map_or(0, |t| windows_of(data, &t).len());
                self.selected = (self.selected + 1).min(n.saturating_sub(1));
            }
            Action::Top => self.selected = 0,
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    fn filter(&self) -> &str {
        &self.filter
    }

    fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_string();
        self.subject = 0;
        self.selected = 0;
    }

    fn selected(&self) -> Option<usize> {
        Some(self.selected)
    }

    fn selected_row(&self, data: &Data) -> Option<String> {
        self.selected_window(data).map(|w| w.uid.clone())
    }

    fn select_row(&mut self, row: &str, data: &Data) -> bool {
        for (i, target) in subjects_matching(data, &self.filter).iter().enumerate() {
            if let Some(at) = windows_of(data, target).iter().position(|w| w.uid == row) {
                self.subject = i;
                self.selected = at;
                self.form = None;
                self.confirm_cancel = None;
                return true;
            }
        }
        false
    }

    fn hints(&self) -> Vec<Action> {
        vec![
            Action::PlanWindow,
            Action::MoveWindow,
            Action::CancelWindow,
            Action::NextSubject,
        ]
    }

    fn worst(&self, data: &Data) -> Option<Status> {
        data.maintenance
            .iter()
            .any(|w| w.state_at(data.now) == WindowState::InProgress)
            .then_some(Status::Maintenance)
    }

    fn alerts(&self, data: &Data, out: &mut Vec<crate::model::attention::Alert>) {
        // A window past its end reads its checks: is what it took down back?
        let checks: Vec<_> = data
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
        crate::model::attention::maintenance_alerts(
            &data.fleet,
            &data.maintenance,
            &checks,
            data.now,
            out,
        );
    }

    fn summary(&self, data: &Data) -> String {
        let now = data.now;
        let live = data
            .maintenance
            .iter()
            .filter(|w| w.state_at(now) == WindowState::InProgress)
            .count();
        let next = data
            .maintenance
            .iter()
            .filter(|w| {
                matches!(
                    w.state_at(now),
                    WindowState::Planned | WindowState::Announced
                )
            })
            .count();
        match (live, next) {
            (0, 0) => "no window planned".into(),
            (0, n) => format!("{n} planned"),
            (l, n) => format!("{l} in progress, {n} planned"),
        }
    }

    fn wall_title(&self) -> Option<&'static str> {
        Some("Maintenance, next 24 h")
    }

    /// Windows in progress, then those starting within [`AHEAD`], soonest
    /// first (cancelled and finished ones are left out): what they touch,
    /// their local start and end, kind and state. In progress shows as
    /// maintenance; a planned or announced window that breaks a rule as
    /// critical, one not yet announced as a warning.
    fn wall_lines(&self, data: &Data, n: usize) -> Vec<super::WallLine> {
        let now = data.now;
        let mut tonight: Vec<(&MaintenanceWindow, WindowState)> = data
            .maintenance
            .iter()
            .map(|w| (w, w.state_at(now)))
            .filter(|(w, state)| match state {
                WindowState::InProgress => true,
                WindowState::Planned | WindowState::Announced => w.start - now <= AHEAD,
                WindowState::Done | WindowState::Cancelled => false,
            })
            .collect();
        tonight.sort_by_key(|(w, state)| (*state != WindowState::InProgress, w.start));
        tonight
            .into_iter()
            .take(n)
            .map(|(w, state)| {
                let tz = tz_of(data, &w.target);
                let (a, b) = (w.start.with_timezone(&tz), w.end.with_timezone(&tz));
                let broken = if state == WindowState::InProgress {
                    0
                } else {
                    breaches_of(data, w).len()
                };
                let (status, note) = match state {
                    WindowState::InProgress => (Status::Maintenance, String::new()),
                    _ if broken > 0 => (Status::Down, format!(" · {broken} rule(s) broken")),
                    WindowState::Planned => (Status::Degraded, " · not announced".into()),
                    _ => (Status::Up, String::new()),
                };
                super::WallLine {
                    status,
                    text: format!(
                        "{} · {} {}-{} · {} · {}{note}",
                        sanitize::clean_short(&w.target.label(), 30),
                        a.format("%a"),
                        a.format("%H:%M"),
                        b.format("%H:%M %Z"),
                        w.kind.label(),
                        state.label()
                    ),
                }
            })
            .collect()
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &PaneCtx) {
        let data = ctx.data;
        let theme = ctx.theme;
        let Some(target) = self.subject(data) else {
            let text = if self.filter.is_empty() {
                "No host or client configured.".to_string()
            } else {
                let running = data
                    .maintenance
                    .iter()
                    .filter(|w| w.state_at(data.now) == WindowState::InProgress)
                    .count();
                super::hidden_by_filter(subjects(data).len(), &[(running, "in progress")])
            };
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.style(Role::Muted))),
                area,
            );
            return;
        };
        let tz = tz_of(data, &target);
        let clients: Vec<String> = affected_clients(&data.fleet, &target)
            .iter()
            .map(|c| sanitize::clean(&c.name))
            .collect();
        let mut lines: Vec<Line> = Vec::new();
        let view = if self.month { "month" } else { "week" };
        let asking = self
            .confirm_cancel
            .as_ref()
            .and_then(|uid| data.maintenance.iter().find(|w| w.uid == *uid));
        if let Some(w) = asking {
            lines.push(Line::from(Span::styled(
                format!(
                    "Cancel the window of {}? x or Enter cancels it, Esc keeps it",
                    w.start.with_timezone(&data.tz).format("%a %d %b %H:%M")
                ),
                theme
                    .style(Role::Warn)
                    .add_modifier(ratatui::style::Modifier::BOLD),
            )));
        } else {
            lines.push(Line::from(vec![
                Span::styled(sanitize::clean(&target.label()), theme.style(Role::Title)),
                Span::styled(
                    format!("  {} · {view} · {tz}", clients.join(", ")),
                    theme.style(Role::Muted),
                ),
            ]));
        }
        let form_height = if self.form.is_some() { 4 } else { 0 };
        let windows = windows_of(data, &target);
        let list_height = (windows.len() as u16 + 1).min(area.height / 3).max(2);
        let grid_height = area
            .height
            .saturating_sub(1 + list_height + form_height)
            .max(3);
        let today = data.now.with_timezone(&tz).date_naive();
        if self.month {
            self.month_lines(
                data,
                &target,
                tz,
                today,
                grid_height,
                area.width,
                theme,
                &mut lines,
            );
        } else {
            self.week_lines(
                data,
                &target,
                tz,
                today,
                grid_height,
                area.width,
                theme,
                &mut lines,
            );
        }
        lines.truncate(1 + grid_height as usize);
        while lines.len() < 1 + grid_height as usize {
            lines.push(Line::from(""));
        }
        if let Some(f) = &self.form {
            let breaches = self.form_breaches(data);
            let (a, b) = (
                f.start.with_timezone(&tz),
                (f.start + f.duration).with_timezone(&tz),
            );
            let verb = if f.uid.is_some() { "Move" } else { "Plan" };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{verb} {} ", f.kind.label()),
                    theme.style(Role::Accent),
                ),
                Span::styled(
                    format!(
                        "{} - {} {} ({})",
                        a.format("%a %Y-%m-%d %H:%M"),
                        b.format("%H:%M %Z"),
                        sanitize::clean(&f.target.label()),
                        span_words(f.duration)
                    ),
                    theme.style(Role::Text),
                ),
                Span::styled(
                    "  ↑↓ 15 min · ←→ day · PgUp/PgDn length · c kind · enter save · esc close",
                    theme.style(Role::Muted),
                ),
            ]));
            if breaches.is_empty() {
                lines.push(Line::styled(
                    format!("✓ every rule of {} is met", clients.join(", ")),
                    theme.style(Role::Ok),
                ));
            } else {
                let words: Vec<String> = breaches
                    .iter()
                    .map(|b| sanitize::clean(&b.message))
                    .collect();
                lines.push(Line::styled(
                    format!("✗ {} rule(s) broken: {}", breaches.len(), words.join("; ")),
                    theme.style(Role::Crit),
                ));
            }
        }
        let shown = list_height as usize;
        if windows.is_empty() {
            lines.push(Line::styled(
                "No window for these hosts. n plans one in the best slot.",
                theme.style(Role::Muted),
            ));
        }
        for (i, w) in windows.iter().enumerate().take(shown) {
            let state = w.state_at(data.now);
            let role = match state {
                WindowState::InProgress => Role::Maintenance,
                WindowState::Announced => Role::Ok,
                WindowState::Planned => Role::Warn,
                WindowState::Done | WindowState::Cancelled => Role::Muted,
            };
            let breaches = if matches!(state, WindowState::Planned | WindowState::Announced) {
                breaches_of(data, w).len()
            } else {
                0
            };
            let mut style = theme.style(role);
            if i == self.selected && ctx.focused {
                style = theme.style(Role::Selection);
            }
            let (a, b) = (w.start.with_timezone(&tz), w.end.with_timezone(&tz));
            let mut spans = vec![
                Span::styled(format!("{:<11} ", state.label()), style),
                Span::styled(
                    format!(
                        "{} {}-{} {:<9} {} ",
                        a.format("%a %d %b"),
                        a.format("%H:%M"),
                        b.format("%H:%M"),
                        w.kind.label(),
                        sanitize::clean_short(&w.target.label(), 20)
                    ),
                    theme.style(Role::Text),
                ),
                Span::styled(
                    sanitize::clean_short(&w.title, 40),
                    theme.style(Role::Muted),
                ),
            ];
            if breaches > 0 {
                spans.push(Span::styled(
                    format!("  {breaches} rule(s) broken"),
                    theme.style(Role::Crit),
                ));
            } else if state == WindowState::Planned {
                spans.push(Span::styled("  not announced", theme.style(Role::Warn)));
            }
            lines.push(Line::from(spans));
        }
        // Lines that all fit draw as the wrapping Paragraph would, writing
        // only their text; a long one (narrow terminal) wraps.
        if lines.iter().all(|l| l.width() <= usize::from(area.width)) {
            crate::ui::render::draw_padded_lines(frame.buffer_mut(), area, &lines);
        } else {
            frame.render_widget(
                Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }),
                area,
            );
        }
    }
}

/// What a stretch of time is for a subject, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mark {
    Free,
    Open,
    Cancelled,
    Closed,
    Planned,
    Window,
}

/// A day's opening span as instants, if open that day.
type OpenSpan = Option<(DateTime<Utc>, DateTime<Utc>)>;

/// What [`MaintenancePane::mark`] reads for every cell of a frame, found
/// once: the subject's clients, and each opening's hours of a day as
/// instants (converting local times is most of a cell's cost).
struct MarkMemo<'a> {
    clients: Vec<&'a crate::model::Client>,
    /// (client, opening, day) -> that day's open span, if open.
    open: std::collections::HashMap<(usize, usize, NaiveDate), OpenSpan>,
}

impl<'a> MarkMemo<'a> {
    fn new(data: &'a Data, target: &Target) -> MarkMemo<'a> {
        MarkMemo {
            clients: affected_clients(&data.fleet, target),
            open: std::collections::HashMap::new(),
        }
    }
}

impl MaintenancePane {
    fn mark(
        memo: &mut MarkMemo,
        windows: &[&MaintenanceWindow],
        a: DateTime<Utc>,
        b: DateTime<Utc>,
    ) -> Mark {
        let mut m = Mark::Free;
        for w in windows.iter().filter(|w| w.overlaps(a, b)) {
            m = m.max(match w.state {
                WindowState::Cancelled => Mark::Cancelled,
                WindowState::Planned => Mark::Planned,
                _ => Mark::Window,
            });
        }
        if m >= Mark::Planned {
            return m;
        }
        let MarkMemo {
            clients,
            open: memo,
        } = memo;
        for (ci, c) in clients.iter().enumerate() {
            let r = &c.maintenance;
            for cl in &r.closures {
                let (x, y) = closure_span(r, cl.from, cl.to);
                if x < b && a < y {
                    m = m.max(Mark::Closed);
                }
            }
            for (oi, o) in r.opening.iter().enumerate() {
                let d = a.with_timezone(&o.timezone).date_naive();
                for day in [d - TimeDelta::days(1), d] {
                    let span = *memo.entry((ci, oi, day)).or_insert_with(|| {
                        match o.hours.on(day.weekday()) {
                            DayHours::Open { open, close } => {
                                Some((at(o.timezone, day, open), at(o.timezone, day, close)))
                            }
                            _ => None,
                        }
                    });
                    if let Some((x, y)) = span
                        && x < b
                        && a < y
                    {
                        m = m.max(Mark::Open);
                    }
                }
            }
        }
        m
    }

    fn cell(mark: Mark, width: usize, theme: &crate::ui::theme::Theme) -> Span<'static> {
        let (ch, role) = match mark {
            Mark::Free => ('·', Role::Muted),
            Mark::Open => ('░', Role::Text),
            Mark::Closed => ('▒', Role::Warn),
            Mark::Planned => ('▓', Role::Warn),
            Mark::Window => ('█', Role::Maintenance),
            Mark::Cancelled => ('x', Role::Muted),
        };
        Span::styled(ch.to_string().repeat(width), theme.style(role))
    }

    #[allow(clippy::too_many_arguments)]
    fn week_lines(
        &self,
        data: &Data,
        target: &Target,
        tz: Tz,
        today: NaiveDate,
        height: u16,
        width: u16,
        theme: &crate::ui::theme::Theme,
        lines: &mut Vec<Line<'static>>,
    ) {
        let monday = today - TimeDelta::days(today.weekday().num_days_from_monday().into())
            + TimeDelta::weeks(self.offset);
        let col = ((width.saturating_sub(6)) / 7).clamp(3, 24) as usize;
        let mut head = vec![Span::raw("      ")];
        for d in 0..7 {
            let day = monday + TimeDelta::days(d);
            let label = if col >= 11 {
                day.format("%a %d %b").to_string()
            } else {
                day.format("%a%d").to_string()
            };
            let style = if day == today {
                theme.style(Role::Accent)
            } else {
                theme.style(Role::Title)
            };
            head.push(Span::styled(
                format!("{:<col$}", label.chars().take(col).collect::<String>()),
                style,
            ));
        }
        lines.push(Line::from(head));
        let rows = height.saturating_sub(2).max(1) as u32;
        let step = (24 * 60 / rows).max(60).div_ceil(60) * 60;
        let windows = windows_of(data, target);
        let mut memo = MarkMemo::new(data, target);
        let mut minute = 0;
        while minute < 24 * 60 {
            let t = TimeOfDay {
                minutes: minute as u16,
            };
            let mut spans = vec![Span::styled(format!("{t}  "), theme.style(Role::Muted))];
            for d in 0..7 {
                let day = monday + TimeDelta::days(d);
                let a = at(tz, day, t);
                let b = a + TimeDelta::minutes(step.into());
                let m = Self::mark(&mut memo, &windows, a, b);
                let mut span = Self::cell(m, col.saturating_sub(1), theme);
                if day == today && data.now >= a && data.now < b {
                    span.style = theme.style(Role::Accent);
                }
                spans.push(span);
                spans.push(Span::raw(" "));
            }
            lines.push(Line::from(spans));
            minute += step;
        }
        lines.push(Line::styled(
            "█ window  ▓ planned, not announced  ▒ closure  ░ open  x cancelled  · free",
            theme.style(Role::Muted),
        ));
    }

    #[allow(clippy::too_many_arguments)]
    fn month_lines(
        &self,
        data: &Data,
        target: &Target,
        tz: Tz,
        today: NaiveDate,
        _height: u16,
        width: u16,
        theme: &crate::ui::theme::Theme,
        lines: &mut Vec<Line<'static>>,
    ) {
        let months = today.year() * 12 + today.month0() as i32 + self.offset as i32;
        let first =
            NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1)
                .unwrap_or(today);
        let col = ((width / 7).clamp(4, 20)) as usize;
        let mut head = vec![Span::styled(
            format!("{}  ", first.format("%B %Y")),
            theme.style(Role::Title),
        )];
        head.push(Span::styled(
            "█ window ▓ planned ▒ closure x cancelled",
            theme.style(Role::Muted),
        ));
        lines.push(Line::from(head));
        let names: String = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            .iter()
            .map(|d| format!("{d:<col$}"))
            .collect();
        lines.push(Line::styled(names, theme.style(Role::Title)));
        let windows = windows_of(data, target);
        let mut memo = MarkMemo::new(data, target);
        let mut day = first - TimeDelta::days(first.weekday().num_days_from_monday().into());
        while day.month() == first.month() || day < first {
            let mut spans = Vec::new();
            for _ in 0..7 {
                if day.month() != first.month() {
                    spans.push(Span::raw(" ".repeat(col)));
                } else {
                    let a = at(tz, day, TimeOfDay { minutes: 0 });
                    let b = at(tz, day, TimeOfDay { minutes: 24 * 60 });
                    let m = Self::mark(&mut memo, &windows, a, b);
                    let glyph = match m {
                        Mark::Window => "█",
                        Mark::Planned => "▓",
                        Mark::Closed => "▒",
                        Mark::Cancelled => "x",
                        _ => "",
                    };
                    let role = match m {
                        Mark::Window => Role::Maintenance,
                        Mark::Planned | Mark::Closed => Role::Warn,
                        _ if day == today => Role::Accent,
                        _ => Role::Text,
                    };
                    let text = format!("{:>2}{glyph}", day.day());
                    spans.push(Span::styled(format!("{text:<col$}"), theme.style(role)));
                }
                day += TimeDelta::days(1);
            }
            lines.push(Line::from(spans));
        }
    }
}
