//! SSH for the operator, from `vigie ssh` and the console's `s`: the policy
//! (`model::ssh::may_open`), the audit (every session, command and refusal
//! in the store's `audit_log`), the questions asked on the terminal, and
//! the choice of client (Vigie's own layer, the system's `ssh`, or a new
//! tmux window running `vigie ssh`).

use std::io::{BufRead, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::config::{Config, HostSsh, SshClient};
use crate::model::ssh::{SshMode, SshTarget, may_open};
use crate::sources::ssh::shell::{Local, Run, terminal_size};
use crate::sources::ssh::{self, Options, Prompt};
use crate::store::{WriteHandle, WriteOp};

/// Audit actions written by this module.
pub mod actions {
    pub const SESSION: &str = "ssh.session";
    pub const COMMAND: &str = "ssh.command";
    pub const REFUSED: &str = "ssh.refused";
    pub const FAILED: &str = "ssh.failed";
}

/// Why a session did not run: refused (the server's identity) or failed.
enum Failure {
    /// A changed, revoked or unknown host key: audited as a refusal.
    Refused(String),
    Failed(String),
}

/// How much of the system `ssh`'s error output is kept to read its verdict.
const STDERR_TAIL: usize = 8 * 1024;

/// What to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    Shell,
    Command(String),
}

/// Who asks, from where, and where the audit goes.
pub struct Access<'a> {
    pub config: &'a Config,
    pub mode: SshMode,
    pub operator: String,
    pub audit: Option<WriteHandle>,
    pub options: Options,
}

impl Access<'_> {
    /// The host's entry if the policy lets this operator in; the refusal
    /// (audited) otherwise.
    pub fn permit(&self, host: &str, what: &What) -> Result<&HostSsh, String> {
        let Some(entry) = self.config.ssh.hosts.get(host) else {
            let names: Vec<&str> = self.config.ssh.hosts.keys().map(String::as_str).collect();
            return Err(format!(
                "unknown host '{}', expected one of {}",
                crate::sanitize::clean_short(host, 60),
                names.join(", ")
            ));
        };
        if let Err(refusal) = may_open(&entry.environments, entry.permission, self.mode) {
            let message = refusal.message(host);
            self.record(
                actions::REFUSED,
                Utc::now(),
                &self.detail(host, entry, what, &[("reason", &message)]),
            );
            return Err(message);
        }
        Ok(entry)
    }

    /// `key=value` words for the audit line.
    fn detail(&self, host: &str, entry: &HostSsh, what: &What, extra: &[(&str, &str)]) -> String {
        let envs: Vec<&str> = entry.environments.iter().map(|e| e.label()).collect();
        let mut out = format!(
            "host={host} environment={}",
            if envs.is_empty() {
                "-".into()
            } else {
                envs.join(",")
            }
        );
        if let What::Command(c) = what {
            out.push_str(&format!(" command={c:?}"));
        }
        for (k, v) in extra {
            out.push_str(&format!(" {k}={v:?}"));
        }
        out
    }

    fn record(&self, action: &str, at: DateTime<Utc>, detail: &str) {
        let Some(audit) = &self.audit else { return };
        let op = WriteOp::Audit {
            at,
            actor: self.operator.clone(),
            action: action.into(),
            detail: detail.into(),
        };
        if audit.send(op).is_err() || audit.flush().is_err() {
            tracing::warn!("audit: the store writer is gone");
        }
    }

    /// Opens `what` on `host` with this process's terminal, under the
    /// policy, and audits it. Returns the remote exit status.
    pub fn open(&self, host: &str, what: &What, prompt: &dyn Prompt) -> Result<i32, String> {
        let entry = self.permit(host, what)?;
        let start = Utc::now();
        let outcome = match self.config.ssh.client {
            SshClient::OpenSsh => self.run_openssh(&entry.target, what),
            SshClient::Libssh2 => self.run_libssh2(&entry.target, what, prompt),
        };
        let outcome = match outcome {
            Ok(code) => Ok(code),
            Err(Failure::Failed(e)) => Err(e),
            Err(Failure::Refused(reason)) => {
                let at = [("start", start.to_rfc3339())];
                let mut extra: Vec<(&str, &str)> =
                    at.iter().map(|(k, v)| (*k, v.as_str())).collect();
                extra.push(("reason", &reason));
                self.record(
                    actions::REFUSED,
                    start,
                    &self.detail(host, entry, what, &extra),
                );
                return Err(reason);
            }
        };
        let end = Utc::now();
        let (action, status) = match what {
            What::Shell => (actions::SESSION, &outcome),
            What::Command(_) => (actions::COMMAND, &outcome),
        };
        let times = [("start", start.to_rfc3339()), ("end", end.to_rfc3339())];
        let mut extra: Vec<(&str, &str)> = times.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let exit;
        match status {
            Ok(code) => {
                exit = code.to_string();
                extra.push(("exit", &exit));
                self.record(action, start, &self.detail(host, entry, what, &extra));
            }
            Err(e) => {
                extra.push(("error", e));
                self.record(
                    actions::FAILED,
                    start,
                    &self.detail(host, entry, what, &extra),
                );
            }
        }
        outcome
    }

    fn run_libssh2(
        &self,
        target: &SshTarget,
        what: &What,
        prompt: &dyn Prompt,
    ) -> Result<i32, Failure> {
        let conn = ssh::connect(target, &self.options, prompt).map_err(|e| {
            if e.is_host_key() {
                Failure::Refused(e.shown())
            } else {
                Failure::Failed(e.shown())
            }
        })?;
        let stdin = std::io::stdin();
        let stdout = std::io::stdout();
        let stderr = std::io::stderr();
        let local = Local {
            input: Some(stdin.as_raw_fd()),
            output: stdout.as_raw_fd(),
            errors: stderr.as_raw_fd(),
        };
        let ended = match what {
            What::Shell => {
                let term = std::env::var("TERM").unwrap_or_else(|_| "xterm-256color".into());
                let (cols, rows) = terminal_size(stdout.as_raw_fd()).unwrap_or((80, 24));
                let raw = RawMode::enter(stdin.as_raw_fd());
                let r = conn.interactive(
                    Run::Shell {
                        term: &term,
                        cols,
                        rows,
                    },
                    &local,
                );
                drop(raw);
                r
            }
            What::Command(c) => conn.interactive(Run::Command(c), &local),
        }
        .map_err(|e| Failure::Failed(e.shown()))?;
        Ok(ended.exit_status)
    }

    /// The system `ssh`, its error output passed on as it comes and its
    /// end read: exit 255 with a host key verdict is a refusal.
    fn run_openssh(&self, target: &SshTarget, what: &What) -> Result<i32, Failure> {
        let args = openssh_args(target, &self.options, what);
        let mut child = std::process::Command::new("ssh")
            .args(&args)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| Failure::Failed(format!("cannot run ssh: {e}")))?;
        let (tail_tx, tail_rx) = std::sync::mpsc::channel();
        if let Some(from) = child.stderr.take() {
            std::thread::spawn(move || {
                let _ = tail_tx.send(relay(from, &mut std::io::stderr()));
            });
        }
        let status = child
            .wait()
            .map_err(|e| Failure::Failed(format!("ssh did not end cleanly: {e}")))?;
        let code = status.code().unwrap_or(255);
        // A process ssh left behind (a control master) may keep the pipe
        // open: its verdict is in by now or not at all.
        let tail = tail_rx
            .recv_timeout(std::time::Duration::from_secs(1))
            .unwrap_or_default();
        match host_key_refusal(code, &tail) {
            Some(reason) => Err(Failure::Refused(reason)),
            None => Ok(code),
        }
    }
}

/// Copies `from` to `to` as it comes and returns its last [`STDERR_TAIL`]
/// bytes.
fn relay(mut from: impl std::io::Read, to: &mut impl Write) -> Vec<u8> {
    let mut buf = [0u8; 4096];
    let mut tail = Vec::new();
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => return tail,
            Ok(n) => {
                let _ = to.write_all(&buf[..n]);
                let _ = to.flush();
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > STDERR_TAIL {
                    tail.drain(..tail.len() - STDERR_TAIL);
                }
            }
        }
    }
}

/// The system `ssh`'s refusal of the server's identity, read from its exit
/// status (255) and error output.
fn host_key_refusal(code: i32, stderr: &[u8]) -> Option<String> {
    if code != 255 {
        return None;
    }
    let text = String::from_utf8_lossy(stderr);
    if text.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        Some("HOST KEY CHANGED: ssh refused the server's identity".into())
    } else if text.contains("Host key verification failed") {
        Some("host key verification failed: ssh refused the server's identity".into())
    } else {
        None
    }
}

/// The system `ssh`'s arguments for `target`: the same user, port, key and
/// jump chain, strict host key checking (asked when unknown, refused when
/// changed) with Vigie's own known_hosts file first.
pub fn openssh_args(target: &SshTarget, opts: &Options, what: &What) -> Vec<String> {
    let mut a: Vec<String> = Vec::new();
    let user = target
        .user
        .clone()
        .unwrap_or_else(|| opts.local_user.clone());
    a.extend(["-p".into(), target.port.to_string(), "-l".into(), user]);
    if let Some(k) = &target.key {
        a.extend(["-i".into(), ssh::expand_home(k).display().to_string()]);
    }
    let mut files = vec![opts.vigie_known_hosts.display().to_string()];
    files.extend(
        opts.openssh_known_hosts
            .iter()
            .map(|f| f.display().to_string()),
    );
    a.extend([
        "-o".into(),
        "StrictHostKeyChecking=ask".into(),
        "-o".into(),
        format!("UserKnownHostsFile={}", files.join(" ")),
        "-o".into(),
        "PasswordAuthentication=no".into(),
        "-o".into(),
        "KbdInteractiveAuthentication=no".into(),
    ]);
    let mut jumps = Vec::new();
    let mut j = target.jump.as_deref();
    while let Some(t) = j {
        let user = t.user.clone().unwrap_or_else(|| opts.local_user.clone());
        jumps.push(format!("{user}@{}:{}", t.address, t.port));
        j = t.jump.as_deref();
    }
    if !jumps.is_empty() {
        jumps.reverse();
        a.extend(["-J".into(), jumps.join(",")]);
    }
    match what {
        What::Shell => a.extend(["-t".into(), target.address.clone()]),
        What::Command(c) => a.extend([target.address.clone(), "--".into(), c.clone()]),
    }
    a
}

/// `tmux new-window` running `vigie ssh HOST` with the same configuration,
/// so the session gets the same policy and audit in its own window.
pub fn tmux_window_args(exe: &Path, config: &Path, db: &Path, host: &str) -> Vec<String> {
    vec![
        "new-window".into(),
        "-n".into(),
        format!("ssh:{host}"),
        "--".into(),
        exe.display().to_string(),
        "--config".into(),
        config.display().to_string(),
        "--db".into(),
        db.display().to_string(),
        "ssh".into(),
        host.into(),
    ]
}

/// Raw mode on a terminal while alive (nothing when it is not one).
pub struct RawMode {
    fd: i32,
    saved: Option<libc::termios>,
}

impl RawMode {
    pub fn enter(fd: i32) -> RawMode {
        // SAFETY: termios calls on a descriptor we do not close; the struct
        // is fully written by tcgetattr before use.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::isatty(fd) == 0 || libc::tcgetattr(fd, &mut t) != 0 {
                return RawMode { fd, saved: None };
            }
            let saved = t;
            libc::cfmakeraw(&mut t);
            libc::tcsetattr(fd, libc::TCSANOW, &t);
            RawMode {
                fd,
                saved: Some(saved),
            }
        }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            // SAFETY: restores the attributes read in `enter`.
            unsafe {
                libc::tcsetattr(self.fd, libc::TCSANOW, t);
            }
        }
    }
}

/// Asks on the controlling terminal (`/dev/tty`), in cooked mode: the
/// fingerprint of an unknown host key, and key passphrases without echo.
pub struct TtyPrompt {
    /// Where trusted keys are recorded, to say so.
    pub records_in: PathBuf,
}

impl TtyPrompt {
    fn ask(&self, question: &str, echo: bool) -> Option<String> {
        let mut tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .ok()?;
        tty.write_all(question.as_bytes()).ok()?;
        tty.flush().ok()?;
        let fd = tty.as_raw_fd();
        // SAFETY: termios on the tty we opened; restored below.
        let saved = unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(fd, &mut t) != 0 {
                None
            } else {
                let saved = t;
                if !echo {
                    t.c_lflag &= !libc::ECHO;
                }
                t.c_lflag |= libc::ICANON;
                libc::tcsetattr(fd, libc::TCSANOW, &t);
                Some(saved)
            }
        };
        let mut line = String::new();
        let r = std::io::BufReader::new(&tty).read_line(&mut line);
        if let Some(t) = saved {
            // SAFETY: restores what tcgetattr read.
            unsafe {
                libc::tcsetattr(fd, libc::TCSANOW, &t);
            }
        }
        if !echo {
            let _ = tty.write_all(b"\r\n");
        }
        r.ok()?;
        Some(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

impl Prompt for TtyPrompt {
    fn trust_new_host_key(&self, host: &str, key_type: &str, fingerprint: &str) -> bool {
        let q = format!(
            "\r\nThe host key of {} is not known.\r\n  {} key fingerprint is {}\r\nCheck it with the host's administrator. Trust it and record it in {}? (yes/no) ",
            crate::sanitize::clean_short(host, 60),
            crate::sanitize::clean_short(key_type, 40),
            fingerprint,
            self.records_in.display()
        );
        self.ask(&q, true)
            .is_some_and(|a| a.trim().eq_ignore_ascii_case("yes"))
    }

    fn passphrase(&self, key: &Path) -> Option<String> {
        let q = format!("Passphrase for {}: ", key.display());
        self.ask(&q, false).filter(|p| !p.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Options {
        let mut o = Options::from_env(Some(PathBuf::from("/v/kh")));
        o.openssh_known_hosts = vec![PathBuf::from("/h/.ssh/known_hosts")];
        o.local_user = "me".into();
        o
    }

    #[test]
    fn openssh_gets_the_same_user_port_key_jumps_and_strict_checking() {
        let bastion = SshTarget {
            host: "bastion".into(),
            address: "b.example".into(),
            port: 2222,
            user: Some("ops".into()),
            key: None,
            jump: None,
        };
        let t = SshTarget {
            host: "dev-1".into(),
            address: "10.0.0.9".into(),
            port: 22,
            user: None,
            key: Some(PathBuf::from("/k/id")),
            jump: Some(Box::new(bastion)),
        };
        let a = openssh_args(&t, &opts(), &What::Command("uptime".into()));
        assert_eq!(
            a,
            [
                "-p",
                "22",
                "-l",
                "me",
                "-i",
                "/k/id",
                "-o",
                "StrictHostKeyChecking=ask",
                "-o",
                "UserKnownHostsFile=/v/kh /h/.ssh/known_hosts",
                "-o",
                "PasswordAuthentication=no",
                "-o",
                "KbdInteractiveAuthentication=no",
                "-J",
                "ops@b.example:2222",
                "10.0.0.9",
                "--",
                "uptime"
            ]
        );
        let shell = openssh_args(&t, &opts(), &What::Shell);
        assert_eq!(&shell[shell.len() - 2..], ["-t", "10.0.0.9"]);
    }

    #[test]
    fn a_tmux_window_runs_vigie_ssh_with_the_same_config_and_store() {
        let a = tmux_window_args(
            Path::new("/bin/vigie"),
            Path::new("/c.toml"),
            Path::new("/d.db"),
            "dev-1",
        );
        assert_eq!(
            a,
            [
                "new-window",
                "-n",
                "ssh:dev-1",
                "--",
                "/bin/vigie",
                "--config",
                "/c.toml",
                "--db",
                "/d.db",
                "ssh",
                "dev-1"
            ]
        );
    }

    #[test]
    fn only_ssh_refusing_the_servers_identity_is_a_refusal() {
        let changed = b"@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.\n";
        assert!(host_key_refusal(255, changed).is_some_and(|r| r.contains("HOST KEY CHANGED")));
        assert!(host_key_refusal(255, b"Host key verification failed.\r\n").is_some());
        // The remote command's own 255, or a mere connection failure.
        assert_eq!(
            host_key_refusal(255, b"ssh: connect to host x port 22: Connection refused"),
            None
        );
        assert_eq!(host_key_refusal(1, changed), None);
    }

    #[test]
    fn relay_passes_everything_on_and_keeps_the_tail() {
        let input = vec![b'x'; STDERR_TAIL * 2 + 5];
        let mut out = Vec::new();
        let tail = relay(&input[..], &mut out);
        assert_eq!(out, input);
        assert_eq!(tail.len(), STDERR_TAIL);
    }
}
