//! `nagios` checks against real plugins: Debian's monitoring-plugins
//! (check_tcp, check_smtp) against servers this file starts on loopback,
//! and plugins this file writes as scripts (garbage, hanging, flooding,
//! every exit status), locally and over a real sshd.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use vigie::model::{Check, CheckKind, Status};
use vigie::sources::{Probe, Sources};

const PLUGINS: &str = "/usr/lib/nagios/plugins";

/// The checks of host `h` in a configuration made of `checks` (TOML check
/// tables without their header).
fn checks(checks: &[String]) -> Vec<Check> {
    let mut text = String::from("[hosts.h]\naddress = \"127.0.0.1\"\n");
    for c in checks {
        text.push_str("\n[[hosts.h.checks]]\n");
        text.push_str(c);
    }
    let cfg = vigie::config::parse(&text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"));
    cfg.fleet.host("h").unwrap().checks.clone()
}

/// One local `nagios` check of `argv`, probed with `timeout`.
async fn probe(argv: &[&str], timeout: Duration) -> Probe {
    let list: Vec<String> = argv.iter().map(|a| format!("{a:?}")).collect();
    let c = checks(&[format!(
        "name = \"n\"\nkind = \"nagios\"\ncommand = [{}]\n",
        list.join(", ")
    )]);
    let p = Sources::new().unwrap().probe(&c[0].kind, timeout).await;
    assert!(p.latency_ms.is_some(), "{p:?}");
    p
}

fn plugin(name: &str) -> String {
    let p = format!("{PLUGINS}/{name}");
    assert!(
        Path::new(&p).exists(),
        "{p} missing: apt-get install monitoring-plugins-basic monitoring-plugins-standard"
    );
    p
}

/// A plugin written as a shell script in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A loopback listener that accepts and answers each connection with
/// `serve` on its own thread.
fn server(serve: fn(TcpStream)) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || serve(s));
        }
    });
    port
}

fn metric(p: &Probe, name: &str) -> Option<f64> {
    p.metrics.iter().find(|m| m.name == name).map(|m| m.value)
}

#[tokio::test]
async fn check_tcp_on_an_open_port_is_up_with_its_response_time() {
    let port = server(|_s| {});
    let tcp = plugin("check_tcp");
    let p = probe(
        &[&tcp, "-H", "127.0.0.1", "-p", &port.to_string()],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(p.status, Status::Up, "{}", p.message);
    assert!(p.message.starts_with("TCP OK"), "{}", p.message);
    assert!(!p.message.contains('|'), "{}", p.message);
    let time = metric(&p, "perf_s:time").unwrap_or_else(|| panic!("{:?}", p.metrics));
    assert!(time >= 0.0);
}

#[tokio::test]
async fn check_tcp_on_a_closed_port_is_down_with_the_plugins_reason() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let tcp = plugin("check_tcp");
    let p = probe(
        &[&tcp, "-H", "127.0.0.1", "-p", &port.to_string()],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(p.status, Status::Down, "{}", p.message);
    assert!(p.message.contains("Connection refused"), "{}", p.message);
}

/// Accepts and never says a word.
fn silent(s: TcpStream) {
    std::thread::sleep(Duration::from_secs(30));
    drop(s);
}

#[tokio::test]
async fn a_slow_port_is_down_by_the_plugins_own_timeout_or_by_vigies() {
    let port = server(silent).to_string();
    let tcp = plugin("check_tcp");
    // The plugin's timeout (-t 1) comes first: its own reason.
    let p = probe(
        &[
            &tcp,
            "-H",
            "127.0.0.1",
            "-p",
            &port,
            "-s",
            "HELLO\n",
            "-e",
            "OK",
            "-t",
            "1",
        ],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(p.status, Status::Down, "{}", p.message);
    assert!(p.message.contains("Socket timeout"), "{}", p.message);
    // The check's timeout comes first: the plugin is stopped.
    let p = probe(
        &[
            &tcp,
            "-H",
            "127.0.0.1",
            "-p",
            &port,
            "-s",
            "HELLO\n",
            "-e",
            "OK",
            "-t",
            "60",
        ],
        Duration::from_secs(1),
    )
    .await;
    assert_eq!(p.status, Status::Down, "{}", p.message);
    assert!(
        p.message.starts_with("plugin gave no answer within"),
        "{}",
        p.message
    );
}

/// A minimal SMTP greeter: greets, accepts EHLO/HELO, says goodbye on QUIT.
fn smtp(s: TcpStream) {
    let mut w = match s.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let _ = w.write_all(b"220 mail.test ESMTP ready\r\n");
    for line in BufReader::new(s).lines() {
        let Ok(line) = line else { return };
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-mail.test\r\n250 8BITMIME\r\n",
            "HELO" => b"250 mail.test\r\n",
            "QUIT" => {
                let _ = w.write_all(b"221 bye\r\n");
                return;
            }
            _ => b"250 ok\r\n",
        };
        if w.write_all(reply).is_err() {
            return;
        }
    }
}

#[tokio::test]
async fn check_smtp_against_a_local_greeter_is_up() {
    let port = server(smtp).to_string();
    let check_smtp = plugin("check_smtp");
    let p = probe(
        &[&check_smtp, "-H", "127.0.0.1", "-p", &port, "-t", "5"],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(p.status, Status::Up, "{}", p.message);
    assert!(p.message.starts_with("SMTP OK"), "{}", p.message);
    assert!(metric(&p, "perf_s:time").is_some(), "{:?}", p.metrics);
    // Expecting another greeting: the plugin warns, the check is degraded.
    let p = probe(
        &[
            &check_smtp,
            "-H",
            "127.0.0.1",
            "-p",
            &port,
            "-e",
            "mx.elsewhere",
            "-t",
            "5",
        ],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(p.status, Status::Degraded, "{}", p.message);
}

/// A minimal IMAP server: the untagged greeting, then `LOGOUT` answered.
fn imap(s: TcpStream) {
    let mut w = match s.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let _ = w.write_all(b"* OK [CAPABILITY IMAP4rev1] mail.test ready\r\n");
    // One command is all a check sends before it hangs up: LOGOUT.
    let mut line = String::new();
    if BufReader::new(s).read_line(&mut line).is_ok() {
        let tag = line.split_whitespace().next().unwrap_or("*").to_string();
        let _ = w.write_all(format!("* BYE\r\n{tag} OK LOGOUT completed\r\n").as_bytes());
    }
}

#[tokio::test]
async fn check_imap_against_a_local_greeting_is_up() {
    let port = server(imap).to_string();
    let check_imap = plugin("check_imap");
    let p = probe(
        &[&check_imap, "-H", "127.0.0.1", "-p", &port, "-t", "5"],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(p.status, Status::Up, "{}", p.message);
    assert!(p.message.starts_with("IMAP OK"), "{}", p.message);
    assert!(metric(&p, "perf_s:time").is_some(), "{:?}", p.metrics);
    // A server that greets in another tongue (an SMTP greeter on the IMAP
    // port): the plugin warns, the check is degraded.
    let port = server(smtp).to_string();
    let p = probe(
        &[&check_imap, "-H", "127.0.0.1", "-p", &port, "-t", "5"],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(p.status, Status::Degraded, "{}", p.message);
    assert!(p.message.contains("Unexpected response"), "{}", p.message);
}

#[tokio::test]
async fn check_ping_on_loopback_is_up_with_round_trip_and_loss() {
    let check_ping = plugin("check_ping");
    let p = probe(
        &[
            &check_ping,
            "-H",
            "127.0.0.1",
            "-w",
            "100,20%",
            "-c",
            "200,50%",
            "-p",
            "2",
            "-t",
            "5",
        ],
        Duration::from_secs(10),
    )
    .await;
    if p.status == Status::Unknown && p.message.contains("permitted") {
        // ICMP needs CAP_NET_RAW (or ping's group range): said, not hidden.
        eprintln!("skipped: this machine lets no one here ping: {}", p.message);
        return;
    }
    assert_eq!(p.status, Status::Up, "{}", p.message);
    assert!(
        p.message.starts_with("PING OK - Packet loss = 0%"),
        "{}",
        p.message
    );
    assert!(metric(&p, "perf_s:rta").is_some(), "{:?}", p.metrics);
    assert_eq!(metric(&p, "perf_pct:pl"), Some(0.0), "{:?}", p.metrics);
}

/// A DNS responder for one name (`erp.coop.test` -> 192.0.2.10), on UDP
/// port 53 of a loopback address of its own (nslookup, which check_dns
/// drives, always asks port 53): other names are NXDOMAIN, other types of
/// the name are answered empty.
fn dns_server(addr: &str) -> std::io::Result<()> {
    let sock = std::net::UdpSocket::bind((addr, 53))?;
    std::thread::spawn(move || {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            if let Some(reply) = dns_reply(&buf[..n]) {
                let _ = sock.send_to(&reply, from);
            }
        }
    });
    Ok(())
}

fn dns_reply(q: &[u8]) -> Option<Vec<u8>> {
    // Header (12 bytes), then the question: labels, type, class.
    let mut i = 12;
    let mut name = Vec::new();
    loop {
        let len = usize::from(*q.get(i)?);
        i += 1;
        if len == 0 {
            break;
        }
        name.push(String::from_utf8_lossy(q.get(i..i + len)?).to_ascii_lowercase());
        i += len;
    }
    let qtype = u16::from_be_bytes([*q.get(i)?, *q.get(i + 1)?]);
    let question = q.get(12..i + 4)?;
    let known = name.join(".") == "erp.coop.test";
    let answer = known && qtype == 1;
    let mut r = Vec::new();
    r.extend_from_slice(&q[..2]);
    // QR, opcode 0, AA, RD copied; RA; rcode 0 or 3 (NXDOMAIN).
    r.push(0x84 | (q[2] & 0x01));
    r.push(0x80 | if known { 0 } else { 3 });
    r.extend_from_slice(&[0, 1, 0, u8::from(answer), 0, 0, 0, 0]);
    r.extend_from_slice(question);
    if answer {
        // Pointer to the question's name, A, IN, TTL 60, 4 bytes.
        r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 10]);
    }
    Some(r)
}

#[tokio::test]
async fn check_dns_against_a_local_responder_reads_the_address() {
    let check_dns = plugin("check_dns");
    if !Path::new("/usr/bin/nslookup").exists() {
        panic!("/usr/bin/nslookup missing (check_dns drives it): apt-get install bind9-dnsutils");
    }
    // A loopback address of this test's own (the whole 127/8 is loopback
    // on Linux), so no system resolver on 127.0.0.1:53 is disturbed.
    let addr = format!("127.53.{}.{}", std::process::id() % 250 + 1, 1);
    if let Err(e) = dns_server(&addr) {
        // Port 53 is privileged: an unprivileged run cannot serve it.
        eprintln!("skipped: cannot serve DNS on {addr}:53 here: {e}");
        return;
    }
    let p = probe(
        &[
            &check_dns,
            "-H",
            "erp.coop.test",
            "-s",
            &addr,
            "-a",
            "192.0.2.10",
            "-t",
            "5",
        ],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(p.status, Status::Up, "{}", p.message);
    assert!(p.message.starts_with("DNS OK"), "{}", p.message);
    assert!(p.message.contains("192.0.2.10"), "{}", p.message);
    assert!(metric(&p, "perf_s:time").is_some(), "{:?}", p.metrics);
    // The address moved: the plugin says critical, the check is down.
    let p = probe(
        &[
            &check_dns,
            "-H",
            "erp.coop.test",
            "-s",
            &addr,
            "-a",
            "192.0.2.99",
            "-t",
            "5",
        ],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(p.status, Status::Down, "{}", p.message);
    // An unknown name.
    let p = probe(
        &[&check_dns, "-H", "gone.coop.test", "-s", &addr, "-t", "5"],
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(p.status, Status::Down, "{}", p.message);
}

#[tokio::test]
async fn exit_statuses_map_to_states_with_the_first_line_as_reason() {
    let dir = tempfile::tempdir().unwrap();
    // (script body, state, reason)
    let cases = [
        ("echo 'OK - fine|a=1'; exit 0", Status::Up, "OK - fine"),
        (
            "echo 'WARNING - queue long | queue=120;100;500'; exit 1",
            Status::Degraded,
            "WARNING - queue long",
        ),
        (
            "echo 'CRITICAL - gone'; exit 2",
            Status::Down,
            "CRITICAL - gone",
        ),
        (
            "echo 'UNKNOWN - cannot tell'; exit 3",
            Status::Unknown,
            "UNKNOWN - cannot tell",
        ),
        (
            "echo 'segfault-ish'; exit 42",
            Status::Unknown,
            "exit 42, not a plugin status (0-3): segfault-ish",
        ),
        ("kill -9 $$", Status::Unknown, "killed by a signal"),
    ];
    for (i, (body, status, reason)) in cases.into_iter().enumerate() {
        let path = script(dir.path(), &format!("p{i}"), body);
        let p = probe(&[path.to_str().unwrap()], Duration::from_secs(10)).await;
        assert_eq!((p.status, p.message.as_str()), (status, reason), "{body}");
    }
}

#[tokio::test]
async fn garbage_output_is_sanitized_and_bad_figures_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(
        dir.path(),
        "garbage",
        r"printf '\033]52;c;AAAA\007\033[2JOK \377\376 done | ok=1 =5 x=U bad=1;q \033[31m=2\n'
printf 'more\000binary\n'
exit 0",
    );
    let p = probe(&[path.to_str().unwrap()], Duration::from_secs(10)).await;
    assert_eq!(p.status, Status::Up, "{}", p.message);
    assert!(
        !p.message.chars().any(vigie::sanitize::is_unsafe),
        "{:?}",
        p.message
    );
    assert!(p.message.contains("done"), "{}", p.message);
    for m in &p.metrics {
        assert!(
            !m.name.chars().any(vigie::sanitize::is_unsafe),
            "{:?}",
            m.name
        );
    }
    assert_eq!(metric(&p, "perf:ok"), Some(1.0), "{:?}", p.metrics);
    assert_eq!(p.metrics.len(), 2, "{:?}", p.metrics);
}

#[tokio::test]
async fn a_hanging_plugin_is_stopped_at_the_checks_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(dir.path(), "hang", "echo starting; exec sleep 60");
    let started = std::time::Instant::now();
    let p = probe(&[path.to_str().unwrap()], Duration::from_secs(1)).await;
    assert_eq!(p.status, Status::Down, "{}", p.message);
    assert!(
        p.message.starts_with("plugin gave no answer within"),
        "{}",
        p.message
    );
    // Stopped, not waited for: well before the plugin's 60 seconds.
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[tokio::test]
async fn a_flooding_plugin_is_read_up_to_a_bound() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(
        dir.path(),
        "flood",
        "echo 'OK - flood | first=1'; yes 'filler line | x=1' | head -c 40000000; exit 0",
    );
    let p = probe(&[path.to_str().unwrap()], Duration::from_secs(20)).await;
    assert_eq!(p.status, Status::Up, "{}", p.message);
    assert_eq!(p.message, "OK - flood (output cut)");
    assert!(p.metrics.len() <= vigie::sources::nagios::MAX_FIGURES);
    assert_eq!(metric(&p, "perf:first"), Some(1.0));
}

#[tokio::test]
async fn multi_line_perfdata_becomes_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let path = script(
        dir.path(),
        "disk",
        "printf 'DISK OK - free space: / 3326 MB (56%%); | /=2643MB;5948;5958;0;5968\\n/ 15272 MB (77%%);\\n/home 69357 MB (27%%); | /boot=68MB;88;93;0;98\\n'\n\
         printf \"'/var log'=818MB;970;975;0;980\\n\"\nexit 0",
    );
    let p = probe(&[path.to_str().unwrap()], Duration::from_secs(10)).await;
    assert_eq!(p.message, "DISK OK - free space: / 3326 MB (56%);");
    let names: Vec<&str> = p.metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["perf_bytes:/", "perf_bytes:/boot", "perf_bytes:/var log"]
    );
    assert_eq!(metric(&p, "perf_bytes:/boot"), Some(68.0 * 1024.0 * 1024.0));
}

#[tokio::test]
async fn a_missing_plugin_is_unknown_and_says_what_to_install() {
    let p = probe(
        &["/nonexistent/check_nothing", "-H", "x"],
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(p.status, Status::Unknown, "{}", p.message);
    assert!(p.message.contains("not found"), "{}", p.message);
}

#[tokio::test]
async fn plugins_get_a_minimal_environment() {
    // Cargo sets this for the test process; Vigie does not pass it on.
    assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
    let dir = tempfile::tempdir().unwrap();
    let path = script(
        dir.path(),
        "env",
        "echo \"OK cargo=[$CARGO_MANIFEST_DIR] lc=[$LC_ALL] path=[${PATH:+set}]\"",
    );
    let p = probe(&[path.to_str().unwrap()], Duration::from_secs(10)).await;
    assert_eq!(p.message, "OK cargo=[] lc=[C] path=[set]");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_runs_over_ssh_with_its_arguments_intact() {
    use support::sshd::{KeyPair, Sshd, SshdConfig, current_user, options};
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::new(dir.path(), "id_ed25519", "");
    let sshd = Sshd::start(SshdConfig {
        allow_tcp_forwarding: false,
        authorized: vec![key.public_line.clone()],
    });
    std::fs::write(
        dir.path().join("known_hosts"),
        sshd.known_hosts_line() + "\n",
    )
    .unwrap();
    let path = script(
        dir.path(),
        "args",
        "echo \"WARNING - got [$1] [$2] | 'arg count'=$#\"; exit 1",
    );
    let text = format!(
        r#"
[hosts.dev-1]
address = "127.0.0.1"
ssh_port = {port}
ssh_user = "{user}"
ssh_key = "{key}"

[[hosts.dev-1.checks]]
name = "remote"
kind = "nagios"
over_ssh = true
command = ["{plugin}", "it's a $(test)", "; exit 0"]
"#,
        port = sshd.port,
        user = current_user(),
        key = key.private.display(),
        plugin = path.display(),
    );
    let cfg = vigie::config::parse(&text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"));
    let check = &cfg.fleet.host("dev-1").unwrap().checks[0];
    let CheckKind::Nagios(n) = &check.kind else {
        panic!("{:?}", check.kind)
    };
    assert!(n.over_ssh);
    assert_eq!(n.target.port, sshd.port);
    let sources = Sources::new().unwrap().with_ssh(options(dir.path()));
    let p = sources.probe(&check.kind, Duration::from_secs(10)).await;
    assert_eq!(
        (p.status, p.message.as_str()),
        (
            Status::Degraded,
            "WARNING - got [it's a $(test)] [; exit 0]"
        ),
        "{}",
        sshd.log()
    );
    assert_eq!(metric(&p, "perf:arg count"), Some(2.0));
}

#[test]
fn a_nagios_check_reads_from_the_configuration() {
    let c = checks(&[
        "name = \"dns\"\nkind = \"nagios\"\ncommand = [\"/usr/lib/nagios/plugins/check_dns\", \"-H\", \"erp.example.org\"]\ntimeout = \"5s\"\n".into(),
    ]);
    let CheckKind::Nagios(n) = &c[0].kind else {
        panic!("{:?}", c[0].kind)
    };
    assert_eq!(
        n.command,
        ["/usr/lib/nagios/plugins/check_dns", "-H", "erp.example.org"]
    );
    assert!(!n.over_ssh);
    assert_eq!(c[0].kind.label(), "nagios");
    assert_eq!(
        c[0].kind.target(),
        "/usr/lib/nagios/plugins/check_dns -H erp.example.org"
    );
    assert_eq!(c[0].timeout, Duration::from_secs(5));
}
