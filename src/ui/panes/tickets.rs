//! The Tickets pane: open tickets by urgency (breached first, then the
//! nearest deadline) with id, client, title, age, deadline countdown,
//! timer, time spent and cost; a detail with the notes and status history;
//! keys to start/stop the timer (stopping asks for a comment in an editor),
//! add a note and open the ticket in a browser.
//!
//! The pane never talks to the tracker: it emits [`TicketCmd`] effects that
//! the runner's ticket task executes, and draws the [`TicketsFeed`] that
//! task sends back.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui_textarea::TextArea;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Data, Handled, Pane, PaneCtx, PaneId};
use crate::cli::deadline;
use crate::cli::tickets::{local_time, quotas, short_duration};
use crate::model::Status;
use crate::model::tickets::{BoardRow, Clock, Deadlines, Ticket, board_of, deadlines};
use crate::sources::tickets::StatusName;
use crate::sources::tickets::desk::DeskView;
use crate::ui::action::Action;
use crate::ui::app::{App, Effect};
use crate::ui::theme::Role;

/// What the ticket task knows, for the pane.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TicketsFeed {
    /// The desk's view; `None` before the first sync or when no tracker
    /// could be set up.
    pub view: Option<DeskView>,
    /// Why there is no tracker (a missing key...), shown in the pane.
    pub problem: Option<String>,
    /// A one-off message (a refused time entry, a pushed note).
    pub notice: Option<String>,
    /// The tracker's name (`redmine`, `builtin`).
    pub backend: String,
    /// A note the tracker refused, handed back to the editor so the
    /// operator's text is never lost.
    pub returned: Option<(u64, String)>,
    /// Bumped by `update` for each feed, so the pane can keep its board
    /// between frames.
    pub version: u64,
    /// The statuses a ticket can be given (for the status editor).
    pub statuses: Vec<StatusName>,
    /// Calls so far this year per client, as the tracker counts them
    /// (`None` when it could not be asked: the known tickets are counted).
    pub calls: Option<BTreeMap<String, u32>>,
    /// The view's tickets, shared by the board's rows, and their
    /// deadlines: made once per feed ([`TicketsFeed::share`]), not each
    /// time the board is built.
    pub shared: Vec<Arc<Ticket>>,
    pub deadlines: Deadlines,
}

impl TicketsFeed {
    /// Fills `shared` and `deadlines` from the view.
    pub fn share(&mut self, fleet: &crate::model::Fleet) {
        let tickets = self
            .view
            .as_ref()
            .map_or(&[][..], |v| &v.cached.tickets[..]);
        self.shared = tickets.iter().cloned().map(Arc::new).collect();
        self.deadlines = deadlines(tickets.iter(), fleet);
    }
}

/// What the pane asks the ticket task to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketCmd {
    Start(u64),
    /// Stop the running timer with this comment; start `then_start` after
    /// (switching tickets).
    Stop {
        comment: String,
        title: String,
        client: Option<String>,
        then_start: Option<u64>,
    },
    Note {
        ticket: u64,
        text: String,
    },
    /// Open a ticket.
    Create {
        client: String,
        priority: String,
        title: String,
        description: String,
    },
    /// Give a ticket a status.
    SetStatus {
        ticket: u64,
        status: String,
    },
    /// Read a ticket's whole history (its detail is open and a sync did
    /// not need it).
    History(u64),
    /// Open the URL in a browser (xdg-open), or show it.
    Open(String),
    Sync,
}

impl TicketCmd {
    /// Timers, notes, new tickets and statuses change the tracker or the
    /// store; reading, syncing and opening a page do not.
    pub fn mutates(&self) -> bool {
        match self {
            TicketCmd::Start(_)
            | TicketCmd::Stop { .. }
            | TicketCmd::Note { .. }
            | TicketCmd::Create { .. }
            | TicketCmd::SetStatus { .. } => true,
            TicketCmd::History(_) | TicketCmd::Open(_) | TicketCmd::Sync => false,
        }
    }
}

/// What the editor is for.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorPurpose {
    StopComment {
        ticket: u64,
        title: String,
        client: Option<String>,
        then_start: Option<u64>,
    },
    Note {
        ticket: u64,
    },
    /// `client:`, `priority:` and `title:` lines, then the description.
    NewTicket,
    Status {
        ticket: u64,
    },
}

/// A comment or note being typed (ratatui-textarea). Ctrl-S saves, Esc
/// cancels (a cancelled stop leaves the timer running: no time is lost).
pub struct Editor {
    pub purpose: EditorPurpose,
    pub area: TextArea<'static>,
}

impl std::fmt::Debug for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Editor")
            .field("purpose", &self.purpose)
            .finish()
    }
}

/// The board as the pane shows it: filtered, judged, sorted.
pub fn rows(data: &Data, filter: &str) -> Vec<BoardRow> {
    let Some(view) = data.tickets.view.as_ref() else {
        return Vec::new();
    };
    let fleet = &data.fleet;
    let f = filter.to_lowercase();
    let keep = |t: &&Arc<Ticket>| {
        f.is_empty()
            || t.title.to_lowercase().contains(&f)
            || t.client
                .as_deref()
                .unwrap_or("")
                .to_lowercase()
                .contains(&f)
            || t.id.to_string() == f
            || t.status.to_lowercase().contains(&f)
    };
    board_of(
        data.tickets.shared.iter().filter(keep),
        fleet,
        &fleet.tickets.rules,
        &local_time(view),
        data.now,
        Some(&data.tickets.deadlines),
    )
}

/// (feed version, clock second, filter) -> the board built for them.
type BoardCache = std::cell::RefCell<Option<((u64, i64, String), std::rc::Rc<Vec<BoardRow>>)>>;

#[derive(Default)]
pub struct TicketsPane {
    /// The row last shown selected; `anchor` wins when its ticket is still
    /// on the board (the order moves: a timer starts, a sync brings news).
    /// Both are pinned whenever a frame or an action reads the selection,
    /// so the ticket the operator saw is the one that stays selected.
    selected: std::cell::Cell<usize>,
    /// The selected ticket's id.
    anchor: std::cell::Cell<Option<u64>>,
    detail: bool,
    filter: String,
    /// A frame asks for the board several times (title, summary, rows):
    /// it is built once per feed, second and filter.
    cache: BoardCache,
    effects: Vec<Effect>,
}

impl TicketsPane {
    fn board(&self, data: &Data, filter: &str) -> std::rc::Rc<Vec<BoardRow>> {
        let key = (
            data.tickets.version,
            data.now.timestamp(),
            filter.to_string(),
        );
        if let Some((k, rows)) = self.cache.borrow().as_ref() {
            if *k == key {
                return rows.clone();
            }
        }
        let built = std::rc::Rc::new(rows(data, filter));
        *self.cache.borrow_mut() = Some((key, built.clone()));
        built
    }
}

impl TicketsPane {
    /// The selected row: where the selected ticket is now, else the same
    /// row number (the ticket left the board).
    fn index(&self, rows: &[BoardRow]) -> usize {
        let i = self
            .anchor
            .get()
            .and_then(|id| rows.iter().position(|r| r.ticket.id == id))
            .unwrap_or(self.selected.get())
            .min(rows.len().saturating_sub(1));
        self.select(i, rows);
        i
    }

    fn select(&self, i: usize, rows: &[BoardRow]) {
        let i = i.min(rows.len().saturating_sub(1));
        self.selected.set(i);
        if let Some(r) = rows.get(i) {
            self.anchor.set(Some(r.ticket.id));
        }
    }
}

/// A row's colour. "Due soon" is judged on the wall clock: 25 minutes of
/// support time left at 3 a.m. is tomorrow morning, not now.
fn status_of(r: &BoardRow, now: chrono::DateTime<chrono::Utc>) -> Status {
    match r.clock {
        Clock::Breached { .. } => Status::Down,
        Clock::Stopped { met: false, .. } => Status::Degraded,
        Clock::Unread { .. } => Status::Unknown,
        _ if r.diagnosis_warning => Status::Degraded,
        Clock::Running { due, .. } if due - now < chrono::TimeDelta::minutes(30) => {
            Status::Degraded
        }
        _ => Status::Up,
    }
}

impl Pane for TicketsPane {
    fn id(&self) -> PaneId {
        PaneId::Tickets
    }

    fn handle(&mut self, action: Action, data: &Data) -> Handled {
        let rows = self.board(data, &self.filter);
        let n = rows.len();
        let at = self.index(&rows);
        let to = match action {
            Action::Up => at.saturating_sub(1),
            Action::Down => at + 1,
            Action::PageUp => at.saturating_sub(10),
            Action::PageDown => at + 10,
            Action::Top => 0,
            Action::Bottom => n.saturating_sub(1),
            Action::Select if n > 0 => {
                self.detail = !self.detail;
                // A ticket whose clock stopped before it last changed was
                // synced without its newest history: read it now.
                if let Some(r) = rows.get(at).filter(|_| self.detail) {
                    if r.ticket.journals_as_of.is_some() {
                        self.effects
                            .push(Effect::Ticket(TicketCmd::History(r.ticket.id)));
                    }
                }
                at
            }
            Action::Back if self.detail => {
                self.detail = false;
                at
            }
            _ => return Handled::No,
        };
        self.select(to, &rows);
        Handled::Yes
    }

    fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    fn selected_ticket(&self, data: &Data) -> Option<u64> {
        let rows = self.board(data, &self.filter);
        rows.get(self.index(&rows)).map(|r| r.ticket.id)
    }

    fn selected_row(&self, data: &Data) -> Option<String> {
        self.selected_ticket(data).map(|id| id.to_string())
    }

    fn select_row(&mut self, row: &str, data: &Data) -> bool {
        let rows = self.board(data, &self.filter);
        let at = row
            .parse::<u64>()
            .ok()
            .and_then(|id| rows.iter().position(|r| r.ticket.id == id));
        if let Some(i) = at {
            self.select(i, &rows);
            self.detail = false;
        }
        at.is_some()
    }

    fn filter(&self) -> &str {
        &self.filter
    }

    fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_string();
        self.selected.set(0);
        self.anchor.set(None);
    }

    fn selected(&self) -> Option<usize> {
        Some(self.selected.get())
    }

    fn hints(&self) -> Vec<Action> {
        vec![
            Action::TimerToggle,
            Action::AddNote,
            Action::NewTicket,
            Action::SetStatus,
        ]
    }

    fn worst(&self, data: &Data) -> Option<Status> {
        self.board(data, &self.filter)
            .iter()
            .map(|r| status_of(r, data.now))
            .max()
    }

    /// Every ticket, whatever the filter (the board's cache serves when
    /// there is none), the clients near their yearly calls, and a tracker
    /// that cannot be reached.
    fn alerts(&self, data: &Data, out: &mut Vec<crate::model::attention::Alert>) {
        use crate::model::attention::{SelfState, ticket_alerts, vigie_alerts};
        let Some(view) = data.tickets.view.as_ref() else {
            return;
        };
        let all = if self.filter.is_empty() {
            self.board(data, "")
        } else {
            std::rc::Rc::new(rows(data, ""))
        };
        let calls = quotas(&data.fleet, view, data.tickets.calls.as_ref(), data.now);
        let calls: Vec<(&str, crate::model::tickets::Quota)> =
            calls.iter().map(|c| (c.client.as_str(), c.quota)).collect();
        let settings = data.fleet.attention;
        ticket_alerts(&all, &calls, &settings, data.now, out);
        if let Some(e) = view.error.as_ref() {
            let since = view.cached.synced.unwrap_or(data.now);
            let me = SelfState {
                tracker: Some((e.clone(), since)),
                ..SelfState::default()
            };
            vigie_alerts(&me, &settings, data.now, out);
        }
    }

    fn summary(&self, data: &Data) -> String {
        let rows = self.board(data, &self.filter);
        if data.tickets.view.is_none() {
            return data
                .tickets
                .problem
                .clone()
                .unwrap_or_else(|| "waiting for the tracker".into());
        }
        let late = rows.iter().filter(|r| r.clock.is_breached()).count();
        let stale = if data
            .tickets
            .view
            .as_ref()
            .is_some_and(|v| v.error.is_some())
        {
            " · STALE"
        } else {
            ""
        };
        format!("{} open, {late} late{stale}", rows.len())
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &PaneCtx) {
        let data = ctx.data;
        let theme = ctx.theme;
        let Some(view) = data.tickets.view.as_ref() else {
            let text = data
                .tickets
                .problem
                .clone()
                .unwrap_or_else(|| "Reading the tracker…".into());
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.style(Role::Muted)))
                    .wrap(Wrap { trim: true }),
                area,
            );
            return;
        };
        let rows = self.board(data, &self.filter);
        let [status, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        frame.render_widget(Paragraph::new(status_line(data, view, theme)), status);
        let selected = self.index(&rows);
        if self.detail {
            if let Some(r) = rows.get(selected) {
                render_detail(frame, body, r, data, theme);
                return;
            }
        }
        if rows.is_empty() {
            let text = if self.filter.is_empty() {
                "No open tickets.".to_string()
            } else {
                let all = self.board(data, "");
                let late = all.iter().filter(|r| r.clock.is_breached()).count();
                super::hidden_by_filter(all.len(), &[(late, "late")])
            };
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.style(Role::Muted)))
                    .wrap(Wrap { trim: true }),
                body,
            );
            return;
        }
        let w = body.width as usize;
        // id client deadline timer spent cost age, title takes the rest.
        let wide = w >= 110;
        // id, client, deadline, timer, spent (with its flag), then cost
        // (amount and currency) and age when wide.
        let fixed = if wide {
            6 + 11 + 18 + 8 + 7 + 12 + 7
        } else {
            6 + 9 + 12 + 7 + 7
        };
        let title_w = w.saturating_sub(fixed + 1).max(8);
        let mut lines = Vec::new();
        let head = if wide {
            format!(
                "{:<6}{:<11}{:<tw$} {:<18}{:<8}{:>6} {:>8}    {:>7}",
                "#",
                "CLIENT",
                "TITLE",
                "DEADLINE",
                "TIMER",
                "SPENT",
                "COST",
                "AGE",
                tw = title_w
            )
        } else {
            format!(
                "{:<6}{:<9}{:<tw$} {:<12}{:<7}{:>6} ",
                "#",
                "CLIENT",
                "TITLE",
                "DEADLINE",
                "TIMER",
                "SPENT",
                tw = title_w
            )
        };
        lines.push(Line::from(Span::styled(head, theme.style(Role::Header))));
        let height = body.height.saturating_sub(1) as usize;
        let start = selected.saturating_sub(height.saturating_sub(1));
        for (i, r) in rows.iter().enumerate().skip(start).take(height) {
            let t = &r.ticket;
            let st = status_of(r, data.now);
            let deadline = deadline::cell(&r.clock, data.now, data.tz, wide);
            let timer = r
                .timer
                .map(|at| {
                    format!(
                        "▶{}",
                        short_duration((data.now - at).to_std().unwrap_or_default())
                    )
                })
                .unwrap_or_default();
            let client = t.client.as_deref().unwrap_or("?");
            let title = fit(&t.title, title_w);
            let mut spans = vec![
                Span::styled(
                    format!("{:<6}", fit(&t.id.to_string(), 6)),
                    theme.style(Role::Muted),
                ),
                Span::styled(
                    format!(
                        "{:<w$}",
                        fit(client, if wide { 10 } else { 8 }),
                        w = if wide { 11 } else { 9 }
                    ),
                    theme.style(Role::Text),
                ),
                Span::styled(format!("{title:<title_w$} "), theme.style(Role::Text)),
                Span::styled(
                    format!("{deadline:<w$}", w = if wide { 18 } else { 12 }),
                    theme.status(st),
                ),
                Span::styled(
                    format!("{:<w$}", timer, w = if wide { 8 } else { 7 }),
                    theme.style(Role::Accent),
                ),
                Span::styled(
                    format!(
                        "{:>6}{}",
                        short_duration(r.spent),
                        if r.diagnosis_warning { "!" } else { " " }
                    ),
                    if r.diagnosis_warning {
                        theme.style(Role::Warn)
                    } else {
                        theme.style(Role::Text)
                    },
                ),
            ];
            if wide {
                spans.push(Span::styled(
                    format!(
                        "{:>8} {:<3}",
                        crate::model::money::format_cents(r.cost),
                        fit(&r.currency, 3)
                    ),
                    theme.style(Role::Text),
                ));
                spans.push(Span::styled(
                    format!(
                        " {:>6}",
                        short_duration((data.now - t.created).to_std().unwrap_or_default())
                    ),
                    theme.style(Role::Muted),
                ));
            }
            let mut line = Line::from(spans);
            if i == selected && ctx.focused {
                line = line.style(theme.style(Role::Selection));
            }
            lines.push(line);
        }
        // Rows are mostly padding: only their text is written.
        crate::ui::render::draw_padded_lines(frame.buffer_mut(), body, &lines);
    }

    fn wall_title(&self) -> Option<&'static str> {
        Some("Tickets nearest their deadline")
    }

    /// Breached tickets first, then the nearest running deadlines, in the
    /// board's own urgency order; stopped and clockless tickets are left
    /// out. Each line: id, client, short title and the countdown (or
    /// "LATE ..."), coloured as the pane colours the row.
    fn wall_lines(&self, data: &Data, n: usize) -> Vec<super::WallLine> {
        self.board(data, "")
            .iter()
            .filter(|r| {
                matches!(
                    r.clock,
                    Clock::Breached { .. } | Clock::Running { .. } | Clock::Unread { .. }
                )
            })
            .take(n)
            .map(|r| super::WallLine {
                status: status_of(r, data.now),
                text: format!(
                    "#{} {} · {} · {}",
                    r.ticket.id,
                    crate::sanitize::clean_short(r.ticket.client.as_deref().unwrap_or("?"), 20),
                    crate::sanitize::clean_short(&r.ticket.title, 40),
                    deadline::cell(&r.clock, data.now, data.tz, true),
                ),
            })
            .collect()
    }
}

fn fit(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn status_line<'a>(data: &Data, view: &DeskView, theme: &crate::ui::theme::Theme) -> Line<'a> {
    let mut spans = Vec::new();
    let age = |at: chrono::DateTime<chrono::Utc>| {
        short_duration((data.now - at).to_std().unwrap_or_default())
    };
    match (&view.error, view.cached.synced) {
        (Some(e), synced) => spans.push(Span::styled(
            format!(
                "STALE ({}): {} ",
                synced.map_or("nothing cached".into(), |s| format!("cache {} old", age(s))),
                crate::sanitize::clean_short(e, 80)
            ),
            theme.style(Role::Warn).add_modifier(Modifier::BOLD),
        )),
        (None, Some(s)) => spans.push(Span::styled(
            format!("{} · synced {} ago ", data.tickets.backend, age(s)),
            theme.style(Role::Muted),
        )),
        (None, None) => {}
    }
    if view.unread > 0 {
        spans.push(Span::styled(
            format!(
                "· reading {} histor{} ",
                view.unread,
                if view.unread == 1 { "y" } else { "ies" }
            ),
            theme.style(Role::Muted),
        ));
    }
    if let Some(t) = &view.timer {
        spans.push(Span::styled(
            format!("· timer #{} {} ", t.ticket, age(t.started)),
            theme.style(Role::Accent),
        ));
    }
    if !view.pending.is_empty() {
        let why = view
            .pending
            .iter()
            .find_map(|e| e.last_error.clone())
            .map(|e| format!(": {}", crate::sanitize::clean_short(&e, 60)))
            .unwrap_or_default();
        spans.push(Span::styled(
            format!(
                "· {} time entr{} queued{why}",
                view.pending.len(),
                if view.pending.len() == 1 { "y" } else { "ies" }
            ),
            theme.style(Role::Warn),
        ));
    }
    // Clients at 80 % of their yearly calls.
    let quotas = quotas(&data.fleet, view, data.tickets.calls.as_ref(), data.now);
    let near: Vec<String> = quotas
        .iter()
        .filter(|c| c.quota.warning())
        .map(|c| format!("{} {}/{}", c.client, c.quota.used, c.quota.allowed))
        .collect();
    if !near.is_empty() {
        spans.push(Span::styled(
            format!("· calls {} ", near.join(", ")),
            theme.style(Role::Warn),
        ));
    }
    Line::from(spans)
}

fn render_detail(
    frame: &mut Frame,
    area: Rect,
    r: &BoardRow,
    data: &Data,
    theme: &crate::ui::theme::Theme,
) {
    let t = &r.ticket;
    let tz = data.tz;
    let when = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&tz).format("%a %d %b %H:%M").to_string()
    };
    let mut lines = vec![
        Line::from(Span::styled(
            format!("#{} {}", t.id, t.title),
            theme.style(Role::Title),
        )),
        Line::from(Span::styled(
            format!(
                "{} · {} · {} · {} · by {}{}",
                t.client.as_deref().unwrap_or("?"),
                t.tracker,
                t.priority,
                t.status,
                t.author,
                t.assignee
                    .as_deref()
                    .map(|a| format!(" · assigned to {a}"))
                    .unwrap_or_default()
            ),
            theme.style(Role::Muted),
        )),
    ];
    let deadline = match r.clock {
        Clock::None => "no intervention time for this priority".to_string(),
        c => format!("intervention {}", deadline::words(&c, data.now, tz)),
    };
    lines.push(Line::from(Span::styled(
        format!("opened {} · {deadline}", when(t.created)),
        theme.status(status_of(r, data.now)),
    )));
    if let Clock::Running { .. } | Clock::Breached { .. } = r.restoration {
        lines.push(Line::from(Span::styled(
            format!(
                "restoration {}",
                deadline::words(&r.restoration, data.now, tz)
            ),
            theme.style(Role::Text),
        )));
    }
    lines.push(Line::from(Span::styled(
        format!(
            "spent {} · billed {} · {} {}{}",
            short_duration(r.spent),
            short_duration(r.billed),
            crate::model::money::format_cents(r.cost),
            r.currency,
            if r.diagnosis_warning {
                " · diagnosis over the contract's threshold: tell the client"
            } else {
                ""
            }
        ),
        if r.diagnosis_warning {
            theme.style(Role::Warn)
        } else {
            theme.style(Role::Text)
        },
    )));
    if let Some(c) = t.client.as_deref().and_then(|client| {
        let view = data.tickets.view.as_ref()?;
        quotas(&data.fleet, view, data.tickets.calls.as_ref(), data.now)
            .into_iter()
            .find(|c| c.client == client)
    }) {
        let q = c.quota;
        lines.push(Line::from(Span::styled(
            format!(
                "calls this year for {}: {}{} of {}{}",
                c.client,
                if c.complete { "" } else { "at least " },
                q.used,
                q.allowed,
                if q.exceeded() {
                    " · quota EXCEEDED"
                } else if q.warning() {
                    " · 80 % of the quota reached"
                } else {
                    ""
                }
            ),
            if q.warning() {
                theme.style(Role::Warn)
            } else {
                theme.style(Role::Text)
            },
        )));
    }
    if let Some(url) = &t.url {
        lines.push(Line::from(Span::styled(
            url.clone(),
            theme.style(Role::Muted),
        )));
    }
    lines.push(Line::from(""));
    if let Some(at) = t.journals_as_of {
        lines.push(Line::from(Span::styled(
            format!("history as of {}; reading the rest…", when(at)),
            theme.style(Role::Muted),
        )));
    }
    if t.journals.is_empty() {
        lines.push(Line::from(Span::styled(
            "No notes yet.",
            theme.style(Role::Muted),
        )));
    }
    for j in t.journals.iter().rev() {
        let mut head = format!("{} {}", when(j.at), j.author);
        if let Some((from, to)) = &j.status_change {
            head.push_str(&format!(" · status {from} → {to}"));
        }
        lines.push(Line::from(Span::styled(head, theme.style(Role::Accent))));
        if let Some(n) = &j.notes {
            for l in n.lines() {
                lines.push(Line::from(Span::styled(
                    format!("  {l}"),
                    theme.style(Role::Text),
                )));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

/// The ticket actions, once the pane has passed on them.
pub fn act(app: &mut App, action: Action) -> Vec<Effect> {
    if action == Action::NewTicket {
        let client = app
            .pane(PaneId::Tickets)
            .and_then(|p| p.selected_ticket(&app.data))
            .and_then(|id| ticket_of(app, id))
            .and_then(|t| t.client)
            .or_else(|| app.data.fleet.clients.first().map(|c| c.id.clone()))
            .unwrap_or_default();
        open_editor(app, EditorPurpose::NewTicket);
        if let Some(ed) = app.editor.as_mut() {
            ed.area
                .insert_str(format!("client: {client}\npriority: normal\ntitle: "));
        }
        return Vec::new();
    }
    let selected = app
        .pane(PaneId::Tickets)
        .and_then(|p| p.selected_ticket(&app.data));
    let Some(t) = selected.and_then(|id| ticket_of(app, id)) else {
        app.notify("no ticket selected");
        return Vec::new();
    };
    let running = app.data.tickets.view.as_ref().and_then(|v| v.timer.clone());
    match action {
        Action::TimerToggle => match running {
            None => {
                app.notify(format!("timer started on #{}", t.id));
                return vec![Effect::Ticket(TicketCmd::Start(t.id))];
            }
            Some(timer) => {
                // Stop (and maybe switch): the comment first.
                let (title, client) = ticket_of(app, timer.ticket)
                    .map(|x| (x.title, x.client))
                    .unwrap_or_else(|| (format!("#{}", timer.ticket), None));
                let then_start = (timer.ticket != t.id).then_some(t.id);
                open_editor(
                    app,
                    EditorPurpose::StopComment {
                        ticket: timer.ticket,
                        title,
                        client,
                        then_start,
                    },
                );
            }
        },
        Action::AddNote => open_editor(app, EditorPurpose::Note { ticket: t.id }),
        Action::SetStatus => {
            open_editor(app, EditorPurpose::Status { ticket: t.id });
            if let Some(ed) = app.editor.as_mut() {
                ed.area.insert_str(&t.status);
            }
        }
        Action::OpenTicket => match &t.url {
            Some(url) => return vec![Effect::Ticket(TicketCmd::Open(url.clone()))],
            None => app.notify(format!("#{} has no web page (built-in tracker)", t.id)),
        },
        _ => {}
    }
    Vec::new()
}

fn ticket_of(app: &App, id: u64) -> Option<crate::model::tickets::Ticket> {
    app.data
        .tickets
        .view
        .as_ref()
        .and_then(|v| v.cached.tickets.iter().find(|t| t.id == id))
        .cloned()
}

/// Reopens the note editor with text the tracker did not take.
pub fn reopen_note(app: &mut App, ticket: u64, text: &str) {
    open_editor(app, EditorPurpose::Note { ticket });
    if let Some(ed) = app.editor.as_mut() {
        ed.area.insert_str(text);
    }
}

fn open_editor(app: &mut App, purpose: EditorPurpose) {
    let mut area = TextArea::default();
    let title = match &purpose {
        EditorPurpose::StopComment {
            ticket, then_start, ..
        } => match then_start {
            Some(next) => format!(" Stop #{ticket} (then start #{next}): what was done? "),
            None => format!(" Stop #{ticket}: what was done? "),
        },
        EditorPurpose::Note { ticket } => format!(" Note on #{ticket} "),
        EditorPurpose::NewTicket => {
            " New ticket: client, priority, title; then a description ".into()
        }
        EditorPurpose::Status { ticket } => {
            let names: Vec<&str> = app
                .data
                .tickets
                .statuses
                .iter()
                .map(|s| s.name.as_str())
                .collect();
            if names.is_empty() {
                format!(" Status of #{ticket} ")
            } else {
                format!(" Status of #{ticket} ({}) ", names.join(", "))
            }
        }
    };
    area.set_block(Block::default().borders(Borders::ALL).title(title));
    app.editor = Some(Editor { purpose, area });
}

/// A key while the editor is open: Ctrl-S saves, Esc cancels.
pub fn editor_key(app: &mut App, key: crossterm::event::KeyEvent) -> Vec<Effect> {
    use crossterm::event::{KeyCode, KeyModifiers};
    let Some(mut ed) = app.editor.take() else {
        return Vec::new();
    };
    if key.code == KeyCode::Esc {
        app.notify(match ed.purpose {
            EditorPurpose::StopComment { .. } => "not stopped: the timer keeps running",
            EditorPurpose::Note { .. } => "note cancelled",
            EditorPurpose::NewTicket => "no ticket opened",
            EditorPurpose::Status { .. } => "status unchanged",
        });
        return Vec::new();
    }
    if key.code == KeyCode::Char('s') && key.modifiers.contains(KeyModifiers::CONTROL) {
        let text = ed.area.lines().join("\n").trim().to_string();
        return match ed.purpose {
            EditorPurpose::StopComment {
                title,
                client,
                then_start,
                ..
            } => vec![Effect::Ticket(TicketCmd::Stop {
                comment: text,
                title,
                client,
                then_start,
            })],
            EditorPurpose::Note { ticket } if !text.is_empty() => {
                vec![Effect::Ticket(TicketCmd::Note { ticket, text })]
            }
            EditorPurpose::Note { .. } => {
                app.notify("empty note not sent");
                Vec::new()
            }
            EditorPurpose::NewTicket => match parse_new_ticket(&text, &app.data.fleet) {
                Ok(cmd) => vec![Effect::Ticket(cmd)],
                Err(why) => {
                    // Keep the text: the operator fixes the line and saves again.
                    app.notify(why);
                    app.editor = Some(ed);
                    Vec::new()
                }
            },
            EditorPurpose::Status { ticket } => {
                let known = &app.data.tickets.statuses;
                let found = known
                    .iter()
                    .find(|s| s.name.eq_ignore_ascii_case(&text))
                    .map(|s| s.name.clone());
                match found {
                    Some(status) => vec![Effect::Ticket(TicketCmd::SetStatus { ticket, status })],
                    // Statuses not read yet: the tracker judges the name.
                    None if known.is_empty() && !text.is_empty() => {
                        vec![Effect::Ticket(TicketCmd::SetStatus {
                            ticket,
                            status: text,
                        })]
                    }
                    None => {
                        let names: Vec<&str> = known.iter().map(|s| s.name.as_str()).collect();
                        app.notify(format!(
                            "no status '{}': one of {}",
                            crate::sanitize::clean_short(&text, 30),
                            names.join(", ")
                        ));
                        app.editor = Some(ed);
                        Vec::new()
                    }
                }
            }
        };
    }
    ed.area.input(key);
    app.editor = Some(ed);
    Vec::new()
}

/// The new-ticket editor's text: `client:`, `priority:` and `title:`
/// lines (any order), then the description. The client must be one of the
/// fleet's.
pub fn parse_new_ticket(text: &str, fleet: &crate::model::Fleet) -> Result<TicketCmd, String> {
    let (mut client, mut priority, mut title) = (None, None, None);
    let mut description = Vec::new();
    let mut head = true;
    for line in text.lines() {
        if head {
            if line.trim().is_empty() {
                head = false;
                continue;
            }
            let (key, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.trim().to_string();
            match key.trim().to_ascii_lowercase().as_str() {
                "client" => client = Some(value),
                "priority" => priority = Some(value),
                "title" => title = Some(value),
                _ => {
                    head = false;
                    description.push(line);
                }
            }
        } else {
            description.push(line);
        }
    }
    let client = client
        .filter(|c| !c.is_empty())
        .ok_or("a 'client:' line is needed")?;
    if fleet.client(&client).is_none() {
        let known: Vec<&str> = fleet.clients.iter().map(|c| c.id.as_str()).collect();
        return Err(format!(
            "unknown client '{}': one of {}",
            crate::sanitize::clean_short(&client, 30),
            known.join(", ")
        ));
    }
    let title = title
        .filter(|t| !t.is_empty())
        .ok_or("the 'title:' line is empty")?;
    Ok(TicketCmd::Create {
        client,
        priority: priority
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "normal".into()),
        title,
        description: description.join("\n").trim().to_string(),
    })
}

/// Pasted text goes into the open editor.
pub fn editor_paste(app: &mut App, text: &str) {
    if let Some(ed) = app.editor.as_mut() {
        let clean = crate::sources::tickets::clean_note(text);
        ed.area.insert_str(clean);
    }
}

/// Draws the editor over the panes.
pub fn render_editor(app: &App, frame: &mut Frame, area: Rect) {
    let Some(ed) = &app.editor else { return };
    let w = area.width.clamp(20, 72);
    let h = area.height.clamp(5, 10);
    let r = Rect {
        x: area.x + (area.width.saturating_sub(w)) / 2,
        y: area.y + (area.height.saturating_sub(h)) / 2,
        width: w.min(area.width),
        height: h.min(area.height),
    };
    frame.render_widget(Clear, r);
    frame.render_widget(&ed.area, r);
    if r.height > 0 {
        let hint = Rect {
            y: r.y + r.height - 1,
            height: 1,
            ..r
        };
        frame.render_widget(
            Paragraph::new(Span::styled(
                " Ctrl-S save · Esc cancel ",
                app.theme.style(Role::Muted),
            )),
            Rect {
                x: hint.x + 2,
                width: hint.width.saturating_sub(4),
                ..hint
            },
        );
    }
}
