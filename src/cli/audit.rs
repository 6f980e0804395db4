//! `vigie audit`: the audit log, newest first (SSH sessions, commands and
//! refusals, and whatever else records itself there).

use super::setup::{self, NoConfig};
use super::{Cli, CliError};
use crate::sanitize;
use crate::store::Reader;

pub async fn run(cli: &Cli, limit: usize) -> Result<u8, CliError> {
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    if !setup.db.exists() {
        println!(
            "no audit entries yet ({} does not exist)",
            setup.db.display()
        );
        return Ok(0);
    }
    let reader = Reader::open(&setup.db).map_err(|e| CliError::input(e.to_string()))?;
    let entries = reader
        .recent_audit(limit)
        .map_err(|e| CliError::input(e.to_string()))?;
    if entries.is_empty() {
        println!("no audit entries yet");
    }
    for e in entries {
        let at = e.at.with_timezone(&setup.tz).format("%Y-%m-%d %H:%M:%S");
        println!(
            "{at}  {:<12} {:<12} {}",
            sanitize::clean_short(&e.actor, 12),
            sanitize::clean_short(&e.action, 12),
            sanitize::clean(&e.detail)
        );
    }
    Ok(0)
}
