//! Running a backup tool: a child process with a timeout (killed when it
//! passes), bounded output, no terminal, and a cleared environment: only
//! [`ALLOWED`], the variables its source passes on, and those it sets.

use std::process::Stdio;
use std::time::Duration;

use super::bounded::{self, Over, ReadError};

/// Most bytes read from a child's standard output (JSON listings of years
/// of snapshots fit well below); a longer one is refused.
pub const MAX_STDOUT: usize = bounded::CHILD_STDOUT;
/// Most bytes kept from its standard error (messages; the rest is read and
/// dropped).
pub const MAX_STDERR: usize = bounded::CHILD_STDERR;

/// What every child keeps of Vigie's environment (when set): where
/// programs are, the home and cache its tool keeps state in, the language
/// and the timezone. Anything else (tokens, other tools' passwords, proxies)
/// stays with Vigie.
pub const ALLOWED: &[&str] = &["PATH", "HOME", "LANG", "TZ", "XDG_CACHE_HOME"];

/// What a finished child said.
#[derive(Debug)]
pub struct Output {
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Standard output went past its limit and only its start is kept
    /// (with [`Over::Skim`] in [`run_with`]).
    pub stdout_cut: bool,
}

impl Output {
    /// The last non-empty lines of standard error, joined: what the tool
    /// said went wrong.
    pub fn complaint(&self) -> String {
        let text = String::from_utf8_lossy(&self.stderr);
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let tail = &lines[lines.len().saturating_sub(2)..];
        let mut s = tail.join(" / ");
        if s.is_empty() {
            s = format!(
                "exit status {}",
                self.code.map_or("signal".into(), |c| c.to_string())
            );
        }
        if s.chars().count() > 300 {
            s = s.chars().take(300).collect::<String>() + "…";
        }
        s
    }
}

/// Runs `program args` in a cleared environment holding [`ALLOWED`] and
/// `pass` (the variables its source needs from Vigie's, when set) and then
/// `env`, stdin closed, for at most `timeout`; the child is killed if it
/// runs longer or if the caller is dropped. The error is a sentence for the
/// operator.
pub async fn run(
    program: &str,
    args: &[&str],
    env: &[(&str, String)],
    pass: &[&str],
    timeout: Duration,
) -> Result<Output, String> {
    run_with(
        program,
        args,
        env,
        pass,
        timeout,
        (MAX_STDOUT, Over::Refuse),
    )
    .await
}

/// [`run`] with standard output bounded as the caller says: a plugin whose
/// first lines are what counts keeps its start ([`Over::Skim`]) where a
/// listing over the bound is refused.
pub async fn run_with(
    program: &str,
    args: &[&str],
    env: &[(&str, String)],
    pass: &[&str],
    timeout: Duration,
    (stdout_limit, stdout_over): (usize, Over),
) -> Result<Output, String> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .env_clear();
    for k in ALLOWED.iter().chain(pass) {
        if let Some(v) = std::env::var_os(k) {
            cmd.env(k, v);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            format!("{program} not found: install it or set `binary` to its path")
        }
        std::io::ErrorKind::PermissionDenied => format!("{program} is not executable"),
        _ => format!("cannot start {program}: {e}"),
    })?;
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(format!("cannot read the output of {program}"));
    };
    let work = async {
        // An output over its limit ends the wait at once; the child is
        // then dropped, which kills it (kill_on_drop).
        let (stdout, stderr) = tokio::try_join!(
            bounded::stream(out, stdout_limit, stdout_over),
            bounded::stream(err, MAX_STDERR, Over::Skim)
        )?;
        let status = child
            .wait()
            .await
            .map_err(|e| ReadError::Failed(format!("did not finish: {e}")))?;
        Ok((stdout, stderr, status))
    };
    match bounded::Deadline::after(timeout).run(work).await {
        Ok((stdout, stderr, status)) => Ok(Output {
            success: status.success(),
            code: status.code(),
            stdout_cut: stdout.cut,
            stdout: stdout.bytes,
            stderr: stderr.bytes,
        }),
        Err(ReadError::Late { .. }) => Err(format!(
            "{program} gave no answer within {} and was stopped",
            crate::model::words::human_duration(timeout)
        )),
        Err(ReadError::TooLarge { limit }) => Err(format!(
            "{program} printed more than {} and was stopped; narrow what it lists",
            bounded::size(limit)
        )),
        Err(ReadError::Failed(e)) => Err(format!("{program}: {e}")),
    }
}

/// Refuses a password file that is not the user's own and closed to others
/// (the child reads it by path).
pub fn owner_only(path: &str) -> Result<(), String> {
    crate::secret::check_owner_only(std::path::Path::new(path))
}

/// The value of the environment variable a secret names.
pub fn env_secret(name: &str) -> Result<String, String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Ok(v),
        _ => Err(format!("password variable {name} is not set")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_child_running_past_its_timeout_is_killed_and_reported() {
        let e = run("sleep", &["5"], &[], &[], Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(e.contains("no answer within 100ms"), "{e}");
    }

    #[tokio::test]
    async fn output_past_the_bound_is_refused_and_the_child_stopped() {
        let e = run(
            "head",
            &["-c", &(MAX_STDOUT + 10).to_string(), "/dev/zero"],
            &[],
            &[],
            Duration::from_secs(20),
        )
        .await
        .unwrap_err();
        assert_eq!(
            e,
            "head printed more than 32 MiB and was stopped; narrow what it lists"
        );
    }

    #[tokio::test]
    async fn a_long_complaint_is_cut_and_the_child_still_finishes() {
        let out = run(
            "sh",
            &["-c", "head -c 1000000 /dev/zero >&2; echo done"],
            &[],
            &[],
            Duration::from_secs(20),
        )
        .await
        .unwrap();
        assert_eq!(
            (out.stdout.as_slice(), out.stderr.len()),
            (&b"done\n"[..], MAX_STDERR)
        );
    }

    #[tokio::test]
    async fn a_child_sees_only_the_allowed_environment() {
        // Cargo sets CARGO_MANIFEST_DIR for the tests: a parent variable
        // that is not on the list.
        assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
        let out = run(
            "env",
            &[],
            &[("RESTIC_PASSWORD_FILE", "/etc/vigie/restic.pw".into())],
            &["CARGO_PKG_NAME"],
            Duration::from_secs(20),
        )
        .await
        .unwrap();
        assert!(out.success);
        let text = String::from_utf8(out.stdout).unwrap();
        let names: Vec<&str> = text.lines().filter_map(|l| l.split('=').next()).collect();
        for name in &names {
            assert!(
                ALLOWED.contains(name) || ["RESTIC_PASSWORD_FILE", "CARGO_PKG_NAME"].contains(name),
                "{name} reached the child: {names:?}"
            );
        }
        assert!(text.contains("RESTIC_PASSWORD_FILE=/etc/vigie/restic.pw\n"));
        assert!(
            text.contains("CARGO_PKG_NAME=vigie\n"),
            "passed on by the source"
        );
        assert!(!text.contains("CARGO_MANIFEST_DIR"));
        if let Some(path) = std::env::var_os("PATH") {
            let line = format!("PATH={}\n", path.to_string_lossy());
            assert!(text.contains(&line), "PATH is kept");
        }
    }

    #[tokio::test]
    async fn a_missing_program_says_so() {
        let e = run("/nonexistent/restic", &[], &[], &[], Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(e.contains("not found"), "{e}");
    }

    #[test]
    fn a_group_readable_password_file_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "secret").unwrap();
        let path = p.to_str().unwrap();
        // (mode, accepted)
        for (mode, ok) in [(0o600, true), (0o400, true), (0o640, false), (0o604, false)] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            assert_eq!(owner_only(path).is_ok(), ok, "mode {mode:o}");
        }
    }
}
