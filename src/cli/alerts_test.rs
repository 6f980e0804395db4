//! `vigie alerts test --receiver NAME`: one test page through one receiver,
//! to see at install time that a phone rings or a mail arrives; prints the
//! receiver's answer, or why it failed (exit 1).

use chrono::Utc;

use super::setup::{self, NoConfig};
use super::{Cli, CliError};
use crate::alerts::page::{Page, PageKind};
use crate::alerts::receiver;
use crate::sanitize;

pub async fn run(cli: &Cli, name: &str) -> Result<u8, CliError> {
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let alerts = &setup.config.alerts;
    let env = |k: &str| std::env::var(k).ok();
    let Some(found) = receiver::resolve_named(alerts, name, &env).map_err(CliError::input)? else {
        let mut names: Vec<&str> = alerts.webhooks.iter().map(|w| w.name.as_str()).collect();
        names.extend(alerts.receivers.iter().map(|r| r.name.as_str()));
        return Err(CliError::input(format!(
            "no receiver is called '{}'; known: {}",
            sanitize::clean_short(name, 40),
            if names.is_empty() {
                "none (see [[alerts.receivers]] and [[alerts.webhooks]])".to_string()
            } else {
                names.join(", ")
            }
        )));
    };
    let client = receiver::http_client().map_err(CliError::input)?;
    let page = Page {
        kind: PageKind::Test,
        alerts: Vec::new(),
        at: Utc::now(),
        to: None,
    };
    match found.send(&client, &page).await {
        Ok(answer) => {
            println!(
                "{}: sent; it answered {}",
                found.name(),
                sanitize::clean(&answer)
            );
            Ok(0)
        }
        Err(why) => {
            println!("{}: not sent: {}", found.name(), sanitize::clean(&why));
            Ok(1)
        }
    }
}
