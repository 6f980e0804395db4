//! Named actions: what a key can ask for. Keymaps bind keys to these names,
//! the help overlay lists them, and read-only modes judge them here, in one
//! place, whatever key or command produced them.

use serde::{Deserialize, Serialize};

/// Where a binding applies: everywhere, or only when a pane has focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    Global,
    Health,
    Backups,
    Tickets,
    Maintenance,
    Pos,
}

impl Context {
    pub const ALL: [Context; 6] = [
        Context::Global,
        Context::Health,
        Context::Backups,
        Context::Tickets,
        Context::Maintenance,
        Context::Pos,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Health => "health",
            Context::Backups => "backups",
            Context::Tickets => "tickets",
            Context::Maintenance => "maintenance",
            Context::Pos => "pos",
        }
    }
}

/// Everything an operator can ask of the console by key or by command.
/// `Action::iter()` (strum) yields every variant, so tests over "all
/// actions" cannot miss one added later.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::EnumIter,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    CommandLine,
    Filter,
    Back,
    FocusNext,
    FocusPrev,
    FocusHealth,
    FocusBackups,
    FocusTickets,
    FocusMaintenance,
    FocusPos,
    Zoom,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Select,
    Refresh,
    NextPeriod,
    PrevPeriod,
    PlanWindow,
    MoveWindow,
    CancelWindow,
    NextSubject,
    Ssh,
    TimerToggle,
    AddNote,
    OpenTicket,
    NewTicket,
    SetStatus,
    Alerts,
    Ack,
    Unack,
    Silence,
}

impl Action {
    pub const ALL: [Action; 37] = [
        Action::Quit,
        Action::Help,
        Action::CommandLine,
        Action::Filter,
        Action::Back,
        Action::FocusNext,
        Action::FocusPrev,
        Action::FocusHealth,
        Action::FocusBackups,
        Action::FocusTickets,
        Action::FocusMaintenance,
        Action::FocusPos,
        Action::Zoom,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::Select,
        Action::Refresh,
        Action::NextPeriod,
        Action::PrevPeriod,
        Action::PlanWindow,
        Action::MoveWindow,
        Action::CancelWindow,
        Action::NextSubject,
        Action::Ssh,
        Action::TimerToggle,
        Action::AddNote,
        Action::OpenTicket,
        Action::NewTicket,
        Action::SetStatus,
        Action::Alerts,
        Action::Ack,
        Action::Unack,
        Action::Silence,
    ];

    /// The name used in keymap files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::CommandLine => "command_line",
            Action::Filter => "filter",
            Action::Back => "back",
            Action::FocusNext => "focus_next",
            Action::FocusPrev => "focus_prev",
            Action::FocusHealth => "focus_health",
            Action::FocusBackups => "focus_backups",
            Action::FocusTickets => "focus_tickets",
            Action::FocusMaintenance => "focus_maintenance",
            Action::FocusPos => "focus_pos",
            Action::Zoom => "zoom",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::Select => "select",
            Action::Refresh => "refresh",
            Action::NextPeriod => "next_period",
            Action::PrevPeriod => "prev_period",
            Action::PlanWindow => "plan_window",
            Action::MoveWindow => "move_window",
            Action::CancelWindow => "cancel_window",
            Action::NextSubject => "next_subject",
            Action::Ssh => "ssh",
            Action::TimerToggle => "timer_toggle",
            Action::AddNote => "add_note",
            Action::OpenTicket => "open_ticket",
            Action::NewTicket => "new_ticket",
            Action::SetStatus => "set_status",
            Action::Alerts => "alerts",
            Action::Ack => "ack",
            Action::Unack => "unack",
            Action::Silence => "silence",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The words the footer and the help show for the action: a short
    /// label (at most 18 characters) and what it does (at most 39), so the
    /// help's columns fit an 80-column terminal. The one table of them.
    pub fn text(self) -> (&'static str, &'static str) {
        match self {
            Action::Quit => ("quit", "quit Vigie"),
            Action::Help => ("help", "show this help"),
            Action::CommandLine => ("command", "a command (:health, :usage, :q ...)"),
            Action::Filter => ("filter", "filter the focused list"),
            Action::Back => ("back", "close, clear the filter, unzoom"),
            Action::FocusNext => ("next pane", "focus the next pane"),
            Action::FocusPrev => ("previous pane", "focus the previous pane"),
            Action::FocusHealth => ("Health", "focus Health"),
            Action::FocusBackups => ("Backups", "focus Backups"),
            Action::FocusTickets => ("Tickets", "focus Tickets"),
            Action::FocusMaintenance => ("Maintenance", "focus Maintenance"),
            Action::FocusPos => ("POS", "focus POS"),
            Action::Zoom => ("zoom", "zoom the focused pane"),
            Action::Up => ("up", "move up"),
            Action::Down => ("down", "move down"),
            Action::PageUp => ("page up", "a page up"),
            Action::PageDown => ("page down", "a page down"),
            Action::Top => ("first", "first row"),
            Action::Bottom => ("last", "last row"),
            Action::Select => ("open", "open the selected row"),
            Action::Refresh => ("refresh", "check everything now"),
            Action::NextPeriod => ("longer/next", "longer chart span, next month/week"),
            Action::PrevPeriod => (
                "shorter/previous",
                "shorter chart span, previous month/week",
            ),
            Action::PlanWindow => ("plan window", "plan a maintenance window (checked)"),
            Action::MoveWindow => ("move window", "move the selected maintenance window"),
            Action::CancelWindow => ("cancel window", "cancel the selected maintenance window"),
            Action::NextSubject => (
                "next host/client",
                "next host or client (in the form: kind)",
            ),
            Action::Ssh => ("ssh", "SSH to the selected host (dev, preprod)"),
            Action::TimerToggle => ("start/stop timer", "timer on the ticket (stop asks a note)"),
            Action::AddNote => ("add note", "add a note to the selected ticket"),
            Action::OpenTicket => ("open in browser", "the selected ticket's page, or its URL"),
            Action::NewTicket => ("new ticket", "open a ticket: client, priority, title"),
            Action::SetStatus => ("set status", "give the selected ticket a status"),
            Action::Alerts => ("alerts", "every open alert, unattended first"),
            Action::Ack => ("acknowledge", "acknowledge the selected row's alerts"),
            Action::Unack => ("remove ack", "remove the selected alert's ack"),
            Action::Silence => ("silence", "silence alerts for a while (matchers)"),
        }
    }

    /// The footer's short label.
    pub fn label(self) -> &'static str {
        self.text().0
    }

    /// What the action does, for the help overlay.
    pub fn describe(self) -> &'static str {
        self.text().1
    }

    /// Whether the action changes anything outside the screen (a timer, a
    /// note, a window, a remote system). Read-only and wall modes refuse
    /// these where actions are dispatched.
    pub fn mutates(self) -> bool {
        matches!(
            self,
            Action::Ssh
                | Action::PlanWindow
                | Action::MoveWindow
                | Action::CancelWindow
                | Action::TimerToggle
                | Action::AddNote
                | Action::NewTicket
                | Action::SetStatus
                | Action::Ack
                | Action::Unack
                | Action::Silence
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
        }
    }

    #[test]
    fn all_lists_every_variant() {
        use strum::IntoEnumIterator;
        let every: Vec<Action> = Action::iter().collect();
        assert_eq!(every, Action::ALL.to_vec());
    }

    #[test]
    fn labels_fit_the_help_columns() {
        for a in Action::ALL {
            let (label, about) = a.text();
            assert!(label.chars().count() <= 18, "{label}");
            assert!(about.chars().count() <= 39, "{about}");
            assert!(!label.contains('_'), "{label} reads like a name");
        }
    }

    #[test]
    fn serde_names_match_keymap_names() {
        for a in Action::ALL {
            let json = serde_json::to_string(&a).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", a.name()));
        }
    }
}
