//! Webhooks delivered to a real HTTP receiver on loopback (axum, started by
//! the test): payload shapes for generic JSON, Matrix and Mattermost/Slack,
//! retries while the receiver fails or is not there yet, a burst merged
//! into one summary, secrets from env or owner-only files, and the daemon
//! itself alerting when a check goes down.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use chrono::{TimeZone, Utc};
use vigie::alerts::{Backoff, Outbox, Webhook, deliver, read_secret};
use vigie::model::Status;
use vigie::model::alert::{Alert, AlertItem, Level, SecretSource, WebhookKind};

#[derive(Debug, Clone)]
struct Received {
    method: Method,
    path: String,
    auth: Option<String>,
    body: serde_json::Value,
    answered: u16,
}

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    /// Status codes to answer with, in order; 200 once empty.
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    fn with_script(codes: &[u16]) -> Receiver {
        let r = Receiver::default();
        r.script.lock().unwrap().extend(codes);
        r
    }

    async fn serve_on(&self, listener: tokio::net::TcpListener) {
        let me = self.clone();
        let app = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let me = me.clone();
                async move {
                    let code = me.script.lock().unwrap().pop_front().unwrap_or(200);
                    me.got.lock().unwrap().push(Received {
                        method,
                        path: uri.path().to_string(),
                        auth: headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .map(String::from),
                        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
                        answered: code,
                    });
                    StatusCode::from_u16(code).unwrap_or(StatusCode::OK)
                }
            },
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }

    async fn start(&self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        self.serve_on(listener).await;
        addr
    }

    fn delivered(&self) -> Vec<Received> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.answered == 200)
            .cloned()
            .collect()
    }

    async fn wait_delivered(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let d = self.delivered();
            if d.len() >= n {
                return d;
            }
            assert!(
                Instant::now() < deadline,
                "only {} delivered; received: {:?}",
                d.len(),
                self.got.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn item(check: &str, level: Level) -> AlertItem {
    AlertItem {
        check_id: check.into(),
        level,
        status: if level == Level::Ok {
            Status::Up
        } else {
            Status::Down
        },
        at: Utc
            .with_ymd_and_hms(2026, 11, 22, 3, 4, 5)
            .single()
            .unwrap(),
        message: "HTTP 503 Service Unavailable".into(),
    }
}

fn alert(checks: &[&str]) -> Alert {
    Alert {
        items: checks.iter().map(|c| item(c, Level::Critical)).collect(),
    }
}

fn fast() -> Backoff {
    Backoff {
        first: Duration::from_millis(100),
        max: Duration::from_millis(400),
        give_up_after: Duration::from_secs(60),
    }
}

#[tokio::test]
async fn generic_json_carries_title_text_level_and_items() {
    let rx = Receiver::default();
    let addr = rx.start().await;
    let hook = Webhook::new(
        "ops",
        WebhookKind::Generic,
        &format!("http://{addr}/hook"),
        None,
        Some("s3cret"),
    );
    let client = reqwest::Client::new();
    deliver(&client, &hook, &alert(&["erp/web"]), "t1")
        .await
        .unwrap();
    let got = rx.delivered();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.method, Method::POST);
    assert_eq!(r.path, "/hook");
    assert_eq!(r.auth.as_deref(), Some("Bearer s3cret"));
    assert_eq!(r.body["source"], "vigie");
    assert_eq!(r.body["level"], "critical");
    assert_eq!(
        r.body["title"],
        "Vigie: DOWN erp/web: HTTP 503 Service Unavailable"
    );
    assert_eq!(r.body["items"][0]["check"], "erp/web");
    assert_eq!(r.body["items"][0]["status"], "down");
    assert_eq!(r.body["items"][0]["at"], "2026-11-22T03:04:05+00:00");
}

#[tokio::test]
async fn matrix_puts_a_room_message_with_the_bearer_token() {
    let rx = Receiver::default();
    let addr = rx.start().await;
    let hook = Webhook::new(
        "matrix",
        WebhookKind::Matrix,
        &format!("http://{addr}"),
        Some("!abc:example.org"),
        Some("syt_token"),
    );
    let client = reqwest::Client::new();
    deliver(
        &client,
        &hook,
        &alert(&["erp/web", "mutu-1/node"]),
        "vigie-1",
    )
    .await
    .unwrap();
    let r = &rx.delivered()[0];
    assert_eq!(r.method, Method::PUT);
    // The room id is one path segment, percent-encoded where it must be.
    assert_eq!(
        r.path,
        "/_matrix/client/v3/rooms/!abc:example.org/send/m.room.message/vigie-1"
    );
    assert_eq!(r.auth.as_deref(), Some("Bearer syt_token"));
    assert_eq!(r.body["msgtype"], "m.text");
    let body = r.body["body"].as_str().unwrap();
    assert!(body.starts_with("Vigie: 2 down\n"), "{body}");
    assert!(body.contains("DOWN mutu-1/node"), "{body}");
}

#[tokio::test]
async fn mattermost_and_slack_get_a_text_field() {
    let rx = Receiver::default();
    let addr = rx.start().await;
    let hook = Webhook::new(
        "mm",
        WebhookKind::Slack,
        &format!("http://{addr}/hooks/xyz"),
        None,
        None,
    );
    let client = reqwest::Client::new();
    deliver(&client, &hook, &alert(&["erp/web"]), "t")
        .await
        .unwrap();
    let r = &rx.delivered()[0];
    assert_eq!(r.method, Method::POST);
    assert_eq!(r.auth, None);
    assert_eq!(
        r.body,
        serde_json::json!({ "text": "Vigie: DOWN erp/web: HTTP 503 Service Unavailable" })
    );
}

#[tokio::test]
async fn a_failing_receiver_is_retried_until_it_answers() {
    let rx = Receiver::with_script(&[500, 502]);
    let addr = rx.start().await;
    let hook = Webhook::new(
        "ops",
        WebhookKind::Slack,
        &format!("http://{addr}/h"),
        None,
        None,
    );
    let outbox = Outbox::start(vec![hook], fast()).unwrap();
    outbox.send(&alert(&["erp/web"]));
    let got = rx.wait_delivered(1, 10).await;
    assert_eq!(got.len(), 1);
    assert_eq!(rx.got.lock().unwrap().len(), 3, "500, 502, then 200");
    assert_eq!(outbox.stats.attempts.load(Ordering::Relaxed), 3);
    assert_eq!(outbox.stats.delivered.load(Ordering::Relaxed), 1);
}

#[tokio::test]
async fn a_receiver_started_late_gets_the_alert_and_a_burst_as_one_summary() {
    // A free port, with nothing listening yet.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let hook = Webhook::new(
        "matrix",
        WebhookKind::Matrix,
        &format!("http://127.0.0.1:{port}"),
        Some("!room:example.org"),
        Some("tok"),
    );
    let outbox = Outbox::start(vec![hook], fast()).unwrap();
    outbox.send(&alert(&["a/web"]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    outbox.send(&alert(&["b/web"]));
    outbox.send(&Alert {
        items: vec![item("a/web", Level::Ok), item("c/web", Level::Critical)],
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(outbox.stats.attempts.load(Ordering::Relaxed) >= 2);
    assert_eq!(outbox.stats.delivered.load(Ordering::Relaxed), 0);
    // The receiver comes up on that port.
    let rx = Receiver::default();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    rx.serve_on(listener).await;
    let got = rx.wait_delivered(1, 10).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.delivered().len(), 1, "one summary, not three messages");
    let body = got[0].body["body"].as_str().unwrap();
    assert!(body.starts_with("Vigie: 2 down, 1 recovered"), "{body}");
    assert!(
        body.contains("RECOVERED a/web"),
        "latest change per check: {body}"
    );
    assert!(
        body.contains("DOWN b/web") && body.contains("DOWN c/web"),
        "{body}"
    );
}

#[test]
fn secrets_come_from_env_or_owner_only_files() {
    use std::os::unix::fs::PermissionsExt;
    let env = |k: &str| (k == "VIGIE_HOOK_TOKEN").then(|| "from-env\n".to_string());
    assert_eq!(
        read_secret(&SecretSource::Env("VIGIE_HOOK_TOKEN".into()), &env).unwrap(),
        "from-env"
    );
    let missing = read_secret(&SecretSource::Env("NOPE".into()), &env).unwrap_err();
    assert!(missing.contains("NOPE"), "{missing}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token");
    std::fs::write(&path, "from-file\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let open = read_secret(&SecretSource::File(path.clone()), &env).unwrap_err();
    assert!(open.contains("chmod 600"), "{open}");
    assert!(
        !open.contains("from-file"),
        "the secret is not in the message"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        read_secret(&SecretSource::File(path), &env).unwrap(),
        "from-file"
    );
}

#[test]
fn webhook_configuration_is_checked() {
    let base =
        "[contracts.basic]\nintervention = { urgent = \"2h\" }\nhourly_rate = 1\nmonthly_fee = 0\n";
    let parse = |extra: &str| {
        vigie::config::parse(&format!("{base}{extra}"), std::path::Path::new("c.toml"))
    };
    let ok = parse(
        "[alerts]\nmerge_window = \"1m\"\n[[alerts.webhooks]]\nkind = \"matrix\"\nurl = \"https://m.example.org\"\nroom = \"!r:example.org\"\ntoken_env = \"T\"\n\
         [[alerts.webhooks]]\nname = \"mm\"\nkind = \"mattermost\"\nurl_env = \"MM_URL\"\n",
    )
    .unwrap();
    assert_eq!(ok.alerts.merge_window, Duration::from_secs(60));
    assert_eq!(ok.alerts.webhooks.len(), 2);
    assert_eq!(ok.alerts.webhooks[1].kind, WebhookKind::Slack);
    for (bad, says) in [
        (
            "[[alerts.webhooks]]\nkind = \"pager\"\nurl = \"http://x\"\n",
            "unknown webhook kind",
        ),
        (
            "[[alerts.webhooks]]\nkind = \"matrix\"\nurl = \"http://x\"\ntoken_env = \"T\"\n",
            "needs room",
        ),
        (
            "[[alerts.webhooks]]\nkind = \"generic\"\nurl = \"ftp://x\"\n",
            "invalid url",
        ),
        (
            "[[alerts.webhooks]]\nkind = \"generic\"\nurl = \"http://x\"\ntoken = \"inline\"\n",
            "unknown",
        ),
    ] {
        let e = parse(bad).unwrap_err().to_string();
        assert!(e.contains(says), "{bad}: {e}");
    }
}

/// The daemon itself: a check on a port nothing listens on goes down, and
/// the webhook receives one message saying so.
#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_alerts_when_a_check_goes_down() {
    let rx = Receiver::default();
    let addr = rx.start().await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[contracts.basic]\nintervention = {{ urgent = \"2h\" }}\nhourly_rate = 1\nmonthly_fee = 0\n\
             [hosts.erp]\naddress = \"127.0.0.1\"\n\
             [[hosts.erp.checks]]\nname = \"db\"\nkind = \"tcp\"\naddress = \"127.0.0.1:{closed}\"\ndown_after = 1\n\
             [alerts]\nmerge_window = \"1s\"\n\
             [[alerts.webhooks]]\nkind = \"generic\"\nurl = \"http://{addr}/alert\"\ntoken_env = \"VIGIE_TEST_HOOK\"\n"
        ),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .arg("--config")
        .arg(&config)
        .arg("--db")
        .arg(dir.path().join("vigie.db"))
        .arg("--log")
        .arg(dir.path().join("vigie.log"))
        .arg("daemon")
        .env("VIGIE_TEST_HOOK", "hook-token")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let got = rx.wait_delivered(1, 20).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(got[0].auth.as_deref(), Some("Bearer hook-token"));
    // Paged through the alert list (issue 22): the page names the alert.
    assert_eq!(got[0].body["alerts"][0], "checks:erp/db");
    assert_eq!(got[0].body["kind"], "firing");
    assert_eq!(got[0].body["severity"], "critical");
    let log = std::fs::read_to_string(dir.path().join("vigie.log")).unwrap_or_default();
    assert!(!log.contains("hook-token"), "the token is never logged");
}

/// A timezone in which it is about 10:00 now, so a store's hours can be
/// set around the current time without crossing midnight.
fn morning_zone() -> (String, i64) {
    use chrono::Timelike;
    let now = Utc::now();
    let mut offset = 10 - i64::from(now.hour());
    if offset < -12 {
        offset += 24;
    }
    let name = match offset {
        0 => "UTC".to_string(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    };
    let local = i64::from(now.hour() * 60 + now.minute()) + offset * 60;
    (name, local.rem_euclid(1440))
}

/// A config with one store whose till listens nowhere, open from `open`
/// to `close` minutes after local midnight, probed every second, and a
/// generic webhook to `hook`.
fn pos_daemon_config(
    dir: &std::path::Path,
    hook: SocketAddr,
    open: i64,
    close: i64,
) -> std::path::PathBuf {
    let (zone, _) = morning_zone();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let hhmm = |m: i64| format!("{:02}:{:02}", m / 60, m % 60);
    let hours: Vec<String> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| format!("{d} = \"{}-{}\"", hhmm(open), hhmm(close)))
        .collect();
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[contracts.basic]\nintervention = {{ urgent = \"2h\" }}\nhourly_rate = 1\nmonthly_fee = 0\n\
             [pos]\ninterval = \"1s\"\nalert_after = \"1s\"\n\
             [clients.coop]\nname = \"Coop\"\ntimezone = \"{zone}\"\ncontract = \"basic\"\n\
             [clients.coop.sites.sud]\nname = \"Magasin Sud\"\nhours = {{ {} }}\n\
             [clients.coop.sites.sud.pos]\ntills = [{{ name = \"Caisse 1\", address = \"127.0.0.1\", port = {closed} }}]\n\
             [alerts]\nmerge_window = \"1s\"\n\
             [[alerts.webhooks]]\nkind = \"generic\"\nurl = \"http://{hook}/alert\"\n",
            hours.join(", ")
        ),
    )
    .unwrap();
    config
}

fn start_daemon(dir: &std::path::Path, config: &std::path::Path) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
        .arg("--config")
        .arg(config)
        .arg("--db")
        .arg(dir.join("vigie.db"))
        .arg("--log")
        .arg(dir.join("vigie.log"))
        .arg("daemon")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn stop(mut child: std::process::Child) {
    // SAFETY: kill has no memory preconditions; the pid is our child's.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let _ = child.wait();
}

/// Waits until the daemon has kept `rounds` rounds of the store written
/// after `after` (so it had every chance to alert), and returns.
async fn wait_rounds(db: &std::path::Path, after: chrono::DateTime<Utc>, rounds: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let newest = vigie::store::Reader::open(db)
            .ok()
            .and_then(|r| r.pos_stores(None).ok())
            .and_then(|s| s.values().map(|x| x.at).max());
        if newest.is_some_and(|at| at > after + chrono::TimeDelta::seconds(rounds)) {
            return;
        }
        assert!(Instant::now() < deadline, "the daemon wrote no POS round");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A till down ten minutes after opening (the critical period) pages: the
/// store's alert goes out as critical. Restarted on the same store, the
/// daemon does not send it again.
#[tokio::test(flavor = "multi_thread")]
async fn a_till_down_at_opening_pages_once_across_a_daemon_restart() {
    let rx = Receiver::default();
    let addr = rx.start().await;
    let dir = tempfile::tempdir().unwrap();
    let (_, local) = morning_zone();
    let config = pos_daemon_config(dir.path(), addr, local - 10, local + 360);
    let daemon = start_daemon(dir.path(), &config);
    let got = rx.wait_delivered(1, 30).await;
    stop(daemon);
    assert_eq!(got[0].body["severity"], "critical", "{}", got[0].body);
    let id = got[0].body["alerts"][0].as_str().unwrap_or_default();
    assert!(id.starts_with("pos:coop/sud/"), "{id}");
    let text = got[0].body["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("Magasin Sud") && text.contains("Caisse 1"),
        "{text}"
    );

    let restarted = Utc::now();
    let daemon = start_daemon(dir.path(), &config);
    wait_rounds(&dir.path().join("vigie.db"), restarted, 4).await;
    stop(daemon);
    assert_eq!(
        rx.delivered().len(),
        1,
        "not sent again after the restart: {:?}",
        rx.delivered()
    );
}

/// The same till down in the middle of the day (tills work offline) is a
/// warning: sent, but not at the critical level that pages.
#[tokio::test(flavor = "multi_thread")]
async fn a_till_down_outside_critical_periods_is_a_warning() {
    let rx = Receiver::default();
    let addr = rx.start().await;
    let dir = tempfile::tempdir().unwrap();
    let (_, local) = morning_zone();
    let config = pos_daemon_config(dir.path(), addr, local - 180, local + 180);
    let daemon = start_daemon(dir.path(), &config);
    let got = rx.wait_delivered(1, 30).await;
    stop(daemon);
    assert_eq!(got[0].body["severity"], "warning", "{}", got[0].body);
    let title = got[0].body["title"].as_str().unwrap_or_default();
    assert!(title.starts_with("Vigie: ▲ Magasin Sud"), "{title}");
}

/// An announced maintenance window on the client covers its stores: the
/// till down at opening sends nothing while it lasts.
#[tokio::test(flavor = "multi_thread")]
async fn a_maintenance_window_silences_the_stores_alerts() {
    use vigie::model::maintenance::{Kind, MaintenanceWindow, Target, WindowState};
    let rx = Receiver::default();
    let addr = rx.start().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigie.db");
    let now = Utc::now();
    {
        let writer = vigie::store::Writer::spawn(&db).unwrap();
        writer
            .send(vigie::store::WriteOp::SaveWindow(MaintenanceWindow {
                uid: "w1@test".into(),
                target: Target::Client("coop".into()),
                kind: Kind::Emergency,
                start: now - chrono::TimeDelta::minutes(30),
                end: now + chrono::TimeDelta::hours(2),
                title: "Odoo upgrade".into(),
                state: WindowState::Announced,
                sequence: 0,
                created: now - chrono::TimeDelta::days(2),
                stamp: now - chrono::TimeDelta::days(2),
                announced: Some(now - chrono::TimeDelta::days(2)),
            }))
            .unwrap();
        writer.flush().unwrap();
    }
    let (_, local) = morning_zone();
    let config = pos_daemon_config(dir.path(), addr, local - 10, local + 360);
    let started = Utc::now();
    let daemon = start_daemon(dir.path(), &config);
    wait_rounds(&db, started, 4).await;
    stop(daemon);
    let stored = vigie::store::Reader::open(&db)
        .unwrap()
        .pos_stores(None)
        .unwrap();
    assert_eq!(
        stored.values().next().map(|s| s.view.status),
        Some(Status::Down),
        "the store is critical, yet nothing is sent"
    );
    assert!(rx.delivered().is_empty(), "{:?}", rx.delivered());
}
