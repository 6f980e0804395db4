//! The five panes. Each owns its view state (selection, filter) and draws
//! from the shared [`Data`]; none talks to a source or the store. Adding a
//! pane's capability means: its data in [`Data`], a `Msg` that fills it, and
//! its `Pane` implementation here.

pub mod backups;
pub mod empty;
pub mod health;
pub mod maintenance;
pub mod pos;
pub mod tickets;

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::action::{Action, Context};
use super::history::{HealthHistory, HostDetail};
use super::theme::Theme;
use crate::model::{CheckResult, Fleet, Metric, Status};

/// The panes, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaneId {
    Health,
    Backups,
    Tickets,
    Maintenance,
    Pos,
}

impl PaneId {
    pub const ALL: [PaneId; 5] = [
        PaneId::Health,
        PaneId::Backups,
        PaneId::Tickets,
        PaneId::Maintenance,
        PaneId::Pos,
    ];

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Health => "Health",
            PaneId::Backups => "Backups",
            PaneId::Tickets => "Tickets",
            PaneId::Maintenance => "Maintenance",
            PaneId::Pos => "POS",
        }
    }

    /// The name used by `:health`, `--pane health`.
    pub fn name(self) -> &'static str {
        match self {
            PaneId::Health => "health",
            PaneId::Backups => "backups",
            PaneId::Tickets => "tickets",
            PaneId::Maintenance => "maintenance",
            PaneId::Pos => "pos",
        }
    }

    pub fn from_name(name: &str) -> Option<PaneId> {
        PaneId::ALL.into_iter().find(|p| p.name() == name)
    }

    pub fn context(self) -> Context {
        match self {
            PaneId::Health => Context::Health,
            PaneId::Backups => Context::Backups,
            PaneId::Tickets => Context::Tickets,
            PaneId::Maintenance => Context::Maintenance,
            PaneId::Pos => Context::Pos,
        }
    }

    pub fn index(self) -> usize {
        PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

/// The last known state of one check, with a short latency history for the
/// sparkline.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveCheck {
    pub status: Status,
    /// When the current status began.
    pub since: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub latency_ms: Option<u32>,
    pub message: String,
    pub latencies: VecDeque<u32>,
    /// What the latest probe alone said.
    pub observed: Status,
    /// Figures of the latest result (host metrics, certificate days).
    pub metrics: Vec<Metric>,
    pub flapping: bool,
    /// Failing but not yet confirmed down: (failures, failures that
    /// confirm). Unknown (`None`) when read from the store: the status is
    /// then `Degraded` with a failed probe, shown as failing all the same.
    pub failing: Option<(u32, u32)>,
}

impl LiveCheck {
    /// Failing but not yet confirmed down: a warning, shown "failing 1/3".
    pub fn is_failing(&self) -> bool {
        self.status == Status::Degraded && self.observed == Status::Down
    }

    /// The state in words: "failing 1/3" for a failure not yet confirmed,
    /// else the status's own label.
    pub fn label(&self) -> String {
        match self.failing {
            _ if !self.is_failing() => self.status.label().to_string(),
            Some((n, of)) => format!("failing {n}/{of}"),
            None => "failing".to_string(),
        }
    }
}

/// What a filter that hides every row says, so an empty list is never
/// read as "nothing wrong": `0 of 6 shown, 1 late hidden by the filter`.
/// `hidden` names what matters among the rows hidden ("1 late").
pub fn hidden_by_filter(total: usize, hidden: &[(usize, &str)]) -> String {
    let words: Vec<String> = hidden
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if words.is_empty() {
        format!("0 of {total} shown: the filter hides them all")
    } else {
        format!(
            "0 of {total} shown, {} hidden by the filter",
            words.join(", ")
        )
    }
}

/// Latency points kept per check for the sparkline.
pub const LATENCY_POINTS: usize = 60;

/// Everything the panes draw from. Filled only by `update`.
#[derive(Debug, Clone)]
pub struct Data {
    pub fleet: Arc<Fleet>,
    pub checks: BTreeMap<String, LiveCheck>,
    pub now: DateTime<Utc>,
    /// The operator's timezone for clocks and times of day.
    pub tz: Tz,
    /// Sparklines and this month's availability, read from the store.
    pub history: HealthHistory,
    /// The history of the host whose detail is open, once read.
    pub detail: Option<HostDetail>,
    /// Backup points, runs and listing states, read from the store.
    pub backups: backups::BackupData,
    /// Every maintenance window, read from the store.
    pub maintenance: Vec<crate::model::maintenance::MaintenanceWindow>,
    /// The latest view of each watched store, by (client, site).
    pub pos: BTreeMap<(String, String), crate::model::pos::StoreView>,
    /// Each store's tile worked out from its view, by [`Data::set_pos`].
    pos_display: BTreeMap<(String, String), pos::StoreDisplay>,
    /// The ticket desk's last view (Tickets pane).
    pub tickets: tickets::TicketsFeed,
    /// This year's usage reports (the `:usage` view).
    pub usage: crate::ui::usage::UsageView,
    /// Acknowledgements and silences, read from the store.
    pub lifecycle: crate::ui::attention::Lifecycle,
    /// `counts()` memoized; emptied whenever `checks` changes.
    tally: RefCell<Option<BTreeMap<Status, usize>>>,
    /// Bumped whenever `checks` changes, so panes can keep what they
    /// derived from it between frames.
    generation: u64,
}

impl Data {
    pub fn new(fleet: Arc<Fleet>, now: DateTime<Utc>, tz: Tz) -> Data {
        let pos = pos::pending_views(&fleet, now);
        Data {
            pos,
            fleet,
            checks: BTreeMap::new(),
            now,
            tz,
            history: HealthHistory::default(),
            detail: None,
            backups: backups::BackupData::default(),
            maintenance: Vec::new(),
            tickets: tickets::TicketsFeed::default(),
            usage: crate::ui::usage::UsageView::default(),
            lifecycle: crate::ui::attention::Lifecycle::default(),
            tally: RefCell::new(None),
            generation: 0,
            pos_display: BTreeMap::new(),
        }
    }

    /// How many POS stores are in each state (the header's summary).
    pub fn pos_counts(&self) -> BTreeMap<Status, usize> {
        let mut counts = BTreeMap::new();
        for v in self.pos.values() {
            *counts.entry(v.status).or_insert(0) += 1;
        }
        counts
    }

    /// Takes in a store's new view and works out its tile once, so frames
    /// only draw it.
    pub fn set_pos(&mut self, view: crate::model::pos::StoreView) {
        let key = (view.client.clone(), view.site.clone());
        self.pos_display
            .insert(key.clone(), pos::StoreDisplay::new(&view, self.tz));
        self.pos.insert(key, view);
    }

    /// The tile built for this view, if it is the one `set_pos` took in
    /// (a view changed in place has none: it is built when drawn).
    pub fn pos_display(&self, view: &crate::model::pos::StoreView) -> Option<&pos::StoreDisplay> {
        self.pos_display
            .get(&(view.client.clone(), view.site.clone()))
            .filter(|d| d.at == view.at)
    }

    /// Changes whenever a check's state changes (see `record`).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Folds one engine result in.
    pub fn record(&mut self, r: &CheckResult) {
        self.tally.take();
        self.generation += 1;
        let entry = self
            .checks
            .entry(r.check_id.clone())
            .or_insert_with(|| LiveCheck {
                status: r.status,
                since: r.at,
                last_at: r.at,
                latency_ms: r.latency_ms,
                message: r.message.clone(),
                latencies: VecDeque::new(),
                observed: r.observed,
                metrics: Vec::new(),
                flapping: r.flapping,
                failing: r.failing,
            });
        if entry.status != r.status {
            // A confirmed outage began at its first failure.
            entry.since = r.first_failure.filter(|f| *f <= r.at).unwrap_or(r.at);
        }
        entry.status = r.status;
        entry.failing = r.failing;
        entry.last_at = r.at;
        entry.latency_ms = r.latency_ms;
        entry.message = r.message.clone();
        entry.observed = r.observed;
        entry.metrics = r.metrics.clone();
        entry.flapping = r.flapping;
        if let Some(l) = r.latency_ms {
            if entry.latencies.len() == LATENCY_POINTS {
                entry.latencies.pop_front();
            }
            entry.latencies.push_back(l);
        }
    }

    /// Takes in a check's state as the store has it (written by this
    /// console's engine, a daemon, or history): the newer result wins, and
    /// the store's `since` wins for the same status, since it remembers
    /// runs that began before this console started. Latency points are kept.
    pub fn merge_stored(&mut self, check_id: String, stored: LiveCheck) {
        self.tally.take();
        self.generation += 1;
        let Some(entry) = self.checks.get_mut(&check_id) else {
            self.checks.insert(check_id, stored);
            return;
        };
        if stored.last_at > entry.last_at {
            if let Some(l) = stored.latency_ms {
                if entry.latencies.len() == LATENCY_POINTS {
                    entry.latencies.pop_front();
                }
                entry.latencies.push_back(l);
            }
            if stored.status != entry.status {
                entry.since = stored.since;
            }
            entry.status = stored.status;
            entry.last_at = stored.last_at;
            entry.latency_ms = stored.latency_ms;
            entry.message = stored.message;
            entry.observed = stored.observed;
            entry.metrics = stored.metrics;
            entry.flapping = stored.flapping;
            entry.failing = stored.failing;
        }
        if stored.status == entry.status && stored.since < entry.since {
            entry.since = stored.since;
        }
    }

    /// The worst state of the fleet's checks; checks never run yet count as
    /// unknown.
    pub fn worst(&self) -> Status {
        let counts = self.counts();
        counts
            .keys()
            .next_back()
            .copied()
            .unwrap_or(Status::Unknown)
    }

    /// How many checks are in each state. Counted once per change of the
    /// checks (a frame asks several times: header, titles, tabs).
    pub fn counts(&self) -> BTreeMap<Status, usize> {
        if let Some(counts) = self.tally.borrow().as_ref() {
            return counts.clone();
        }
        let mut counts = BTreeMap::new();
        for (_, check) in self.fleet.checks() {
            let s = self
                .checks
                .get(&check.id)
                .map(|c| c.status)
                .unwrap_or(Status::Unknown);
            *counts.entry(s).or_insert(0) += 1;
        }
        *self.tally.borrow_mut() = Some(counts.clone());
        counts
    }

    /// How many of the fleet's checks are flapping, whatever their state:
    /// a flapping check looks up half the time, and the header says so.
    pub fn flapping(&self) -> usize {
        self.fleet
            .checks()
            .filter(|(_, c)| self.checks.get(&c.id).is_some_and(|l| l.flapping))
            .count()
    }
}

/// What a pane may read while drawing.
pub struct PaneCtx<'a> {
    pub data: &'a Data,
    pub theme: &'a Theme,
    pub focused: bool,
}

/// Whether a pane used an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Yes,
    No,
}

/// One pane of the console.
pub trait Pane {
    fn id(&self) -> PaneId;
    /// Takes a navigation or pane action; `No` lets the app handle it.
    fn handle(&mut self, action: Action, data: &Data) -> Handled;
    fn filter(&self) -> &str;
    fn set_filter(&mut self, filter: &str);
    /// The selected row, for panes that have rows.
    fn selected(&self) -> Option<usize> {
        None
    }
    /// The host under the selection (or open in a detail), for SSH.
    fn selected_host(&self, _data: &Data) -> Option<String> {
        None
    }
    /// The ticket under the selection, by id (rows move as clocks run).
    fn selected_ticket(&self, _data: &Data) -> Option<u64> {
        None
    }
    /// The selected row's key, as alerts point at it (`Alert::points`):
    /// a host, a backup source id, a ticket id, a window UID,
    /// `client/site`. `a` acknowledges the alerts pointing there.
    fn selected_row(&self, _data: &Data) -> Option<String> {
        None
    }
    /// Selects the row an alert points at (Enter in the Alerts view);
    /// `false` when no row has that key (or the filter hides it).
    fn select_row(&mut self, _row: &str, _data: &Data) -> bool {
        false
    }
    /// The pane's own actions worth a place in the footer.
    fn hints(&self) -> Vec<Action> {
        Vec::new()
    }
    /// The pane's worst state, for its title and the tab bar; `None` when it
    /// has nothing to judge.
    fn worst(&self, data: &Data) -> Option<Status>;
    /// The alerts its domain's judge raises over all its rows (whatever
    /// the filter), said by `model::attention`: what the header, the wall
    /// and the bell read (see `ui::attention`).
    fn alerts(&self, _data: &Data, _out: &mut Vec<crate::model::attention::Alert>) {}
    /// A one-line summary for a tab or a title ("2 down, 1 degraded").
    fn summary(&self, data: &Data) -> String;
    /// The history the pane wants read from the store (the detail it has
    /// open); the runner passes it to the follower thread.
    fn history_request(&self) -> Option<super::history::DetailRequest> {
        None
    }
    /// Draws inside `area` (the border is drawn by the caller). Never does I/O.
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &PaneCtx);
    /// The title of this pane's section on the wall display ("Open
    /// incidents", "Tickets nearest their deadline"); `None` (the default)
    /// keeps the pane off the wall.
    /// What the last handled action asks the runner to do (a window to
    /// store); taken once.
    fn take_effects(&mut self) -> Vec<crate::ui::app::Effect> {
        Vec::new()
    }
    fn wall_title(&self) -> Option<&'static str> {
        None
    }
    /// The pane's most urgent items for the wall display, most urgent
    /// first, at most `n`; the wall cleans the text again before drawing.
    fn wall_lines(&self, _data: &Data, _n: usize) -> Vec<WallLine> {
        Vec::new()
    }
}

/// One item on the wall display: its state (glyph and colour) and a line
/// of text to read from across the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WallLine {
    pub status: Status,
    pub text: String,
}

/// The five panes in focus order.
pub fn all() -> Vec<Box<dyn Pane>> {
    vec![
        Box::new(health::HealthPane::default()),
        Box::new(backups::BackupsPane::default()),
        Box::new(tickets::TicketsPane::default()),
        Box::new(maintenance::MaintenancePane::default()),
        Box::new(pos::PosPane::default()),
    ]
}

impl From<crate::store::CheckState> for LiveCheck {
    fn from(s: crate::store::CheckState) -> LiveCheck {
        LiveCheck {
            status: s.status,
            since: s.since,
            last_at: s.last_at,
            latency_ms: s.latency_ms,
            message: s.message,
            latencies: VecDeque::new(),
            observed: s.observed,
            metrics: s.metrics,
            flapping: s.flapping,
            failing: None,
        }
    }
}
