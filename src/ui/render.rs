//! Drawing: a pure function of the state. Header (worst state, mode, clock),
//! the panes (a grid when the terminal is large, tabs otherwise), a footer
//! with the keys that matter, and overlays (help, command line, filter).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::action::{Action, Context};
use super::app::{App, Feed, Overlay};
use super::attention;
use super::panes::{PaneCtx, PaneId};
use super::theme::Role;
use crate::model::Status;
use crate::model::attention::{Open, Severity};
use std::collections::BTreeMap;

/// Below this the console shows a message instead of panes.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;
/// From this size on, all five panes share the screen.
pub const GRID_WIDTH: u16 = 120;
pub const GRID_HEIGHT: u16 = 30;

pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let base = app.theme.style(Role::Text);
    frame.render_widget(Block::default().style(base), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "Terminal too small ({}x{}): Vigie needs at least {MIN_WIDTH}x{MIN_HEIGHT}. Enlarge the window.",
            area.width, area.height
        );
        frame.render_widget(
            Paragraph::new(msg)
                .wrap(Wrap { trim: true })
                .style(app.theme.style(Role::Warn)),
            area,
        );
        return;
    }
    if app.wall.is_some() {
        super::wall::render(app, frame);
        return;
    }
    let notice_height = u16::from(app.notice.is_some());
    let [header, body, notice, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(notice_height),
        Constraint::Length(1),
    ])
    .areas(area);
    render_header(app, frame, header);
    render_body(app, frame, body);
    if let Some(n) = &app.notice {
        frame.render_widget(
            Paragraph::new(Span::styled(n.text.as_str(), app.theme.style(Role::Accent))),
            notice,
        );
    }
    render_footer(app, frame, footer);
    if let Overlay::Help { scroll } = app.overlay {
        render_help(app, frame, body, scroll);
    }
    if let Overlay::Usage { scroll } = app.overlay {
        super::usage::render(app, frame, body, scroll);
    }
    if app.overlay == Overlay::Alerts {
        super::alerts::render::render(app, frame, body);
    }
    super::panes::tickets::render_editor(app, frame, body);
    super::alerts::editor::render(app, frame, body);
}

/// The header's counts of open alerts by severity, worst first, over every
/// domain, silenced ones left out and acknowledged ones said apart
/// ("✖ 2 critical (1 ack) · ▲ 3 warning", or "✖ 2 (1 ack) ▲ 3"); when
/// nothing is open, the overall state in words ("● all clear").
pub(super) fn alert_counts(
    app: &App,
    open: &[Open],
    overall: Status,
    compact: bool,
) -> Vec<Span<'static>> {
    let theme = &app.theme;
    let mut per: BTreeMap<Severity, (usize, usize)> = BTreeMap::new();
    for o in open.iter().filter(|o| o.silenced.is_none()) {
        let e = per.entry(o.alert.severity).or_default();
        e.0 += 1;
        e.1 += usize::from(o.ack.is_some());
    }
    let mut spans = Vec::new();
    for (severity, (n, acked)) in per.iter().rev() {
        if !spans.is_empty() {
            let sep = if compact { " " } else { " · " };
            spans.push(Span::styled(sep, theme.style(Role::Muted)));
        }
        let style = match severity {
            Severity::Info => theme.style(Role::Muted),
            s => theme.status(s.status()),
        };
        let text = if compact {
            format!("{} {n}", severity.glyph())
        } else {
            format!("{} {n} {}", severity.glyph(), severity.label())
        };
        spans.push(Span::styled(text, style));
        if *acked > 0 {
            spans.push(Span::styled(
                format!(" ({acked} ack)"),
                theme.style(Role::Muted),
            ));
        }
    }
    if spans.is_empty() {
        let words = match overall {
            Status::Unknown => "waiting for verdicts",
            Status::Maintenance => "maintenance in progress",
            _ => "all clear",
        };
        let style = match overall {
            Status::Up => theme.style(Role::Ok),
            s => theme.status(s),
        };
        spans.push(Span::styled(format!("{} {words}", overall.glyph()), style));
    }
    // Flapping is a state of its own: counted apart from the states above.
    let flapping = app.data.flapping();
    if flapping > 0 {
        spans.push(Span::styled(
            if compact {
                format!(" ↯ {flapping}")
            } else {
                format!(" · ↯ {flapping} flapping")
            },
            theme.status(Status::Degraded),
        ));
    }
    spans
}

/// The worst alert nobody took, cut to `room` columns ("erp/odoo down:
/// timeout"); when every one is taken, the worst and who took it.
fn worst_alert(app: &App, open: &[Open], room: usize) -> Vec<Span<'static>> {
    let shown = |o: &&Open| o.silenced.is_none() && o.alert.severity > Severity::Info;
    // `open` is unattended first, then worst first.
    let Some(o) = open.iter().find(shown) else {
        return Vec::new();
    };
    if room < 8 {
        return Vec::new();
    }
    let a = &o.alert;
    let mut text = format!("{}: {}", a.subject.text(), a.reason);
    if let Some(ack) = &o.ack {
        text = format!("{text} (taken by {})", ack.by);
    }
    vec![
        Span::styled(" │ ", app.theme.style(Role::Muted)),
        Span::styled(
            crate::sanitize::clean_short(&text, room - 3),
            app.theme.status(a.severity.status()),
        ),
    ]
}

fn render_header(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let mut spans = vec![Span::styled(
        " VIGIE ",
        theme.style(Role::Title).add_modifier(Modifier::BOLD),
    )];
    // Under 100 columns the counts go compact ("✖ 1 ▲ 1"), so the worst
    // state is never cut off by the clock.
    let compact = area.width < 100;
    let mut badges = Vec::new();
    if app.modes.demo {
        badges.push(Span::styled(
            " DEMO ",
            theme.style(Role::Accent).add_modifier(Modifier::REVERSED),
        ));
        badges.push(Span::raw(" "));
    }
    if let Some(fault) = &app.store_fault {
        badges.push(Span::styled(
            format!(" {} ", crate::store::fault::badge_of(fault)),
            theme.style(Role::Crit).add_modifier(Modifier::REVERSED),
        ));
        badges.push(Span::raw(" "));
    }
    if app.modes.read_only {
        badges.push(Span::styled(
            " READ-ONLY ",
            theme.style(Role::Warn).add_modifier(Modifier::REVERSED),
        ));
        badges.push(Span::raw(" "));
    }
    // Who is on call, where there is room: the rota's word, as `vigie
    // oncall` says it.
    if !compact {
        if let Some(who) = app.rota.as_ref().and_then(|r| r.header_words(app.data.now)) {
            badges.push(Span::styled(who, theme.style(Role::Text)));
            badges.push(Span::styled(" · ", theme.style(Role::Muted)));
        }
    }
    let feed = match app.feed {
        Feed::LocalEngine => "local engine",
        Feed::Daemon => "daemon",
        Feed::Snapshot => "snapshot",
    };
    badges.push(Span::styled(feed, theme.style(Role::Muted)));
    badges.push(Span::styled(
        header_clock(app.data.now, app.data.tz, compact),
        theme.style(Role::Title),
    ));
    let right: Line = Line::from(badges);
    let right_width = u16::try_from(right.width())
        .unwrap_or(u16::MAX)
        .min(area.width);
    // Counts over every domain first (never cut), then the worst alert in
    // the room left. The counts go compact when the words would not fit.
    let room = usize::from(area.width.saturating_sub(right_width)).saturating_sub(8);
    let open = attention::open(app);
    let overall = attention::overall(&attention::shown(&open), &app.data);
    let mut counts = alert_counts(app, &open, overall, compact);
    if !compact && counts.iter().map(|s| s.width()).sum::<usize>() + 24 > room {
        counts = alert_counts(app, &open, overall, true);
    }
    let used: usize = counts.iter().map(|s| s.width()).sum();
    spans.extend(counts);
    spans.extend(worst_alert(app, &open, room.saturating_sub(used)));
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width)]).areas(area);
    let header_style = theme.style(Role::Header);
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(header_style),
        left_area,
    );
    frame.render_widget(Paragraph::new(right).style(header_style), right_area);
}

/// The header's clock, naming the display zone once so that every other
/// time on screen can go unlabelled: the IANA name when there is room, the
/// zone's abbreviation ("CET") under 100 columns.
pub fn header_clock(now: DateTime<Utc>, tz: Tz, compact: bool) -> String {
    let local = now.with_timezone(&tz);
    if compact {
        local.format(" %a %H:%M:%S %Z ").to_string()
    } else {
        format!(" {} {} ", local.format("%a %d %b %H:%M:%S"), tz.name())
    }
}

/// Where each visible pane goes.
pub fn pane_areas(app: &App, body: Rect) -> (Option<Rect>, Vec<(PaneId, Rect)>) {
    if app.zoomed {
        return (None, vec![(app.focus, body)]);
    }
    if body.width >= GRID_WIDTH && body.height + 2 >= GRID_HEIGHT {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body);
        let [health, tickets] =
            Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(top);
        let [backups, maintenance, pos] = Layout::horizontal([
            Constraint::Ratio(1, 3),
            Constraint::Ratio(1, 3),
            Constraint::Ratio(1, 3),
        ])
        .areas(bottom);
        return (
            None,
            vec![
                (PaneId::Health, health),
                (PaneId::Tickets, tickets),
                (PaneId::Backups, backups),
                (PaneId::Maintenance, maintenance),
                (PaneId::Pos, pos),
            ],
        );
    }
    let [tabs, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(body);
    (Some(tabs), vec![(app.focus, rest)])
}

fn render_body(app: &App, frame: &mut Frame, body: Rect) {
    let (tabs, areas) = pane_areas(app, body);
    if let Some(tabs) = tabs {
        render_tabs(app, frame, tabs);
    }
    for (id, area) in areas {
        render_pane(app, frame, id, area);
    }
}

fn render_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let mut spans = Vec::new();
    for (i, id) in PaneId::ALL.into_iter().enumerate() {
        let worst = app.pane(id).and_then(|p| p.worst(&app.data));
        let mut style = if id == app.focus {
            theme.style(Role::Selection)
        } else {
            theme.style(Role::Muted)
        };
        if id == app.focus {
            style = style.add_modifier(Modifier::BOLD);
        }
        spans.push(Span::styled(format!(" {} {}", i + 1, id.title()), style));
        match worst {
            Some(s) if s != Status::Up => {
                spans.push(Span::styled(format!(" {}", s.glyph()), theme.status(s)))
            }
            _ => {}
        }
        spans.push(Span::styled(" ", style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_pane(app: &App, frame: &mut Frame, id: PaneId, area: Rect) {
    let Some(pane) = app.pane(id) else { return };
    let theme = &app.theme;
    let focused = id == app.focus;
    let border = if focused {
        theme.style(Role::BorderFocused)
    } else {
        theme.style(Role::Border)
    };
    let mut title = vec![Span::styled(
        format!(" {} ", id.title()),
        theme.style(Role::Title),
    )];
    let summary = pane.summary(&app.data);
    let summary_style = match pane.worst(&app.data) {
        Some(s) if s != Status::Up => theme.status(s),
        _ => theme.style(Role::Muted),
    };
    title.push(Span::styled(format!("{summary} "), summary_style));
    if !pane.filter().is_empty() {
        title.push(Span::styled(
            format!("/{} ", pane.filter()),
            theme.style(Role::Accent),
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    pane.render(
        frame,
        inner,
        &PaneCtx {
            data: &app.data,
            theme,
            focused,
        },
    );
}

/// The keys that matter here, from the active keymap.
pub fn footer_actions(app: &App) -> Vec<Action> {
    if app.overlay == Overlay::Alerts {
        let mut actions = vec![
            Action::Select,
            Action::Ack,
            Action::Unack,
            Action::CommandLine,
            Action::Help,
            Action::Back,
            Action::Quit,
        ];
        if app.modes.read_only {
            actions.retain(|a| !a.mutates());
        }
        return actions;
    }
    let mut actions = app.pane(app.focus).map(|p| p.hints()).unwrap_or_default();
    actions.extend([
        Action::Alerts,
        Action::Help,
        Action::CommandLine,
        Action::Filter,
        Action::FocusNext,
        Action::Zoom,
    ]);
    if app.zoomed || app.pane(app.focus).is_some_and(|p| !p.filter().is_empty()) {
        actions.push(Action::Back);
    }
    actions.push(Action::Quit);
    // A read-only console does not offer what it would refuse.
    if app.modes.read_only {
        actions.retain(|a| !a.mutates());
    }
    actions
}

fn render_footer(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let line = match &app.overlay {
        Overlay::Command(text) => Line::from(vec![
            Span::styled(":", theme.style(Role::Accent)),
            Span::styled(text.as_str(), theme.style(Role::Text)),
            Span::styled("█", theme.style(Role::Accent)),
            Span::styled("   enter run · esc cancel", theme.style(Role::Muted)),
        ]),
        Overlay::Filter { text, .. } => Line::from(vec![
            Span::styled("/", theme.style(Role::Accent)),
            Span::styled(text.as_str(), theme.style(Role::Text)),
            Span::styled("█", theme.style(Role::Accent)),
            Span::styled("   enter keep · esc cancel", theme.style(Role::Muted)),
        ]),
        _ => {
            let mut spans = Vec::new();
            for action in footer_actions(app) {
                let keys = app.keymap.keys_for(app.context(), action);
                let Some(key) = keys.first() else { continue };
                spans.push(Span::styled(format!(" {key}"), theme.style(Role::Accent)));
                spans.push(Span::styled(
                    format!(" {}", action.label()),
                    theme.style(Role::Footer),
                ));
            }
            Line::from(spans)
        }
    };
    frame.render_widget(Paragraph::new(line).style(theme.style(Role::Footer)), area);
}

/// The help text, generated from the active keymap.
pub fn help_lines(app: &App) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let mut lines = Vec::new();
    let mut contexts = vec![Context::Global];
    if app.context() != Context::Global {
        contexts.push(app.context());
    }
    let global = app.keymap.bindings(Context::Global);
    for ctx in contexts {
        let mut bindings = app.keymap.bindings(ctx);
        // A pane's section lists only what differs from the global keys.
        if ctx != Context::Global {
            bindings.retain(|b| !global.contains(b));
        }
        if bindings.is_empty() {
            continue;
        }
        lines.push(Line::from(Span::styled(
            format!("{} keys", ctx.name()),
            theme.style(Role::Title),
        )));
        for (action, keys) in bindings {
            if keys.is_empty() || (app.modes.read_only && action.mutates()) {
                continue;
            }
            let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            let (label, about) = action.text();
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<14}", keys.join(" ")),
                    theme.style(Role::Accent),
                ),
                Span::styled(format!("{label:<18} "), theme.style(Role::Text)),
                Span::styled(about, theme.style(Role::Muted)),
            ]));
        }
        lines.push(Line::default());
    }
    lines.push(Line::from(Span::styled(
        "commands",
        theme.style(Role::Title),
    )));
    for (cmd, what) in [
        (
            ":health :backups :tickets :maintenance :pos",
            "focus a pane",
        ),
        (":alerts", "every open alert (also !)"),
        (":silence client=C host=H check=K for 2h WHY", "silence"),
        (":theme NAME", "switch theme"),
        (":ACTION", "any action above by name"),
        (":q", "quit"),
    ] {
        // A read-only console does not offer what it would refuse.
        if app.modes.read_only && cmd.starts_with(":silence") {
            continue;
        }
        lines.push(Line::from(vec![
            Span::styled(format!("  {cmd:<44}"), theme.style(Role::Accent)),
            Span::styled(what, theme.style(Role::Text)),
        ]));
    }
    // Keys the terminal gives, not the keymap: said here too.
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "terminal",
        theme.style(Role::Title),
    )));
    lines.push(Line::from(vec![
        Span::styled(format!("  {:<44}", "ctrl-z"), theme.style(Role::Accent)),
        Span::styled(
            "give the terminal back (fg resumes)",
            theme.style(Role::Text),
        ),
    ]));
    lines
}

fn render_help(app: &App, frame: &mut Frame, body: Rect, scroll: u16) {
    let lines = help_lines(app);
    let width = body.width.saturating_sub(4).min(76);
    let height = body
        .height
        .saturating_sub(2)
        .min(u16::try_from(lines.len()).unwrap_or(u16::MAX) + 2);
    let area = Rect {
        x: body.x + (body.width.saturating_sub(width)) / 2,
        y: body.y + (body.height.saturating_sub(height)) / 2,
        width,
        height,
    };
    let inner = usize::from(height.saturating_sub(2));
    let below = lines.len().saturating_sub(inner + usize::from(scroll));
    let title = match (scroll, below) {
        (0, 0) => " Help · esc closes ".to_string(),
        (_, 0) => " Help · ↑ more · esc closes ".to_string(),
        (0, n) => format!(" Help · ↓ {n} more · esc closes "),
        (_, n) => format!(" Help · ↑↓ {n} more · esc closes "),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.style(Role::BorderFocused))
        .title(Span::styled(title, app.theme.style(Role::Title)));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll, 0))
            .style(app.theme.style(Role::Text)),
        area,
    );
}

/// Draws one line of column spans padded with spaces (`{:<w$}`, `{:>w$}`)
/// into a one-row `area`, writing only each span's text: the buffer starts
/// blank each frame, so the padding need not be written cell by cell (a
/// table row of 200 columns is mostly padding). The result is the one a
/// `Paragraph` of the line draws: each span's style (over the line's) on
/// its whole width, the text clipped at the row's end (a wide character
/// that does not fit leaves its cell in the span's style, where a
/// `Paragraph` leaves it blank).
pub fn draw_padded_line(buf: &mut ratatui::buffer::Buffer, area: Rect, line: &Line) {
    use unicode_width::UnicodeWidthStr;
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    let right = area.right();
    let mut x = area.x;
    for span in &line.spans {
        if x >= right {
            break;
        }
        let s = span.content.as_ref();
        let rest = s.trim_start_matches(' ');
        let lead = s.len() - rest.len();
        let text = rest.trim_end_matches(' ');
        let trail = rest.len() - text.len();
        let width = (lead + text.width() + trail).min(usize::from(u16::MAX));
        let shown = Rect {
            x,
            width: (width as u16).min(right - x),
            ..area
        };
        let style = line.style.patch(span.style);
        buf.set_style(shown, style);
        let start = x.saturating_add(lead as u16);
        if !text.is_empty() && start < right {
            if text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
                // Printable ASCII: each byte is a grapheme one cell wide,
                // so the segmentation `set_stringn` does can be skipped.
                let shown = &text[..text.len().min(usize::from(right - start))];
                for (i, _) in shown.char_indices() {
                    buf[(start + i as u16, area.y)]
                        .set_symbol(&shown[i..=i])
                        .set_style(style);
                }
            } else {
                buf.set_stringn(start, area.y, text, usize::from(right - start), style);
            }
        }
        x = x.saturating_add(width as u16);
    }
}

/// [`draw_padded_line`] for each of `lines`, a row of `area` each, as
/// many as fit (what a `Paragraph` of the lines shows, without wrapping).
pub fn draw_padded_lines(buf: &mut ratatui::buffer::Buffer, area: Rect, lines: &[Line]) {
    for (i, line) in lines.iter().enumerate().take(usize::from(area.height)) {
        let row = Rect {
            y: area.y + i as u16,
            height: 1,
            ..area
        };
        draw_padded_line(buf, row, line);
    }
}

/// Draws what a `Table` of one-line cells draws (`widths`, one space
/// between columns, a header row in its style, then the rows, each with its
/// style over the whole row), writing each cell with [`draw_padded_line`]
/// instead of a `Text` per cell. Rows that do not fit are left out.
pub fn draw_table(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    widths: &[Constraint],
    header: (&[Line], ratatui::style::Style),
    rows: &[(Vec<Line>, ratatui::style::Style)],
) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    // As `Table` lays its columns out: from the left, a space between.
    let columns = Layout::horizontal(widths.iter().copied())
        .flex(ratatui::layout::Flex::Start)
        .spacing(1)
        .split(Rect::new(0, 0, area.width, 1));
    let mut draw_row = |y: u16, cells: &[Line], style: ratatui::style::Style| {
        let row = Rect {
            y,
            height: 1,
            ..area
        };
        buf.set_style(row, style);
        for (column, cell) in columns.iter().zip(cells) {
            let cell_area = Rect::new(area.x + column.x, y, column.width, 1);
            draw_padded_line(buf, cell_area, cell);
        }
    };
    draw_row(area.y, header.0, header.1);
    for (i, (cells, style)) in rows.iter().enumerate() {
        let y = area.y + 1 + i as u16;
        if y >= area.bottom() {
            break;
        }
        draw_row(y, cells, *style);
    }
}

#[cfg(test)]
mod padded_line_tests {
    use super::*;
    use ratatui::buffer::Buffer;
    use ratatui::style::{Color, Style};

    /// The same row drawn by a `Paragraph` (every cell written) and by
    /// `draw_padded_line` (only the text): equal buffers.
    #[test]
    fn a_padded_line_draws_as_a_paragraph_does() {
        let sel = Style::default().bg(Color::Blue);
        let lines = [
            Line::from(vec![
                Span::styled(format!("{:<6}", "4101"), Style::default().fg(Color::Gray)),
                Span::raw(format!("{:<11}", "cagette")),
                Span::raw(format!("{:<20} ", "Caisses hors ligne…")),
                Span::styled(
                    format!("{:<12}", "LATE 3d 18h"),
                    Style::default().fg(Color::Red),
                ),
                Span::raw(format!("{:<8}", "▶25m")),
                Span::raw(format!("{:>6}!", "1h15")),
            ]),
            Line::from(vec![
                Span::raw(format!("{:<6}", "7")),
                Span::styled(format!("{:<9}", "vélo"), Style::default().bg(Color::Green)),
                Span::styled(
                    format!("{:>8}", "x"),
                    Style::default().add_modifier(Modifier::REVERSED),
                ),
                Span::raw("日本語のタイトルがとても長くて切れる場合"),
            ])
            .style(sel),
            Line::from(vec![Span::raw("   "), Span::raw(""), Span::raw(" a ")]),
            Line::from(vec![
                Span::raw(format!("{:<9}", "ascii")),
                Span::styled("plain ascii, cut at the edge of the row", sel),
            ]),
        ];
        // 31 cuts the title between two wide characters; at 30 the last one
        // would not fit: this leaves the cell in the span's style, where a
        // `Paragraph` leaves it blank.
        for width in [12u16, 31, 80] {
            for line in &lines {
                let area = Rect::new(1, 1, width, 1);
                let mut want = Buffer::empty(Rect::new(0, 0, width + 2, 3));
                let mut got = want.clone();
                ratatui::widgets::Widget::render(Paragraph::new(line.clone()), area, &mut want);
                draw_padded_line(&mut got, area, line);
                assert_eq!(got, want, "width {width}: {line:?}");
            }
        }
    }

    /// Lines that fit their row draw as a wrapping `Paragraph` draws them
    /// (the Maintenance pane's case): styled padding at a line's end
    /// included.
    #[test]
    fn lines_that_fit_draw_as_a_wrapping_paragraph_does() {
        let title = Style::default()
            .fg(Color::Yellow)
            .add_modifier(Modifier::BOLD);
        let lines = vec![
            Line::from(vec![
                Span::raw("      "),
                Span::styled(format!("{:<11}", "Mon 07 Dec"), title),
                Span::styled(format!("{:<11}", "Tue 08"), title),
            ]),
            Line::from(vec![
                Span::styled("00:00  ", Style::default().fg(Color::Gray)),
                Span::styled("·".repeat(10), Style::default().fg(Color::DarkGray)),
                Span::raw(" "),
                Span::styled("█".repeat(10), Style::default().bg(Color::Blue)),
                Span::raw(" "),
            ]),
            Line::default(),
            Line::styled("  ✓ every rule is met  ", Style::default().fg(Color::Green)),
            Line::from(vec![Span::raw("   "), Span::raw(""), Span::raw(" a ")]),
        ];
        for (w, h) in [(30u16, 5u16), (40, 3), (29, 6)] {
            assert!(lines.iter().all(|l| l.width() <= usize::from(w)));
            let area = Rect::new(1, 1, w, h);
            let mut want = Buffer::empty(Rect::new(0, 0, w + 2, h + 2));
            let mut got = want.clone();
            ratatui::widgets::Widget::render(
                Paragraph::new(lines.clone()).wrap(Wrap { trim: false }),
                area,
                &mut want,
            );
            draw_padded_lines(&mut got, area, &lines);
            assert_eq!(got, want, "{w}x{h}");
        }
    }

    /// Health-like rows drawn by a `Table` and by `draw_table`: equal
    /// buffers, with cells cut at their column, empty cells, a selected row
    /// and rows that do not fit.
    #[test]
    fn a_table_of_lines_draws_as_a_table_does() {
        use ratatui::widgets::{Cell, Row, Table};
        let red = Style::default().fg(Color::Red);
        let sel = Style::default().bg(Color::Blue);
        let widths = [
            Constraint::Length(10),
            Constraint::Length(12),
            Constraint::Length(6),
            Constraint::Min(10),
        ];
        let header: Vec<Line> = ["STATE", "HOST", "MS", "DETAIL"]
            .into_iter()
            .map(Line::from)
            .collect();
        let row = |state: &str, host: &str, flap: bool, ms: &str, detail: &str| {
            let mut name = vec![Span::styled(format!("  {host}"), Style::default())];
            if flap {
                name.push(Span::styled(" ↯", red));
            }
            vec![
                Line::from(Span::styled(state.to_string(), red)),
                Line::from(name),
                Line::from(Span::raw(ms.to_string())),
                Line::from(Span::styled(
                    detail.to_string(),
                    Style::default().add_modifier(Modifier::DIM),
                )),
            ]
        };
        let rows: Vec<(Vec<Line>, Style)> = vec![
            (
                vec![Line::default(), Line::from(Span::raw("Coop · prod"))],
                Style::default(),
            ),
            (
                row(
                    "✖ down",
                    "odoo-1.example.org",
                    true,
                    "1203",
                    "web: 503 Service Unavailable",
                ),
                Style::default(),
            ),
            (row("● up", "h2", false, "", "db: ok"), sel),
            (
                row("▲ degraded", "日本語のホスト", false, "12", "x"),
                Style::default(),
            ),
            (row("● up", "h4", false, "9", "tail"), Style::default()),
        ];
        for (w, h) in [(60u16, 8u16), (40, 4), (25, 2), (80, 1)] {
            let area = Rect::new(1, 1, w, h);
            let mut want = Buffer::empty(Rect::new(0, 0, w + 2, h + 2));
            let mut got = want.clone();
            let table = Table::new(
                rows.iter()
                    .map(|(c, s)| Row::new(c.iter().cloned().map(Cell::from)).style(*s)),
                widths,
            )
            .header(Row::new(header.iter().cloned().map(Cell::from)).style(red))
            .column_spacing(1);
            ratatui::widgets::Widget::render(table, area, &mut want);
            draw_table(&mut got, area, &widths, (&header, red), &rows);
            assert_eq!(got, want, "{w}x{h}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::header_clock;

    #[test]
    fn the_header_clock_names_the_display_zone() {
        let now = "2026-12-07T21:30:05Z".parse().unwrap();
        assert_eq!(
            header_clock(now, chrono_tz::Europe::Paris, false),
            " Mon 07 Dec 22:30:05 Europe/Paris "
        );
        assert_eq!(
            header_clock(now, chrono_tz::America::Montreal, true),
            " Mon 16:30:05 EST "
        );
        assert_eq!(
            header_clock(now, chrono_tz::UTC, true),
            " Mon 21:30:05 UTC "
        );
    }
}
