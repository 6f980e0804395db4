//! Receivers that are not webhooks, each against a real counterpart on
//! loopback: e-mail through a real SMTP server (Debian's aiosmtpd, started
//! by the test), ntfy through a stand-in that follows ntfy's publish API
//! (JSON to the root URL), the "Acknowledge" button through the daemon's
//! real listener and store, and Matrix's rate limit (429 with
//! `retry_after_ms`) through a stand-in homeserver.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use chrono::{TimeZone, Utc};
use vigie::alerts::ack::{Acks, serve};
use vigie::alerts::email::Email;
use vigie::alerts::ntfy::Ntfy;
use vigie::alerts::page::{Page, PageKind};
use vigie::alerts::receiver::{Receiver, http_client};
use vigie::alerts::{Webhook, ack::Links};
use vigie::model::alert::WebhookKind;
use vigie::model::attention::{Alert, Domain, Points, Severity, Subject, View};
use vigie::model::receiver::{EmailSpec, NtfySpec, SmtpTls};

fn alert(id: &str, client: &str, reason: &str, severity: Severity) -> Alert {
    Alert {
        id: id.into(),
        domain: Domain::Checks,
        severity,
        subject: Subject {
            clients: vec![client.into()],
            host: Some("erp-prod".into()),
            item: "odoo".into(),
        },
        since: Utc.with_ymd_and_hms(2026, 12, 8, 3, 4, 5).single().unwrap(),
        reason: reason.into(),
        points: Points {
            view: View::Health,
            row: "erp-prod".into(),
        },
    }
}

fn page(kind: PageKind, alerts: Vec<Alert>, to: Option<&str>) -> Page {
    Page {
        kind,
        alerts,
        at: Utc::now(),
        to: to.map(String::from),
    }
}

// ---------------------------------------------------------------- e-mail

/// aiosmtpd on loopback, requiring AUTH (user vigie, password sesame),
/// writing each message and its envelope to a directory.
struct Smtp {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

const SMTP_SERVER: &str = r#"
import email, os, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, out = int(sys.argv[1]), sys.argv[2]

class Keep:
    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(out) if f.endswith(".eml")])
        base = os.path.join(out, str(n))
        with open(base + ".env", "w") as f:
            login = getattr(session.auth_data, "login", b"") or b""
            f.write("login=%s\n" % login.decode())
            f.write("from=%s\n" % envelope.mail_from)
            for r in envelope.rcpt_tos:
                f.write("to=%s\n" % r)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".tmp", base + ".eml")
        # The body as a mail reader shows it (quoted-printable decoded).
        msg = email.message_from_bytes(envelope.original_content)
        with open(base + ".txt", "wb") as f:
            f.write(msg.get_payload(decode=True))
        return "250 2.0.0 kept as %d" % n

def auth(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == b"vigie" and data.password == b"sesame"
    return AuthResult(success=ok, handled=False, auth_data=data)

c = Controller(Keep(), hostname="127.0.0.1", port=port, authenticator=auth,
               auth_required=True, auth_require_tls=False)
c.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
"#;

fn free_port() -> u16 {
    // aiosmtpd's controller cannot report a port 0 it bound: take a free
    // ephemeral one and hand it over.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl Smtp {
    fn start() -> Smtp {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("smtp.py");
        std::fs::write(&script, SMTP_SERVER).unwrap();
        let out = dir.path().join("mail");
        std::fs::create_dir(&out).unwrap();
        let port = free_port();
        // Debian's python3, where python3-aiosmtpd is installed.
        let mut child = Command::new("/usr/bin/python3")
            .arg(&script)
            .arg(port.to_string())
            .arg(&out)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd (apt-get install python3-aiosmtpd)");
        let mut line = String::new();
        use std::io::BufRead;
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "aiosmtpd did not start");
        Smtp { child, port, dir }
    }

    fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    fn received(&self, n: usize) -> (String, String) {
        let base = self.mail_dir().join(n.to_string());
        let eml = std::fs::read_to_string(base.with_extension("eml")).unwrap();
        let env = std::fs::read_to_string(base.with_extension("env")).unwrap();
        (eml, env)
    }

    /// The decoded body of message `n`.
    fn body(&self, n: usize) -> String {
        std::fs::read_to_string(self.mail_dir().join(n.to_string()).with_extension("txt")).unwrap()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn email_spec(port: u16) -> EmailSpec {
    EmailSpec {
        server: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        username: Some("vigie".into()),
        password: None,
        from: "Vigie <vigie@example.coop>".into(),
        to: vec![
            "oncall@example.coop".into(),
            "Camille <camille@example.coop>".into(),
        ],
    }
}

/// The header block of a message, unfolded: one entry per header.
fn headers(eml: &str) -> Vec<String> {
    let head = eml.split("\r\n\r\n").next().unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.push_str(line);
            }
        } else {
            out.push(line.to_string());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn an_email_page_reaches_a_real_smtp_server_with_auth() {
    let smtp = Smtp::start();
    let email = Email::new("mail", &email_spec(smtp.port), Some("sesame".into())).unwrap();
    let page = page(
        PageKind::Firing,
        vec![alert(
            "checks:erp-prod/odoo",
            "acme",
            "HTTP 503 Service Unavailable",
            Severity::Critical,
        )],
        None,
    );
    let answer = Receiver::Email(email)
        .send(&http_client().unwrap(), &page)
        .await
        .unwrap();
    assert_eq!(answer, "250 2.0.0 kept as 0");
    let (eml, env) = smtp.received(0);
    assert!(env.contains("login=vigie\n"), "{env}");
    assert!(env.contains("from=vigie@example.coop\n"), "{env}");
    assert!(env.contains("to=oncall@example.coop\n"), "{env}");
    assert!(env.contains("to=camille@example.coop\n"), "{env}");
    let heads = headers(&eml);
    let subject = heads.iter().find(|h| h.starts_with("Subject: ")).unwrap();
    assert!(subject.contains("erp-prod/odoo"), "{subject}");
    assert!(
        heads
            .iter()
            .any(|h| h == "From: Vigie <vigie@example.coop>"),
        "{heads:?}"
    );
    assert!(
        heads
            .iter()
            .any(|h| h.starts_with("Content-Type: text/plain")),
        "{heads:?}"
    );
    let body = smtp.body(0);
    assert!(body.contains("HTTP 503 Service Unavailable"), "{body}");
    assert!(body.contains("[acme]"), "{body}");
    assert!(body.contains("vigie ack checks:erp-prod/odoo"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reason_or_client_with_line_breaks_never_adds_a_header() {
    let smtp = Smtp::start();
    let email = Email::new("mail", &email_spec(smtp.port), Some("sesame".into())).unwrap();
    let page = page(
        PageKind::Firing,
        vec![alert(
            "checks:erp-prod/odoo",
            "acme\r\nX-Injected: client",
            "down\r\nBcc: victim@example.org\nX-Evil: 1",
            Severity::Critical,
        )],
        None,
    );
    email.send(&page).await.unwrap();
    let (eml, env) = smtp.received(0);
    for h in headers(&eml) {
        let name = h.split(':').next().unwrap_or_default().to_ascii_lowercase();
        assert!(
            !["bcc", "x-evil", "x-injected"].contains(&name.as_str()),
            "injected header {h:?} in\n{eml}"
        );
    }
    assert!(!env.contains("victim"), "{env}");
    // The words are still there, on one line.
    let body = smtp.body(0);
    assert!(body.contains("Bcc: victim@example.org X-Evil: 1"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_smtp_password_is_a_readable_failure() {
    let smtp = Smtp::start();
    let email = Email::new("mail", &email_spec(smtp.port), Some("wrong".into())).unwrap();
    let why = email
        .send(&page(PageKind::Test, Vec::new(), None))
        .await
        .unwrap_err();
    assert!(why.to_lowercase().contains("auth"), "{why}");
    assert!(!why.contains("wrong"), "the password is not shown: {why}");
    assert_eq!(std::fs::read_dir(smtp.mail_dir()).unwrap().count(), 0);
}

// ------------------------------------------------------------------ ntfy

#[derive(Debug, Clone)]
struct Got {
    method: Method,
    path: String,
    auth: Option<String>,
    body: serde_json::Value,
}

/// A stand-in homeserver or ntfy server: records every request, answers
/// the scripted statuses (with their bodies) in order, then `ok`.
#[derive(Clone)]
struct StandIn {
    got: Arc<Mutex<Vec<(Instant, Got)>>>,
    script: Arc<Mutex<VecDeque<(u16, String)>>>,
    ok: fn(&Got) -> (u16, String),
}

impl StandIn {
    fn new(ok: fn(&Got) -> (u16, String)) -> StandIn {
        StandIn {
            got: Arc::default(),
            script: Arc::default(),
            ok,
        }
    }

    async fn start(&self) -> SocketAddr {
        let me = self.clone();
        let app = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let me = me.clone();
                async move {
                    let got = Got {
                        method,
                        path: uri.path().to_string(),
                        auth: headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .map(String::from),
                        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
                    };
                    let scripted = me.script.lock().unwrap().pop_front();
                    let (code, text) = scripted.unwrap_or_else(|| (me.ok)(&got));
                    me.got.lock().unwrap().push((Instant::now(), got));
                    (StatusCode::from_u16(code).unwrap(), text)
                }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        addr
    }

    fn got(&self) -> Vec<(Instant, Got)> {
        self.got.lock().unwrap().clone()
    }
}

/// What ntfy's publish API does with a JSON message: it is POSTed (or
/// PUT) to the root URL, names its topic, and an access token is a bearer
/// token; the answer is the message as stored, with its id.
fn ntfy_publish(got: &Got) -> (u16, String) {
    if got.auth.as_deref() != Some("Bearer tk_phone") {
        return (
            401,
            r#"{"code":40101,"http":401,"error":"unauthorized"}"#.into(),
        );
    }
    let Some(topic) = got.body.get("topic").and_then(|t| t.as_str()) else {
        return (
            400,
            r#"{"code":40001,"http":400,"error":"invalid request"}"#.into(),
        );
    };
    if !matches!(got.method, Method::POST | Method::PUT) || got.path != "/" {
        return (
            404,
            r#"{"code":40401,"http":404,"error":"page not found"}"#.into(),
        );
    }
    (
        200,
        serde_json::json!({"id": "sPs71M8A2T", "time": 1700000000, "event": "message", "topic": topic})
            .to_string(),
    )
}

fn ntfy(addr: SocketAddr, links: Option<Arc<Links>>) -> Ntfy {
    Ntfy::new(
        "phone",
        &NtfySpec {
            url: format!("http://{addr}/vigie-oncall"),
            token: None,
            tags: vec!["coop".into()],
        },
        Some("tk_phone".into()),
        links,
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ntfy_page_is_published_as_json_with_priority_tags_and_an_ack_button() {
    let server = StandIn::new(ntfy_publish);
    let addr = server.start().await;
    let links = Arc::new(Links::new(
        "https://vigie.example.coop",
        b"0123456789abcdef",
        Duration::from_secs(3600),
    ));
    let critical = page(
        PageKind::Firing,
        vec![alert(
            "checks:erp-prod/odoo",
            "acme",
            "HTTP 503",
            Severity::Critical,
        )],
        Some("camille"),
    );
    let answer = Receiver::Ntfy(ntfy(addr, Some(links)))
        .send(&http_client().unwrap(), &critical)
        .await
        .unwrap();
    assert_eq!(answer, "HTTP 200 id sPs71M8A2T");
    let got = server.got();
    assert_eq!(got.len(), 1);
    let body = &got[0].1.body;
    assert_eq!(body["topic"], "vigie-oncall");
    assert_eq!(body["priority"], 5);
    assert_eq!(body["tags"], serde_json::json!(["rotating_light", "coop"]));
    assert_eq!(body["title"], critical.title());
    assert_eq!(body["message"], critical.text());
    let action = &body["actions"][0];
    assert_eq!(action["action"], "http");
    assert_eq!(action["label"], "Acknowledge");
    assert_eq!(action["method"], "POST");
    let url = action["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://vigie.example.coop/ack/checks:erp-prod%2Fodoo?by=camille&token="),
        "{url}"
    );

    // A warning rings less; a resolution has no button.
    let warning = page(
        PageKind::Firing,
        vec![alert(
            "backups:acme",
            "acme",
            "a night missing",
            Severity::Warning,
        )],
        None,
    );
    ntfy(addr, None)
        .send(&http_client().unwrap(), &warning)
        .await
        .unwrap();
    let resolved = page(
        PageKind::Resolved,
        vec![alert(
            "checks:erp-prod/odoo",
            "acme",
            "HTTP 503",
            Severity::Critical,
        )],
        None,
    );
    ntfy(addr, None)
        .send(&http_client().unwrap(), &resolved)
        .await
        .unwrap();
    let got = server.got();
    assert_eq!(got[1].1.body["priority"], 4);
    assert_eq!(got[2].1.body["priority"], 3);
    assert!(got[2].1.body.get("actions").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ntfy_refusal_is_an_error_with_its_words() {
    let server = StandIn::new(ntfy_publish);
    let addr = server.start().await;
    let wrong = Ntfy::new(
        "phone",
        &NtfySpec {
            url: format!("http://{addr}/vigie-oncall"),
            token: None,
            tags: Vec::new(),
        },
        Some("tk_stolen".into()),
        None,
    )
    .unwrap();
    let why = wrong
        .send(
            &http_client().unwrap(),
            &page(PageKind::Test, Vec::new(), None),
        )
        .await
        .unwrap_err();
    assert!(why.starts_with("HTTP 401"), "{why}");
    assert!(!why.contains("tk_stolen"), "{why}");
}

// ------------------------------------------------------ the ack button

fn store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigie.db");
    (dir, db)
}

fn ack_of(db: &Path, id: &str) -> Option<String> {
    vigie::store::Reader::open(db)
        .unwrap()
        .alert_records()
        .unwrap()
        .get(id)
        .and_then(|r| r.ack.as_ref().map(|a| a.by.clone()))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ntfy_button_acknowledges_once_through_the_daemon_listener() {
    let (_dir, db) = store();
    let writer = vigie::store::Writer::spawn(&db).unwrap();
    let key = b"0123456789abcdef0123";
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let acks = Arc::new(Acks::new(key, writer.handle()));
    let serving = serve(listener, acks.clone());

    // The button as the ntfy receiver makes it.
    let server = StandIn::new(ntfy_publish);
    let addr = server.start().await;
    let links = Arc::new(Links::new(&base, key, Duration::from_secs(600)));
    let id = "checks:erp-prod/odoo";
    ntfy(addr, Some(links))
        .send(
            &http_client().unwrap(),
            &page(
                PageKind::Firing,
                vec![alert(id, "acme", "HTTP 503", Severity::Critical)],
                Some("camille"),
            ),
        )
        .await
        .unwrap();
    let button = server.got()[0].1.body["actions"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();

    // The phone presses it: ntfy's http action is a POST.
    let client = reqwest::Client::new();
    let pressed = client.post(&button).send().await.unwrap();
    assert_eq!(pressed.status(), 200);
    writer.flush().unwrap();
    assert_eq!(ack_of(&db, id).as_deref(), Some("camille"));
    let audit = vigie::store::Reader::open(&db)
        .unwrap()
        .recent_audit(10)
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.actor == "camille" && format!("{e:?}").contains(id)),
        "{audit:?}"
    );

    // Pressed again (or replayed by someone who saw the URL): refused.
    let again = client.post(&button).send().await.unwrap();
    assert_eq!(again.status(), 403);
    assert!(again.text().await.unwrap().contains("already used"));

    // Another alert with this token, or another name: refused, not written.
    let other = button.replace("checks:erp-prod%2Fodoo", "checks:erp-prod%2Fweb");
    assert_eq!(client.post(&other).send().await.unwrap().status(), 403);
    let renamed = button.replace("by=camille", "by=mallory");
    assert_eq!(client.post(&renamed).send().await.unwrap().status(), 403);
    writer.flush().unwrap();
    assert_eq!(ack_of(&db, "checks:erp-prod/web"), None);

    // Guessing goes slowly: ten requests a minute from one address.
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(client.post(&other).send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    // Stopped as the daemon stops it: the store writer can then close.
    serving.abort();
    acks.release();
    // A good token once the writer is let go: not recorded, and it can be
    // pressed again later.
    let later = vigie::alerts::ack::token(key, "checks:erp-prod/db", "x", i64::MAX);
    let once = || {
        acks.acknowledge(
            [127, 0, 0, 2].into(),
            "checks:erp-prod/db",
            "x",
            &later,
            Utc::now(),
            Instant::now(),
        )
    };
    assert_eq!(once(), Err(vigie::alerts::ack::Refusal::Unavailable));
    assert_eq!(once(), Err(vigie::alerts::ack::Refusal::Unavailable));
}

// ---------------------------------------------------------------- matrix

#[tokio::test(flavor = "multi_thread")]
async fn matrix_waits_as_long_as_its_429_asks_then_posts_once() {
    let server = StandIn::new(|_| (200, r#"{"event_id":"$e"}"#.into()));
    server.script.lock().unwrap().push_back((
        429,
        r#"{"errcode":"M_LIMIT_EXCEEDED","error":"Too many requests","retry_after_ms":700}"#.into(),
    ));
    let addr = server.start().await;
    let hook = Webhook::new(
        "matrix",
        WebhookKind::Matrix,
        &format!("http://{addr}"),
        Some("!room:example.org"),
        Some("syt_token"),
    );
    let answer = Receiver::Webhook(hook)
        .send(
            &http_client().unwrap(),
            &page(PageKind::Test, Vec::new(), None),
        )
        .await
        .unwrap();
    assert_eq!(answer, "HTTP 200");
    let got = server.got();
    assert_eq!(got.len(), 2, "{got:?}");
    // The same transaction: the homeserver posts the message once.
    assert_eq!(got[0].1.path, got[1].1.path);
    assert!(
        got[1].0.duration_since(got[0].0) >= Duration::from_millis(700),
        "retried after {:?}",
        got[1].0.duration_since(got[0].0)
    );
}

#[test]
fn matrix_retry_after_reads_the_body_then_the_header() {
    use vigie::alerts::{MATRIX_MAX_WAIT, matrix_retry_after};
    assert_eq!(
        matrix_retry_after(
            br#"{"errcode":"M_LIMIT_EXCEEDED","retry_after_ms":2500}"#,
            Some("9")
        ),
        Duration::from_millis(2500)
    );
    assert_eq!(
        matrix_retry_after(b"garbage", Some("4")),
        Duration::from_secs(4)
    );
    assert_eq!(matrix_retry_after(b"", None), Duration::from_secs(1));
    assert_eq!(
        matrix_retry_after(br#"{"retry_after_ms":86400000}"#, None),
        MATRIX_MAX_WAIT
    );
}

// ---------------------------------------------------------------- config

#[test]
fn receivers_configuration_is_checked() {
    let base =
        "[contracts.basic]\nintervention = { urgent = \"2h\" }\nhourly_rate = 1\nmonthly_fee = 0\n";
    let parse = |extra: &str| {
        vigie::config::parse(&format!("{base}{extra}"), std::path::Path::new("c.toml"))
    };
    let ok = parse(
        "[alerts]\nlisten = \"127.0.0.1:9180\"\nack_url = \"https://vigie.example.coop\"\nack_secret_file = \"/etc/vigie/ack.key\"\n\
         [[alerts.receivers]]\nname = \"mail\"\nkind = \"email\"\nserver = \"smtp.example.coop\"\nusername = \"vigie\"\npassword_file = \"/etc/vigie/smtp\"\nfrom = \"Vigie <vigie@example.coop>\"\nto = [\"oncall@example.coop\"]\n\
         [[alerts.receivers]]\nname = \"phone\"\nkind = \"ntfy\"\nurl = \"https://ntfy.example.coop/oncall\"\ntoken_env = \"NTFY_TOKEN\"\ntags = [\"coop\"]\n",
    )
    .unwrap();
    assert_eq!(ok.alerts.receivers.len(), 2);
    match &ok.alerts.receivers[0].kind {
        vigie::model::receiver::ReceiverKind::Email(e) => {
            assert_eq!(e.tls, SmtpTls::StartTls);
            assert_eq!(e.port, 587);
        }
        other => panic!("{other:?}"),
    }
    let ack = ok.alerts.ack.unwrap();
    assert_eq!(ack.listen.port(), 9180);
    assert_eq!(ack.valid_for, Duration::from_secs(24 * 3600));
    let mail = "[[alerts.receivers]]\nname = \"mail\"\nkind = \"email\"\nfrom = \"v@example.coop\"\nto = [\"o@example.coop\"]\n";
    for (bad, says) in [
        (
            "[[alerts.receivers]]\nname = \"x\"\nkind = \"pager\"\n",
            "unknown receiver kind",
        ),
        (
            &format!("{mail}server = \"smtp.example.coop\"\ntls = \"none\"\n"),
            "only for a relay on this machine",
        ),
        (
            &format!("{mail}server = \"smtp.example.coop\"\nusername = \"vigie\"\n"),
            "give username with password_env",
        ),
        (
            "[[alerts.receivers]]\nname = \"mail\"\nkind = \"email\"\nserver = \"s\"\nfrom = \"not an address\"\nto = [\"o@example.coop\"]\n",
            "is not an e-mail address",
        ),
        (
            "[[alerts.receivers]]\nname = \"p\"\nkind = \"ntfy\"\nurl = \"https://ntfy.example.coop/\"\n",
            "the topic's URL",
        ),
        (
            "[[alerts.receivers]]\nname = \"p\"\nkind = \"ntfy\"\nurl = \"https://ntfy.example.coop/t\"\nserver = \"s\"\n",
            "server is not a key of ntfy receivers",
        ),
        (
            "[[alerts.webhooks]]\nname = \"team\"\nkind = \"generic\"\nurl = \"http://x\"\n[[alerts.receivers]]\nname = \"team\"\nkind = \"ntfy\"\nurl = \"https://n/t\"\n",
            "already used by a webhook",
        ),
        (
            "[alerts]\nlisten = \"127.0.0.1:9180\"\n",
            "needs ack_secret_file",
        ),
        ("[alerts]\nack_secret_file = \"/k\"\n", "needs listen"),
        (
            "[alerts]\nlisten = \"localhost\"\nack_secret_file = \"/k\"\n",
            "address and port",
        ),
    ] {
        let e = parse(bad).unwrap_err().to_string();
        assert!(e.contains(says), "{bad}: {e}");
    }
}

// ------------------------------------------------------ vigie alerts test

#[tokio::test(flavor = "multi_thread")]
async fn vigie_alerts_test_sends_a_test_page_and_prints_the_answer() {
    let server = StandIn::new(ntfy_publish);
    let addr = server.start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[contracts.basic]\nintervention = {{ urgent = \"2h\" }}\nhourly_rate = 1\nmonthly_fee = 0\n\
             [[alerts.receivers]]\nname = \"phone\"\nkind = \"ntfy\"\nurl = \"http://{addr}/vigie-oncall\"\ntoken_env = \"VIGIE_TEST_NTFY\"\n"
        ),
    )
    .unwrap();
    let db = dir.path().join("vigie.db");
    let run = move |name: &str| {
        Command::new(env!("CARGO_BIN_EXE_vigie"))
            .arg("--config")
            .arg(&config)
            .arg("--db")
            .arg(&db)
            .args(["alerts", "test", "--receiver", name])
            .env("VIGIE_TEST_NTFY", "tk_phone")
            .output()
            .unwrap()
    };
    let out = tokio::task::spawn_blocking(move || (run("phone"), run("pager")))
        .await
        .unwrap();
    let (sent, unknown) = out;
    assert_eq!(
        String::from_utf8_lossy(&sent.stdout).trim(),
        "phone: sent; it answered HTTP 200 id sPs71M8A2T",
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    assert_eq!(sent.status.code(), Some(0));
    let got = server.got();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1.body["tags"][0], "test_tube");
    assert_eq!(got[0].1.body["title"], "Vigie: test: a test message");
    assert_eq!(unknown.status.code(), Some(2));
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        said.contains("no receiver is called 'pager'; known: phone"),
        "{said}"
    );
}
