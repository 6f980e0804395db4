//! Odoo from the inside (`kind = "odoo"`) against the Odoo stand-in,
//! through both transports: each problem becomes its state and reason.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};
use vigie::demo::odoo::{self, OdooDb, User};
use vigie::model::Status;
use vigie::model::odoo_inside::{InsideLimits, judge};
use vigie::sources::Sources;
use vigie::sources::odoo::inside;
use vigie::sources::odoo::{Json2, JsonRpc, OdooApi, OdooError};

type Models = BTreeMap<String, Vec<Map<String, Value>>>;

/// A change to the healthy database.
type Change = Box<dyn Fn(&mut Models)>;

/// A healthy Odoo 17 at `now`: crons due soon, mail sent, jobs done.
fn healthy(now: DateTime<Utc>) -> Models {
    let mut m = Models::new();
    m.insert(
        "ir.cron".into(),
        vec![
            odoo::cron(
                1,
                "Mail: Email Queue Manager",
                true,
                now + TimeDelta::minutes(1),
            ),
            odoo::cron(
                2,
                "Invoicing: send invoices",
                true,
                now + TimeDelta::hours(3),
            ),
            // Archived: never runs, never late.
            odoo::cron(3, "Old export", false, now - TimeDelta::days(90)),
        ],
    );
    m.insert(
        "mail.mail".into(),
        vec![
            odoo::mail(1, "sent", now - TimeDelta::hours(5)),
            odoo::mail(2, "outgoing", now - TimeDelta::minutes(2)),
        ],
    );
    m.insert(
        "queue.job".into(),
        vec![odoo::queue_job(1, "done"), odoo::queue_job(2, "pending")],
    );
    m.insert(
        "ir.module.module".into(),
        vec![
            odoo::module(1, "base", "installed", "17.0.1.3"),
            odoo::module(2, "point_of_sale", "installed", "17.0.1.0"),
            odoo::module(3, "l10n_fr", "uninstalled", "17.0.2.1"),
        ],
    );
    m
}

async fn serve(models: Models) -> SocketAddr {
    odoo::serve(Arc::new(Mutex::new(OdooDb {
        name: "coop".into(),
        users: vec![User {
            login: "vigie".into(),
            key: "k".into(),
            uid: 7,
        }],
        models,
        unhealthy: false,
        jsonrpc_removed: false,
    })))
    .await
    .unwrap()
}

fn transports(addr: SocketAddr) -> Vec<(&'static str, Box<dyn OdooApi>)> {
    let http = Sources::new().unwrap().http_client();
    let url = format!("http://{addr}");
    let t = Duration::from_secs(3);
    vec![
        (
            "jsonrpc",
            Box::new(JsonRpc::new(
                http.clone(),
                &url,
                "coop",
                "vigie",
                "k".into(),
                t,
            )),
        ),
        (
            "json2",
            Box::new(Json2::new(http, &url, "coop", "k".into(), t)),
        ),
    ]
}

#[tokio::test]
async fn each_inside_problem_becomes_its_state_and_reason() {
    let now = Utc::now();
    let cases: Vec<(&str, Change, Status, String)> = vec![
        (
            "healthy",
            Box::new(|_| {}),
            Status::Up,
            "Odoo 17.0: crons on time, mail flowing".into(),
        ),
        (
            "a cron stopped 3 hours ago",
            Box::new(move |m| {
                m.get_mut("ir.cron").unwrap()[1] = odoo::cron(
                    2,
                    "Invoicing: send invoices",
                    true,
                    now - TimeDelta::minutes(185),
                );
            }),
            Status::Degraded,
            "Odoo 17.0: scheduled action 'Invoicing: send invoices' 3h 5m late".into(),
        ),
        (
            "cron workers dead for two days",
            Box::new(move |m| {
                let crons = m.get_mut("ir.cron").unwrap();
                crons[0] = odoo::cron(
                    1,
                    "Mail: Email Queue Manager",
                    true,
                    now - TimeDelta::hours(49),
                );
                crons[1] = odoo::cron(
                    2,
                    "Invoicing: send invoices",
                    true,
                    now - TimeDelta::hours(30),
                );
            }),
            Status::Down,
            "Odoo 17.0: scheduled action 'Mail: Email Queue Manager' 2d 1h late (and 1 more)"
                .into(),
        ),
        (
            "mails in exception",
            Box::new(move |m| {
                let mails = m.get_mut("mail.mail").unwrap();
                mails.push(odoo::mail(3, "exception", now - TimeDelta::hours(1)));
                mails.push(odoo::mail(4, "exception", now - TimeDelta::hours(2)));
            }),
            Status::Degraded,
            "Odoo 17.0: 2 mail(s) in exception".into(),
        ),
        (
            "a mail queued for long",
            Box::new(move |m| {
                m.get_mut("mail.mail").unwrap().push(odoo::mail(
                    5,
                    "outgoing",
                    now - TimeDelta::minutes(150),
                ));
            }),
            Status::Degraded,
            "Odoo 17.0: mail queued for 2h 30m".into(),
        ),
        (
            "failed queue jobs",
            Box::new(|m| {
                m.get_mut("queue.job")
                    .unwrap()
                    .push(odoo::queue_job(3, "failed"));
            }),
            Status::Degraded,
            "Odoo 17.0: 1 failed queue job(s)".into(),
        ),
        (
            "no queue_job installed",
            Box::new(|m| {
                m.remove("queue.job");
            }),
            Status::Up,
            "Odoo 17.0: crons on time, mail flowing".into(),
        ),
        (
            "modules waiting for an upgrade",
            Box::new(|m| {
                let mods = m.get_mut("ir.module.module").unwrap();
                mods[1] = odoo::module(2, "point_of_sale", "to upgrade", "17.0.1.0");
                mods[2] = odoo::module(3, "l10n_fr", "to install", "17.0.2.1");
            }),
            Status::Degraded,
            "Odoo 17.0: modules waiting for an upgrade: l10n_fr, point_of_sale".into(),
        ),
    ];
    for (what, change, status, reason) in cases {
        let mut models = healthy(now);
        change(&mut models);
        let addr = serve(models).await;
        for (transport, api) in transports(addr) {
            let seen = inside::read(api.as_ref(), now).await.unwrap();
            assert_eq!(
                judge(&seen, now, &InsideLimits::default()),
                (status, reason.clone()),
                "{what} over {transport}: {seen:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_missing_model_or_a_wrong_key_is_an_error_not_a_healthy_odoo() {
    let now = Utc::now();
    let mut models = healthy(now);
    models.remove("ir.cron");
    let addr = serve(models).await;
    for (transport, api) in transports(addr) {
        assert_eq!(
            inside::read(api.as_ref(), now).await,
            Err(OdooError::MissingModel("ir.cron".into())),
            "{transport}"
        );
    }
    let addr = serve(healthy(now)).await;
    let http = Sources::new().unwrap().http_client();
    let wrong = Json2::new(
        http,
        &format!("http://{addr}"),
        "coop",
        "nope".into(),
        Duration::from_secs(3),
    );
    assert_eq!(
        inside::read(&wrong, now).await,
        Err(OdooError::AccessDenied)
    );
}

/// `kind = "odoo"` from the configuration to the probe: the check reads
/// the Odoo of the client it names, over that client's transport.
#[tokio::test]
async fn an_odoo_check_in_the_config_reads_its_clients_odoo() {
    use std::os::unix::fs::PermissionsExt;
    let now = Utc::now();
    let mut models = healthy(now);
    models.get_mut("ir.cron").unwrap()[1] = odoo::cron(
        2,
        "Invoicing: send invoices",
        true,
        now - TimeDelta::hours(2),
    );
    let addr = serve(models).await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("odoo.key");
    std::fs::write(&key, "k\n").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    for api in ["jsonrpc", "json2"] {
        let text = format!(
            r#"
[contracts.basic]
intervention = {{ urgent = "2h" }}
hourly_rate = 120
monthly_fee = 100

[clients.coop]
name = "Coop"
timezone = "Europe/Paris"
contract = "basic"
[clients.coop.environments.prod]
hosts = ["erp"]
[clients.coop.odoo]
url = "http://{addr}"
db = "coop"
login = "vigie"
key_file = "{key}"
api = "{api}"

[hosts.erp]
address = "127.0.0.1"
[[hosts.erp.checks]]
name = "inside"
kind = "odoo"
clients = ["coop"]
"#,
            key = key.display()
        );
        let cfg = vigie::config::parse(&text, std::path::Path::new("<test>")).unwrap();
        let check = &cfg.fleet.host("erp").unwrap().checks[0];
        assert_eq!(check.kind.label(), "odoo");
        assert_eq!(check.kind.target(), format!("http://{addr} (coop)"));
        let probe = Sources::new()
            .unwrap()
            .probe(&check.kind, Duration::from_secs(5))
            .await;
        assert_eq!(probe.status, Status::Degraded, "{api}: {}", probe.message);
        assert_eq!(
            probe.message, "Odoo 17.0: scheduled action 'Invoicing: send invoices' 2h late",
            "{api}"
        );
    }
    // A key Odoo refuses: degraded, saying so.
    std::fs::write(&key, "revoked\n").unwrap();
    let text = format!(
        r#"
[contracts.basic]
intervention = {{ urgent = "2h" }}
hourly_rate = 120
monthly_fee = 100
[clients.coop]
name = "Coop"
timezone = "Europe/Paris"
contract = "basic"
[clients.coop.environments.prod]
hosts = ["erp"]
[clients.coop.odoo]
url = "http://{addr}"
db = "coop"
login = "vigie"
key_file = "{key}"
api = "json2"
[hosts.erp]
address = "127.0.0.1"
[[hosts.erp.checks]]
name = "inside"
kind = "odoo"
clients = ["coop"]
"#,
        key = key.display()
    );
    let cfg = vigie::config::parse(&text, std::path::Path::new("<test>")).unwrap();
    let check = &cfg.fleet.host("erp").unwrap().checks[0];
    let probe = Sources::new()
        .unwrap()
        .probe(&check.kind, Duration::from_secs(5))
        .await;
    assert_eq!(
        (probe.status, probe.message.as_str()),
        (Status::Degraded, "Odoo refused the login or the key")
    );
}
