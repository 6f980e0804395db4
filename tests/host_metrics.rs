//! Host metrics from a real prometheus-node-exporter on loopback, checked
//! against what this machine's /proc and statvfs say at the same time; and
//! the same signals read through a real Prometheus server scraping it (and
//! a blackbox_exporter probe).

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
    // No thresholds: this test compares figures, and the machine's own load
    // or disk must not turn the probe down.
    let exporter = start_exporter().await;
    let sources = Sources::new().unwrap();
    let kind = CheckKind::NodeExporter {
        url: exporter.url.clone(),
        thresholds: Thresholds::default(),
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
    let mut thresholds = Thresholds::default();
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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn need(bin: &str, package: &str) {
    assert!(
        std::path::Path::new(bin).exists(),
        "{bin} is missing: install the Debian package {package} (scripts/test does)"
    );
}

#[tokio::test]
async fn prometheus_gives_the_same_figures_as_the_exporter() {
    use vigie::model::{PromSignals, PrometheusCheck};
    need("/usr/bin/prometheus", "prometheus");
    need(
        "/usr/bin/prometheus-blackbox-exporter",
        "prometheus-blackbox-exporter",
    );
    let exporter = start_exporter().await;
    let node_target = exporter
        .url
        .trim_start_matches("http://")
        .trim_end_matches("/metrics")
        .to_string();
    // A tiny web server for blackbox_exporter to probe.
    let web = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let web_addr = web.local_addr().unwrap();
    tokio::spawn(async move {
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
        let _ = axum::serve(web, app).await;
    });
    let dir = tempfile::tempdir().unwrap();
    let bb_port = free_port();
    let bb_config = dir.path().join("blackbox.yml");
    std::fs::write(
        &bb_config,
        "modules:\n  http_2xx:\n    prober: http\n    timeout: 2s\n",
    )
    .unwrap();
    let _blackbox = Killed(
        Command::new("/usr/bin/prometheus-blackbox-exporter")
            .arg(format!("--config.file={}", bb_config.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{bb_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let web_url = format!("http://{web_addr}/");
    let prom_port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n\
             - job_name: node\n  static_configs:\n  - targets: ['{node_target}']\n\
             - job_name: blackbox\n  metrics_path: /probe\n  params:\n    module: [http_2xx]\n\
             \x20 static_configs:\n  - targets: ['{web_url}']\n\
             \x20 relabel_configs:\n\
             \x20 - source_labels: [__address__]\n    target_label: __param_target\n\
             \x20 - source_labels: [__param_target]\n    target_label: instance\n\
             \x20 - target_label: __address__\n    replacement: 127.0.0.1:{bb_port}\n"
        ),
    )
    .unwrap();
    let _prometheus = Killed(
        Command::new("/usr/bin/prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{prom_port}");
    let sources = Sources::new().unwrap();
    let node = CheckKind::Prometheus(PrometheusCheck {
        url: base.clone(),
        instance: node_target.clone(),
        signals: PromSignals::Node,
        thresholds: Thresholds::default(),
        slow_ms: 1_000,
    });
    // Wait (bounded) until Prometheus has scraped enough for rates.
    let mut via_prom = None;
    for _ in 0..120 {
        let p = sources.probe(&node, Duration::from_secs(5)).await;
        if p.status != Status::Down && p.metrics.iter().any(|m| m.name == "cpu_busy_pct") {
            via_prom = Some(p);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let via_prom = via_prom.expect("prometheus never had the node's series");
    let direct = sources
        .probe(
            &CheckKind::NodeExporter {
                url: exporter.url.clone(),
                thresholds: Thresholds::default(),
            },
            Duration::from_secs(5),
        )
        .await;
    for (name, tolerance) in [("mem_used_pct", 5.0), ("disk_used_pct:/", 2.0)] {
        let (a, b) = (get(&via_prom.metrics, name), get(&direct.metrics, name));
        assert!(
            (a - b).abs() < tolerance,
            "{name}: prometheus {a} vs exporter {b}"
        );
    }
    let cpu = get(&via_prom.metrics, "cpu_busy_pct");
    assert!((0.0..=100.0).contains(&cpu), "{cpu}");
    assert!(get(&via_prom.metrics, "uptime_s") > 0.0);

    // An instance Prometheus does not know is down, and says why.
    let unknown = CheckKind::Prometheus(PrometheusCheck {
        url: base.clone(),
        instance: "nowhere:9100".into(),
        signals: PromSignals::Node,
        thresholds: Thresholds::host_defaults(),
        slow_ms: 1_000,
    });
    let p = sources.probe(&unknown, Duration::from_secs(5)).await;
    assert_eq!(p.status, Status::Down);
    assert_eq!(
        p.message,
        "prometheus has no series for instance nowhere:9100"
    );

    // blackbox_exporter's probe of the web server, read from Prometheus.
    let probe = CheckKind::Prometheus(PrometheusCheck {
        url: base.clone(),
        instance: web_url.clone(),
        signals: PromSignals::Probe,
        thresholds: Thresholds::default(),
        slow_ms: 1_000,
    });
    let mut seen = None;
    for _ in 0..80 {
        let p = sources.probe(&probe, Duration::from_secs(5)).await;
        if p.status == Status::Up {
            seen = Some(p);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let p = seen.expect("blackbox probe never up through prometheus");
    assert!(p.latency_ms.is_some());
    assert!(p.message.contains("HTTP 200"), "{}", p.message);
}
