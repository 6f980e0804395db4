//! The same signals read from an existing Prometheus server's HTTP API
//! (instant queries), so a fleet Prometheus and blackbox_exporter already
//! watch needs no second probe.

use std::time::Instant;

use serde::Deserialize;

use super::bounded::{self, Over};
use super::{Probe, elapsed_ms, node_exporter};
use crate::model::metric::names;
use crate::model::{Metric, PromSignals, PrometheusCheck, Status};
use crate::sanitize;

/// `GET /api/v1/query` answers.
#[derive(Debug, Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

/// One series of an instant vector: its labels and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: serde_json::Map<String, serde_json::Value>,
    pub value: f64,
}

/// A PromQL string literal for a label value.
pub fn quote(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Runs one instant query.
pub async fn query(
    client: &reqwest::Client,
    base: &str,
    promql: &str,
) -> Result<Vec<Series>, String> {
    query_at(client, base, promql, None).await
}

/// Runs one instant query evaluated at `time` (the API's `time`
/// parameter, RFC 3339), or now.
pub async fn query_at(
    client: &reqwest::Client,
    base: &str,
    promql: &str,
    time: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Vec<Series>, String> {
    let base = crate::urls::parse_base(base).map_err(|e| format!("prometheus: {e}"))?;
    let mut url = crate::urls::join(&base, "/api/v1/query");
    url.query_pairs_mut().append_pair("query", promql);
    if let Some(t) = time {
        let t = t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        url.query_pairs_mut().append_pair("time", &t);
    }
    let mut response = bounded::send(client.get(url))
        .await
        .map_err(|e| format!("prometheus unreachable: {e}"))?;
    let code = response.status();
    // Read and parsed only within the limit: parsing is not cancellable,
    // so an answer of 142 MB once held a check for 22 s and 5.9 GB.
    let body = bounded::body(&mut response, bounded::PROMETHEUS, Over::Refuse)
        .await
        .map_err(|e| format!("prometheus {e}"))?;
    let answer: Answer = serde_json::from_slice(&body.bytes)
        .map_err(|_| format!("prometheus answered HTTP {} without JSON", code.as_u16()))?;
    if answer.status != "success" {
        return Err(format!(
            "prometheus: {}",
            answer.error.unwrap_or_else(|| "query failed".into())
        ));
    }
    let Some(data) = answer.data else {
        return Ok(Vec::new());
    };
    let parse = |v: &serde_json::Value| {
        v.get(1)
            .and_then(|x| x.as_str())
            .and_then(|s| s.parse::<f64>().ok())
    };
    match data.result_type.as_str() {
        "vector" => Ok(data
            .result
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| {
                Some(Series {
                    labels: s.get("metric")?.as_object()?.clone(),
                    value: parse(s.get("value")?)?,
                })
            })
            .collect()),
        "scalar" => Ok(parse(&data.result)
            .map(|value| Series {
                labels: Default::default(),
                value,
            })
            .into_iter()
            .collect()),
        other => Err(format!("prometheus answered a {other}, expected a vector")),
    }
}

/// Filesystems that are not disks, as a PromQL regex.
const PSEUDO_FS: &str = "tmpfs|devtmpfs|overlay|squashfs|nsfs|proc|sysfs|cgroup2?|autofs|ramfs";

/// The queries for a node's signals: (metric name, PromQL, label that says
/// what the series is about).
fn node_queries(instance: &str) -> Vec<(&'static str, String, Option<&'static str>)> {
    let i = quote(instance);
    let fs = format!("instance={i},fstype!~\"{PSEUDO_FS}\"");
    let cpu = format!("node_cpu_seconds_total{{instance={i},mode!~\"guest|guest_nice\"}}");
    let busy = format!(
        "node_cpu_seconds_total{{instance={i},mode!~\"idle|iowait|steal|guest|guest_nice\"}}"
    );
    let cores = format!("scalar(count(count by (cpu) (node_cpu_seconds_total{{instance={i}}})))");
    vec![
        ("up", format!("up{{instance={i}}}"), None),
        (
            names::CPU_BUSY_PCT,
            format!("100 * sum(rate({busy}[2m])) / sum(rate({cpu}[2m]))"),
            None,
        ),
        (
            names::LOAD1_PER_CORE,
            format!("node_load1{{instance={i}}} / {cores}"),
            None,
        ),
        (
            names::LOAD5_PER_CORE,
            format!("node_load5{{instance={i}}} / {cores}"),
            None,
        ),
        (
            names::LOAD15_PER_CORE,
            format!("node_load15{{instance={i}}} / {cores}"),
            None,
        ),
        (
            names::MEM_USED_PCT,
            format!(
                "100 * (1 - node_memory_MemAvailable_bytes{{instance={i}}} / node_memory_MemTotal_bytes{{instance={i}}})"
            ),
            None,
        ),
        (
            names::DISK_USED_PCT,
            format!(
                "100 * (node_filesystem_size_bytes{{{fs}}} - node_filesystem_free_bytes{{{fs}}}) / (node_filesystem_size_bytes{{{fs}}} - node_filesystem_free_bytes{{{fs}}} + node_filesystem_avail_bytes{{{fs}}})"
            ),
            Some("mountpoint"),
        ),
        (
            names::INODES_USED_PCT,
            format!(
                "100 * (1 - node_filesystem_files_free{{{fs}}} / node_filesystem_files{{{fs}}})"
            ),
            Some("mountpoint"),
        ),
        (
            names::NET_RX_BPS,
            format!(
                "sum(rate(node_network_receive_bytes_total{{instance={i},device!=\"lo\"}}[2m]))"
            ),
            None,
        ),
        (
            names::NET_TX_BPS,
            format!(
                "sum(rate(node_network_transmit_bytes_total{{instance={i},device!=\"lo\"}}[2m]))"
            ),
            None,
        ),
        (
            names::UPTIME_S,
            format!("node_time_seconds{{instance={i}}} - node_boot_time_seconds{{instance={i}}}"),
            None,
        ),
        (
            names::FAILED_UNITS,
            format!("sum(node_systemd_unit_state{{instance={i},state=\"failed\"}})"),
            None,
        ),
    ]
}

pub async fn probe(client: &reqwest::Client, check: &PrometheusCheck) -> Probe {
    match check.signals {
        PromSignals::Node => node(client, check).await,
        PromSignals::Probe => blackbox(client, check).await,
    }
}

async fn node(client: &reqwest::Client, check: &PrometheusCheck) -> Probe {
    let start = Instant::now();
    let queries = node_queries(&check.instance);
    let answers =
        futures::future::join_all(queries.iter().map(|(_, q, _)| query(client, &check.url, q)))
            .await;
    let latency = elapsed_ms(start);
    let mut metrics = Vec::new();
    let mut up = None;
    for ((name, _, subject), answer) in queries.iter().zip(answers) {
        let series = match answer {
            Ok(s) => s,
            Err(e) => return Probe::down(sanitize::clean_short(&e, 100)),
        };
        if *name == "up" {
            up = series.first().map(|s| s.value);
            continue;
        }
        for s in series.iter().filter(|s| s.value.is_finite()) {
            let metric = match subject
                .and_then(|l| s.labels.get(l))
                .and_then(|v| v.as_str())
            {
                Some(about) => format!("{name}:{about}"),
                None => (*name).to_string(),
            };
            metrics.push(Metric::new(metric, s.value));
        }
    }
    match up {
        None => {
            return Probe::down(sanitize::clean_short(
                &format!("prometheus has no series for instance {}", check.instance),
                100,
            ));
        }
        Some(v) if v < 1.0 => {
            let mut p = Probe::down(sanitize::clean_short(
                &format!("prometheus cannot scrape {} (up == 0)", check.instance),
                100,
            ));
            p.latency_ms = Some(latency);
            return p;
        }
        _ => {}
    }
    let (status, message) = node_exporter::judge(&metrics, &check.thresholds);
    Probe {
        status,
        latency_ms: Some(latency),
        message: sanitize::clean_short(&message, 120),
        metrics,
    }
}

async fn blackbox(client: &reqwest::Client, check: &PrometheusCheck) -> Probe {
    let i = quote(&check.instance);
    let queries = [
        format!("probe_success{{instance={i}}}"),
        format!("probe_duration_seconds{{instance={i}}}"),
        format!("(probe_ssl_earliest_cert_expiry{{instance={i}}} - time()) / 86400"),
        format!("probe_http_status_code{{instance={i}}}"),
    ];
    let answers =
        futures::future::join_all(queries.iter().map(|q| query(client, &check.url, q))).await;
    let mut values = Vec::new();
    for a in answers {
        match a {
            Ok(s) => values.push(s.first().map(|s| s.value)),
            Err(e) => return Probe::down(sanitize::clean_short(&e, 100)),
        }
    }
    let (success, duration, cert_days, code) = (values[0], values[1], values[2], values[3]);
    let Some(success) = success else {
        return Probe::down(sanitize::clean_short(
            &format!(
                "prometheus has no probe_success for instance {}",
                check.instance
            ),
            100,
        ));
    };
    let latency = duration.map(|d| (d * 1000.0).round().clamp(0.0, f64::from(u32::MAX)) as u32);
    let mut metrics = Vec::new();
    if let Some(d) = cert_days.filter(|d| d.is_finite()) {
        metrics.push(Metric::new(names::TLS_DAYS_LEFT, d));
    }
    let code_text = code.map(|c| format!("HTTP {c:.0}")).unwrap_or_default();
    let (status, message) = if success < 1.0 {
        (Status::Down, format!("blackbox probe failed {code_text}"))
    } else if latency.is_some_and(|l| l > check.slow_ms) {
        (Status::Degraded, format!("{code_text} slow"))
    } else {
        (Status::Up, format!("{code_text} via blackbox"))
    };
    Probe {
        status,
        latency_ms: latency,
        message: sanitize::clean_short(message.trim(), 100),
        metrics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_in_promql() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        // A hostile instance stays inside its string literal.
        let q = node_queries("h\"} or vector(1) #");
        let literal = r#"instance="h\"} or vector(1) #""#;
        assert!(q.iter().all(|(_, promql, _)| promql.contains(literal)));
    }
}
