//! `vigie ssh HOST` (a shell) and `vigie ssh HOST -- COMMAND` (its output,
//! and its exit status as ours), under the SSH policy, audited.

use super::setup::{self, NoConfig};
use super::{Cli, CliError};
use crate::jump::{Access, TtyPrompt, What};
use crate::model::ssh::SshMode;
use crate::sources::ssh;
use crate::store::Writer;

/// Exit code when the connection itself failed (OpenSSH's convention).
pub const CONNECTION_FAILED: u8 = 255;

pub async fn run(cli: &Cli, host: &str, command: &[String]) -> Result<u8, CliError> {
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let writer = Writer::spawn(&setup.db).map_err(|e| CliError::input(e.to_string()))?;
    let options = setup.config.ssh.options();
    let prompt = TtyPrompt {
        records_in: options.vigie_known_hosts.clone(),
    };
    let access = Access {
        config: &setup.config,
        mode: SshMode {
            read_only: cli.read_only || cli.wall,
            wall: cli.wall,
        },
        operator: ssh::local_user(),
        audit: Some(writer.handle()),
        options,
    };
    let what = if command.is_empty() {
        What::Shell
    } else {
        What::Command(command.join(" "))
    };
    // Refusals are input errors; say them before anything is opened.
    access.permit(host, &what).map_err(CliError::input)?;
    let result = tokio::task::block_in_place(|| access.open(host, &what, &prompt));
    let _ = writer.flush();
    match result {
        Ok(code) => Ok(u8::try_from(code.clamp(0, 255)).unwrap_or(CONNECTION_FAILED)),
        Err(message) => Err(CliError {
            message,
            code: CONNECTION_FAILED,
        }),
    }
}
