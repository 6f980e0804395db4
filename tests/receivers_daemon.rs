//! The real daemon, watched from outside: it tells systemd (the test plays
//! its side of `$NOTIFY_SOCKET`) that it is ready and feeds the watchdog;
//! its dead man's switch pings a stand-in Healthchecks and pings `/fail`
//! once its store (on a small tmpfs) can no longer be written; and the
//! "Acknowledge" button lands on its listener and in its store.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::Uri;

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A fleet of one check on a port nothing listens on, checked every second.
fn config(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[contracts.basic]\nintervention = {{ urgent = \"2h\" }}\nhourly_rate = 1\nmonthly_fee = 0\n\
             [hosts.erp]\naddress = \"127.0.0.1\"\n\
             [[hosts.erp.checks]]\nname = \"db\"\nkind = \"tcp\"\naddress = \"127.0.0.1:{}\"\ninterval = \"1s\"\ntimeout = \"500ms\"\n\
             {extra}",
            closed_port()
        ),
    )
    .unwrap();
    path
}

fn daemon(dir: &Path, db: &Path, config: &Path, env: &[(&str, String)]) -> Kill {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigie"));
    cmd.arg("--config")
        .arg(config)
        .arg("--db")
        .arg(db)
        .arg("--log")
        .arg(dir.join("vigie.log"))
        .arg("daemon")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Kill(cmd.spawn().unwrap())
}

#[test]
fn the_daemon_tells_systemd_it_is_ready_then_feeds_the_watchdog() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("notify");
    let systemd = UnixDatagram::bind(&socket).unwrap();
    systemd
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let config = config(dir.path(), "");
    let mut d = daemon(
        dir.path(),
        &dir.path().join("vigie.db"),
        &config,
        &[
            ("NOTIFY_SOCKET", socket.display().to_string()),
            // 400 ms: fed every 200 ms.
            ("WATCHDOG_USEC", "400000".into()),
        ],
    );
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while got.iter().filter(|m| *m == "WATCHDOG=1").count() < 3 {
        let n = systemd.recv(&mut buf).expect("the daemon went quiet");
        got.push(String::from_utf8_lossy(&buf[..n]).to_string());
    }
    assert_eq!(got[0], "READY=1", "{got:?}");
    // Stopped by systemd: it says so.
    unsafe { libc::kill(d.0.id() as i32, libc::SIGTERM) };
    loop {
        let n = systemd.recv(&mut buf).expect("no STOPPING=1");
        if &buf[..n] == b"STOPPING=1" {
            break;
        }
    }
    assert!(d.0.wait().unwrap().success());
}

/// A stand-in Healthchecks: records each ping's path and body.
async fn healthchecks() -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    let got: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let keep = got.clone();
    let app = Router::new().fallback(move |uri: Uri, body: Bytes| {
        let keep = keep.clone();
        async move {
            keep.lock().unwrap().push((
                uri.path().to_string(),
                String::from_utf8_lossy(&body).to_string(),
            ));
            "OK"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/ping/5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, got)
}

/// A tmpfs of `size`, unmounted when dropped (the tests run as root, as
/// `tests/store_faults.rs`).
struct Tmpfs {
    at: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("disk");
        std::fs::create_dir(&at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "vigie-test"])
            .arg(&at)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mounting a tmpfs needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs { at, _dir: dir }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
    }
}

async fn wait_for(
    got: &Arc<Mutex<Vec<(String, String)>>>,
    what: &str,
    pred: impl Fn(&(String, String)) -> bool,
) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(p) = got.lock().unwrap().iter().find(|p| pred(p)) {
            return p.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no {what}: {:?}",
            got.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dead_mans_switch_pings_fail_when_the_store_cannot_be_written() {
    let (url, got) = healthchecks().await;
    let disk = Tmpfs::mount("3m");
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        &format!("[self]\nping_url = \"{url}\"\nping_every = \"1s\"\n"),
    );
    let _d = daemon(dir.path(), &disk.at.join("vigie.db"), &config, &[]);
    let path = url.split_once("127.0.0.1:").unwrap().1;
    let path = &path[path.find('/').unwrap()..];
    wait_for(&got, "success ping", |(p, _)| p == path).await;
    assert!(
        !got.lock()
            .unwrap()
            .iter()
            .any(|(p, _)| p.ends_with("/fail")),
        "{:?}",
        got.lock().unwrap()
    );

    // The disk fills: results can no longer be written.
    use std::io::Write;
    let mut filler = std::fs::File::create(disk.at.join("filler")).unwrap();
    let block = vec![0xA5u8; 4096];
    while filler.write_all(&block).is_ok() {}
    let _ = filler.sync_all();
    let fail = format!("{path}/fail");
    let (_, why) = wait_for(&got, "/fail ping", |(p, _)| *p == fail).await;
    assert!(why.contains("store writes fail"), "{why}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_acknowledge_button_lands_on_the_daemon_listener_and_in_its_store() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("ack.key");
    std::fs::write(&key_file, "c2VjcmV0LWtleS1mb3ItdGhlLWJ1dHRvbnM=\n").unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let port = closed_port();
    let config = config(
        dir.path(),
        &format!(
            "[alerts]\nlisten = \"127.0.0.1:{port}\"\nack_secret_file = \"{}\"\n",
            key_file.display()
        ),
    );
    let db = dir.path().join("vigie.db");
    let _d = daemon(dir.path(), &db, &config, &[]);
    let links = vigie::alerts::ack::Links::new(
        &format!("http://127.0.0.1:{port}"),
        b"c2VjcmV0LWtleS1mb3ItdGhlLWJ1dHRvbnM=",
        Duration::from_secs(600),
    );
    let button = links.url("checks:erp/db", "ntfy", chrono::Utc::now());
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let answer = loop {
        match client.post(&button).send().await {
            Ok(r) => break r,
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "the listener never answered: {e}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    assert_eq!(answer.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let by = vigie::store::Reader::open(&db)
            .ok()
            .and_then(|r| r.alert_records().ok())
            .and_then(|m| {
                m.get("checks:erp/db")
                    .and_then(|r| r.ack.as_ref().map(|a| a.by.clone()))
            });
        if by.as_deref() == Some("ntfy") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no acknowledgement in the store: {by:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
