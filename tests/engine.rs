//! The engine against real sockets on loopback: down only after N failures,
//! up again after M successes, unknown (not down) when Vigie itself is cut
//! off, retries, and the start lateness it records.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use tokio::sync::mpsc;
use vigie::engine::{Engine, EngineOptions, Event};
use vigie::model::{Check, CheckKind, CheckResult, Fleet, Host, Status};
use vigie::sources::Sources;

/// A loopback port with nothing listening (bound, then released).
fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

fn tcp_check(host: &str, name: &str, addr: SocketAddr) -> Check {
    Check::new(
        host,
        name,
        CheckKind::Tcp {
            address: addr.to_string(),
            slow_ms: 1_000,
        },
        Duration::from_millis(60),
        Duration::from_millis(50),
    )
}

fn fleet(checks: Vec<Check>) -> Fleet {
    Fleet {
        hosts: vec![Host {
            name: "h".into(),
            address: "127.0.0.1".into(),
            ssh_user: None,
            ssh_port: 22,
            checks,
        }],
        ..Fleet::default()
    }
}

/// The next `n` results of `check_id`, in order.
async fn results_of(rx: &mut mpsc::Receiver<Event>, check_id: &str, n: usize) -> Vec<CheckResult> {
    let mut out = Vec::new();
    while out.len() < n {
        let Some(Event::Result(r)) = rx.recv().await else {
            panic!("engine stopped");
        };
        if r.check_id == check_id {
            out.push(r);
        }
    }
    out
}

fn states(results: &[CheckResult]) -> Vec<Status> {
    results.iter().map(|r| r.status).collect()
}

#[tokio::test]
async fn a_closed_port_is_down_on_the_third_failure_and_says_so_before() {
    let dead = closed_port();
    let alive = TcpListener::bind("127.0.0.1:0").unwrap();
    let fleet = fleet(vec![
        tcp_check("h", "dead", dead),
        tcp_check("h", "alive", alive.local_addr().unwrap()),
    ]);
    let (tx, mut rx) = mpsc::channel(64);
    let _engine = Engine::start(&fleet, Sources::new().unwrap(), tx);
    let got = results_of(&mut rx, "h/dead", 4).await;
    // Failing (a warning) until confirmed, never unknown nor up; the
    // confirmed outage began at the first failure.
    assert_eq!(
        states(&got),
        [
            Status::Degraded,
            Status::Degraded,
            Status::Down,
            Status::Down
        ]
    );
    let failing: Vec<_> = got.iter().map(|r| r.failing).collect();
    assert_eq!(failing, [Some((1, 3)), Some((2, 3)), None, None]);
    assert_eq!(got[2].first_failure, Some(got[0].at));
    assert_eq!(got[3].first_failure, Some(got[0].at));
    assert!(got.iter().all(|r| r.observed == Status::Down));
    assert!(
        got[0].message.ends_with("(failure 1 of 3)"),
        "{}",
        got[0].message
    );
    assert!(
        got[1].message.ends_with("(failure 2 of 3)"),
        "{}",
        got[1].message
    );
    assert!(!got[2].message.contains("failure"), "{}", got[2].message);
}

#[tokio::test]
async fn a_down_check_comes_back_up_after_two_successes() {
    let addr = closed_port();
    let fleet = fleet(vec![tcp_check("h", "db", addr)]);
    let (tx, mut rx) = mpsc::channel(64);
    let options = EngineOptions {
        resume: [("h/db".to_string(), Status::Down)].into(),
        ..EngineOptions::default()
    };
    let _engine = Engine::start_with(&fleet, Sources::new().unwrap(), tx, options);
    let before = results_of(&mut rx, "h/db", 1).await;
    assert_eq!(states(&before), [Status::Down], "resumed as down");
    // The service comes back on the same port.
    let _listener = TcpListener::bind(addr).unwrap();
    let mut after = results_of(&mut rx, "h/db", 3).await;
    // A probe may have been in flight when the port opened.
    if after[0].observed == Status::Down {
        after.remove(0);
        after.extend(results_of(&mut rx, "h/db", 1).await);
    }
    assert_eq!(states(&after[..2]), [Status::Down, Status::Up]);
    assert!(
        after[0].message.contains("recovering 1 of 2"),
        "{}",
        after[0].message
    );
    assert_eq!(after[0].observed, Status::Up);
}

#[tokio::test]
async fn every_check_failing_at_once_is_unknown_not_down() {
    let fleet = fleet(vec![
        tcp_check("h", "a", closed_port()),
        tcp_check("h", "b", closed_port()),
        tcp_check("h", "c", closed_port()),
    ]);
    let (tx, mut rx) = mpsc::channel(64);
    let _engine = Engine::start(&fleet, Sources::new().unwrap(), tx);
    let got = results_of(&mut rx, "h/c", 6).await;
    assert!(
        got.iter().all(|r| r.status == Status::Unknown),
        "{:?}",
        states(&got)
    );
    assert!(
        got.last().unwrap().message.contains("network looks cut"),
        "{}",
        got.last().unwrap().message
    );
}

#[tokio::test]
async fn a_failing_canary_makes_other_failures_unknown() {
    let alive = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut canary = tcp_check("h", "canary", closed_port());
    canary.canary = true;
    let fleet = fleet(vec![
        canary,
        tcp_check("h", "target", closed_port()),
        tcp_check("h", "alive", alive.local_addr().unwrap()),
    ]);
    let (tx, mut rx) = mpsc::channel(64);
    let _engine = Engine::start(&fleet, Sources::new().unwrap(), tx);
    let mut all = Vec::new();
    while all
        .iter()
        .filter(|r: &&CheckResult| r.check_id == "h/target")
        .count()
        < 6
    {
        let Some(Event::Result(r)) = rx.recv().await else {
            panic!("engine stopped");
        };
        all.push(r);
    }
    let target: Vec<&CheckResult> = all.iter().filter(|r| r.check_id == "h/target").collect();
    assert!(target.iter().all(|r| r.status != Status::Down));
    assert!(target.last().unwrap().message.contains("network looks cut"));
    // The canary itself is judged like any check: it does go down.
    assert!(
        all.iter()
            .any(|r| r.check_id == "h/canary" && r.status == Status::Down)
    );
    assert!(
        all.iter()
            .any(|r| r.check_id == "h/alive" && r.status == Status::Up)
    );
}

#[tokio::test]
async fn retries_are_counted_in_the_message_and_lateness_is_recorded() {
    let mut check = tcp_check("h", "dead", closed_port());
    check.retries = 2;
    let fleet = fleet(vec![check]);
    let (tx, mut rx) = mpsc::channel(64);
    let engine = Engine::start(&fleet, Sources::new().unwrap(), tx);
    let got = results_of(&mut rx, "h/dead", 2).await;
    assert!(
        got[0].message.contains("after 2 retries"),
        "{}",
        got[0].message
    );
    let lateness = engine.lateness();
    assert!(lateness.count() >= 2);
    assert!(lateness.percentile(0.99).is_some());
}

/// A check queued behind a hung probe (one permit) starts late, and the
/// lateness says so: it is measured when the probe starts, not when its
/// timer fires.
#[tokio::test]
async fn lateness_counts_the_wait_behind_hung_probes() {
    // Accepts connections and never answers.
    let hung = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = hung.local_addr().unwrap();
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in hung.incoming().flatten() {
            held.push(c);
        }
    });
    let slow = Check::new(
        "h",
        "hung",
        CheckKind::Http(vigie::model::HttpCheck::get(format!("http://{addr}/"))),
        Duration::from_secs(2),
        Duration::from_millis(800),
    );
    let quick = tcp_check("h", "quick", closed_port());
    let quick = Check {
        interval: Duration::from_secs(2),
        ..quick
    };
    let options = EngineOptions {
        concurrency: 1,
        ..EngineOptions::default()
    };
    let (tx, mut rx) = mpsc::channel(64);
    let engine = Engine::start_with(
        &fleet(vec![slow, quick]),
        Sources::new().unwrap(),
        tx,
        options,
    );
    let got = results_of(&mut rx, "h/quick", 2).await;
    assert_eq!(got.len(), 2);
    let lateness = engine.lateness();
    // The quick check was due right after the hung one took the only
    // permit for its 800 ms timeout.
    let worst = lateness.percentile(1.0).unwrap();
    assert!(worst >= Duration::from_millis(400), "{worst:?}");
}
