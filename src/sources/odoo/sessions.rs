//! POS sessions read from Odoo: the store's `pos.config` records by name,
//! then their sessions still open or started recently.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::{OdooApi, OdooError};
use crate::model::pos::{PosSession, SessionState};
use crate::sanitize;

/// Fields read from `pos.session`.
pub const SESSION_FIELDS: [&str; 7] = [
    "name",
    "state",
    "start_at",
    "stop_at",
    "config_id",
    "rescue",
    "id",
];

/// Odoo's datetime format (UTC, no zone).
const ODOO_DATETIME: &str = "%Y-%m-%d %H:%M:%S";

/// The sessions of the points of sale named `configs` (all when empty)
/// that are not closed or started within `recent` of `now`.
pub async fn read_sessions(
    api: &dyn OdooApi,
    configs: &[String],
    now: DateTime<Utc>,
    recent: TimeDelta,
) -> Result<Vec<PosSession>, OdooError> {
    let since = (now - recent).format(ODOO_DATETIME).to_string();
    let recent_or_open = json!(["|", ["state", "!=", "closed"], ["start_at", ">=", since]]);
    let mut domain = Vec::new();
    if !configs.is_empty() {
        let found = api
            .search_read(
                "pos.config",
                json!([["name", "in", configs]]),
                &["id", "name"],
                Default::default(),
            )
            .await?;
        let ids: Vec<i64> = records(&found)?
            .iter()
            .filter_map(|r| r.get("id").and_then(Value::as_i64))
            .collect();
        domain.push(json!(["config_id", "in", ids]));
    }
    if let Value::Array(parts) = recent_or_open {
        domain.extend(parts);
    }
    let mut extra = serde_json::Map::new();
    extra.insert("order".into(), json!("start_at desc"));
    extra.insert("limit".into(), json!(200));
    let rows = api
        .search_read("pos.session", Value::Array(domain), &SESSION_FIELDS, extra)
        .await?;
    Ok(records(&rows)?.iter().filter_map(session).collect())
}

fn records(v: &Value) -> Result<&Vec<Value>, OdooError> {
    v.as_array()
        .ok_or_else(|| OdooError::BadAnswer("search_read did not answer a list".into()))
}

/// One record; Odoo writes `false` for empty values. A record without an
/// id is skipped.
pub fn session(r: &Value) -> Option<PosSession> {
    let id = r.get("id")?.as_i64()?;
    let text = |k: &str| {
        r.get(k)
            .and_then(Value::as_str)
            .map(|s| sanitize::clean_short(s, 60))
    };
    let config = match r.get("config_id") {
        Some(Value::Array(pair)) => pair
            .get(1)
            .and_then(Value::as_str)
            .map(|s| sanitize::clean_short(s, 60)),
        _ => None,
    };
    Some(PosSession {
        id,
        name: text("name").unwrap_or_else(|| format!("session {id}")),
        config: config.unwrap_or_else(|| "?".into()),
        state: text("state").map_or(SessionState::Other("?".into()), |s| SessionState::parse(&s)),
        start_at: date(r.get("start_at")),
        stop_at: date(r.get("stop_at")),
        rescue: r.get("rescue").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// `"2026-06-10 07:00:00"` (UTC); `false`, null or anything else is none.
pub fn date(v: Option<&Value>) -> Option<DateTime<Utc>> {
    let s = v?.as_str()?;
    let s = s.split('.').next()?; // fractional seconds, if any
    NaiveDateTime::parse_from_str(s, ODOO_DATETIME)
        .ok()
        .map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_field_values_are_read_as_missing() {
        let cases = [
            (
                json!({"id": 3, "name": "POS/3", "state": "opened", "start_at": "2026-06-10 07:00:00", "stop_at": false, "config_id": [1, "Caisse 1"], "rescue": false}),
                Some(("POS/3", "Caisse 1", SessionState::Opened, true, false)),
            ),
            (
                json!({"id": 4, "name": false, "state": 12, "start_at": false, "stop_at": "yesterday", "config_id": false, "rescue": "yes"}),
                Some((
                    "session 4",
                    "?",
                    SessionState::Other("?".into()),
                    false,
                    false,
                )),
            ),
            (
                json!({"id": 5, "state": "weird_state", "start_at": "2026-06-10 07:00:00.123", "config_id": [2, "C\u{1b}[2J"], "rescue": true}),
                Some((
                    "session 5",
                    "C␛[2J",
                    SessionState::Other("weird_state".into()),
                    true,
                    true,
                )),
            ),
            (json!({"name": "no id"}), None),
        ];
        for (record, want) in cases {
            let got = session(&record)
                .map(|s| (s.name, s.config, s.state, s.start_at.is_some(), s.rescue));
            let want = want.map(|(n, c, st, d, r)| (n.to_string(), c.to_string(), st, d, r));
            assert_eq!(got, want, "{record}");
        }
    }
}
