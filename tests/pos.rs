//! The POS capability against real endpoints on loopback: TCP listeners as
//! tills, an HTTP IoT box and router status pages, and the project's Odoo
//! stand-in (Odoo's documented JSON-RPC API) read by the real client.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use chrono::{TimeDelta, Utc};
use serde_json::json;
use vigie::demo::odoo::{self, OdooDb, User};
use vigie::engine::pos::{PosMonitor, run_once};
use vigie::model::Status;
use vigie::model::pos::{OdooProblem, SessionState, UplinkRole};
use vigie::sources::Sources;
use vigie::sources::odoo::{Json2, JsonRpc, OdooApi, OdooError, read_sessions};

/// Equipment of a store: `/hw_proxy/hello`, router pages in several
/// shapes, and a till answering over HTTP.
async fn equipment() -> SocketAddr {
    let app = Router::new()
        .route("/hw_proxy/hello", get(|| async { "ping" }))
        .route(
            "/router/lte.json",
            get(|| async { r#"{"wan": {"active": "lte", "signal": -71}}"# }),
        )
        .route(
            "/router/wan.json",
            get(|| async { r#"{"wan": {"active": "wan"}}"# }),
        )
        .route(
            "/router/changed.json",
            get(|| async { r#"{"interfaces": []}"# }),
        )
        .route(
            "/router/status.html",
            get(|| async { "<td>Active: LTE backup</td>" }),
        )
        .route("/ip", get(|| async { "203.0.113.9\n" }))
        .route("/till/status", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

/// A TCP listener that accepts (a till's print/API port).
async fn till() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            drop(socket);
        }
    });
    addr
}

/// A port nobody listens on.
async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr
}

fn db(with_pos: bool) -> odoo::Shared {
    let now = Utc::now();
    let mut models = std::collections::BTreeMap::new();
    models.insert(
        "res.partner".to_string(),
        vec![
            json!({"id": 1, "name": "Coop"})
                .as_object()
                .unwrap()
                .clone(),
        ],
    );
    if with_pos {
        models.insert(
            "pos.config".into(),
            vec![
                odoo::pos_config(1, "Caisse 1"),
                odoo::pos_config(2, "Caisse 2"),
                odoo::pos_config(3, "Autre magasin"),
            ],
        );
        models.insert(
            "pos.session".into(),
            vec![
                odoo::pos_session(
                    10,
                    (1, "Caisse 1"),
                    "closed",
                    Some(now - TimeDelta::days(5)),
                    Some(now - TimeDelta::days(5)),
                    false,
                ),
                odoo::pos_session(
                    11,
                    (1, "Caisse 1"),
                    "opened",
                    Some(now - TimeDelta::hours(30)),
                    None,
                    false,
                ),
                odoo::pos_session(
                    12,
                    (2, "Caisse 2"),
                    "closing_control",
                    Some(now - TimeDelta::hours(2)),
                    None,
                    false,
                ),
                odoo::pos_session(
                    13,
                    (3, "Autre magasin"),
                    "opened",
                    Some(now - TimeDelta::hours(1)),
                    None,
                    false,
                ),
                odoo::pos_session(14, (2, "Caisse 2"), "opened", None, None, true),
            ],
        );
    }
    Arc::new(Mutex::new(OdooDb {
        name: "coop".into(),
        users: vec![User {
            login: "vigie".into(),
            key: "s3cret-key".into(),
            uid: 7,
        }],
        models,
        unhealthy: false,
        jsonrpc_removed: false,
    }))
}

fn client(addr: SocketAddr, key: &str) -> JsonRpc {
    let http = Sources::new().unwrap().http_client();
    JsonRpc::new(
        http,
        &format!("http://{addr}"),
        "coop",
        "vigie",
        key.into(),
        Duration::from_secs(3),
    )
}

/// The same Odoo through each transport: `/jsonrpc` and Odoo 19's JSON-2.
fn transports(addr: SocketAddr, key: &str) -> Vec<(&'static str, Box<dyn OdooApi>)> {
    let http = Sources::new().unwrap().http_client();
    vec![
        ("jsonrpc", Box::new(client(addr, key))),
        (
            "json2",
            Box::new(Json2::new(
                http,
                &format!("http://{addr}"),
                "coop",
                key.into(),
                Duration::from_secs(3),
            )),
        ),
    ]
}

#[tokio::test]
async fn the_client_logs_in_and_reads_sessions_of_the_store_configs_only() {
    let addr = odoo::serve(db(true)).await.unwrap();
    for (transport, api) in transports(addr, "s3cret-key") {
        let configs = vec!["Caisse 1".to_string(), "Caisse 2".to_string()];
        let mut got = read_sessions(api.as_ref(), &configs, Utc::now(), TimeDelta::hours(36))
            .await
            .unwrap();
        got.sort_by_key(|s| s.id);
        let summary: Vec<(i64, &str, SessionState, bool, bool)> = got
            .iter()
            .map(|s| {
                (
                    s.id,
                    s.config.as_str(),
                    s.state.clone(),
                    s.start_at.is_some(),
                    s.rescue,
                )
            })
            .collect();
        // 10 is closed and old; 13 belongs to another store.
        assert_eq!(
            summary,
            vec![
                (11, "Caisse 1", SessionState::Opened, true, false),
                (12, "Caisse 2", SessionState::ClosingControl, true, false),
                (14, "Caisse 2", SessionState::Opened, false, true),
            ],
            "{transport}"
        );
    }
}

#[tokio::test]
async fn execute_kw_is_generic_and_honours_domain_fields_and_limit() {
    let addr = odoo::serve(db(true)).await.unwrap();
    for (transport, api) in transports(addr, "s3cret-key") {
        let mut extra = serde_json::Map::new();
        extra.insert("limit".into(), json!(1));
        extra.insert("order".into(), json!("id desc"));
        let rows = api
            .search_read(
                "pos.config",
                json!(["|", ["name", "=", "Caisse 1"], ["name", "ilike", "autre"]]),
                &["name"],
                extra,
            )
            .await
            .unwrap();
        assert_eq!(
            rows,
            json!([{"id": 3, "name": "Autre magasin"}]),
            "{transport}"
        );
        let count = api
            .execute_kw(
                "pos.session",
                "search_count",
                json!([[["state", "!=", "closed"]]]),
                json!({}),
            )
            .await
            .unwrap();
        assert_eq!(count, json!(4), "{transport}");
        let partners = api
            .search_read("res.partner", json!([]), &["name"], Default::default())
            .await
            .unwrap();
        assert_eq!(partners, json!([{"id": 1, "name": "Coop"}]), "{transport}");
    }
}

#[tokio::test]
async fn odoo_faults_are_typed_errors() {
    let with_pos = odoo::serve(db(true)).await.unwrap();
    let without_pos = odoo::serve(db(false)).await.unwrap();
    let nobody = closed_port().await;
    let configs: Vec<String> = Vec::new();
    let now = Utc::now();
    let apis = |addr, key| transports(addr, key).into_iter();
    for (transport, api) in apis(with_pos, "wrong") {
        let wrong = read_sessions(api.as_ref(), &configs, now, TimeDelta::hours(1)).await;
        assert_eq!(wrong, Err(OdooError::AccessDenied), "{transport}");
    }
    for (transport, api) in apis(without_pos, "s3cret-key") {
        let missing = read_sessions(api.as_ref(), &configs, now, TimeDelta::hours(1)).await;
        assert_eq!(
            missing,
            Err(OdooError::MissingModel("pos.session".into())),
            "{transport}"
        );
        assert_eq!(missing.unwrap_err().problem(), OdooProblem::PosNotInstalled);
    }
    for (transport, api) in apis(nobody, "s3cret-key") {
        let down = read_sessions(api.as_ref(), &configs, now, TimeDelta::hours(1)).await;
        assert!(
            matches!(down, Err(OdooError::Unreachable(_))),
            "{transport}: {down:?}"
        );
    }
    // An unknown method is a fault of its own, named: Odoo's exception
    // through /jsonrpc, a 404 through JSON-2.
    let mut names = Vec::new();
    for (transport, api) in apis(with_pos, "s3cret-key") {
        let odd = api
            .execute_kw("pos.session", "unlink_all", json!([]), json!({}))
            .await;
        match odd {
            Err(OdooError::Fault { name, message }) => {
                assert!(message.contains("unlink_all"), "{transport}: {message}");
                names.push(name);
            }
            other => panic!("{transport}: {other:?}"),
        }
    }
    assert_eq!(
        names,
        ["builtins.AttributeError", "werkzeug.exceptions.NotFound"]
    );
}

/// JSON-2 as Odoo 19 answers it, seen from a plain HTTP client: a bearer
/// key, parameters by name, errors as JSON with their HTTP status.
#[tokio::test]
async fn the_stand_in_answers_json2_as_odoo_19_does() {
    let addr = odoo::serve(db(true)).await.unwrap();
    let http = Sources::new().unwrap().http_client();
    let post = |path: &str, key: &str, db: &str, body: serde_json::Value| {
        http.post(format!("http://{addr}{path}"))
            .header("Authorization", format!("bearer {key}"))
            .header("X-Odoo-Database", db)
            .json(&body)
            .send()
    };
    let ok = post(
        "/json/2/pos.config/search_read",
        "s3cret-key",
        "coop",
        json!({"domain": [["name", "=", "Caisse 2"]], "fields": ["name"], "context": {"lang": "fr_FR"}}),
    )
    .await
    .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(
        ok.json::<serde_json::Value>().await.unwrap(),
        json!([{"id": 2, "name": "Caisse 2"}])
    );
    let cases = [
        (
            "/json/2/pos.config/search_read",
            "wrong",
            "coop",
            json!({}),
            401,
            "Invalid apikey",
        ),
        (
            "/json/2/pos.config/search_read",
            "s3cret-key",
            "other",
            json!({}),
            404,
            "database not found",
        ),
        (
            "/json/2/stock.move/search_read",
            "s3cret-key",
            "coop",
            json!({}),
            404,
            "the model 'stock.move' does not exist",
        ),
        (
            "/json/2/pos.config/search_count",
            "s3cret-key",
            "coop",
            json!({"fields": []}),
            422,
            "search_count() got an unexpected keyword argument 'fields'",
        ),
        (
            "/json/2/pos.config/search_read",
            "s3cret-key",
            "coop",
            json!({"ids": [1]}),
            422,
            "cannot call pos.config.search_read with ids",
        ),
        (
            "/json/2/pos.config/search_read",
            "s3cret-key",
            "coop",
            json!([1, 2]),
            400,
            "could not parse the body, expecting a json object",
        ),
    ];
    for (path, key, db, body, status, message) in cases {
        let reply = post(path, key, db, body).await.unwrap();
        assert_eq!(reply.status().as_u16(), status, "{path} {key} {db}");
        let error: serde_json::Value = reply.json().await.unwrap();
        assert_eq!(error["message"], json!(message), "{path}");
        assert!(
            error["name"]
                .as_str()
                .unwrap()
                .starts_with("werkzeug.exceptions.")
        );
        assert!(error["debug"].as_str().unwrap().contains("Traceback"));
    }
}

#[tokio::test]
async fn a_secret_file_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    use vigie::model::pos::SecretSource;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odoo.key");
    std::fs::write(&path, "s3cret-key\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let open = vigie::sources::odoo::secret::read(&SecretSource::File(path.clone()));
    assert!(
        matches!(&open, Err(OdooError::NoSecret(m)) if m.contains("chmod 600")),
        "{open:?}"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        vigie::sources::odoo::secret::read(&SecretSource::File(path)),
        Ok("s3cret-key".into())
    );
}

/// A config with one store whose equipment is on loopback.
fn config(
    odoo: SocketAddr,
    eq: SocketAddr,
    tills: &[String],
    traffic: &str,
    key_file: &str,
) -> vigie::config::Config {
    config_over(odoo, eq, tills, traffic, key_file, "jsonrpc")
}

/// [`config`] with the client's Odoo read over `api`.
fn config_over(
    odoo: SocketAddr,
    eq: SocketAddr,
    tills: &[String],
    traffic: &str,
    key_file: &str,
    api: &str,
) -> vigie::config::Config {
    let tills = tills.join(", ");
    let text = format!(
        r#"
[pos]
alert_after = "0s"

[contracts.c]
intervention = {{ urgent = "2h" }}
hourly_rate = 100.0
monthly_fee = 10.0

[clients.coop]
name = "Coop"
timezone = "Europe/Paris"
contract = "c"
[clients.coop.odoo]
url = "http://{odoo}"
db = "coop"
login = "vigie"
key_file = "{key_file}"
api = "{api}"
[clients.coop.sites.sud]
name = "Magasin Sud"
hours = {{ mon = "00:00-24:00", tue = "00:00-24:00", wed = "00:00-24:00", thu = "00:00-24:00", fri = "00:00-24:00", sat = "00:00-24:00", sun = "00:00-24:00" }}
[clients.coop.sites.sud.pos]
configs = ["Caisse 1", "Caisse 2"]
tills = [{tills}]
iot = "http://{eq}"
main = {{ address = "127.0.0.1", port = {main} }}
backup = {{ url = "http://{eq}/router/wan.json" }}
traffic = {traffic}
"#,
        main = eq.port(),
    );
    vigie::config::parse(&text, std::path::Path::new("<test>")).unwrap()
}

fn key_file(dir: &tempfile::TempDir, key: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.path().join("key");
    std::fs::write(&path, key).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path.display().to_string()
}

/// `api = "json2"`: the engine reads the sessions over JSON-2, from an
/// Odoo whose `/jsonrpc` is gone.
#[tokio::test]
async fn a_client_on_json2_is_read_without_jsonrpc() {
    let db = db(true);
    if let Ok(mut d) = db.lock() {
        d.jsonrpc_removed = true;
    }
    let odoo_addr = odoo::serve(db).await.unwrap();
    let eq = equipment().await;
    let tills = vec![format!(
        r#"{{ name = "Caisse 1", address = "127.0.0.1", port = {} }}"#,
        till().await.port()
    )];
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(&dir, "s3cret-key");
    let traffic = format!(
        r#"{{ url = "http://{eq}/router/wan.json", pointer = "/wan/active", main = "wan", backup = "lte" }}"#
    );
    for (api, read) in [("jsonrpc", false), ("json2", true)] {
        let cfg = config_over(odoo_addr, eq, &tills, &traffic, &key, api);
        let views = run_once(&cfg.fleet, &Sources::new().unwrap()).await;
        let v = &views[0];
        let keys: Vec<&str> = v.alerts.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys.contains(&"session-rescue:14"), read, "{api}: {keys:?}");
        assert_eq!(
            matches!(v.sessions, Some(Ok(_))),
            read,
            "{api}: {:?}",
            v.sessions
        );
    }
}

#[tokio::test]
async fn a_store_is_judged_from_real_tills_iot_router_and_odoo() {
    let odoo_addr = odoo::serve(db(true)).await.unwrap();
    let eq = equipment().await;
    let (t1, t3) = (till().await, closed_port().await);
    let tills = vec![
        format!(
            r#"{{ name = "Caisse 1", address = "127.0.0.1", port = {} }}"#,
            t1.port()
        ),
        format!(
            r#"{{ name = "Caisse 2", address = "127.0.0.1:{}", path = "/till/status" }}"#,
            eq.port()
        ),
        format!(
            r#"{{ name = "Caisse 3", address = "127.0.0.1", port = {} }}"#,
            t3.port()
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let key = key_file(&dir, "s3cret-key");
    let traffic = format!(
        r#"{{ url = "http://{eq}/router/lte.json", pointer = "/wan/active", main = "wan", backup = "lte" }}"#
    );
    let cfg = config(odoo_addr, eq, &tills, &traffic, &key);
    let views = run_once(&cfg.fleet, &Sources::new().unwrap()).await;
    assert_eq!(views.len(), 1);
    let v = &views[0];
    let tills: Vec<(&str, Status)> = v
        .tills
        .iter()
        .map(|(n, r)| (n.as_str(), r.status))
        .collect();
    assert_eq!(
        tills,
        vec![
            ("Caisse 1", Status::Up),
            ("Caisse 2", Status::Up),
            ("Caisse 3", Status::Down)
        ]
    );
    assert_eq!(v.iot.as_ref().map(|r| r.status), Some(Status::Up));
    assert_eq!(
        v.uplinks
            .iter()
            .map(|(r, x)| (*r, x.status))
            .collect::<Vec<_>>(),
        vec![
            (UplinkRole::Main, Status::Up),
            (UplinkRole::Backup, Status::Up)
        ]
    );
    assert_eq!(v.active, Some(Ok(UplinkRole::Backup)));
    let keys: Vec<&str> = v.alerts.iter().map(|a| a.key.as_str()).collect();
    assert!(keys.contains(&"till-down:Caisse 3"), "{keys:?}");
    assert!(keys.contains(&"on-backup"), "{keys:?}");
    assert!(keys.contains(&"session-rescue:14"), "{keys:?}");
    // Open all day: the session opened 30 h ago spans a closing at midnight.
    assert!(keys.contains(&"session-left-open:11"), "{keys:?}");
}

#[tokio::test]
async fn bad_input_becomes_a_clear_state() {
    let eq = equipment().await;
    let t1 = till().await;
    let tills = vec![format!(
        r#"{{ name = "Caisse 1", address = "127.0.0.1", port = {} }}"#,
        t1.port()
    )];
    let dir = tempfile::tempdir().unwrap();
    let sources = Sources::new().unwrap();
    let changed = format!(
        r#"{{ url = "http://{eq}/router/changed.json", pointer = "/wan/active", main = "wan", backup = "lte" }}"#
    );
    let keyword =
        format!(r#"{{ url = "http://{eq}/router/status.html", main = "Fibre", backup = "LTE" }}"#);
    let public = format!(
        r#"{{ public_address = "http://{eq}/ip", main = "198.51.100.1", backup = "203.0.113.9" }}"#
    );
    type Case = (
        &'static str,
        odoo::Shared,
        &'static str,
        String,
        Option<OdooProblem>,
        Result<UplinkRole, &'static str>,
    );
    let cases: Vec<Case> = vec![
        (
            "wrong key, router page changed",
            db(true),
            "bad-key",
            changed,
            Some(OdooProblem::WrongCredentials),
            Err("router page has no /wan/active"),
        ),
        (
            "POS not installed, keyword page",
            db(false),
            "s3cret-key",
            keyword,
            Some(OdooProblem::PosNotInstalled),
            Ok(UplinkRole::Backup),
        ),
        (
            "public address check",
            db(true),
            "s3cret-key",
            public,
            None,
            Ok(UplinkRole::Backup),
        ),
    ];
    for (name, database, key, traffic, problem, active) in cases {
        let odoo_addr = odoo::serve(database).await.unwrap();
        let cfg = config(odoo_addr, eq, &tills, &traffic, &key_file(&dir, key));
        let v = &run_once(&cfg.fleet, &sources).await[0];
        let got_problem = v.sessions.as_ref().and_then(|s| s.as_ref().err().cloned());
        assert_eq!(got_problem, problem, "{name}");
        assert_eq!(
            v.active.clone(),
            Some(active.map_err(String::from)),
            "{name}"
        );
        if problem.is_some() {
            assert!(
                v.alerts.iter().any(|a| a.key == "odoo"),
                "{name}: {:?}",
                v.alerts
            );
            assert!(v.status >= Status::Degraded, "{name}");
        }
    }
    // Odoo unreachable.
    let nobody = closed_port().await;
    let traffic = format!(
        r#"{{ url = "http://{eq}/router/wan.json", pointer = "/wan/active", main = "wan", backup = "lte" }}"#
    );
    let cfg = config(nobody, eq, &tills, &traffic, &key_file(&dir, "k"));
    let v = &run_once(&cfg.fleet, &sources).await[0];
    assert!(
        matches!(&v.sessions, Some(Err(OdooProblem::Unreachable(_)))),
        "{:?}",
        v.sessions
    );
    assert_eq!(v.active, Some(Ok(UplinkRole::Main)));
}

#[tokio::test]
async fn the_monitor_sends_a_view_per_store_on_its_interval() {
    let odoo_addr = odoo::serve(db(true)).await.unwrap();
    let eq = equipment().await;
    let t1 = till().await;
    let tills = vec![format!(
        r#"{{ name = "Caisse 1", address = "127.0.0.1", port = {} }}"#,
        t1.port()
    )];
    let dir = tempfile::tempdir().unwrap();
    let traffic = format!(
        r#"{{ url = "http://{eq}/router/wan.json", pointer = "/wan/active", main = "wan", backup = "lte" }}"#
    );
    let mut cfg = config(
        odoo_addr,
        eq,
        &tills,
        &traffic,
        &key_file(&dir, "s3cret-key"),
    );
    for s in cfg.fleet.clients[0].sites.iter_mut() {
        if let Some(p) = s.pos.as_mut() {
            p.settings.interval = Duration::from_millis(200);
        }
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let monitor = PosMonitor::start(&cfg.fleet, &Sources::new().unwrap(), tx);
    assert_eq!(monitor.stores, 1);
    let first = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let second = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.name, "Magasin Sud");
    assert!(second.at > first.at);
    assert_eq!(second.active, Some(Ok(UplinkRole::Main)));
    assert!(
        second
            .timeline
            .segments
            .last()
            .is_some_and(|s| s.to == second.at)
    );
    assert!(matches!(&second.sessions, Some(Ok(s)) if s.len() == 3));
    assert_eq!(
        second.odoo_health.as_ref().map(|r| r.status),
        Some(Status::Up)
    );
}

#[tokio::test]
async fn a_failing_odoo_health_is_an_alert_even_with_sessions_read() {
    let database = db(true);
    if let Ok(mut d) = database.lock() {
        d.unhealthy = true;
    }
    let odoo_addr = odoo::serve(database).await.unwrap();
    let eq = equipment().await;
    let t1 = till().await;
    let tills = vec![format!(
        r#"{{ name = "Caisse 1", address = "127.0.0.1", port = {} }}"#,
        t1.port()
    )];
    let dir = tempfile::tempdir().unwrap();
    let traffic = format!(
        r#"{{ url = "http://{eq}/router/wan.json", pointer = "/wan/active", main = "wan", backup = "lte" }}"#
    );
    let cfg = config(
        odoo_addr,
        eq,
        &tills,
        &traffic,
        &key_file(&dir, "s3cret-key"),
    );
    let v = &run_once(&cfg.fleet, &Sources::new().unwrap()).await[0];
    assert_eq!(v.odoo_health.as_ref().map(|r| r.status), Some(Status::Down));
    assert!(matches!(&v.sessions, Some(Ok(_))));
    assert!(
        v.alerts.iter().any(|a| a.key == "odoo-health"),
        "{:?}",
        v.alerts
    );
}

/// `vigie pos` on a store open since a few minutes (its opening period):
/// a till down there is critical and the exit code says so.
#[tokio::test]
async fn vigie_pos_exits_1_when_a_store_is_critical() {
    use chrono::Timelike;
    let eq = equipment().await;
    let (up, down) = (till().await, closed_port().await);
    let now = Utc::now();
    let minute = i64::from(now.hour() * 60 + now.minute());
    let (open, close) = ((minute - 10).max(0), (minute + 120).min(1440));
    let hhmm = |m: i64| format!("{:02}:{:02}", m / 60, m % 60);
    let hours: Vec<String> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| format!("{d} = \"{}-{}\"", hhmm(open), hhmm(close)))
        .collect();
    let config = |till: SocketAddr| {
        format!(
            "[contracts.c]\nintervention = {{ urgent = \"2h\" }}\nhourly_rate = 1.0\nmonthly_fee = 1.0\n\
             [clients.coop]\nname = \"Coop\"\ntimezone = \"UTC\"\ncontract = \"c\"\n\
             [clients.coop.sites.sud]\nname = \"Sud\"\nhours = {{ {} }}\n\
             [clients.coop.sites.sud.pos]\ntills = [{{ name = \"Caisse 1\", address = \"127.0.0.1\", port = {} }}]\n\
             iot = \"http://{eq}\"\n",
            hours.join(", "),
            till.port()
        )
    };
    let dir = tempfile::tempdir().unwrap();
    for (till, code, status) in [(up, 0, "ok"), (down, 1, "critical")] {
        let path = dir.path().join("config.toml");
        std::fs::write(&path, config(till)).unwrap();
        let run = |format: &'static str| {
            let (path, home) = (path.clone(), dir.path().to_path_buf());
            tokio::task::spawn_blocking(move || {
                std::process::Command::new(env!("CARGO_BIN_EXE_vigie"))
                    .args([
                        "--config",
                        path.to_str().unwrap_or(""),
                        "pos",
                        "--format",
                        format,
                    ])
                    .env("HOME", &home)
                    .env("XDG_STATE_HOME", &home)
                    .output()
                    .unwrap()
            })
        };
        let out = run("json").await.unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["stores"][0]["status"], status, "{json}");
        assert_eq!(json["stores"][0]["period"], "opening", "{json}");
        let md = run("md").await.unwrap();
        let text = String::from_utf8_lossy(&md.stdout);
        assert!(text.contains(&format!("Sud (coop): {status}")), "{text}");
        assert_eq!(md.status.code(), Some(code));
    }
}

/// A store with one till on a port nobody listens on, open all day, no
/// Odoo; probed every 200 ms.
fn failing_store(down: SocketAddr, alert_after: Duration) -> vigie::config::Config {
    let text = format!(
        "[contracts.c]\nintervention = {{ urgent = \"2h\" }}\nhourly_rate = 1.0\nmonthly_fee = 1.0\n\
         [clients.coop]\nname = \"Coop\"\ntimezone = \"Europe/Paris\"\ncontract = \"c\"\n\
         [clients.coop.sites.sud]\nname = \"Sud\"\n\
         hours = {{ mon = \"00:00-24:00\", tue = \"00:00-24:00\", wed = \"00:00-24:00\", thu = \"00:00-24:00\", fri = \"00:00-24:00\", sat = \"00:00-24:00\", sun = \"00:00-24:00\" }}\n\
         [clients.coop.sites.sud.pos]\ntills = [{{ name = \"Caisse 1\", address = \"127.0.0.1\", port = {} }}]\n",
        down.port()
    );
    let mut cfg = vigie::config::parse(&text, std::path::Path::new("<test>")).unwrap();
    for s in cfg.fleet.clients[0].sites.iter_mut() {
        if let Some(p) = s.pos.as_mut() {
            p.settings.interval = Duration::from_millis(200);
            p.settings.timeout = Duration::from_millis(500);
            p.settings.alert_after = alert_after;
        }
    }
    cfg
}

/// Runs a monitor keeping its rounds in the store at `db` (resumed from
/// what the store holds) until `done` accepts a view; returns that view.
async fn monitor_until(
    cfg: &vigie::config::Config,
    db: &std::path::Path,
    done: impl Fn(&vigie::model::pos::StoreView) -> bool,
) -> vigie::model::pos::StoreView {
    use vigie::engine::pos::{PosOptions, resume_from};
    let writer = vigie::store::Writer::spawn(db).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let options = PosOptions {
        writer: Some(writer.handle()),
        resume: resume_from(db),
    };
    let monitor = PosMonitor::start_with(&cfg.fleet, &Sources::new().unwrap(), tx, options);
    let view = loop {
        let v = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("a view within 20 s")
            .expect("the monitor runs");
        if done(&v) {
            break v;
        }
    };
    drop(monitor);
    writer.flush().unwrap();
    view
}

/// The alert raised before a restart is shown at once after it, with the
/// time its condition began, although the restarted monitor would need
/// an hour to raise it afresh; today's timeline is kept too. Against a real
/// store file, written by the monitor's own rounds.
#[tokio::test(flavor = "multi_thread")]
async fn a_raised_alert_and_the_timeline_survive_a_restart() {
    let down = closed_port().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigie.db");
    let raised =
        |v: &vigie::model::pos::StoreView| v.alerts.iter().any(|a| a.key == "till-down:Caisse 1");
    let before = monitor_until(
        &failing_store(down, Duration::from_millis(500)),
        &db,
        raised,
    )
    .await;
    let since = before.alerts[0].since;
    let first_segment = before.timeline.segments[0];

    let after = monitor_until(&failing_store(down, Duration::from_secs(3600)), &db, |_| {
        true
    })
    .await;
    assert!(after.at > before.at);
    let alert = after
        .alerts
        .iter()
        .find(|a| a.key == "till-down:Caisse 1")
        .expect("the raised alert is shown on the first round after the restart");
    assert_eq!(alert.since, since, "the condition began before the restart");
    assert_eq!(alert.occurrences, 1, "the same alert, not a new one");
    assert_ne!(after.status, Status::Up);
    let first = after.timeline.segments[0];
    assert_eq!(
        (first.from.timestamp_millis(), first.status),
        (first_segment.from.timestamp_millis(), first_segment.status),
        "today's timeline starts where the first run began it"
    );
}

/// A condition that had not lasted the minimum before a restart keeps
/// counting from when it began: the alert raised after the restart dates
/// from the first run's first round.
#[tokio::test(flavor = "multi_thread")]
async fn the_minimum_duration_counts_across_a_restart() {
    let down = closed_port().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigie.db");
    let cfg = failing_store(down, Duration::from_secs(3));
    let first = monitor_until(&cfg, &db, |_| true).await;
    assert!(
        first.alerts.is_empty(),
        "not lasted 3 s yet: {:?}",
        first.alerts
    );
    let raised = monitor_until(&cfg, &db, |v| !v.alerts.is_empty()).await;
    assert_eq!(raised.alerts[0].key, "till-down:Caisse 1");
    assert_eq!(
        raised.alerts[0].since, first.at,
        "the condition is dated from before the restart"
    );
}

/// What a follower reads: every store the first time, then only stores
/// written since the last write it saw; a store's older round never
/// replaces a newer one.
#[test]
fn the_store_gives_followers_only_what_is_new() {
    use vigie::model::pos::{AlertTracker, StoreView};
    use vigie::store::pos::PosWrite;
    use vigie::store::{Reader, WriteOp, Writer};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vigie.db");
    let cfg = failing_store(SocketAddr::from(([127, 0, 0, 1], 9)), Duration::ZERO);
    let site = &cfg.fleet.clients[0].sites[0];
    let store = site.pos.as_ref().unwrap();
    let now = Utc::now();
    let view = |at: chrono::DateTime<Utc>, status: Status| {
        let mut v = StoreView::pending("coop", site, store, at);
        v.status = status;
        v
    };
    let writer = Writer::spawn(&db).unwrap();
    let write = |v: &StoreView| {
        let op = PosWrite::new(v, &AlertTracker::default()).unwrap();
        writer.send(WriteOp::Pos(Box::new(op))).unwrap();
        writer.flush().unwrap();
    };
    write(&view(now, Status::Degraded));
    let reader = Reader::open(&db).unwrap();
    let all = reader.pos_stores(None).unwrap();
    let stored = &all[&("coop".to_string(), "sud".to_string())];
    assert_eq!(stored.view.status, Status::Degraded);
    assert_eq!(stored.view.tz, chrono_tz::Europe::Paris);
    assert!(reader.pos_stores(Some(stored.written)).unwrap().is_empty());
    write(&view(now - TimeDelta::seconds(30), Status::Down));
    assert!(
        reader.pos_stores(Some(stored.written)).unwrap().is_empty(),
        "an older round is not kept"
    );
    write(&view(now + TimeDelta::seconds(10), Status::Up));
    let new = reader.pos_stores(Some(stored.written)).unwrap();
    assert_eq!(new.len(), 1);
    assert_eq!(new.values().next().unwrap().view.status, Status::Up);
}

/// An Odoo stand-in that logs anyone in and answers every model call with
/// `answer` (the shapes a proxy, a newer API or a module may give).
async fn odd_odoo(answer: serde_json::Value) -> SocketAddr {
    use axum::Json;
    use axum::routing::post;
    let app = Router::new().route(
        "/jsonrpc",
        post(move |Json(req): Json<serde_json::Value>| {
            let answer = answer.clone();
            async move {
                let result = match req.pointer("/params/service").and_then(|s| s.as_str()) {
                    Some("common") => json!(2),
                    _ => answer,
                };
                Json(json!({"jsonrpc": "2.0", "id": req.get("id"), "result": result}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// A `search_read` answer that is not a list of records is an unreadable
/// answer (never "no session"), and the POS pane says so once.
#[tokio::test]
async fn a_search_read_answer_of_the_wrong_shape_is_an_error_said_once() {
    let now = Utc::now();
    for (answer, shape) in [
        (json!({"records": [], "length": 0}), "answered an object"),
        (json!([1, 2]), "answered a list holding a number"),
        (json!(false), "answered a boolean"),
    ] {
        let addr = odd_odoo(answer.clone()).await;
        let got = read_sessions(&client(addr, "k"), &[], now, TimeDelta::hours(1)).await;
        let Err(err @ OdooError::BadAnswer(_)) = got else {
            panic!("{answer}: {got:?}")
        };
        assert!(err.to_string().contains(shape), "{answer}: {err}");
        let said = err.problem().describe();
        assert_eq!(said.matches("Odoo answer unreadable").count(), 1, "{said}");
        assert!(said.contains("pos.session search_read"), "{said}");
    }
    // A list of records is read.
    let addr = odd_odoo(json!([{"id": 4, "name": "POS/4", "state": "opened"}])).await;
    let got = read_sessions(&client(addr, "k"), &[], now, TimeDelta::hours(1)).await;
    assert_eq!(got.map(|s| s.len()), Ok(1));
}
