//! Odoo's external JSON-RPC API: `POST /jsonrpc` with a JSON-RPC 2.0
//! envelope, service `common` (`login`) and service `object`
//! (`execute_kw(db, uid, key, model, method, args, kwargs)`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use super::{OdooApi, OdooError, OdooFuture};
use crate::sanitize;
use crate::sources::bounded::{self, Over, ReadError};
use crate::urls;

/// A JSON-RPC client for one database; logs in on first use and again
/// after the server refuses the session's uid.
pub struct JsonRpc {
    http: reqwest::Client,
    /// `<base>/jsonrpc`, or why the base is not a URL.
    url: Result<reqwest::Url, String>,
    db: String,
    login: String,
    secret: String,
    timeout: Duration,
    uid: Mutex<Option<i64>>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for JsonRpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("JsonRpc")
            .field("url", &self.url.as_ref().map(|u| urls::masked(u.as_str())))
            .field("db", &self.db)
            .field("login", &self.login)
            .finish()
    }
}

impl JsonRpc {
    pub fn new(
        http: reqwest::Client,
        url: &str,
        db: &str,
        login: &str,
        secret: String,
        timeout: Duration,
    ) -> JsonRpc {
        JsonRpc {
            http,
            url: urls::parse_base(url).map(|base| urls::join(&base, "/jsonrpc")),
            db: db.to_string(),
            login: login.to_string(),
            secret,
            timeout,
            uid: Mutex::new(None),
            next_id: AtomicU64::new(1),
        }
    }

    /// One JSON-RPC call: `service.method(*args)`.
    pub async fn call(&self, service: &str, method: &str, args: Value) -> Result<Value, OdooError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({
            "jsonrpc": "2.0",
            "method": "call",
            "params": { "service": service, "method": method, "args": args },
            "id": id,
        });
        // One deadline for the headers and the body, and a limit: a POS
        // Odoo answering 1 GiB once held 1 GB of memory.
        let url = self.url.clone().map_err(OdooError::Unreachable)?;
        let request = self.http.post(url).json(&body);
        let reply = bounded::fetch(request, bounded::JSONRPC, Over::Refuse, self.timeout)
            .await
            .map_err(|e| match e {
                ReadError::TooLarge { .. } => OdooError::BadAnswer(e.to_string()),
                e => OdooError::Unreachable(e.to_string()),
            })?;
        let (status, bytes) = (reply.status, reply.body.bytes);
        let v: Value = serde_json::from_slice(&bytes).map_err(|_| {
            if status.is_success() {
                OdooError::BadAnswer("not JSON (is this an Odoo /jsonrpc?)".into())
            } else {
                OdooError::Unreachable(format!("HTTP {}", status.as_u16()))
            }
        })?;
        parse_response(v)
    }

    async fn uid(&self) -> Result<i64, OdooError> {
        if let Some(uid) = self.uid.lock().ok().and_then(|g| *g) {
            return Ok(uid);
        }
        let answer = self
            .call("common", "login", json!([self.db, self.login, self.secret]))
            .await?;
        let uid = match answer {
            Value::Number(n) => n
                .as_i64()
                .ok_or_else(|| OdooError::BadAnswer("login gave an odd uid".into()))?,
            Value::Bool(false) => return Err(OdooError::AccessDenied),
            other => {
                return Err(OdooError::BadAnswer(format!(
                    "login answered {}",
                    short(&other)
                )));
            }
        };
        if let Ok(mut g) = self.uid.lock() {
            *g = Some(uid);
        }
        Ok(uid)
    }

    async fn execute(
        &self,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
    ) -> Result<Value, OdooError> {
        let uid = self.uid().await?;
        let result = self
            .call(
                "object",
                "execute_kw",
                json!([self.db, uid, self.secret, model, method, args, kwargs]),
            )
            .await;
        if matches!(result, Err(OdooError::AccessDenied)) {
            // The key may have been revoked: log in again next time.
            if let Ok(mut g) = self.uid.lock() {
                *g = None;
            }
        }
        result
    }
}

impl OdooApi for JsonRpc {
    fn execute_kw<'a>(
        &'a self,
        model: &'a str,
        method: &'a str,
        args: Value,
        kwargs: Value,
    ) -> OdooFuture<'a> {
        Box::pin(self.execute(model, method, args, kwargs))
    }
}

/// The result of a JSON-RPC answer, or its fault typed.
pub fn parse_response(v: Value) -> Result<Value, OdooError> {
    if let Some(err) = v.get("error") {
        let message = err
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let data = err.get("data");
        let name = data
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let detail = data
            .and_then(|d| d.get("message"))
            .and_then(Value::as_str)
            .unwrap_or(&message)
            .to_string();
        return Err(fault(&name, &detail));
    }
    match v.get("result") {
        Some(r) => Ok(r.clone()),
        None => Err(OdooError::BadAnswer("neither result nor error".into())),
    }
}

/// Maps an Odoo exception to a typed error. An unknown model is reported
/// by `execute_kw` as "Object <model> doesn't exist".
pub fn fault(name: &str, message: &str) -> OdooError {
    if name == "odoo.exceptions.AccessDenied" || name.ends_with("AccessDenied") {
        return OdooError::AccessDenied;
    }
    if let Some(rest) = message.strip_prefix("Object ") {
        if let Some(model) = rest.strip_suffix(" doesn't exist") {
            return OdooError::MissingModel(sanitize::clean_short(model, 60));
        }
    }
    OdooError::Fault {
        name: sanitize::clean_short(name, 60),
        message: sanitize::clean_short(message, 120),
    }
}

fn short(v: &Value) -> String {
    sanitize::clean_short(&v.to_string(), 40)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odoo_faults_become_typed_errors() {
        let cases = [
            (
                json!({"jsonrpc": "2.0", "id": 1, "result": 2}),
                Ok(json!(2)),
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "error": {"code": 200, "message": "Odoo Server Error",
                    "data": {"name": "odoo.exceptions.AccessDenied", "message": "Access Denied", "arguments": ["Access Denied"]}}}),
                Err(OdooError::AccessDenied),
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "error": {"code": 200, "message": "Odoo Server Error",
                    "data": {"name": "odoo.exceptions.UserError", "message": "Object pos.session doesn't exist"}}}),
                Err(OdooError::MissingModel("pos.session".into())),
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1, "error": {"code": 200, "message": "Odoo Server Error",
                    "data": {"name": "builtins.ValueError", "message": "Invalid field 'x'"}}}),
                Err(OdooError::Fault {
                    name: "builtins.ValueError".into(),
                    message: "Invalid field 'x'".into(),
                }),
            ),
            (
                json!({"jsonrpc": "2.0", "id": 1}),
                Err(OdooError::BadAnswer("neither result nor error".into())),
            ),
        ];
        for (answer, want) in cases {
            assert_eq!(parse_response(answer.clone()), want, "{answer}");
        }
    }
}
