//! `vigie check`: run every check once and print what it found.

use super::setup::{self, NoConfig};
use super::{Cli, CliError};
use crate::engine;
use crate::model::Status;
use crate::sanitize;
use crate::sources::Sources;

pub async fn run(cli: &Cli, format: &str) -> Result<u8, CliError> {
    if format != "text" && format != "json" {
        return Err(CliError::input(format!(
            "--format {format}: expected text or json"
        )));
    }
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let sources = Sources::new()
        .map_err(|e| CliError::input(format!("cannot build the HTTP client: {e}")))?;
    let results = engine::run_once(&setup.config.fleet, &sources).await;
    if format == "json" {
        let rows: Vec<serde_json::Value> = results
            .iter()
            .map(|r| {
                serde_json::json!({
                    "check": r.check_id,
                    "status": r.status,
                    "latency_ms": r.latency_ms,
                    "message": r.message,
                    "at": r.at.to_rfc3339(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
    } else {
        let width = results
            .iter()
            .map(|r| r.check_id.chars().count())
            .max()
            .unwrap_or(10)
            .max(10);
        println!(
            "{:<9} {:<width$} {:>8}  DETAIL",
            "STATE", "CHECK", "LATENCY"
        );
        for r in &results {
            let latency = r
                .latency_ms
                .map(|l| format!("{l} ms"))
                .unwrap_or_else(|| "-".into());
            println!(
                "{:<9} {:<width$} {:>8}  {}",
                r.status.label(),
                sanitize::clean(&r.check_id),
                latency,
                sanitize::clean(&r.message)
            );
        }
    }
    let any_down = results.iter().any(|r| r.status == Status::Down);
    Ok(if any_down { 1 } else { 0 })
}
