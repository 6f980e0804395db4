//! `postgres` checks against a real PostgreSQL 15 (Debian's `postgresql`):
//! a primary archiving its WAL to a local directory and a streaming
//! replica made by `pg_basebackup -R`, both on free loopback ports, started
//! once for the file. The servers run as `nobody` when the tests run as
//! root (PostgreSQL refuses root). The failures an Odoo co-op meets are
//! made in turn (archive command broken, primary gone, replica gone,
//! connections exhausted) and each must read as the right state and reason.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use vigie::model::{CheckKind, Status};
use vigie::sources::{Probe, Sources};

const BIN: &str = "/usr/lib/postgresql/15/bin";
const TIMEOUT: Duration = Duration::from_secs(5);
const MONITOR_PASSWORD: &str = "watch-the-wal";

/// A primary and its replica, stopped (immediately) when dropped.
struct Pair {
    dir: tempfile::TempDir,
    primary: u16,
    replica: u16,
}

impl Pair {
    fn data(&self, which: &str) -> PathBuf {
        self.dir.path().join(which)
    }

    fn port(&self, which: &str) -> u16 {
        if which == "primary" {
            self.primary
        } else {
            self.replica
        }
    }

    /// Starts one server, waiting until it accepts connections.
    fn start(&self, which: &str) {
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c cluster_name=db{}",
            self.port(which),
            self.dir.path().join("sock").display(),
            if which == "primary" { 1 } else { 2 }
        );
        let data = self.data(which);
        let log = self.dir.path().join(format!("{which}.log"));
        as_owner(
            &format!("{BIN}/pg_ctl"),
            &[
                "-D",
                path(&data),
                "-l",
                path(&log),
                "-o",
                &opts,
                "-w",
                "start",
            ],
        );
    }

    fn stop(&self, which: &str) {
        as_owner(
            &format!("{BIN}/pg_ctl"),
            &["-D", path(&self.data(which)), "-m", "fast", "-w", "stop"],
        );
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for which in ["replica", "primary"] {
            let _ = owner_command(
                &format!("{BIN}/pg_ctl"),
                &["-D", path(&self.data(which)), "-m", "immediate", "stop"],
            )
            .output();
        }
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// `program args` as the servers' owner: `nobody` when root.
fn owner_command(program: &str, args: &[&str]) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "nobody", "--", program]).args(args);
        c
    } else {
        let mut c = Command::new(program);
        c.args(args);
        c
    }
}

fn as_owner(program: &str, args: &[&str]) {
    let out = owner_command(program, args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// initdb, archive to a local directory, roles, then the replica by
/// `pg_basebackup -R` with its own slot.
fn pair() -> Pair {
    assert!(
        Path::new(BIN).join("initdb").exists(),
        "{BIN}/initdb missing: apt-get install postgresql"
    );
    let dir = tempfile::tempdir().unwrap();
    let owned = ["sock", "archive"];
    for d in owned {
        std::fs::create_dir(dir.path().join(d)).unwrap();
    }
    if is_root() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let st = Command::new("chown")
            .args(["-R", "nobody:nogroup"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(st.success());
    }
    let pair = Pair {
        primary: free_port(),
        replica: free_port(),
        dir,
    };
    let primary = pair.data("primary");
    as_owner(
        &format!("{BIN}/initdb"),
        &[
            "-D",
            path(&primary),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
        ],
    );
    let archive = pair.dir.path().join("archive");
    let conf = format!(
        "\nmax_connections = 10\nsuperuser_reserved_connections = 3\nwal_level = replica\n\
         archive_mode = on\narchive_command = 'cp %p {}/%f'\nfsync = off\n",
        archive.display()
    );
    append(&primary.join("postgresql.conf"), &conf);
    // Superuser and replication trusted on loopback (the test's own
    // tools); every other role by password, as in production.
    std::fs::write(
        primary.join("pg_hba.conf"),
        "local all all trust\n\
         host replication postgres 127.0.0.1/32 trust\n\
         host all postgres 127.0.0.1/32 trust\n\
         host all app 127.0.0.1/32 trust\n\
         host all all 127.0.0.1/32 scram-sha-256\n",
    )
    .unwrap();
    pair.start("primary");
    admin(
        pair.primary,
        &format!(
            "CREATE ROLE monitor LOGIN PASSWORD '{MONITOR_PASSWORD}' IN ROLE pg_monitor;
             CREATE ROLE app LOGIN;"
        ),
    );
    as_owner(
        &format!("{BIN}/pg_basebackup"),
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &pair.primary.to_string(),
            "-U",
            "postgres",
            "-D",
            path(&pair.data("replica")),
            "-R",
            "-X",
            "stream",
            "-C",
            "-S",
            "db2",
            "--no-sync",
        ],
    );
    pair.start("replica");
    pair
}

fn append(file: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(file).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

/// Runs `sql` as the superuser over loopback, with a runtime of its own.
fn admin(port: u16, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = superuser(port).await;
        c.batch_execute(sql).await.unwrap();
    });
}

async fn superuser(port: u16) -> tokio_postgres::Client {
    let (c, conn) = tokio_postgres::connect(
        &format!("host=127.0.0.1 port={port} user=postgres dbname=postgres"),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    c
}

/// The check kind of a `postgres` check written `extra`.
fn kind(port: u16, extra: &str) -> CheckKind {
    let text = format!(
        "[hosts.db]\naddress = \"127.0.0.1\"\n[[hosts.db.checks]]\nname = \"pg\"\nkind = \"postgres\"\n\
         url = \"postgresql://monitor@127.0.0.1:{port}/postgres\"\n{extra}"
    );
    let cfg = vigie::config::parse(&text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"));
    cfg.fleet.host("db").unwrap().checks[0].kind.clone()
}

/// A `wal_archive` backup source on the server at `port`.
fn wal_source(port: u16, pw: &Path) -> vigie::model::backup::BackupSource {
    let text = format!(
        "[contracts.c]\nintervention = {{ urgent = \"2h\" }}\nhourly_rate = 1.0\nmonthly_fee = 1.0\n\
         [clients.coop]\nname = \"Coop\"\ntimezone = \"UTC\"\ncontract = \"c\"\n\
         [backups.wal]\nclient = \"coop\"\nkind = \"wal_archive\"\n\
         url = \"postgresql://monitor@127.0.0.1:{port}/postgres\"\npassword_file = {:?}\n",
        path(pw)
    );
    let cfg = vigie::config::parse(&text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"));
    cfg.fleet.backups[0].clone()
}

/// An owner-only file holding the monitor's password.
fn password_file(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("monitor.pw");
    std::fs::write(&p, format!("{MONITOR_PASSWORD}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

/// Probes `kind` until `done` holds (the server changes state on its own
/// schedule: a reload, a WAL receiver's retry), at most 60 times a quarter
/// second apart; the last probe is returned either way.
async fn until(sources: &Sources, kind: &CheckKind, done: impl Fn(&Probe) -> bool) -> Probe {
    let mut p = sources.probe(kind, TIMEOUT).await;
    for _ in 0..60 {
        if done(&p) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
        p = sources.probe(kind, TIMEOUT).await;
    }
    p
}

fn metric(p: &Probe, name: &str) -> Option<f64> {
    p.metrics.iter().find(|m| m.name == name).map(|m| m.value)
}

// One test walks the failures in order: they change the one shared pair,
// so they cannot run side by side.
#[test]
fn replication_archiving_and_connections_read_as_their_states() {
    let pair = pair();
    let secrets = tempfile::tempdir().unwrap();
    let pw = password_file(secrets.path());
    let extra = format!("password_file = {:?}\n", path(&pw));
    let primary = kind(pair.primary, &format!("{extra}replicas = 1\n"));
    let replica = kind(pair.replica, &extra);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sources = Sources::new().unwrap();
        let admin = superuser(pair.primary).await;

        // Healthy: a segment archived, the replica streaming from its slot.
        admin
            .batch_execute(
                "CREATE TABLE t AS SELECT generate_series(1, 1000) AS n; SELECT pg_switch_wal();",
            )
            .await
            .unwrap();
        let p = until(&sources, &primary, |p| {
            p.status == Status::Up && metric(p, "pg_archive_age_s").is_some()
        })
        .await;
        assert_eq!(p.status, Status::Up, "{p:?}");
        assert!(
            p.message
                .starts_with("primary · 1 replica streaming · archive "),
            "{p:?}"
        );
        assert!(metric(&p, "pg_replica_lag_bytes:db2").is_some(), "{p:?}");
        assert!(metric(&p, "pg_slot_retained_bytes:db2").is_some(), "{p:?}");
        assert!(
            metric(&p, "pg_db_bytes:postgres").is_some_and(|b| b > 1e6),
            "{p:?}"
        );
        assert!(p.latency_ms.is_some());
        let r = until(&sources, &replica, |p| p.status == Status::Up).await;
        assert_eq!(r.status, Status::Up, "{r:?}");
        assert!(r.message.starts_with("replica streaming, "), "{r:?}");
        assert_eq!(metric(&r, "pg_replay_lag_bytes"), Some(0.0), "{r:?}");

        // No password named: `.pgpass` (here `PGPASSFILE`) gives it.
        let CheckKind::Postgres(bare) = kind(pair.primary, "") else {
            unreachable!()
        };
        let file = pgpass_file(secrets.path(), pair.primary);
        let env = |k: &str| (k == "PGPASSFILE").then(|| path(&file).to_string());
        let cfg = vigie::sources::postgres::config(&bare, TIMEOUT, &env).unwrap();
        let (c, conn) = cfg.connect(tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        let one: i32 = c.query_one("SELECT 1", &[]).await.unwrap().get(0);
        assert_eq!(one, 1);
        drop(c);
        // A wrong password is Vigie's own problem: unknown, not down.
        let wrong = secrets.path().join("wrong.pw");
        std::fs::write(&wrong, "not-it").unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&wrong, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let bad = kind(
            pair.primary,
            &format!("password_file = {:?}\n", path(&wrong)),
        );
        let b = Sources::new().unwrap().probe(&bad, TIMEOUT).await;
        assert_eq!(b.status, Status::Unknown, "{b:?}");
        assert!(
            b.message.contains("password authentication failed"),
            "{b:?}"
        );
        assert!(!b.message.contains("not-it"), "{b:?}");

        // The archive as a backup source: its newest point is the last
        // archived segment, judged by an RPO of one hour.
        let wal = wal_source(pair.primary, &pw);
        assert_eq!(wal.policy.rpo, Duration::from_secs(3600));
        let lister = vigie::sources::backups::BackupLister::default();
        let points = lister.list(&wal).await.unwrap().unwrap();
        assert_eq!(points.len(), 1, "{points:?}");
        assert_eq!(points[0].id.len(), 24, "a WAL segment name: {points:?}");
        let age = chrono::Utc::now() - points[0].at;
        assert!(age < chrono::TimeDelta::minutes(10), "{points:?}");

        // The archive command breaks: down before the archive's age says so.
        admin
            .batch_execute("ALTER SYSTEM SET archive_command = 'false';")
            .await
            .unwrap();
        admin
            .batch_execute("SELECT pg_reload_conf();")
            .await
            .unwrap();
        // The reload is applied by the archiver on its own time: switch
        // until a failure is counted.
        let p = {
            let mut p = sources.probe(&primary, TIMEOUT).await;
            for _ in 0..60 {
                if p.status == Status::Down {
                    break;
                }
                admin
                    .batch_execute("INSERT INTO t VALUES (1); SELECT pg_switch_wal();")
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(250)).await;
                p = sources.probe(&primary, TIMEOUT).await;
            }
            p
        };
        assert_eq!(p.status, Status::Down, "{p:?}");
        assert!(p.message.starts_with("WAL archiving failing ("), "{p:?}");
        let listed = lister.list(&wal).await.unwrap();
        assert!(
            listed
                .as_ref()
                .is_err_and(|e| e.starts_with("WAL archiving failing (")),
            "{listed:?}"
        );
        admin
            .batch_execute("ALTER SYSTEM RESET archive_command;")
            .await
            .unwrap();
        admin
            .batch_execute("SELECT pg_reload_conf();")
            .await
            .unwrap();
        let p = until(&sources, &primary, |p| p.status == Status::Up).await;
        assert_eq!(p.status, Status::Up, "archiving resumed: {p:?}");

        // The primary goes away: the replica stops streaming.
        drop(admin);
        pair.stop("primary");
        let r = until(&sources, &replica, |p| p.status == Status::Down).await;
        assert_eq!(r.status, Status::Down, "{r:?}");
        assert!(r.message.starts_with("replica not streaming"), "{r:?}");
        let p = sources.probe(&primary, TIMEOUT).await;
        assert_eq!(p.status, Status::Down, "{p:?}");
        assert!(p.message.starts_with("connect failed: "), "{p:?}");
        pair.start("primary");
        let r = until(&sources, &replica, |p| p.status == Status::Up).await;
        assert_eq!(r.status, Status::Up, "replica back: {r:?}");

        // The replica goes away: its primary says so, and what it keeps.
        pair.stop("replica");
        let p = until(&sources, &primary, |p| p.status == Status::Down).await;
        assert_eq!(p.status, Status::Down, "{p:?}");
        assert!(
            p.message
                .starts_with("0 of 1 replicas streaming · slot db2 inactive"),
            "{p:?}"
        );
        let r = sources.probe(&replica, TIMEOUT).await;
        assert_eq!(r.status, Status::Down, "{r:?}");
        assert!(r.message.starts_with("connect failed: "), "{r:?}");

        // Connections exhausted by an application: the kept session still
        // reads the server; a new one is refused, and says why.
        let mut held = Vec::new();
        for _ in 0..10 {
            match tokio_postgres::connect(
                &format!(
                    "host=127.0.0.1 port={} user=app dbname=postgres",
                    pair.primary
                ),
                tokio_postgres::NoTls,
            )
            .await
            {
                Ok((c, conn)) => {
                    tokio::spawn(conn);
                    held.push(c);
                }
                Err(_) => break,
            }
        }
        assert!(
            !held.is_empty() && held.len() < 10,
            "{} sessions",
            held.len()
        );
        let p = sources.probe(&primary, TIMEOUT).await;
        assert_eq!(p.status, Status::Down, "{p:?}");
        assert!(p.message.contains("connections 100% (crit 95%)"), "{p:?}");
        let fresh = Sources::new().unwrap().probe(&primary, TIMEOUT).await;
        assert_eq!(fresh.status, Status::Down, "{fresh:?}");
        // PostgreSQL words it by which slots are left ("too many clients
        // already", or "reserved for ... superuser connections").
        assert!(
            fresh
                .message
                .starts_with("connections exhausted: the server refused a new session ("),
            "{fresh:?}"
        );
        drop(held);
    });
}

fn pgpass_file(dir: &Path, port: u16) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("pgpass");
    std::fs::write(
        &p,
        format!("# test\n127.0.0.1:{port}:postgres:monitor:{MONITOR_PASSWORD}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p
}

/// The figure of docs/BENCHMARKS.md: Vigie's CPU time per round of a
/// `postgres` check on a primary with one replica (the queries' own cost
/// is the server's). Run alone, optimised:
/// `cargo test --release --test postgres round_cost -- --ignored --nocapture`.
#[test]
#[ignore]
fn round_cost() {
    let pair = pair();
    let secrets = tempfile::tempdir().unwrap();
    let pw = password_file(secrets.path());
    let primary = kind(
        pair.primary,
        &format!("password_file = {:?}\nreplicas = 1\n", path(&pw)),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sources = Sources::new().unwrap();
        // The first round connects (SCRAM and session start): apart.
        let cpu0 = cpu_time();
        let wall0 = std::time::Instant::now();
        let first = until(&sources, &primary, |p| p.status == Status::Up).await;
        assert_eq!(first.status, Status::Up, "{first:?}");
        let (connect_cpu, connect_wall) = (cpu_time() - cpu0, wall0.elapsed());
        const ROUNDS: u32 = 500;
        let cpu0 = cpu_time();
        let wall0 = std::time::Instant::now();
        for _ in 0..ROUNDS {
            let p = sources.probe(&primary, TIMEOUT).await;
            assert_eq!(p.status, Status::Up, "{p:?}");
        }
        let (cpu, wall) = (cpu_time() - cpu0, wall0.elapsed());
        println!(
            "first round (connect): {:.2} ms CPU, {:.2} ms wall",
            connect_cpu.as_secs_f64() * 1e3,
            connect_wall.as_secs_f64() * 1e3
        );
        println!(
            "kept session, {ROUNDS} rounds of {} queries: {:.3} ms CPU and {:.3} ms wall per round",
            vigie::sources::postgres::QUERIES_PER_ROUND,
            cpu.as_secs_f64() * 1e3 / f64::from(ROUNDS),
            wall.as_secs_f64() * 1e3 / f64::from(ROUNDS)
        );
    });
}

/// User and system CPU time of this process so far.
fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(u.ru_utime) + tv(u.ru_stime)
}
