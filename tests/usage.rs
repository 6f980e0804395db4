//! Usage metering with real parts: the Odoo stand-in (Odoo's documented
//! JSON-RPC API) over HTTP on loopback read by the real client, a command
//! over a real sshd, a real Prometheus, the sampler writing into a real
//! store and the yearly report read back, and the binary's `vigie usage`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use serde_json::{Map, Value};
use support::sshd::{KeyPair, Sshd, SshdConfig, free_port, options};
use vigie::demo::odoo::{self, OdooDb, User};
use vigie::model::money::{Decimal, format_cents};
use vigie::model::ssh::SshTarget;
use vigie::model::usage::{
    ClientUsage, DayFigure, DaySample, Meter, MeterSource, Reading, ReadingKind, UsagePrices,
    UserCount, day_span, yearly_report,
};
use vigie::sources::odoo::{JsonRpc, OdooApi};
use vigie::sources::usage::{UsageContext, read};
use vigie::store::usage::UsageSample;
use vigie::store::{Reader, SCHEMA_VERSION, WriteOp, Writer, migrations};

const KEY: &str = "usage-test-key";

fn paris(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Paris
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// An Odoo with users who logged in on various days, mails and SMS in
/// several states, and attachments (two of them binary fields).
fn odoo_db() -> OdooDb {
    let mut models: BTreeMap<String, Vec<Map<String, Value>>> = BTreeMap::new();
    let mut users = vec![
        // Vigie's own login moves its login_date: never counted.
        odoo::res_user(2, "vigie", Some(paris(2026, 3, 10, 9))),
        odoo::res_user(3, "ana", Some(paris(2026, 3, 10, 8))),
        odoo::res_user(4, "bea", Some(paris(2026, 3, 10, 23))),
        // 00:30 local on the 10th is still the 9th in UTC: counted on the 10th.
        odoo::res_user(
            5,
            "cyd",
            Some(paris(2026, 3, 10, 0) + TimeDelta::minutes(30)),
        ),
        odoo::res_user(6, "dan", Some(paris(2026, 3, 9, 12))),
        odoo::res_user(7, "eve", None),
    ];
    // A portal user (share) does not count.
    let mut portal = odoo::res_user(8, "client", Some(paris(2026, 3, 10, 10)));
    portal.insert("share".into(), Value::Bool(true));
    users.push(portal);
    // An archived user who logged in that day still counts.
    let mut archived = odoo::res_user(9, "gone", Some(paris(2026, 3, 10, 11)));
    archived.insert("active".into(), Value::Bool(false));
    users.push(archived);
    models.insert("res.users".into(), users);
    let mut mails = Vec::new();
    let mut sms = Vec::new();
    let mut id = 100;
    for (h, state) in [
        (9, "sent"),
        (10, "sent"),
        (23, "sent"),
        (11, "exception"),
        (12, "outgoing"),
    ] {
        id += 1;
        mails.push(odoo::mail(id, state, paris(2026, 3, 10, h)));
        sms.push(odoo::sms(
            id,
            if state == "sent" { "pending" } else { "error" },
            paris(2026, 3, 10, h),
        ));
    }
    id += 1;
    mails.push(odoo::mail(id, "sent", paris(2026, 3, 11, 1)));
    models.insert("mail.mail".into(), mails);
    models.insert("sms.sms".into(), sms);
    models.insert(
        "ir.attachment".into(),
        vec![
            odoo::attachment(1, 1_000_000, None),
            odoo::attachment(2, 2_500_000, Some("image_1920")),
            odoo::attachment(3, 500, None),
        ],
    );
    OdooDb {
        name: "coop".into(),
        users: vec![User {
            login: "vigie".into(),
            key: KEY.into(),
            uid: 2,
        }],
        models,
        unhealthy: false,
        jsonrpc_removed: false,
    }
}

async fn serve_odoo(db: OdooDb) -> (String, odoo::Shared) {
    let shared = Arc::new(Mutex::new(db));
    let addr = odoo::serve(shared.clone()).await.unwrap();
    (format!("http://{addr}"), shared)
}

fn rpc(url: &str, key: &str) -> JsonRpc {
    JsonRpc::new(
        reqwest::Client::new(),
        url,
        "coop",
        "vigie",
        key.into(),
        Duration::from_secs(5),
    )
}

async fn read_odoo(
    api: &dyn OdooApi,
    meter: Meter,
    on: NaiveDate,
) -> Result<(Reading, Vec<String>), String> {
    let http = reqwest::Client::new();
    let ssh = vigie::sources::ssh::Options::from_env(None);
    let cx = UsageContext {
        http: &http,
        ssh: &ssh,
        timeout: Duration::from_secs(5),
        odoo: Some(Ok(api)),
        odoo_login: "vigie",
    };
    let (from, to) = day_span(on, chrono_tz::Europe::Paris).unwrap();
    read(&cx, meter, &MeterSource::Odoo, from, to)
        .await
        .map(|r| (r.reading, r.users))
}

#[tokio::test]
async fn odoo_meters_count_the_local_day_over_real_json_rpc() {
    let (url, _db) = serve_odoo(odoo_db()).await;
    let api = rpc(&url, KEY);
    let on = day(2026, 3, 10);
    let (users, ids) = read_odoo(&api, Meter::ActiveUsers, on).await.unwrap();
    // ana, bea, cyd and the archived user; not Vigie, not the portal user,
    // not dan (the 9th) nor eve (never).
    assert_eq!(users, Reading::Day(4));
    assert_eq!(ids, vec!["3", "4", "5", "9"]);
    // Three sent that local day (23:00 Paris is 22:00 UTC, still the
    // 10th); the failed, queued and next-day ones do not count.
    assert_eq!(
        read_odoo(&api, Meter::Emails, on).await.unwrap().0,
        Reading::Day(3)
    );
    // Odoo 17's "pending" is a sent SMS awaiting its delivery report.
    assert_eq!(
        read_odoo(&api, Meter::Sms, on).await.unwrap().0,
        Reading::Day(3)
    );
    // Every attachment, binary fields' included, through read_group.
    assert_eq!(
        read_odoo(&api, Meter::Documents, on).await.unwrap().0,
        Reading::Level(3_500_500)
    );
    assert_eq!(
        read_odoo(&api, Meter::Emails, day(2026, 3, 11))
            .await
            .unwrap()
            .0,
        Reading::Day(1)
    );
}

#[tokio::test]
async fn odoo_failures_are_causes_not_zeros() {
    let mut db = odoo_db();
    db.models.remove("sms.sms");
    let (url, shared) = serve_odoo(db).await;
    let on = day(2026, 3, 10);
    let refused = read_odoo(&rpc(&url, "wrong-key"), Meter::Emails, on).await;
    assert_eq!(
        refused,
        Err("Odoo refused the login or the key".to_string())
    );
    let api = rpc(&url, KEY);
    let missing = read_odoo(&api, Meter::Sms, on).await;
    assert_eq!(missing, Err("Odoo has no model sms.sms".to_string()));
    // No attachment at all is a true zero (Odoo's sum of nothing is false).
    shared
        .lock()
        .unwrap()
        .models
        .insert("ir.attachment".into(), Vec::new());
    assert_eq!(
        read_odoo(&api, Meter::Documents, on).await.unwrap().0,
        Reading::Level(0)
    );
    // A server that is gone.
    let closed = format!("http://127.0.0.1:{}", free_port());
    let gone = read_odoo(&rpc(&closed, KEY), Meter::Emails, on).await;
    assert!(
        gone.as_ref()
            .is_err_and(|e| e.starts_with("Odoo unreachable")),
        "{gone:?}"
    );
}

fn sshd_with_key() -> (Sshd, KeyPair, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::new(dir.path(), "id_ed25519", "");
    let sshd = Sshd::start(SshdConfig {
        allow_tcp_forwarding: false,
        authorized: vec![key.public_line.clone()],
    });
    std::fs::write(
        dir.path().join("known_hosts"),
        sshd.known_hosts_line() + "\n",
    )
    .unwrap();
    (sshd, key, dir)
}

async fn read_command(
    target: &SshTarget,
    dir: &Path,
    command: &str,
    reading: ReadingKind,
) -> Result<Reading, String> {
    let http = reqwest::Client::new();
    let ssh = options(dir);
    let cx = UsageContext {
        http: &http,
        ssh: &ssh,
        timeout: Duration::from_secs(10),
        odoo: None,
        odoo_login: "",
    };
    let source = MeterSource::Command {
        host: target.host.clone(),
        target: Some(target.clone()),
        command: command.into(),
        reading,
    };
    let now = Utc::now();
    read(
        &cx,
        Meter::Documents,
        &source,
        now - TimeDelta::days(1),
        now,
    )
    .await
    .map(|r| r.reading)
}

#[tokio::test]
async fn a_command_over_real_ssh_gives_a_number_or_a_cause() {
    let (sshd, key, dir) = sshd_with_key();
    let target = sshd.target("files", Some(&key.private));
    let docs = tempfile::tempdir().unwrap();
    std::fs::write(docs.path().join("a.pdf"), vec![b'x'; 4096]).unwrap();
    let du = format!("du -sb {}", docs.path().display());
    let got = read_command(&target, dir.path(), &du, ReadingKind::Level).await;
    // du counts the directory entry too: at least the file's bytes.
    assert!(
        matches!(got, Ok(Reading::Level(n)) if n >= 4096),
        "{got:?}\n{}",
        sshd.log()
    );
    assert_eq!(
        read_command(&target, dir.path(), "echo 1234", ReadingKind::Total).await,
        Ok(Reading::Total(1234))
    );
    assert_eq!(
        read_command(&target, dir.path(), "echo n/a", ReadingKind::Level).await,
        Err("the command printed 'n/a', expected a number".to_string())
    );
    assert_eq!(
        read_command(
            &target,
            dir.path(),
            "echo nope >&2; exit 3",
            ReadingKind::Level
        )
        .await,
        Err("command exited with status 3: nope".to_string())
    );
    let mut stopped = sshd;
    stopped.kill();
    let down = read_command(&target, dir.path(), "echo 1", ReadingKind::Level).await;
    assert!(down.is_err(), "{down:?}");
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_prometheus_query_reads_now_and_finds_no_past_before_its_data() {
    assert!(
        Path::new("/usr/bin/prometheus").exists(),
        "/usr/bin/prometheus is missing: install the Debian package prometheus (scripts/test does)"
    );
    // A mail server's exporter: a counter of messages sent.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let exporter = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(|| async {
                "# TYPE postfix_sent_total counter\npostfix_sent_total{queue=\"a\"} 4000\npostfix_sent_total{queue=\"b\"} 321\n"
            }),
        );
        let _ = axum::serve(listener, app).await;
    });
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n- job_name: mail\n  static_configs:\n  - targets: ['{exporter}']\n"
        ),
    )
    .unwrap();
    let _prometheus = Killed(
        Command::new("/usr/bin/prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::new();
    let ssh = vigie::sources::ssh::Options::from_env(None);
    let cx = UsageContext {
        http: &http,
        ssh: &ssh,
        timeout: Duration::from_secs(5),
        odoo: None,
        odoo_login: "",
    };
    let source = MeterSource::Prometheus {
        url: format!("http://127.0.0.1:{port}"),
        query: "sum(postfix_sent_total)".into(),
        reading: ReadingKind::Total,
    };
    // Today (not over yet) is read now; wait, bounded, for the first scrape.
    let mut got = Err(String::new());
    for _ in 0..120 {
        let now = Utc::now();
        got = read(
            &cx,
            Meter::Emails,
            &source,
            now - TimeDelta::hours(1),
            now + TimeDelta::hours(1),
        )
        .await
        .map(|r| r.reading);
        if got.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(got, Ok(Reading::Total(4321)));
    // A day over before Prometheus had data: no series, a gap.
    let then = Utc::now() - TimeDelta::days(3);
    let past = read(&cx, Meter::Emails, &source, then - TimeDelta::days(1), then).await;
    assert_eq!(past, Err("the query answered no series".to_string()));
    // Not Prometheus at all.
    let bad = MeterSource::Prometheus {
        url: format!("http://127.0.0.1:{}", free_port()),
        query: "up".into(),
        reading: ReadingKind::Day,
    };
    let now = Utc::now();
    let refused = read(&cx, Meter::Emails, &bad, now, now + TimeDelta::hours(1)).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.starts_with("prometheus unreachable")),
        "{refused:?}"
    );
}

fn sample(
    client: &str,
    meter: Meter,
    on: NaiveDate,
    outcome: Result<Reading, String>,
) -> UsageSample {
    UsageSample {
        client: client.into(),
        meter,
        day: on,
        outcome,
        at: Utc::now(),
        users: Vec::new(),
    }
}

#[test]
fn the_store_never_lets_a_failure_erase_a_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let writer = Writer::spawn(&path).unwrap();
    let d1 = day(2026, 5, 1);
    let d2 = day(2026, 5, 2);
    writer
        .send(WriteOp::Usage(vec![
            sample("c", Meter::Emails, d1, Ok(Reading::Day(7))),
            sample("c", Meter::Emails, d2, Err("timeout".into())),
        ]))
        .unwrap();
    writer
        .send(WriteOp::Usage(vec![
            // A later failure on a day read: ignored.
            sample("c", Meter::Emails, d1, Err("refused".into())),
            // A later success on a failed day: replaces it.
            sample("c", Meter::Emails, d2, Ok(Reading::Day(9))),
        ]))
        .unwrap();
    writer.flush().unwrap();
    let reader = Reader::open(&path).unwrap();
    let usage = reader.usage(2026).unwrap();
    let got: Vec<(NaiveDate, Result<Reading, String>)> = usage["c"].samples[&Meter::Emails]
        .iter()
        .map(|s| (s.day, s.outcome.clone()))
        .collect();
    assert_eq!(
        got,
        vec![(d1, Ok(Reading::Day(7))), (d2, Ok(Reading::Day(9)))]
    );
    let read = reader.usage_read_days(d1).unwrap();
    assert!(read.contains(&("c".to_string(), Meter::Emails, d2)));
}

#[test]
fn a_counter_takes_its_first_difference_from_the_reading_before_the_year() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let writer = Writer::spawn(&path).unwrap();
    writer
        .send(WriteOp::Usage(vec![
            sample("c", Meter::Sms, day(2025, 12, 30), Ok(Reading::Total(50))),
            sample("c", Meter::Sms, day(2025, 12, 31), Ok(Reading::Total(100))),
            sample("c", Meter::Sms, day(2026, 1, 1), Ok(Reading::Total(130))),
        ]))
        .unwrap();
    writer.flush().unwrap();
    let usage = Reader::open(&path).unwrap().usage(2026).unwrap();
    let year = vigie::model::usage::meter_year(
        Meter::Sms,
        &usage["c"].samples[&Meter::Sms],
        2026,
        day(2026, 1, 1),
    );
    assert_eq!(year.counted, 30);
}

/// A configuration with one client metered from the Odoo stand-in and a
/// contract that prices it.
fn odoo_config(url: &str, key_file: &Path) -> vigie::config::Config {
    let text = format!(
        r#"
[contracts.std]
intervention = {{ urgent = "2h" }}
hourly_rate = 100.0
monthly_fee = 10.0
[contracts.std.usage]
base_fee = 1000.0
per_user = 10.0
included_emails = 2
per_extra_email = 0.5

[clients.coop]
name = "Coop"
timezone = "Europe/Paris"
contract = "std"
[clients.coop.odoo]
url = "{url}"
db = "coop"
login = "vigie"
key_file = "{key}"
[clients.coop.usage]
active_users = {{ source = "odoo" }}
documents = {{ source = "odoo" }}
emails = {{ source = "odoo" }}
"#,
        key = key_file.display()
    );
    vigie::config::parse(&text, Path::new("<test>")).unwrap()
}

#[tokio::test]
async fn the_sampler_catches_up_once_and_the_report_bills_what_it_read() {
    use std::os::unix::fs::PermissionsExt;
    let (url, shared) = serve_odoo(odoo_db()).await;
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("odoo.key");
    std::fs::write(&key_file, KEY).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = odoo_config(&url, &key_file);
    let path = dir.path().join("v.db");
    let writer = Writer::spawn(&path).unwrap();
    let sampler = vigie::engine::usage::Sampler {
        fleet: Arc::new(config.fleet.clone()),
        http: reqwest::Client::new(),
        ssh: Arc::new(vigie::sources::ssh::Options::from_env(None)),
        timeout: Duration::from_secs(5),
    };
    // 00:10 on 11 March in Paris: the 10th is over.
    let now = paris(2026, 3, 11, 0) + TimeDelta::minutes(10);
    let written = vigie::engine::usage::sample_into(&sampler, &path, &writer.handle(), now).await;
    // E-mails are dated in Odoo: the 35 days up to the 10th; users and
    // documents only for the day just over.
    assert_eq!(written, 35 + 1 + 1);
    // A second round (a restart) reads nothing again.
    let again = vigie::engine::usage::sample_into(&sampler, &path, &writer.handle(), now).await;
    assert_eq!(again, 0);
    // The next day, Odoo refuses the key: the 11th is a gap with its cause,
    // read again at the next round.
    shared.lock().unwrap().users[0].key = "rotated".into();
    let next = now + TimeDelta::days(1);
    let failed = vigie::engine::usage::sample_into(&sampler, &path, &writer.handle(), next).await;
    assert_eq!(failed, 3);
    let reader = Reader::open(&path).unwrap();
    let reports = vigie::cli::usage::build(&reader, &config.fleet, 2026, None, next).unwrap();
    let r = &reports[0];
    let lines: Vec<(String, u64, String)> = r
        .lines
        .iter()
        .map(|l| (l.item.clone(), l.quantity, format_cents(l.amount)))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("Base fee".to_string(), 1, "1000.00".to_string()),
            ("Active users in 2026".to_string(), 4, "40.00".to_string()),
            // 3 on the 10th, none the 34 days before; 1 beyond the 2 included.
            (
                "E-mails beyond 2 (sent 3)".to_string(),
                1,
                "0.50".to_string()
            ),
        ]
    );
    let emails = r.meter(Meter::Emails).unwrap();
    let gaps: Vec<String> = emails.gaps.iter().map(|g| g.describe()).collect();
    assert_eq!(
        gaps,
        vec![
            "2026-01-01 to 2026-02-03 (34 days): not sampled".to_string(),
            "2026-03-11: Odoo refused the login or the key".to_string(),
        ]
    );
    // The key comes back: the 11th is read and the gap closes.
    shared.lock().unwrap().users[0].key = KEY.into();
    let later = next + TimeDelta::hours(1);
    let healed = vigie::engine::usage::sample_into(&sampler, &path, &writer.handle(), later).await;
    assert_eq!(healed, 3);
    let reports = vigie::cli::usage::build(&reader, &config.fleet, 2026, None, later).unwrap();
    let emails = reports[0].meter(Meter::Emails).unwrap();
    assert_eq!(emails.gaps.len(), 1);
    assert_eq!(emails.counted, 4);
}

fn vigie_bin(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("TZ", "Europe/Paris")
        .output()
        .unwrap()
}

#[test]
fn vigie_usage_prints_one_line_per_billed_item_and_the_gaps() {
    use chrono::Datelike;
    let home = tempfile::tempdir().unwrap();
    // Last year is complete in the demo's seeded samples only partly: the
    // current year is what the operator asks in December; use it.
    let year = (Utc::now() - TimeDelta::days(2))
        .with_timezone(&chrono_tz::Europe::Paris)
        .year();
    let y = year.to_string();
    let out = vigie_bin(
        home.path(),
        &["--demo", "usage", "--year", &y, "--format", "csv"],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rows = text.lines();
    assert_eq!(
        rows.next(),
        Some("client,year,kind,item,quantity,unit_price,amount,currency,note")
    );
    assert!(
        text.contains(&format!("cagette,{y},line,Base fee,1,1800.00,1800.00,EUR,")),
        "{text}"
    );
    assert!(
        text.contains(&format!("velo,{y},line,Active users, January {y}"))
            || text.contains(&format!("velo,{y},line,\"Active users, January {y}\"")),
        "{text}"
    );
    // Every client's yesterday is not sampled yet (the CLI does not
    // sample): a gap, never a zero.
    assert!(text.contains(",gap,documents,"), "{text}");
    // No --year: this year, in the display timezone.
    let out = vigie_bin(home.path(), &["--demo", "usage"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{text}");
    let this_year = Utc::now().year();
    assert!(
        text.starts_with(&format!("# Usage invoice figures, {this_year}"))
            || text.starts_with(&format!("# Usage invoice figures, {}", this_year + 1)),
        "{text}"
    );
    let out = vigie_bin(
        home.path(),
        &["--demo", "usage", "--year", &y, "--client", "nobody"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown client 'nobody'"));
    let out = vigie_bin(
        home.path(),
        &["--demo", "usage", "--year", &y, "--format", "xml"],
    );
    assert_eq!(out.status.code(), Some(2));
}

/// What the day rows say, read one by one (each counter's last reading
/// before the year, the year's samples in day order, the identities named
/// per month): the report's input computed without the monthly rows.
fn by_day(path: &Path, year: i32) -> BTreeMap<String, ClientUsage> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let first = day(year, 1, 1);
    let last = day(year, 12, 31);
    let mut before: BTreeMap<(String, Meter), DaySample> = BTreeMap::new();
    let mut out: BTreeMap<String, ClientUsage> = BTreeMap::new();
    let mut q = conn
        .prepare(
            "SELECT client, meter, day, kind, value, error FROM usage_samples
             ORDER BY client, meter, day",
        )
        .unwrap();
    let rows = q
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (client, meter, on, kind, value, error) = row.unwrap();
        let meter = Meter::from_key(&meter).unwrap();
        let on = NaiveDate::parse_from_str(&on, "%Y-%m-%d").unwrap();
        let outcome = match (kind, value) {
            (Some(k), Some(v)) => match Reading::from_parts(&k, v as u64) {
                Some(r) => Ok(r),
                None => continue,
            },
            _ => Err(error.unwrap_or_else(|| "no reading".into())),
        };
        let sample = DaySample { day: on, outcome };
        if on < first {
            if matches!(sample.outcome, Ok(Reading::Total(_))) {
                before.insert((client, meter), sample);
            }
        } else if on <= last {
            let samples = out.entry(client).or_default().samples.entry(meter);
            samples.or_default().push(sample);
        }
    }
    for ((client, meter), sample) in before {
        let samples = out.entry(client).or_default().samples.entry(meter);
        samples.or_default().insert(0, sample);
    }
    let mut q = conn
        .prepare("SELECT client, month, user FROM usage_users")
        .unwrap();
    let rows = q
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .unwrap();
    let mut named: BTreeMap<String, BTreeMap<u32, BTreeSet<String>>> = BTreeMap::new();
    for row in rows {
        let (client, month, user) = row.unwrap();
        if month[..4] == year.to_string() {
            let m: u32 = month[5..7].parse().unwrap();
            let months = named.entry(client).or_default();
            months.entry(m).or_default().insert(user);
        }
    }
    for (client, months) in named {
        let u = out.entry(client).or_default();
        let year_ids: BTreeSet<&String> = months.values().flatten().collect();
        u.users_in_year = year_ids.len() as u64;
        u.users_by_month = months
            .iter()
            .map(|(m, ids)| (*m, ids.len() as u64))
            .collect();
    }
    out
}

fn named(client: &str, meter: Meter, on: NaiveDate, value: u64, users: &[&str]) -> UsageSample {
    UsageSample {
        users: users.iter().map(|u| u.to_string()).collect(),
        ..sample(client, meter, on, Ok(Reading::Day(value)))
    }
}

/// A year of two clients through the writer: e-mails, documents, active
/// users (named) and an SMS counter; gaps with causes, June never sampled,
/// the counter reset on 15 August; days read twice.
fn write_a_year(writer: &Writer) {
    use chrono::Datelike;
    let mut samples = vec![
        sample("c", Meter::Sms, day(2025, 12, 30), Ok(Reading::Total(50))),
        sample("c", Meter::Sms, day(2025, 12, 31), Ok(Reading::Total(100))),
    ];
    let mut sms = 100;
    for (i, on) in day(2026, 1, 1)
        .iter_days()
        .take_while(|d| d.year() == 2026)
        .enumerate()
    {
        if on.month() == 6 {
            continue;
        }
        let failed = (day(2026, 3, 4)..=day(2026, 3, 6)).contains(&on);
        for client in ["c", "d"] {
            let emails = if failed {
                Err("Odoo unreachable: no answer within 30s".to_string())
            } else {
                Ok(Reading::Day(10 + i as u64 % 7))
            };
            samples.push(sample(client, Meter::Emails, on, emails));
            let docs = if i % 50 == 7 {
                Err("du: cannot read /srv/docs".to_string())
            } else {
                Ok(Reading::Level(15_000_000_000 + i as u64 * 1_000_000))
            };
            samples.push(sample(client, Meter::Documents, on, docs));
            let who = [format!("u{}", i % 9), format!("u{}", (i + 4) % 9)];
            let who: Vec<&str> = who.iter().map(String::as_str).collect();
            samples.push(named(client, Meter::ActiveUsers, on, 2, &who));
        }
        sms = if on == day(2026, 8, 15) { 3 } else { sms + 4 };
        if i % 31 != 20 {
            samples.push(sample("c", Meter::Sms, on, Ok(Reading::Total(sms))));
        }
    }
    writer.send(WriteOp::Usage(samples)).unwrap();
    // Days read again: a success replaces a success, a failure never
    // replaces a success, a success replaces a failure.
    writer
        .send(WriteOp::Usage(vec![
            sample("c", Meter::Emails, day(2026, 2, 10), Ok(Reading::Day(99))),
            sample("c", Meter::Emails, day(2026, 4, 1), Err("refused".into())),
            sample("c", Meter::Emails, day(2026, 3, 5), Ok(Reading::Day(1))),
            named("c", Meter::ActiveUsers, day(2026, 2, 10), 2, &["u1", "new"]),
        ]))
        .unwrap();
    writer.flush().unwrap();
}

fn figure_on(report: &vigie::model::usage::MeterYear, on: NaiveDate) -> &DayFigure {
    &report.days.iter().find(|(d, _)| *d == on).unwrap().1
}

#[test]
fn monthly_rows_give_the_reports_the_day_rows_give() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let writer = Writer::spawn(&path).unwrap();
    write_a_year(&writer);
    // Other writers (a repair by hand): a sample of an unknown kind, one
    // deleted, one moved to another day, an identity deleted.
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "INSERT INTO usage_samples (client, meter, day, kind, value, error, sampled_ms)
         VALUES ('c', 'emails', '2026-07-01', 'gauge', 5, NULL, 0)
         ON CONFLICT (client, meter, day) DO UPDATE SET kind = 'gauge';
         DELETE FROM usage_samples WHERE client = 'd' AND meter = 'emails' AND day = '2026-09-09';
         UPDATE usage_samples SET day = '2026-06-15'
         WHERE client = 'd' AND meter = 'documents' AND day = '2026-05-31';
         DELETE FROM usage_users WHERE client = 'd' AND month = '2026-12' AND user = 'u3';",
    )
    .unwrap();
    let reader = Reader::open(&path).unwrap();
    let stored = reader.usage(2026).unwrap();
    assert_eq!(stored, by_day(&path, 2026));

    let prices = UsagePrices {
        per_user: Decimal::from(5),
        users_counted: UserCount::Month,
        included_emails: 1000,
        per_extra_email: Decimal::new(1, 2),
        included_sms: 100,
        per_extra_sms: Decimal::new(1, 1),
        included_gb: 10,
        per_extra_gb: Decimal::from(2),
        ..UsagePrices::default()
    };
    let report = |u: &ClientUsage, client: &str| {
        yearly_report(client, u, &prices, "EUR", 2026, day(2026, 12, 31))
    };
    let expected = by_day(&path, 2026);
    for client in ["c", "d"] {
        assert_eq!(
            report(&stored[client], client),
            report(&expected[client], client)
        );
    }
    // What the report says, spot by spot.
    let c = report(&stored["c"], "c");
    let emails = c.meter(Meter::Emails).unwrap();
    let counted = |q| DayFigure::Counted {
        quantity: q,
        since: None,
    };
    assert_eq!(figure_on(emails, day(2026, 2, 10)), &counted(99));
    assert_eq!(figure_on(emails, day(2026, 4, 1)), &counted(10 + 90 % 7));
    assert_eq!(figure_on(emails, day(2026, 3, 5)), &counted(1));
    assert_eq!(
        figure_on(emails, day(2026, 3, 4)),
        &DayFigure::Gap(Some("Odoo unreachable: no answer within 30s".into()))
    );
    assert_eq!(figure_on(emails, day(2026, 6, 10)), &DayFigure::Gap(None));
    assert_eq!(figure_on(emails, day(2026, 7, 1)), &DayFigure::Gap(None));
    let sum: u64 = emails.days.iter().filter_map(|(_, f)| f.value()).sum();
    assert_eq!(emails.counted, sum);
    let sms = c.meter(Meter::Sms).unwrap();
    assert_eq!(
        figure_on(sms, day(2026, 1, 1)),
        &counted(4),
        "the first difference starts from 31 December"
    );
    assert_eq!(sms.flags.len(), 1);
    assert_eq!(sms.flags[0].day, day(2026, 8, 15));
    assert_eq!(sms.flags[0].to, 3);
    assert!(
        sms.gaps
            .iter()
            .any(|g| g.from == day(2026, 6, 1) && g.to == day(2026, 6, 30) && g.cause.is_none())
    );
    let users = c.meter(Meter::ActiveUsers).unwrap();
    assert!(users.gaps.iter().any(|g| g.from == day(2026, 6, 1)));
    assert_eq!(c.users_year, Some(10), "u0 to u8 and one new");
    assert_eq!(c.users_by_month.get(&6), None);
    let june = c.lines.iter().find(|l| l.item == "Active users, June 2026");
    assert_eq!(
        june.and_then(|l| l.note.as_deref()),
        Some("no reading this month")
    );
    let d = report(&stored["d"], "d");
    assert_eq!(d.users_year, Some(9));
    assert_eq!(
        figure_on(d.meter(Meter::Emails).unwrap(), day(2026, 9, 9)),
        &DayFigure::Gap(None)
    );
    drop(writer);
}

/// The schema version just before the monthly rows.
fn version_before_monthly_rows(dir: &Path) -> u32 {
    let path = dir.join("probe.db");
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    for v in 1..=SCHEMA_VERSION {
        migrations::migrate_to(&mut conn, &path, v).unwrap();
        let has: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'usage_months'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        if has > 0 {
            return v - 1;
        }
    }
    panic!("no schema version has usage_months");
}

#[test]
fn a_store_from_before_the_monthly_rows_opens_and_reports_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let old = version_before_monthly_rows(dir.path());
    // A year written at the newest schema, copied row by row into a store
    // at the older one, as that Vigie had written it.
    let new = dir.path().join("new.db");
    let writer = Writer::spawn(&new).unwrap();
    write_a_year(&writer);
    drop(writer);
    let path = dir.path().join("old.db");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        migrations::migrate_to(&mut conn, &path, old).unwrap();
        conn.execute("ATTACH ?1 AS new", [new.to_str().unwrap()])
            .unwrap();
        conn.execute_batch(
            "INSERT INTO usage_samples SELECT * FROM new.usage_samples;
             INSERT INTO usage_users SELECT * FROM new.usage_users;",
        )
        .unwrap();
        conn.execute("DETACH new", []).unwrap();
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, old);
    }
    let expected = by_day(&path, 2026);
    assert_eq!(expected["c"].samples[&Meter::Emails].len(), 365 - 30);
    let writer = Writer::spawn(&path).unwrap();
    let reader = Reader::open(&path).unwrap();
    assert_eq!(reader.usage(2026).unwrap(), expected);
    assert_eq!(
        reader.usage(2026).unwrap(),
        Reader::open(&new).unwrap().usage(2026).unwrap()
    );
    // And the converted store keeps its monthly rows up to date.
    writer
        .send(WriteOp::Usage(vec![
            sample("c", Meter::Emails, day(2026, 6, 2), Ok(Reading::Day(4))),
            named("d", Meter::ActiveUsers, day(2026, 6, 2), 1, &["z"]),
        ]))
        .unwrap();
    writer.flush().unwrap();
    let stored = reader.usage(2026).unwrap();
    assert_eq!(stored, by_day(&path, 2026));
    assert_eq!(stored["d"].users_by_month.get(&6), Some(&1));
    assert_eq!(stored["d"].users_in_year, 10);
}
