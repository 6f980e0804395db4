//! A small Odoo stand-in that follows Odoo's documented external API
//! (https://www.odoo.com/documentation/17.0/developer/reference/external_api.html):
//! a JSON-RPC 2.0 envelope at `/jsonrpc`, service `common` (`version`,
//! `login`, `authenticate`) and service `object` (`execute_kw` with
//! `search_read`, honouring the domain, `fields`, `order`, `limit` and
//! `offset`; `search_count`; `read_group` with `field:agg` aggregates,
//! plain `groupby` fields and `lazy`), Odoo's fault objects (AccessDenied, "Object ... doesn't
//! exist"), and `/web/health`. Used by the tests and the demo, since a
//! real Odoo cannot run here; Vigie's client is the one used against a
//! real Odoo.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

/// One user allowed to log in with a key (an API key or password).
#[derive(Debug, Clone)]
pub struct User {
    pub login: String,
    pub key: String,
    pub uid: i64,
}

/// The database: its users and the records of each model.
#[derive(Debug, Default)]
pub struct OdooDb {
    pub name: String,
    pub users: Vec<User>,
    /// Records per model; a model missing here "doesn't exist" (an app not
    /// installed).
    pub models: BTreeMap<String, Vec<Map<String, Value>>>,
    /// Answer `/web/health` with 500 while set.
    pub unhealthy: bool,
    /// `/jsonrpc` answers 404, as it will once Odoo 22 removes it: only
    /// JSON-2 works.
    pub jsonrpc_removed: bool,
}

pub type Shared = Arc<Mutex<OdooDb>>;

/// Starts the stand-in on an ephemeral loopback port.
pub async fn serve(db: Shared) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router(db)).await;
    });
    Ok(addr)
}

pub fn router(db: Shared) -> Router {
    Router::new()
        .route("/jsonrpc", post(jsonrpc))
        .route("/json/2/{model}/{method}", post(json2))
        .route("/web/health", get(health))
        .with_state(db)
}

async fn health(State(db): State<Shared>) -> (axum::http::StatusCode, &'static str) {
    let bad = db.lock().map(|d| d.unhealthy).unwrap_or(true);
    if bad {
        (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "{\"status\": \"fail\"}",
        )
    } else {
        (axum::http::StatusCode::OK, "{\"status\": \"pass\"}")
    }
}

async fn jsonrpc(
    State(db): State<Shared>,
    body: axum::body::Bytes,
) -> Result<axum::Json<Value>, axum::http::StatusCode> {
    if db.lock().map(|d| d.jsonrpc_removed).unwrap_or(false) {
        return Err(axum::http::StatusCode::NOT_FOUND);
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return Ok(axum::Json(json!({"jsonrpc": "2.0", "id": null,
            "error": {"code": -32700, "message": "Parse error"}})));
    };
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let params = req.get("params").cloned().unwrap_or(Value::Null);
    let service = params.get("service").and_then(Value::as_str).unwrap_or("");
    let method = params.get("method").and_then(Value::as_str).unwrap_or("");
    let args = params
        .get("args")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let answer = match db.lock() {
        Ok(db) => dispatch(&db, service, method, &args),
        Err(_) => Err(fault("builtins.RuntimeError", "database lock poisoned")),
    };
    Ok(axum::Json(match answer {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error}),
    }))
}

/// Odoo 19's `POST /json/2/<model>/<method>`: the key as a bearer token,
/// the database from `X-Odoo-Database`, the parameters by name (`ids` and
/// `context` beside them); the return value as the body, or an error
/// object with an HTTP status (401 bad key, 404 unknown model or method,
/// 422 parameters that do not bind or a `UserError`, 500 anything else).
async fn json2(
    State(db): State<Shared>,
    axum::extract::Path((model, method)): axum::extract::Path<(String, String)>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> (axum::http::StatusCode, axum::Json<Value>) {
    let answer = match db.lock() {
        Ok(db) => json2_call(&db, &model, &method, &headers, &body),
        Err(_) => Err((
            500,
            json2_error("builtins.RuntimeError", "database lock poisoned"),
        )),
    };
    match answer {
        Ok(v) => (axum::http::StatusCode::OK, axum::Json(v)),
        Err((status, e)) => (
            axum::http::StatusCode::from_u16(status)
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
            axum::Json(e),
        ),
    }
}

/// Odoo's `serialize_exception` as JSON-2 sends it.
fn json2_error(name: &str, message: &str) -> Value {
    json!({
        "name": name,
        "message": message,
        "arguments": [message],
        "context": {},
        "debug": format!("Traceback (most recent call last):\n{name}: {message}\n"),
    })
}

/// The parameters each @api.model method binds (`search_read` takes any
/// further `**read_kwargs`).
fn json2_parameters(method: &str) -> Option<&'static [&'static str]> {
    Some(match method {
        "search_count" => &["domain", "limit"],
        "read_group" => &[
            "domain", "fields", "groupby", "offset", "limit", "orderby", "lazy",
        ],
        _ => return None,
    })
}

fn json2_call(
    db: &OdooDb,
    model: &str,
    method: &str,
    headers: &axum::http::HeaderMap,
    body: &[u8],
) -> Result<Value, (u16, Value)> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let key = header("authorization").and_then(|h| {
        let (scheme, key) = h.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
    });
    if !db.users.iter().any(|u| Some(u.key.as_str()) == key) {
        return Err((
            401,
            json2_error("werkzeug.exceptions.Unauthorized", "Invalid apikey"),
        ));
    }
    if let Some(name) = header("x-odoo-database") {
        if name != db.name {
            return Err((
                404,
                json2_error("werkzeug.exceptions.NotFound", "database not found"),
            ));
        }
    }
    let mut params = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => m,
        _ => {
            return Err((
                400,
                json2_error(
                    "werkzeug.exceptions.BadRequest",
                    "could not parse the body, expecting a json object",
                ),
            ));
        }
    };
    let ids = params.remove("ids");
    params.remove("context");
    let Some(records) = db.models.get(model) else {
        let m = format!("the model '{model}' does not exist");
        return Err((404, json2_error("werkzeug.exceptions.NotFound", &m)));
    };
    let unprocessable = |m: String| {
        (
            422,
            json2_error("werkzeug.exceptions.UnprocessableEntity", &m),
        )
    };
    if ids
        .as_ref()
        .and_then(Value::as_array)
        .is_some_and(|i| !i.is_empty())
    {
        return Err(unprocessable(format!(
            "cannot call {model}.{method} with ids"
        )));
    }
    if let Some(names) = json2_parameters(method) {
        if let Some(bad) = params.keys().find(|k| !names.contains(&k.as_str())) {
            return Err(unprocessable(format!(
                "{method}() got an unexpected keyword argument '{bad}'"
            )));
        }
    }
    call(records, model, method, &[], &params).map_err(|fault| {
        let data = fault.get("data").cloned().unwrap_or(Value::Null);
        let text = |k: &str| {
            data.get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (name, message) = (text("name"), text("message"));
        if name == "builtins.AttributeError" {
            return (404, json2_error("werkzeug.exceptions.NotFound", &message));
        }
        let status = match name.as_str() {
            "odoo.exceptions.AccessDenied" => 401,
            "odoo.exceptions.UserError" | "odoo.exceptions.ValidationError" => 422,
            "odoo.exceptions.AccessError" => 403,
            _ => 500,
        };
        (status, json2_error(&name, &message))
    })
}

/// Odoo's fault object for an exception.
pub fn fault(name: &str, message: &str) -> Value {
    json!({
        "code": 200,
        "message": "Odoo Server Error",
        "data": {
            "name": name,
            "debug": format!("Traceback (most recent call last):\n{name}: {message}\n"),
            "message": message,
            "arguments": [message],
            "context": {},
        }
    })
}

fn access_denied() -> Value {
    fault("odoo.exceptions.AccessDenied", "Access Denied")
}

fn dispatch(db: &OdooDb, service: &str, method: &str, args: &[Value]) -> Result<Value, Value> {
    match (service, method) {
        ("common", "version") => Ok(json!({
            "server_version": "17.0",
            "server_version_info": [17, 0, 0, "final", 0, ""],
            "server_serie": "17.0",
            "protocol_version": 1,
        })),
        // login answers false for bad credentials (AccessDenied is caught).
        ("common", "login") | ("common", "authenticate") => {
            Ok(login(db, args).map_or(json!(false), Value::from))
        }
        ("object", "execute_kw") => execute_kw(db, args),
        ("common" | "object", m) => Err(fault(
            "builtins.NameError",
            &format!("Method not available {m}"),
        )),
        (s, _) => Err(fault("builtins.KeyError", &format!("'{s}'"))),
    }
}

fn login(db: &OdooDb, args: &[Value]) -> Option<i64> {
    let [d, login, key, ..] = args else {
        return None;
    };
    if d.as_str() != Some(db.name.as_str()) {
        return None;
    }
    db.users
        .iter()
        .find(|u| Some(u.login.as_str()) == login.as_str() && Some(u.key.as_str()) == key.as_str())
        .map(|u| u.uid)
}

fn execute_kw(db: &OdooDb, args: &[Value]) -> Result<Value, Value> {
    let [d, uid, key, model, method, rest @ ..] = args else {
        return Err(fault(
            "builtins.TypeError",
            "execute_kw() missing required positional arguments",
        ));
    };
    let allowed = d.as_str() == Some(db.name.as_str())
        && db
            .users
            .iter()
            .any(|u| Some(u.uid) == uid.as_i64() && Some(u.key.as_str()) == key.as_str());
    if !allowed {
        return Err(access_denied());
    }
    let model = model.as_str().unwrap_or("");
    let method = method.as_str().unwrap_or("");
    let positional = rest
        .first()
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let kwargs = rest
        .get(1)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let Some(records) = db.models.get(model) else {
        return Err(fault(
            "odoo.exceptions.UserError",
            &format!("Object {model} doesn't exist"),
        ));
    };
    call(records, model, method, &positional, &kwargs)
}

/// `model.method(*positional, **kwargs)` on the model's records.
fn call(
    records: &[Map<String, Value>],
    model: &str,
    method: &str,
    positional: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Value, Value> {
    match method {
        "search_read" => {
            let domain = positional
                .first()
                .or(kwargs.get("domain"))
                .cloned()
                .unwrap_or(json!([]));
            let fields = positional.get(1).or(kwargs.get("fields")).cloned();
            search_read(records, &domain, fields.as_ref(), kwargs)
        }
        "read_group" => {
            let domain = positional
                .first()
                .or(kwargs.get("domain"))
                .cloned()
                .unwrap_or(json!([]));
            let fields = positional
                .get(1)
                .or(kwargs.get("fields"))
                .cloned()
                .unwrap_or(json!([]));
            let groupby = positional
                .get(2)
                .or(kwargs.get("groupby"))
                .cloned()
                .unwrap_or(json!([]));
            let lazy = kwargs.get("lazy").and_then(Value::as_bool).unwrap_or(true);
            read_group(records, &domain, &fields, &groupby, lazy)
        }
        "search_count" => {
            let domain = positional
                .first()
                .or(kwargs.get("domain"))
                .cloned()
                .unwrap_or(json!([]));
            let expr = parse_domain(&domain)?;
            Ok(Value::from(
                records.iter().filter(|r| expr.matches(r)).count(),
            ))
        }
        other => Err(fault(
            "builtins.AttributeError",
            &format!("The method '{other}' does not exist on the model '{model}'"),
        )),
    }
}

fn search_read(
    records: &[Map<String, Value>],
    domain: &Value,
    fields: Option<&Value>,
    kwargs: &Map<String, Value>,
) -> Result<Value, Value> {
    let expr = parse_domain(domain)?;
    let mut hits: Vec<&Map<String, Value>> = records.iter().filter(|r| expr.matches(r)).collect();
    if let Some(order) = kwargs.get("order").and_then(Value::as_str) {
        let mut parts = order.split_whitespace();
        let field = parts.next().unwrap_or("id");
        let desc = parts.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
        hits.sort_by(|a, b| {
            let o = compare(
                a.get(field).unwrap_or(&Value::Bool(false)),
                b.get(field).unwrap_or(&Value::Bool(false)),
            );
            if desc { o.reverse() } else { o }
        });
    }
    let offset = kwargs.get("offset").and_then(Value::as_u64).unwrap_or(0) as usize;
    let limit = kwargs
        .get("limit")
        .and_then(Value::as_u64)
        .map_or(usize::MAX, |l| l as usize);
    let wanted: Option<Vec<&str>> = fields
        .and_then(Value::as_array)
        .filter(|f| !f.is_empty())
        .map(|f| f.iter().filter_map(Value::as_str).collect());
    if let (Some(wanted), Some(first)) = (&wanted, records.first()) {
        if let Some(bad) = wanted.iter().find(|f| !first.contains_key(**f)) {
            return Err(fault(
                "builtins.ValueError",
                &format!("Invalid field '{bad}' on model"),
            ));
        }
    }
    let out: Vec<Value> = hits
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|r| match &wanted {
            None => Value::Object(r.clone()),
            Some(w) => {
                let mut m = Map::new();
                m.insert(
                    "id".into(),
                    r.get("id").cloned().unwrap_or(Value::Bool(false)),
                );
                for f in w {
                    m.insert(
                        (*f).to_string(),
                        r.get(*f).cloned().unwrap_or(Value::Bool(false)),
                    );
                }
                Value::Object(m)
            }
        })
        .collect();
    Ok(Value::Array(out))
}

/// `read_group(domain, fields, groupby, lazy=...)`: one row per group
/// (one row in all when `groupby` is empty), each aggregate named after its
/// field (`file_size:sum` answers `file_size`; an aggregate over nothing is
/// `false`), the count as `__count` (or `<field>_count` when lazy with one
/// groupby field), and the group's `__domain`.
fn read_group(
    records: &[Map<String, Value>],
    domain: &Value,
    fields: &Value,
    groupby: &Value,
    lazy: bool,
) -> Result<Value, Value> {
    let expr = parse_domain(domain)?;
    let hits: Vec<&Map<String, Value>> = records.iter().filter(|r| expr.matches(r)).collect();
    let bad = |m: String| fault("builtins.ValueError", &m);
    let groupby: Vec<&str> = match groupby {
        Value::String(s) => vec![s.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => return Err(bad("Invalid groupby".into())),
    };
    // (output name, field, aggregate)
    let mut aggs: Vec<(String, String, String)> = Vec::new();
    for f in fields
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let (name, agg) = match f.split_once(':') {
            Some((name, spec)) => match spec.split_once('(') {
                // `alias:agg(field)`
                Some((agg, field)) => {
                    let field = field.trim_end_matches(')');
                    aggs.push((name.into(), field.into(), agg.into()));
                    continue;
                }
                None => (name, spec),
            },
            None => (f, "sum"),
        };
        if groupby.contains(&name) {
            continue;
        }
        if !matches!(agg, "sum" | "count" | "max" | "min" | "avg") {
            return Err(bad(format!("Invalid aggregation function {agg:?}.")));
        }
        aggs.push((name.into(), name.into(), agg.into()));
    }
    let mut groups: Vec<Group> = Vec::new();
    for r in &hits {
        let k: Vec<Value> = groupby
            .iter()
            .map(|g| r.get(*g).cloned().unwrap_or(Value::Bool(false)))
            .collect();
        match groups.iter_mut().find(|(key, _)| *key == k) {
            Some((_, members)) => members.push(r),
            None => groups.push((k, vec![r])),
        }
    }
    if groupby.is_empty() && groups.is_empty() {
        groups.push((Vec::new(), Vec::new()));
    }
    let rows: Vec<Value> = groups
        .into_iter()
        .map(|(values, members)| {
            let mut row = Map::new();
            let mut group_domain = domain.as_array().cloned().unwrap_or_default();
            for (g, v) in groupby.iter().zip(&values) {
                row.insert((*g).to_string(), v.clone());
                group_domain.push(json!([g, "=", key(v)]));
            }
            for (name, field, agg) in &aggs {
                let nums: Vec<f64> = members
                    .iter()
                    .filter_map(|r| r.get(field.as_str()).and_then(Value::as_f64))
                    .collect();
                let v = match agg.as_str() {
                    "count" => Value::from(nums.len()),
                    _ if nums.is_empty() => Value::Bool(false),
                    "sum" => number(nums.iter().sum()),
                    "max" => number(nums.iter().copied().fold(f64::MIN, f64::max)),
                    "min" => number(nums.iter().copied().fold(f64::MAX, f64::min)),
                    _ => number(nums.iter().sum::<f64>() / nums.len() as f64),
                };
                row.insert(name.clone(), v);
            }
            let count = if lazy && groupby.len() == 1 {
                format!("{}_count", groupby[0])
            } else {
                "__count".to_string()
            };
            row.insert(count, Value::from(members.len()));
            row.insert("__domain".into(), Value::Array(group_domain));
            Value::Object(row)
        })
        .collect();
    Ok(Value::Array(rows))
}

/// A group's values of the `groupby` fields, and its records.
type Group<'a> = (Vec<Value>, Vec<&'a Map<String, Value>>);

/// Whole sums stay integers, as Odoo answers for integer fields.
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

/// A parsed domain: Polish-notation `&`, `|`, `!` over leaves, an implicit
/// `&` between consecutive terms.
enum Expr {
    True,
    Leaf(String, String, Value),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
}

fn parse_domain(domain: &Value) -> Result<Expr, Value> {
    let terms = domain
        .as_array()
        .ok_or_else(|| fault("builtins.ValueError", "Invalid domain"))?;
    let mut pos = 0;
    let mut out = Expr::True;
    while pos < terms.len() {
        let e = parse_term(terms, &mut pos)?;
        out = Expr::And(Box::new(out), Box::new(e));
    }
    Ok(out)
}

fn parse_term(terms: &[Value], pos: &mut usize) -> Result<Expr, Value> {
    let bad = || fault("builtins.ValueError", "Invalid domain");
    let term = terms.get(*pos).ok_or_else(bad)?;
    *pos += 1;
    match term {
        Value::String(op) if op == "&" || op == "|" => {
            let a = parse_term(terms, pos)?;
            let b = parse_term(terms, pos)?;
            Ok(if op == "&" {
                Expr::And(Box::new(a), Box::new(b))
            } else {
                Expr::Or(Box::new(a), Box::new(b))
            })
        }
        Value::String(op) if op == "!" => Ok(Expr::Not(Box::new(parse_term(terms, pos)?))),
        Value::Array(leaf) if leaf.len() == 3 => {
            let field = leaf[0].as_str().ok_or_else(bad)?.to_string();
            let op = leaf[1].as_str().ok_or_else(bad)?.to_string();
            const OPS: [&str; 10] = [
                "=", "!=", "<", ">", "<=", ">=", "in", "not in", "like", "ilike",
            ];
            if !OPS.contains(&op.as_str()) {
                return Err(fault(
                    "builtins.ValueError",
                    &format!("Invalid leaf operator {op}"),
                ));
            }
            Ok(Expr::Leaf(field, op, leaf[2].clone()))
        }
        _ => Err(bad()),
    }
}

impl Expr {
    fn matches(&self, r: &Map<String, Value>) -> bool {
        match self {
            Expr::True => true,
            Expr::And(a, b) => a.matches(r) && b.matches(r),
            Expr::Or(a, b) => a.matches(r) || b.matches(r),
            Expr::Not(a) => !a.matches(r),
            Expr::Leaf(field, op, value) => {
                let got = r.get(field).map(key).unwrap_or(Value::Bool(false));
                let list = || {
                    value
                        .as_array()
                        .cloned()
                        .unwrap_or_else(|| vec![value.clone()])
                };
                match op.as_str() {
                    "=" => got == *value,
                    "!=" => got != *value,
                    "in" => list().contains(&got),
                    "not in" => !list().contains(&got),
                    "like" | "ilike" => {
                        let (g, v) = (got.as_str().unwrap_or(""), value.as_str().unwrap_or(""));
                        if op == "ilike" {
                            g.to_lowercase().contains(&v.to_lowercase())
                        } else {
                            g.contains(v)
                        }
                    }
                    // Comparisons with false (an empty value) are false, as in SQL.
                    _ if got == Value::Bool(false) => false,
                    "<" => compare(&got, value) == Ordering::Less,
                    ">" => compare(&got, value) == Ordering::Greater,
                    "<=" => compare(&got, value) != Ordering::Greater,
                    ">=" => compare(&got, value) != Ordering::Less,
                    _ => false,
                }
            }
        }
    }
}

/// A many2one `[id, "name"]` compares by its id.
fn key(v: &Value) -> Value {
    match v {
        Value::Array(pair) if pair.len() == 2 && pair[0].is_i64() => pair[0].clone(),
        other => other.clone(),
    }
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (key(a), key(b)) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(&y),
        (Value::Bool(false), Value::Bool(false)) => Ordering::Equal,
        (Value::Bool(false), _) => Ordering::Less,
        (_, Value::Bool(false)) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// A `pos.config` record.
pub fn pos_config(id: i64, name: &str) -> Map<String, Value> {
    let v = json!({"id": id, "name": name, "active": true});
    v.as_object().cloned().unwrap_or_default()
}

/// A `pos.session` record; dates as Odoo writes them (UTC) or `None` for
/// Odoo's `false`.
pub fn pos_session(
    id: i64,
    config: (i64, &str),
    state: &str,
    start_at: Option<chrono::DateTime<chrono::Utc>>,
    stop_at: Option<chrono::DateTime<chrono::Utc>>,
    rescue: bool,
) -> Map<String, Value> {
    let date = |d: Option<chrono::DateTime<chrono::Utc>>| {
        d.map_or(Value::Bool(false), |d| {
            Value::from(d.format("%Y-%m-%d %H:%M:%S").to_string())
        })
    };
    let v = json!({
        "id": id,
        "name": format!("{}/{:05}", config.1, id),
        "config_id": [config.0, config.1],
        "state": state,
        "start_at": date(start_at),
        "stop_at": date(stop_at),
        "rescue": rescue,
        "user_id": [2, "Vigie"],
    });
    v.as_object().cloned().unwrap_or_default()
}

/// A `res.users` record: internal (`share` false), with its last login
/// (`login_date`, UTC) or `false` for a user who never logged in.
pub fn res_user(
    uid: i64,
    login: &str,
    login_date: Option<chrono::DateTime<chrono::Utc>>,
) -> Map<String, Value> {
    let v = json!({
        "id": uid,
        "login": login,
        "name": login,
        "share": false,
        "active": true,
        "login_date": login_date.map_or(Value::Bool(false), |d| Value::from(d.format("%Y-%m-%d %H:%M:%S").to_string())),
    });
    v.as_object().cloned().unwrap_or_default()
}

/// A `mail.mail` record in `state` (outgoing, sent, exception...) dated `date`.
pub fn mail(id: i64, state: &str, date: chrono::DateTime<chrono::Utc>) -> Map<String, Value> {
    let v = json!({
        "id": id,
        "state": state,
        "date": date.format("%Y-%m-%d %H:%M:%S").to_string(),
        "subject": format!("Message {id}"),
    });
    v.as_object().cloned().unwrap_or_default()
}

/// An `sms.sms` record in `state` created at `at`.
pub fn sms(id: i64, state: &str, at: chrono::DateTime<chrono::Utc>) -> Map<String, Value> {
    let v = json!({
        "id": id,
        "state": state,
        "create_date": at.format("%Y-%m-%d %H:%M:%S").to_string(),
        "number": "+33600000000",
    });
    v.as_object().cloned().unwrap_or_default()
}

/// An `ir.attachment` of `file_size` bytes; `res_field` names the binary
/// field it stores, if any.
pub fn attachment(id: i64, file_size: u64, res_field: Option<&str>) -> Map<String, Value> {
    let v = json!({
        "id": id,
        "name": format!("document-{id}.pdf"),
        "file_size": file_size,
        "res_field": res_field.map_or(Value::Bool(false), Value::from),
    });
    v.as_object().cloned().unwrap_or_default()
}

/// An `ir.cron` record: its action's name (`cron_name`), whether it is
/// active, and its next call (UTC).
pub fn cron(
    id: i64,
    name: &str,
    active: bool,
    nextcall: chrono::DateTime<chrono::Utc>,
) -> Map<String, Value> {
    let v = json!({
        "id": id,
        "cron_name": name,
        "active": active,
        "nextcall": nextcall.format("%Y-%m-%d %H:%M:%S").to_string(),
        "interval_number": 1,
        "interval_type": "hours",
    });
    v.as_object().cloned().unwrap_or_default()
}

/// A `queue.job` record (OCA `queue_job`) in `state` (pending, enqueued,
/// started, done, failed...).
pub fn queue_job(id: i64, state: &str) -> Map<String, Value> {
    let v = json!({
        "id": id,
        "name": format!("job {id}"),
        "state": state,
        "exc_info": if state == "failed" { Value::from("Traceback ...") } else { Value::Bool(false) },
    });
    v.as_object().cloned().unwrap_or_default()
}

/// An `ir.module.module` record: `state` is `installed`, `to upgrade`,
/// `to install`, `to remove` or `uninstalled`; `latest_version` is the
/// installed version (`17.0.1.3`).
pub fn module(id: i64, name: &str, state: &str, latest_version: &str) -> Map<String, Value> {
    let v = json!({
        "id": id,
        "name": name,
        "state": state,
        "latest_version": latest_version,
    });
    v.as_object().cloned().unwrap_or_default()
}
