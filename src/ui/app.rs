//! The console's state and its one `update` function. Terminal keys, engine
//! events, store snapshots and the clock all arrive as [`Msg`]; `update`
//! changes the state and returns [`Effect`]s for the runner to execute. No
//! I/O here, so every behaviour is testable without a terminal.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Context};
use super::keymap::Keymap;
use super::keys::KeyBinding;
use super::panes::{self, Data, Handled, LiveCheck, Pane, PaneId};
use super::theme::{ColorDepth, Theme, ThemeSet};
use crate::engine::Event;
use crate::model::Fleet;

/// Where the console's data comes from, shown in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// This console runs the engine itself (no daemon alive).
    LocalEngine,
    /// A live daemon collects; this console follows its store.
    Daemon,
    /// A one-off frame (`vigie snapshot`).
    Snapshot,
}

/// What sits on top of the panes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help {
        scroll: u16,
    },
    /// The `:` command line and what has been typed.
    Command(String),
    /// The `/` filter being typed, and the filter before, for Esc.
    Filter {
        text: String,
        before: String,
    },
    /// The `:usage` view, scrolled by `scroll` lines.
    Usage {
        scroll: u16,
    },
    /// The Alerts view (its selection is `App::alerts_view`).
    Alerts,
}

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    Tick(DateTime<Utc>),
    Engine(Event),
    /// A fresh copy of the check states read from the store (daemon mode).
    States(Vec<(String, LiveCheck)>),
    Feed(Feed),
    /// Sparklines and this month's availability, read from the store.
    History(crate::ui::history::HealthHistory),
    /// The history of the host whose detail is open.
    Detail(crate::ui::history::HostDetail),
    /// Backup points, runs and listing states, read from the store.
    Backups(std::collections::BTreeMap<String, crate::model::backup::SourceRecord>),
    /// Every maintenance window, read from the store.
    Maintenance(Vec<crate::model::maintenance::MaintenanceWindow>),
    /// Acknowledgements and silences, read from the store.
    Attention(Box<super::attention::Lifecycle>),
    /// Themes and keymap read again after their files changed, or why not.
    Reloaded(Result<Box<super::reload::Loaded>, String>),
    /// A store's latest view from the POS monitor.
    Pos(Box<crate::model::pos::StoreView>),
    /// The ticket desk's view after a sync or a command.
    Tickets(Box<super::panes::tickets::TicketsFeed>),
    /// This year's usage reports, read from the store.
    Usage(Box<super::usage::UsageView>),
    /// What the daemon published about its store failing (damaged, disk
    /// full), or `None` once it writes again.
    StoreFault(Option<String>),
}

/// What `update` asks the runner to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    Quit,
    RefreshChecks,
    /// Ctrl-Z: give the terminal back and stop until `fg`.
    Suspend,
    /// Ring the terminal's bell (a check became critical).
    Bell,
    /// Store a new version of a maintenance window.
    SaveWindow(Box<crate::model::maintenance::MaintenanceWindow>),
    /// Hand the terminal to an SSH session on `host` (policy and audit in
    /// `crate::jump`), then come back.
    Ssh {
        host: String,
    },
    /// A read-only console refused `s` on `host`: the refusal goes to the
    /// audit log, as `vigie --read-only ssh` puts it there.
    SshRefused {
        host: String,
    },
    /// Something for the ticket desk (timer, note, browser, sync).
    Ticket(super::panes::tickets::TicketCmd),
    /// An acknowledgement or a silence for the store writer, as `vigie
    /// ack` and `vigie silence` write them.
    Alerts(crate::store::attention::AlertWrite),
    /// Store a round of the alerts' lifecycle (first sightings, clearings):
    /// bookkeeping of the collector, not an operator's change.
    Round(Vec<crate::model::attention::Record>),
}

/// A short message under the panes that fades after a few seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub until: DateTime<Utc>,
}

/// How the console was started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Modes {
    pub demo: bool,
    pub read_only: bool,
}

pub struct App {
    pub data: Data,
    pub panes: Vec<Box<dyn Pane>>,
    pub focus: PaneId,
    pub zoomed: bool,
    pub overlay: Overlay,
    pub notice: Option<Notice>,
    pub theme: Theme,
    pub themes: Arc<ThemeSet>,
    pub keymap: Keymap,
    pub modes: Modes,
    pub feed: Feed,
    /// The open alert ids of the last round this console stored (as the
    /// collector): a round is stored again only when the set changes.
    pub rounded: Option<std::collections::BTreeSet<String>>,
    /// Whether the store's lifecycle was read once: no round is stored
    /// before, or it would drop what the store knew.
    pub lifecycle_read: bool,
    pub size: (u16, u16),
    /// Set when something visible changed; the runner draws and clears it.
    pub dirty: bool,
    /// `Some` in `--wall` mode: the wall display replaces the panes.
    pub wall: Option<super::wall::Wall>,
    /// The comment or note being typed (Tickets pane).
    pub editor: Option<super::panes::tickets::Editor>,
    /// Ring the bell when a check becomes critical (`[console] bell`).
    pub bell: bool,
    /// Why the followed daemon cannot write the store, shown in the header.
    pub store_fault: Option<String>,
    /// The on-call rota (`[oncall]`), so the header names who is on call.
    pub rota: Option<crate::model::paging::Rota>,
    /// Since when this console has seen that fault (the alert's `since`).
    pub store_fault_since: Option<DateTime<Utc>>,
    /// The open critical alerts the bell has rung for (see
    /// `attention::new_criticals`).
    pub rung: Option<std::collections::BTreeSet<String>>,
    /// When this console started watching: older problems do not ring.
    pub watching_since: DateTime<Utc>,
    /// The checks that had a verdict at the last tick (see `first_verdicts`).
    pub judged: std::collections::BTreeSet<String>,
    /// Bumped by every message but keys, pastes and resizes: the alert
    /// list is remade only when it moves.
    pub epoch: u64,
    /// The alert list of an epoch (see `attention::list`).
    pub alerts: AlertsCache,
    /// The same with acknowledgements and silences (`attention::open`).
    pub open: OpenCache,
    /// The Alerts view's selection, kept while it is closed.
    pub alerts_view: super::alerts::AlertsView,
    /// The acknowledgement comment or silence being typed.
    pub alert_editor: Option<super::alerts::AlertEditor>,
    /// What was typed and not saved (Esc, or a write not taken), by what
    /// it was for: opening the same editor again brings it back.
    pub alert_drafts: std::collections::BTreeMap<String, String>,
}

const NOTICE_SECONDS: i64 = 5;

/// The alert list and the data it was made from (see `attention::list`).
pub type AlertsCache =
    std::cell::RefCell<Option<([u64; 5], std::rc::Rc<Vec<crate::model::attention::Alert>>)>>;
/// The alert list with its lifecycle applied (see `attention::open`).
pub type OpenCache =
    std::cell::RefCell<Option<([u64; 5], std::rc::Rc<Vec<crate::model::attention::Open>>)>>;

impl App {
    pub fn new(
        fleet: Arc<Fleet>,
        themes: Arc<ThemeSet>,
        theme: Theme,
        keymap: Keymap,
        now: DateTime<Utc>,
        tz: Tz,
        modes: Modes,
    ) -> App {
        App {
            data: Data::new(fleet, now, tz),
            panes: panes::all(),
            focus: PaneId::Health,
            zoomed: false,
            overlay: Overlay::None,
            notice: None,
            theme,
            themes,
            keymap,
            modes,
            feed: Feed::LocalEngine,
            rounded: None,
            lifecycle_read: false,
            size: (80, 24),
            dirty: true,
            wall: None,
            editor: None,
            bell: false,
            store_fault: None,
            rota: None,
            store_fault_since: None,
            rung: None,
            watching_since: now,
            judged: Default::default(),
            epoch: 0,
            alerts: std::cell::RefCell::new(None),
            open: std::cell::RefCell::new(None),
            alerts_view: Default::default(),
            alert_editor: None,
            alert_drafts: Default::default(),
        }
    }

    pub fn pane(&self, id: PaneId) -> Option<&dyn Pane> {
        self.panes.iter().find(|p| p.id() == id).map(|p| p.as_ref())
    }

    fn pane_mut(&mut self, id: PaneId) -> Option<&mut Box<dyn Pane>> {
        self.panes.iter_mut().find(|p| p.id() == id)
    }

    pub fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            until: self.data.now + Duration::seconds(NOTICE_SECONDS),
        });
    }

    /// The context whose bindings apply now.
    pub fn context(&self) -> Context {
        self.focus.context()
    }
}

/// The one place where messages change the console.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    // Keys change selections and prompts; the rest may change what is wrong.
    // (A key's own effects come back as messages, which bump it then.)
    if !matches!(msg, Msg::Key(_) | Msg::Paste(_) | Msg::Resize(..)) {
        app.epoch = app.epoch.wrapping_add(1);
    }
    match msg {
        Msg::Key(key) => on_key(app, key),
        Msg::Paste(text) if app.alert_editor.is_some() => {
            super::alerts::editor::paste(app, &text);
            app.dirty = true;
            Vec::new()
        }
        Msg::Paste(text) if app.editor.is_some() => {
            super::panes::tickets::editor_paste(app, &text);
            app.dirty = true;
            Vec::new()
        }
        Msg::Paste(text) => {
            match &mut app.overlay {
                Overlay::Command(line) => line.push_str(&single_line(&text)),
                Overlay::Filter { text: f, .. } => {
                    f.push_str(&single_line(&text));
                    let f = f.clone();
                    apply_filter(app, &f);
                }
                _ => {}
            }
            app.dirty = true;
            Vec::new()
        }
        Msg::Resize(w, h) => {
            app.size = (w, h);
            app.dirty = true;
            Vec::new()
        }
        Msg::Tick(now) => {
            app.data.now = now;
            if app.notice.as_ref().is_some_and(|n| n.until <= now) {
                app.notice = None;
            }
            app.dirty = true;
            // Every domain's new criticals ring on the clock's second,
            // checks included: the list is the bell's one path.
            let list = super::attention::open(app);
            let since = app.watching_since;
            let fresh = first_verdicts(app);
            let mut effects = Vec::new();
            if super::attention::new_criticals(&list, &mut app.rung, since, &fresh) && app.bell {
                effects.push(Effect::Bell);
            }
            // With no daemon, this console keeps the alerts' first
            // sightings in the store (the daemon does when it collects).
            if app.feed == Feed::LocalEngine && app.lifecycle_read {
                if let Some(records) = super::attention::round_due(app) {
                    effects.push(Effect::Round(records));
                }
            }
            effects
        }
        Msg::Engine(Event::Result(result)) => {
            app.data.record(&result);
            app.dirty = true;
            Vec::new()
        }
        Msg::States(states) => {
            for (id, stored) in states {
                app.data.merge_stored(id, stored);
            }
            app.dirty = true;
            Vec::new()
        }
        Msg::History(history) => {
            if app.data.history != history {
                app.data.history = history;
                app.dirty = true;
            }
            Vec::new()
        }
        Msg::Detail(detail) => {
            app.data.detail = Some(detail);
            app.dirty = true;
            Vec::new()
        }
        Msg::Backups(records) => {
            if app.data.backups.set(records) {
                app.dirty = true;
            }
            Vec::new()
        }
        Msg::Tickets(mut feed) => {
            if let Some(n) = feed.notice.take() {
                app.notify(crate::sanitize::clean_short(&n, 160));
            }
            if let Some((ticket, text)) = feed.returned.take() {
                if app.editor.is_none() {
                    super::panes::tickets::reopen_note(app, ticket, &text);
                }
            }
            feed.version = app.data.tickets.version.wrapping_add(1);
            feed.share(&app.data.fleet);
            app.data.tickets = *feed;
            app.dirty = true;
            Vec::new()
        }
        Msg::Usage(view) => {
            if app.data.usage != *view {
                app.data.usage = *view;
                app.dirty = true;
            }
            Vec::new()
        }
        Msg::Attention(lifecycle) => {
            app.lifecycle_read = true;
            if app.data.lifecycle != *lifecycle {
                app.data.lifecycle = *lifecycle;
                app.dirty = true;
            }
            Vec::new()
        }
        Msg::Maintenance(windows) => {
            if app.data.maintenance != windows {
                app.data.maintenance = windows;
                app.dirty = true;
            }
            Vec::new()
        }
        Msg::Reloaded(Ok(loaded)) => {
            app.themes = loaded.themes;
            app.theme = loaded.theme;
            app.keymap = loaded.keymap;
            app.notify("theme and keymap reloaded");
            Vec::new()
        }
        Msg::Reloaded(Err(e)) => {
            app.notify(format!(
                "not reloaded, keeping the current theme and keymap: {}",
                crate::sanitize::clean_short(&e, 160)
            ));
            Vec::new()
        }
        Msg::Pos(view) => {
            // A store this console's configuration does not watch (the
            // daemon's may differ) is left out.
            if !app
                .data
                .pos
                .contains_key(&(view.client.clone(), view.site.clone()))
            {
                return Vec::new();
            }
            app.data.set_pos(*view);
            app.dirty = true;
            Vec::new()
        }
        Msg::StoreFault(fault) => {
            app.store_fault_since = match (&fault, app.store_fault_since) {
                (None, _) => None,
                (Some(_), None) => Some(app.data.now),
                (Some(_), since) => since,
            };
            if app.store_fault != fault {
                app.store_fault = fault;
                app.dirty = true;
            }
            Vec::new()
        }
        Msg::Feed(feed) => {
            if app.feed != feed {
                app.feed = feed;
                app.dirty = true;
            }
            Vec::new()
        }
    }
}

/// The alert ids of checks judged for the first time since the last
/// tick: a check whose first verdict is already down is an outage the
/// console found, not one that began while it watched, so it does not ring.
fn first_verdicts(app: &mut App) -> std::collections::BTreeSet<String> {
    // Checks are only ever added: the same count means none is new.
    if app.judged.len() == app.data.checks.len() {
        return Default::default();
    }
    let fresh = app
        .data
        .checks
        .keys()
        .filter(|id| !app.judged.contains(*id))
        .map(|id| format!("checks:{id}"))
        .collect();
    app.judged = app.data.checks.keys().cloned().collect();
    fresh
}

fn single_line(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if key.code == KeyCode::Char('z') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return vec![Effect::Suspend];
    }
    app.dirty = true;
    if app.alert_editor.is_some() {
        return super::alerts::editor::editor_key(app, key);
    }
    if app.editor.is_some() {
        return super::panes::tickets::editor_key(app, key);
    }
    match app.overlay.clone() {
        Overlay::Command(line) => on_command_key(app, key, line),
        Overlay::Filter { text, before } => {
            on_filter_key(app, key, text, before);
            Vec::new()
        }
        Overlay::Help { scroll } => {
            let action = app
                .keymap
                .lookup(Context::Global, &KeyBinding::from_event(&key));
            match action {
                Some(Action::Up) => {
                    app.overlay = Overlay::Help {
                        scroll: scroll.saturating_sub(1),
                    }
                }
                Some(Action::Down) => {
                    app.overlay = Overlay::Help {
                        scroll: scroll.saturating_add(1),
                    }
                }
                Some(Action::PageUp) => {
                    app.overlay = Overlay::Help {
                        scroll: scroll.saturating_sub(10),
                    }
                }
                Some(Action::PageDown) => {
                    app.overlay = Overlay::Help {
                        scroll: scroll.saturating_add(10),
                    }
                }
                Some(Action::Quit) => return vec![Effect::Quit],
                _ => app.overlay = Overlay::None,
            }
            Vec::new()
        }
        Overlay::Usage { scroll } => {
            let action = app
                .keymap
                .lookup(Context::Global, &KeyBinding::from_event(&key));
            let scroll = match action {
                Some(Action::Up) => scroll.saturating_sub(1),
                Some(Action::Down) => scroll.saturating_add(1),
                Some(Action::PageUp) => scroll.saturating_sub(10),
                Some(Action::PageDown) => scroll.saturating_add(10),
                Some(Action::Top) => 0,
                Some(Action::Quit) => return vec![Effect::Quit],
                Some(Action::CommandLine) => {
                    app.overlay = Overlay::Command(String::new());
                    return Vec::new();
                }
                _ => {
                    app.overlay = Overlay::None;
                    return Vec::new();
                }
            };
            app.overlay = Overlay::Usage { scroll };
            Vec::new()
        }
        Overlay::Alerts => {
            let binding = KeyBinding::from_event(&key);
            match app.keymap.lookup(Context::Global, &binding) {
                Some(action) => dispatch(app, action),
                None => Vec::new(),
            }
        }
        Overlay::None => {
            let binding = KeyBinding::from_event(&key);
            match app.keymap.lookup(app.context(), &binding) {
                Some(action) => dispatch(app, action),
                None => {
                    app.dirty = false;
                    Vec::new()
                }
            }
        }
    }
}

fn on_command_key(app: &mut App, key: KeyEvent, mut line: String) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc => app.overlay = back_from_command(app),
        KeyCode::Enter => {
            app.overlay = back_from_command(app);
            return run_command(app, &line);
        }
        KeyCode::Backspace => {
            if line.pop().is_none() {
                app.overlay = Overlay::None;
            } else {
                app.overlay = Overlay::Command(line);
            }
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            line.push(c);
            app.overlay = Overlay::Command(line);
        }
        KeyCode::Char('c') => app.overlay = Overlay::None,
        _ => {}
    }
    Vec::new()
}

/// Where the command line returns: the Alerts view it was opened from,
/// else the panes.
fn back_from_command(app: &mut App) -> Overlay {
    if std::mem::take(&mut app.alerts_view.reopen) {
        Overlay::Alerts
    } else {
        Overlay::None
    }
}

fn on_filter_key(app: &mut App, key: KeyEvent, mut text: String, before: String) {
    match key.code {
        KeyCode::Esc => {
            apply_filter(app, &before);
            app.overlay = Overlay::None;
        }
        KeyCode::Enter => app.overlay = Overlay::None,
        KeyCode::Backspace => {
            text.pop();
            apply_filter(app, &text);
            app.overlay = Overlay::Filter { text, before };
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            text.push(c);
            apply_filter(app, &text);
            app.overlay = Overlay::Filter { text, before };
        }
        _ => {}
    }
}

fn apply_filter(app: &mut App, filter: &str) {
    let focus = app.focus;
    if let Some(p) = app.pane_mut(focus) {
        p.set_filter(filter);
    }
}

/// Runs a `:` command. Commands are names of panes, a few words, or any
/// action name, so what a key can do, a command can do, under the same
/// read-only rule.
pub fn run_command(app: &mut App, line: &str) -> Vec<Effect> {
    let mut words = line.split_whitespace();
    let Some(word) = words.next() else {
        return Vec::new();
    };
    if let Some(pane) = PaneId::from_name(word) {
        app.focus = pane;
        app.overlay = Overlay::None;
        return Vec::new();
    }
    match word {
        // Matchers, a length and a comment follow: judged like the action.
        "silence" => {
            if let Some(refused) = refuse(app, Action::Silence) {
                return refused;
            }
            let rest = line.trim_start().trim_start_matches("silence");
            super::alerts::silence(app, rest)
        }
        "q" | "quit" | "q!" | "qa" => vec![Effect::Quit],
        "usage" => {
            // The console follows this year only; another year is the CLI's
            // (said, never shown as if it were the year asked).
            let shown = app.data.usage.year;
            match words.next() {
                Some(y) if y.parse::<i32>().ok() != Some(shown) => app.notify(format!(
                    "the console shows {shown}'s usage; for {} run: vigie usage --year {}",
                    crate::sanitize::clean_short(y, 12),
                    crate::sanitize::clean_short(y, 12)
                )),
                _ => app.overlay = Overlay::Usage { scroll: 0 },
            }
            Vec::new()
        }
        "theme" => {
            match words.next() {
                Some(name) => switch_theme(app, name),
                None => {
                    let names = app.themes.names().join(", ");
                    app.notify(crate::sanitize::clean(&format!(
                        "theme {} (available: {names})",
                        app.theme.name
                    )));
                }
            }
            Vec::new()
        }
        other => match Action::from_name(other) {
            Some(action) => dispatch(app, action),
            None => {
                app.notify(format!(
                    "unknown command ':{}' (try :help)",
                    crate::sanitize::clean_short(other, 30)
                ));
                Vec::new()
            }
        },
    }
}

fn switch_theme(app: &mut App, name: &str) {
    let depth: ColorDepth = app.theme.depth;
    match app.themes.resolve(name, depth) {
        Ok(theme) => {
            app.theme = theme;
            app.notify(format!("theme {name}"));
        }
        Err(e) => app.notify(crate::sanitize::clean_short(&e.to_string(), 120)),
    }
}

/// Where every action goes, whatever key or command produced it. Read-only
/// and wall modes are enforced here and nowhere else.
pub fn dispatch(app: &mut App, action: Action) -> Vec<Effect> {
    app.dirty = true;
    if let Some(refused) = refuse(app, action) {
        return refused;
    }
    if app.wall.is_some() {
        return super::wall::dispatch(app, action);
    }
    if app.overlay == Overlay::Alerts {
        if let Some(effects) = super::alerts::handle(app, action) {
            return effects;
        }
        // What leaves the view closes it; a prompt or help opens over it.
        if !matches!(
            action,
            Action::CommandLine | Action::Help | Action::Quit | Action::Refresh | Action::Silence
        ) {
            app.overlay = Overlay::None;
        }
    }
    let focus = app.focus;
    if let Some(pane) = app.panes.iter_mut().find(|p| p.id() == focus) {
        if pane.handle(action, &app.data) == Handled::Yes {
            return pane.take_effects();
        }
    }
    match action {
        Action::Quit => return vec![Effect::Quit],
        Action::Help => app.overlay = Overlay::Help { scroll: 0 },
        Action::CommandLine => app.overlay = Overlay::Command(String::new()),
        Action::Filter => {
            let before = app
                .pane(focus)
                .map(|p| p.filter().to_string())
                .unwrap_or_default();
            app.overlay = Overlay::Filter {
                text: before.clone(),
                before,
            };
        }
        Action::Back => back(app),
        Action::FocusNext => app.focus = PaneId::ALL[(focus.index() + 1) % PaneId::ALL.len()],
        Action::FocusPrev => {
            app.focus = PaneId::ALL[(focus.index() + PaneId::ALL.len() - 1) % PaneId::ALL.len()]
        }
        Action::FocusHealth => app.focus = PaneId::Health,
        Action::FocusBackups => app.focus = PaneId::Backups,
        Action::FocusTickets => app.focus = PaneId::Tickets,
        Action::FocusMaintenance => app.focus = PaneId::Maintenance,
        Action::FocusPos => app.focus = PaneId::Pos,
        Action::Zoom => app.zoomed = !app.zoomed,
        Action::Refresh => {
            app.notify("checking now…");
            return vec![Effect::RefreshChecks];
        }
        Action::Ssh => match app.pane(focus).and_then(|p| p.selected_host(&app.data)) {
            Some(host) => return vec![Effect::Ssh { host }],
            None => app.notify("ssh: select a host in Health first"),
        },
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom
        | Action::Select
        | Action::NextPeriod
        | Action::PrevPeriod
        | Action::PlanWindow
        | Action::MoveWindow
        | Action::CancelWindow
        | Action::NextSubject => {}
        Action::Alerts => {
            app.overlay = Overlay::Alerts;
            // The row under the cursor is the alert seen, however the list
            // re-sorts before the next key.
            let list = super::attention::open(app);
            super::alerts::index(app, &list);
        }
        Action::Ack => super::alerts::ack_row(app),
        Action::Unack => return super::alerts::unack_row(app),
        Action::Silence => return super::alerts::silence(app, ""),
        Action::TimerToggle
        | Action::AddNote
        | Action::OpenTicket
        | Action::NewTicket
        | Action::SetStatus => {
            if focus == PaneId::Tickets {
                return super::panes::tickets::act(app, action);
            }
        }
    }
    Vec::new()
}

/// The read-only guard (`--read-only`, and the wall, which is read-only
/// whatever its flags): a mutating action is refused in the help's words.
/// `Some` holds what a refusal still does (the audit line of a refused SSH).
fn refuse(app: &mut App, action: Action) -> Option<Vec<Effect>> {
    if !((app.modes.read_only || app.wall.is_some()) && action.mutates()) {
        return None;
    }
    app.notify(super::guard::refusal_of(action));
    if action == Action::Ssh {
        let host = app.pane(app.focus).and_then(|p| p.selected_host(&app.data));
        return Some(
            host.map(|host| Effect::SshRefused { host })
                .into_iter()
                .collect(),
        );
    }
    Some(Vec::new())
}

/// Esc: close what is open, else clear the filter, else leave zoom.
fn back(app: &mut App) {
    let focus = app.focus;
    if app.overlay != Overlay::None {
        app.overlay = Overlay::None;
    } else if app.pane(focus).is_some_and(|p| !p.filter().is_empty()) {
        apply_filter(app, "");
    } else if app.zoomed {
        app.zoomed = false;
    } else {
        app.notice = None;
    }
}
