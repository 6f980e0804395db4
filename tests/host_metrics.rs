//! Host metrics from a real prometheus-node-exporter on loopback, checked
//! against what this machine's /proc and statvfs say at the same time.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use vigie::model::{CheckKind, Metric, Status, Thresholds};
use vigie::sources::Sources;

const EXPORTER: &str = "/usr/bin/prometheus-node-exporter";

struct Exporter {
    child: Child,
    url: String,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the exporter on a free loopback port and waits until it answers.
async fn start_exporter() -> Exporter {
    assert!(
        std::path::Path::new(EXPORTER).exists(),
        "{EXPORTER} is missing: install the Debian package prometheus-node-exporter (scripts/test does)"
    );
    for _ in 0..5 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(EXPORTER)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let exporter = Exporter {
            child,
            url: format!("http://127.0.0.1:{port}/metrics"),
        };
        for _ in 0..100 {
            if reqwest::get(&exporter.url).await.is_ok() {
                return exporter;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    panic!("prometheus-node-exporter did not start");
}

fn get(metrics: &[Metric], name: &str) -> f64 {
    metrics
        .iter()
        .find(|m| m.name == name)
        .map(|m| m.value)
        .unwrap_or_else(|| panic!("no {name} in {metrics:?}"))
}

fn meminfo(key: &str) -> f64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap();
    text.lines()
        .find(|l| l.starts_with(&format!("{key}:")))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// (busy, total) CPU jiffies over all cores, as /proc/stat counts them.
fn cpu_jiffies() -> (f64, f64) {
    let text = std::fs::read_to_string("/proc/stat").unwrap();
    let fields: Vec<f64> = text
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal [guest guest_nice]
    let total: f64 = fields.iter().take(8).sum();
    let idle = fields[3] + fields[4] + fields[7];
    (total - idle, total)
}

fn root_used_pct() -> f64 {
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    let path = std::ffi::CString::new("/").unwrap();
    // SAFETY: statvfs fills the struct for a valid path.
    let st = unsafe {
        assert_eq!(libc::statvfs(path.as_ptr(), st.as_mut_ptr()), 0);
        st.assume_init()
    };
    let used = (st.f_blocks - st.f_bfree) as f64;
    100.0 * used / (used + st.f_bavail as f64)
}

#[tokio::test]
async fn figures_match_proc_and_statvfs_of_this_machine() {
    let exporter = start_exporter().await;
    let sources = Sources::new().unwrap();
    let kind = CheckKind::NodeExporter {
        url: exporter.url.clone(),
        thresholds: Thresholds::host_defaults(),
    };
    let first = sources.probe(&kind, Duration::from_secs(10)).await;
    assert_ne!(first.status, Status::Down, "{}", first.message);
    assert!(
        first.metrics.iter().all(|m| m.name != "cpu_busy_pct"),
        "no CPU figure from one scrape"
    );
    let cpu0 = cpu_jiffies();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let probe = sources.probe(&kind, Duration::from_secs(10)).await;
    let cpu1 = cpu_jiffies();
    let m = &probe.metrics;

    // Memory moves little in a second: within 5 points.
    let mem = 100.0 * (1.0 - meminfo("MemAvailable") / meminfo("MemTotal"));
    assert!(
        (get(m, "mem_used_pct") - mem).abs() < 5.0,
        "mem {} vs {mem}",
        get(m, "mem_used_pct")
    );
    // The root filesystem, as df counts it: within 2 points.
    let disk = root_used_pct();
    assert!(
        (get(m, "disk_used_pct:/") - disk).abs() < 2.0,
        "disk {} vs {disk}",
        get(m, "disk_used_pct:/")
    );
    // Load per core: the 1-minute average moves slowly; within 0.5.
    let load1: f64 = std::fs::read_to_string("/proc/loadavg")
        .unwrap()
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap();
    let cores = std::thread::available_parallelism().unwrap().get() as f64;
    assert!(
        (get(m, "load1_per_core") - load1 / cores).abs() < 0.5,
        "load {} vs {}",
        get(m, "load1_per_core"),
        load1 / cores
    );
    // CPU over the two scrapes against /proc/stat over nearly the same two
    // seconds; the windows differ by the scrape times and this test's own
    // work, hence 25 points.
    let busy = 100.0 * (cpu1.0 - cpu0.0) / (cpu1.1 - cpu0.1).max(1.0);
    let cpu = get(m, "cpu_busy_pct");
    assert!((0.0..=100.0).contains(&cpu));
    assert!((cpu - busy).abs() < 25.0, "cpu {cpu} vs {busy}");
    // Rates and uptime are there too, and sane.
    assert!(get(m, "net_rx_bps") >= 0.0);
    assert!(get(m, "uptime_s") > 0.0);
    assert!(m.iter().any(|x| x.name.starts_with("inodes_used_pct:")));
    assert!(probe.message.contains("mem "), "{}", probe.message);
}

#[tokio::test]
async fn a_tight_threshold_degrades_and_says_why() {
    let exporter = start_exporter().await;
    let sources = Sources::new().unwrap();
    let mut thresholds = Thresholds::host_defaults();
    thresholds.set(vigie::model::Threshold::above("mem_used_pct", 0.0, 1000.0));
    let kind = CheckKind::NodeExporter {
        url: exporter.url.clone(),
        thresholds,
    };
    let probe = sources.probe(&kind, Duration::from_secs(10)).await;
    assert_eq!(probe.status, Status::Degraded, "{}", probe.message);
    assert!(
        probe.message.starts_with("mem ") && probe.message.contains("(warn 0)"),
        "{}",
        probe.message
    );
}

#[tokio::test]
async fn a_closed_exporter_port_is_down_with_a_cause() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sources = Sources::new().unwrap();
    let kind = CheckKind::NodeExporter {
        url: format!("http://127.0.0.1:{port}/metrics"),
        thresholds: Thresholds::host_defaults(),
    };
    let probe = sources.probe(&kind, Duration::from_secs(5)).await;
    assert_eq!(probe.status, Status::Down);
    assert!(
        probe.message.starts_with("scrape failed"),
        "{}",
        probe.message
    );
}
