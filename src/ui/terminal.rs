//! The terminal's lifecycle: `enter` turns on exactly the modes `leave` turns
//! off, in reverse order; dropping the guard or panicking leaves the terminal
//! as it was found. Frames go out buffered, inside synchronized-update
//! sequences, so a slow link never shows half a frame.

use std::io::{self, BufWriter, Stdout, Write};

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute, queue};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::app::App;
use super::render::render;

type Backend = CrosstermBackend<BufWriter<Stdout>>;

pub struct TerminalGuard {
    terminal: Terminal<Backend>,
    active: bool,
}

impl TerminalGuard {
    /// Takes the terminal: raw mode, alternate screen, hidden cursor,
    /// bracketed paste. Sends no query to the terminal, so nothing waits
    /// for an answer before the first frame.
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        let backend = CrosstermBackend::new(BufWriter::with_capacity(64 * 1024, io::stdout()));
        let terminal = Terminal::new(backend)?;
        let mut guard = TerminalGuard {
            terminal,
            active: false,
        };
        guard.start()?;
        Ok(guard)
    }

    fn start(&mut self) -> io::Result<()> {
        enable_raw_mode()?;
        self.active = true;
        execute!(
            self.terminal.backend_mut(),
            EnterAlternateScreen,
            cursor::Hide,
            EnableBracketedPaste
        )?;
        self.terminal.clear()?;
        Ok(())
    }

    /// Gives the terminal back, undoing `start` in reverse order.
    pub fn leave(&mut self) -> io::Result<()> {
        if !self.active {
            return Ok(());
        }
        self.active = false;
        let out = self.terminal.backend_mut();
        // The cursor is shown after leaving the alternate screen, so it is
        // visible on the main screen whatever leaving restores.
        execute!(
            out,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            cursor::Show
        )?;
        disable_raw_mode()
    }

    /// Draws one frame, wrapped in a synchronized update.
    pub fn draw(&mut self, app: &App) -> io::Result<()> {
        draw_frame(&mut self.terminal, app)
    }

    /// Rings the terminal's bell (BEL), outside any frame.
    pub fn bell(&mut self) -> io::Result<()> {
        let out = self.terminal.backend_mut();
        out.write_all(b"\x07")?;
        out.flush()
    }

    /// Ctrl-Z: restore the terminal, stop the process, and on `fg` take the
    /// terminal again and repaint everything (its size may have changed).
    pub fn suspend(&mut self) -> io::Result<(u16, u16)> {
        self.leave()?;
        // Stop the whole process group, as a shell's job does on Ctrl-Z, so
        // a wrapping subshell stops too and the shell takes the terminal
        // back. In an orphaned group (no job control) the kernel discards
        // the signal and the console simply comes back.
        // SAFETY: kill() with pid 0 and a valid signal number has no
        // memory-safety preconditions; the process stops here until SIGCONT.
        unsafe {
            libc::kill(0, libc::SIGTSTP);
        }
        self.start()?;
        let size = self.terminal.size()?;
        Ok((size.width, size.height))
    }

    /// Takes the terminal again after `leave` (an SSH session ran on it):
    /// modes back on, screen cleared so the next frame repaints everything,
    /// and the size read anew.
    pub fn resume(&mut self) -> io::Result<(u16, u16)> {
        self.start()?;
        self.terminal.autoresize()?;
        self.size()
    }

    pub fn size(&self) -> io::Result<(u16, u16)> {
        let size = self.terminal.size()?;
        Ok((size.width, size.height))
    }
}

/// Draws one frame of `app` to any writer, as the console does: inside a
/// synchronized update, only the cells that changed since the last frame
/// (ratatui's diff), after [`scrub`]. Tests draw into a `Vec<u8>` with it
/// to check the bytes a terminal would receive.
pub fn draw_frame<W: Write>(
    terminal: &mut Terminal<CrosstermBackend<W>>,
    app: &App,
) -> io::Result<()> {
    queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    terminal.draw(|frame| {
        render(app, frame);
        scrub(frame.buffer_mut());
    })?;
    queue!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    terminal.backend_mut().flush()
}

/// The last line of defence against escape sequences: any cell whose symbol
/// still holds a control character or a bidirectional override (a string
/// that skipped `sanitize::clean`) is replaced by U+FFFD before the frame is
/// written. Ratatui already drops control characters from spans; this
/// covers cells written directly and the bidi overrides it lets through.
pub fn scrub(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        if cell.symbol().chars().any(crate::sanitize::is_unsafe) {
            cell.set_symbol("\u{fffd}");
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = self.leave();
    }
}

/// On panic, restore the terminal before the message is printed, so the
/// operator can read it and keep using the shell.
fn install_panic_hook() {
    use std::sync::Once;
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let mut out = io::stdout();
            let _ = execute!(
                out,
                DisableBracketedPaste,
                LeaveAlternateScreen,
                cursor::Show
            );
            let _ = disable_raw_mode();
            tracing::error!("panic: {info}");
            previous(info);
        }));
    });
}
