//! Every kind of outside reply against a hostile peer written here: a
//! loopback server streaming a 1 GiB answer (or dripping one forever), a
//! child printing 1 GiB, a configuration that is /dev/zero. Each call must
//! end with a readable state within its deadline while the process stays
//! under 100 MB.
//!
//! Each test runs in a process of its own (this binary started again for
//! that test only), so the peak resident memory (VmHWM) it reads is its
//! own; run with `--nocapture` to see the figures (docs/BENCHMARKS.md).

mod support;

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use vigie::model::alert::{Alert, WebhookKind};
use vigie::model::pos::Target;
use vigie::model::{CheckKind, HttpCheck, JsonCondition, JsonOp, Status, Thresholds};
use vigie::sources::odoo::OdooError;
use vigie::sources::odoo::jsonrpc::JsonRpc;
use vigie::sources::tickets::redmine::Redmine;
use vigie::sources::tickets::{TicketBackend, TrackerError};
use vigie::sources::{Sources, child, pos, prometheus};

const ONE_GIB: u64 = 1 << 30;
/// The memory no reader may pass, whatever the reply.
const MAX_MIB: u64 = 100;

/// Set in the process a test starts for itself.
const ALONE: &str = "VIGIE_BOUNDED_ALONE";

/// Peak resident memory of this process, in MiB.
fn peak_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib / 1024
}

/// Runs the test `name` in a process of its own (this test binary again,
/// with only that test), so its peak memory is its own; `true` in that
/// process, where the caller then does the work.
fn alone(name: &str) -> bool {
    if std::env::var(ALONE).is_ok_and(|n| n == name) {
        return true;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(ALONE, name)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    eprint!("{err}");
    assert!(
        out.status.success() && err.contains("bounded reply"),
        "{name} failed alone:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    false
}

/// Runs `work`: (its result, the process's peak MiB, time taken).
fn measured<T>(kind: &str, work: impl Future<Output = T>) -> (T, u64, Duration) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let start = Instant::now();
    let out = runtime.block_on(work);
    let took = start.elapsed();
    drop(runtime);
    let peak = peak_mib();
    eprintln!(
        "bounded reply, {kind}: peak {peak} MiB, {} ms",
        took.as_millis()
    );
    (out, peak, took)
}

/// How a hostile server answers every request.
#[derive(Clone, Copy)]
enum Reply {
    /// `status` with a 1 GiB body, streamed as fast as it is read.
    Huge(u16),
    /// Headers after `delay`, then one byte every 100 ms, forever.
    Drip { delay: Duration },
}

/// A server on an ephemeral loopback port answering every request with
/// `reply`; its base URL.
async fn hostile(reply: Reply) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                // The request's head; its body (JSON-RPC) is left unread.
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                match reply {
                    Reply::Huge(status) => {
                        let head = format!(
                            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n\
                             Content-Length: {ONE_GIB}\r\n\r\n"
                        );
                        if sock.write_all(head.as_bytes()).await.is_err() {
                            return;
                        }
                        let chunk = vec![b'x'; 64 * 1024];
                        let mut sent = 0;
                        while sent < ONE_GIB {
                            if sock.write_all(&chunk).await.is_err() {
                                return;
                            }
                            sent += chunk.len() as u64;
                        }
                    }
                    Reply::Drip { delay } => {
                        tokio::time::sleep(delay).await;
                        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                                    Content-Length: 1000000\r\n\r\n[";
                        if sock.write_all(head.as_bytes()).await.is_err() {
                            return;
                        }
                        loop {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            if sock.write_all(b" ").await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

/// The deadline held: the call ended within it plus a generous margin for
/// a loaded machine.
fn within(took: Duration, deadline: Duration) {
    let margin = Duration::from_secs(5);
    assert!(
        took < deadline + margin,
        "took {took:?}, deadline {deadline:?}"
    );
}

const DEADLINE: Duration = Duration::from_secs(20);

#[test]
fn an_http_check_judges_the_start_of_a_1_gib_page() {
    if !alone("an_http_check_judges_the_start_of_a_1_gib_page") {
        return;
    }
    let (probe, peak, took) = measured("HTTP check", async {
        let url = hostile(Reply::Huge(200)).await;
        let mut check = HttpCheck::get(format!("{url}/"));
        check.body_contains = Some("xxxx".into());
        Sources::new()
            .unwrap()
            .probe(&CheckKind::Http(check), DEADLINE)
            .await
    });
    assert_eq!(probe.status, Status::Up, "{}", probe.message);
    assert!(peak < MAX_MIB, "{peak} MiB");
    within(took, DEADLINE);
}

#[test]
fn an_odoo_health_check_of_1_gib_is_not_json() {
    if !alone("an_odoo_health_check_of_1_gib_is_not_json") {
        return;
    }
    let (probe, peak, took) = measured("odoo_health", async {
        let url = hostile(Reply::Huge(200)).await;
        let mut check = HttpCheck::get(format!("{url}/web/health"));
        check.odoo = true;
        check.json = Some(JsonCondition {
            pointer: "/status".into(),
            op: JsonOp::Eq,
            value: serde_json::json!("pass"),
        });
        Sources::new()
            .unwrap()
            .probe(&CheckKind::Http(check), DEADLINE)
            .await
    });
    assert_eq!(
        (probe.status, probe.message.as_str()),
        (Status::Down, "body is not JSON")
    );
    assert!(peak < MAX_MIB, "{peak} MiB");
    within(took, DEADLINE);
}

#[test]
fn a_node_exporter_scrape_of_1_gib_is_refused() {
    if !alone("a_node_exporter_scrape_of_1_gib_is_refused") {
        return;
    }
    let (probe, peak, took) = measured("node_exporter", async {
        let url = hostile(Reply::Huge(200)).await;
        let kind = CheckKind::NodeExporter {
            url: format!("{url}/metrics"),
            thresholds: Thresholds::host_defaults(),
        };
        Sources::new().unwrap().probe(&kind, DEADLINE).await
    });
    assert_eq!(
        (probe.status, probe.message.as_str()),
        (
            Status::Down,
            "scrape larger than 8 MiB, not a node_exporter answer"
        )
    );
    assert!(peak < MAX_MIB, "{peak} MiB");
    within(took, DEADLINE);
}

#[test]
fn a_prometheus_answer_of_1_gib_is_refused() {
    if !alone("a_prometheus_answer_of_1_gib_is_refused") {
        return;
    }
    let (answer, peak, took) = measured("Prometheus", async {
        let url = hostile(Reply::Huge(200)).await;
        let client = reqwest::Client::new();
        tokio::time::timeout(DEADLINE, prometheus::query(&client, &url, "up")).await
    });
    assert_eq!(
        answer.expect("within the deadline"),
        Err("prometheus answer larger than 8 MiB".to_string())
    );
    assert!(peak < MAX_MIB, "{peak} MiB");
    within(took, DEADLINE);
}

#[test]
fn an_odoo_json_rpc_answer_of_1_gib_is_refused() {
    if !alone("an_odoo_json_rpc_answer_of_1_gib_is_refused") {
        return;
    }
    let (answer, peak, took) = measured("Odoo JSON-RPC", async {
        let url = hostile(Reply::Huge(200)).await;
        let odoo = JsonRpc::new(
            reqwest::Client::new(),
            &url,
            "shop",
            "pos",
            "k3y".into(),
            DEADLINE,
        );
        odoo.call("common", "version", serde_json::json!([])).await
    });
    let e = answer.unwrap_err();
    assert!(
        matches!(&e, OdooError::BadAnswer(m) if m == "answer larger than 16 MiB"),
        "{e}"
    );
    assert!(peak < MAX_MIB, "{peak} MiB");
    within(took, DEADLINE);
}

#[test]
fn an_odoo_answer_dripping_after_late_headers_stops_at_the_deadline() {
    if !alone("an_odoo_answer_dripping_after_late_headers_stops_at_the_deadline") {
        return;
    }
    // Headers come just before the deadline, then the body drips: the
    // deadline covers both, not each in turn.
    let deadline = Duration::from_secs(3);
    let (answer, _, took) = measured("Odoo JSON-RPC, dripping", async {
        let url = hostile(Reply::Drip {
            delay: Duration::from_millis(2900),
        })
        .await;
        let odoo = JsonRpc::new(
            reqwest::Client::new(),
            &url,
            "shop",
            "pos",
            "k3y".into(),
            deadline,
        );
        odoo.call("common", "version", serde_json::json!([])).await
    });
    let e = answer.unwrap_err();
    assert!(
        matches!(&e, OdooError::Unreachable(m) if m == "no answer within 3s"),
        "{e}"
    );
    // Before, each half had its own timeout: 2.9 s + 3 s.
    assert!(
        took < deadline + Duration::from_millis(2500),
        "took {took:?}"
    );
}

#[test]
fn a_pos_status_page_of_1_gib_is_judged_on_its_start() {
    if !alone("a_pos_status_page_of_1_gib_is_judged_on_its_start") {
        return;
    }
    let (reading, peak, took) = measured("POS page (IoT box, router)", async {
        let url = hostile(Reply::Huge(200)).await;
        let target = Target::Http {
            url: format!("{url}/hw_proxy/hello"),
            contains: Some("ping".into()),
        };
        pos::probe(&reqwest::Client::new(), &target, DEADLINE, 10_000).await
    });
    assert_eq!(
        (reading.status, reading.message.as_str()),
        (Status::Down, "answer lacks 'ping'")
    );
    assert!(peak < MAX_MIB, "{peak} MiB");
    within(took, DEADLINE);
}

#[test]
fn a_redmine_answer_of_1_gib_is_refused() {
    if !alone("a_redmine_answer_of_1_gib_is_refused") {
        return;
    }
    let (answer, peak, took) = measured("Redmine", async {
        let url = hostile(Reply::Huge(200)).await;
        let redmine = Redmine::new(&url, "k3y".into(), Default::default(), None, DEADLINE)
            .map_err(|e| e.to_string())
            .unwrap();
        redmine.statuses().await
    });
    let e = answer.unwrap_err();
    assert!(
        matches!(&e, TrackerError::Garbled(m) if m == "answer larger than 16 MiB"),
        "{e}"
    );
    assert!(peak < MAX_MIB, "{peak} MiB");
    within(took, DEADLINE);
}

#[test]
fn a_webhook_refusing_with_1_gib_says_why_from_its_start() {
    if !alone("a_webhook_refusing_with_1_gib_says_why_from_its_start") {
        return;
    }
    let (answer, peak, took) = measured("webhook answer", async {
        let url = hostile(Reply::Huge(500)).await;
        let hook = vigie::alerts::Webhook::new("ops", WebhookKind::Generic, &url, None, None);
        let client = reqwest::Client::builder()
            .timeout(DEADLINE)
            .build()
            .unwrap();
        vigie::alerts::deliver(&client, &hook, &Alert { items: Vec::new() }, "t1").await
    });
    let e = answer.unwrap_err();
    assert!(e.starts_with("HTTP 500: xxxx"), "{e}");
    assert!(peak < MAX_MIB, "{peak} MiB");
    within(took, DEADLINE);
}

#[test]
fn a_child_printing_1_gib_is_stopped() {
    if !alone("a_child_printing_1_gib_is_stopped") {
        return;
    }
    let (answer, peak, took) = measured("child stdout (restic, borg)", async {
        let n = ONE_GIB.to_string();
        child::run("head", &["-c", &n, "/dev/zero"], &[], &[], DEADLINE).await
    });
    assert_eq!(
        answer.unwrap_err(),
        "head printed more than 32 MiB and was stopped; narrow what it lists"
    );
    assert!(peak < MAX_MIB, "{peak} MiB");
    within(took, DEADLINE);
}

#[test]
fn a_child_complaining_1_gib_keeps_the_start_and_finishes() {
    if !alone("a_child_complaining_1_gib_keeps_the_start_and_finishes") {
        return;
    }
    let deadline = Duration::from_secs(60);
    let (answer, peak, took) = measured("child stderr", async {
        let script = format!("head -c {ONE_GIB} /dev/zero >&2; echo listed");
        child::run("sh", &["-c", &script], &[], &[], deadline).await
    });
    let out = answer.unwrap();
    assert_eq!(
        (out.stdout.as_slice(), out.stderr.len()),
        (&b"listed\n"[..], child::MAX_STDERR)
    );
    assert!(peak < MAX_MIB, "{peak} MiB");
    within(took, deadline);
}

#[test]
fn a_configuration_that_never_ends_is_refused() {
    if !alone("a_configuration_that_never_ends_is_refused") {
        return;
    }
    let (answer, peak, _) = measured("configuration file", async {
        vigie::config::load(std::path::Path::new("/dev/zero"))
    });
    let e = answer.unwrap_err().to_string();
    assert!(
        e.starts_with("the configuration at /dev/zero is larger than 4 MiB"),
        "{e}"
    );
    assert!(peak < MAX_MIB, "{peak} MiB");
}

#[test]
fn an_ssh_command_printing_1_gib_keeps_the_start_and_finishes() {
    if !alone("an_ssh_command_printing_1_gib_keeps_the_start_and_finishes") {
        return;
    }
    use support::sshd::{KeyPair, Sshd, SshdConfig, options};
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
    let target = sshd.target("dev-1", Some(&key.private));
    // ssh_command checks keep 64 KiB of each stream and drain the rest, so
    // the command finishes and its exit status is known.
    let deadline = Duration::from_secs(120);
    let (answer, peak, took) = measured("ssh command", async {
        let command = format!("head -c {ONE_GIB} /dev/zero; exit 3");
        vigie::sources::ssh::run_command(target, options(dir.path()), command, 64 * 1024, deadline)
            .await
    });
    let out = answer.unwrap_or_else(|e| panic!("{e}\n{}", sshd.log()));
    assert_eq!(
        (out.stdout.len(), out.truncated, out.exit_status),
        (64 * 1024, true, 3)
    );
    assert!(peak < MAX_MIB, "{peak} MiB");
    within(took, deadline);
}
