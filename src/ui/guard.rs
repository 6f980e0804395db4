//! Read-only modes (`--read-only`, `--wall`) are enforced twice:
//! `app::dispatch` refuses every action that `Action::mutates()`, whatever
//! key or command produced it; and the runner passes every [`Effect`]
//! through [`permit`] before executing it, so an effect that changes
//! anything is refused even if it came from somewhere else (a pane's own
//! editor, an overlay's Enter). This file is the one place effects are
//! judged.

use super::app::{App, Effect};

impl Effect {
    /// Whether executing this effect changes anything outside the screen
    /// (a timer, a note, a window, a remote system). Every variant is named
    /// here, so a new effect cannot be added without deciding.
    pub fn mutates(&self) -> bool {
        match self {
            Effect::Quit | Effect::RefreshChecks | Effect::Suspend | Effect::Bell => false,
            Effect::SaveWindow(_) => true,
            Effect::Ssh { .. } => true,
            // Only the audit line of a refusal is written.
            Effect::SshRefused { .. } => false,
            Effect::Ticket(cmd) => cmd.mutates(),
        }
    }
}

/// The notice shown when a read-only console refuses something.
pub fn refusal(what: &str) -> String {
    format!(
        "read-only: '{}' is not allowed here",
        crate::sanitize::clean_short(what, 40)
    )
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
            app.notify(refusal(&format!("{effect:?}")));
            app.dirty = true;
        } else {
            kept.push(effect);
        }
    }
    kept
}
