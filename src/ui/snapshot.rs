//! Frames as text, from the same render code as the console: for
//! `vigie snapshot`, tests and cron mails.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use super::app::App;
use super::render::render;

/// Renders one frame into a buffer of `width` x `height` cells.
pub fn frame(app: &App, width: u16, height: u16) -> Result<Buffer, std::io::Error> {
    let mut terminal = Terminal::new(TestBackend::new(width, height))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    terminal
        .draw(|f| render(app, f))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(terminal.backend().buffer().clone())
}

/// The frame's characters, one line per row, trailing spaces trimmed.
pub fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            line.push_str(symbol);
            skip = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The frame with its styles: each row's text, then one line per run of
/// identical style (`  cols 0-5: fg=red bold`), so a theme regression shows
/// in a diff.
pub fn styled(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut runs: Vec<(u16, u16, String)> = Vec::new();
        for x in 0..area.width {
            let cell = &buffer[(x, y)];
            line.push_str(cell.symbol());
            let style = describe(cell.fg, cell.bg, cell.modifier);
            match runs.last_mut() {
                Some((_, end, s)) if *s == style => *end = x,
                _ => runs.push((x, x, style)),
            }
        }
        out.push_str(&format!("{:>3} {}\n", y, line.trim_end()));
        for (start, end, style) in runs {
            if !style.is_empty() {
                out.push_str(&format!("      {start}-{end}: {style}\n"));
            }
        }
    }
    out
}

fn describe(fg: Color, bg: Color, modifier: Modifier) -> String {
    let mut parts = Vec::new();
    if fg != Color::Reset {
        parts.push(format!("fg={fg}"));
    }
    if bg != Color::Reset {
        parts.push(format!("bg={bg}"));
    }
    if !modifier.is_empty() {
        parts.push(format!("{modifier:?}").to_lowercase());
    }
    parts.join(" ")
}
