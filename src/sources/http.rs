//! HTTP(S) checks: status code, body keyword or JSON condition, latency,
//! redirects, and the TLS certificate's days left.

use std::time::Instant;

use chrono::Utc;

use super::bounded::{self, Over};
use super::{Probe, elapsed_ms};
use crate::model::metric::names;
use crate::model::{HTTP_BODY_LIMIT, HttpCheck, JsonCondition, JsonOp, Metric, Status, Threshold};
use crate::sanitize;

/// The clients an HTTP probe may use.
pub struct Clients<'a> {
    /// Follows the check's redirects, trusts the configured roots.
    pub normal: &'a reqwest::Client,
    /// Accepts any certificate: only to read an invalid one's dates.
    pub insecure: &'a reqwest::Client,
}

/// GETs the check's URL and judges the answer.
pub async fn probe(clients: Clients<'_>, check: &HttpCheck) -> Probe {
    let start = Instant::now();
    let mut response = match clients.normal.get(&check.url).send().await {
        Ok(r) => r,
        Err(e) => return failed(&clients, check, &e).await,
    };
    let latency = elapsed_ms(start);
    let code = response.status();
    let cert_days = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .and_then(days_left);
    // The probe's timeout (in `Sources::probe`) covers headers and body.
    let body = match bounded::body(&mut response, HTTP_BODY_LIMIT, Over::Cut).await {
        Ok(b) => String::from_utf8_lossy(&b.bytes).into_owned(),
        Err(e) => {
            let mut p = Probe::down(sanitize::clean_short(&format!("body: {e}"), 80));
            p.latency_ms = Some(latency);
            return p;
        }
    };
    let reason = code.canonical_reason().unwrap_or("");
    let mut metrics = Vec::new();
    if let Some(d) = cert_days {
        metrics.push(Metric::new(names::TLS_DAYS_LEFT, d));
    }
    let expected = if check.expect_status.is_empty() {
        code.is_success()
    } else {
        check.expect_status.contains(&code.as_u16())
    };
    let problem = if !expected {
        Some(format!("HTTP {} {reason}", code.as_u16()))
    } else if let Some(word) = check
        .body_contains
        .as_deref()
        .filter(|w| !body.contains(*w))
    {
        Some(format!("{} {reason}, body lacks \"{word}\"", code.as_u16()))
    } else {
        check
            .json
            .as_ref()
            .and_then(|cond| json_problem(&body, cond))
    };
    if let Some(problem) = problem {
        return Probe {
            status: Status::Down,
            latency_ms: Some(latency),
            message: sanitize::clean_short(&problem, 100),
            metrics,
        };
    }
    let mut status = Status::Up;
    let mut parts = vec![format!("{} {reason}", code.as_u16())];
    if latency > check.slow_ms {
        status = Status::Degraded;
        parts.push(format!("slow ({latency} ms)"));
    }
    if let Some(d) = cert_days {
        let t = Threshold::below(
            names::TLS_DAYS_LEFT,
            f64::from(check.tls_warn_days),
            f64::from(check.tls_crit_days),
        );
        let s = t.judge(d);
        status = status.max(s);
        parts.push(match s {
            Status::Up => format!("cert {}d", d.floor()),
            _ => format!("certificate expires in {} days", d.floor()),
        });
    }
    Probe {
        status,
        latency_ms: Some(latency),
        message: sanitize::clean_short(&parts.join(" · "), 100),
        metrics,
    }
}

/// Why a body fails a JSON condition, or `None` when it holds.
pub fn json_problem(body: &str, cond: &JsonCondition) -> Option<String> {
    let value: serde_json::Value = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(_) => return Some("body is not JSON".into()),
    };
    let Some(found) = value.pointer(&cond.pointer) else {
        return Some(format!("JSON {} missing", cond.pointer));
    };
    let holds = match cond.op {
        JsonOp::Exists => true,
        JsonOp::Eq => found == &cond.value,
        JsonOp::Ne => found != &cond.value,
        op => match (found.as_f64(), cond.value.as_f64()) {
            (Some(a), Some(b)) => match op {
                JsonOp::Lt => a < b,
                JsonOp::Le => a <= b,
                JsonOp::Gt => a > b,
                _ => a >= b,
            },
            _ => false,
        },
    };
    (!holds).then(|| {
        format!(
            "JSON {} is {}, expected {} {}",
            cond.pointer,
            short_json(found),
            cond.op.symbol(),
            short_json(&cond.value)
        )
    })
}

fn short_json(v: &serde_json::Value) -> String {
    sanitize::clean_short(&v.to_string(), 40)
}

/// Days until a DER certificate's notAfter (negative: expired).
pub fn days_left(der: &[u8]) -> Option<f64> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let not_after = cert.validity().not_after.timestamp();
    Some((not_after - Utc::now().timestamp()) as f64 / 86_400.0)
}

/// A request that failed: a readable cause, and for a certificate the
/// verifier refused, what is wrong with it (read over a second handshake
/// that does not verify, used for nothing else).
async fn failed(clients: &Clients<'_>, check: &HttpCheck, e: &reqwest::Error) -> Probe {
    let detail = innermost(e);
    let lower = detail.to_lowercase();
    let tls = check.url.starts_with("https://")
        && (lower.contains("certificate")
            || lower.contains("unknownissuer")
            || lower.contains("tls"));
    if !tls {
        return Probe::down(sanitize::clean_short(&describe(e, &detail), 100));
    }
    let cert_days = match clients.insecure.get(&check.url).send().await {
        Ok(r) => r
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|i| i.peer_certificate())
            .and_then(days_left),
        Err(_) => None,
    };
    let message = match cert_days {
        Some(d) if d < 0.0 => format!("certificate expired {} days ago", (-d).ceil()),
        _ if lower.contains("unknownissuer") || lower.contains("unknown issuer") => {
            "certificate not trusted: unknown issuer".to_string()
        }
        _ if lower.contains("notvalidforname") || lower.contains("not valid for") => {
            "certificate name mismatch".to_string()
        }
        _ => format!("certificate refused: {detail}"),
    };
    let mut p = Probe::down(sanitize::clean_short(&message, 100));
    if let Some(d) = cert_days {
        p.metrics.push(Metric::new(names::TLS_DAYS_LEFT, d));
    }
    p
}

/// The innermost cause says the most ("Connection refused").
fn innermost(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut detail = e.to_string();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    detail
}

fn describe(e: &reqwest::Error, detail: &str) -> String {
    let lower = detail.to_lowercase();
    if lower.contains("dns")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
    {
        let host = e.url().and_then(|u| u.host_str()).unwrap_or("?");
        return format!("cannot resolve name {host}");
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_redirect() {
        "too many redirects"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "bad answer"
    } else if e.is_request() {
        "request failed"
    } else {
        "error"
    };
    format!("{what}: {detail}")
}
