//! The Alerts view (`!`, `:alerts`): every open alert of every domain,
//! unattended first, worst first; Enter goes to the alert's row in its
//! pane, `a` acknowledges with a comment, `A` removes an acknowledgement,
//! `:silence` silences. `a` also acknowledges the alerts of the selected
//! row of any pane. Every write goes through the store writer
//! ([`Effect::Alerts`]), as `vigie ack` does; read-only consoles never get
//! here (`app::dispatch` refuses the actions first).

pub mod editor;
pub mod render;

use chrono::{DateTime, Utc};

use super::action::Action;
use super::app::{App, Effect, Overlay};
use super::panes::PaneId;
use crate::model::attention::{Open, View};
use crate::store::attention::AlertWrite;

pub use editor::{AlertEditor, EditorPurpose};

/// The view's selection, kept while the view is closed: the selected
/// alert's id wins over its row number (the list re-sorts as alerts come,
/// go and are taken).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertsView {
    pub selected: usize,
    pub anchor: Option<String>,
    /// The command line was opened from the view: it comes back after.
    pub reopen: bool,
}

/// The pane an alert points to; `None` for the `:usage` view.
pub fn pane_of(view: View) -> Option<PaneId> {
    match view {
        View::Health => Some(PaneId::Health),
        View::Tickets => Some(PaneId::Tickets),
        View::Backups => Some(PaneId::Backups),
        View::Maintenance => Some(PaneId::Maintenance),
        View::Pos => Some(PaneId::Pos),
        View::Usage => None,
    }
}

/// The view a pane's rows are pointed at with.
pub fn view_of(pane: PaneId) -> View {
    match pane {
        PaneId::Health => View::Health,
        PaneId::Tickets => View::Tickets,
        PaneId::Backups => View::Backups,
        PaneId::Maintenance => View::Maintenance,
        PaneId::Pos => View::Pos,
    }
}

/// The index of the selected alert in `list`, pinned to it.
pub fn index(app: &mut App, list: &[Open]) -> usize {
    let v = &mut app.alerts_view;
    let i = v
        .anchor
        .as_ref()
        .and_then(|id| list.iter().position(|o| o.alert.id == *id))
        .unwrap_or(v.selected)
        .min(list.len().saturating_sub(1));
    v.selected = i;
    v.anchor = list.get(i).map(|o| o.alert.id.clone());
    i
}

/// The selected alert, if the list has any.
pub fn selected(app: &mut App) -> Option<Open> {
    let list = super::attention::open(app);
    let i = index(app, &list);
    list.get(i).cloned()
}

/// An action while the view is open (after the read-only guard). `None`
/// lets the console handle it (and closes the view when it moves away).
pub fn handle(app: &mut App, action: Action) -> Option<Vec<Effect>> {
    let list = super::attention::open(app);
    let at = index(app, &list);
    let last = list.len().saturating_sub(1);
    let to = match action {
        Action::Up => at.saturating_sub(1),
        Action::Down => (at + 1).min(last),
        Action::PageUp => at.saturating_sub(10),
        Action::PageDown => (at + 10).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        Action::Back | Action::Alerts => {
            app.overlay = Overlay::None;
            return Some(Vec::new());
        }
        Action::Select => {
            if let Some(o) = list.get(at) {
                jump(app, o);
            }
            return Some(Vec::new());
        }
        Action::Ack => {
            match list.get(at) {
                Some(o) => editor::open_ack(app, vec![o.clone()]),
                None => app.notify("no open alert to acknowledge"),
            }
            return Some(Vec::new());
        }
        Action::Unack => return Some(unack(app, list.get(at))),
        Action::CommandLine => {
            app.alerts_view.reopen = true;
            return None;
        }
        _ => return None,
    };
    app.alerts_view.selected = to;
    app.alerts_view.anchor = list.get(to).map(|o| o.alert.id.clone());
    Some(Vec::new())
}

fn unack(app: &mut App, o: Option<&Open>) -> Vec<Effect> {
    let Some(o) = o else {
        app.notify("no open alert selected");
        return Vec::new();
    };
    if o.ack.is_none() {
        app.notify(format!(
            "{} is not acknowledged",
            crate::sanitize::clean_short(&o.alert.subject.text(), 60)
        ));
        return Vec::new();
    }
    vec![Effect::Alerts(AlertWrite::Unack {
        id: o.alert.id.clone(),
        by: crate::sources::tickets::operator(),
        at: app.data.now,
    })]
}

/// Enter: the alert's row in its pane (the filter is cleared when it hides
/// the row), or the `:usage` view.
pub fn jump(app: &mut App, o: &Open) {
    let Some(pane) = pane_of(o.alert.points.view) else {
        app.overlay = Overlay::Usage { scroll: 0 };
        return;
    };
    app.overlay = Overlay::None;
    app.focus = pane;
    let row = o.alert.points.row.clone();
    if row.is_empty() {
        return;
    }
    let data = &app.data;
    let Some(p) = app.panes.iter_mut().find(|p| p.id() == pane) else {
        return;
    };
    if p.select_row(&row, data) {
        return;
    }
    if !p.filter().is_empty() {
        p.set_filter("");
        if p.select_row(&row, data) {
            app.notify("filter cleared to show the alert's row");
            return;
        }
    }
    app.notify(format!(
        "{}: no row for {} in {}",
        o.alert.id,
        crate::sanitize::clean_short(&row, 40),
        pane.title()
    ));
}

/// `a` on a pane: the open alerts pointing at its selected row (a host, a
/// store, a backup source, a ticket, a window).
pub fn ack_row(app: &mut App) {
    let focus = app.focus;
    let row = app.pane(focus).and_then(|p| p.selected_row(&app.data));
    let Some(row) = row else {
        app.notify(format!("{}: no row selected", focus.title()));
        return;
    };
    let view = view_of(focus);
    let list = super::attention::open(app);
    let on_row: Vec<Open> = list
        .iter()
        .filter(|o| o.alert.points.view == view && o.alert.points.row == row)
        .cloned()
        .collect();
    if on_row.is_empty() {
        app.notify(format!(
            "no open alert on {}",
            crate::sanitize::clean_short(&row, 50)
        ));
        return;
    }
    editor::open_ack(app, on_row);
}

/// `A` on a pane: removes the acknowledgements of its selected row's
/// alerts.
pub fn unack_row(app: &mut App) -> Vec<Effect> {
    let focus = app.focus;
    let Some(row) = app.pane(focus).and_then(|p| p.selected_row(&app.data)) else {
        app.notify(format!("{}: no row selected", focus.title()));
        return Vec::new();
    };
    let view = view_of(focus);
    let list = super::attention::open(app);
    let by = crate::sources::tickets::operator();
    let writes: Vec<Effect> = list
        .iter()
        .filter(|o| o.alert.points.view == view && o.alert.points.row == row && o.ack.is_some())
        .map(|o| {
            Effect::Alerts(AlertWrite::Unack {
                id: o.alert.id.clone(),
                by: by.clone(),
                at: app.data.now,
            })
        })
        .collect();
    if writes.is_empty() {
        app.notify(format!(
            "no acknowledged alert on {}",
            crate::sanitize::clean_short(&row, 50)
        ));
    }
    writes
}

/// `:silence [client=C] [host=H] [check=K] [domain=D] [severity=S] [for 2h]
/// [comment]`: written at once when it says enough, else the form opens
/// with what it says, or with the selected alert's matchers (the Alerts
/// view's, else the first on the selected row), or the draft left.
pub fn silence(app: &mut App, args: &str) -> Vec<Effect> {
    let mut form = editor::Form::from_words(args);
    if form.complete() {
        let by = crate::sources::tickets::operator();
        return match form.silence(&app.data.fleet, &by, app.data.now) {
            Ok(s) => vec![Effect::Alerts(AlertWrite::Silence(s))],
            Err(why) => {
                app.notify(why);
                editor::open_silence(app, &form);
                Vec::new()
            }
        };
    }
    if form == editor::Form::default() {
        let chosen = if app.overlay == Overlay::Alerts {
            selected(app)
        } else {
            let focus = app.focus;
            let row = app.pane(focus).and_then(|p| p.selected_row(&app.data));
            let view = view_of(focus);
            let list = super::attention::open(app);
            list.iter()
                .find(|o| Some(&o.alert.points.row) == row.as_ref() && o.alert.points.view == view)
                .cloned()
        };
        if let Some(o) = chosen {
            form = editor::Form::of_alert(&o);
        } else {
            form.length = "2h".into();
        }
    }
    editor::open_silence(app, &form);
    Vec::new()
}

/// What the store will hold once a write is done, applied to the
/// console's copy at once so the screen does not wait for the next read
/// (which brings the store's truth and replaces it).
pub fn apply_locally(l: &mut super::attention::Lifecycle, w: &AlertWrite, now: DateTime<Utc>) {
    use crate::model::attention::Record;
    match w {
        AlertWrite::Ack { id, ack } => {
            let r = l.records.entry(id.clone()).or_insert_with(|| Record {
                id: id.clone(),
                first_seen: now,
                resolved: None,
                ack: None,
            });
            r.ack = Some(ack.clone());
        }
        AlertWrite::Unack { id, .. } => {
            if let Some(r) = l.records.get_mut(id) {
                r.ack = None;
            }
        }
        AlertWrite::Silence(s) => {
            // Numbered by the store; a placeholder until it is read back.
            let mut s = s.clone();
            s.id = l.silences.iter().map(|x| x.id).min().unwrap_or(0).min(0) - 1;
            l.silences.push(s);
        }
        AlertWrite::Unsilence { id, .. } => l.silences.retain(|s| s.id != *id),
        AlertWrite::Round { .. } => {}
    }
}

/// The notice once a write is sent.
pub fn notice_of(w: &AlertWrite, tz: chrono_tz::Tz) -> String {
    match w {
        AlertWrite::Ack { id, ack } => format!("{id} acknowledged by {}", ack.by),
        AlertWrite::Unack { id, .. } => format!("{id}: acknowledgement removed"),
        AlertWrite::Silence(s) => format!(
            "silenced until {}",
            s.end.with_timezone(&tz).format("%a %d %b %H:%M")
        ),
        AlertWrite::Unsilence { id, .. } => format!("silence #{id} ended"),
        AlertWrite::Round { .. } => String::new(),
    }
}

#[cfg(test)]
mod tests;
