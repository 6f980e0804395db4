//! `vigie --wall`: the office's wall screen. Read-only, no cursor, no
//! prompts. At the top, in large type, the overall state and the clock;
//! below, sections to read from across the room: each client's worst
//! state, then whatever each pane offers the wall through
//! [`Pane::wall_lines`](super::panes::Pane::wall_lines) (open incidents,
//! tickets nearest their deadline, the next 24 h of maintenance, stores whose
//! tills are at risk). When the sections do not fit they are cut into
//! pages that rotate on the clock, so every screen of the wall is seen.
//!
//! Drawing stays a pure function of the state: the page shown is derived
//! from the clock (`Data::now`), so no timer state is needed.

pub mod bigtext;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::action::Action;
use super::app::{App, Effect, Feed};
use super::attention;
use super::panes::{Data, WallLine};
use super::theme::Role;
use crate::model::Status;
use crate::model::attention::{Open, Severity};
use crate::sanitize;

/// Seconds each page stays on screen.
pub const ROTATE_EVERY_SECS: i64 = 10;
/// Over SSH a page turn costs a screenful of bytes: pages stay longer.
pub const ROTATE_EVERY_SECS_SSH: i64 = 30;
/// At most this many items per pane section.
pub const MAX_ITEMS: usize = 50;
/// Columns of the narrowest section column.
const COLUMN_WIDTH: u16 = 60;

/// The wall display's own state: pages skipped by hand (tab/shift-tab),
/// and how long a page stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wall {
    pub offset: usize,
    pub rotate_every_secs: i64,
}

impl Default for Wall {
    fn default() -> Wall {
        Wall {
            offset: 0,
            rotate_every_secs: ROTATE_EVERY_SECS,
        }
    }
}

impl Wall {
    /// The wall for this terminal: slower pages over SSH.
    pub fn for_env(env: &dyn Fn(&str) -> Option<String>) -> Wall {
        let ssh = ["SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT"]
            .iter()
            .any(|k| env(k).is_some_and(|v| !v.is_empty()));
        Wall {
            offset: 0,
            rotate_every_secs: if ssh {
                ROTATE_EVERY_SECS_SSH
            } else {
                ROTATE_EVERY_SECS
            },
        }
    }
}

/// Keys on the wall: quit, turn pages, refresh. Every prompt (command
/// line, filter, help) is refused: the wall asks nothing. Mutating actions
/// never get here (`app::dispatch` refuses them first).
pub fn dispatch(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(wall) = app.wall.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::Quit => return vec![Effect::Quit],
        Action::FocusNext | Action::Down | Action::PageDown | Action::NextPeriod => {
            wall.offset = wall.offset.wrapping_add(1)
        }
        Action::FocusPrev | Action::Up | Action::PageUp | Action::PrevPeriod => {
            wall.offset = wall.offset.wrapping_sub(1)
        }
        Action::Refresh => {
            app.notify("checking now…");
            return vec![Effect::RefreshChecks];
        }
        Action::Back => app.notice = None,
        other => app.notify(format!(
            "wall display: '{}' is not available (read-only, no prompts)",
            other.name()
        )),
    }
    Vec::new()
}

/// A titled list on the wall.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub title: String,
    pub lines: Vec<WallLine>,
    /// Shown when `lines` is empty.
    pub empty: &'static str,
}

/// The sections of the wall, in reading order.
pub fn sections(app: &App) -> Vec<Section> {
    sections_of(app, &attention::open(app))
}

/// [`sections`] with the alert list already made.
fn sections_of(app: &App, list: &[Open]) -> Vec<Section> {
    let mut out = vec![Section {
        title: "Clients".into(),
        lines: client_lines(&app.data, list),
        empty: "no clients configured",
    }];
    for pane in &app.panes {
        if let Some(title) = pane.wall_title() {
            out.push(Section {
                title: title.to_string(),
                lines: pane.wall_lines(&app.data, MAX_ITEMS),
                empty: "none",
            });
        }
    }
    out
}

/// Each client's state from the alert list (the header's list, so a dot
/// is never greener than the big word), worst first, with its worst alert
/// and who took it.
pub fn client_lines(data: &Data, open: &[Open]) -> Vec<WallLine> {
    let list = attention::shown(open);
    let list = list.as_slice();
    let states = crate::model::attention::client_states(&data.fleet, list);
    let mut per_client: Vec<(usize, WallLine)> = Vec::new();
    for (order, client) in data.fleet.clients.iter().enumerate() {
        let status = states.get(&client.id).copied().unwrap_or(Status::Up);
        // The list is worst first: the first alert about the client says why.
        let why = list
            .iter()
            .find(|a| a.severity > Severity::Info && a.subject.clients.contains(&client.id))
            .map(|a| {
                let taken = open
                    .iter()
                    .find(|o| o.alert.id == a.id)
                    .and_then(|o| o.ack.as_ref())
                    .map(|ack| format!(" (taken by {})", sanitize::clean_short(&ack.by, 20)))
                    .unwrap_or_default();
                format!(
                    "{}: {}{taken}",
                    sanitize::clean(&a.subject.text()),
                    sanitize::clean_short(&a.reason, 60)
                )
            })
            .unwrap_or_default();
        let name = sanitize::clean(&client.name);
        let text = if why.is_empty() {
            name
        } else {
            format!("{name} · {why}")
        };
        per_client.push((order, WallLine { status, text }));
    }
    per_client.sort_by(|a, b| b.1.status.cmp(&a.1.status).then(a.0.cmp(&b.0)));
    // Clients that are fine need no line each: their names share lines, so
    // a large fleet's wall stays about what needs an eye.
    let mut out: Vec<WallLine> = Vec::new();
    let mut fine = String::new();
    for (_, line) in per_client {
        if line.status != Status::Up {
            out.push(line);
            continue;
        }
        if !fine.is_empty() && fine.chars().count() + 3 + line.text.chars().count() > UP_LINE_CHARS
        {
            out.push(WallLine {
                status: Status::Up,
                text: std::mem::take(&mut fine),
            });
        }
        if !fine.is_empty() {
            fine.push_str(" · ");
        }
        fine.push_str(&line.text);
    }
    if !fine.is_empty() {
        out.push(WallLine {
            status: Status::Up,
            text: fine,
        });
    }
    out
}

/// Characters of a line of clients that are up.
const UP_LINE_CHARS: usize = 56;

/// The overall state: the alert list's, as the header says it.
pub fn overall(app: &App) -> Status {
    attention::overall(&attention::shown(&attention::open(app)), &app.data)
}

fn headline(s: Status) -> &'static str {
    match s {
        Status::Up => "ALL UP",
        Status::Maintenance => "MAINTENANCE",
        Status::Unknown => "UNKNOWN",
        Status::Degraded => "DEGRADED",
        Status::Down => "DOWN",
    }
}

/// One column's worth of a section: its title (with "(cont.)" after the
/// first piece) and the lines that fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub title: String,
    pub lines: Vec<WallLine>,
    pub empty: &'static str,
}

impl Piece {
    fn height(&self) -> usize {
        1 + self.lines.len().max(1)
    }
}

/// Cuts the sections into pages of `columns` columns of `height` rows.
/// Sections follow one another down a column (a blank row between them);
/// one taller than a column continues in the next.
pub fn pages(sections: &[Section], columns: usize, height: usize) -> Vec<Vec<Vec<Piece>>> {
    let columns = columns.max(1);
    let height = height.max(2);
    let mut cols: Vec<Vec<Piece>> = Vec::new();
    let mut col: Vec<Piece> = Vec::new();
    let mut used = 0usize;
    for s in sections {
        let mut rest: &[WallLine] = &s.lines;
        let mut first = true;
        loop {
            let gap = usize::from(used > 0);
            // Room for the title and at least one line, else a new column.
            if used + gap + 2 > height {
                cols.push(std::mem::take(&mut col));
                used = 0;
                continue;
            }
            let gap = usize::from(used > 0);
            let room = height - used - gap - 1;
            let take = rest.len().min(room);
            let title = if first {
                s.title.clone()
            } else {
                format!("{} (cont.)", s.title)
            };
            let piece = Piece {
                title,
                lines: rest[..take].to_vec(),
                empty: s.empty,
            };
            used += gap + piece.height();
            col.push(piece);
            rest = &rest[take..];
            first = false;
            if rest.is_empty() {
                break;
            }
            cols.push(std::mem::take(&mut col));
            used = 0;
        }
    }
    if !col.is_empty() {
        cols.push(col);
    }
    if cols.is_empty() {
        cols.push(Vec::new());
    }
    cols.chunks(columns).map(|c| c.to_vec()).collect()
}

/// Which page is on screen at `now`: one every `every` seconds, plus the
/// pages turned by hand.
pub fn page_at(now_secs: i64, every: i64, offset: usize, count: usize) -> usize {
    if count <= 1 {
        return 0;
    }
    let turns = usize::try_from(now_secs.div_euclid(every.max(1))).unwrap_or(0);
    turns.wrapping_add(offset) % count
}

/// Draws the wall into the whole frame.
pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    let theme = &app.theme;
    frame.render_widget(Block::default().style(theme.style(Role::Text)), area);
    let big = area.height >= 16 && area.width >= 40;
    let top_height = if big { bigtext::HEIGHT + 2 } else { 2 };
    let notice_height = u16::from(app.notice.is_some());
    let [top, body, notice] = Layout::vertical([
        Constraint::Length(top_height),
        Constraint::Min(1),
        Constraint::Length(notice_height),
    ])
    .areas(area);
    let list = attention::open(app);
    let status = attention::overall(&attention::shown(&list), &app.data);
    if big {
        render_big_top(app, frame, top, &list, status);
    } else {
        render_small_top(app, frame, top, &list, status);
    }
    let columns = usize::from((body.width / COLUMN_WIDTH).clamp(1, 4));
    let all = pages(&sections_of(app, &list), columns, usize::from(body.height));
    let (offset, every) = app
        .wall
        .as_ref()
        .map_or((0, ROTATE_EVERY_SECS), |w| (w.offset, w.rotate_every_secs));
    let index = page_at(app.data.now.timestamp(), every, offset, all.len());
    if let Some(page) = all.get(index) {
        // The columns a page fills share the whole width.
        render_page(app, frame, body, page, page.len().max(1));
    }
    if all.len() > 1 {
        let label = format!(" page {}/{} ", index + 1, all.len());
        let w = u16::try_from(label.chars().count()).unwrap_or(0);
        let at = Rect {
            x: body.right().saturating_sub(w),
            y: body.bottom().saturating_sub(1),
            width: w.min(body.width),
            height: 1,
        };
        frame.render_widget(
            Paragraph::new(Span::styled(
                label,
                theme.style(Role::Muted).add_modifier(Modifier::REVERSED),
            )),
            at,
        );
    }
    if let Some(n) = &app.notice {
        frame.render_widget(
            Paragraph::new(Span::styled(
                sanitize::clean(&n.text),
                theme.style(Role::Accent),
            )),
            notice,
        );
    }
}

/// The header's counts of open alerts by severity (the same list as the
/// big word), then the feed.
fn counts_line(app: &App, list: &[Open], status: Status) -> Line<'static> {
    let theme = &app.theme;
    let mut spans = vec![Span::raw(" ")];
    spans.extend(super::render::alert_counts(app, list, status, false));
    let feed = match app.feed {
        Feed::LocalEngine => "local engine",
        Feed::Daemon => "daemon",
        Feed::Snapshot => "snapshot",
    };
    spans.push(Span::styled(
        format!("   {feed} · read-only"),
        theme.style(Role::Muted),
    ));
    // The wall is watched from afar: a store that cannot be written must
    // show there too, not only on the operator's console.
    if let Some(fault) = &app.store_fault {
        spans.push(Span::raw("   "));
        spans.push(Span::styled(
            format!(" {} ", crate::store::fault::badge_of(fault)),
            theme.style(Role::Crit).add_modifier(Modifier::REVERSED),
        ));
    }
    if app.modes.demo {
        spans.push(Span::styled(" · DEMO", theme.style(Role::Accent)));
    }
    Line::from(spans)
}

fn render_big_top(app: &App, frame: &mut Frame, area: Rect, list: &[Open], status: Status) {
    let theme = &app.theme;
    let local = app.data.now.with_timezone(&app.data.tz);
    let clock = local.format("%H:%M").to_string();
    let word = headline(status);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(area);
    let [word_area, counts_area, _] = Layout::vertical([
        Constraint::Length(bigtext::HEIGHT),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(left);
    let style = theme.status(status).add_modifier(Modifier::BOLD);
    let inner = word_area.width.saturating_sub(2);
    match bigtext::fit(word, inner, 3) {
        Some(scale) => {
            let lines: Vec<Line> = bigtext::lines(word, scale)
                .into_iter()
                .map(|l| Line::from(Span::styled(format!(" {l}"), style)))
                .collect();
            frame.render_widget(Paragraph::new(lines), word_area);
        }
        None => frame.render_widget(
            Paragraph::new(Span::styled(format!(" {} {word}", status.glyph()), style)),
            word_area,
        ),
    }
    frame.render_widget(Paragraph::new(counts_line(app, list, status)), counts_area);
    let [clock_area, date_area, _] = Layout::vertical([
        Constraint::Length(bigtext::HEIGHT),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(right);
    let title = theme.style(Role::Title).add_modifier(Modifier::BOLD);
    let inner = clock_area.width.saturating_sub(2);
    if let Some(scale) = bigtext::fit(&clock, inner, 3) {
        let lines: Vec<Line> = bigtext::lines(&clock, scale)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, title)).right_aligned())
            .collect();
        frame.render_widget(Paragraph::new(lines), clock_area);
    }
    // The display zone, named once as the console's header does.
    let date = if date_area.width >= 40 {
        format!(
            "{} {} ",
            local.format("%a %d %b %H:%M:%S"),
            app.data.tz.name()
        )
    } else {
        local.format("%a %d %b %H:%M:%S %Z ").to_string()
    };
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(date, theme.style(Role::Muted))).right_aligned()),
        date_area,
    );
}

fn render_small_top(app: &App, frame: &mut Frame, area: Rect, list: &[Open], status: Status) {
    let theme = &app.theme;
    let local = app.data.now.with_timezone(&app.data.tz);
    let [first, second] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let style = theme.status(status).add_modifier(Modifier::BOLD);
    let clock = local.format("%H:%M:%S %Z ").to_string();
    let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(16)]).areas(first);
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!(" {} {}", status.glyph(), headline(status)),
            style,
        )),
        l,
    );
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(clock, theme.style(Role::Title))).right_aligned()),
        r,
    );
    frame.render_widget(Paragraph::new(counts_line(app, list, status)), second);
}

fn render_page(app: &App, frame: &mut Frame, body: Rect, page: &[Vec<Piece>], columns: usize) {
    let theme = &app.theme;
    let constraints: Vec<Constraint> = (0..columns)
        .map(|_| Constraint::Ratio(1, u32::try_from(columns).unwrap_or(1)))
        .collect();
    let areas = Layout::horizontal(constraints).split(body);
    for (col, area) in page.iter().zip(areas.iter()) {
        let mut lines: Vec<Line> = Vec::new();
        for piece in col {
            if !lines.is_empty() {
                lines.push(Line::default());
            }
            let worst = piece.lines.iter().map(|l| l.status).max();
            let title_style = match worst {
                Some(s) if s != Status::Up => theme.status(s),
                _ => theme.style(Role::Title),
            }
            .add_modifier(Modifier::BOLD);
            lines.push(Line::from(Span::styled(
                format!(" {}", sanitize::clean(&piece.title)),
                title_style,
            )));
            if piece.lines.is_empty() {
                lines.push(Line::from(Span::styled(
                    format!("   {}", piece.empty),
                    theme.style(Role::Muted),
                )));
            }
            for l in &piece.lines {
                let text_style = if l.status == Status::Up {
                    theme.style(Role::Text)
                } else {
                    theme.status(l.status)
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("  {} ", l.status.glyph()), theme.status(l.status)),
                    Span::styled(sanitize::clean(&l.text), text_style),
                ]));
            }
        }
        let inner = Rect {
            x: area.x + 1,
            width: area.width.saturating_sub(2),
            ..*area
        };
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(title: &str, n: usize) -> Section {
        Section {
            title: title.into(),
            lines: (0..n)
                .map(|i| WallLine {
                    status: Status::Up,
                    text: format!("{title} {i}"),
                })
                .collect(),
            empty: "none",
        }
    }

    #[test]
    fn sections_that_fit_make_one_page() {
        let p = pages(&[section("a", 3), section("b", 2)], 1, 20);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0][0].len(), 2);
    }

    #[test]
    fn a_long_section_continues_in_the_next_column_and_page() {
        // 10 rows per column: a title and 9 lines.
        let p = pages(&[section("a", 25)], 2, 10);
        let pieces: Vec<&Piece> = p.iter().flatten().flatten().collect();
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[0].lines.len(), 9);
        assert_eq!(pieces[1].title, "a (cont.)");
        assert_eq!(p.len(), 2, "three columns on pages of two");
        let total: usize = pieces.iter().map(|p| p.lines.len()).sum();
        assert_eq!(total, 25, "every line is on some page");
    }

    #[test]
    fn an_empty_section_still_takes_its_title_and_a_line() {
        let p = pages(&[section("a", 0)], 1, 5);
        assert_eq!(p[0][0][0].height(), 2);
    }

    #[test]
    fn pages_rotate_with_the_clock_and_by_hand() {
        let every = ROTATE_EVERY_SECS;
        assert_eq!(page_at(0, every, 0, 3), 0);
        assert_eq!(page_at(every, every, 0, 3), 1);
        assert_eq!(page_at(every * 3, every, 0, 3), 0);
        assert_eq!(page_at(0, every, 2, 3), 2);
        assert_eq!(page_at(12345, every, 7, 1), 0);
        assert_eq!(page_at(20, 30, 0, 3), 0, "slower pages over SSH");
        assert_eq!(page_at(30, 30, 0, 3), 1);
    }
}
