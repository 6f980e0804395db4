//! Drawing the Backups pane: client verdicts, the selected source's month
//! calendar with its legend, the source list or the chosen day's points.

use chrono::{Datelike, NaiveDate};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::PaneCtx;
use crate::model::Status;
use crate::model::backup::{BackupKind, BackupSource, DayState, Overview, SourceRow, month_days};
use crate::sanitize::clean;
use crate::ui::render::draw_padded_lines;
use crate::ui::theme::{Role, Theme};

pub(super) struct View<'a, F: Fn(NaiveDate) -> (i32, u32)> {
    pub overview: &'a Overview,
    pub visible: &'a [usize],
    pub selected: usize,
    pub day: Option<NaiveDate>,
    pub month: F,
}

/// Width of the calendar column: 7 days of 4 cells and a margin.
const CAL_WIDTH: u16 = 30;

pub(super) fn render<F: Fn(NaiveDate) -> (i32, u32)>(
    frame: &mut Frame,
    area: Rect,
    ctx: &PaneCtx,
    view: &View<F>,
) {
    let theme = ctx.theme;
    let data = ctx.data;
    if data.fleet.backups.is_empty() {
        let lines = vec![
            Line::from(Span::styled(
                "No backup sources configured.",
                theme.style(Role::Text),
            )),
            Line::from(Span::styled(
                "Add [backups.NAME] with kind = \"restic\", \"borg\", \"dumps\" or \"ping\" to the configuration.",
                theme.style(Role::Muted),
            )),
        ];
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    let o = view.overview;
    let mut lines: Vec<Line> = Vec::new();
    // Clients, worst first: at most a third of the pane.
    let max_clients = usize::from(area.height / 3).max(1);
    for c in o.clients.iter().take(max_clients) {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", c.status.glyph()), theme.status(c.status)),
            Span::styled(
                format!("{:<18.18} ", clean(&c.name)),
                theme.style(Role::Text).add_modifier(Modifier::BOLD),
            ),
            Span::styled(clean(&c.line), status_text(theme, c.status)),
        ]));
    }
    if o.clients.len() > max_clients {
        lines.push(Line::from(Span::styled(
            format!("  … {} more clients", o.clients.len() - max_clients),
            theme.style(Role::Muted),
        )));
    }
    let top = lines.len() as u16;
    draw_padded_lines(
        frame.buffer_mut(),
        Rect {
            height: top.min(area.height),
            ..area
        },
        &lines,
    );
    let rest = Rect {
        y: area.y + top + 1,
        height: area.height.saturating_sub(top + 1),
        ..area
    };
    if rest.height < 3 {
        return;
    }
    let Some(row) = view.visible.get(view.selected).map(|&i| &o.sources[i]) else {
        let count = |s: Status| o.sources.iter().filter(|r| r.judged.status == s).count();
        let text = crate::ui::panes::hidden_by_filter(
            o.sources.len(),
            &[
                (count(Status::Down), "broken"),
                (count(Status::Degraded), "warning"),
            ],
        );
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.style(Role::Muted))),
            rest,
        );
        return;
    };
    let src = &data.fleet.backups[row.index];
    let record = data.backups.records.get(&src.id);
    let today = data.now.with_timezone(&row.tz).date_naive();
    let (year, month) = (view.month)(today);

    let mut left: Vec<Line> = Vec::new();
    left.push(Line::from(vec![
        Span::styled(
            format!("{} ", row.judged.status.glyph()),
            theme.status(row.judged.status),
        ),
        Span::styled(
            clean(&src.name),
            theme.style(Role::Title).add_modifier(Modifier::BOLD),
        ),
        Span::styled(
            format!("  {}/{}", view.selected + 1, view.visible.len()),
            theme.style(Role::Muted),
        ),
    ]));
    left.push(Line::from(Span::styled(
        policy_line(src),
        theme.style(Role::Muted),
    )));
    left.push(Line::from(Span::styled(
        clean(&row.judged.verdict),
        status_text(theme, row.judged.status),
    )));
    let month_name = NaiveDate::from_ymd_opt(year, month, 1)
        .map(|d| d.format("%B %Y").to_string())
        .unwrap_or_default();
    left.push(Line::from(vec![
        Span::styled("‹ ", theme.style(Role::Muted)),
        Span::styled(format!("{month_name:^22}"), theme.style(Role::Accent)),
        Span::styled(" ›", theme.style(Role::Muted)),
    ]));
    left.push(Line::from(Span::styled(
        " Mo  Tu  We  Th  Fr  Sa  Su",
        theme.style(Role::Muted),
    )));
    let empty = Default::default();
    let rec = record.unwrap_or(&empty);
    let days = month_days(
        &src.policy,
        src.kind.evidence(),
        row.tz,
        &rec.points,
        &rec.runs,
        &row.judged.eval,
        year,
        month,
    );
    let lead = days
        .first()
        .map_or(0, |d| d.date.weekday().num_days_from_monday() as usize);
    let mut week: Vec<Span> = vec![Span::raw("    ".repeat(lead))];
    for d in &days {
        let chosen = view.day == Some(d.date);
        week.push(day_cell(
            theme,
            d.date.day(),
            d.state,
            chosen,
            d.date == today,
        ));
        if d.date.weekday() == chrono::Weekday::Sun {
            left.push(Line::from(std::mem::take(&mut week)));
        }
    }
    if !week.is_empty() {
        left.push(Line::from(week));
    }
    left.extend(legend(theme));

    let wide = rest.width >= CAL_WIDTH + 30;
    let (cal_area, side_area) = if wide {
        (
            Rect {
                width: CAL_WIDTH,
                ..rest
            },
            Rect {
                x: rest.x + CAL_WIDTH + 2,
                width: rest.width - CAL_WIDTH - 2,
                ..rest
            },
        )
    } else {
        (rest, Rect { height: 0, ..rest })
    };
    let mut below: Vec<Line> = Vec::new();
    let side: Vec<Line> = match view.day {
        Some(day) => day_lines(theme, src, rec, &days, day, row.tz),
        None => source_lines(
            theme,
            data,
            o,
            view.visible,
            view.selected,
            usize::from(side_area.height),
        ),
    };
    if wide {
        draw_padded_lines(frame.buffer_mut(), side_area, &side);
    } else if view.day.is_some() {
        below = side;
    }
    left.extend(below);
    draw_padded_lines(frame.buffer_mut(), cal_area, &left);
}

fn status_text(theme: &Theme, s: Status) -> Style {
    match s {
        Status::Up => theme.style(Role::Text),
        Status::Unknown | Status::Maintenance => theme.style(Role::Muted),
        _ => theme.status(s),
    }
}

/// "restic · daily 02:00 · keep 15 d · RPO 26h".
fn policy_line(src: &BackupSource) -> String {
    let p = &src.policy;
    let what = match &src.kind {
        BackupKind::Ping { .. } => "pings".to_string(),
        k => k.label().to_string(),
    };
    format!(
        "{} · {} · {} · keep {} d · RPO {}",
        clean(&src.client),
        what,
        p.schedule.describe(),
        p.retention_days,
        crate::model::words::human_duration(p.rpo)
    )
}

/// The mark that tells a state without colour.
fn mark(state: DayState) -> String {
    match state {
        // The pane leaves days to come blank: its colour says the rest.
        DayState::Future => " ".into(),
        s => s.mark().to_string(),
    }
}

fn day_style(theme: &Theme, state: DayState) -> Style {
    match state {
        DayState::Ok => theme.status(Status::Up).add_modifier(Modifier::REVERSED),
        DayState::Suspect => theme
            .status(Status::Degraded)
            .add_modifier(Modifier::REVERSED),
        DayState::Failed | DayState::Missing => {
            theme.status(Status::Down).add_modifier(Modifier::REVERSED)
        }
        DayState::Pruned | DayState::NeverSeen | DayState::NotScheduled => theme.style(Role::Muted),
        DayState::Future => theme.style(Role::Muted).add_modifier(Modifier::DIM),
    }
}

fn day_cell(theme: &Theme, day: u32, state: DayState, chosen: bool, today: bool) -> Span<'static> {
    let (open, close) = if chosen { ("[", "]") } else { (" ", "") };
    let text = format!(
        "{open}{day:>2}{}{close}",
        if chosen { String::new() } else { mark(state) }
    );
    let text = format!("{text:<4}");
    let mut style = day_style(theme, state);
    if today {
        style = style.add_modifier(Modifier::UNDERLINED);
    }
    if chosen {
        style = style.add_modifier(Modifier::BOLD);
    }
    Span::styled(text, style)
}

fn legend(theme: &Theme) -> Vec<Line<'static>> {
    let item = |state: DayState| {
        vec![
            Span::styled(mark(state), day_style(theme, state)),
            // The mark, then its word apart from it: "s suspect", not "ssuspect".
            Span::styled(format!(" {} ", state.label()), theme.style(Role::Muted)),
        ]
    };
    // Lines no wider than the calendar (seven 4-column days), the worst
    // states first.
    [
        &[DayState::Ok, DayState::Failed, DayState::Missing][..],
        &[DayState::Suspect, DayState::Pruned],
        &[DayState::NotScheduled],
        &[DayState::NeverSeen],
    ]
    .iter()
    .map(|states| Line::from(states.iter().flat_map(|s| item(*s)).collect::<Vec<_>>()))
    .collect()
}

/// The visible sources, one line each under a title, the selected one
/// marked: as many lines as `height` holds.
fn source_lines(
    theme: &Theme,
    data: &crate::ui::panes::Data,
    o: &Overview,
    visible: &[usize],
    selected: usize,
    height: usize,
) -> Vec<Line<'static>> {
    let mut out = vec![Line::from(Span::styled(
        "Sources (↑↓, Enter: days)",
        theme.style(Role::Muted),
    ))];
    for (pos, &i) in visible.iter().enumerate().take(height.saturating_sub(1)) {
        let row: &SourceRow = &o.sources[i];
        let src = &data.fleet.backups[row.index];
        let sel = pos == selected;
        let name_style = if sel {
            theme.style(Role::Selection)
        } else {
            theme.style(Role::Text)
        };
        out.push(Line::from(vec![
            Span::styled(
                format!("{} ", row.judged.status.glyph()),
                theme.status(row.judged.status),
            ),
            Span::styled(format!("{:<16.16}", clean(&src.name)), name_style),
            Span::raw(" "),
            Span::styled(
                clean(&row.judged.verdict),
                status_text(theme, row.judged.status),
            ),
        ]));
    }
    out
}

/// The chosen day: its state, then its restore points and runs.
fn day_lines(
    theme: &Theme,
    src: &BackupSource,
    rec: &crate::model::backup::SourceRecord,
    days: &[crate::model::backup::DayEval],
    day: NaiveDate,
    tz: chrono_tz::Tz,
) -> Vec<Line<'static>> {
    let Some(d) = days.iter().find(|d| d.date == day) else {
        return Vec::new();
    };
    let mut out = vec![Line::from(vec![
        Span::styled(
            day.format("%a %-d %b %Y").to_string(),
            theme.style(Role::Title),
        ),
        Span::raw("  "),
        Span::styled(d.state.label().to_string(), day_style(theme, d.state)),
        // The days are the client's: so are the times below, said once.
        Span::styled(format!("  times {}", tz.name()), theme.style(Role::Muted)),
    ])];
    if d.points.is_empty() && d.runs.is_empty() {
        out.push(Line::from(Span::styled(
            "no restore point, no run recorded",
            theme.style(Role::Muted),
        )));
    }
    for &i in &d.points {
        let p = &rec.points[i];
        out.push(Line::from(vec![
            Span::styled(
                p.at.with_timezone(&tz).format("%H:%M ").to_string(),
                theme.style(Role::Text),
            ),
            Span::styled(
                format!("{:>9} ", p.size.map_or("?".into(), bytes)),
                theme.style(Role::Text),
            ),
            Span::styled(
                format!(
                    "{:>7} ",
                    p.duration
                        .map_or("".into(), crate::model::words::human_duration)
                ),
                theme.style(Role::Muted),
            ),
            Span::styled(clean(&p.id), theme.style(Role::Accent)),
            Span::raw(" "),
            Span::styled(clean(&p.detail), theme.style(Role::Muted)),
        ]));
    }
    let shown_runs = matches!(src.kind, BackupKind::Ping { .. }) || d.points.is_empty();
    if shown_runs {
        for &i in &d.runs {
            let r = &rec.runs[i];
            out.push(Line::from(vec![
                Span::styled(
                    r.at.with_timezone(&tz).format("%H:%M ").to_string(),
                    theme.style(Role::Text),
                ),
                Span::styled(
                    format!("run {} ", r.outcome.label()),
                    theme.style(Role::Muted),
                ),
                Span::styled(
                    r.duration()
                        .map_or(String::new(), crate::model::words::human_duration),
                    theme.style(Role::Muted),
                ),
            ]));
        }
    }
    out
}

/// "1.2 GiB", "512 B".
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
