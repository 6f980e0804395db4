//! Read-only modes (`--read-only`, `--wall`) are enforced twice:
//! `app::dispatch` refuses every action that `Action::mutates()`, whatever
//! key or command produced it; and the runner passes every [`Effect`]
//! through [`permit`] before executing it, so an effect that changes
//! anything is refused even if it came from somewhere else (a pane's own
//! editor, an overlay's Enter). This file is the one place effects are
//! judged.

use super::action::Action;
use super::app::{App, Effect};

impl Effect {
    /// Whether executing this effect changes anything outside the screen
    /// (a timer, a note, a window, a remote system). Every variant is named
    /// here, so a new effect cannot be added without deciding.
    pub fn mutates(&self) -> bool {
        match self {
            Effect::Quit | Effect::RefreshChecks | Effect::Suspend | Effect::Bell => false,
            // The collector's bookkeeping, as its check results are.
            Effect::Round(_) => false,
            Effect::SaveWindow(_) => true,
            Effect::Ssh { .. } => true,
            // Only the audit line of a refusal is written.
            Effect::SshRefused { .. } => false,
            Effect::Ticket(cmd) => cmd.mutates(),
            // Acknowledgements and silences are shared with every console.
            Effect::Alerts(_) => true,
        }
    }
}

/// The notice shown when a read-only console refuses something.
pub fn refusal(what: &str) -> String {
    format!(
        "{} is not allowed on a read-only console",
        crate::sanitize::clean_short(what, 40)
    )
}

/// The refusal of an action, in the words of the help ("starting or
/// stopping a timer is not allowed on a read-only console"), never the
/// keymap's internal name.
pub fn refusal_of(action: Action) -> String {
    let doing = match action {
        Action::Ssh => "opening an SSH session",
        Action::PlanWindow => "planning a maintenance window",
        Action::MoveWindow => "moving a maintenance window",
        Action::CancelWindow => "cancelling a maintenance window",
        Action::TimerToggle => "starting or stopping a timer",
        Action::AddNote => "adding a note to a ticket",
        Action::NewTicket => "opening a ticket",
        Action::SetStatus => "changing a ticket's status",
        Action::Ack => "acknowledging an alert",
        Action::Unack => "removing an acknowledgement",
        Action::Silence => "silencing alerts",
        // An action without its own words yet: the help's label.
        other => return refusal(&format!("'{}'", other.label())),
    };
    refusal(doing)
}

/// Keeps the effects the console may execute: in a read-only mode, every
/// mutating effect is dropped with a notice (and a log line, since reaching
/// here means an action that mutates was not declared so).
pub fn permit(app: &mut App, effects: Vec<Effect>) -> Vec<Effect> {
    if !app.modes.read_only {
        return effects;
    }
    let mut kept = Vec::with_capacity(effects.len());
    for effect in effects {
        if effect.mutates() {
            tracing::warn!(?effect, "read-only: mutating effect refused");
            let doing = match &effect {
                Effect::SaveWindow(_) => "changing a maintenance window",
                Effect::Ssh { .. } => "opening an SSH session",
                Effect::Ticket(_) => "changing a ticket",
                Effect::Alerts(_) => "acknowledging or silencing an alert",
                _ => "this change",
            };
            app.notify(refusal(doing));
            app.dirty = true;
        } else {
            kept.push(effect);
        }
    }
    kept
}
