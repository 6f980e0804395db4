//! The `nagios` check: run a Nagios/Monitoring plugin (locally through
//! [`super::child`], or on the check's host over the SSH layer) and read
//! it as Nagios does: the exit status is the state, the first line the
//! reason, the performance data the figures.

use std::path::Path;
use std::time::{Duration, Instant};

use super::bounded::Over;
use super::ssh::{self, SshError};
use super::{Probe, child, elapsed_ms};
use crate::model::perfdata::{self, PerfValue};
use crate::model::{Metric, NagiosCheck, Status};
use crate::sanitize;

/// Bytes of a plugin's standard output read for its status and figures
/// (the guidelines ask for a few lines; more is a misbehaving plugin).
pub const OUTPUT_LIMIT: usize = 64 * 1024;
/// Figures kept per run, so one chatty plugin cannot swell the store.
pub const MAX_FIGURES: usize = 32;
/// Characters kept of a figure's label.
const LABEL_CHARS: usize = 60;
/// Variables of Vigie's environment a local plugin gets besides
/// `child::ALLOWED` (PATH, HOME, LANG, TZ, XDG_CACHE_HOME); the rest
/// (secrets named by the configuration among them) is not passed on.
const KEPT_ENV: &[&str] = &["USER", "LOGNAME", "TMPDIR"];

/// What one run of a plugin left, wherever it ran.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// The exit status; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Output passed a bound and was cut.
    pub truncated: bool,
}

pub async fn probe(check: &NagiosCheck, ssh_opts: &ssh::Options, timeout: Duration) -> Probe {
    let start = Instant::now();
    // Stop the plugin a little before the engine's own timeout, so the
    // reason says it was the plugin that hung.
    let timeout = timeout.saturating_sub((timeout / 20).min(Duration::from_millis(250)));
    let ran = if check.over_ssh {
        remote(check, ssh_opts, timeout).await
    } else {
        local(check, timeout).await
    };
    let mut p = match ran {
        Ok(run) => judge(&run),
        Err(p) => p,
    };
    p.latency_ms = Some(elapsed_ms(start));
    p
}

async fn local(check: &NagiosCheck, timeout: Duration) -> Result<Run, Probe> {
    let Some((program, args)) = check.command.split_first() else {
        return Err(unknown("no plugin to run"));
    };
    if !Path::new(program).is_file() {
        return Err(unknown(format!(
            "plugin {program} not found: install it (monitoring-plugins) or fix `command`"
        )));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Plugins print numbers in the C locale (no decimal commas).
    let env = [("LC_ALL", "C".to_string())];
    let start = Instant::now();
    let stdout = (OUTPUT_LIMIT, Over::Skim);
    match child::run_with(program, &args, &env, KEPT_ENV, timeout, stdout).await {
        Ok(out) => Ok(Run {
            code: out.code,
            stdout: out.stdout,
            stderr: out.stderr,
            truncated: out.stdout_cut,
        }),
        // Nagios itself counts a plugin that outlives its timeout as
        // critical: what it watches did not answer in time.
        Err(_) if start.elapsed() >= timeout => Err(Probe::down(format!(
            "plugin gave no answer within {} and was stopped",
            crate::model::words::human_duration(timeout)
        ))),
        Err(e) => Err(unknown(e)),
    }
}

async fn remote(check: &NagiosCheck, opts: &ssh::Options, timeout: Duration) -> Result<Run, Probe> {
    if check.command.is_empty() {
        return Err(unknown("no plugin to run"));
    }
    let line = format!("LC_ALL=C {}", shell_words(&check.command));
    match ssh::run_command(
        check.target.clone(),
        opts.clone(),
        line,
        OUTPUT_LIMIT,
        timeout,
    )
    .await
    {
        Ok(out) => Ok(Run {
            code: out.signal.is_none().then_some(out.exit_status),
            stdout: out.stdout,
            stderr: out.stderr,
            truncated: out.truncated,
        }),
        Err(e) => Err(ssh_failure(&e)),
    }
}

fn ssh_failure(e: &SshError) -> Probe {
    Probe {
        status: ssh::check::error_status(e),
        latency_ms: None,
        message: sanitize::clean_short(&e.to_string(), 160),
        metrics: Vec::new(),
    }
}

fn unknown(message: impl Into<String>) -> Probe {
    Probe {
        status: Status::Unknown,
        latency_ms: None,
        message: sanitize::clean_short(&message.into(), 160),
        metrics: Vec::new(),
    }
}

/// Arguments quoted for the remote POSIX shell, so each reaches the
/// plugin as one word, uninterpreted.
pub fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Exit 0/1/2/3 are up/degraded/down/unknown (the plugin API); anything
/// else is unknown. The reason is the first line before its `|`.
pub fn judge(run: &Run) -> Probe {
    let cut = run.truncated || run.stdout.len() > OUTPUT_LIMIT;
    let stdout = &run.stdout[..run.stdout.len().min(OUTPUT_LIMIT)];
    let text = String::from_utf8_lossy(stdout);
    let out = perfdata::plugin_output(&text);
    let mut reason = out.summary;
    if reason.is_empty() {
        let err = String::from_utf8_lossy(&run.stderr);
        reason = err
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
            .to_string();
    }
    let (status, mut message) = match run.code {
        Some(0) => (Status::Up, reason),
        Some(1) => (Status::Degraded, reason),
        Some(2) => (Status::Down, reason),
        Some(3) => (Status::Unknown, reason),
        Some(n) => (
            Status::Unknown,
            format!("exit {n}, not a plugin status (0-3): {reason}"),
        ),
        None => (Status::Unknown, format!("killed by a signal: {reason}")),
    };
    let message_trimmed = message.trim_end_matches([':', ' ']).to_string();
    message = message_trimmed;
    if message.is_empty() {
        message = format!("exit {}, no output", run.code.unwrap_or(-1));
    }
    if cut {
        message.push_str(" (output cut)");
    }
    Probe {
        status,
        latency_ms: None,
        message: sanitize::clean_short(&message, 160),
        metrics: metrics(&out.perf.values),
    }
}

/// The first [`MAX_FIGURES`] distinct figures as metrics (a label given
/// twice keeps its first value).
fn metrics(values: &[PerfValue]) -> Vec<Metric> {
    let mut out: Vec<Metric> = Vec::new();
    for v in values {
        if out.len() == MAX_FIGURES {
            break;
        }
        let m = metric(v);
        if !out.iter().any(|o| o.name == m.name) {
            out.push(m);
        }
    }
    out
}

/// A figure as a metric: `<base for its unit>:<label>`, value in base unit.
fn metric(v: &PerfValue) -> Metric {
    let label = sanitize::clean_short(&v.label, LABEL_CHARS);
    Metric::new(format!("{}:{label}", v.unit.metric_base()), v.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(code: Option<i32>, stdout: &str) -> Run {
        Run {
            code,
            stdout: stdout.as_bytes().to_vec(),
            ..Run::default()
        }
    }

    #[test]
    fn exit_status_is_the_state_and_the_first_line_the_reason() {
        // (exit, output, state, reason)
        let cases = [
            (
                Some(0),
                "TCP OK - 0.001 second response time on 127.0.0.1 port 22|time=0.001s;;;0.0;10.0\n",
                Status::Up,
                "TCP OK - 0.001 second response time on 127.0.0.1 port 22",
            ),
            (
                Some(1),
                "DISK WARNING - 85% used\n",
                Status::Degraded,
                "DISK WARNING - 85% used",
            ),
            (
                Some(2),
                "Connection refused\n",
                Status::Down,
                "Connection refused",
            ),
            (
                Some(3),
                "Usage: check_x -H host\n",
                Status::Unknown,
                "Usage: check_x -H host",
            ),
            (
                Some(4),
                "odd\n",
                Status::Unknown,
                "exit 4, not a plugin status (0-3): odd",
            ),
            (
                Some(127),
                "",
                Status::Unknown,
                "exit 127, not a plugin status (0-3)",
            ),
            (None, "", Status::Unknown, "killed by a signal"),
            (Some(0), "", Status::Up, "exit 0, no output"),
            (
                Some(0),
                "\u{1b}]52;c;AAAA\u{7}OK\n",
                Status::Up,
                "␛]52;c;AAAA␇OK",
            ),
        ];
        for (code, text, status, reason) in cases {
            let p = judge(&run(code, text));
            assert_eq!((p.status, p.message.as_str()), (status, reason), "{text:?}");
        }
    }

    #[test]
    fn standard_error_speaks_when_standard_output_is_silent() {
        let mut r = run(Some(2), "");
        r.stderr = b"\ncheck_dns: host not found\n".to_vec();
        assert_eq!(judge(&r).message, "check_dns: host not found");
    }

    #[test]
    fn figures_become_metrics_named_by_unit_and_label() {
        let p = judge(&run(
            Some(0),
            "OK | time=5ms;;;0 'free space'=50% size=2KB procs=3 bytes=10c\n",
        ));
        let got: Vec<(&str, f64)> = p
            .metrics
            .iter()
            .map(|m| (m.name.as_str(), m.value))
            .collect();
        assert_eq!(
            got,
            [
                ("perf_s:time", 0.005),
                ("perf_pct:free space", 50.0),
                ("perf_bytes:size", 2048.0),
                ("perf:procs", 3.0),
                ("perf_c:bytes", 10.0),
            ]
        );
    }

    #[test]
    fn a_flood_of_figures_is_bounded() {
        let line: String = (0..1000).map(|i| format!("m{i}=1 ")).collect();
        let p = judge(&run(Some(0), &format!("OK | {line}\n")));
        assert_eq!(p.metrics.len(), MAX_FIGURES);
        let p = judge(&run(Some(0), "OK | a=1 a=2 b=3\n"));
        let got: Vec<(&str, f64)> = p
            .metrics
            .iter()
            .map(|m| (m.name.as_str(), m.value))
            .collect();
        assert_eq!(got, [("perf:a", 1.0), ("perf:b", 3.0)]);
        let mut big = run(Some(0), "OK\n");
        big.stdout
            .extend(std::iter::repeat_n(b'x', OUTPUT_LIMIT * 2));
        let p = judge(&big);
        assert_eq!(p.message, "OK (output cut)");
    }

    #[test]
    fn arguments_reach_the_remote_plugin_as_single_words() {
        let argv = [
            "/usr/lib/nagios/plugins/check_dns",
            "-H",
            "it's; rm -rf /",
            "$(x)",
        ]
        .map(String::from);
        assert_eq!(
            shell_words(&argv),
            r#"'/usr/lib/nagios/plugins/check_dns' '-H' 'it'\''s; rm -rf /' '$(x)'"#
        );
    }
}
