//! The jump host's direct-tcpip channel relayed to a local socket pair, so
//! the inner session speaks through the jump session as through TCP.
//! libssh2 sessions are not thread-safe across channels, so one thread owns
//! the jump session and moves bytes both ways without blocking on either.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ssh2::Channel;

use super::Connection;

/// The running relay; dropping it stops the thread and the jump session.
pub(super) struct Relay {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Relay {
    pub(super) fn start(
        jump: Connection,
        channel: Channel,
        socket: UnixStream,
        keepalive: Duration,
    ) -> Relay {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("ssh-jump-relay".into())
            .spawn(move || run(jump, channel, socket, keepalive, &flag))
            .ok();
        Relay { stop, thread }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Bytes waiting to be written, with how much was written already.
#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    at: usize,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.at >= self.buf.len()
    }
    fn rest(&self) -> &[u8] {
        &self.buf[self.at..]
    }
}

fn run(
    jump: Connection,
    mut channel: Channel,
    mut socket: UnixStream,
    keepalive: Duration,
    stop: &AtomicBool,
) {
    if socket.set_nonblocking(true).is_err() {
        return;
    }
    jump.session.set_blocking(false);
    let mut down = Pending::default(); // channel -> socket
    let mut up = Pending::default(); // socket -> channel
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_keepalive = Instant::now();
    let mut socket_closed = false;
    while !stop.load(Ordering::Relaxed) {
        let mut progress = false;
        if down.is_empty() {
            match channel.read(&mut buf) {
                Ok(0) if channel.eof() => break,
                Ok(0) => {}
                Ok(n) => {
                    down = Pending {
                        buf: buf[..n].to_vec(),
                        at: 0,
                    };
                    progress = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        if !down.is_empty() {
            match socket.write(down.rest()) {
                Ok(n) => {
                    down.at += n;
                    progress = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        if up.is_empty() && !socket_closed {
            match socket.read(&mut buf) {
                Ok(0) => {
                    socket_closed = true;
                    let _ = channel.send_eof();
                }
                Ok(n) => {
                    up = Pending {
                        buf: buf[..n].to_vec(),
                        at: 0,
                    };
                    progress = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        if !up.is_empty() {
            match channel.write(up.rest()) {
                Ok(n) => {
                    up.at += n;
                    progress = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        if socket_closed && up.is_empty() {
            break;
        }
        if last_keepalive.elapsed() >= keepalive {
            last_keepalive = Instant::now();
            if jump.keepalive().is_err() {
                break;
            }
        }
        if progress {
            continue;
        }
        // Nothing moved: sleep until either side can move, at most 200 ms
        // (to see `stop` and send keepalives).
        let dirs = jump.session.block_directions();
        let mut jump_events = libc::POLLIN;
        if matches!(
            dirs,
            ssh2::BlockDirections::Outbound | ssh2::BlockDirections::Both
        ) {
            jump_events |= libc::POLLOUT;
        }
        let mut sock_events = 0;
        if up.is_empty() && !socket_closed {
            sock_events |= libc::POLLIN;
        }
        if !down.is_empty() {
            sock_events |= libc::POLLOUT;
        }
        let mut fds = [
            libc::pollfd {
                fd: jump.fd,
                events: jump_events,
                revents: 0,
            },
            libc::pollfd {
                fd: socket.as_raw_fd(),
                events: sock_events,
                revents: 0,
            },
        ];
        // SAFETY: two valid pollfds owned by this frame.
        unsafe {
            libc::poll(fds.as_mut_ptr(), 2, 200);
        }
    }
    // Closing our end tells the inner session its transport is gone.
    let _ = socket.shutdown(std::net::Shutdown::Both);
    let _ = channel.close();
}
