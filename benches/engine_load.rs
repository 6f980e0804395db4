//! Scripted load runs of the engine (not criterion: they measure CPU time and
//! schedule lateness over minutes, not one function's speed).
//!
//! `cargo bench --bench engine_load -- fleet [CHECKS] [SECONDS]`
//!   CHECKS checks (default 5000; HTTP and TCP on loopback, 10 % aimed at a
//!   listener that accepts and never answers) at a 60 s interval, for
//!   SECONDS (default 180): engine CPU as a share of one core, and the p50 /
//!   p99 lateness of check starts against their schedule.
//! `cargo bench --bench engine_load -- blackbox [TARGETS]`
//!   TARGETS loopback HTTP targets (default 1000) probed once by Vigie's
//!   sources and once by prometheus-blackbox-exporter: CPU seconds per 1,000
//!   probes for each.
//!
//! The targets are served by a child process, so their CPU is not counted.
//! Without `--bench` (as `cargo test --all-targets` runs it) a small fleet
//! runs for two seconds, to keep the harness working.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, mpsc};
use vigie::engine::{Engine, EngineOptions};
use vigie::model::{Check, CheckKind, Fleet, Host, HttpCheck};
use vigie::sources::Sources;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        serve();
        return;
    }
    let bench = args.iter().any(|a| a == "--bench");
    let rest: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("engine_load: no runtime: {e}");
            std::process::exit(1);
        }
    };
    let number =
        |i: usize, default: usize| rest.get(i).and_then(|s| s.parse().ok()).unwrap_or(default);
    match (bench, rest.first().copied()) {
        (false, _) => runtime.block_on(fleet_run(50, Duration::from_secs(2))),
        (true, Some("blackbox")) => runtime.block_on(blackbox_run(number(1, 1000))),
        (true, _) => runtime.block_on(fleet_run(
            number(1, 5000),
            Duration::from_secs(number(2, 180) as u64),
        )),
    }
}

/// The child: an HTTP server answering 200 on /ok, and a listener that
/// accepts and never answers. Prints both addresses, then serves until
/// stdin closes.
fn serve() {
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        return;
    };
    runtime.block_on(async {
        let app = axum::Router::new().route("/ok", axum::routing::get(|| async { "ok" }));
        let (Ok(http), Ok(silent)) = (
            // Every loopback address reaches them (127.x.y.z), so each
            // target can be a host of its own, as in a real fleet.
            tokio::net::TcpListener::bind("0.0.0.0:0").await,
            tokio::net::TcpListener::bind("0.0.0.0:0").await,
        ) else {
            return;
        };
        let (Ok(h), Ok(s)) = (http.local_addr(), silent.local_addr()) else {
            return;
        };
        println!("{h} {s}");
        let _ = std::io::stdout().flush();
        tokio::spawn(async move {
            let _ = axum::serve(http, app).await;
        });
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((sock, _)) = silent.accept().await {
                held.push(sock); // never read, never answered
            }
        });
        // Until the parent goes away.
        let _ = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        })
        .await;
    });
}

struct Server {
    child: Child,
    http: SocketAddr,
    silent: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    let exe = std::env::current_exe().expect("bench binary path");
    let mut child = Command::new(exe)
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the target server");
    let mut line = String::new();
    let out = child.stdout.take().expect("child stdout");
    BufReader::new(out)
        .read_line(&mut line)
        .expect("server addresses");
    let mut parts = line.split_whitespace();
    let http = parts
        .next()
        .and_then(|a| a.parse().ok())
        .expect("http addr");
    let silent = parts
        .next()
        .and_then(|a| a.parse().ok())
        .expect("silent addr");
    Server {
        child,
        http,
        silent,
    }
}

/// A loopback address of its own for target `i` (127.0.0.0/8 is all lo).
fn target(i: usize, port: u16) -> String {
    format!(
        "127.{}.{}.{}:{port}",
        (i / 62_500) % 250,
        (i / 250) % 250,
        i % 250 + 1
    )
}

/// CPU seconds (user + system) this process has used.
fn own_cpu() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// CPU seconds another process has used, from /proc/<pid>/stat.
fn cpu_of(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields after the command: state is 0, utime 11, stime 12.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / hz.max(1.0)
}

fn fleet_of(server: &Server, checks: usize, interval: Duration) -> Fleet {
    let timeout = Duration::from_secs(5);
    let checks = (0..checks)
        .map(|i| {
            let kind = if i % 10 == 9 {
                // 10 %: a listener that accepts and never answers.
                let t = target(i, server.silent.port());
                CheckKind::Http(HttpCheck::get(format!("http://{t}/ok")))
            } else if i % 2 == 0 {
                let t = target(i, server.http.port());
                CheckKind::Http(HttpCheck::get(format!("http://{t}/ok")))
            } else {
                CheckKind::Tcp {
                    address: target(i, server.http.port()),
                    slow_ms: 1_000,
                }
            };
            Check::new("load", &format!("c{i}"), kind, interval, timeout)
        })
        .collect();
    Fleet {
        hosts: vec![Host {
            name: "load".into(),
            address: "127.0.0.1".into(),
            ssh_user: None,
            ssh_port: 22,
            checks,
        }],
        ..Fleet::default()
    }
}

async fn fleet_run(checks: usize, duration: Duration) {
    let server = start_server();
    let interval = Duration::from_secs(60);
    let fleet = fleet_of(&server, checks, interval);
    let sources = Sources::new().expect("http client");
    let (tx, mut rx) = mpsc::channel(8192);
    let drain = tokio::spawn(async move {
        let mut n = 0u64;
        while rx.recv().await.is_some() {
            n += 1;
        }
        n
    });
    let cpu0 = own_cpu();
    let t0 = Instant::now();
    let mut engine = Engine::start_with(&fleet, sources, tx, EngineOptions::default());
    let lateness = engine.lateness();
    tokio::time::sleep(duration).await;
    let cpu = own_cpu() - cpu0;
    let wall = t0.elapsed().as_secs_f64();
    engine.stop();
    drop(engine);
    let results = tokio::time::timeout(Duration::from_secs(10), drain)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
    let p = |q| {
        lateness
            .percentile(q)
            .map(|d| format!("{} ms", d.as_millis()))
            .unwrap_or_else(|| "-".into())
    };
    println!(
        "fleet: {checks} checks at {}s for {:.0}s: {} starts, {results} results; engine CPU {:.2} s = {:.1} % of one core; lateness p50 {}, p99 {}, max bucket {}",
        interval.as_secs(),
        wall,
        lateness.count(),
        cpu,
        100.0 * cpu / wall,
        p(0.5),
        p(0.99),
        p(1.0),
    );
}

async fn blackbox_run(targets: usize) {
    let server = start_server();
    let port = server.http.port();
    // Vigie: every target once, 16 at a time, through the same sources the
    // engine uses; each target a host of its own, so no connection is
    // reused between targets (blackbox_exporter opens one per probe too).
    let sources = Sources::new().expect("http client");
    let limit = Arc::new(Semaphore::new(16));
    let kinds: Vec<CheckKind> = (0..targets)
        .map(|i| CheckKind::Http(HttpCheck::get(format!("http://{}/ok", target(i, port)))))
        .collect();
    let cpu0 = own_cpu();
    let mut set = tokio::task::JoinSet::new();
    for kind in kinds {
        let sources = sources.clone();
        let limit = limit.clone();
        set.spawn(async move {
            let _p = limit.acquire().await.ok();
            sources.probe(&kind, Duration::from_secs(5)).await.status
        });
    }
    let mut ok = 0;
    while let Some(r) = set.join_next().await {
        ok += usize::from(r.is_ok_and(|s| s == vigie::model::Status::Up));
    }
    let vigie_cpu = own_cpu() - cpu0;

    // blackbox_exporter: the same targets through /probe.
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("blackbox.yml");
    std::fs::write(
        &cfg,
        "modules:\n  http_2xx:\n    prober: http\n    timeout: 5s\n    http:\n      preferred_ip_protocol: ip4\n",
    )
    .expect("blackbox config");
    let bb_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        l.local_addr().expect("port").port()
    };
    let bin = "/usr/bin/prometheus-blackbox-exporter";
    let mut bb = match Command::new(bin)
        .arg(format!("--config.file={}", cfg.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{bb_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            println!(
                "vigie: {targets} probes ({ok} up), {:.3} CPU s per 1,000 probes",
                vigie_cpu * 1000.0 / targets as f64
            );
            println!("blackbox: cannot start {bin} ({e}); install prometheus-blackbox-exporter");
            return;
        }
    };
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{bb_port}");
    for _ in 0..100 {
        if client.get(format!("{base}/metrics")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = bb.id();
    let bb0 = cpu_of(pid);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..targets {
        let client = client.clone();
        let limit = limit.clone();
        let probe = format!(
            "{base}/probe?module=http_2xx&target=http://{}/ok",
            target(i, port)
        );
        set.spawn(async move {
            let _p = limit.acquire().await.ok();
            match client.get(probe).send().await {
                Ok(r) => r
                    .text()
                    .await
                    .unwrap_or_default()
                    .contains("probe_success 1"),
                Err(_) => false,
            }
        });
    }
    let mut bb_ok = 0;
    while let Some(r) = set.join_next().await {
        bb_ok += usize::from(r.unwrap_or(false));
    }
    let bb_cpu = cpu_of(pid) - bb0;
    let _ = bb.kill();
    let _ = bb.wait();
    println!(
        "vigie:    {targets} probes ({ok} up), {:.3} CPU s per 1,000 probes",
        vigie_cpu * 1000.0 / targets as f64
    );
    println!(
        "blackbox: {targets} probes ({bb_ok} up), {:.3} CPU s per 1,000 probes",
        bb_cpu * 1000.0 / targets as f64
    );
    println!("ratio vigie/blackbox: {:.2}", vigie_cpu / bb_cpu.max(1e-9));
}
