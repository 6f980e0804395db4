//! Odoo 19's external JSON-2 API: `POST /json/2/<model>/<method>` with
//! `Authorization: bearer <API key>` and `X-Odoo-Database`, the method's
//! parameters by name in a JSON object (`ids` and `context` beside them).
//! A success is `200` with the method's return value as the body; an error
//! is a 4xx/5xx status with `{name, message, arguments, context, debug}`.
//! Odoo 19 deprecates `/jsonrpc` (removal planned in Odoo 22).

use std::time::Duration;

use serde_json::{Map, Value};

use super::{OdooApi, OdooError, OdooFuture};
use crate::sanitize;
use crate::sources::bounded::{self, Over, ReadError};
use crate::urls;

/// A JSON-2 client for one database. Stateless: every call carries the key.
pub struct Json2 {
    http: reqwest::Client,
    /// The base URL, or why it is not one.
    base: Result<reqwest::Url, String>,
    db: String,
    key: String,
    timeout: Duration,
}

impl std::fmt::Debug for Json2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs.
        f.debug_struct("Json2")
            .field("url", &self.base.as_ref().map(|u| urls::masked(u.as_str())))
            .field("db", &self.db)
            .finish()
    }
}

impl Json2 {
    pub fn new(
        http: reqwest::Client,
        url: &str,
        db: &str,
        key: String,
        timeout: Duration,
    ) -> Json2 {
        Json2 {
            http,
            base: urls::parse_base(url),
            db: db.to_string(),
            key,
            timeout,
        }
    }

    async fn call(
        &self,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
    ) -> Result<Value, OdooError> {
        let body = named(method, args, kwargs)?;
        let base = self.base.clone().map_err(OdooError::Unreachable)?;
        // Model and method names are Odoo identifiers; anything else would
        // change the path, so it is refused rather than escaped.
        for part in [model, method] {
            if part.is_empty()
                || !part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                return Err(OdooError::BadAnswer(format!(
                    "'{}' is not an Odoo model or method name",
                    sanitize::clean_short(part, 40)
                )));
            }
        }
        let url = urls::join(&base, &format!("/json/2/{model}/{method}"));
        let request = self
            .http
            .post(url)
            .header(
                reqwest::header::AUTHORIZATION,
                format!("bearer {}", self.key),
            )
            .header("X-Odoo-Database", &self.db)
            .json(&body);
        let reply = bounded::fetch(request, bounded::JSONRPC, Over::Refuse, self.timeout)
            .await
            .map_err(|e| match e {
                ReadError::TooLarge { .. } => OdooError::BadAnswer(e.to_string()),
                e => OdooError::Unreachable(e.to_string()),
            })?;
        parse_reply(reply.status.as_u16(), &reply.body.bytes)
    }
}

impl OdooApi for Json2 {
    fn execute_kw<'a>(
        &'a self,
        model: &'a str,
        method: &'a str,
        args: Value,
        kwargs: Value,
    ) -> OdooFuture<'a> {
        Box::pin(self.call(model, method, args, kwargs))
    }
}

/// The names of the leading positional parameters of the ORM methods Vigie
/// calls (Odoo's `models.py` signatures); JSON-2 takes parameters by name
/// only. `ids` is the records the method runs on.
fn parameter_names(method: &str) -> Option<&'static [&'static str]> {
    Some(match method {
        "search_read" => &["domain", "fields", "offset", "limit", "order"],
        "search" => &["domain", "offset", "limit", "order"],
        "search_count" => &["domain", "limit"],
        "read_group" => &[
            "domain", "fields", "groupby", "offset", "limit", "orderby", "lazy",
        ],
        "read" => &["ids", "fields"],
        _ => return None,
    })
}

/// The JSON-2 body of `method(*args, **kwargs)`: positional arguments
/// given their names; a method whose names Vigie does not know must be
/// called with keyword arguments only.
pub fn named(method: &str, args: Value, kwargs: Value) -> Result<Value, OdooError> {
    let mut body = match kwargs {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        other => {
            return Err(OdooError::BadAnswer(format!(
                "keyword arguments must be an object, not {}",
                super::kind(&other)
            )));
        }
    };
    let args = match args {
        Value::Array(a) => a,
        Value::Null => Vec::new(),
        other => vec![other],
    };
    if args.is_empty() {
        return Ok(Value::Object(body));
    }
    let names = parameter_names(method).unwrap_or(&[]);
    if args.len() > names.len() {
        return Err(OdooError::BadAnswer(format!(
            "JSON-2 takes parameters by name: {} positional arguments to {} cannot be named",
            args.len(),
            sanitize::clean_short(method, 40)
        )));
    }
    for (name, value) in names.iter().zip(args) {
        body.insert((*name).to_string(), value);
    }
    Ok(Value::Object(body))
}

/// A JSON-2 answer: the body on success, the error object typed otherwise.
pub fn parse_reply(status: u16, body: &[u8]) -> Result<Value, OdooError> {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    if (200..300).contains(&status) {
        return parsed
            .ok_or_else(|| OdooError::BadAnswer("not JSON (is this an Odoo 19 /json/2?)".into()));
    }
    let Some(Value::Object(err)) = parsed else {
        // A proxy's page, or an Odoo before 19 (no such route: 404 HTML).
        return Err(OdooError::Unreachable(format!("HTTP {status}")));
    };
    let text = |k: &str| err.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let (name, message) = (text("name"), text("message"));
    if status == 401 || name.ends_with("AccessDenied") {
        return Err(OdooError::AccessDenied);
    }
    // "the model 'pos.session' does not exist"
    if status == 404 {
        if let Some(model) = message
            .strip_prefix("the model '")
            .and_then(|r| r.strip_suffix("' does not exist"))
        {
            return Err(OdooError::MissingModel(sanitize::clean_short(model, 60)));
        }
    }
    Err(OdooError::Fault {
        name: sanitize::clean_short(&name, 60),
        message: sanitize::clean_short(&format!("HTTP {status}: {message}"), 120),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn positional_arguments_are_named_as_odoo_declares_them() {
        let cases = [
            (
                "search_read",
                json!([[["state", "=", "opened"]]]),
                json!({"fields": ["name"], "limit": 5}),
                Ok(json!({"domain": [["state", "=", "opened"]], "fields": ["name"], "limit": 5})),
            ),
            (
                "read_group",
                json!([[], ["file_size:sum"], []]),
                json!({"lazy": false}),
                Ok(
                    json!({"domain": [], "fields": ["file_size:sum"], "groupby": [], "lazy": false}),
                ),
            ),
            (
                "search_count",
                json!([[["state", "=", "sent"]]]),
                json!({}),
                Ok(json!({"domain": [["state", "=", "sent"]]})),
            ),
            ("version", json!([]), Value::Null, Ok(json!({}))),
            (
                "action_done",
                json!([[1, 2]]),
                json!({}),
                Err(
                    "JSON-2 takes parameters by name: 1 positional arguments to action_done cannot be named",
                ),
            ),
        ];
        for (method, args, kwargs, want) in cases {
            let got = named(method, args, kwargs).map_err(|e| match e {
                OdooError::BadAnswer(m) => m,
                other => other.to_string(),
            });
            assert_eq!(got, want.map_err(str::to_string), "{method}");
        }
    }

    #[test]
    fn json2_errors_become_typed_errors() {
        let unauthorized = json!({"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey",
            "arguments": ["Invalid apikey", 401], "context": {}, "debug": "Traceback..."});
        let missing = json!({"name": "werkzeug.exceptions.NotFound",
            "message": "the model 'pos.session' does not exist", "arguments": [], "context": {}, "debug": ""});
        let bad_kw = json!({"name": "werkzeug.exceptions.UnprocessableEntity",
            "message": "got an unexpected keyword argument 'x'", "arguments": [], "context": {}, "debug": ""});
        let cases = [
            (200, json!([{"id": 1}]).to_string(), Ok(json!([{"id": 1}]))),
            (
                200,
                "<html>".to_string(),
                Err(OdooError::BadAnswer(
                    "not JSON (is this an Odoo 19 /json/2?)".into(),
                )),
            ),
            (401, unauthorized.to_string(), Err(OdooError::AccessDenied)),
            (
                404,
                missing.to_string(),
                Err(OdooError::MissingModel("pos.session".into())),
            ),
            (
                422,
                bad_kw.to_string(),
                Err(OdooError::Fault {
                    name: "werkzeug.exceptions.UnprocessableEntity".into(),
                    message: "HTTP 422: got an unexpected keyword argument 'x'".into(),
                }),
            ),
            (
                404,
                "<html>Not Found</html>".to_string(),
                Err(OdooError::Unreachable("HTTP 404".into())),
            ),
        ];
        for (status, body, want) in cases {
            assert_eq!(
                parse_reply(status, body.as_bytes()),
                want,
                "{status} {body}"
            );
        }
    }
}
