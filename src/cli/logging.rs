//! Logs go to a file, never to the terminal the console draws on.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// `$XDG_STATE_HOME/vigie/vigie.log`, else `~/.local/state/vigie/vigie.log`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
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
