//! The console's SSH hand-over (`s` on a host): the runner has stopped its
//! terminal input reader; this leaves the alternate screen and raw mode,
//! runs the session on the operator's own terminal (or opens it in a new
//! tmux window), then takes the terminal back, re-reads its size, repaints
//! everything and drops the key events that piled up meanwhile. Engine
//! results keep arriving on their channel and are applied afterwards.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::app::App;
use super::terminal::TerminalGuard;
use crate::config::Config;
use crate::jump::{Access, TtyPrompt, What, tmux_window_args};
use crate::model::ssh::SshMode;
use crate::sources::ssh::{self, Options};
use crate::store::WriteHandle;

/// What the console needs to open SSH sessions.
#[derive(Clone)]
pub struct SshSetup {
    pub config: Arc<Config>,
    pub db: PathBuf,
    pub options: Options,
}

/// The SSH policy as this console applies it.
fn access<'a>(app: &App, setup: &'a SshSetup, audit: WriteHandle) -> Access<'a> {
    Access {
        config: &setup.config,
        mode: SshMode {
            read_only: app.modes.read_only || app.wall.is_some(),
            wall: app.wall.is_some(),
        },
        operator: ssh::local_user(),
        audit: Some(audit),
        options: setup.options.clone(),
    }
}

/// Puts a refused `s` on `host` in the audit log: the policy is asked as
/// for a session (it refuses a read-only console and audits the refusal,
/// in the words `vigie --read-only ssh` uses).
pub fn audit_refusal(app: &App, setup: &SshSetup, audit: WriteHandle, host: &str) {
    if access(app, setup, audit).permit(host, &What::Shell).is_ok() {
        tracing::warn!("ssh to {host} refused by the console but allowed by the policy");
    }
}

/// Runs a session on `host` and brings the console back.
pub fn handover(
    guard: &mut TerminalGuard,
    app: &mut App,
    setup: &SshSetup,
    audit: WriteHandle,
    host: &str,
) -> std::io::Result<()> {
    let access = access(app, setup, audit);
    app.dirty = true;
    if let Err(refusal) = access.permit(host, &What::Shell) {
        app.notify(refusal);
        return Ok(());
    }
    if setup.config.ssh.tmux_window
        && std::env::var_os("TMUX").is_some()
        && setup.config.path.exists()
    {
        let exe = std::env::current_exe()?;
        let args = tmux_window_args(&exe, &setup.config.path, &setup.db, host);
        let status = std::process::Command::new("tmux")
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => {
                app.notify(format!("ssh {host}: opened in tmux window ssh:{host}"))
            }
            Ok(s) => app.notify(format!("ssh {host}: tmux new-window failed ({s})")),
            Err(e) => app.notify(format!("ssh {host}: cannot run tmux: {e}")),
        }
        return Ok(());
    }
    // Anything the stopped reader had still queued was typed for the
    // console, before the hand-over. Waiting for crossterm's reader lock
    // here also waits for the stopped reader's thread to leave its poll.
    drain_events(Duration::from_millis(30));
    guard.leave()?;
    let mut out = std::io::stdout();
    let envs: Vec<&str> = setup
        .config
        .ssh
        .hosts
        .get(host)
        .map(|h| h.environments.iter().map(|e| e.label()).collect())
        .unwrap_or_default();
    let _ = write!(
        out,
        "vigie: SSH to {} ({}); leave the shell to come back to the console.\r\n",
        crate::sanitize::clean_short(host, 60),
        envs.join(", ")
    );
    let _ = out.flush();
    let prompt = TtyPrompt {
        records_in: setup.options.vigie_known_hosts.clone(),
    };
    let result = tokio::task::block_in_place(|| access.open(host, &What::Shell, &prompt));
    let notice = match &result {
        Ok(code) => format!("ssh {host}: session ended (exit {code})"),
        Err(message) => {
            let _ = write!(out, "\r\nvigie: {message}\r\n");
            let _ = out.flush();
            format!("ssh {host}: {message}")
        }
    };
    app.size = guard.resume()?;
    drain_events(Duration::ZERO);
    app.notify(notice);
    Ok(())
}

/// Drops the terminal events crossterm read but nobody consumed (keys typed
/// while the session ended, resizes already accounted for by re-reading the
/// size). The first poll waits up to `first` for crossterm's reader lock,
/// which a stopped `EventStream`'s thread holds until its poll is woken.
fn drain_events(first: Duration) {
    let mut wait = first;
    while crossterm::event::poll(wait).unwrap_or(false) {
        wait = Duration::ZERO;
        if crossterm::event::read().is_err() {
            break;
        }
    }
}
