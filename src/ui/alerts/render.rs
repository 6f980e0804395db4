//! Drawing the Alerts view: three groups (needs someone, taken, silenced),
//! each alert on one line (severity glyph, age, client, subject, reason)
//! and, when taken or silenced, a second line saying by whom and why.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use crate::model::attention::{Open, Severity, Silence};
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::panes::health::age;
use crate::ui::theme::{Role, Theme};

/// `s` cut (with "…") or padded to exactly `w` columns.
fn fit(s: &str, w: usize) -> String {
    let clean = sanitize::clean_short(s, w.max(1));
    let pad = w.saturating_sub(clean.width());
    format!("{clean}{}", " ".repeat(pad))
}

/// The view's lines for `list` at `width` columns, and for each line the
/// index in `list` of the alert it belongs to (`None` for headings).
pub fn lines(
    list: &[Open],
    silences: &[Silence],
    selected: usize,
    width: u16,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
    theme: &Theme,
) -> Vec<(Line<'static>, Option<usize>)> {
    let width = usize::from(width);
    let mut out = Vec::new();
    if list.is_empty() {
        out.push((
            Line::from(Span::styled(
                "  ● nothing needs you: no open alert in any domain",
                theme.style(Role::Ok),
            )),
            None,
        ));
        return out;
    }
    // Client column from 100 columns on; the subject takes a third of the rest.
    let client_w = if width >= 100 { 14 } else { 0 };
    let subject_w = ((width.saturating_sub(12 + client_w)) / 3).clamp(12, 34);
    type Belongs = fn(&Open) -> bool;
    let groups: [(&str, Belongs); 3] = [
        ("Needs someone", |o| o.unattended()),
        ("Taken", |o| o.ack.is_some() && o.silenced.is_none()),
        ("Silenced", |o| o.silenced.is_some()),
    ];
    for (title, belongs) in groups {
        let members: Vec<usize> = (0..list.len()).filter(|&i| belongs(&list[i])).collect();
        if members.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push((Line::default(), None));
        }
        out.push((
            Line::from(Span::styled(
                format!(" {title} ({})", members.len()),
                theme.style(Role::Title).add_modifier(Modifier::BOLD),
            )),
            None,
        ));
        for i in members {
            let o = &list[i];
            let a = &o.alert;
            let sel = i == selected;
            let severity = match a.severity {
                Severity::Info => theme.style(Role::Muted),
                s => theme.status(s.status()),
            };
            let mut spans = vec![
                Span::styled(if sel { "▶" } else { " " }, theme.style(Role::Accent)),
                Span::styled(format!("{} ", a.severity.glyph()), severity),
                Span::styled(
                    format!("{:>5} ", age(a.since, now)),
                    theme.style(Role::Muted),
                ),
            ];
            if client_w > 0 {
                let client = a.subject.clients.join(",");
                spans.push(Span::styled(
                    format!("{} ", fit(&client, client_w - 1)),
                    theme.style(Role::Muted),
                ));
            }
            spans.push(Span::styled(
                format!("{} ", fit(&a.subject.text(), subject_w)),
                theme.style(Role::Text),
            ));
            let used: usize = spans.iter().map(|s| s.width()).sum();
            spans.push(Span::styled(
                sanitize::clean_short(&a.reason, width.saturating_sub(used).max(1)),
                severity,
            ));
            let mut line = Line::from(spans);
            if sel {
                line = line.style(theme.style(Role::Selection));
            }
            out.push((line, Some(i)));
            if let Some(more) = second_line(o, silences, now, tz) {
                let mut line = Line::from(Span::styled(
                    sanitize::clean_short(&more, width.saturating_sub(9).max(1)),
                    theme.style(Role::Muted),
                ));
                line.spans.insert(0, Span::raw("         "));
                if sel {
                    line = line.style(theme.style(Role::Selection));
                }
                out.push((line, Some(i)));
            }
        }
    }
    out
}

/// Who took it and why, or which silence hides it until when.
fn second_line(
    o: &Open,
    silences: &[Silence],
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Option<String> {
    if let Some(id) = o.silenced {
        let s = silences.iter().find(|s| s.id == id);
        return Some(match s {
            Some(s) => format!(
                "◌ silenced until {} by {}: {}",
                s.end.with_timezone(&tz).format("%a %H:%M"),
                s.author,
                s.comment
            ),
            None => "◌ silenced".into(),
        });
    }
    let ack = o.ack.as_ref()?;
    let mut text = format!("✔ taken by {} {} ago", ack.by, age(ack.at, now));
    if let Some(e) = ack.expires {
        text.push_str(&format!(
            " until {}",
            e.with_timezone(&tz).format("%a %H:%M")
        ));
    }
    if !ack.comment.is_empty() {
        text.push_str(": ");
        text.push_str(&ack.comment);
    }
    Some(text)
}

/// Draws the view over the panes' area.
pub fn render(app: &App, frame: &mut Frame, body: Rect) {
    let list = crate::ui::attention::open(app);
    let selected = app
        .alerts_view
        .anchor
        .as_ref()
        .and_then(|id| list.iter().position(|o| o.alert.id == *id))
        .unwrap_or(app.alerts_view.selected)
        .min(list.len().saturating_sub(1));
    let inner_w = body.width.saturating_sub(2);
    let lines = lines(
        &list,
        &app.data.lifecycle.silences,
        selected,
        inner_w,
        app.data.now,
        app.data.tz,
        &app.theme,
    );
    let inner_h = usize::from(body.height.saturating_sub(2));
    // Scroll so the selected alert's lines (and its heading) show.
    let first = lines
        .iter()
        .position(|(_, i)| *i == Some(selected))
        .unwrap_or(0);
    let last = lines
        .iter()
        .rposition(|(_, i)| *i == Some(selected))
        .unwrap_or(0);
    let scroll = (last + 1)
        .saturating_sub(inner_h)
        .min(first.saturating_sub(1));
    let (mut waiting, mut taken, mut silenced) = (0, 0, 0);
    for o in list.iter() {
        match (o.silenced.is_some(), o.ack.is_some()) {
            (true, _) => silenced += 1,
            (false, true) => taken += 1,
            (false, false) => waiting += 1,
        }
    }
    let title = format!(
        " Alerts · {waiting} need someone · {taken} taken · {silenced} silenced · ↵ go · esc closes "
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.style(Role::BorderFocused))
        .title(Span::styled(title, app.theme.style(Role::Title)));
    let shown: Vec<Line> = lines.into_iter().skip(scroll).map(|(l, _)| l).collect();
    frame.render_widget(Clear, body);
    frame.render_widget(
        Paragraph::new(shown)
            .block(block)
            .style(app.theme.style(Role::Text)),
        body,
    );
}
