//! SSH session speed against a real sshd on loopback, side by side with
//! the OpenSSH client: throughput of `cat` of a 100 MB file through an
//! interactive (PTY) session, and the keystroke round trip (a byte typed,
//! its echo back).
//!
//! cargo bench --bench ssh

#[path = "../tests/support/sshd.rs"]
mod sshd;

use std::io::Write;
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use sshd::{KeyPair, Sshd, SshdConfig, options};
use vigie::sources::ssh::shell::{Local, Run};
use vigie::sources::ssh::{self, NoPrompt};

const SIZE: usize = 100 * 1024 * 1024;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::new(dir.path(), "id_ed25519", "");
    let server = Sshd::start(SshdConfig {
        allow_tcp_forwarding: false,
        authorized: vec![key.public_line.clone()],
    });
    std::fs::write(
        dir.path().join("known_hosts"),
        server.known_hosts_line() + "\n",
    )
    .unwrap();
    // Text, so the PTY passes it as it is (apart from \n -> \r\n).
    let file = dir.path().join("big.txt");
    let line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz\n";
    let text = line.repeat(SIZE / line.len());
    std::fs::write(&file, &text).unwrap();
    let opts = options(dir.path());
    let target = server.target("bench", Some(&key.private));
    let devnull = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .unwrap();
    let cat = format!("exec cat {}\n", file.display());

    let mut g = c.benchmark_group("ssh_100MB_cat_pty");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(criterion::Throughput::Bytes(text.len() as u64));
    g.bench_function("vigie_libssh2", |b| {
        let conn = ssh::connect(&target, &opts, &NoPrompt).unwrap();
        b.iter(|| {
            // The keystrokes of `exec cat FILE`, from a pipe.
            let (mut w, r) = std::os::unix::net::UnixStream::pair().unwrap();
            w.write_all(cat.as_bytes()).unwrap();
            let local = Local {
                input: Some(r.as_raw_fd()),
                output: devnull.as_raw_fd(),
                errors: devnull.as_raw_fd(),
            };
            let ended = conn
                .interactive(
                    Run::Shell {
                        term: "xterm",
                        cols: 200,
                        rows: 50,
                    },
                    &local,
                )
                .unwrap();
            assert!(ended.bytes_out >= text.len() as u64, "{ended:?}");
            drop(w);
        })
    });
    g.bench_function("openssh_client", |b| {
        b.iter(|| {
            let st = Command::new("ssh")
                .args(["-tt", "-q", "-p", &server.port.to_string(), "-i"])
                .arg(&key.private)
                .args(["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes"])
                .arg("-o")
                .arg(format!(
                    "UserKnownHostsFile={}",
                    dir.path().join("known_hosts").display()
                ))
                .args(["-l", &sshd::current_user(), "127.0.0.1"])
                .arg(format!("cat {}", file.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .status()
                .unwrap();
            assert!(st.success());
        })
    });
    g.finish();

    // Keystroke round trip: one byte to a remote `cat` on a PTY, until its
    // echo is back.
    let mut g = c.benchmark_group("ssh_keystroke_round_trip");
    g.sample_size(20);
    g.bench_function("vigie_libssh2", |b| {
        let conn = ssh::connect(&target, &opts, &NoPrompt).unwrap();
        b.iter_custom(|iters| rtt(&conn, iters))
    });
    g.finish();
}

/// Times `iters` round trips of one byte through a PTY running `cat`.
fn rtt(conn: &ssh::Connection, iters: u64) -> Duration {
    use std::io::Read;
    let session = conn.session_for_bench();
    let mut ch = session.channel_session().unwrap();
    ch.request_pty("xterm", None, Some((80, 24, 0, 0))).unwrap();
    ch.exec("stty raw -echo; echo READY; cat").unwrap();
    let mut buf = [0u8; 256];
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("READY") {
        let n = ch.read(&mut buf).unwrap();
        seen.extend_from_slice(&buf[..n]);
    }
    let start = Instant::now();
    for _ in 0..iters {
        ch.write_all(b"a").unwrap();
        ch.flush().unwrap();
        loop {
            let n = ch.read(&mut buf).unwrap();
            if buf[..n].contains(&b'a') {
                break;
            }
        }
    }
    let took = start.elapsed();
    let _ = ch.close();
    took
}

criterion_group!(benches, bench);
criterion_main!(benches);
