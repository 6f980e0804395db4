//! `vigie config check [FILE]`: validate a configuration.

use std::path::Path;

use super::setup::no_config_message;
use super::{Cli, CliError};
use crate::config;

pub fn run(cli: &Cli, file: Option<&Path>) -> Result<u8, CliError> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let path = match file {
        Some(f) => f.to_path_buf(),
        None => config::resolve_path(cli.config.as_deref(), &env)
            .ok_or_else(|| CliError::input(no_config_message(None)))?,
    };
    let config = config::load(&path).map_err(|e| CliError::input(e.to_string()))?;
    let fleet = &config.fleet;
    println!(
        "{}: ok ({} clients, {} hosts, {} checks, {} contracts)",
        path.display(),
        fleet.clients.len(),
        fleet.hosts.len(),
        fleet.checks().count(),
        fleet.contracts.len()
    );
    Ok(0)
}
