//! Scripted load run of the POS monitor (not criterion: it measures CPU
//! time over a minute or more).
//!
//! `cargo bench --bench pos_load -- [STORES] [TILLS] [SECONDS]`
//!   STORES stores (default 50) of TILLS tills (default 10), each till a TCP
//!   connect to its own 127.x.y.z address, plus per store an IoT box, a main
//!   line (TCP), a 4G router (HTTP), the router's JSON status page, and the
//!   Odoo stand-in's sessions every minute; tills probed every 10 s for
//!   SECONDS (default 120). Prints the monitor's CPU as a share of one core.
//!
//! The targets and the Odoo stand-in run in a child process, so their CPU
//! is not counted. Without `--bench` (as `cargo test --all-targets` runs
//! it) two stores run for one second, to keep the harness working.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use vigie::demo::odoo::{self, OdooDb, User};
use vigie::engine::pos::PosMonitor;
use vigie::sources::Sources;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        serve(args.get(1).and_then(|s| s.parse().ok()).unwrap_or(50));
        return;
    }
    let bench = args.iter().any(|a| a == "--bench");
    let rest: Vec<usize> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .filter_map(|a| a.parse().ok())
        .collect();
    let (stores, tills, secs) = if bench {
        (
            rest.first().copied().unwrap_or(50),
            rest.get(1).copied().unwrap_or(10),
            rest.get(2).copied().unwrap_or(120),
        )
    } else {
        (2, 3, 1)
    };
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        eprintln!("pos_load: no runtime");
        std::process::exit(1);
    };
    runtime.block_on(run(stores, tills, Duration::from_secs(secs as u64)));
}

/// The child: a TCP listener (tills, main lines), an HTTP server (IoT box,
/// router page, 4G router) and the Odoo stand-in; prints their ports.
fn serve(stores: usize) {
    let Ok(runtime) = tokio::runtime::Runtime::new() else {
        return;
    };
    runtime.block_on(async move {
        let now = Utc::now();
        let mut configs = Vec::new();
        let mut sessions = Vec::new();
        for s in 0..stores {
            let id = s as i64 + 1;
            let name = format!("Store {s}");
            configs.push(odoo::pos_config(id, &name));
            sessions.push(odoo::pos_session(
                id,
                (id, &name),
                "opened",
                Some(now - TimeDelta::hours(2)),
                None,
                false,
            ));
        }
        let mut models = std::collections::BTreeMap::new();
        models.insert("pos.config".to_string(), configs);
        models.insert("pos.session".to_string(), sessions);
        let db = Arc::new(Mutex::new(OdooDb {
            name: "bench".into(),
            users: vec![User {
                login: "vigie".into(),
                key: "k".into(),
                uid: 2,
            }],
            models,
            unhealthy: false,
            jsonrpc_removed: false,
        }));
        let Ok(odoo_addr) = odoo::serve(db).await else {
            return;
        };
        let app = axum::Router::new()
            .route("/hw_proxy/hello", axum::routing::get(|| async { "ping" }))
            .route(
                "/router.json",
                axum::routing::get(|| async { r#"{"wan": {"active": "wan"}}"# }),
            )
            .route("/lte", axum::routing::get(|| async { "ok" }));
        let (Ok(http), Ok(tcp)) = (
            tokio::net::TcpListener::bind("0.0.0.0:0").await,
            tokio::net::TcpListener::bind("0.0.0.0:0").await,
        ) else {
            return;
        };
        let (Ok(h), Ok(t)) = (http.local_addr(), tcp.local_addr()) else {
            return;
        };
        println!("{} {} {}", h.port(), t.port(), odoo_addr.port());
        let _ = std::io::stdout().flush();
        tokio::spawn(async move {
            let _ = axum::serve(http, app).await;
        });
        tokio::spawn(async move {
            while let Ok((sock, _)) = tcp.accept().await {
                drop(sock);
            }
        });
        let _ = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
        })
        .await;
    });
}

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

fn host(i: usize) -> String {
    format!(
        "127.{}.{}.{}",
        (i / 62_500) % 250,
        (i / 250) % 250,
        i % 250 + 1
    )
}

async fn run(stores: usize, tills: usize, duration: Duration) {
    let exe = std::env::current_exe().expect("bench binary path");
    let mut child = Command::new(exe)
        .args(["serve", &stores.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the targets");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("child stdout"))
        .read_line(&mut line)
        .expect("ports");
    let ports: Vec<u16> = line
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    let [http, tcp, odoo_port] = ports[..] else {
        panic!("ports: {line}")
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("key");
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&key)
            .expect("key file");
        f.write_all(b"k").expect("key");
    }
    let mut toml = format!(
        "[contracts.c]\nintervention = {{ urgent = \"2h\" }}\nhourly_rate = 1.0\nmonthly_fee = 1.0\n\
         [clients.coop]\nname = \"Coop\"\ntimezone = \"Europe/Paris\"\ncontract = \"c\"\n\
         [clients.coop.odoo]\nurl = \"http://127.0.0.1:{odoo_port}\"\ndb = \"bench\"\nlogin = \"vigie\"\nkey_file = \"{}\"\n",
        key.display()
    );
    let mut n = 0;
    for s in 0..stores {
        let till_list: Vec<String> = (0..tills)
            .map(|t| {
                n += 1;
                format!(
                    "{{ name = \"T{t}\", address = \"{}\", port = {tcp} }}",
                    host(n)
                )
            })
            .collect();
        n += 1;
        let _ = write!(
            toml,
            "[clients.coop.sites.s{s}]\nname = \"Store {s}\"\nhours = {{ mon = \"00:00-24:00\", tue = \"00:00-24:00\", wed = \"00:00-24:00\", thu = \"00:00-24:00\", fri = \"00:00-24:00\", sat = \"00:00-24:00\", sun = \"00:00-24:00\" }}\n\
             [clients.coop.sites.s{s}.pos]\nconfigs = [\"Store {s}\"]\ntills = [{}]\niot = \"http://{h}:{http}\"\n\
             main = {{ address = \"{h}\", port = {tcp} }}\nbackup = {{ url = \"http://{h}:{http}/lte\" }}\n\
             traffic = {{ url = \"http://{h}:{http}/router.json\", pointer = \"/wan/active\", main = \"wan\", backup = \"lte\" }}\n",
            till_list.join(", "),
            h = host(n),
        );
    }
    let config =
        vigie::config::parse(&toml, std::path::Path::new("<bench>")).expect("bench config");
    let sources = Sources::new().expect("sources");
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let cpu0 = own_cpu();
    let t0 = Instant::now();
    let monitor = PosMonitor::start(&config.fleet, &sources, tx);
    let mut views = 0usize;
    let mut critical = 0usize;
    let deadline = tokio::time::sleep(duration);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            v = rx.recv() => match v {
                Some(v) => {
                    views += 1;
                    if v.tills.iter().any(|(_, r)| r.status != vigie::model::Status::Up) { critical += 1; }
                }
                None => break,
            }
        }
    }
    let cpu = own_cpu() - cpu0;
    let wall = t0.elapsed().as_secs_f64();
    drop(monitor);
    println!(
        "pos_load: {stores} stores x {tills} tills, {} s: {views} store rounds ({critical} with a till not up), monitor CPU {cpu:.2} s = {:.2} % of one core",
        wall.round(),
        100.0 * cpu / wall
    );
    let _ = child.kill();
    let _ = child.wait();
}
