//! The SSH layer against the real OpenSSH server and ssh-agent, started on
//! loopback by each test (tests/support/sshd.rs).

mod support;

use std::net::TcpListener;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use support::sshd::{Agent, KeyPair, Sshd, SshdConfig, free_port, options, run};
use vigie::sources::ssh::{self, AgentSocket, NoPrompt, Prompt, SshError};

/// Answers host-key questions as told and remembers what it was asked.
struct Asked {
    trust: bool,
    passphrase: Option<String>,
    questions: Mutex<Vec<String>>,
}

impl Asked {
    fn new(trust: bool) -> Asked {
        Asked {
            trust,
            passphrase: None,
            questions: Mutex::new(Vec::new()),
        }
    }
    fn questions(&self) -> Vec<String> {
        self.questions.lock().unwrap().clone()
    }
}

impl Prompt for Asked {
    fn trust_new_host_key(&self, host: &str, key_type: &str, fingerprint: &str) -> bool {
        self.questions
            .lock()
            .unwrap()
            .push(format!("{host} {key_type} {fingerprint}"));
        self.trust
    }
    fn passphrase(&self, key: &Path) -> Option<String> {
        self.questions
            .lock()
            .unwrap()
            .push(format!("passphrase {}", key.display()));
        self.passphrase.clone()
    }
}

/// A client key, a server that accepts it, and a known_hosts that knows
/// the server.
struct Setup {
    dir: tempfile::TempDir,
    key: KeyPair,
    sshd: Sshd,
}

fn setup(forwarding: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::new(dir.path(), "id_ed25519", "");
    let sshd = Sshd::start(SshdConfig {
        allow_tcp_forwarding: forwarding,
        authorized: vec![key.public_line.clone()],
    });
    std::fs::write(
        dir.path().join("known_hosts"),
        sshd.known_hosts_line() + "\n",
    )
    .unwrap();
    Setup { dir, key, sshd }
}

#[test]
fn key_file_auth_runs_a_command_and_reports_both_streams_and_the_exit_status() {
    let s = setup(false);
    let target = s.sshd.target("dev-1", Some(&s.key.private));
    let c = ssh::connect(&target, &options(s.dir.path()), &NoPrompt)
        .unwrap_or_else(|e| panic!("{e}\n{}", s.sshd.log()));
    let out = c
        .exec(
            "echo hello; echo oops >&2; exit 3",
            1024,
            Some(Duration::from_secs(10)),
        )
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "oops\n");
    assert_eq!(out.exit_status, 3);
    assert!(!out.truncated);
    // The same session runs a second command.
    let big = c.exec("head -c 100000 /dev/zero", 1000, None).unwrap();
    assert_eq!(big.stdout.len(), 1000);
    assert!(big.truncated);
    assert_eq!(big.exit_status, 0);
}

#[test]
fn agent_auth_tries_every_identity_not_only_the_first() {
    let s = setup(false);
    let agent = Agent::start();
    // The first identity is one the server does not accept.
    let stranger = KeyPair::new(s.dir.path(), "stranger", "");
    agent.add(&stranger.private);
    agent.add(&s.key.private);
    let listed = run(std::process::Command::new("ssh-add")
        .arg("-l")
        .env("SSH_AUTH_SOCK", &agent.socket));
    assert_eq!(listed.lines().count(), 2, "{listed}");
    let mut opts = options(s.dir.path());
    opts.agent = AgentSocket::Path(agent.socket.clone());
    let target = s.sshd.target("dev-1", None);
    let c =
        ssh::connect(&target, &opts, &NoPrompt).unwrap_or_else(|e| panic!("{e}\n{}", s.sshd.log()));
    let out = c.exec("echo via-agent", 1024, None).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "via-agent\n");
}

#[test]
fn an_encrypted_key_asks_its_passphrase_and_never_without() {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::new(dir.path(), "locked", "correct horse");
    let sshd = Sshd::start(SshdConfig {
        allow_tcp_forwarding: false,
        authorized: vec![key.public_line.clone()],
    });
    std::fs::write(
        dir.path().join("known_hosts"),
        sshd.known_hosts_line() + "\n",
    )
    .unwrap();
    let target = sshd.target("dev-1", Some(&key.private));
    let opts = options(dir.path());
    let refused = ssh::connect(&target, &opts, &NoPrompt).unwrap_err();
    assert!(matches!(refused, SshError::Auth { .. }), "{refused}");
    assert!(
        refused
            .to_string()
            .contains("encrypted, no passphrase given"),
        "{refused}"
    );
    let mut asked = Asked::new(false);
    asked.passphrase = Some("correct horse".into());
    let c = ssh::connect(&target, &opts, &asked).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        asked.questions(),
        vec![format!("passphrase {}", key.private.display())]
    );
    assert_eq!(c.exec("echo ok", 64, None).unwrap().stdout, b"ok\n");
}

#[test]
fn an_unknown_host_key_is_shown_and_asked_and_recorded_only_when_trusted() {
    let s = setup(false);
    std::fs::write(s.dir.path().join("known_hosts"), "").unwrap();
    let opts = options(s.dir.path());
    let target = s.sshd.target("preprod-1", Some(&s.key.private));
    let fingerprint = s.sshd.host_key.fingerprint();
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");

    let no = Asked::new(false);
    let err = ssh::connect(&target, &opts, &no).unwrap_err();
    assert_eq!(
        no.questions(),
        vec![format!("preprod-1 ssh-ed25519 {fingerprint}")]
    );
    assert!(matches!(err, SshError::HostKeyUnknown { .. }), "{err}");
    assert!(err.to_string().contains(&fingerprint), "{err}");
    assert!(
        !opts.vigie_known_hosts.exists(),
        "nothing recorded when refused"
    );

    let yes = Asked::new(true);
    ssh::connect(&target, &opts, &yes).unwrap_or_else(|e| panic!("{e}"));
    let recorded = std::fs::read_to_string(&opts.vigie_known_hosts).unwrap();
    assert!(
        recorded.starts_with(&format!("[127.0.0.1]:{} ssh-ed25519 ", s.sshd.port)),
        "{recorded}"
    );
    // Known from now on: nobody is asked again.
    let again = Asked::new(false);
    ssh::connect(&target, &opts, &again).unwrap_or_else(|e| panic!("{e}"));
    assert!(again.questions().is_empty());
}

#[test]
fn a_changed_host_key_is_refused_loudly_without_asking() {
    let s = setup(false);
    let other = KeyPair::new(s.dir.path(), "impostor", "");
    let mut f = other.public_line.split_whitespace();
    let line = format!(
        "[127.0.0.1]:{} {} {}\n",
        s.sshd.port,
        f.next().unwrap(),
        f.next().unwrap()
    );
    std::fs::write(s.dir.path().join("known_hosts"), line).unwrap();
    let asked = Asked::new(true);
    let err = ssh::connect(
        &s.sshd.target("dev-1", Some(&s.key.private)),
        &options(s.dir.path()),
        &asked,
    )
    .unwrap_err();
    assert!(
        asked.questions().is_empty(),
        "a changed key is never asked about"
    );
    let text = err.to_string();
    assert!(matches!(err, SshError::HostKeyChanged(_)), "{text}");
    assert!(text.contains("HOST KEY CHANGED"), "{text}");
    assert!(text.contains(&s.sshd.host_key.fingerprint()), "{text}");
    assert!(text.contains("known_hosts:1"), "{text}");
}

#[test]
fn hashed_known_hosts_entries_are_understood() {
    let s = setup(false);
    let kh = s.dir.path().join("known_hosts");
    run(std::process::Command::new("ssh-keygen")
        .arg("-q")
        .arg("-H")
        .arg("-f")
        .arg(&kh));
    let text = std::fs::read_to_string(&kh).unwrap();
    assert!(text.starts_with("|1|"), "{text}");
    let c = ssh::connect(
        &s.sshd.target("dev-1", Some(&s.key.private)),
        &options(s.dir.path()),
        &NoPrompt,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.exec("echo hashed", 64, None).unwrap().stdout, b"hashed\n");
}

#[test]
fn sftp_lists_a_directory_with_sizes_and_times() {
    let s = setup(false);
    let remote = tempfile::tempdir().unwrap();
    std::fs::write(remote.path().join("db-2026-11-28.dump"), vec![7u8; 1234]).unwrap();
    std::fs::write(remote.path().join("db-2026-11-29.dump"), vec![7u8; 99]).unwrap();
    std::fs::create_dir(remote.path().join("old")).unwrap();
    let c = ssh::connect(
        &s.sshd.target("dev-1", Some(&s.key.private)),
        &options(s.dir.path()),
        &NoPrompt,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let list = c.list_dir(&remote.path().display().to_string()).unwrap();
    let names: Vec<(&str, u64, bool)> = list
        .iter()
        .map(|e| (e.name.as_str(), e.size, e.is_dir))
        .collect();
    assert_eq!(names[0], ("db-2026-11-28.dump", 1234, false));
    assert_eq!(names[1], ("db-2026-11-29.dump", 99, false));
    assert_eq!(names[2].0, "old");
    assert!(names[2].2);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mtime = list[0].mtime.unwrap();
    assert!((now - mtime).abs() < 600, "mtime {mtime} vs now {now}");
    let missing = c.list_dir("/nonexistent-dir-for-vigie").unwrap_err();
    assert!(
        missing.to_string().contains("/nonexistent-dir-for-vigie"),
        "{missing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_helpers_run_off_the_workers() {
    let s = setup(false);
    let opts = options(s.dir.path());
    let target = s.sshd.target("dev-1", Some(&s.key.private));
    let (a, b) = tokio::join!(
        ssh::run_command(
            target.clone(),
            opts.clone(),
            "echo a".into(),
            64,
            Duration::from_secs(10)
        ),
        ssh::run_command(
            target.clone(),
            opts.clone(),
            "echo b; exit 1".into(),
            64,
            Duration::from_secs(10)
        ),
    );
    assert_eq!(a.unwrap().stdout, b"a\n");
    assert_eq!(b.unwrap().exit_status, 1);
    let remote = tempfile::tempdir().unwrap();
    std::fs::write(remote.path().join("x"), b"12").unwrap();
    let list = ssh::list_dir(
        target,
        opts,
        remote.path().display().to_string(),
        Duration::from_secs(10),
    )
    .await
    .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].size, 2);
}

#[test]
fn a_jump_host_carries_the_session_through_a_direct_tcpip_channel() {
    let s = setup(false); // the inner host: forwarding not needed there
    let jump = Sshd::start(SshdConfig {
        allow_tcp_forwarding: true,
        authorized: vec![s.key.public_line.clone()],
    });
    let kh = s.dir.path().join("known_hosts");
    std::fs::write(
        &kh,
        format!(
            "{}\n{}\n",
            s.sshd.known_hosts_line(),
            jump.known_hosts_line()
        ),
    )
    .unwrap();
    let mut target = s.sshd.target("preprod-1", Some(&s.key.private));
    target.jump = Some(Box::new(jump.target("bastion", Some(&s.key.private))));
    let c = ssh::connect(&target, &options(s.dir.path()), &NoPrompt)
        .unwrap_or_else(|e| panic!("{e}\n{}\n{}", jump.log(), s.sshd.log()));
    let out = c
        .exec("echo $SSH_CONNECTION", 256, Some(Duration::from_secs(10)))
        .unwrap();
    // The inner server sees the connection come from loopback, to its port.
    let seen = String::from_utf8_lossy(&out.stdout);
    assert!(
        seen.trim().ends_with(&format!(" {}", s.sshd.port)),
        "{seen}"
    );
    // Large output crosses the relay whole.
    let big = c
        .exec("head -c 3000000 /dev/zero", 4_000_000, None)
        .unwrap();
    assert_eq!(big.stdout.len(), 3_000_000);
    let list = c.list_dir("/").unwrap();
    assert!(list.iter().any(|e| e.name == "etc"));
}

#[test]
fn a_jump_host_refusing_the_channel_reads_clearly() {
    let s = setup(false);
    let jump = Sshd::start(SshdConfig {
        allow_tcp_forwarding: false,
        authorized: vec![s.key.public_line.clone()],
    });
    std::fs::write(
        s.dir.path().join("known_hosts"),
        format!(
            "{}\n{}\n",
            s.sshd.known_hosts_line(),
            jump.known_hosts_line()
        ),
    )
    .unwrap();
    let mut target = s.sshd.target("preprod-1", Some(&s.key.private));
    target.jump = Some(Box::new(jump.target("bastion", Some(&s.key.private))));
    let err = ssh::connect(&target, &options(s.dir.path()), &NoPrompt).unwrap_err();
    assert!(matches!(err, SshError::JumpRefused { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("jump host bastion refused a channel to preprod-1"),
        "{text}"
    );
}

#[test]
fn connection_refused_reads_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let target = vigie::model::ssh::SshTarget {
        host: "dev-1".into(),
        address: "127.0.0.1".into(),
        port,
        user: Some("ops".into()),
        key: None,
        jump: None,
    };
    let err = ssh::connect(&target, &options(dir.path()), &NoPrompt).unwrap_err();
    assert!(matches!(err, SshError::Refused { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!("dev-1: connection refused by 127.0.0.1:{port}")
    );
}

#[test]
fn a_host_that_accepts_but_never_speaks_times_out_instead_of_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let mut opts = options(dir.path());
    opts.connect_timeout = Duration::from_secs(1);
    let target = vigie::model::ssh::SshTarget {
        host: "dev-1".into(),
        address: "127.0.0.1".into(),
        port,
        user: Some("ops".into()),
        key: None,
        jump: None,
    };
    let err = ssh::connect(&target, &opts, &NoPrompt).unwrap_err();
    assert!(matches!(err, SshError::Handshake { .. }), "{err}");
    assert!(
        err.to_string().contains("no SSH greeting within 1s"),
        "{err}"
    );
}

#[test]
fn a_key_the_server_does_not_accept_fails_with_what_was_tried() {
    let s = setup(false);
    let stranger = KeyPair::new(s.dir.path(), "stranger", "");
    let err = ssh::connect(
        &s.sshd.target("dev-1", Some(&stranger.private)),
        &options(s.dir.path()),
        &NoPrompt,
    )
    .unwrap_err();
    assert!(matches!(err, SshError::Auth { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("authentication failed"), "{text}");
    assert!(text.contains("stranger"), "{text}");
}

#[test]
fn sshd_killed_mid_session_is_a_lost_connection_not_a_success() {
    let s = setup(false);
    let c = ssh::connect(
        &s.sshd.target("dev-1", Some(&s.key.private)),
        &options(s.dir.path()),
        &NoPrompt,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // The shell's parent is the sshd process serving this connection.
    let r = c.exec(
        "echo started; kill -9 $PPID; sleep 5",
        1024,
        Some(Duration::from_secs(10)),
    );
    let err = r.expect_err("a killed server is not a finished command");
    assert!(matches!(err, SshError::Lost { .. }), "{err}");
    // And the next use of the dead session says so too.
    assert!(c.exec("true", 16, Some(Duration::from_secs(5))).is_err());
}

#[test]
fn host_entries_resolve_user_key_and_jump_chains_for_checks_and_policy() {
    let text = r#"
[contracts.c]
intervention = { urgent = "4h" }
hourly_rate = 80.0
monthly_fee = 100.0

[clients.coop]
name = "Coop"
timezone = "Europe/Paris"
contract = "c"
[clients.coop.environments.prod]
hosts = ["erp"]
[clients.coop.environments.preprod]
hosts = ["erp-test"]

[ssh]
client = "openssh"
known_hosts = "/tmp/vigie-kh"
tmux_window = true
connect_timeout = "3s"

[hosts.bastion]
address = "bastion.example.org"
ssh_user = "ops"
ssh_port = 2222

[hosts.erp]
address = "10.0.0.5"
ssh_jump = "bastion"
ssh = "allowed"

[hosts.erp-test]
address = "10.0.0.6"
ssh_user = "deploy"
ssh_key = "~/.ssh/erp"
ssh_jump = "erp"

[[hosts.erp-test.checks]]
name = "timer"
kind = "ssh_command"
command = "systemctl is-active backup.timer"
expect_output = "active"
"#;
    let cfg = vigie::config::parse(text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"));
    let ssh = &cfg.ssh;
    assert_eq!(ssh.client, vigie::config::SshClient::OpenSsh);
    assert!(ssh.tmux_window);
    assert_eq!(ssh.connect_timeout, Duration::from_secs(3));
    assert_eq!(ssh.keepalive, vigie::config::ssh_defaults::KEEPALIVE);
    let t = &ssh.hosts["erp-test"].target;
    assert_eq!(
        (t.address.as_str(), t.port, t.user.as_deref()),
        ("10.0.0.6", 22, Some("deploy"))
    );
    assert_eq!(t.key.as_deref(), Some(Path::new("~/.ssh/erp")));
    let erp = t.jump.as_deref().unwrap();
    assert_eq!(erp.host, "erp");
    let bastion = erp.jump.as_deref().unwrap();
    assert_eq!(
        (bastion.host.as_str(), bastion.port, bastion.user.as_deref()),
        ("bastion", 2222, Some("ops"))
    );
    assert!(bastion.jump.is_none());
    use vigie::model::EnvKind;
    use vigie::model::ssh::SshPermission;
    assert_eq!(ssh.hosts["erp"].environments, vec![EnvKind::Prod]);
    assert_eq!(ssh.hosts["erp"].permission, SshPermission::Allowed);
    assert_eq!(
        ssh.hosts["erp-test"].permission,
        SshPermission::ByEnvironment
    );
    assert!(ssh.hosts["bastion"].environments.is_empty());
    // The check runs where its host's entry says.
    let check = &cfg.fleet.host("erp-test").unwrap().checks[0];
    let vigie::model::CheckKind::SshCommand(c) = &check.kind else {
        panic!("{:?}", check.kind)
    };
    assert_eq!(&c.target, t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssh_command_checks_judge_exit_status_and_output_on_a_real_host() {
    let s = setup(false);
    let text = format!(
        r#"
[hosts.dev-1]
address = "127.0.0.1"
ssh_port = {port}
ssh_user = "{user}"
ssh_key = "{key}"

[[hosts.dev-1.checks]]
name = "timer"
kind = "ssh_command"
command = "echo active"
expect_output = "active"

[[hosts.dev-1.checks]]
name = "failing"
kind = "ssh_command"
command = "echo inactive; exit 3"

[[hosts.dev-1.checks]]
name = "wrong-output"
kind = "ssh_command"
command = "echo failed"
expect_output = "active"
"#,
        port = s.sshd.port,
        user = support::sshd::current_user(),
        key = s.key.private.display()
    );
    let cfg = vigie::config::parse(&text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"));
    let sources = vigie::sources::Sources::new()
        .unwrap()
        .with_ssh(options(s.dir.path()));
    let checks = &cfg.fleet.host("dev-1").unwrap().checks;
    let mut seen = Vec::new();
    for c in checks {
        let p = sources.probe(&c.kind, Duration::from_secs(10)).await;
        assert!(p.latency_ms.is_some());
        seen.push((p.status, p.message));
    }
    use vigie::model::Status;
    assert_eq!(
        seen,
        vec![
            (Status::Up, "exit 0: active".to_string()),
            (Status::Down, "exit 3, expected 0: inactive".to_string()),
            (Status::Down, "output lacks 'active': failed".to_string()),
        ]
    );
    // An unknown host key is never trusted by a check: unknown, with the
    // fingerprint to check.
    let empty = tempfile::tempdir().unwrap();
    let untrusting = vigie::sources::Sources::new()
        .unwrap()
        .with_ssh(options(empty.path()));
    let p = untrusting
        .probe(&checks[0].kind, Duration::from_secs(10))
        .await;
    assert_eq!(p.status, Status::Unknown, "{}", p.message);
    assert!(
        p.message.contains(&s.sshd.host_key.fingerprint()),
        "{}",
        p.message
    );
}

/// A configuration with `dev-1` (preprod) and `erp` (prod) on the test
/// server, its key trusted in Vigie's own known_hosts file.
fn cli_config(s: &Setup) -> std::path::PathBuf {
    let kh = s.dir.path().join("vigie_known_hosts");
    std::fs::write(&kh, s.sshd.known_hosts_line() + "\n").unwrap();
    let text = format!(
        r#"
[contracts.c]
intervention = {{ urgent = "4h" }}
hourly_rate = 80.0
monthly_fee = 100.0

[clients.coop]
name = "Coop"
timezone = "Europe/Paris"
contract = "c"
[clients.coop.environments.prod]
hosts = ["erp"]
[clients.coop.environments.preprod]
hosts = ["dev-1"]

[ssh]
known_hosts = "{kh}"

[hosts.dev-1]
address = "127.0.0.1"
ssh_port = {port}
ssh_user = "{user}"
ssh_key = "{key}"

[[hosts.dev-1.checks]]
name = "sshd"
kind = "tcp"
address = "127.0.0.1:{port}"

[hosts.erp]
address = "127.0.0.1"
ssh_port = {port}
ssh_user = "{user}"
ssh_key = "{key}"

[[hosts.erp.checks]]
name = "sshd"
kind = "tcp"
address = "127.0.0.1:{port}"
"#,
        kh = kh.display(),
        port = s.sshd.port,
        user = support::sshd::current_user(),
        key = s.key.private.display()
    );
    let path = s.dir.path().join("vigie.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn vigie(s: &Setup, config: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .arg("--config")
        .arg(config)
        .arg("--db")
        .arg(s.dir.path().join("vigie.db"))
        .arg("--log")
        .arg(s.dir.path().join("vigie.log"))
        .args(args)
        .env("HOME", s.dir.path())
        .env_remove("SSH_AUTH_SOCK")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn vigie_ssh_runs_a_command_exits_with_its_status_and_audits_it_and_refusals() {
    let s = setup(false);
    let config = cli_config(&s);
    let out = vigie(
        &s,
        &config,
        &[
            "ssh", "dev-1", "--", "echo", "hello;", "echo", "oops", ">&2;", "exit", "7",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "oops\n");
    assert_eq!(out.status.code(), Some(7));

    let prod = vigie(&s, &config, &["ssh", "erp", "--", "true"]);
    assert_eq!(prod.status.code(), Some(2));
    let err = String::from_utf8_lossy(&prod.stderr);
    assert!(err.contains("erp is a prod host: SSH refused"), "{err}");

    let ro = vigie(&s, &config, &["--read-only", "ssh", "dev-1", "--", "true"]);
    assert_eq!(ro.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&ro.stderr).contains("read-only"));

    let audit = vigie(&s, &config, &["audit"]);
    assert!(audit.status.success());
    let text = String::from_utf8_lossy(&audit.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    // Newest first: the read-only refusal, the prod refusal, the command.
    assert!(
        lines[0].contains("ssh.refused") && lines[0].contains("host=dev-1"),
        "{text}"
    );
    assert!(
        lines[1].contains("ssh.refused") && lines[1].contains("host=erp environment=prod"),
        "{text}"
    );
    assert!(lines[2].contains("ssh.command"), "{text}");
    for word in [
        "host=dev-1",
        "environment=preprod",
        "exit=\"7\"",
        "start=",
        "end=",
        "command=",
    ] {
        assert!(lines[2].contains(word), "{word} in {}", lines[2]);
    }
    let me = support::sshd::current_user();
    assert!(lines[2].contains(&me), "{text}");
}

#[test]
fn vigie_ssh_to_a_dead_host_says_why_and_exits_255() {
    let s = setup(false);
    let config = cli_config(&s);
    let mut s = s;
    s.sshd.kill();
    let out = vigie(&s, &config, &["ssh", "dev-1", "--", "true"]);
    assert_eq!(out.status.code(), Some(255));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dev-1: connection refused by 127.0.0.1:"),
        "{err}"
    );
    let audit = vigie(&s, &config, &["audit"]);
    assert!(String::from_utf8_lossy(&audit.stdout).contains("ssh.failed"));
}

/// A private tmux server running the console, killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux is installed by scripts/test");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    fn capture(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "t"])
    }
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.run(&args);
    }
    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.capture();
            if pred(&screen) {
                return screen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never saw {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

#[test]
fn s_in_the_console_jumps_to_a_preprod_host_and_comes_back_intact() {
    let s = setup(false);
    let config = cli_config(&s);
    let home = s.dir.path();
    let socket = format!("vigie-ssh-e2e-{}", std::process::id());
    let cmd = format!(
        "env -i HOME={home} TERM=xterm-256color TZ=Europe/Paris {bin} --config {config} --db {home}/vigie.db --log {home}/vigie.log 2> {home}/stderr; echo exited=$? ; exec sleep 600",
        home = home.display(),
        bin = env!("CARGO_BIN_EXE_vigie"),
        config = config.display(),
    );
    let ok = std::process::Command::new("tmux")
        .args([
            "-L",
            &socket,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            "-s",
            "t",
            &cmd,
        ])
        .status()
        .expect("tmux is installed by scripts/test")
        .success();
    assert!(ok);
    let t = Tmux { socket };
    t.wait_for("the console with both hosts", |sc| {
        sc.contains("dev-1") && sc.contains("erp")
    });
    // Select dev-1 with the filter, then jump.
    t.keys(&["/"]);
    t.keys(&["-l", "dev-1"]);
    t.keys(&["Enter"]);
    t.wait_for("the filter applied", |sc| !sc.contains(" erp "));
    let before = t.capture();
    t.keys(&["s"]);
    t.wait_for("the hand-over banner", |sc| {
        sc.contains("vigie: SSH to dev-1 (preprod)")
    });
    // The remote shell answers a command typed at once.
    t.keys(&["-l", "echo $((6*7))XYZ; echo COLS=$(tput cols)"]);
    t.keys(&["Enter"]);
    // Output lines, not the echoed command line (which holds the same text).
    let answered = |sc: &str, prefix: &str| {
        sc.lines().any(|l| {
            l.strip_prefix(prefix)
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        })
    };
    let shell = t.wait_for("the remote shell's answer", |sc| {
        sc.lines().any(|l| l == "42XYZ") && answered(sc, "COLS=")
    });
    assert!(
        shell.contains("COLS=120"),
        "the PTY has the terminal's width:\n{shell}"
    );
    let alt = t.run(&["display-message", "-p", "-t", "t", "#{alternate_on}"]);
    assert_eq!(alt.trim(), "0", "the session runs on the main screen");
    // A resize reaches the remote PTY.
    t.run(&["resize-window", "-t", "t", "-x", "100", "-y", "30"]);
    std::thread::sleep(Duration::from_millis(300));
    t.keys(&["-l", "echo NOW=$(tput cols)"]);
    t.keys(&["Enter"]);
    let resized = t.wait_for("the new width remotely", |sc| answered(sc, "NOW="));
    assert!(resized.lines().any(|l| l == "NOW=100"), "{resized}");
    t.run(&["resize-window", "-t", "t", "-x", "120", "-y", "40"]);
    t.keys(&["-l", "exit"]);
    t.keys(&["Enter"]);
    let back = t.wait_for("the console back", |sc| {
        sc.contains("session ended (exit 0)")
    });
    let alt = t.run(&["display-message", "-p", "-t", "t", "#{alternate_on}"]);
    assert_eq!(
        alt.trim(),
        "1",
        "the console is on the alternate screen again"
    );
    assert!(
        back.contains("dev-1") && !back.contains(" erp "),
        "same filter and rows:\n{back}"
    );
    assert!(!back.contains("42XYZ"), "fully repainted:\n{back}");
    // The console still takes keys: jump again is refused nowhere, quit works.
    let first_line = |sc: &str| sc.lines().find(|l| l.contains("dev-1")).map(str::to_string);
    assert_eq!(
        first_line(&before).map(|l| l.contains("dev-1")),
        first_line(&back).map(|l| l.contains("dev-1"))
    );
    t.keys(&["q"]);
    t.wait_for("vigie to exit", |sc| sc.contains("exited=0"));
    let audit = vigie(&s, &config, &["audit"]);
    let text = String::from_utf8_lossy(&audit.stdout);
    assert!(
        text.lines().any(|l| l.contains("ssh.session")
            && l.contains("host=dev-1")
            && l.contains("exit=\"0\"")),
        "{text}"
    );
}

#[test]
fn s_on_a_prod_host_is_refused_in_the_console_which_keeps_running() {
    let s = setup(false);
    let config = cli_config(&s);
    let home = s.dir.path();
    let socket = format!("vigie-ssh-e2e-prod-{}", std::process::id());
    let cmd = format!(
        "env -i HOME={home} TERM=xterm-256color {bin} --config {config} --db {home}/vigie.db --log {home}/vigie.log; echo exited=$? ; exec sleep 600",
        home = home.display(),
        bin = env!("CARGO_BIN_EXE_vigie"),
        config = config.display(),
    );
    assert!(
        std::process::Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "40",
                "-s",
                "t",
                &cmd
            ])
            .status()
            .unwrap()
            .success()
    );
    let t = Tmux { socket };
    t.wait_for("the console", |sc| sc.contains("erp"));
    t.keys(&["/"]);
    t.keys(&["-l", "erp"]);
    t.keys(&["Enter"]);
    // The Health title shows the filter (other panes may name dev-1).
    t.wait_for("the filter applied", |sc| sc.contains("/erp"));
    t.keys(&["s"]);
    t.wait_for("the refusal", |sc| sc.contains("SSH refused"));
    let alt = t.run(&["display-message", "-p", "-t", "t", "#{alternate_on}"]);
    assert_eq!(alt.trim(), "1", "the console never left");
    t.keys(&["q"]);
    t.wait_for("vigie to exit", |sc| sc.contains("exited=0"));
}

#[path = "common/mod.rs"]
mod common;

#[test]
fn s_asks_the_runner_for_a_session_on_the_selected_host_and_read_only_refuses_it() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use vigie::ui::app::{Effect, Msg, update};
    let s_key = || Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE));
    let mut app = common::app();
    let effects = update(&mut app, s_key());
    let [Effect::Ssh { host }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    // The host under the selection (the first row of Health).
    let selected = app
        .pane(vigie::ui::panes::PaneId::Health)
        .and_then(|p| p.selected_host(&app.data));
    assert_eq!(Some(host.clone()), selected);
    // Moving the selection moves the target (a shared host may show
    // under several clients, so move until the row is another host).
    let mut moved = None;
    for _ in 0..10 {
        update(
            &mut app,
            Msg::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)),
        );
        let effects = update(&mut app, s_key());
        let [Effect::Ssh { host: next }] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        if next != host {
            moved = Some(next.clone());
            break;
        }
    }
    let moved = moved.expect("another host below the first");
    let now = app
        .pane(vigie::ui::panes::PaneId::Health)
        .and_then(|p| p.selected_host(&app.data));
    assert_eq!(Some(moved), now);

    // Read-only: no session, but the refusal is handed to the runner for
    // the audit log, as `vigie --read-only ssh` audits it.
    let mut ro = common::app();
    ro.modes.read_only = true;
    let first = ro
        .pane(vigie::ui::panes::PaneId::Health)
        .and_then(|p| p.selected_host(&ro.data))
        .unwrap();
    assert_eq!(
        update(&mut ro, s_key()),
        vec![Effect::SshRefused { host: first }]
    );
    assert!(
        ro.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("read-only"))
    );
}

#[test]
fn the_openssh_client_option_runs_the_system_ssh_under_the_same_policy_and_audit() {
    let s = setup(false);
    let config = cli_config(&s);
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replacen("[ssh]\n", "[ssh]\nclient = \"openssh\"\n", 1);
    std::fs::write(&config, text).unwrap();
    let out = vigie(
        &s,
        &config,
        &["ssh", "dev-1", "--", "echo via-openssh; exit 4"],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "via-openssh\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(4));
    let prod = vigie(&s, &config, &["ssh", "erp", "--", "true"]);
    assert_eq!(prod.status.code(), Some(2));
    let audit = vigie(&s, &config, &["audit"]);
    let text = String::from_utf8_lossy(&audit.stdout);
    assert!(text.contains("ssh.refused"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("ssh.command") && l.contains("exit=\"4\"")),
        "{text}"
    );
}

/// With the system's `ssh`, a server whose key changed is refused by ssh
/// (exit 255, "REMOTE HOST IDENTIFICATION HAS CHANGED"): the audit says
/// refused, with why, not a command that exited 255.
#[test]
fn the_openssh_client_refusing_a_changed_host_key_is_audited_as_a_refusal() {
    let s = setup(false);
    let config = cli_config(&s);
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replacen("[ssh]\n", "[ssh]\nclient = \"openssh\"\n", 1);
    std::fs::write(&config, text).unwrap();
    let other = KeyPair::new(s.dir.path(), "impostor", "");
    let mut f = other.public_line.split_whitespace();
    let line = format!(
        "[127.0.0.1]:{} {} {}\n",
        s.sshd.port,
        f.next().unwrap(),
        f.next().unwrap()
    );
    std::fs::write(s.dir.path().join("vigie_known_hosts"), line).unwrap();
    let out = vigie(&s, &config, &["ssh", "dev-1", "--", "echo reached"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(255), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("reached"));
    // ssh's own words still reach the operator.
    assert!(
        err.contains("REMOTE HOST IDENTIFICATION HAS CHANGED"),
        "{err}"
    );
    let audit = vigie(&s, &config, &["audit"]);
    let text = String::from_utf8_lossy(&audit.stdout);
    let refused = text
        .lines()
        .find(|l| l.contains("ssh.refused") && l.contains("host=dev-1"))
        .unwrap_or_else(|| panic!("no refusal audited:\n{text}"));
    assert!(refused.contains("HOST KEY CHANGED"), "{refused}");
    assert!(!text.contains("ssh.command"), "{text}");
}

/// A read-only console refuses `s` and puts the refusal in the audit log,
/// as the CLI does.
#[test]
fn s_in_a_read_only_console_is_refused_and_audited() {
    let s = setup(false);
    let config = cli_config(&s);
    let home = s.dir.path();
    let socket = format!("vigie-ssh-e2e-ro-{}", std::process::id());
    let cmd = format!(
        "env -i HOME={home} TERM=xterm-256color {bin} --read-only --config {config} --db {home}/vigie.db --log {home}/vigie.log; echo exited=$? ; exec sleep 600",
        home = home.display(),
        bin = env!("CARGO_BIN_EXE_vigie"),
        config = config.display(),
    );
    assert!(
        std::process::Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "40",
                "-s",
                "t",
                &cmd
            ])
            .status()
            .unwrap()
            .success()
    );
    let t = Tmux { socket };
    t.wait_for("the console", |sc| sc.contains("dev-1"));
    t.keys(&["/"]);
    t.keys(&["-l", "dev-1"]);
    t.keys(&["Enter"]);
    t.wait_for("the filter applied", |sc| sc.contains("/dev-1"));
    t.keys(&["s"]);
    t.wait_for("the refusal", |sc| sc.contains("read-only"));
    t.keys(&["q"]);
    t.wait_for("vigie to exit", |sc| sc.contains("exited=0"));
    let audit = vigie(&s, &config, &["audit"]);
    let text = String::from_utf8_lossy(&audit.stdout);
    assert!(
        text.lines().any(|l| l.contains("ssh.refused")
            && l.contains("host=dev-1")
            && l.contains("read-only")),
        "{text}"
    );
}
