//! The TOML configuration: where it lives, how it is read, and the fleet it
//! describes. Every error names the file, line, column and what was
//! expected; unknown keys are errors. `assets/vigie.example.toml` documents
//! every key.

mod error;
mod raw;
mod ssh;
mod validate;
mod values;

use std::path::{Path, PathBuf};

pub use error::{ConfigError, Diagnostic};
pub use ssh::defaults as ssh_defaults;
pub use ssh::{HostSsh, SshClient, SshSettings};
pub use values::parse_duration;

use crate::model::Fleet;
use crate::sources::bounded::{self, ReadError};

/// A loaded and validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub fleet: Fleet,
    pub console: ConsoleSettings,
    /// `[alerts]`: webhooks the daemon calls.
    pub alerts: crate::model::alert::AlertSettings,
    /// `[oncall]`, `[[alerts.routes]]`, repeats and escalation.
    pub paging: crate::model::paging::Paging,
    /// `[self]`: the dead man's switch.
    pub watcher: crate::model::watcher::SelfSettings,
    /// `[ssh]` and each host's SSH entry.
    pub ssh: SshSettings,
    /// `[status_page]` and each check's `public_name`.
    pub status_page: StatusPageSettings,
    /// Where it was read from (or a label such as `<demo>`).
    pub path: PathBuf,
}

/// What the clients' status pages may show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusPageSettings {
    /// `[status_page] dir`: where `vigie status-page` writes without `--out`.
    pub dir: Option<PathBuf>,
    /// Check id (`host/name`) to the name the client reads; a check
    /// without one is shown under a neutral name.
    pub public_names: std::collections::BTreeMap<String, String>,
}

/// The `[console]` table: names resolved later by the theme and keymap
/// loaders, which know the user's own files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsoleSettings {
    pub theme: Option<String>,
    pub keymap: Option<String>,
    /// Ring the terminal's bell when a check becomes critical (default on).
    pub bell: bool,
    /// `timezone`: the one zone times are shown in; `None` means the
    /// system's local zone (see `cli::setup::operator_timezone`).
    pub timezone: Option<chrono_tz::Tz>,
}

/// Reads and parses the configuration at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let unreadable = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::NotFound => ConfigError::NotFound {
            path: path.to_path_buf(),
        },
        _ => ConfigError::Unreadable {
            path: path.to_path_buf(),
            source,
        },
    };
    // Bounded: `--config /dev/zero` once grew the process to 2.1 GB.
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let bytes = bounded::file(file, bounded::CONFIG)
        .map_err(unreadable)?
        .map_err(|e| match e {
            ReadError::TooLarge { limit } => ConfigError::TooLarge {
                path: path.to_path_buf(),
                limit: bounded::size(limit),
            },
            e => ConfigError::Unreadable {
                path: path.to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            },
        })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]);
        ConfigError::Invalid {
            path: path.to_path_buf(),
            diagnostics: vec![Diagnostic::at(
                &prefix,
                valid..valid,
                "invalid UTF-8, expected a file saved as UTF-8 text",
            )],
        }
    })?;
    let config = parse(&text, path)?;
    // The system's tzdata for every zone named, so local times follow the
    // machine's rules rather than those embedded at build (model::tz).
    let zones = config
        .fleet
        .clients
        .iter()
        .flat_map(|c| std::iter::once(c.timezone).chain(c.sites.iter().map(|s| s.timezone)))
        .chain(config.console.timezone);
    crate::sources::zoneinfo::install_system(zones);
    Ok(config)
}

/// Parses configuration text; `path` is only used in messages and kept in
/// [`Config::path`].
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let invalid = |diagnostics| ConfigError::Invalid {
        path: path.to_path_buf(),
        diagnostics,
    };
    let raw: raw::RawConfig = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = in_toml_words(&one_line(e.message()), text.get(span.clone()));
        invalid(vec![Diagnostic::at(text, span, message)])
    })?;
    let (fleet, ssh) = validate::fleet(&raw, text).map_err(invalid)?;
    let alerts = validate::alerts::alerts(&raw.alerts, text).map_err(invalid)?;
    // Routes may name any receiver: webhooks, e-mail and ntfy alike.
    let receivers: Vec<String> = alerts
        .webhooks
        .iter()
        .map(|w| w.name.clone())
        .chain(alerts.receivers.iter().map(|r| r.name.clone()))
        .collect();
    let paging = validate::paging::paging(&raw.alerts, raw.oncall.as_ref(), &receivers, text)
        .map_err(invalid)?;
    let watcher = validate::receivers::watcher(&raw.watcher, text).map_err(invalid)?;
    let console = ConsoleSettings {
        theme: raw.console.theme,
        keymap: raw.console.keymap,
        bell: raw.console.bell.unwrap_or(true),
        timezone: raw.console.timezone.map(|t| t.0),
    };
    let status_page = StatusPageSettings {
        dir: raw
            .status_page
            .as_ref()
            .and_then(|s| s.dir.as_ref())
            .map(PathBuf::from),
        public_names: raw
            .hosts
            .iter()
            .flat_map(|(host, h)| {
                h.checks.iter().filter_map(move |c| {
                    let name = c.public_name.as_ref()?.get_ref().trim().to_string();
                    (!name.is_empty()).then(|| (format!("{host}/{}", c.name.get_ref()), name))
                })
            })
            .collect(),
    };
    Ok(Config {
        fleet,
        console,
        alerts,
        paging,
        watcher,
        ssh,
        status_page,
        path: path.to_path_buf(),
    })
}

/// Messages from the parser may span lines; a diagnostic is one line.
fn one_line(message: &str) -> String {
    message
        .trim()
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Serde speaks of fields, variants, structs and `u16`; a configuration
/// file has keys, values, tables and numbers. `spanned` is the text the
/// error points at.
fn in_toml_words(message: &str, spanned: Option<&str>) -> String {
    if message == "duplicate key" {
        if let Some(key) = spanned {
            return format!("duplicate key `{key}`, expected each key once in a table");
        }
    }
    let mut out = message
        .replace("unknown field `", "unknown key `")
        .replace("unknown variant `", "unknown value `")
        .replace("expected u16", "expected a whole number from 0 to 65535")
        .replace(
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        )
        .replace("expected f64", "expected a number")
        .replace("expected a sequence", "expected an array");
    if let Some(at) = out.find("expected struct ") {
        // The struct name runs to the end of the message.
        out.replace_range(at.., "expected a table");
    }
    if let Some(key) = out.strip_prefix("missing field `") {
        out = format!("missing key `{key}, which this table requires");
    }
    out
}

/// Where the configuration is: the `--config` flag, else `VIGIE_CONFIG`,
/// else `$XDG_CONFIG_HOME/vigie/config.toml`, else
/// `$HOME/.config/vigie/config.toml`. Empty variables count as unset, and a
/// relative `XDG_CONFIG_HOME` is ignored as the XDG specification asks.
/// `None` when nothing is set at all. The file need not exist.
pub fn resolve_path(flag: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let var = |name: &str| env(name).filter(|value| !value.is_empty());
    if let Some(flag) = flag {
        return Some(flag.to_path_buf());
    }
    if let Some(path) = var("VIGIE_CONFIG") {
        return Some(PathBuf::from(path));
    }
    if let Some(xdg) = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Some(xdg.join("vigie").join("config.toml"));
    }
    var("HOME").map(|home| {
        PathBuf::from(home)
            .join(".config")
            .join("vigie")
            .join("config.toml")
    })
}

#[cfg(test)]
mod tests {
    use super::raw::*;
    use serde::de::DeserializeOwned;

    /// The keys a raw struct accepts, read from serde's own "unknown field"
    /// message, which lists them all.
    fn keys_of<T: DeserializeOwned>() -> Vec<String> {
        let Err(e) = toml::from_str::<T>("zz_probe = 0") else {
            panic!("the probe key was accepted");
        };
        let message = e.message().to_string();
        let expected = message
            .split_once("expected")
            .map(|(_, rest)| rest)
            .unwrap_or("");
        expected
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn the_example_documents_every_key() {
        let example = include_str!("../../assets/vigie.example.toml");
        let keys = [
            keys_of::<RawConfig>(),
            keys_of::<RawConsole>(),
            keys_of::<RawContract>(),
            keys_of::<RawSupportHours>(),
            keys_of::<RawTier>(),
            keys_of::<RawClient>(),
            keys_of::<RawEnvironment>(),
            keys_of::<RawSite>(),
            keys_of::<RawOpeningHours>(),
            keys_of::<RawHost>(),
            keys_of::<RawCheck>(),
            keys_of::<RawBackup>(),
            keys_of::<RawPings>(),
            keys_of::<super::raw::RawPos>(),
            keys_of::<super::raw::RawOdoo>(),
            keys_of::<super::raw::RawStorePos>(),
            keys_of::<super::raw::RawPosTarget>(),
            keys_of::<super::raw::RawTraffic>(),
            keys_of::<super::raw::RawRoute>(),
            keys_of::<super::raw::RawOncall>(),
            keys_of::<super::raw::RawMember>(),
            keys_of::<super::raw::RawOverride>(),
        ];
        for (i, struct_keys) in keys.iter().enumerate() {
            assert!(!struct_keys.is_empty(), "no keys read from raw struct #{i}");
        }
        let missing: Vec<&String> = keys
            .iter()
            .flatten()
            .filter(|k| {
                ![
                    format!("{k} ="),
                    format!("[{k}]"),
                    format!("[{k}."),
                    format!(".{k}]"),
                    format!(".{k}."),
                ]
                .iter()
                .any(|form| example.contains(form.as_str()))
            })
            .collect();
        assert!(
            missing.is_empty(),
            "keys missing from assets/vigie.example.toml: {missing:?}"
        );
    }

    #[test]
    fn the_example_uses_every_check_kind_and_environment() {
        let example = include_str!("../../assets/vigie.example.toml");
        for kind in ["\"http\"", "\"tcp\"", "\"node_exporter\""] {
            assert!(
                example.contains(&format!("kind = {kind}")),
                "no check of kind {kind}"
            );
        }
        for env in ["prod", "preprod", "dev"] {
            assert!(
                example.contains(&format!(".environments.{env}]")),
                "no {env} environment"
            );
        }
    }
}
