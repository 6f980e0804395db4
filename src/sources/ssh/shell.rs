//! Interactive sessions: a shell on a PTY of the terminal's size and TERM,
//! or a command, with every byte passed both ways between the local file
//! descriptors and the channel, and resizes (SIGWINCH) forwarded. One
//! thread, no blocking call: libssh2 runs non-blocking and `poll` waits on
//! the session's socket, the local input and the resize pipe together.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use super::{Connection, SshError};

/// What to run on the channel.
pub enum Run<'a> {
    /// A login shell on a PTY.
    Shell { term: &'a str, cols: u16, rows: u16 },
    /// One command, without PTY: its stdout and stderr kept apart.
    Command(&'a str),
}

/// The local end: where input comes from and output goes.
pub struct Local {
    pub input: Option<RawFd>,
    pub output: RawFd,
    pub errors: RawFd,
}

/// How the session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub exit_status: i32,
    pub signal: Option<String>,
    pub bytes_out: u64,
}

/// Forwards SIGWINCH to a pipe while alive.
struct Resizes {
    read: UnixStream,
    id: signal_hook::SigId,
}

impl Resizes {
    fn register() -> Option<Resizes> {
        let (read, write) = UnixStream::pair().ok()?;
        read.set_nonblocking(true).ok()?;
        write.set_nonblocking(true).ok()?;
        let id = signal_hook::low_level::pipe::register(libc::SIGWINCH, write).ok()?;
        Some(Resizes { read, id })
    }

    /// Empties the pipe; true when a resize came.
    fn drain(&mut self) -> bool {
        let mut buf = [0u8; 64];
        let mut any = false;
        while let Ok(n) = self.read.read(&mut buf) {
            if n == 0 {
                break;
            }
            any = true;
        }
        any
    }
}

impl Drop for Resizes {
    fn drop(&mut self) {
        signal_hook::low_level::unregister(self.id);
    }
}

/// The terminal's size now (columns, rows).
pub fn terminal_size(fd: RawFd) -> Option<(u16, u16)> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into the struct we own.
    let r = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) };
    (r == 0 && ws.ws_col > 0 && ws.ws_row > 0).then_some((ws.ws_col, ws.ws_row))
}

/// Writes all of `buf` to a blocking or non-blocking descriptor.
fn write_fd(fd: RawFd, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: writes from a live slice to a descriptor the caller owns.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            match e.kind() {
                ErrorKind::Interrupted => continue,
                ErrorKind::WouldBlock => {
                    let mut p = [libc::pollfd {
                        fd,
                        events: libc::POLLOUT,
                        revents: 0,
                    }];
                    // SAFETY: one valid pollfd owned by this frame.
                    unsafe { libc::poll(p.as_mut_ptr(), 1, 100) };
                    continue;
                }
                _ => return Err(e),
            }
        }
        buf = &buf[n as usize..];
    }
    Ok(())
}

fn read_fd(fd: RawFd, buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: reads into a live mutable slice.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

impl Connection {
    /// Runs `run` with `local` attached until the remote side ends.
    pub fn interactive(&self, run: Run<'_>, local: &Local) -> Result<Ended, SshError> {
        let host = self.host.clone();
        let lost = |e: std::io::Error| SshError::Lost {
            host: host.clone(),
            reason: e.to_string(),
        };
        self.session.set_timeout(0);
        let mut channel = self
            .session
            .channel_session()
            .map_err(super::protocol(&self.host, "cannot open a channel"))?;
        let pty = matches!(run, Run::Shell { .. });
        match run {
            Run::Shell { term, cols, rows } => {
                channel
                    .request_pty(term, None, Some((u32::from(cols), u32::from(rows), 0, 0)))
                    .map_err(super::protocol(&self.host, "cannot get a terminal"))?;
                channel
                    .shell()
                    .map_err(super::protocol(&self.host, "cannot start a shell"))?;
            }
            Run::Command(c) => channel
                .exec(c)
                .map_err(super::protocol(&self.host, "cannot run the command"))?,
        }
        let mut resizes = if pty { Resizes::register() } else { None };
        self.session.set_blocking(false);
        let mut buf = vec![0u8; 64 * 1024];
        let mut up: Vec<u8> = Vec::new();
        let mut input = local.input;
        let mut resize_due = false;
        let mut bytes_out = 0u64;
        let mut last_keepalive = Instant::now();
        let result = loop {
            let mut progress = false;
            // Remote output first: it is what the operator waits for.
            for stream in [0, 1] {
                loop {
                    let r = if stream == 0 {
                        channel.read(&mut buf)
                    } else {
                        channel.stderr().read(&mut buf)
                    };
                    match r {
                        Ok(0) => break,
                        Ok(n) => {
                            progress = true;
                            bytes_out += n as u64;
                            let fd = if stream == 0 {
                                local.output
                            } else {
                                local.errors
                            };
                            // A closed local output (a pipe whose reader
                            // left) drops the bytes; the session goes on.
                            let _ = write_fd(fd, &buf[..n]);
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => return finish(self, lost(e)),
                    }
                }
            }
            if channel.eof() {
                break Ok(());
            }
            if let Some(fd) = input.filter(|_| up.is_empty()) {
                let mut ready = [libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                }];
                // SAFETY: one valid pollfd owned by this frame.
                let n = unsafe { libc::poll(ready.as_mut_ptr(), 1, 0) };
                if n > 0 {
                    match read_fd(fd, &mut buf) {
                        Ok(0) => {
                            input = None;
                            let _ = channel.send_eof();
                        }
                        Ok(n) => up.extend_from_slice(&buf[..n]),
                        Err(e)
                            if matches!(
                                e.kind(),
                                ErrorKind::WouldBlock | ErrorKind::Interrupted
                            ) => {}
                        Err(_) => input = None,
                    }
                }
            }
            if !up.is_empty() {
                match channel.write(&up) {
                    Ok(n) => {
                        up.drain(..n);
                        progress = true;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => break Err(lost(e)),
                }
            }
            if let Some(r) = resizes.as_mut() {
                if r.drain() {
                    resize_due = true;
                }
            }
            if resize_due {
                if let Some((cols, rows)) = terminal_size(local.output) {
                    match channel.request_pty_size(u32::from(cols), u32::from(rows), None, None) {
                        Ok(()) => resize_due = false,
                        Err(e) if e.code() == ssh2::ErrorCode::Session(-37) => {}
                        Err(_) => resize_due = false,
                    }
                } else {
                    resize_due = false;
                }
            }
            if last_keepalive.elapsed() >= Duration::from_secs(5) {
                last_keepalive = Instant::now();
                if let Err(e) = self.keepalive() {
                    break Err(e);
                }
            }
            if progress {
                continue;
            }
            let dirs = self.session.block_directions();
            let mut events = libc::POLLIN;
            if matches!(
                dirs,
                ssh2::BlockDirections::Outbound | ssh2::BlockDirections::Both
            ) || !up.is_empty()
            {
                events |= libc::POLLOUT;
            }
            let mut fds = vec![libc::pollfd {
                fd: self.fd,
                events,
                revents: 0,
            }];
            if let Some(fd) = input.filter(|_| up.is_empty()) {
                fds.push(libc::pollfd {
                    fd,
                    events: libc::POLLIN,
                    revents: 0,
                });
            }
            if let Some(r) = &resizes {
                fds.push(libc::pollfd {
                    fd: r.read.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                });
            }
            // SAFETY: valid pollfds owned by this frame.
            unsafe {
                libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 1000);
            }
        };
        drop(resizes);
        self.session.set_blocking(true);
        if let Err(e) = result {
            return finish(self, e);
        }
        self.session.set_timeout(5000);
        let _ = channel.wait_close();
        Ok(Ended {
            exit_status: channel.exit_status().unwrap_or(-1),
            signal: channel
                .exit_signal()
                .ok()
                .and_then(|s| s.exit_signal)
                .filter(|s| !s.is_empty()),
            bytes_out,
        })
    }
}

fn finish(c: &Connection, e: SshError) -> Result<Ended, SshError> {
    c.session.set_blocking(true);
    Err(e)
}
