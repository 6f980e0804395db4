//! Hosts and their checks.
//!
//! Adding a check kind: a variant of `RawCheckKind`, an arm in `check_kind`,
//! and its keys in `KIND_KEYS`.

use std::collections::HashMap;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use super::{Validator, one_of};
use crate::config::raw::{RawCheck, RawCheckKind, RawCommand, RawHost, RawJsonCondition};
use crate::config::values::format_duration;
use crate::model::metric::{Direction, names};
use crate::model::{
    Check, CheckKind, Host, HttpCheck, JsonCondition, JsonOp, NagiosCheck, PromSignals,
    PrometheusCheck, SshCommandCheck, Threshold, Thresholds,
};

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
fn kind_keys(raw: &RawCheck) -> Vec<KindKey> {
    use RawCheckKind::*;
    fn at<T>(v: &Option<Spanned<T>>) -> Option<Range<usize>> {
        v.as_ref().map(Spanned::span)
    }
    let row = |key, span: Option<Range<usize>>, kinds| KindKey { key, span, kinds };
    let thresholds = raw
        .thresholds
        .as_ref()
        .and_then(|t| t.0.first().map(|(k, _)| k.span()));
    vec![
        row(
            "url",
            at(&raw.url),
            &[Http, OdooHealth, NodeExporter, Prometheus, Postgres],
        ),
        row("expect_status", at(&raw.expect_status), &[Http]),
        row("address", at(&raw.address), &[Tcp]),
        row("slow", at(&raw.slow), &[Http, OdooHealth, Tcp, Prometheus]),
        row("body_contains", at(&raw.body_contains), &[Http]),
        row("json", at(&raw.json), &[Http]),
        row("redirects", at(&raw.redirects), &[Http, OdooHealth]),
        row("tls_warn_days", at(&raw.tls_warn_days), &[Http, OdooHealth]),
        row("tls_crit_days", at(&raw.tls_crit_days), &[Http, OdooHealth]),
        row("db_server_status", at(&raw.db_server_status), &[OdooHealth]),
        row(
            "thresholds",
            thresholds,
            &[NodeExporter, Prometheus, Postgres],
        ),
        row("instance", at(&raw.instance), &[Prometheus]),
        row("signals", at(&raw.signals), &[Prometheus]),
        row("command", at(&raw.command), &[SshCommand, Nagios]),
        row("over_ssh", at(&raw.over_ssh), &[Nagios]),
        row("expect_exit", at(&raw.expect_exit), &[SshCommand]),
        row("expect_output", at(&raw.expect_output), &[SshCommand]),
        row("password_env", at(&raw.password_env), &[Postgres]),
        row("password_file", at(&raw.password_file), &[Postgres]),
        row("replicas", at(&raw.replicas), &[Postgres]),
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
    let mut check = Check::new(host, name, check_kind(v, raw, kind), interval, timeout);
    if let Some(r) = &raw.retries {
        check.retries = *r.get_ref();
        if check.retries > 10 {
            v.error(
                r.span(),
                format!("{} retries, expected at most 10", check.retries),
            );
        }
    }
    for (value, slot, key) in [
        (&raw.down_after, &mut check.down_after, "down_after"),
        (&raw.up_after, &mut check.up_after, "up_after"),
    ] {
        if let Some(n) = value {
            *slot = *n.get_ref();
            if *slot == 0 {
                v.error(n.span(), format!("{key} is 0, expected 1 or more probes"));
            }
        }
    }
    check.canary = raw.canary.unwrap_or(false);
    check.clients = raw
        .clients
        .as_ref()
        .map(|l| l.get_ref().iter().map(|c| c.get_ref().clone()).collect())
        .unwrap_or_default();
    check.sla = raw.sla.unwrap_or(check.sla);
    check
}

fn check_kind(v: &mut Validator, raw: &RawCheck, kind: RawCheckKind) -> CheckKind {
    match kind {
        RawCheckKind::Http => {
            let url = url(v, raw, kind);
            let mut h = http_common(v, raw, HttpCheck::get(url));
            h.expect_status = expect_status(v, raw);
            h.body_contains = raw.body_contains.as_ref().map(|b| b.get_ref().clone());
            h.json = raw.json.as_ref().and_then(|j| json_condition(v, j));
            CheckKind::Http(h)
        }
        RawCheckKind::OdooHealth => {
            let base = url(v, raw, kind);
            let db = raw.db_server_status.as_ref().is_some_and(|d| *d.get_ref());
            let url = format!(
                "{}/web/health{}",
                base.trim_end_matches('/'),
                if db { "?db_server_status=1" } else { "" }
            );
            let mut h = http_common(v, raw, HttpCheck::get(url));
            h.odoo = true;
            h.json = Some(JsonCondition {
                pointer: "/status".into(),
                op: JsonOp::Eq,
                value: serde_json::Value::String("pass".into()),
            });
            CheckKind::Http(h)
        }
        RawCheckKind::NodeExporter => CheckKind::NodeExporter {
            url: url(v, raw, kind),
            thresholds: thresholds(v, raw),
        },
        RawCheckKind::Tcp => CheckKind::Tcp {
            address: tcp_address(v, raw, kind),
            slow_ms: slow_ms(raw),
        },
        RawCheckKind::Prometheus => {
            let url = url(v, raw, kind);
            let instance = required(v, raw, &raw.instance, "instance", kind)
                .map(|i| i.get_ref().clone())
                .unwrap_or_default();
            let signals = match raw.signals.as_ref() {
                None => PromSignals::Node,
                Some(s) => match s.get_ref().as_str() {
                    "node" => PromSignals::Node,
                    "probe" => PromSignals::Probe,
                    other => {
                        v.error(
                            s.span(),
                            format!("unknown signals '{other}', expected node or probe"),
                        );
                        PromSignals::Node
                    }
                },
            };
            CheckKind::Prometheus(PrometheusCheck {
                url,
                instance,
                signals,
                thresholds: thresholds(v, raw),
                slow_ms: slow_ms(raw),
            })
        }
        RawCheckKind::SshCommand => CheckKind::SshCommand(SshCommandCheck {
            command: shell_line(v, raw, kind),
            expect_exit: raw.expect_exit.as_ref().map_or(0, |e| *e.get_ref()),
            expect_output: raw.expect_output.as_ref().map(|o| o.get_ref().clone()),
            // Filled by `validate::ssh` once every host is known.
            target: crate::model::ssh::SshTarget::default(),
        }),
        RawCheckKind::Nagios => CheckKind::Nagios(nagios(v, raw, kind)),
        RawCheckKind::Postgres => {
            let url = present(v, raw, &raw.url, "url", kind);
            let mut pg = super::postgres::check(v, raw, url);
            pg.thresholds = thresholds_over(v, raw, pg.thresholds, &[]);
            CheckKind::Postgres(pg)
        }
        RawCheckKind::Odoo => CheckKind::Odoo(odoo_inside(v, raw)),
    }
}

const DEFAULT_SLOW_MS: u32 = 1_000;

/// An `odoo` check: `clients` names the one client whose Odoo it reads
/// (its `[clients.<c>.odoo]` is looked up once every client is known).
fn odoo_inside(v: &mut Validator, raw: &RawCheck) -> crate::model::OdooInsideCheck {
    let client = match raw.clients.as_ref().map(|l| l.get_ref().as_slice()) {
        Some([one]) => one.get_ref().clone(),
        Some(_) => {
            if let Some(l) = &raw.clients {
                v.error(
                    l.span(),
                    "an odoo check reads one client's Odoo, expected clients = [\"<client>\"] with one client",
                );
            }
            String::new()
        }
        None => {
            v.error(
                raw.kind.span(),
                "kind odoo needs clients = [\"<client>\"]: the client whose [clients.<client>.odoo] is read",
            );
            String::new()
        }
    };
    crate::model::OdooInsideCheck {
        shown: format!("odoo of {client}"),
        client,
        connection: None,
        limits: Default::default(),
    }
}

/// An `ssh_command` check's command: one line for the remote shell.
fn shell_line(v: &mut Validator, raw: &RawCheck, kind: RawCheckKind) -> String {
    let Some(command) = present(v, raw, &raw.command, "command", kind) else {
        return String::new();
    };
    match command.get_ref() {
        RawCommand::Line(line) => line.clone(),
        RawCommand::Argv(_) => {
            v.error(
                command.span(),
                "expected the command as one string for the remote shell, like \"systemctl is-active odoo\"",
            );
            String::new()
        }
    }
}

/// A `nagios` check: an absolute plugin path and its arguments, run
/// without a shell (so nothing in them is interpreted).
fn nagios(v: &mut Validator, raw: &RawCheck, kind: RawCheckKind) -> NagiosCheck {
    const EXAMPLE: &str =
        "[\"/usr/lib/nagios/plugins/check_tcp\", \"-H\", \"db1\", \"-p\", \"5432\"]";
    let over_ssh = raw.over_ssh.as_ref().is_some_and(|o| *o.get_ref());
    let Some(command) = present(v, raw, &raw.command, "command", kind) else {
        return NagiosCheck::new(Vec::new(), over_ssh);
    };
    let argv = match command.get_ref() {
        RawCommand::Argv(argv) => argv,
        RawCommand::Line(_) => {
            v.error(
                command.span(),
                format!("expected a list, the plugin's path then its arguments (no shell), like {EXAMPLE}"),
            );
            return NagiosCheck::new(Vec::new(), over_ssh);
        }
    };
    let Some(program) = argv.first() else {
        v.error(
            command.span(),
            format!("empty command, expected the plugin's path then its arguments, like {EXAMPLE}"),
        );
        return NagiosCheck::new(Vec::new(), over_ssh);
    };
    let path = program.get_ref();
    if path.trim().is_empty() {
        v.error(
            program.span(),
            "empty plugin path, expected an absolute path like /usr/lib/nagios/plugins/check_tcp",
        );
    } else if !path.starts_with('/') {
        v.error(
            program.span(),
            format!("relative plugin path '{path}', expected an absolute path like /usr/lib/nagios/plugins/{path}"),
        );
    }
    for arg in argv {
        if arg.get_ref().contains('\0') {
            v.error(
                arg.span(),
                "an argument holds a NUL character, which no program can receive",
            );
        }
    }
    NagiosCheck::new(argv.iter().map(|a| a.get_ref().clone()).collect(), over_ssh)
}

fn slow_ms(raw: &RawCheck) -> u32 {
    raw.slow.as_ref().map_or(DEFAULT_SLOW_MS, |s| {
        u32::try_from(s.get_ref().0.as_millis()).unwrap_or(u32::MAX)
    })
}

/// The keys http and odoo_health share: slowness, redirects, certificate.
fn http_common(v: &mut Validator, raw: &RawCheck, mut h: HttpCheck) -> HttpCheck {
    h.slow_ms = slow_ms(raw);
    if let Some(r) = &raw.redirects {
        h.max_redirects = *r.get_ref();
        if h.max_redirects > 20 {
            v.error(
                r.span(),
                format!("{} redirects, expected at most 20", h.max_redirects),
            );
        }
    }
    if let Some(w) = &raw.tls_warn_days {
        h.tls_warn_days = *w.get_ref();
    }
    if let Some(c) = &raw.tls_crit_days {
        h.tls_crit_days = *c.get_ref();
    }
    if h.tls_crit_days > h.tls_warn_days {
        let span = raw
            .tls_crit_days
            .as_ref()
            .or(raw.tls_warn_days.as_ref())
            .map(Spanned::span)
            .unwrap_or_else(|| raw.kind.span());
        v.error(
            span,
            format!(
                "tls_crit_days {} is more than tls_warn_days {}, expected critical at fewer days than warning",
                h.tls_crit_days, h.tls_warn_days
            ),
        );
    }
    h
}

fn json_condition(v: &mut Validator, raw: &Spanned<RawJsonCondition>) -> Option<JsonCondition> {
    let j = raw.get_ref();
    let pointer = j.pointer.get_ref();
    if !pointer.is_empty() && !pointer.starts_with('/') {
        v.error(
            j.pointer.span(),
            format!("invalid JSON pointer '{pointer}', expected one starting with / like /status"),
        );
        return None;
    }
    let op = match &j.op {
        None => JsonOp::Eq,
        Some(op) => match JsonOp::parse(op.get_ref()) {
            Some(o) => o,
            None => {
                v.error(
                    op.span(),
                    format!(
                        "unknown operator '{}', expected one of ==, !=, <, <=, >, >= or exists",
                        op.get_ref()
                    ),
                );
                return None;
            }
        },
    };
    let value = match (&j.value, op) {
        (_, JsonOp::Exists) => serde_json::Value::Null,
        (None, _) => {
            v.error(
                raw.span(),
                format!(
                    "missing `value`, which operator {} compares with",
                    op.symbol()
                ),
            );
            return None;
        }
        (Some(value), _) => match serde_json::to_value(value.get_ref()) {
            Ok(
                json @ (serde_json::Value::String(_)
                | serde_json::Value::Number(_)
                | serde_json::Value::Bool(_)),
            ) => json,
            _ => {
                v.error(
                    value.span(),
                    "expected a string, number or boolean to compare with",
                );
                return None;
            }
        },
    };
    if matches!(op, JsonOp::Lt | JsonOp::Le | JsonOp::Gt | JsonOp::Ge) && !value.is_number() {
        let span = j.value.as_ref().map_or_else(|| raw.span(), Spanned::span);
        v.error(
            span,
            format!(
                "operator {} compares numbers, expected a number",
                op.symbol()
            ),
        );
        return None;
    }
    Some(JsonCondition {
        pointer: pointer.clone(),
        op,
        value,
    })
}

/// Host-metric thresholds: the defaults, overridden per metric by
/// `thresholds = { disk_used_pct = [80, 90] }`.
fn thresholds(v: &mut Validator, raw: &RawCheck) -> Thresholds {
    let extra = [
        Threshold::below(names::TLS_DAYS_LEFT, 21.0, 7.0).metric,
        names::LOAD1_PER_CORE.to_string(),
        names::LOAD15_PER_CORE.to_string(),
        names::DISK_READ_BPS.to_string(),
        names::DISK_WRITE_BPS.to_string(),
        names::NET_RX_BPS.to_string(),
        names::NET_TX_BPS.to_string(),
    ];
    thresholds_over(v, raw, Thresholds::host_defaults(), &extra)
}

/// `defaults` overridden per metric by the check's `thresholds`; a metric
/// is known when it has a default or is among `extra`.
fn thresholds_over(
    v: &mut Validator,
    raw: &RawCheck,
    defaults: Thresholds,
    extra: &[String],
) -> Thresholds {
    let known = defaults
        .0
        .iter()
        .map(|t| t.metric.clone())
        .chain(extra.iter().cloned())
        .collect::<Vec<_>>();
    let mut out = defaults;
    let Some(given) = &raw.thresholds else {
        return out;
    };
    for (metric, levels) in given.iter() {
        let name = metric.get_ref();
        if !known.contains(name) {
            let list: Vec<&str> = known.iter().map(String::as_str).collect();
            v.error(
                metric.span(),
                format!("unknown metric '{name}', expected {}", one_of(&list)),
            );
            continue;
        }
        let [warn, crit] = levels.get_ref().as_slice() else {
            v.error(
                levels.span(),
                format!("expected [warn, critical] for {name}, like [85, 95]"),
            );
            continue;
        };
        let (w, c) = (*warn.get_ref(), *crit.get_ref());
        let t = if name == names::TLS_DAYS_LEFT {
            Threshold::below(name, w, c)
        } else {
            Threshold::above(name, w, c)
        };
        let backwards = match t.direction {
            Direction::Above => c < w,
            Direction::Below => c > w,
        };
        if backwards {
            v.error(
                levels.span(),
                format!("critical {c} is less severe than warning {w} for {name}"),
            );
        }
        out.set(t);
    }
    out
}

/// A key the kind requires; reported at `kind` when missing.
fn required<'r>(
    v: &mut Validator,
    raw: &RawCheck,
    value: &'r Option<Spanned<String>>,
    key: &str,
    kind: RawCheckKind,
) -> Option<&'r Spanned<String>> {
    present(v, raw, value, key, kind)
}

/// [`required`] for a key of any type.
fn present<'r, T>(
    v: &mut Validator,
    raw: &RawCheck,
    value: &'r Option<Spanned<T>>,
    key: &str,
    kind: RawCheckKind,
) -> Option<&'r Spanned<T>> {
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
            format!(
                "invalid url '{}', expected an http:// or https:// URL",
                crate::urls::masked(text)
            ),
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
