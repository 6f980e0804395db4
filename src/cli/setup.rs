//! What every subcommand needs: the configuration (or the demo fleet), the
//! store path, the theme and the keymap, each failing with a message that
//! says what to do.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono_tz::Tz;

use super::{Cli, CliError};
use crate::config::{self, Config, ConfigError};
use crate::demo::{self, Demo};
use crate::store;
use crate::ui::keymap::Keymap;
use crate::ui::theme::{ColorDepth, Theme, ThemeSet};

pub struct Setup {
    pub config: Config,
    /// The running demo fleet, when there is one (kept alive with the setup).
    pub demo: Option<Demo>,
    pub db: PathBuf,
    pub themes: Arc<ThemeSet>,
    pub theme: Theme,
    pub keymap: Keymap,
    /// The operator's timezone, for clocks.
    pub tz: Tz,
}

/// What to do when no configuration exists at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoConfig {
    /// The console: show the demo, marked DEMO.
    Demo,
    /// Any other subcommand: refuse, so nobody reports on demo data unawares.
    Refuse,
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// `$XDG_CONFIG_HOME/vigie`, else `~/.config/vigie`.
pub fn config_dir() -> Option<PathBuf> {
    crate::ui::theme::config_dir(&env)
}

pub async fn load(cli: &Cli, force_demo: bool, no_config: NoConfig) -> Result<Setup, CliError> {
    let setup = load_config(cli, force_demo, no_config).await?;
    // A `--demo` subcommand reads the shared demo store right away: when it
    // is the first to use it, it seeds it whole first. The console seeds in
    // the background instead, so it shows a living screen at once.
    if no_config == NoConfig::Refuse {
        if let Some(demo) = setup.demo.as_ref().filter(|d| !d.private() && d.seed_due()) {
            seed_now(demo)?;
        }
    }
    Ok(setup)
}

/// Writes the whole demo seed into the shared demo store and waits for it.
fn seed_now(demo: &Demo) -> Result<(), CliError> {
    let writer =
        crate::store::Writer::spawn(&demo.db).map_err(|e| CliError::input(e.to_string()))?;
    let fleet = Arc::new(demo.config.fleet.clone());
    let mut seeding = demo::seed_in_background(writer.handle(), fleet, chrono::Utc::now());
    if !seeding.wait_done(std::time::Duration::from_secs(120)) {
        return Err(CliError::input(
            "the demo store could not be seeded in two minutes: try again",
        ));
    }
    writer.flush().map_err(|e| CliError::input(e.to_string()))
}

async fn load_config(cli: &Cli, force_demo: bool, no_config: NoConfig) -> Result<Setup, CliError> {
    let (config, demo) = if force_demo || cli.demo {
        let demo = start_demo(cli).await?;
        (demo.config.clone(), Some(demo))
    } else {
        match config::resolve_path(cli.config.as_deref(), &env) {
            Some(path) => match config::load(&path) {
                Ok(config) => (config, None),
                // Only the default path may be missing: a file named by
                // --config or VIGIE_CONFIG must exist.
                Err(ConfigError::NotFound { .. })
                    if no_config == NoConfig::Demo
                        && cli.config.is_none()
                        && env("VIGIE_CONFIG").is_none() =>
                {
                    let demo = start_demo(cli).await?;
                    (demo.config.clone(), Some(demo))
                }
                Err(e) => return Err(CliError::input(e.to_string())),
            },
            None if no_config == NoConfig::Demo => {
                let demo = start_demo(cli).await?;
                (demo.config.clone(), Some(demo))
            }
            None => return Err(CliError::input(no_config_message(None))),
        }
    };
    let db = match (&cli.db, &demo) {
        (Some(db), _) => db.clone(),
        (None, Some(d)) => d.db.clone(),
        (None, None) => store::resolve_path(None, &env).ok_or_else(|| {
            CliError::input(
                "cannot tell where to keep the store: set XDG_DATA_HOME or HOME, or pass --db FILE",
            )
        })?,
    };
    let user_dir = config_dir();
    let themes = ThemeSet::load(user_dir.as_ref().map(|d| d.join("themes")).as_deref())
        .map_err(|e| CliError::input(e.to_string()))?;
    let depth = match &cli.color {
        Some(c) => ColorDepth::parse(c).map_err(|e| CliError::input(format!("--color: {e}")))?,
        None => ColorDepth::detect(&env),
    };
    let theme_name = cli.theme.clone().or_else(|| config.console.theme.clone());
    let theme = themes
        .choose(theme_name.as_deref(), depth)
        .map_err(|e| CliError::input(e.to_string()))?;
    let keymap_name = cli
        .keymap
        .clone()
        .or_else(|| config.console.keymap.clone())
        .unwrap_or_else(|| "default".into());
    let patch = user_dir
        .map(|d| d.join("keymap.toml"))
        .filter(|p| p.exists());
    let keymap =
        Keymap::load(&keymap_name, patch.as_deref()).map_err(|e| CliError::input(e.to_string()))?;
    let tz = operator_timezone(&config);
    Ok(Setup {
        config,
        demo,
        db,
        themes: Arc::new(themes),
        theme,
        keymap,
        tz,
    })
}

/// The demo fleet, with the user's shared demo store, unless `--db`
/// names another store (then the demo writes its history there itself).
async fn start_demo(cli: &Cli) -> Result<Demo, CliError> {
    let shared = match cli.db {
        Some(_) => None,
        None => demo::store::dir(&env),
    };
    demo::start(shared.as_deref())
        .await
        .map_err(|e| CliError::input(format!("cannot start the demo fleet: {e}")))
}

pub fn no_config_message(path: Option<&Path>) -> String {
    let looked = path
        .map(|p| format!(" at {}", p.display()))
        .unwrap_or_default();
    format!(
        "no configuration found{looked}. Copy assets/vigie.example.toml to ~/.config/vigie/config.toml \
         (or pass --config FILE), or try the embedded demo fleet with --demo"
    )
}

/// The display timezone: `[console] timezone`, else the system's local
/// zone ($TZ, then /etc/localtime, then /etc/timezone), else UTC. One zone
/// for every clock, so the operator never has to guess which one a time is in.
pub fn operator_timezone(config: &Config) -> Tz {
    display_timezone(config.console.timezone, &env, Path::new("/etc"))
}

/// `operator_timezone` with the environment and the system's `/etc` given,
/// so tests choose them.
pub fn display_timezone(
    configured: Option<Tz>,
    env: &dyn Fn(&str) -> Option<String>,
    etc: &Path,
) -> Tz {
    if let Some(tz) = configured {
        return tz;
    }
    if let Some(tz) = env("TZ").and_then(|t| t.trim_start_matches(':').parse::<Tz>().ok()) {
        return tz;
    }
    if let Ok(target) = std::fs::read_link(etc.join("localtime")) {
        let text = target.to_string_lossy().to_string();
        if let Some(tz) = text
            .split_once("zoneinfo/")
            .and_then(|(_, name)| name.parse::<Tz>().ok())
        {
            return tz;
        }
    }
    std::fs::read_to_string(etc.join("timezone"))
        .ok()
        .and_then(|t| t.trim().parse::<Tz>().ok())
        .unwrap_or(Tz::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_configured_zone_wins_over_tz() {
        let env = |k: &str| (k == "TZ").then(|| "America/Montreal".to_string());
        let dir = tempfile::tempdir().unwrap();
        let tz = display_timezone(Some(chrono_tz::Europe::Paris), &env, dir.path());
        assert_eq!(tz, chrono_tz::Europe::Paris);
    }

    #[test]
    fn tz_then_localtime_then_timezone_file_then_utc() {
        let dir = tempfile::tempdir().unwrap();
        let env = |k: &str| (k == "TZ").then(|| ":America/Montreal".to_string());
        assert_eq!(
            display_timezone(None, &env, dir.path()),
            chrono_tz::America::Montreal
        );
        assert_eq!(display_timezone(None, &no_env, dir.path()), Tz::UTC);
        std::fs::write(dir.path().join("timezone"), "Europe/Brussels\n").unwrap();
        assert_eq!(
            display_timezone(None, &no_env, dir.path()),
            chrono_tz::Europe::Brussels
        );
        std::os::unix::fs::symlink(
            "/usr/share/zoneinfo/Pacific/Noumea",
            dir.path().join("localtime"),
        )
        .unwrap();
        assert_eq!(
            display_timezone(None, &no_env, dir.path()),
            chrono_tz::Pacific::Noumea
        );
    }

    #[test]
    fn an_unknown_tz_variable_falls_through_to_utc() {
        let dir = tempfile::tempdir().unwrap();
        let env = |k: &str| (k == "TZ").then(|| "Mars/Olympus".to_string());
        assert_eq!(display_timezone(None, &env, dir.path()), Tz::UTC);
    }
}
