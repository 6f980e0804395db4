//! Odoo's external API, behind [`OdooApi`] so the JSON-RPC transport
//! (`/jsonrpc`, Odoo 8 to 18) and the newer JSON-2 API (`POST
//! /json/2/<model>/<method>` with a bearer key) can both serve the same
//! callers. Generic: `execute_kw` on any model; [`sessions`] reads POS
//! sessions for the POS pane.

pub mod inside;
pub mod json2;
pub mod jsonrpc;
pub mod secret;
pub mod sessions;
pub mod usage;

use std::future::Future;
use std::pin::Pin;

use serde_json::Value;

pub use json2::Json2;
pub use jsonrpc::JsonRpc;
pub use sessions::read_sessions;

use crate::model::pos::{OdooConnection, OdooProblem, OdooTransport};

/// The client for `conn` over the API it names, with its key already read.
pub fn connect(
    http: reqwest::Client,
    conn: &OdooConnection,
    secret: String,
    timeout: std::time::Duration,
) -> std::sync::Arc<dyn OdooApi> {
    match conn.api {
        OdooTransport::JsonRpc => std::sync::Arc::new(JsonRpc::new(
            http,
            &conn.url,
            &conn.db,
            &conn.login,
            secret,
            timeout,
        )),
        OdooTransport::Json2 => {
            std::sync::Arc::new(Json2::new(http, &conn.url, &conn.db, secret, timeout))
        }
    }
}

/// What can go wrong talking to Odoo, typed from its fault objects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OdooError {
    #[error("Odoo unreachable: {0}")]
    Unreachable(String),
    /// `odoo.exceptions.AccessDenied`, or `login` answering `false`.
    #[error("Odoo refused the login or the key")]
    AccessDenied,
    /// "Object <model> doesn't exist": the app is not installed.
    #[error("Odoo has no model {0}")]
    MissingModel(String),
    /// Any other server fault, with its exception name.
    #[error("Odoo fault {name}: {message}")]
    Fault { name: String, message: String },
    #[error("Odoo answer unreadable: {0}")]
    BadAnswer(String),
    #[error("no Odoo key: {0}")]
    NoSecret(String),
}

impl OdooError {
    /// The state shown in the POS pane and CLI.
    pub fn problem(&self) -> OdooProblem {
        match self {
            OdooError::Unreachable(m) => OdooProblem::Unreachable(m.clone()),
            OdooError::AccessDenied => OdooProblem::WrongCredentials,
            OdooError::MissingModel(m) if m == "pos.session" || m == "pos.config" => {
                OdooProblem::PosNotInstalled
            }
            OdooError::NoSecret(m) => OdooProblem::NoSecret(m.clone()),
            // The problem's own words carry the prefix: the message alone.
            OdooError::BadAnswer(m) => OdooProblem::BadAnswer(m.clone()),
            other @ (OdooError::MissingModel(_) | OdooError::Fault { .. }) => {
                OdooProblem::Fault(other.to_string())
            }
        }
    }
}

pub type OdooFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, OdooError>> + Send + 'a>>;

/// One Odoo database seen through its external API.
pub trait OdooApi: Send + Sync {
    /// `model.method(*args, **kwargs)` as the logged-in user.
    fn execute_kw<'a>(
        &'a self,
        model: &'a str,
        method: &'a str,
        args: Value,
        kwargs: Value,
    ) -> OdooFuture<'a>;

    /// `search_read(domain, fields=..., **extra)`.
    fn search_read<'a>(
        &'a self,
        model: &'a str,
        domain: Value,
        fields: &'a [&'a str],
        extra: serde_json::Map<String, Value>,
    ) -> OdooFuture<'a> {
        let mut kwargs = extra;
        kwargs.insert("fields".into(), Value::from(fields.to_vec()));
        Box::pin(async move {
            let answer = self
                .execute_kw(
                    model,
                    "search_read",
                    Value::Array(vec![domain]),
                    Value::Object(kwargs),
                )
                .await?;
            records_of(model, answer)
        })
    }
}

/// A `search_read` answer is a list of records (objects). Anything else
/// (an object such as `web_search_read`'s `{"records": ...}`, a list of
/// ids) is an unreadable answer, never read as "no records".
pub fn records_of(model: &str, answer: Value) -> Result<Value, OdooError> {
    let odd = match &answer {
        Value::Array(rows) => match rows.iter().find(|r| !r.is_object()) {
            None => return Ok(answer),
            Some(row) => format!("a list holding {}", kind(row)),
        },
        other => kind(other).to_string(),
    };
    Err(OdooError::BadAnswer(format!(
        "{} search_read answered {odd}, not a list of records",
        crate::sanitize::clean_short(model, 40)
    )))
}

/// What a JSON value is, in words.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
