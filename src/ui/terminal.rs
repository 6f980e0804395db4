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
use super::theme::ColorDepth;

type Backend = CrosstermBackend<BasicColours<BufWriter<Stdout>>>;

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
        let backend = CrosstermBackend::new(BasicColours::new(BufWriter::with_capacity(
            64 * 1024,
            io::stdout(),
        )));
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

    /// Gives the terminal back when it may be gone or stuck (a signal, a
    /// hang-up, a failed write): the same sequences as [`Self::leave`], but
    /// through a non-blocking descriptor of its own, waiting at most
    /// [`LEAVE_WAIT`] for room and writing nothing to a tty that hung up;
    /// then raw mode off, which never waits. Nothing here can hang.
    pub fn leave_without_waiting(&mut self) {
        if !self.active {
            return;
        }
        self.active = false;
        let mut bytes = Vec::new();
        let _ = queue!(
            bytes,
            DisableBracketedPaste,
            LeaveAlternateScreen,
            cursor::Show
        );
        if let Err(e) = write_without_waiting(&bytes, LEAVE_WAIT) {
            tracing::info!("terminal not written on leaving: {e}");
        }
        if let Err(e) = disable_raw_mode() {
            tracing::info!("terminal modes not restored: {e}");
        }
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

/// How long giving back a stuck terminal may wait for room in its buffer.
pub const LEAVE_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// Writes `bytes` to the controlling terminal through a descriptor opened
/// non-blocking for this alone (the shell's own stays as it was), waiting
/// for room at most `wait` in all. A hung-up tty cannot be opened or
/// reports POLLHUP: nothing is written then.
fn write_without_waiting(bytes: &[u8], wait: std::time::Duration) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let tty = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open("/dev/tty")?;
    let deadline = std::time::Instant::now() + wait;
    let mut rest = bytes;
    while !rest.is_empty() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let mut pfd = libc::pollfd {
            fd: tty.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        };
        let ms = libc::c_int::try_from(left.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: one valid pollfd, count 1, for the duration of the call.
        let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
        if ready < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if pfd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
            return Err(io::Error::other("the terminal hung up"));
        }
        if ready == 0 {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "no room in the terminal's buffer",
            ));
        }
        match (&tty).write(rest) {
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Draws one frame of `app` to any writer, as the console does: inside a
/// synchronized update, only the cells that changed since the last frame
/// (ratatui's diff), after [`scrub`], at 16 colours in basic SGR codes
/// ([`BasicColours`]). Tests draw into a `Vec<u8>` with it to check the
/// bytes a terminal would receive.
pub fn draw_frame<W: Write>(
    terminal: &mut Terminal<CrosstermBackend<BasicColours<W>>>,
    app: &App,
) -> io::Result<()> {
    terminal
        .backend_mut()
        .writer_mut()
        .set_basic(app.theme.depth == ColorDepth::Ansi16);
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

/// The console's output at 16 colours. crossterm writes even the 16 named
/// colours as `38;5;N` / `48;5;N` (256-colour syntax), which the Linux
/// console, old xterms and some serial terminals do not read. When `basic`
/// is on, this writer rewrites those codes for N < 16 into the original SGR
/// codes (30-37 and 90-97 for the foreground, 40-47 and 100-107 for the
/// background) and leaves every other byte as it was. Sequences split across
/// writes are held until they end.
pub struct BasicColours<W: Write> {
    inner: W,
    basic: bool,
    /// An escape sequence begun but not yet ended.
    pending: Vec<u8>,
}

/// Longer sequences are not colour codes: they go out untouched.
const MAX_SEQUENCE: usize = 64;

impl<W: Write> BasicColours<W> {
    pub fn new(inner: W) -> BasicColours<W> {
        BasicColours {
            inner,
            basic: false,
            pending: Vec::new(),
        }
    }

    pub fn set_basic(&mut self, basic: bool) {
        self.basic = basic;
    }

    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Ends the held sequence: rewritten if it is an SGR, else as it came.
    fn finish_pending(&mut self) -> io::Result<()> {
        let seq = std::mem::take(&mut self.pending);
        match seq
            .strip_prefix(b"\x1b[")
            .and_then(|rest| rest.strip_suffix(b"m"))
            .and_then(|params| std::str::from_utf8(params).ok())
        {
            Some(params) => {
                self.inner.write_all(b"\x1b[")?;
                self.inner.write_all(basic_sgr(params).as_bytes())?;
                self.inner.write_all(b"m")
            }
            None => self.inner.write_all(&seq),
        }
    }
}

/// SGR parameters with every `38;5;N` and `48;5;N` (N < 16) turned into its
/// one-number form; `38;2;R;G;B` and everything else kept.
fn basic_sgr(params: &str) -> String {
    let p: Vec<&str> = params.split(';').collect();
    let mut out: Vec<String> = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        let colour = matches!(p[i], "38" | "48");
        match (colour, p.get(i + 1).copied()) {
            (true, Some("5")) => {
                match p.get(i + 2).and_then(|n| n.parse::<u8>().ok()) {
                    Some(n) if n < 16 => {
                        let base = if p[i] == "38" { 30 } else { 40 };
                        let code = if n < 8 {
                            base + u16::from(n)
                        } else {
                            base + 60 + u16::from(n - 8)
                        };
                        out.push(code.to_string());
                    }
                    _ => out.extend(p[i..(i + 3).min(p.len())].iter().map(|s| s.to_string())),
                }
                i += 3;
            }
            (true, Some("2")) => {
                out.extend(p[i..(i + 5).min(p.len())].iter().map(|s| s.to_string()));
                i += 5;
            }
            _ => {
                out.push(p[i].to_string());
                i += 1;
            }
        }
    }
    out.join(";")
}

impl<W: Write> Write for BasicColours<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.basic && self.pending.is_empty() {
            return self.inner.write(buf);
        }
        let mut rest = buf;
        while !rest.is_empty() {
            if self.pending.is_empty() {
                let plain = rest.iter().position(|b| *b == 0x1b).unwrap_or(rest.len());
                self.inner.write_all(&rest[..plain])?;
                rest = &rest[plain..];
                if rest.is_empty() {
                    break;
                }
            }
            // Inside a sequence: take bytes until it ends.
            let b = rest[0];
            rest = &rest[1..];
            self.pending.push(b);
            let len = self.pending.len();
            let ended = match len {
                1 => false,
                2 => b != b'[',
                _ => (0x40..=0x7e).contains(&b),
            };
            if ended || len >= MAX_SEQUENCE {
                self.finish_pending()?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn through(basic: bool, chunks: &[&[u8]]) -> String {
        let mut w = BasicColours::new(Vec::new());
        w.set_basic(basic);
        for c in chunks {
            w.write_all(c).unwrap();
        }
        String::from_utf8(w.get_ref().clone()).unwrap()
    }

    #[test]
    fn palette_codes_below_16_become_basic_sgr() {
        for (from, to) in [
            ("38;5;1", "31"),
            ("38;5;9", "91"),
            ("48;5;0", "40"),
            ("48;5;15", "107"),
            ("38;5;2;48;5;4", "32;44"),
            ("1;38;5;3", "1;33"),
            ("38;5;200", "38;5;200"),
            ("38;2;1;2;3;48;5;5", "38;2;1;2;3;45"),
            ("0", "0"),
            ("39;49", "39;49"),
        ] {
            let got = through(true, &[format!("x\x1b[{from}my").as_bytes()]);
            assert_eq!(got, format!("x\x1b[{to}my"), "{from}");
        }
    }

    #[test]
    fn a_sequence_split_across_writes_is_rewritten_whole() {
        let got = through(true, &[b"a\x1b", b"[38;", b"5;1", b"mb\x1b[2J"]);
        assert_eq!(got, "a\x1b[31mb\x1b[2J");
    }

    #[test]
    fn other_sequences_and_off_mode_pass_untouched() {
        let bytes = b"\x1b[?2026h\x1b[5;10H\x1b7\x1b[38;5;1mz".as_slice();
        assert_eq!(through(false, &[bytes]).as_bytes(), bytes);
        assert_eq!(
            through(true, &[bytes]),
            "\x1b[?2026h\x1b[5;10H\x1b7\x1b[31mz"
        );
    }
}
