//! The `ssh_command` health check: run a command on the host over the SSH
//! layer and judge its exit status and output as the check says.

use std::time::{Duration, Instant};

use super::{CommandOutput, Options, SshError};
use crate::model::{SshCommandCheck, Status};
use crate::sanitize;
use crate::sources::{Probe, elapsed_ms};

/// Output kept per stream for judging (enough for a status line).
const OUTPUT_LIMIT: usize = 64 * 1024;

pub async fn probe(check: &SshCommandCheck, opts: &Options, timeout: Duration) -> Probe {
    let start = Instant::now();
    let result = super::run_command(
        check.target.clone(),
        opts.clone(),
        check.command.clone(),
        OUTPUT_LIMIT,
        timeout,
    )
    .await;
    let mut p = judge(check, result);
    p.latency_ms = Some(elapsed_ms(start));
    p
}

/// Exit status first, then the expected text (in stdout or stderr); the
/// message is the first line of output, sanitized.
pub fn judge(check: &SshCommandCheck, result: Result<CommandOutput, SshError>) -> Probe {
    let out = match result {
        Ok(out) => out,
        Err(e) => {
            return Probe {
                status: error_status(&e),
                latency_ms: None,
                message: sanitize::clean_short(&e.to_string(), 160),
                metrics: Vec::new(),
            };
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let err_text = String::from_utf8_lossy(&out.stderr);
    let first = text
        .lines()
        .chain(err_text.lines())
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let (status, message) = if let Some(sig) = &out.signal {
        (Status::Down, format!("killed by {sig}"))
    } else if out.exit_status != check.expect_exit {
        (
            Status::Down,
            format!(
                "exit {}, expected {}: {first}",
                out.exit_status, check.expect_exit
            ),
        )
    } else if let Some(want) = check
        .expect_output
        .as_ref()
        .filter(|w| !text.contains(w.as_str()) && !err_text.contains(w.as_str()))
    {
        (Status::Down, format!("output lacks '{want}': {first}"))
    } else {
        (Status::Up, format!("exit {}: {first}", out.exit_status))
    };
    Probe {
        status,
        latency_ms: None,
        message: sanitize::clean_short(message.trim_end_matches([':', ' ']), 100),
        metrics: Vec::new(),
    }
}

/// The state a failed SSH run leaves a check in: Vigie could not look (no
/// trusted key, no accepted key) is unknown; a refused or changed
/// identity, or a host that does not answer, is down.
pub fn error_status(e: &SshError) -> Status {
    match e {
        SshError::HostKeyUnknown { .. } | SshError::Auth { .. } | SshError::Record { .. } => {
            Status::Unknown
        }
        _ => Status::Down,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(expect_exit: i32, expect_output: Option<&str>) -> SshCommandCheck {
        SshCommandCheck {
            command: "x".into(),
            expect_exit,
            expect_output: expect_output.map(String::from),
            target: Default::default(),
        }
    }

    fn out(status: i32, stdout: &str) -> CommandOutput {
        CommandOutput {
            exit_status: status,
            signal: None,
            stdout: stdout.as_bytes().to_vec(),
            stderr: Vec::new(),
            truncated: false,
        }
    }

    #[test]
    fn exit_status_then_expected_output_decide() {
        let cases = [
            (check(0, None), out(0, "fine\n"), Status::Up, "exit 0: fine"),
            (
                check(0, None),
                out(3, "inactive\n"),
                Status::Down,
                "exit 3, expected 0: inactive",
            ),
            (check(3, None), out(3, ""), Status::Up, "exit 3"),
            (
                check(0, Some("active")),
                out(0, "active\n"),
                Status::Up,
                "exit 0: active",
            ),
            (
                check(0, Some("active")),
                out(0, "failed\n"),
                Status::Down,
                "output lacks 'active': failed",
            ),
            (
                check(0, None),
                out(0, "\u{1b}[31mred\n"),
                Status::Up,
                "exit 0: ␛[31mred",
            ),
        ];
        for (c, o, status, message) in cases {
            let p = judge(&c, Ok(o));
            assert_eq!((p.status, p.message.as_str()), (status, message));
        }
    }

    #[test]
    fn a_killed_command_is_down() {
        let mut o = out(0, "");
        o.signal = Some("KILL".into());
        assert_eq!(judge(&check(0, None), Ok(o)).status, Status::Down);
    }

    #[test]
    fn connection_problems_are_down_and_missing_trust_is_unknown() {
        let refused = SshError::Refused {
            host: "h".into(),
            address: "a:22".into(),
        };
        assert_eq!(judge(&check(0, None), Err(refused)).status, Status::Down);
        let unknown = SshError::HostKeyUnknown {
            host: "h".into(),
            name: "h".into(),
            key_type: "ssh-ed25519".into(),
            fingerprint: "SHA256:x".into(),
        };
        let p = judge(&check(0, None), Err(unknown));
        assert_eq!(p.status, Status::Unknown);
        assert!(p.message.contains("SHA256:x"), "{}", p.message);
    }
}
