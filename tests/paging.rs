//! Paging end to end with the real daemon binary: a check on loopback goes
//! down, and pages reach webhook receivers served by the test (axum on
//! loopback): the person on call first, repeated and escalated on a short
//! schedule, stopped by `vigie ack`, one resolved message when it comes
//! back; and a page queued while its receiver is down survives kill -9 and
//! is delivered once after the restart.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::Uri;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
struct Got {
    path: String,
    body: serde_json::Value,
    when: Instant,
}

#[derive(Clone, Default)]
struct Hooks {
    got: Arc<Mutex<Vec<Got>>>,
}

impl Hooks {
    async fn serve(&self, listener: tokio::net::TcpListener) {
        let me = self.clone();
        let app = Router::new().fallback(move |uri: Uri, body: Bytes| {
            let me = me.clone();
            async move {
                let got = Got {
                    path: uri.path().to_string(),
                    body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
                    when: Instant::now(),
                };
                me.got.lock().unwrap_or_else(|e| e.into_inner()).push(got);
                "ok"
            }
        });
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }

    fn all(&self) -> Vec<Got> {
        self.got.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// (path, kind) of every page received.
    fn kinds(&self) -> Vec<(String, String)> {
        self.all()
            .iter()
            .map(|g| {
                let kind = g.body["kind"].as_str().unwrap_or_default().to_string();
                (g.path.clone(), kind)
            })
            .collect()
    }

    async fn wait_for(&self, path: &str, kind: &str, secs: u64) -> Got {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let found = self
                .all()
                .into_iter()
                .find(|g| g.path == path && g.body["kind"] == kind);
            if let Some(g) = found {
                return g;
            }
            assert!(
                Instant::now() < deadline,
                "no {kind} page at {path}; received {:?}",
                self.kinds()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    l.local_addr().expect("its address").port()
}

/// One tcp check on `check_port`, a rota where Alix covers today and
/// tomorrow (Bruno next), criticals to the person on call.
fn config(dir: &Path, hooks: SocketAddr, check_port: u16, repeat: &str, escalate: &str) -> PathBuf {
    let today = Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap_or(today);
    let text = format!(
        r#"
[contracts.basic]
intervention = {{ urgent = "2h" }}
hourly_rate = 1
monthly_fee = 0

[hosts.erp]
address = "127.0.0.1"

[[hosts.erp.checks]]
name = "db"
kind = "tcp"
address = "127.0.0.1:{check_port}"
interval = "1s"
timeout = "500ms"
down_after = 1

[alerts]
merge_window = "1s"
repeat_every = "{repeat}"
escalate_after = "{escalate}"
default_route = []

[[alerts.webhooks]]
name = "alix-phone"
kind = "generic"
url = "http://{hooks}/alix"

[[alerts.webhooks]]
name = "bruno-phone"
kind = "generic"
url = "http://{hooks}/bruno"

[[alerts.routes]]
severity = ["critical"]
to = ["oncall"]

[oncall]
timezone = "UTC"
handover_day = "mon"
handover_at = "09:00"
start = "2026-01-05"
order = ["Alix", "Bruno"]

[[oncall.members]]
name = "Alix"
receivers = ["alix-phone"]

[[oncall.members]]
name = "Bruno"
receivers = ["bruno-phone"]

[[oncall.overrides]]
member = "Alix"
from = "{today}"
to = "{tomorrow}"
"#
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("config written");
    path
}

fn vigie(dir: &Path, config: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_vigie"));
    c.arg("--config")
        .arg(config)
        .arg("--db")
        .arg(dir.join("vigie.db"))
        .arg("--log")
        .arg(dir.join("vigie.log"))
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null());
    c
}

fn daemon(dir: &Path, config: &Path) -> std::process::Child {
    vigie(dir, config)
        .arg("daemon")
        .spawn()
        .expect("the daemon starts")
}

fn stop(mut child: std::process::Child) {
    // SAFETY: kill has no memory preconditions; the pid is our child's.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let _ = child.wait();
}

/// Waits until the store says the check is down; when the test saw it.
async fn confirmed_down(db: &Path, secs: u64) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let down = vigie::store::Reader::open(db)
            .ok()
            .and_then(|r| r.latest_states().ok())
            .is_some_and(|s| {
                s.iter()
                    .any(|c| c.check_id == "erp/db" && c.status == vigie::model::Status::Down)
            });
        if down {
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "the check never went down");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn at(g: &Got) -> DateTime<Utc> {
    g.body["at"]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("a page without its time: {}", g.body))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_down_check_pages_repeats_escalates_stops_on_ack_and_resolves_once() {
    let hooks = Hooks::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    hooks.serve(listener).await;
    let check_port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), addr, check_port, "3s", "5s");
    let child = daemon(dir.path(), &config);

    let down = confirmed_down(&dir.path().join("vigie.db"), 20).await;
    let first = hooks.wait_for("/alix", "firing", 10).await;
    let delay = first.when.saturating_duration_since(down);
    eprintln!(
        "paging: first page {} ms after the store said down",
        delay.as_millis()
    );
    assert_eq!(first.body["alerts"][0], "checks:erp/db");
    assert_eq!(first.body["severity"], "critical");

    // No acknowledgement: repeated to Alix, then escalated to Bruno.
    let repeat = hooks.wait_for("/alix", "repeat", 10).await;
    let escalated = hooks.wait_for("/bruno", "escalated", 10).await;
    let gap = (at(&repeat) - at(&first)).num_milliseconds();
    assert!((3000..5000).contains(&gap), "repeated after {gap} ms");
    let gap = (at(&escalated) - at(&first)).num_milliseconds();
    assert!((5000..7000).contains(&gap), "escalated after {gap} ms");
    assert!(
        !hooks.kinds().contains(&("/bruno".into(), "firing".into())),
        "Bruno was not on call: {:?}",
        hooks.kinds()
    );

    // Acknowledged: nothing more until it resolves.
    let status = vigie(dir.path(), &config)
        .args(["ack", "checks:erp/db", "--comment", "on it"])
        .status()
        .expect("vigie ack runs");
    assert!(status.success());
    let acked = Utc::now();
    tokio::time::sleep(Duration::from_secs(7)).await;
    let late: Vec<_> = hooks
        .all()
        .into_iter()
        .filter(|g| at(g) > acked + chrono::TimeDelta::seconds(1))
        .map(|g| (g.path, g.body["kind"].clone()))
        .collect();
    assert!(late.is_empty(), "paged after the ack: {late:?}");

    // `vigie alerts --format json` shows what was sent, to whom, the answer.
    let listed = vigie(dir.path(), &config)
        .args(["alerts", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .output()
        .expect("vigie alerts runs");
    let alerts: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("alerts as JSON");
    let db = alerts
        .as_array()
        .and_then(|a| a.iter().find(|x| x["id"] == "checks:erp/db"))
        .unwrap_or_else(|| panic!("checks:erp/db not listed: {alerts}"));
    let pages = db["pages"].as_array().cloned().unwrap_or_default();
    assert_eq!(pages[0]["receiver"], "alix-phone", "{pages:?}");
    assert_eq!(pages[0]["member"], "Alix");
    assert_eq!(pages[0]["kind"], "firing");
    assert_eq!(pages[0]["answer"], "HTTP 200");
    assert!(
        pages
            .iter()
            .any(|p| p["kind"] == "escalated" && p["member"] == "Bruno"),
        "{pages:?}"
    );

    // Back up: one resolved message to each person told, once.
    let up = tokio::net::TcpListener::bind(("127.0.0.1", check_port))
        .await
        .expect("the check's port");
    hooks.wait_for("/alix", "resolved", 15).await;
    hooks.wait_for("/bruno", "resolved", 5).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop(child);
    drop(up);
    let resolved = hooks
        .kinds()
        .into_iter()
        .filter(|(_, k)| k == "resolved")
        .count();
    assert_eq!(resolved, 2, "{:?}", hooks.kinds());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_queued_while_its_receiver_is_down_survives_kill_9_and_goes_once() {
    let hook_port = free_port();
    let check_port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("vigie.db");
    let hook_addr = SocketAddr::from(([127, 0, 0, 1], hook_port));
    let config = config(dir.path(), hook_addr, check_port, "1h", "2h");
    let mut child = daemon(dir.path(), &config);

    // Wait until the page is queued and has failed at least once.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let tried = vigie::store::Reader::open(&db)
            .ok()
            .and_then(|r| r.pages_of("checks:erp/db").ok())
            .is_some_and(|p| p.iter().any(|p| p.attempts >= 1 && p.sent.is_none()));
        if tried {
            break;
        }
        assert!(Instant::now() < deadline, "no page queued and tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().expect("kill -9");
    let _ = child.wait();

    let hooks = Hooks::default();
    let listener = tokio::net::TcpListener::bind(hook_addr)
        .await
        .expect("the hook's port");
    hooks.serve(listener).await;
    let child = daemon(dir.path(), &config);
    hooks.wait_for("/alix", "firing", 20).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    stop(child);
    assert_eq!(
        hooks.kinds(),
        vec![("/alix".to_string(), "firing".to_string())]
    );
    let stored = vigie::store::Reader::open(&db)
        .and_then(|r| r.pages_of("checks:erp/db"))
        .expect("pages read");
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].answer.as_deref(), Some("HTTP 200"));
}
