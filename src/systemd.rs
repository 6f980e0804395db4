//! systemd's notify protocol, in the few lines it takes: `READY=1` once the
//! daemon collects, `WATCHDOG=1` from its main loop (so a stuck loop stops
//! them, and systemd restarts it after `WatchdogSec`), `STOPPING=1` when
//! it stops. Datagrams to `$NOTIFY_SOCKET` (a path, or `@name` for an
//! abstract socket); nothing at all when it is not set.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

/// Sends one notification; false when there is no socket or it failed
/// (systemd is then not waiting for it).
pub fn notify(state: &str, env: &dyn Fn(&str) -> Option<String>) -> bool {
    let Some(path) = env("NOTIFY_SOCKET").filter(|p| !p.is_empty()) else {
        return false;
    };
    let Ok(socket) = UnixDatagram::unbound() else {
        return false;
    };
    if let Some(name) = path.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        match std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()) {
            Ok(addr) => socket.send_to_addr(state.as_bytes(), &addr).is_ok(),
            Err(_) => false,
        }
    } else {
        socket.send_to(state.as_bytes(), &path).is_ok()
    }
}

/// How often to send `WATCHDOG=1`: half of `$WATCHDOG_USEC`, when it is set
/// for this process (`$WATCHDOG_PID`, if set, is ours).
pub fn watchdog_every(env: &dyn Fn(&str) -> Option<String>) -> Option<Duration> {
    if let Some(pid) = env("WATCHDOG_PID") {
        if pid.trim().parse::<u32>().ok() != Some(std::process::id()) {
            return None;
        }
    }
    let usec: u64 = env("WATCHDOG_USEC")?.trim().parse().ok()?;
    // At least a millisecond: a zero period would never let the loop turn.
    (usec >= 2_000).then(|| Duration::from_micros(usec / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watchdog_is_fed_twice_per_period_and_only_for_this_process() {
        let env = |k: &str| match k {
            "WATCHDOG_USEC" => Some("30000000".to_string()),
            _ => None,
        };
        assert_eq!(watchdog_every(&env), Some(Duration::from_secs(15)));
        let other = |k: &str| match k {
            "WATCHDOG_USEC" => Some("30000000".to_string()),
            "WATCHDOG_PID" => Some("1".to_string()),
            _ => None,
        };
        assert_eq!(watchdog_every(&other), None);
        assert_eq!(watchdog_every(&|_| None), None);
        assert!(!notify("READY=1", &|_| None));
    }

    #[test]
    fn a_notification_is_one_datagram_on_the_socket() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("notify");
        let systemd = UnixDatagram::bind(&path).unwrap_or_else(|e| panic!("{e}"));
        let shown = path.display().to_string();
        assert!(notify("READY=1", &|k| (k == "NOTIFY_SOCKET")
            .then(|| shown.clone())));
        let mut buf = [0u8; 64];
        let n = systemd.recv(&mut buf).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(&buf[..n], b"READY=1");
    }
}
