//! HTTP(S) and TCP probes against real servers on loopback: an HTTP server,
//! HTTPS servers with certificates made here (valid, expiring in 5 days,
//! expired, untrusted), a listener that never answers, one that answers
//! garbage, and a closed port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use vigie::model::{CheckKind, HttpCheck, JsonCondition, JsonOp, Status};
use vigie::sources::{Probe, Sources};

async fn http_server() -> SocketAddr {
    let big = || async {
        // 50 MB, streamed: the probe must stop long before the end.
        let chunk = bytes_of(1 << 20);
        let stream =
            futures::stream::iter((0..50).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
        axum::body::Body::from_stream(stream)
    };
    let app = Router::new()
        .route("/ok", get(|| async { "all good here" }))
        .route(
            "/json",
            get(|| async { r#"{"status": "pass", "queue": {"pending": 12}}"# }),
        )
        .route("/web/health", get(|| async { r#"{"status": "fail"}"# }))
        .route(
            "/moved",
            get(|| async { (axum::http::StatusCode::FOUND, [("location", "/ok")], "") }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                "late"
            }),
        )
        .route("/big", get(big))
        .route(
            "/binary",
            get(|| async { vec![0xff_u8, 0xfe, 0x00, b'o', b'k'] }),
        )
        .route(
            "/broken",
            get(|| async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

fn bytes_of(n: usize) -> bytes::Bytes {
    bytes::Bytes::from(vec![b'x'; n])
}

/// Accepts connections and never says a word.
async fn silent_listener() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    addr
}

/// Answers every connection with bytes that are not HTTP, then closes.
async fn garbage_listener() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let _ = s
                .write_all(b"\x00\x01GARBAGE\x1b[2J not http\r\n\r\n")
                .await;
        }
    });
    addr
}

fn closed_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// A test CA, and leaves it signs for `localhost`.
struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pem: String,
}

fn ca() -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        params,
        key,
    }
}

/// A leaf valid from `from_days` to `to_days` (relative to now).
fn leaf(ca: &Ca, from_days: i64, to_days: i64) -> (Vec<u8>, Vec<u8>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now + time::Duration::days(from_days);
    params.not_after = now + time::Duration::days(to_days);
    let issuer = Issuer::from_params(&ca.params, &ca.key);
    let cert = params.signed_by(&key, &issuer).unwrap();
    (cert.der().to_vec(), key.serialize_der())
}

/// An HTTPS server answering 200 "ok" with the given certificate.
async fn https_server(cert_der: Vec<u8>, key_der: Vec<u8>) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert_der.into()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key_der.into()),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

async fn probe(sources: &Sources, check: HttpCheck) -> Probe {
    sources
        .probe(&CheckKind::Http(check), Duration::from_secs(5))
        .await
}

fn at(addr: SocketAddr, path: &str) -> HttpCheck {
    HttpCheck::get(format!("http://{addr}{path}"))
}

#[tokio::test]
async fn status_body_and_json_conditions() {
    let addr = http_server().await;
    let s = Sources::new().unwrap();
    let ok = probe(&s, at(addr, "/ok")).await;
    assert_eq!(ok.status, Status::Up, "{}", ok.message);
    assert!(ok.latency_ms.is_some());

    let broken = probe(&s, at(addr, "/broken")).await;
    assert_eq!(broken.status, Status::Down);
    assert_eq!(broken.message, "HTTP 500 Internal Server Error");
    let mut accept_500 = at(addr, "/broken");
    accept_500.expect_status = vec![500];
    assert_eq!(probe(&s, accept_500).await.status, Status::Up);

    let mut word = at(addr, "/ok");
    word.body_contains = Some("good".into());
    assert_eq!(probe(&s, word.clone()).await.status, Status::Up);
    word.body_contains = Some("missing".into());
    let p = probe(&s, word).await;
    assert_eq!(p.status, Status::Down);
    assert!(
        p.message.contains("body lacks \"missing\""),
        "{}",
        p.message
    );

    let cond = |pointer: &str, op, value| {
        let mut c = at(addr, "/json");
        c.json = Some(JsonCondition {
            pointer: pointer.into(),
            op,
            value,
        });
        c
    };
    let pass = serde_json::json!("pass");
    assert_eq!(
        probe(&s, cond("/status", JsonOp::Eq, pass.clone()))
            .await
            .status,
        Status::Up
    );
    assert_eq!(
        probe(
            &s,
            cond("/queue/pending", JsonOp::Lt, serde_json::json!(100))
        )
        .await
        .status,
        Status::Up
    );
    let p = probe(
        &s,
        cond("/queue/pending", JsonOp::Gt, serde_json::json!(100)),
    )
    .await;
    assert_eq!(p.message, "JSON /queue/pending is 12, expected > 100");
    let p = probe(&s, cond("/nope", JsonOp::Exists, serde_json::Value::Null)).await;
    assert_eq!(p.message, "JSON /nope missing");
    let mut not_json = at(addr, "/ok");
    not_json.json = cond("/status", JsonOp::Eq, pass).json;
    assert_eq!(probe(&s, not_json).await.message, "body is not JSON");
}

#[tokio::test]
async fn odoo_health_fails_on_status_fail() {
    let addr = http_server().await;
    let s = Sources::new().unwrap();
    let mut odoo = at(addr, "/web/health");
    odoo.odoo = true;
    odoo.json = Some(JsonCondition {
        pointer: "/status".into(),
        op: JsonOp::Eq,
        value: serde_json::json!("pass"),
    });
    let p = probe(&s, odoo.clone()).await;
    assert_eq!(p.status, Status::Down);
    assert_eq!(p.message, "JSON /status is \"fail\", expected == \"pass\"");
    odoo.url = format!("http://{addr}/json");
    assert_eq!(probe(&s, odoo).await.status, Status::Up);
}

#[tokio::test]
async fn redirects_followed_or_judged_as_they_are() {
    let addr = http_server().await;
    let s = Sources::new().unwrap();
    let followed = probe(&s, at(addr, "/moved")).await;
    assert_eq!(followed.status, Status::Up, "{}", followed.message);
    let mut not = at(addr, "/moved");
    not.max_redirects = 0;
    let p = probe(&s, not.clone()).await;
    assert_eq!(
        (p.status, p.message.as_str()),
        (Status::Down, "HTTP 302 Found")
    );
    not.expect_status = vec![302];
    assert_eq!(probe(&s, not).await.status, Status::Up);
}

#[tokio::test]
async fn slow_answers_are_degraded() {
    let addr = http_server().await;
    let s = Sources::new().unwrap();
    let mut slow = at(addr, "/slow");
    slow.slow_ms = 100;
    let p = probe(&s, slow).await;
    assert_eq!(p.status, Status::Degraded, "{}", p.message);
    assert!(p.message.contains("slow"), "{}", p.message);
}

#[tokio::test]
async fn huge_and_binary_bodies_are_read_bounded_and_lossy() {
    let addr = http_server().await;
    let s = Sources::new().unwrap();
    let mut big = at(addr, "/big");
    big.body_contains = Some("y".into());
    let p = probe(&s, big).await;
    // Only the first 64 KiB were read: the keyword is not there.
    assert_eq!(p.status, Status::Down);
    assert!(p.message.contains("body lacks"), "{}", p.message);
    let mut bin = at(addr, "/binary");
    bin.body_contains = Some("ok".into());
    assert_eq!(probe(&s, bin).await.status, Status::Up);
}

#[tokio::test]
async fn silent_garbage_closed_and_unresolvable_targets_are_down_with_a_cause() {
    let s = Sources::new().unwrap();
    let silent = silent_listener().await;
    let p = s
        .probe(
            &CheckKind::Http(at(silent, "/")),
            Duration::from_millis(300),
        )
        .await;
    assert_eq!(p.status, Status::Down);
    assert_eq!(p.message, "no answer within 300ms");

    let garbage = garbage_listener().await;
    let p = probe(&s, at(garbage, "/")).await;
    assert_eq!(p.status, Status::Down);
    assert!(!p.message.contains('\u{1b}'), "{}", p.message);

    let closed = closed_port();
    let p = probe(&s, at(closed, "/")).await;
    assert_eq!(p.status, Status::Down);
    assert!(p.message.starts_with("connection failed"), "{}", p.message);

    let p = probe(&s, HttpCheck::get("http://no-such-host.invalid/")).await;
    assert_eq!(p.status, Status::Down);
    assert_eq!(p.message, "cannot resolve name no-such-host.invalid");

    let tcp = |addr: SocketAddr| CheckKind::Tcp {
        address: addr.to_string(),
        slow_ms: 1_000,
    };
    let up = s.probe(&tcp(silent), Duration::from_secs(2)).await;
    assert_eq!(up.status, Status::Up);
    assert!(up.latency_ms.is_some());
    let down = s.probe(&tcp(closed), Duration::from_secs(2)).await;
    assert_eq!(down.status, Status::Down);
}

#[tokio::test]
async fn certificates_days_left_expiry_and_trust() {
    let ca = ca();
    let root = reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap();
    let s = Sources::with_roots(vec![root]).unwrap();
    let days = |p: &Probe| {
        p.metrics
            .iter()
            .find(|m| m.name == "tls_days_left")
            .map(|m| m.value)
    };

    let (cert, key) = leaf(&ca, -1, 90);
    let good = https_server(cert, key).await;
    let p = probe(
        &s,
        HttpCheck::get(format!("https://localhost:{}/", good.port())),
    )
    .await;
    assert_eq!(p.status, Status::Up, "{}", p.message);
    assert!((89.0..=90.0).contains(&days(&p).unwrap()), "{:?}", days(&p));

    let (cert, key) = leaf(&ca, -80, 5);
    let soon = https_server(cert, key).await;
    let p = probe(
        &s,
        HttpCheck::get(format!("https://localhost:{}/", soon.port())),
    )
    .await;
    assert_eq!(
        p.status,
        Status::Down,
        "5 days is under the 7-day critical: {}",
        p.message
    );
    assert!(
        p.message.contains("certificate expires in "),
        "{}",
        p.message
    );
    let mut lenient = HttpCheck::get(format!("https://localhost:{}/", soon.port()));
    lenient.tls_crit_days = 3;
    assert_eq!(probe(&s, lenient).await.status, Status::Degraded);

    let (cert, key) = leaf(&ca, -90, -3);
    let expired = https_server(cert, key).await;
    let p = probe(
        &s,
        HttpCheck::get(format!("https://localhost:{}/", expired.port())),
    )
    .await;
    assert_eq!(p.status, Status::Down);
    assert_eq!(p.message, "certificate expired 3 days ago");
    assert!(days(&p).unwrap() < 0.0);

    // The same good server, but Vigie does not trust the test CA.
    let untrusting = Sources::new().unwrap();
    let p = probe(
        &untrusting,
        HttpCheck::get(format!("https://localhost:{}/", good.port())),
    )
    .await;
    assert_eq!(p.status, Status::Down);
    assert!(p.message.starts_with("certificate"), "{}", p.message);
}
