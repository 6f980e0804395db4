//! prometheus-node-exporter checks: scrape the text exposition format and
//! read the host's vital signs (load per core, memory, root disk).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::bounded::{self, Over, ReadError};
use super::{Probe, elapsed_ms};
use crate::model::metric::names;
use crate::model::{Metric, Status, Thresholds};
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

/// Counters kept from one scrape to the next, to turn them into rates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counters {
    /// When the exporter read them (node_time_seconds), in seconds.
    pub at: Option<f64>,
    /// CPU seconds over all cores: total, and busy (not idle, iowait or steal).
    pub cpu_total: Option<f64>,
    pub cpu_busy: Option<f64>,
    pub disk_read: Option<f64>,
    pub disk_written: Option<f64>,
    pub net_rx: Option<f64>,
    pub net_tx: Option<f64>,
}

/// Filesystems that are not disks.
const PSEUDO_FS: &[&str] = &[
    "tmpfs",
    "devtmpfs",
    "overlay",
    "squashfs",
    "nsfs",
    "proc",
    "sysfs",
    "cgroup",
    "cgroup2",
    "autofs",
    "ramfs",
    "fuse.lxcfs",
    "tracefs",
    "debugfs",
    "securityfs",
    "efivarfs",
];

fn real_disk(device: &str) -> bool {
    !(device.starts_with("loop") || device.starts_with("ram") || device.starts_with("zram"))
}

fn sum_where(samples: &[Sample], name: &str, keep: impl Fn(&Sample) -> bool) -> Option<f64> {
    let mut any = false;
    let total = samples
        .iter()
        .filter(|s| s.name == name && keep(s))
        .inspect(|_| any = true)
        .map(|s| s.value)
        .sum();
    any.then_some(total)
}

/// Reads the counters of a scrape.
pub fn counters(samples: &[Sample]) -> Counters {
    let cpu = |busy: bool| {
        sum_where(samples, "node_cpu_seconds_total", |s| {
            let idle = matches!(s.label("mode"), Some("idle" | "iowait" | "steal"));
            // guest time is already counted in user.
            let guest = s.label("mode").is_some_and(|m| m.starts_with("guest"));
            !guest && (!busy || !idle)
        })
    };
    let disk = |name| sum_where(samples, name, |s| s.label("device").is_some_and(real_disk));
    let net = |name| {
        sum_where(samples, name, |s| {
            s.label("device").is_some_and(|d| d != "lo")
        })
    };
    Counters {
        at: samples
            .iter()
            .find(|s| s.name == "node_time_seconds")
            .map(|s| s.value),
        cpu_total: cpu(false),
        cpu_busy: cpu(true),
        disk_read: disk("node_disk_read_bytes_total"),
        disk_written: disk("node_disk_written_bytes_total"),
        net_rx: net("node_network_receive_bytes_total"),
        net_tx: net("node_network_transmit_bytes_total"),
    }
}

/// Derives the host metrics of a scrape; rates and CPU need the counters
/// of the previous scrape of the same exporter (`prev`) and the seconds
/// between them (`elapsed`, used when the exporter gives no time).
pub fn derive(
    samples: &[Sample],
    prev: Option<&Counters>,
    elapsed: f64,
) -> (Vec<Metric>, Counters) {
    let find = |name: &str| samples.iter().find(|s| s.name == name).map(|s| s.value);
    let mut out = Vec::new();
    let cores: BTreeSet<&str> = samples
        .iter()
        .filter(|s| s.name == "node_cpu_seconds_total")
        .filter_map(|s| s.label("cpu"))
        .collect();
    let cores = cores.len().max(1) as f64;
    for (name, metric) in [
        ("node_load1", names::LOAD1_PER_CORE),
        ("node_load5", names::LOAD5_PER_CORE),
        ("node_load15", names::LOAD15_PER_CORE),
    ] {
        if let Some(v) = find(name) {
            out.push(Metric::new(metric, v / cores));
        }
    }
    if let (Some(total), Some(avail)) = (
        find("node_memory_MemTotal_bytes"),
        find("node_memory_MemAvailable_bytes"),
    ) {
        if total > 0.0 {
            out.push(Metric::new(
                names::MEM_USED_PCT,
                100.0 * (1.0 - avail / total),
            ));
        }
    }
    // Filesystems by mount point, one per device (bind mounts repeat it).
    let mut devices = BTreeSet::new();
    for size in samples
        .iter()
        .filter(|s| s.name == "node_filesystem_size_bytes")
    {
        let (Some(mount), Some(device)) = (size.label("mountpoint"), size.label("device")) else {
            continue;
        };
        if size.label("fstype").is_some_and(|f| PSEUDO_FS.contains(&f)) || size.value <= 0.0 {
            continue;
        }
        if !devices.insert(device) {
            continue;
        }
        let same = |name: &str| {
            samples
                .iter()
                .find(|s| s.name == name && s.label("mountpoint") == Some(mount))
                .map(|s| s.value)
        };
        if let Some(avail) = same("node_filesystem_avail_bytes") {
            // As df reports it: used / (used + available to users), so
            // blocks reserved for root do not count as free.
            let used = same("node_filesystem_free_bytes").map(|free| size.value - free);
            let used = match used {
                Some(u) if u + avail > 0.0 => 100.0 * u / (u + avail),
                _ => 100.0 * (1.0 - avail / size.value),
            };
            out.push(Metric::new(
                format!("{}:{mount}", names::DISK_USED_PCT),
                used,
            ));
        }
        if let (Some(files), Some(free)) = (
            same("node_filesystem_files"),
            same("node_filesystem_files_free"),
        ) {
            if files > 0.0 {
                let used = 100.0 * (1.0 - free / files);
                out.push(Metric::new(
                    format!("{}:{mount}", names::INODES_USED_PCT),
                    used,
                ));
            }
        }
    }
    if let (Some(now), Some(boot)) = (find("node_time_seconds"), find("node_boot_time_seconds")) {
        out.push(Metric::new(names::UPTIME_S, (now - boot).max(0.0)));
    }
    let unit_states: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name == "node_systemd_unit_state" && s.label("state") == Some("failed"))
        .collect();
    if !unit_states.is_empty() {
        let failed = unit_states.iter().filter(|s| s.value >= 1.0).count();
        out.push(Metric::new(names::FAILED_UNITS, failed as f64));
    }
    let now = counters(samples);
    if let Some(prev) = prev {
        let secs = match (now.at, prev.at) {
            (Some(a), Some(b)) if a > b => a - b,
            _ => elapsed,
        };
        // A counter that went down was reset (a reboot): no rate this time.
        let delta = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if a >= b => Some(a - b),
            _ => None,
        };
        if let (Some(total), Some(busy)) = (
            delta(now.cpu_total, prev.cpu_total),
            delta(now.cpu_busy, prev.cpu_busy),
        ) {
            if total > 0.0 {
                out.push(Metric::new(
                    names::CPU_BUSY_PCT,
                    (100.0 * busy / total).clamp(0.0, 100.0),
                ));
            }
        }
        if secs > 0.0 {
            for (a, b, metric) in [
                (now.disk_read, prev.disk_read, names::DISK_READ_BPS),
                (now.disk_written, prev.disk_written, names::DISK_WRITE_BPS),
                (now.net_rx, prev.net_rx, names::NET_RX_BPS),
                (now.net_tx, prev.net_tx, names::NET_TX_BPS),
            ] {
                if let Some(d) = delta(a, b) {
                    out.push(Metric::new(metric, d / secs));
                }
            }
        }
    }
    (out, now)
}

fn label_of(m: &Metric) -> String {
    let what = match m.base() {
        names::CPU_BUSY_PCT => "cpu",
        names::MEM_USED_PCT => "mem",
        names::DISK_USED_PCT => "disk",
        names::INODES_USED_PCT => "inodes",
        names::LOAD1_PER_CORE => "load1/core",
        names::LOAD5_PER_CORE => "load5/core",
        names::LOAD15_PER_CORE => "load15/core",
        names::FAILED_UNITS => "failed units",
        other => other,
    };
    match m.subject() {
        Some(s) => format!("{what} {s}"),
        None => what.to_string(),
    }
}

fn value_of(m: &Metric) -> String {
    if m.name.contains("_pct") {
        format!("{:.0}%", m.value)
    } else if m.base() == names::FAILED_UNITS {
        format!("{:.0}", m.value)
    } else {
        format!("{:.2}", m.value)
    }
}

/// The state of a host from its metrics, and the message: the broken
/// thresholds in words, worst first, or a short summary when all is fine.
pub fn judge(metrics: &[Metric], thresholds: &Thresholds) -> (Status, String) {
    if metrics.is_empty() {
        return (
            Status::Unknown,
            "no node_exporter metrics in the answer".into(),
        );
    }
    let (status, broken) = thresholds.judge(metrics);
    if !broken.is_empty() {
        let parts: Vec<String> = broken
            .iter()
            .take(3)
            .map(|(s, m, t)| {
                let (level, limit) = if *s == Status::Down {
                    ("crit", t.crit)
                } else {
                    ("warn", t.warn)
                };
                format!("{} {} ({level} {limit})", label_of(m), value_of(m))
            })
            .collect();
        return (status, parts.join(" · "));
    }
    let get = |name: &str| metrics.iter().find(|m| m.name == name);
    let mut parts = Vec::new();
    if let Some(c) = get(names::CPU_BUSY_PCT) {
        parts.push(format!("cpu {:.0}%", c.value));
    }
    if let Some(l) = get(names::LOAD5_PER_CORE) {
        parts.push(format!("load5/core {:.2}", l.value));
    }
    if let Some(m) = get(names::MEM_USED_PCT) {
        parts.push(format!("mem {:.0}%", m.value));
    }
    if let Some(d) = metrics
        .iter()
        .filter(|m| m.base() == names::DISK_USED_PCT)
        .max_by(|a, b| a.value.total_cmp(&b.value))
    {
        parts.push(format!("{} {:.0}%", label_of(d), d.value));
    }
    (status, parts.join(" · "))
}

/// Bytes of a scrape read at most (a node_exporter answer is ~100 KiB).
pub const SCRAPE_LIMIT: usize = bounded::SCRAPE;

/// The previous scrape of each exporter, for rates.
pub type History = Arc<Mutex<HashMap<String, (Instant, Counters)>>>;

pub async fn probe(
    client: &reqwest::Client,
    url: &str,
    thresholds: &Thresholds,
    history: &History,
) -> Probe {
    let start = Instant::now();
    let mut response = match bounded::send(client.get(url)).await {
        Ok(r) => r,
        Err(e) => return Probe::down(sanitize::clean_short(&format!("scrape failed: {e}"), 80)),
    };
    if !response.status().is_success() {
        return Probe::down(format!(
            "scrape answered HTTP {}",
            response.status().as_u16()
        ));
    }
    let body = match bounded::body(&mut response, SCRAPE_LIMIT, Over::Refuse).await {
        Ok(b) => b.bytes,
        Err(ReadError::TooLarge { limit }) => {
            return Probe::down(format!(
                "scrape larger than {}, not a node_exporter answer",
                bounded::size(limit)
            ));
        }
        Err(e) => return Probe::down(sanitize::clean_short(&format!("scrape body: {e}"), 80)),
    };
    let latency = elapsed_ms(start);
    let text = String::from_utf8_lossy(&body);
    let samples = parse(&text);
    let prev = history.lock().ok().and_then(|h| h.get(url).cloned());
    let elapsed = prev
        .as_ref()
        .map_or(0.0, |(at, _)| start.duration_since(*at).as_secs_f64());
    let (metrics, counters) = derive(&samples, prev.as_ref().map(|(_, c)| c), elapsed);
    if let Ok(mut h) = history.lock() {
        h.insert(url.to_string(), (start, counters));
    }
    let (status, message) = judge(&metrics, thresholds);
    Probe {
        status,
        latency_ms: Some(latency),
        message: sanitize::clean_short(&message, 120),
        metrics,
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
    fn derives_host_metrics_from_a_scrape() {
        let (metrics, _) = derive(&parse(SCRAPE), None, 0.0);
        let get = |n: &str| {
            metrics
                .iter()
                .find(|m| m.name == n)
                .map(|m| m.value.round())
        };
        assert_eq!(get("load1_per_core").map(|_| ()), Some(()));
        assert_eq!(get("mem_used_pct"), Some(75.0));
        assert_eq!(get("disk_used_pct:/"), Some(40.0));
        // tmpfs is not a disk; no previous scrape, no CPU figure.
        assert!(metrics.iter().all(|m| !m.name.ends_with("/run")));
        assert_eq!(get("cpu_busy_pct"), None);
        let (status, msg) = judge(&metrics, &Thresholds::host_defaults());
        assert_eq!(status, Status::Up);
        assert_eq!(msg, "mem 75% · disk / 40%");
    }

    #[test]
    fn cpu_and_rates_come_from_counter_deltas_and_resets_give_none() {
        let a = "node_time_seconds 100\nnode_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 50\nnode_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 50\nnode_network_receive_bytes_total{device=\"eth0\"} 1000\nnode_network_receive_bytes_total{device=\"lo\"} 99999\n";
        let b = "node_time_seconds 110\nnode_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 52\nnode_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 58\nnode_network_receive_bytes_total{device=\"eth0\"} 6000\nnode_network_receive_bytes_total{device=\"lo\"} 1\n";
        let (_, first) = derive(&parse(a), None, 0.0);
        let (metrics, second) = derive(&parse(b), Some(&first), 999.0);
        let get = |n: &str| metrics.iter().find(|m| m.name == n).map(|m| m.value);
        assert_eq!(get("cpu_busy_pct"), Some(80.0));
        assert_eq!(
            get("net_rx_bps"),
            Some(500.0),
            "lo excluded, exporter time used"
        );
        // After a reboot the counters start again: no negative rate.
        let (after_reset, _) = derive(&parse(a), Some(&second), 10.0);
        assert!(
            after_reset
                .iter()
                .all(|m| m.name != "net_rx_bps" && m.name != "cpu_busy_pct")
        );
    }

    #[test]
    fn broken_thresholds_are_said_worst_first() {
        let metrics = vec![
            Metric::new("disk_used_pct:/var", 96.0),
            Metric::new("mem_used_pct", 91.0),
            Metric::new("failed_units", 2.0),
        ];
        let (status, msg) = judge(&metrics, &Thresholds::host_defaults());
        assert_eq!(status, Status::Down);
        assert_eq!(
            msg,
            "disk /var 96% (crit 95) · mem 91% (warn 90) · failed units 2 (warn 1)"
        );
    }

    #[test]
    fn non_utf8_and_malformed_text_never_panic() {
        let bytes = b"node_load1 \xff\xfe\nnode_memory_MemTotal_bytes 0\nnode_memory_MemAvailable_bytes 5\n\x00\x01{{{\n";
        let text = String::from_utf8_lossy(bytes);
        let (metrics, _) = derive(&parse(&text), None, 0.0);
        assert!(metrics.is_empty(), "{metrics:?}");
        assert_eq!(
            judge(&metrics, &Thresholds::host_defaults()).0,
            Status::Unknown
        );
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
}
