//! The real OpenSSH server (Debian's openssh-server), started by a test on
//! a free loopback port with its own host key, authorized_keys and config
//! in a temporary directory, running as the current user. Killed on drop.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vigie::model::ssh::SshTarget;
use vigie::sources::ssh::{AgentSocket, Options};

pub const SSHD: &str = "/usr/sbin/sshd";

/// Runs a program and fails the test with its output if it fails.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (is openssh-client installed?)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An ed25519 key pair made by ssh-keygen, without passphrase unless given.
pub struct KeyPair {
    pub private: PathBuf,
    pub public_line: String,
}

impl KeyPair {
    pub fn new(dir: &Path, name: &str, passphrase: &str) -> KeyPair {
        let private = dir.join(name);
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f"])
            .arg(&private));
        let public_line = std::fs::read_to_string(dir.join(format!("{name}.pub")))
            .unwrap()
            .trim()
            .to_string();
        KeyPair {
            private,
            public_line,
        }
    }

    /// `ssh-keygen -lf`'s SHA256 fingerprint.
    pub fn fingerprint(&self) -> String {
        let mut p = self.private.as_os_str().to_owned();
        p.push(".pub");
        let out = run(Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(p));
        out.split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string()
    }
}

/// How a test server is set up.
#[derive(Clone)]
pub struct SshdConfig {
    pub allow_tcp_forwarding: bool,
    /// Public key lines accepted.
    pub authorized: Vec<String>,
}

pub struct Sshd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub host_key: KeyPair,
    child: Option<Child>,
}

fn wait_listening(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A port free right now on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

impl Sshd {
    pub fn start(config: SshdConfig) -> Sshd {
        assert!(
            Path::new(SSHD).exists(),
            "{SSHD} is missing: install openssh-server (scripts/test does)"
        );
        // sshd refuses to start without its privilege separation directory.
        let _ = std::fs::create_dir_all("/run/sshd");
        let dir = tempfile::tempdir().unwrap();
        let host_key = KeyPair::new(dir.path(), "ssh_host_ed25519_key", "");
        std::fs::write(
            dir.path().join("authorized_keys"),
            config.authorized.join("\n") + "\n",
        )
        .unwrap();
        for _attempt in 0..5 {
            let port = free_port();
            let conf = dir.path().join("sshd_config");
            let d = dir.path().display();
            std::fs::write(
                &conf,
                format!(
                    "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/ssh_host_ed25519_key\n\
                     PidFile {d}/sshd.pid\nAuthorizedKeysFile {d}/authorized_keys\n\
                     PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n\
                     PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                     PubkeyAuthentication yes\nAllowTcpForwarding {}\n\
                     Subsystem sftp internal-sftp\nLogLevel VERBOSE\nMaxStartups 100\n",
                    if config.allow_tcp_forwarding {
                        "yes"
                    } else {
                        "no"
                    }
                ),
            )
            .unwrap();
            let log = std::fs::File::create(dir.path().join("sshd.log")).unwrap();
            let mut child = Command::new(SSHD)
                .args(["-D", "-e", "-f"])
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start sshd");
            if wait_listening(&mut child, port) {
                return Sshd {
                    dir,
                    port,
                    host_key,
                    child: Some(child),
                };
            }
            let _ = child.kill();
            let _ = child.wait();
            // The port was taken in between: try another.
        }
        panic!("sshd did not start")
    }

    /// The server's log so far (for failing assertions).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    /// The known_hosts line for this server.
    pub fn known_hosts_line(&self) -> String {
        let mut f = self.host_key.public_line.split_whitespace();
        let (kind, key) = (f.next().unwrap(), f.next().unwrap());
        format!("[127.0.0.1]:{} {kind} {key}", self.port)
    }

    /// A target for this server as `name`.
    pub fn target(&self, name: &str, key: Option<&Path>) -> SshTarget {
        SshTarget {
            host: name.into(),
            address: "127.0.0.1".into(),
            port: self.port,
            user: Some(current_user()),
            key: key.map(Path::to_path_buf),
            jump: None,
        }
    }

    /// Stops the listener (sessions already open go on, as with a real
    /// sshd).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn current_user() -> String {
    run(Command::new("id").arg("-un")).trim().to_string()
}

/// Options that read only `known_hosts` (the OpenSSH-format file a test
/// writes) and record into `vigie_known_hosts`; no agent, no default key.
pub fn options(dir: &Path) -> Options {
    let mut o = Options::from_env(Some(dir.join("vigie_known_hosts")));
    o.openssh_known_hosts = vec![dir.join("known_hosts")];
    o.agent = AgentSocket::None;
    o.default_keys = Vec::new();
    o.connect_timeout = Duration::from_secs(5);
    o
}

/// A real ssh-agent on a socket of its own, killed on drop.
pub struct Agent {
    pub socket: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Agent {
    pub fn start() -> Agent {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ssh-agent (openssh-client)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        Agent {
            socket,
            child,
            _dir: dir,
        }
    }

    pub fn add(&self, key: &Path) {
        run(Command::new("ssh-add")
            .arg("-q")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket));
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
