//! Logs go to a file, never to the terminal the console draws on.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// `$XDG_STATE_HOME/vigie/vigie.log`, else `~/.local/state/vigie/vigie.log`.
/// A relative or empty value is ignored, as the XDG spec says: a log never
/// lands in whatever directory Vigie was started from.
pub fn default_path() -> Option<PathBuf> {
    default_path_in(&|k| std::env::var_os(k))
}

fn default_path_in(env: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Option<PathBuf> {
    let absolute = |k: &str| env(k).map(PathBuf::from).filter(|p| p.is_absolute());
    let base =
        absolute("XDG_STATE_HOME").or_else(|| absolute("HOME").map(|h| h.join(".local/state")))?;
    Some(base.join("vigie").join("vigie.log"))
}

/// Starts logging to `path` (or the default). A log that cannot be opened
/// is not a reason to stop monitoring: Vigie then runs without one.
pub fn init(path: Option<&Path>) -> Option<WorkerGuard> {
    let path = path.map(Path::to_path_buf).or_else(default_path)?;
    let dir = path.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = EnvFilter::try_from_env("VIGIE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let ok = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    ok.ok().map(|_| guard)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_never_goes_to_a_relative_directory() {
        let env = |home: &'static str, state: &'static str| {
            move |k: &str| match k {
                "HOME" => Some(home.into()),
                "XDG_STATE_HOME" => Some(state.into()),
                _ => None,
            }
        };
        assert_eq!(default_path_in(&env("", "")), None);
        assert_eq!(default_path_in(&env("rel", "state")), None);
        assert_eq!(
            default_path_in(&env("/home/op", "")),
            Some(PathBuf::from("/home/op/.local/state/vigie/vigie.log"))
        );
        assert_eq!(
            default_path_in(&env("/home/op", "/var/state")),
            Some(PathBuf::from("/var/state/vigie/vigie.log"))
        );
    }
}
