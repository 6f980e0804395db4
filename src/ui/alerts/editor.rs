//! The acknowledgement comment and the silence form, typed in a text
//! editor (Ctrl-S saves, Esc cancels). What was typed is never lost: Esc
//! keeps it as a draft that `a` (or `:silence`) opens again, and a write
//! the store writer did not take comes back as a draft too.

use chrono::{DateTime, TimeDelta, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui_textarea::TextArea;

use crate::model::Fleet;
use crate::model::attention::{Ack, Domain, Open, Severity, Silence};
use crate::sanitize;
use crate::store::attention::AlertWrite;
use crate::ui::app::{App, Effect};
use crate::ui::theme::Role;

/// What the editor is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditorPurpose {
    /// Acknowledge these alerts with the comment typed.
    Ack { ids: Vec<String> },
    /// A silence: matchers, a length and a comment, one per line.
    Silence,
}

impl EditorPurpose {
    /// The key its draft is kept under.
    pub fn draft_key(&self) -> String {
        match self {
            EditorPurpose::Ack { ids } => format!("ack:{}", ids.join(",")),
            EditorPurpose::Silence => "silence".into(),
        }
    }
}

pub struct AlertEditor {
    pub purpose: EditorPurpose,
    pub area: TextArea<'static>,
}

impl std::fmt::Debug for AlertEditor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertEditor")
            .field("purpose", &self.purpose)
            .finish()
    }
}

fn open(app: &mut App, purpose: EditorPurpose, title: String, text: &str) {
    let mut area = TextArea::default();
    area.set_block(Block::default().borders(Borders::ALL).title(title));
    let draft = app.alert_drafts.get(&purpose.draft_key()).cloned();
    area.insert_str(draft.as_deref().unwrap_or(text));
    app.alert_editor = Some(AlertEditor { purpose, area });
}

/// Opens the comment editor for `alerts` (a row's, or the view's
/// selected one): a draft left for them first, else the comment of the
/// acknowledgement they already have.
pub fn open_ack(app: &mut App, alerts: Vec<Open>) {
    let Some(first) = alerts.first() else {
        return;
    };
    let subject = sanitize::clean_short(&first.alert.subject.text(), 30);
    let title = match alerts.len() {
        1 => format!(" Acknowledge {subject}: what are you doing? "),
        n => format!(" Acknowledge {n} alerts on {subject}: what are you doing? "),
    };
    let comment = first
        .ack
        .as_ref()
        .map(|a| a.comment.clone())
        .unwrap_or_default();
    let ids = alerts.iter().map(|o| o.alert.id.clone()).collect();
    open(app, EditorPurpose::Ack { ids }, title, &comment);
}

/// Opens the silence form with `form` filled in.
pub fn open_silence(app: &mut App, form: &Form) {
    open(
        app,
        EditorPurpose::Silence,
        " Silence: matchers (a line left empty matches anything), for, comment ".into(),
        &form.to_text(),
    );
}

/// A key while the editor is open: Ctrl-S saves, Esc keeps a draft.
pub fn editor_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(mut ed) = app.alert_editor.take() else {
        return Vec::new();
    };
    let text = ed.area.lines().join("\n").trim().to_string();
    if key.code == KeyCode::Esc {
        let kept = !text.is_empty();
        if kept {
            app.alert_drafts.insert(ed.purpose.draft_key(), text);
        } else {
            app.alert_drafts.remove(&ed.purpose.draft_key());
        }
        app.notify(match (&ed.purpose, kept) {
            (EditorPurpose::Ack { .. }, true) => "not acknowledged: the comment is kept for a",
            (EditorPurpose::Ack { .. }, false) => "not acknowledged",
            (EditorPurpose::Silence, true) => "not silenced: the form is kept for :silence",
            (EditorPurpose::Silence, false) => "not silenced",
        });
        return Vec::new();
    }
    if key.code == KeyCode::Char('s') && key.modifiers.contains(KeyModifiers::CONTROL) {
        let by = crate::sources::tickets::operator();
        let now = app.data.now;
        let writes = match &ed.purpose {
            EditorPurpose::Ack { ids } => acks(ids, &by, now, &text),
            EditorPurpose::Silence => {
                match Form::from_text(&text).silence(&app.data.fleet, &by, now) {
                    Ok(s) => vec![AlertWrite::Silence(s)],
                    Err(why) => {
                        // Kept open: the operator fixes the line and saves again.
                        app.notify(why);
                        app.alert_editor = Some(ed);
                        return Vec::new();
                    }
                }
            }
        };
        app.alert_drafts.remove(&ed.purpose.draft_key());
        return writes.into_iter().map(Effect::Alerts).collect();
    }
    ed.area.input(key);
    app.alert_editor = Some(ed);
    Vec::new()
}

/// One acknowledgement per alert, sticky until it resolves.
pub fn acks(ids: &[String], by: &str, now: DateTime<Utc>, comment: &str) -> Vec<AlertWrite> {
    ids.iter()
        .map(|id| AlertWrite::Ack {
            id: id.clone(),
            ack: Ack {
                by: by.to_string(),
                at: now,
                comment: sanitize::clean(comment),
                expires: None,
            },
        })
        .collect()
}

/// A write the store writer did not take: its words come back as a draft.
pub fn keep_unsent(app: &mut App, w: &AlertWrite) {
    match w {
        AlertWrite::Ack { id, ack } if !ack.comment.is_empty() => {
            app.alert_drafts
                .insert(format!("ack:{id}"), ack.comment.clone());
        }
        AlertWrite::Silence(s) => {
            app.alert_drafts
                .insert("silence".into(), Form::of_silence(s).to_text());
        }
        _ => {}
    }
}

/// Pasted text goes into the open editor, on one line per line pasted.
pub fn paste(app: &mut App, text: &str) {
    if let Some(ed) = app.alert_editor.as_mut() {
        ed.area
            .insert_str(crate::sources::tickets::clean_note(text));
    }
}

/// Draws the editor over the panes.
pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let Some(ed) = &app.alert_editor else { return };
    let w = area.width.clamp(20, 76);
    let h = match ed.purpose {
        EditorPurpose::Ack { .. } => area.height.clamp(5, 8),
        EditorPurpose::Silence => area.height.clamp(5, 11),
    };
    let r = Rect {
        x: area.x + (area.width.saturating_sub(w)) / 2,
        y: area.y + (area.height.saturating_sub(h)) / 2,
        width: w.min(area.width),
        height: h.min(area.height),
    };
    frame.render_widget(Clear, r);
    frame.render_widget(&ed.area, r);
    let hint = Rect {
        x: r.x + 2,
        y: r.y + r.height.saturating_sub(1),
        width: r.width.saturating_sub(4),
        height: 1,
    };
    frame.render_widget(
        Paragraph::new(Span::styled(
            " Ctrl-S save · Esc cancel (what you typed is kept) ",
            app.theme.style(Role::Muted),
        )),
        hint,
    );
}

/// A silence as typed: in the form (`client: coop` lines) or on the
/// command line (`:silence client=coop for 2h why`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pub client: String,
    pub host: String,
    pub check: String,
    pub domain: String,
    pub severity: String,
    pub length: String,
    pub comment: String,
}

impl Form {
    /// The form's lines, as `from_text` reads them.
    pub fn to_text(&self) -> String {
        format!(
            "client: {}\nhost: {}\ncheck: {}\ndomain: {}\nseverity: {}\nfor: {}\ncomment: {}",
            self.client,
            self.host,
            self.check,
            self.domain,
            self.severity,
            self.length,
            self.comment
        )
    }

    /// `key: value` lines; a line without a known key continues the comment.
    pub fn from_text(text: &str) -> Form {
        let mut f = Form::default();
        for line in text.lines() {
            let (key, value) = line.split_once(':').unwrap_or(("", line));
            let value = value.trim().to_string();
            match key.trim().to_ascii_lowercase().as_str() {
                "client" => f.client = value,
                "host" => f.host = value,
                "check" => f.check = value,
                "domain" => f.domain = value,
                "severity" => f.severity = value,
                "for" => f.length = value,
                "comment" => f.comment = value,
                _ => {
                    let more = line.trim();
                    if !more.is_empty() {
                        if !f.comment.is_empty() {
                            f.comment.push(' ');
                        }
                        f.comment.push_str(more);
                    }
                }
            }
        }
        f
    }

    /// `client=coop host=web for 2h the rest is the comment`.
    pub fn from_words(args: &str) -> Form {
        let mut f = Form::default();
        let mut comment = Vec::new();
        let mut words = args.split_whitespace();
        while let Some(w) = words.next() {
            match w.split_once('=') {
                Some(("client", v)) => f.client = v.into(),
                Some(("host", v)) => f.host = v.into(),
                Some(("check", v)) => f.check = v.into(),
                Some(("domain", v)) => f.domain = v.into(),
                Some(("severity", v)) => f.severity = v.into(),
                Some(("for", v)) => f.length = v.into(),
                _ if w == "for" && f.length.is_empty() => {
                    f.length = words.next().unwrap_or_default().into();
                }
                _ => comment.push(w),
            }
        }
        f.comment = comment.join(" ");
        f
    }

    /// The matchers of one alert (its first client, host, item, domain),
    /// for two hours: the operator widens it by emptying lines.
    pub fn of_alert(o: &Open) -> Form {
        let a = &o.alert;
        Form {
            client: a.subject.clients.first().cloned().unwrap_or_default(),
            host: a.subject.host.clone().unwrap_or_default(),
            check: a.subject.item.clone(),
            domain: a.domain.label().into(),
            severity: String::new(),
            length: "2h".into(),
            comment: String::new(),
        }
    }

    fn of_silence(s: &Silence) -> Form {
        Form {
            client: s.client.clone().unwrap_or_default(),
            host: s.host.clone().unwrap_or_default(),
            check: s.check.clone().unwrap_or_default(),
            domain: s.domain.map(|d| d.label().to_string()).unwrap_or_default(),
            severity: s
                .severity
                .map(|v| v.label().to_string())
                .unwrap_or_default(),
            length: format!("{}m", (s.end - s.start).num_minutes()),
            comment: s.comment.clone(),
        }
    }

    /// Whether it says enough to be written without the form.
    pub fn complete(&self) -> bool {
        !self.length.is_empty() && !self.comment.is_empty() && self.has_matcher()
    }

    fn has_matcher(&self) -> bool {
        [
            &self.client,
            &self.host,
            &self.check,
            &self.domain,
            &self.severity,
        ]
        .iter()
        .any(|m| !m.is_empty())
    }

    /// The silence it describes from `now`, or why not, in words.
    pub fn silence(&self, fleet: &Fleet, by: &str, now: DateTime<Utc>) -> Result<Silence, String> {
        if !self.has_matcher() {
            return Err(
                "say what to silence: a client, host, check, domain or severity line".into(),
            );
        }
        if !self.client.is_empty() && fleet.client(&self.client).is_none() {
            let known: Vec<&str> = fleet.clients.iter().map(|c| c.id.as_str()).collect();
            return Err(format!(
                "unknown client '{}': one of {}",
                sanitize::clean_short(&self.client, 30),
                known.join(", ")
            ));
        }
        let domain = match self.domain.as_str() {
            "" => None,
            d => Some(Domain::parse(d).ok_or_else(|| {
                let known: Vec<&str> = Domain::ALL.iter().map(|d| d.label()).collect();
                format!(
                    "domain '{}': one of {}",
                    sanitize::clean_short(d, 20),
                    known.join(", ")
                )
            })?),
        };
        let severity = match self.severity.as_str() {
            "" => None,
            s => Some(Severity::parse(s).ok_or_else(|| {
                format!(
                    "severity '{}': critical, warning or info",
                    sanitize::clean_short(s, 20)
                )
            })?),
        };
        let length = crate::config::parse_duration(&self.length)
            .and_then(|d| TimeDelta::from_std(d).ok())
            .filter(|d| *d > TimeDelta::zero())
            .ok_or_else(|| {
                format!(
                    "for '{}': say how long, as 30m, 2h or 1d",
                    sanitize::clean_short(&self.length, 20)
                )
            })?;
        if self.comment.trim().is_empty() {
            return Err("a silence needs a comment saying why (every operator sees it)".into());
        }
        let some = |s: &str| (!s.is_empty()).then(|| sanitize::clean_short(s, 80));
        Ok(Silence {
            id: 0,
            client: some(&self.client),
            host: some(&self.host),
            check: some(&self.check),
            domain,
            severity,
            start: now,
            end: now + length,
            comment: sanitize::clean(self.comment.trim()),
            author: by.to_string(),
        })
    }
}
