//! prometheus-node-exporter checks: scrape the text exposition format and
//! read the host's vital signs (load per core, memory, root disk).

use std::collections::BTreeSet;
use std::time::Instant;

use super::{Probe, elapsed_ms};
use crate::model::Status;
use crate::sanitize;

/// One sample of the text exposition format.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses the Prometheus text format (version 0.0.4). Lines that do not
/// parse are skipped: one odd metric must not hide the others.
pub fn parse(text: &str) -> Vec<Sample> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Sample> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let name_end = line.find(|c: char| c == '{' || c.is_whitespace())?;
    let name = &line[..name_end];
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if rest.starts_with('{') {
        let (parsed, after) = parse_labels(&rest[1..])?;
        labels = parsed;
        rest = after;
    }
    let value_text = rest.split_whitespace().next()?;
    let value = match value_text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    Some(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

/// Parses `k="v",k2="v2"}` and returns the labels and what follows `}`.
fn parse_labels(s: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut labels = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches([',', ' ']);
        if let Some(after) = rest.strip_prefix('}') {
            return Some((labels, after));
        }
        let eq = rest.find('=')?;
        let key = rest[..eq].trim().to_string();
        rest = rest[eq + 1..].strip_prefix('"')?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                '"' => break i,
                c => value.push(c),
            }
        };
        labels.push((key, value));
        rest = &rest[end + 1..];
    }
}

/// The vital signs Vigie reads from one scrape.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Vitals {
    pub cores: usize,
    pub load1: Option<f64>,
    pub mem_used_pct: Option<f64>,
    pub root_used_pct: Option<f64>,
}

pub fn vitals(samples: &[Sample]) -> Vitals {
    let find = |name: &str| samples.iter().find(|s| s.name == name).map(|s| s.value);
    let cores: BTreeSet<&str> = samples
        .iter()
        .filter(|s| s.name == "node_cpu_seconds_total")
        .filter_map(|s| s.label("cpu"))
        .collect();
    let mem_used_pct = match (
        find("node_memory_MemTotal_bytes"),
        find("node_memory_MemAvailable_bytes"),
    ) {
        (Some(total), Some(avail)) if total > 0.0 => Some(100.0 * (1.0 - avail / total)),
        _ => None,
    };
    let root = |name: &str| {
        samples
            .iter()
            .find(|s| s.name == name && s.label("mountpoint") == Some("/"))
            .map(|s| s.value)
    };
    let root_used_pct = match (
        root("node_filesystem_size_bytes"),
        root("node_filesystem_avail_bytes"),
    ) {
        (Some(size), Some(avail)) if size > 0.0 => Some(100.0 * (1.0 - avail / size)),
        _ => None,
    };
    Vitals {
        cores: cores.len(),
        load1: find("node_load1"),
        mem_used_pct,
        root_used_pct,
    }
}

/// Degraded above these; the Health issue makes them configurable.
const MEM_WARN_PCT: f64 = 90.0;
const DISK_WARN_PCT: f64 = 85.0;
const LOAD_PER_CORE_WARN: f64 = 2.0;

pub fn judge(v: &Vitals) -> (Status, String) {
    let mut parts = Vec::new();
    let mut status = Status::Up;
    if let Some(load) = v.load1 {
        let per_core = load / v.cores.max(1) as f64;
        if per_core > LOAD_PER_CORE_WARN {
            status = Status::Degraded;
        }
        parts.push(format!("load {load:.2}/{}c", v.cores.max(1)));
    }
    if let Some(mem) = v.mem_used_pct {
        if mem > MEM_WARN_PCT {
            status = Status::Degraded;
        }
        parts.push(format!("mem {mem:.0}%"));
    }
    if let Some(disk) = v.root_used_pct {
        if disk > DISK_WARN_PCT {
            status = Status::Degraded;
        }
        parts.push(format!("disk / {disk:.0}%"));
    }
    if parts.is_empty() {
        return (
            Status::Unknown,
            "no node_exporter metrics in the answer".into(),
        );
    }
    (status, parts.join(" · "))
}

pub async fn probe(client: &reqwest::Client, url: &str) -> Probe {
    let start = Instant::now();
    let response = match client.get(url).send().await {
        Ok(r) => r,
        Err(e) => return Probe::down(sanitize::clean_short(&format!("scrape failed: {e}"), 80)),
    };
    if !response.status().is_success() {
        return Probe::down(format!(
            "scrape answered HTTP {}",
            response.status().as_u16()
        ));
    }
    let text = match response.text().await {
        Ok(t) => t,
        Err(e) => return Probe::down(sanitize::clean_short(&format!("scrape body: {e}"), 80)),
    };
    let latency = elapsed_ms(start);
    let (status, message) = judge(&vitals(&parse(&text)));
    Probe {
        status,
        latency_ms: Some(latency),
        message,
        metrics: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRAPE: &str = r#"# HELP node_load1 1m load average.
# TYPE node_load1 gauge
node_load1 0.42
node_cpu_seconds_total{cpu="0",mode="idle"} 1000.5
node_cpu_seconds_total{cpu="0",mode="user"} 20
node_cpu_seconds_total{cpu="1",mode="idle"} 990
node_memory_MemTotal_bytes 8.0e+09
node_memory_MemAvailable_bytes 2.0e+09
node_filesystem_size_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 1e11
node_filesystem_avail_bytes{device="/dev/sda1",fstype="ext4",mountpoint="/"} 6e10
node_filesystem_avail_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 1e6
weird_metric{label="a \"quoted\" value"} 1 1700000000000
"#;

    #[test]
    fn reads_vitals_from_a_scrape() {
        let v = vitals(&parse(SCRAPE));
        assert_eq!(v.cores, 2);
        assert_eq!(v.load1, Some(0.42));
        assert_eq!(v.mem_used_pct.map(|m| m.round()), Some(75.0));
        assert_eq!(v.root_used_pct.map(|m| m.round()), Some(40.0));
        let (status, msg) = judge(&v);
        assert_eq!(status, Status::Up);
        assert_eq!(msg, "load 0.42/2c · mem 75% · disk / 40%");
    }

    #[test]
    fn escaped_label_values_parse() {
        let samples = parse(SCRAPE);
        let weird = samples.iter().find(|s| s.name == "weird_metric");
        assert_eq!(
            weird.and_then(|s| s.label("label")),
            Some("a \"quoted\" value")
        );
    }

    #[test]
    fn garbage_lines_are_skipped_not_fatal() {
        let samples = parse("node_load1 abc\n{broken\nnode_load5 1.5\n");
        assert_eq!(samples.len(), 1);
    }

    #[test]
    fn full_memory_is_degraded() {
        let v = Vitals {
            cores: 4,
            load1: Some(1.0),
            mem_used_pct: Some(97.0),
            root_used_pct: None,
        };
        assert_eq!(judge(&v).0, Status::Degraded);
    }

    #[test]
    fn an_answer_without_metrics_is_unknown() {
        assert_eq!(judge(&Vitals::default()).0, Status::Unknown);
    }
}
