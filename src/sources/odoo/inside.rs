//! Odoo from the inside, read through the client's `OdooApi` (JSON-RPC or
//! JSON-2): overdue scheduled actions (`ir.cron`), mails in exception or
//! queued (`mail.mail`), failed jobs (`queue.job`, when OCA's `queue_job`
//! is installed), the `base` module's version and modules waiting for an
//! upgrade (`ir.module.module`). Odoo stores datetimes in UTC as
//! `YYYY-MM-DD HH:MM:SS`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::sessions::date;
use super::{OdooApi, OdooError};
use crate::model::odoo_inside::OdooInside;
use crate::sanitize;

/// At most this many overdue actions are read (the worst is named).
const LATE_CRONS: u64 = 20;
/// At most this many pending modules are read.
const PENDING_MODULES: u64 = 50;

fn odoo_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn list(model: &str, v: &Value) -> Result<Vec<Map<String, Value>>, OdooError> {
    let rows = super::records_of(model, v.clone())?;
    Ok(rows
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_object().cloned())
        .collect())
}

/// Reads everything `model::odoo_inside::judge` needs, at `now`.
pub async fn read(api: &dyn OdooApi, now: DateTime<Utc>) -> Result<OdooInside, OdooError> {
    let mut seen = OdooInside::default();

    // Scheduled actions: active, next call already past. `cron_name` is the
    // action's name since Odoo 14 (the cron is an `ir.actions.server`).
    let mut extra = Map::new();
    extra.insert("order".into(), json!("nextcall asc"));
    extra.insert("limit".into(), json!(LATE_CRONS));
    let crons = api
        .search_read(
            "ir.cron",
            json!([["active", "=", true], ["nextcall", "<", odoo_time(now)]]),
            &["cron_name", "nextcall"],
            extra,
        )
        .await?;
    for r in list("ir.cron", &crons)? {
        let Some(next) = date(r.get("nextcall")) else {
            continue;
        };
        let name = r
            .get("cron_name")
            .and_then(Value::as_str)
            .map_or_else(|| "?".to_string(), |n| sanitize::clean_short(n, 60));
        seen.late_crons.push((name, next));
    }

    // Mails: failed ones counted, the oldest still waiting dated.
    seen.mails_in_exception =
        search_count(api, "mail.mail", json!([["state", "=", "exception"]])).await?;
    let mut extra = Map::new();
    extra.insert("order".into(), json!("date asc"));
    extra.insert("limit".into(), json!(1));
    let queued = api
        .search_read(
            "mail.mail",
            json!([["state", "=", "outgoing"]]),
            &["date"],
            extra,
        )
        .await?;
    seen.oldest_queued_mail = list("mail.mail", &queued)?
        .first()
        .and_then(|r| date(r.get("date")));

    // Background jobs, only where queue_job is installed.
    seen.failed_jobs = match search_count(api, "queue.job", json!([["state", "=", "failed"]])).await
    {
        Ok(n) => Some(n),
        Err(OdooError::MissingModel(_)) => None,
        Err(e) => return Err(e),
    };

    // The base module's version (`17.0.1.3`: the series is its first two
    // numbers) and the modules an upgrade is pending for.
    let mut extra = Map::new();
    extra.insert("limit".into(), json!(PENDING_MODULES));
    let modules = api
        .search_read(
            "ir.module.module",
            json!([
                "|",
                ["name", "=", "base"],
                ["state", "in", ["to upgrade", "to install", "to remove"]]
            ]),
            &["name", "state", "latest_version"],
            extra,
        )
        .await?;
    for r in list("ir.module.module", &modules)? {
        let name = r.get("name").and_then(Value::as_str).unwrap_or("?");
        let state = r.get("state").and_then(Value::as_str).unwrap_or("");
        if name == "base" {
            seen.version = r.get("latest_version").and_then(Value::as_str).map(series);
        }
        if matches!(state, "to upgrade" | "to install" | "to remove") {
            seen.pending_modules.push(sanitize::clean_short(name, 40));
        }
    }
    Ok(seen)
}

async fn search_count(api: &dyn OdooApi, model: &str, domain: Value) -> Result<u64, OdooError> {
    let n = api
        .execute_kw(model, "search_count", json!([domain]), json!({}))
        .await?;
    n.as_u64().ok_or_else(|| {
        OdooError::BadAnswer(format!(
            "{model} search_count answered {}",
            sanitize::clean_short(&n.to_string(), 40)
        ))
    })
}

/// `17.0.1.3` → `17.0`; `saas~17.2.1.0` → `saas~17.2`.
fn series(version: &str) -> String {
    let parts: Vec<&str> = version.splitn(3, '.').collect();
    let short = match parts.as_slice() {
        [a, b, ..] => format!("{a}.{b}"),
        _ => version.to_string(),
    };
    sanitize::clean_short(&short, 20)
}

/// One `odoo` check: reads the client's Odoo now and judges it. Unreachable
/// is down; a refused or missing key is degraded (Vigie is blind until
/// someone fixes it); an answer Vigie cannot read is unknown.
pub async fn probe(
    http: &reqwest::Client,
    check: &crate::model::OdooInsideCheck,
    timeout: std::time::Duration,
) -> crate::sources::Probe {
    use crate::model::Status;
    let start = std::time::Instant::now();
    let Some(conn) = &check.connection else {
        return crate::sources::Probe {
            status: Status::Unknown,
            latency_ms: None,
            message: format!(
                "client {} has no [clients.{}.odoo]",
                check.client, check.client
            ),
            metrics: Vec::new(),
        };
    };
    let read = match super::secret::read(&conn.secret) {
        Ok(secret) => {
            let api = super::connect(http.clone(), conn, secret, timeout);
            read(api.as_ref(), Utc::now()).await
        }
        Err(e) => Err(e),
    };
    let latency_ms = Some(u32::try_from(start.elapsed().as_millis()).unwrap_or(u32::MAX));
    let (status, message) = match read {
        Ok(seen) => crate::model::odoo_inside::judge(&seen, Utc::now(), &check.limits),
        Err(e @ OdooError::Unreachable(_)) => (Status::Down, e.to_string()),
        Err(e @ (OdooError::AccessDenied | OdooError::NoSecret(_))) => {
            (Status::Degraded, e.to_string())
        }
        Err(e) => (Status::Unknown, e.to_string()),
    };
    crate::sources::Probe {
        status,
        latency_ms,
        message,
        metrics: Vec::new(),
    }
}
