//! The SSH layer, on libssh2 (the `ssh2` crate), used by everything that
//! speaks SSH: interactive shells, `ssh_command` checks, SFTP listings.
//!
//! Every call here blocks: run it on a blocking thread
//! ([`tokio::task::spawn_blocking`], as [`run_command`] and [`list_dir`]
//! do) or a dedicated thread, never on an async worker. One [`Connection`]
//! per job: libssh2 sessions are not shared between concurrent jobs.
//!
//! libssh2 waits forever by default; here the TCP connect has a timeout,
//! every blocking libssh2 call has the session timeout, and sessions send
//! keepalives. Authentication: the key file of the host's entry (its
//! passphrase asked through [`Prompt`], never stored), every identity of
//! the ssh-agent in turn, then the default key files; never a password.
//! Host keys are checked strictly ([`known_hosts`]).

pub mod check;
pub mod known_hosts;
mod relay;
pub mod shell;

use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ssh2::{ErrorCode, MethodType, Session};

use crate::model::ssh::SshTarget;
use known_hosts::{KnownHosts, Verdict};

/// How long a connection may take to be made, when `[ssh]` says nothing.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often an idle session is kept alive, when `[ssh]` says nothing.
pub const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(15);

/// How connections are made; one per process, cheap to clone.
#[derive(Debug, Clone)]
pub struct Options {
    /// TCP connect, and each blocking protocol step (handshake, auth, a
    /// read) while connecting.
    pub connect_timeout: Duration,
    /// Keepalive interval of open sessions.
    pub keepalive: Duration,
    /// OpenSSH known_hosts files, read only.
    pub openssh_known_hosts: Vec<PathBuf>,
    /// Vigie's own known_hosts file: read, and appended to when an
    /// operator trusts a new key.
    pub vigie_known_hosts: PathBuf,
    pub agent: AgentSocket,
    /// Default key files tried after the agent when the entry names none.
    pub default_keys: Vec<PathBuf>,
    /// The user when the host's entry names none.
    pub local_user: String,
}

/// Which ssh-agent to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentSocket {
    /// `SSH_AUTH_SOCK`, when set.
    FromEnv,
    Path(PathBuf),
    None,
}

impl Options {
    /// The usual set-up: `~/.ssh/known_hosts` and
    /// `/etc/ssh/ssh_known_hosts`, Vigie's file at `vigie_known_hosts`
    /// (default `$XDG_STATE_HOME/vigie/known_hosts`), the agent from the
    /// environment, `~/.ssh/id_{ed25519,ecdsa,rsa}`.
    pub fn from_env(vigie_known_hosts: Option<PathBuf>) -> Options {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let ssh_dir = home.as_ref().map(|h| h.join(".ssh"));
        let mut openssh = Vec::new();
        if let Some(d) = &ssh_dir {
            openssh.push(d.join("known_hosts"));
        }
        openssh.push(PathBuf::from("/etc/ssh/ssh_known_hosts"));
        let state = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| home.as_ref().map(|h| h.join(".local/state")))
            .unwrap_or_else(|| PathBuf::from("."));
        Options {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            keepalive: DEFAULT_KEEPALIVE,
            openssh_known_hosts: openssh,
            vigie_known_hosts: vigie_known_hosts
                .map(|p| expand_home(&p))
                .unwrap_or_else(|| state.join("vigie/known_hosts")),
            agent: AgentSocket::FromEnv,
            default_keys: ssh_dir
                .map(|d| {
                    ["id_ed25519", "id_ecdsa", "id_rsa"]
                        .iter()
                        .map(|f| d.join(f))
                        .collect()
                })
                .unwrap_or_default(),
            local_user: local_user(),
        }
    }

    fn known_hosts(&self) -> KnownHosts {
        let mut files = self.openssh_known_hosts.clone();
        files.push(self.vigie_known_hosts.clone());
        KnownHosts::read(&files)
    }
}

/// The local user name (`USER`, else `LOGNAME`, else the passwd entry).
pub fn local_user() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Ok(u) = std::env::var(var) {
            if !u.is_empty() {
                return u;
            }
        }
    }
    // SAFETY: getpwuid returns a pointer into static storage or null; the
    // name is copied out at once.
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if !pw.is_null() && !(*pw).pw_name.is_null() {
            return std::ffi::CStr::from_ptr((*pw).pw_name)
                .to_string_lossy()
                .into_owned();
        }
    }
    "unknown".into()
}

/// `~/x` as `$HOME/x`.
pub fn expand_home(p: &Path) -> PathBuf {
    match (p.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => p.to_path_buf(),
    }
}

/// What the layer asks the operator. Checks and listings run with
/// [`NoPrompt`], which refuses both.
pub trait Prompt: Send + Sync {
    /// A key nobody recorded: trust it (and record it in Vigie's file)?
    fn trust_new_host_key(&self, host: &str, key_type: &str, fingerprint: &str) -> bool;
    /// The passphrase of an encrypted key file, or `None` to skip it.
    fn passphrase(&self, key: &Path) -> Option<String>;
}

/// Asks nothing: an unknown key is refused, encrypted keys are skipped.
pub struct NoPrompt;

impl Prompt for NoPrompt {
    fn trust_new_host_key(&self, _: &str, _: &str, _: &str) -> bool {
        false
    }
    fn passphrase(&self, _: &Path) -> Option<String> {
        None
    }
}

/// Why a connection or a command failed, in words for the operator.
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    #[error("{host}: cannot resolve {address}: {reason}")]
    Resolve {
        host: String,
        address: String,
        reason: String,
    },
    #[error("{host}: connection refused by {address}")]
    Refused { host: String, address: String },
    #[error("{host}: no answer from {address} within {secs}s (host down or filtered?)")]
    Timeout {
        host: String,
        address: String,
        secs: u64,
    },
    #[error("{host}: cannot connect to {address}: {reason}")]
    Connect {
        host: String,
        address: String,
        reason: String,
    },
    #[error("{host}: SSH handshake failed: {reason}")]
    Handshake { host: String, reason: String },
    #[error("{0}")]
    HostKeyChanged(Box<ChangedKey>),
    #[error(
        "{host}: the server's key {fingerprint} is revoked ({file}:{line}); connection refused"
    )]
    HostKeyRevoked {
        host: String,
        fingerprint: String,
        file: String,
        line: usize,
    },
    #[error(
        "{host} ({name}): unknown host key {key_type} {fingerprint}, not trusted; \
         run `vigie ssh {host}` to check and trust it"
    )]
    HostKeyUnknown {
        host: String,
        name: String,
        key_type: String,
        fingerprint: String,
    },
    #[error("{host}: cannot record the trusted key in {file}: {reason}")]
    Record {
        host: String,
        file: String,
        reason: String,
    },
    #[error("{user}@{host}: authentication failed (tried {tried})")]
    Auth {
        user: String,
        host: String,
        tried: String,
    },
    #[error("jump host {jump} refused a channel to {host} ({address}): {reason}")]
    JumpRefused {
        jump: String,
        host: String,
        address: String,
        reason: String,
    },
    #[error("{host}: connection lost: {reason}")]
    Lost { host: String, reason: String },
    #[error("{host}: {what}: {reason}")]
    Protocol {
        host: String,
        what: &'static str,
        reason: String,
    },
    #[error("{host}: gave up after {secs}s")]
    GaveUp { host: String, secs: u64 },
}

/// A known host offering another key.
#[derive(Debug, thiserror::Error)]
#[error(
    "HOST KEY CHANGED for {host} ({name}): the server offers {key_type} {fingerprint}, \
     which does not match {file}:{line}. Connection refused: someone may be intercepting it. \
     If the key was changed on purpose, remove that line and connect again."
)]
pub struct ChangedKey {
    pub host: String,
    pub name: String,
    pub key_type: String,
    pub fingerprint: String,
    pub file: String,
    pub line: usize,
}

impl SshError {
    /// The message, safe to put on a terminal.
    pub fn shown(&self) -> String {
        crate::sanitize::clean(&self.to_string())
    }

    /// A refusal of the server's identity (changed, revoked or unknown
    /// key): never retried, always loud.
    pub fn is_host_key(&self) -> bool {
        matches!(
            self,
            SshError::HostKeyChanged(_)
                | SshError::HostKeyRevoked { .. }
                | SshError::HostKeyUnknown { .. }
        )
    }
}

fn protocol<'a>(host: &'a str, what: &'static str) -> impl Fn(ssh2::Error) -> SshError + 'a {
    move |e| classify(host, what, e)
}

/// libssh2's errors in operator words: a dropped socket is a lost
/// connection, a timeout says so.
fn classify(host: &str, what: &'static str, e: ssh2::Error) -> SshError {
    let lost = [
        ssh2::ErrorCode::Session(-43), // LIBSSH2_ERROR_SOCKET_RECV
        ssh2::ErrorCode::Session(-7),  // LIBSSH2_ERROR_SOCKET_SEND
        ssh2::ErrorCode::Session(-13), // LIBSSH2_ERROR_SOCKET_DISCONNECT
    ];
    if lost.contains(&e.code()) {
        return SshError::Lost {
            host: host.into(),
            reason: e.message().into(),
        };
    }
    if e.code() == ssh2::ErrorCode::Session(-9) {
        return SshError::Protocol {
            host: host.into(),
            what,
            reason: "timed out".into(),
        };
    }
    SshError::Protocol {
        host: host.into(),
        what,
        reason: e.message().into(),
    }
}

/// An authenticated session, with the jump connection that carries it.
pub struct Connection {
    pub(crate) session: Session,
    /// The socket libssh2 reads and writes, for `poll`.
    pub(crate) fd: RawFd,
    pub host: String,
    /// Stops the relay (and with it the jump session) when dropped.
    _relay: Option<relay::Relay>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("host", &self.host)
            .finish()
    }
}

/// Opens, checks the host key of, and authenticates a session to
/// `target` (through its jump hosts).
pub fn connect(
    target: &SshTarget,
    opts: &Options,
    prompt: &dyn Prompt,
) -> Result<Connection, SshError> {
    let host = target.host.clone();
    let address = format!("{}:{}", target.address, target.port);
    let mut session = Session::new().map_err(protocol(&host, "cannot start libssh2"))?;
    let timeout_ms = u32::try_from(opts.connect_timeout.as_millis()).unwrap_or(u32::MAX);
    let (fd, relay) = match &target.jump {
        Some(jump) => {
            let jc = connect(jump, opts, prompt)?;
            jc.session.set_timeout(timeout_ms);
            let channel = jc
                .session
                .channel_direct_tcpip(&target.address, target.port, None)
                .map_err(|e| SshError::JumpRefused {
                    jump: jump.host.clone(),
                    host: host.clone(),
                    address: address.clone(),
                    reason: e.message().to_string(),
                })?;
            let (ours, theirs) =
                std::os::unix::net::UnixStream::pair().map_err(|e| SshError::Connect {
                    host: host.clone(),
                    address: address.clone(),
                    reason: e.to_string(),
                })?;
            let fd = ours.as_raw_fd();
            let relay = relay::Relay::start(jc, channel, theirs, opts.keepalive);
            session.set_tcp_stream(ours);
            (fd, Some(relay))
        }
        None => {
            let tcp = tcp_connect(&host, &target.address, target.port, opts.connect_timeout)?;
            let fd = tcp.as_raw_fd();
            session.set_tcp_stream(tcp);
            (fd, None)
        }
    };
    session.set_timeout(timeout_ms);
    let known = opts.known_hosts();
    let name = target.known_hosts_name();
    prefer_known_key_types(&session, &known.types_for(&name));
    session.handshake().map_err(|e| {
        let reason = if e.code() == ErrorCode::Session(-9) {
            format!("no SSH greeting within {}s", opts.connect_timeout.as_secs())
        } else {
            e.message().to_string()
        };
        SshError::Handshake {
            host: host.clone(),
            reason,
        }
    })?;
    check_host_key(&session, &host, &name, &known, opts, prompt)?;
    let user = target
        .user
        .clone()
        .unwrap_or_else(|| opts.local_user.clone());
    authenticate(&session, &host, &user, target.key.as_deref(), opts, prompt)?;
    session.set_keepalive(
        true,
        u32::try_from(opts.keepalive.as_secs()).unwrap_or(15).max(1),
    );
    Ok(Connection {
        session,
        fd,
        host,
        _relay: relay,
    })
}

fn tcp_connect(
    host: &str,
    address: &str,
    port: u16,
    timeout: Duration,
) -> Result<TcpStream, SshError> {
    let shown = format!("{address}:{port}");
    let addrs: Vec<_> = (address, port)
        .to_socket_addrs()
        .map_err(|e| SshError::Resolve {
            host: host.into(),
            address: address.into(),
            reason: e.to_string(),
        })?
        .collect();
    let mut last = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => SshError::Refused {
            host: host.into(),
            address: shown,
        },
        Some(e)
            if e.kind() == std::io::ErrorKind::TimedOut
                || e.kind() == std::io::ErrorKind::WouldBlock =>
        {
            SshError::Timeout {
                host: host.into(),
                address: shown,
                secs: timeout.as_secs(),
            }
        }
        Some(e) => SshError::Connect {
            host: host.into(),
            address: shown,
            reason: e.to_string(),
        },
        None => SshError::Resolve {
            host: host.into(),
            address: address.into(),
            reason: "no address".into(),
        },
    })
}

/// Asks the server for the key types already recorded for it first, so a
/// host known by its ed25519 key is not judged on an RSA one.
fn prefer_known_key_types(session: &Session, known: &[String]) {
    if known.is_empty() {
        return;
    }
    let Ok(supported) = session.supported_algs(MethodType::HostKey) else {
        return;
    };
    let mut order: Vec<&str> = Vec::new();
    for k in known {
        let algs: Vec<&str> = if k == "ssh-rsa" {
            vec!["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]
        } else {
            vec![k.as_str()]
        };
        for a in algs {
            if supported.contains(&a) && !order.contains(&a) {
                order.push(a);
            }
        }
    }
    for a in &supported {
        if !order.contains(a) {
            order.push(a);
        }
    }
    let _ = session.method_pref(MethodType::HostKey, &order.join(","));
}

fn check_host_key(
    session: &Session,
    host: &str,
    name: &str,
    known: &KnownHosts,
    opts: &Options,
    prompt: &dyn Prompt,
) -> Result<(), SshError> {
    let Some((blob, _)) = session.host_key() else {
        return Err(SshError::Handshake {
            host: host.into(),
            reason: "the server sent no host key".into(),
        });
    };
    let fingerprint = known_hosts::fingerprint(blob);
    let key_type = known_hosts::key_type(blob).unwrap_or_else(|| "unknown-type".into());
    match known.check(name, blob) {
        Verdict::Known => Ok(()),
        Verdict::Changed { file, line } => Err(SshError::HostKeyChanged(Box::new(ChangedKey {
            host: host.into(),
            name: name.into(),
            key_type,
            fingerprint,
            file: file.display().to_string(),
            line,
        }))),
        Verdict::Revoked { file, line } => Err(SshError::HostKeyRevoked {
            host: host.into(),
            fingerprint,
            file: file.display().to_string(),
            line,
        }),
        Verdict::Unknown => {
            if !prompt.trust_new_host_key(host, &key_type, &fingerprint) {
                return Err(SshError::HostKeyUnknown {
                    host: host.into(),
                    name: name.into(),
                    key_type,
                    fingerprint,
                });
            }
            known_hosts::record(&opts.vigie_known_hosts, name, blob).map_err(|e| SshError::Record {
                host: host.into(),
                file: opts.vigie_known_hosts.display().to_string(),
                reason: e.to_string(),
            })
        }
    }
}

fn authenticate(
    session: &Session,
    host: &str,
    user: &str,
    key: Option<&Path>,
    opts: &Options,
    prompt: &dyn Prompt,
) -> Result<(), SshError> {
    let mut tried: Vec<String> = Vec::new();
    // Asking which methods the server takes starts the "none" method; a
    // server that takes no public key fails here in words.
    match session.auth_methods(user) {
        Ok(methods) if !methods.split(',').any(|m| m == "publickey") => {
            return Err(SshError::Auth {
                user: user.into(),
                host: host.into(),
                tried: format!(
                    "nothing: the server offers only {methods}, and Vigie uses keys only"
                ),
            });
        }
        Ok(_) => {}
        Err(e) if session.authenticated() => {
            let _ = e;
            return Ok(());
        }
        Err(e) => return Err(classify(host, "authentication", e)),
    }
    if let Some(k) = key {
        let k = expand_home(k);
        if try_key_file(session, user, &k, prompt, &mut tried) {
            return Ok(());
        }
    }
    if try_agent(session, user, &opts.agent, &mut tried) {
        return Ok(());
    }
    if key.is_none() {
        for k in &opts.default_keys {
            if k.exists() && try_key_file(session, user, k, prompt, &mut tried) {
                return Ok(());
            }
        }
    }
    Err(SshError::Auth {
        user: user.into(),
        host: host.into(),
        tried: if tried.is_empty() {
            "no key: no agent identity and no key file".into()
        } else {
            tried.join(", ")
        },
    })
}

fn try_agent(session: &Session, user: &str, socket: &AgentSocket, tried: &mut Vec<String>) -> bool {
    let path = match socket {
        AgentSocket::None => return false,
        AgentSocket::FromEnv => match std::env::var_os("SSH_AUTH_SOCK") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => return false,
        },
        AgentSocket::Path(p) => p.clone(),
    };
    let Ok(mut agent) = session.agent() else {
        return false;
    };
    if agent.set_identity_path(&path).is_err() || agent.connect().is_err() {
        tried.push(format!("agent at {} (unreachable)", path.display()));
        return false;
    }
    let ok = agent.list_identities().is_ok()
        && agent.identities().is_ok_and(|ids| {
            if ids.is_empty() {
                tried.push("agent (no identities)".into());
            }
            ids.iter().any(|id| {
                if agent.userauth(user, id).is_ok() {
                    return true;
                }
                tried.push(format!("agent key '{}'", id.comment()));
                false
            })
        });
    let _ = agent.disconnect();
    ok
}

/// Tries a key file; an encrypted one with the passphrase the operator
/// types (dropped right after).
fn try_key_file(
    session: &Session,
    user: &str,
    key: &Path,
    prompt: &dyn Prompt,
    tried: &mut Vec<String>,
) -> bool {
    let shown = key.display().to_string();
    let text = match std::fs::read(key) {
        Ok(t) => t,
        Err(e) => {
            tried.push(format!("{shown} ({e})"));
            return false;
        }
    };
    let passphrase = if is_encrypted(&text) {
        match prompt.passphrase(key) {
            Some(p) => Some(p),
            None => {
                tried.push(format!("{shown} (encrypted, no passphrase given)"));
                return false;
            }
        }
    } else {
        None
    };
    let public = {
        let mut p = key.as_os_str().to_owned();
        p.push(".pub");
        PathBuf::from(p)
    };
    let public = public.exists().then_some(public);
    let ok = session
        .userauth_pubkey_file(user, public.as_deref(), key, passphrase.as_deref())
        .is_ok();
    drop(passphrase);
    if !ok {
        tried.push(shown);
    }
    ok
}

/// Whether a private key file needs a passphrase (PEM `ENCRYPTED`, or an
/// OpenSSH key whose cipher is not `none`).
pub fn is_encrypted(text: &[u8]) -> bool {
    use base64::Engine;
    let text = String::from_utf8_lossy(text);
    if text.contains("ENCRYPTED") {
        return true;
    }
    let Some(body) = text
        .split("-----BEGIN OPENSSH PRIVATE KEY-----")
        .nth(1)
        .and_then(|b| b.split("-----END").next())
    else {
        return false;
    };
    let joined: String = body.split_whitespace().collect();
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(joined) else {
        return false;
    };
    const MAGIC: &[u8] = b"openssh-key-v1\0";
    let Some(rest) = bytes.strip_prefix(MAGIC) else {
        return false;
    };
    known_hosts::key_type(rest).is_some_and(|cipher| cipher != "none")
}

/// What a command printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub exit_status: i32,
    /// The exit signal's name, if the command was killed.
    pub signal: Option<String>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Bytes dropped past the limit.
    pub truncated: bool,
}

impl Connection {
    /// Runs `command`, keeping at most `limit` bytes of each stream; every
    /// read is bounded by `read_timeout` (`None`: waits, with keepalives,
    /// for as long as the command runs).
    pub fn exec(
        &self,
        command: &str,
        limit: usize,
        read_timeout: Option<Duration>,
    ) -> Result<CommandOutput, SshError> {
        let host = &self.host;
        self.session.set_timeout(
            read_timeout.map_or(0, |t| u32::try_from(t.as_millis()).unwrap_or(u32::MAX)),
        );
        let mut channel = self
            .session
            .channel_session()
            .map_err(protocol(host, "cannot open a channel"))?;
        channel
            .exec(command)
            .map_err(protocol(host, "cannot run the command"))?;
        let mut out = CommandOutput {
            exit_status: -1,
            signal: None,
            stdout: Vec::new(),
            stderr: Vec::new(),
            truncated: false,
        };
        // Both streams share the channel's window: read them in turn in
        // non-blocking mode so a chatty stderr never stalls stdout.
        self.session.set_blocking(false);
        let result = self.pump_command(&mut channel, limit, read_timeout, &mut out);
        self.session.set_blocking(true);
        result?;
        let _ = channel.wait_close();
        out.exit_status = channel.exit_status().unwrap_or(-1);
        out.signal = channel
            .exit_signal()
            .ok()
            .and_then(|s| s.exit_signal)
            .filter(|s| !s.is_empty());
        Ok(out)
    }

    fn pump_command(
        &self,
        channel: &mut ssh2::Channel,
        limit: usize,
        read_timeout: Option<Duration>,
        out: &mut CommandOutput,
    ) -> Result<(), SshError> {
        let mut buf = vec![0u8; 32 * 1024];
        let mut quiet_since = std::time::Instant::now();
        loop {
            let mut progress = false;
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
                            let dest = if stream == 0 {
                                &mut out.stdout
                            } else {
                                &mut out.stderr
                            };
                            let room = limit.saturating_sub(dest.len());
                            dest.extend_from_slice(&buf[..n.min(room)]);
                            if n > room {
                                out.truncated = true;
                            }
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(e) => {
                            return Err(SshError::Lost {
                                host: self.host.clone(),
                                reason: e.to_string(),
                            });
                        }
                    }
                }
            }
            if channel.eof() {
                return Ok(());
            }
            if progress {
                quiet_since = std::time::Instant::now();
                continue;
            }
            if let Some(t) = read_timeout {
                if quiet_since.elapsed() >= t {
                    return Err(SshError::GaveUp {
                        host: self.host.clone(),
                        secs: t.as_secs(),
                    });
                }
            }
            self.keepalive()?;
            self.wait(Duration::from_millis(500));
        }
    }

    /// The raw session, for benchmarks that time libssh2 itself.
    #[doc(hidden)]
    pub fn session_for_bench(&self) -> &ssh2::Session {
        &self.session
    }

    /// Sends a keepalive when one is due; a dead peer shows here.
    pub(crate) fn keepalive(&self) -> Result<(), SshError> {
        match self.session.keepalive_send() {
            Ok(_) => Ok(()),
            Err(e) if e.code() == ErrorCode::Session(-37) => Ok(()), // EAGAIN
            Err(e) => Err(SshError::Lost {
                host: self.host.clone(),
                reason: e.message().to_string(),
            }),
        }
    }

    /// Waits until the socket is ready the way libssh2 is blocked on, or
    /// `max` passes.
    pub(crate) fn wait(&self, max: Duration) {
        let dirs = self.session.block_directions();
        let mut events = libc::POLLIN;
        if matches!(
            dirs,
            ssh2::BlockDirections::Outbound | ssh2::BlockDirections::Both
        ) {
            events |= libc::POLLOUT;
        }
        let mut fds = [libc::pollfd {
            fd: self.fd,
            events,
            revents: 0,
        }];
        let ms = i32::try_from(max.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd, owned by this frame.
        unsafe {
            libc::poll(fds.as_mut_ptr(), 1, ms);
        }
    }

    /// The entries of a remote directory over SFTP (`.` and `..` left out).
    pub fn list_dir(&self, dir: &str) -> Result<Vec<RemoteEntry>, SshError> {
        let host = &self.host;
        let sftp = self
            .session
            .sftp()
            .map_err(protocol(host, "cannot start SFTP"))?;
        let entries = sftp
            .readdir(Path::new(dir))
            .map_err(|e| SshError::Protocol {
                host: host.clone(),
                what: "cannot list the directory",
                reason: format!("{dir}: {}", e.message()),
            })?;
        let mut out: Vec<RemoteEntry> = entries
            .into_iter()
            .filter_map(|(path, stat)| {
                let name = path.file_name()?.to_string_lossy().into_owned();
                (name != "." && name != "..").then(|| RemoteEntry {
                    name,
                    size: stat.size.unwrap_or(0),
                    mtime: stat.mtime.and_then(|m| i64::try_from(m).ok()),
                    is_dir: stat.is_dir(),
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

/// One entry of a remote directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteEntry {
    /// As the server sent it; sanitize before showing.
    pub name: String,
    pub size: u64,
    /// Seconds since the epoch.
    pub mtime: Option<i64>,
    pub is_dir: bool,
}

/// Connects and runs one command on a blocking thread, the whole job
/// bounded by `timeout`.
pub async fn run_command(
    target: SshTarget,
    opts: Options,
    command: String,
    limit: usize,
    timeout: Duration,
) -> Result<CommandOutput, SshError> {
    let host = target.host.clone();
    let job = tokio::task::spawn_blocking(move || {
        let mut opts = opts;
        opts.connect_timeout = opts.connect_timeout.min(timeout);
        let c = connect(&target, &opts, &NoPrompt)?;
        c.exec(&command, limit, Some(timeout))
    });
    finish(host, timeout, job).await
}

/// Connects and lists a remote directory over SFTP on a blocking thread.
pub async fn list_dir(
    target: SshTarget,
    opts: Options,
    dir: String,
    timeout: Duration,
) -> Result<Vec<RemoteEntry>, SshError> {
    let host = target.host.clone();
    let job = tokio::task::spawn_blocking(move || {
        let mut opts = opts;
        opts.connect_timeout = opts.connect_timeout.min(timeout);
        let c = connect(&target, &opts, &NoPrompt)?;
        c.session
            .set_timeout(u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX));
        c.list_dir(&dir)
    });
    finish(host, timeout, job).await
}

async fn finish<T>(
    host: String,
    timeout: Duration,
    job: tokio::task::JoinHandle<Result<T, SshError>>,
) -> Result<T, SshError> {
    // The blocking job has its own timeouts; this bounds the wait on it.
    match tokio::time::timeout(timeout + Duration::from_secs(1), job).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => Err(SshError::Protocol {
            host,
            what: "the SSH job stopped",
            reason: e.to_string(),
        }),
        Err(_) => Err(SshError::GaveUp {
            host,
            secs: timeout.as_secs(),
        }),
    }
}
