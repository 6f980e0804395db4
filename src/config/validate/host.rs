//! Hosts and their checks.
//!
//! Adding a check kind: a variant of `RawCheckKind`, an arm in `check_kind`,
//! and its keys in `KIND_KEYS`.

use std::collections::HashMap;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::{Validator, one_of};
use crate::config::raw::{RawCheck, RawCheckKind, RawHost};
use crate::config::values::format_duration;
use crate::model::{Check, CheckKind, Host, HttpCheck, Thresholds};

const DEFAULT_SSH_PORT: u16 = 22;
const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_EXPECT_STATUS: u16 = 200;

pub(super) fn host(v: &mut Validator, name: &Spanned<String>, raw: &RawHost) -> Host {
    if let Some(problem) = name_problem(name.get_ref()) {
        v.error(
            name.span(),
            format!("invalid host name '{name}': {problem}"),
        );
    }
    if raw.address.get_ref().trim().is_empty() {
        v.error(
            raw.address.span(),
            "empty address, expected a host name or IP address like 10.0.0.5",
        );
    }
    let ssh_port = match &raw.ssh_port {
        Some(port) if *port.get_ref() == 0 => {
            v.error(
                port.span(),
                "ssh_port is 0, expected a port from 1 to 65535",
            );
            0
        }
        Some(port) => *port.get_ref(),
        None => DEFAULT_SSH_PORT,
    };
    let mut seen: HashMap<&str, Range<usize>> = HashMap::new();
    let mut checks = Vec::new();
    for c in &raw.checks {
        let check_name = c.name.get_ref();
        if let Some(first) = seen.get(check_name.as_str()) {
            let line = v.line_of(first);
            v.error(
                c.name.span(),
                format!("duplicate check name '{check_name}' on host {name}, first defined on line {line}"),
            );
        } else {
            seen.insert(check_name, c.name.span());
        }
        checks.push(check(v, name.get_ref(), c));
    }
    Host {
        name: name.get_ref().clone(),
        address: raw.address.get_ref().clone(),
        ssh_user: raw.ssh_user.clone(),
        ssh_port,
        checks,
    }
}

/// Host and check names make up check ids (`<host>/<name>`).
fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("expected a non-empty name")
    } else if name.contains('/') || name.chars().any(char::is_whitespace) {
        Some("expected a name without '/' or spaces")
    } else {
        None
    }
}

/// A key that belongs to some kinds of check only, and where it was
/// written if it was.
struct KindKey {
    key: &'static str,
    span: Option<Range<usize>>,
    kinds: &'static [RawCheckKind],
}

/// One row per kind-specific key of `RawCheck`.
fn kind_keys(raw: &RawCheck) -> [KindKey; 3] {
    use RawCheckKind::*;
    let row = |key, span: Option<Range<usize>>, kinds| KindKey { key, span, kinds };
    [
        row(
            "url",
            raw.url.as_ref().map(Spanned::span),
            &[Http, NodeExporter],
        ),
        row(
            "expect_status",
            raw.expect_status.as_ref().map(Spanned::span),
            &[Http],
        ),
        row("address", raw.address.as_ref().map(Spanned::span), &[Tcp]),
    ]
}

fn check(v: &mut Validator, host: &str, raw: &RawCheck) -> Check {
    let name = raw.name.get_ref();
    if let Some(problem) = name_problem(name) {
        v.error(
            raw.name.span(),
            format!("invalid check name '{name}': {problem}"),
        );
    }
    let kind = *raw.kind.get_ref();
    for KindKey { key, span, kinds } in kind_keys(raw) {
        if let Some(span) = span.filter(|_| !kinds.contains(&kind)) {
            let labels: Vec<&str> = kinds.iter().map(|k| k.label()).collect();
            v.error(
                span,
                format!(
                    "`{key}` does not apply to a check of kind {}, only to {}",
                    kind.label(),
                    one_of(&labels)
                ),
            );
        }
    }
    let (interval, timeout) = timing(v, raw);
    Check::new(host, name, check_kind(v, raw, kind), interval, timeout)
}

fn check_kind(v: &mut Validator, raw: &RawCheck, kind: RawCheckKind) -> CheckKind {
    match kind {
        RawCheckKind::Http => CheckKind::Http(HttpCheck {
            expect_status: expect_status(v, raw),
            ..HttpCheck::get(url(v, raw, kind))
        }),
        RawCheckKind::NodeExporter => CheckKind::NodeExporter {
            url: url(v, raw, kind),
            thresholds: Thresholds::host_defaults(),
        },
        RawCheckKind::Tcp => CheckKind::Tcp {
            address: tcp_address(v, raw, kind),
            slow_ms: 1_000,
        },
    }
}

/// A key the kind requires; reported at `kind` when missing.
fn required<'r>(
    v: &mut Validator,
    raw: &RawCheck,
    value: &'r Option<Spanned<String>>,
    key: &str,
    kind: RawCheckKind,
) -> Option<&'r Spanned<String>> {
    if value.is_none() {
        v.error(
            raw.kind.span(),
            format!(
                "missing `{key}`, which a check of kind {} requires",
                kind.label()
            ),
        );
    }
    value.as_ref()
}

fn url(v: &mut Validator, raw: &RawCheck, kind: RawCheckKind) -> String {
    let Some(url) = required(v, raw, &raw.url, "url", kind) else {
        return String::new();
    };
    let text = url.get_ref();
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    if rest.is_none_or(str::is_empty) || text.chars().any(char::is_whitespace) {
        v.error(
            url.span(),
            format!("invalid url '{text}', expected an http:// or https:// URL"),
        );
    }
    text.clone()
}

fn expect_status(v: &mut Validator, raw: &RawCheck) -> Vec<u16> {
    let Some(list) = &raw.expect_status else {
        return vec![DEFAULT_EXPECT_STATUS];
    };
    if list.get_ref().is_empty() {
        v.error(
            list.span(),
            "no status codes, expected at least one like [200]",
        );
    }
    for code in list.get_ref() {
        if !(100..=599).contains(code.get_ref()) {
            v.error(
                code.span(),
                format!(
                    "invalid HTTP status {}, expected 100 to 599",
                    code.get_ref()
                ),
            );
        }
    }
    list.get_ref().iter().map(|c| *c.get_ref()).collect()
}

fn tcp_address(v: &mut Validator, raw: &RawCheck, kind: RawCheckKind) -> String {
    let Some(address) = required(v, raw, &raw.address, "address", kind) else {
        return String::new();
    };
    let text = address.get_ref();
    let valid = text
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0));
    if !valid {
        v.error(
            address.span(),
            format!("invalid address '{text}', expected host:port like 10.0.0.5:5432"),
        );
    }
    text.clone()
}

/// A check must give up before the next one starts.
fn timing(v: &mut Validator, raw: &RawCheck) -> (Duration, Duration) {
    let interval = raw
        .interval
        .as_ref()
        .map_or(DEFAULT_INTERVAL, |i| i.get_ref().0);
    let timeout = raw
        .timeout
        .as_ref()
        .map_or(DEFAULT_TIMEOUT, |t| t.get_ref().0);
    let (i, t) = (format_duration(interval), format_duration(timeout));
    match (&raw.interval, &raw.timeout) {
        (_, Some(given)) if timeout.is_zero() => {
            v.error(
                given.span(),
                "timeout is 0s, expected a duration longer than zero",
            );
        }
        (_, Some(given)) if timeout >= interval => {
            v.error(
                given.span(),
                format!("timeout {t} must be shorter than the interval {i}"),
            );
        }
        (Some(given), None) if timeout >= interval => {
            v.error(
                given.span(),
                format!("interval {i} must be longer than the default timeout {t}; set a shorter timeout"),
            );
        }
        _ => {}
    }
    (interval, timeout)
}
