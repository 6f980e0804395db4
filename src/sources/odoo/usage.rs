//! Usage read from Odoo's external API: users who logged in (`res.users`
//! `login_date`), e-mails and SMS sent (`mail.mail`, `sms.sms`
//! `search_count` by state and date), document volume (`ir.attachment`
//! `read_group` summing `file_size`). Odoo stores datetimes in UTC as
//! `YYYY-MM-DD HH:MM:SS`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{OdooApi, OdooError};
use crate::model::usage::Meter;

const ODOO_DATETIME: &str = "%Y-%m-%d %H:%M:%S";

fn odoo_time(t: DateTime<Utc>) -> String {
    t.format(ODOO_DATETIME).to_string()
}

/// Ids of the internal users (not portal: `share` false, archived ones
/// included) whose last login falls in `[from, to)`, but the login Vigie
/// reads with (each RPC login moves its `login_date`). Odoo keeps only the
/// last login date per user (`login_date`, from `res.users.log`), so read
/// soon after the day ends.
pub async fn active_users(
    api: &dyn OdooApi,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    reader_login: &str,
) -> Result<Vec<i64>, OdooError> {
    let domain = json!([
        ["share", "=", false],
        ["login", "!=", reader_login],
        ["active", "in", [true, false]],
        ["login_date", ">=", odoo_time(from)],
        ["login_date", "<", odoo_time(to)]
    ]);
    let rows = api
        .search_read(
            "res.users",
            domain,
            &["id", "login_date"],
            Default::default(),
        )
        .await?;
    let list = rows
        .as_array()
        .ok_or_else(|| OdooError::BadAnswer("search_read did not answer a list".into()))?;
    Ok(list
        .iter()
        .filter_map(|r| r.get("id").and_then(Value::as_i64))
        .collect())
}

/// E-mails (`mail.mail` in state `sent`, by `date`) or SMS (`sms.sms` in
/// state `sent`, or `pending` as Odoo 17 calls a sent SMS awaiting its
/// delivery report, by `create_date`) sent in `[from, to)`.
pub async fn sent(
    api: &dyn OdooApi,
    meter: Meter,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<u64, OdooError> {
    let (model, states, date) = match meter {
        Meter::Sms => ("sms.sms", json!(["sent", "pending"]), "create_date"),
        _ => ("mail.mail", json!(["sent"]), "date"),
    };
    let domain = json!([
        ["state", "in", states],
        [date, ">=", odoo_time(from)],
        [date, "<", odoo_time(to)]
    ]);
    let n = api
        .execute_kw(model, "search_count", json!([domain]), json!({}))
        .await?;
    n.as_u64()
        .ok_or_else(|| OdooError::BadAnswer(format!("{model} search_count answered {n}")))
}

/// Bytes of every attachment (`file_size` summed by `read_group`; the
/// domain names `res_field` so attachments of binary fields count too,
/// which a plain search hides).
pub async fn documents_bytes(api: &dyn OdooApi) -> Result<u64, OdooError> {
    let domain = json!(["|", ["res_field", "=", false], ["res_field", "!=", false]]);
    let groups = api
        .execute_kw(
            "ir.attachment",
            "read_group",
            json!([domain, ["file_size:sum"], []]),
            json!({"lazy": false}),
        )
        .await?;
    let bad = || OdooError::BadAnswer(format!("ir.attachment read_group answered {groups}"));
    let list = groups.as_array().ok_or_else(bad)?;
    match list.first() {
        // No attachment at all: Odoo answers no group, or a sum of false.
        None => Ok(0),
        Some(g) => match g.get("file_size") {
            Some(Value::Number(n)) => n
                .as_u64()
                .or_else(|| n.as_f64().filter(|x| *x >= 0.0).map(|x| x as u64))
                .ok_or_else(bad),
            Some(Value::Bool(false)) | None => Ok(0),
            Some(_) => Err(bad()),
        },
    }
}
