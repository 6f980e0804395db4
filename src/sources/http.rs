//! HTTP(S) checks: status code and latency.

use std::time::Instant;

use super::{Probe, elapsed_ms};
use crate::model::Status;
use crate::sanitize;

/// Latency above which an answering service is only degraded.
const SLOW_MS: u32 = 1_000;

/// GETs `url`; up when the status is expected, degraded when slow,
/// down otherwise.
pub async fn probe(client: &reqwest::Client, url: &str, expect_status: &[u16]) -> Probe {
    let start = Instant::now();
    let response = match client.get(url).send().await {
        Ok(r) => r,
        Err(e) => return Probe::down(describe_error(&e)),
    };
    let latency = elapsed_ms(start);
    let code = response.status();
    let reason = code.canonical_reason().unwrap_or("");
    let expected = if expect_status.is_empty() {
        code.is_success()
    } else {
        expect_status.contains(&code.as_u16())
    };
    if !expected {
        let mut p = Probe::down(sanitize::clean_short(
            &format!("HTTP {} {reason}", code.as_u16()),
            60,
        ));
        p.latency_ms = Some(latency);
        return p;
    }
    let status = if latency > SLOW_MS {
        Status::Degraded
    } else {
        Status::Up
    };
    let message = if status == Status::Degraded {
        format!("{} {reason}, slow", code.as_u16())
    } else {
        format!("{} {reason}", code.as_u16())
    };
    Probe {
        status,
        latency_ms: Some(latency),
        message,
        metrics: Vec::new(),
    }
}

fn describe_error(e: &reqwest::Error) -> String {
    let what = if e.is_connect() {
        "connection failed"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_redirect() {
        "too many redirects"
    } else if e.is_request() {
        "request failed"
    } else {
        "error"
    };
    // The innermost cause says the most ("Connection refused", "certificate expired").
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut detail = None;
    while let Some(s) = source {
        detail = Some(s.to_string());
        source = s.source();
    }
    match detail {
        Some(d) => sanitize::clean_short(&format!("{what}: {d}"), 80),
        None => what.to_string(),
    }
}
