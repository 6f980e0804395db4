//! The configuration loader against files: every file in
//! `tests/valid_configs` loads, every file in `tests/invalid_configs` fails
//! with exactly the diagnostics of the `.err` file beside it (one
//! `line:column: message` per line), and the shipped example loads.
//!
//! To write the `.err` file of a new invalid config, run the tests with
//! `VIGIE_BLESS=1` and review what it wrote.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use vigie::config::{self, ConfigError, Diagnostic};
use vigie::model::money::Decimal;
use vigie::model::{CheckKind, DayHours, EnvKind, HttpCheck, JsonOp, TimeOfDay};

fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    let mut out: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no .{ext} files in {}", dir.display());
    out
}

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/vigie.example.toml")
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(|d| format!("{d}\n")).collect()
}

#[test]
fn every_valid_config_loads() {
    for path in files("valid_configs", "toml") {
        if let Err(e) = config::load(&path) {
            panic!("{} should load:\n{e}", path.display());
        }
    }
}

#[test]
fn every_invalid_config_fails_with_its_expected_diagnostics() {
    let bless = std::env::var_os("VIGIE_BLESS").is_some();
    let mut failures = Vec::new();
    for path in files("invalid_configs", "toml") {
        let actual = match config::load(&path) {
            Ok(_) => "(loaded without error)\n".to_string(),
            Err(ConfigError::Invalid { diagnostics, .. }) => render(&diagnostics),
            Err(e) => format!("(not an Invalid error: {e})\n"),
        };
        let err_path = path.with_extension("err");
        if bless {
            fs::write(&err_path, &actual).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&err_path).unwrap_or_default();
        if actual != expected {
            failures.push(format!(
                "{}\n  expected:\n{}  actual:\n{}",
                path.display(),
                indent(&expected),
                indent(&actual)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

#[test]
fn every_invalid_config_has_an_expected_error_file() {
    for path in files("invalid_configs", "toml") {
        assert!(
            path.with_extension("err").is_file(),
            "{} has no .err file",
            path.display()
        );
    }
    for err in files("invalid_configs", "err") {
        assert!(
            err.with_extension("toml").is_file(),
            "{} has no .toml file",
            err.display()
        );
    }
}

#[test]
fn invalid_config_display_names_the_file_on_every_line() {
    let path = Path::new("tests/invalid_configs/several_problems.toml");
    let err = config::load(path).unwrap_err();
    let text = err.to_string();
    assert!(text.lines().count() > 1);
    for line in text.lines() {
        assert!(
            line.starts_with("tests/invalid_configs/several_problems.toml:"),
            "{line}"
        );
    }
}

#[test]
fn parse_uses_the_given_path_in_messages() {
    let err = config::parse("[nope]\n", Path::new("<demo>")).unwrap_err();
    // The list of top-level tables grows with the capabilities.
    let text = err.to_string();
    assert!(
        text.starts_with(
            "<demo>:1:2: unknown key `nope`, expected one of `console`, `contracts`, `clients`, `hosts`, `health`"
        ),
        "{text}"
    );
    assert!(text.contains("`maintenance`"), "{text}");
}

#[test]
fn the_example_loads_with_its_documented_values() {
    let cfg = config::load(&example_path()).unwrap();
    assert_eq!(cfg.path, example_path());
    assert_eq!(cfg.console.theme.as_deref(), Some("dark"));
    assert_eq!(cfg.console.keymap.as_deref(), Some("default"));
    assert_eq!(
        cfg.status_page.dir.as_deref(),
        Some(Path::new("/var/www/status"))
    );
    assert_eq!(
        cfg.status_page
            .public_names
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [("odoo-prod/web", "ERP")]
    );

    let fleet = &cfg.fleet;
    let ids: Vec<&str> = fleet.clients.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["coop", "asso"], "clients keep the file's order");
    let hosts: Vec<&str> = fleet.hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        hosts,
        ["odoo-prod", "odoo-test", "shared-1"],
        "hosts keep the file's order"
    );

    let standard = &fleet.contracts["standard"];
    assert_eq!(
        standard.intervention["urgent"],
        Duration::from_secs(2 * 3600)
    );
    assert_eq!(standard.intervention["normal"], Duration::from_secs(86_400));
    assert_eq!(
        standard.restoration["urgent"],
        Duration::from_secs(8 * 3600)
    );
    assert_eq!(standard.calls_per_year, Some(24));
    assert_eq!(standard.tiers.len(), 2);
    assert_eq!(standard.tiers[1].credit_percent, Decimal::from(50));

    let basic = &fleet.contracts["basic"];
    assert_eq!(basic.currency, "EUR");
    assert_eq!(basic.diagnosis_warning, Duration::from_secs(3600));
    assert_eq!(basic.support_hours, vigie::model::SupportHours::default());
    assert!(basic.restoration.is_empty() && basic.tiers.is_empty());
    assert_eq!(basic.hourly_rate, Decimal::from(90));

    let coop = fleet.client("coop").unwrap();
    assert_eq!(coop.timezone, chrono_tz::Europe::Paris);
    let envs: Vec<(EnvKind, bool)> = coop.environments.iter().map(|e| (e.kind, e.tint)).collect();
    assert_eq!(
        envs,
        [
            (EnvKind::Prod, true),
            (EnvKind::Preprod, false),
            (EnvKind::Dev, false)
        ]
    );
    let store = &coop.sites[0];
    assert_eq!(store.hours.on(chrono::Weekday::Mon), DayHours::Closed);
    assert_eq!(
        store.hours.on(chrono::Weekday::Sat),
        DayHours::Open {
            open: TimeOfDay::new(9, 0).unwrap(),
            close: TimeOfDay::new(19, 0).unwrap()
        }
    );

    let prod = fleet.host("odoo-prod").unwrap();
    assert_eq!(prod.ssh_user.as_deref(), Some("ops"));
    let checks: Vec<&str> = prod.checks.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        checks,
        [
            "odoo-prod/web",
            "odoo-prod/api",
            "odoo-prod/odoo",
            "odoo-prod/postgres",
            "odoo-prod/metrics",
            "odoo-prod/outside"
        ]
    );
    let web = &prod.checks[0];
    assert_eq!(
        (web.interval, web.timeout),
        (Duration::from_secs(30), Duration::from_secs(5))
    );
    assert_eq!(
        (web.retries, web.down_after, web.up_after, web.sla),
        (1, 3, 2, true)
    );
    let CheckKind::Http(h) = &web.kind else {
        panic!("web is an http check: {:?}", web.kind);
    };
    assert_eq!(h.body_contains.as_deref(), Some("Odoo"));
    assert_eq!((h.max_redirects, h.slow_ms), (2, 2_000));
    assert_eq!((h.tls_warn_days, h.tls_crit_days), (21, 7));
    let CheckKind::Http(api) = &prod.checks[1].kind else {
        panic!("api is an http check");
    };
    let json = api.json.as_ref().unwrap();
    assert_eq!(
        (json.pointer.as_str(), json.op, &json.value),
        ("/queue/pending", JsonOp::Lt, &serde_json::json!(100))
    );
    let CheckKind::Http(odoo) = &prod.checks[2].kind else {
        panic!("odoo_health is an http check");
    };
    assert!(odoo.odoo);
    assert_eq!(
        odoo.url,
        "https://erp.example.org/web/health?db_server_status=1"
    );
    let CheckKind::NodeExporter { thresholds, .. } = &prod.checks[4].kind else {
        panic!("metrics is a node_exporter check");
    };
    let disk = thresholds.get("disk_used_pct").unwrap();
    assert_eq!((disk.warn, disk.crit), (80.0, 90.0));
    let cpu = thresholds.get("cpu_busy_pct").unwrap();
    assert_eq!((cpu.warn, cpu.crit), (90.0, 98.0), "defaults kept");
    let outside = &prod.checks[5];
    assert!(outside.canary && !outside.sla);
    assert!(!prod.checks[4].sla, "host metrics do not count for the SLA");
    assert_eq!(fleet.health.flap_changes, 5);
    assert_eq!(
        fleet.health.retention.day,
        Duration::from_secs(396 * 86_400)
    );
    let db = &prod.checks[3];
    assert_eq!(
        db.kind,
        CheckKind::Tcp {
            address: "10.0.0.5:5432".into(),
            slow_ms: 1_000,
        }
    );
    assert_eq!(
        (db.interval, db.timeout),
        (Duration::from_secs(60), Duration::from_secs(10))
    );

    assert_eq!(fleet.host("odoo-test").unwrap().ssh_port, 2222);
    assert_eq!(fleet.host("shared-1").unwrap().ssh_port, 22);
    let shared_web = &fleet.host("shared-1").unwrap().checks[0];
    assert_eq!(
        shared_web.kind,
        CheckKind::Http(HttpCheck::get("https://amis.example.org/web/health"))
    );
}

#[test]
fn prices_are_read_exactly_as_written() {
    let text = r#"
[contracts.std]
intervention = { urgent = "2h" }
hourly_rate = 97.35
monthly_fee = "1_200.10"
tiers = [{ below = 99.9, credit_percent = 12.5 }]
[contracts.std.usage]
base_fee = 1_000
per_extra_sms = 0.145
per_extra_email = "0.0015"
"#;
    let cfg = config::parse(text, Path::new("prices.toml")).unwrap();
    let c = &cfg.fleet.contracts["std"];
    let u = c.usage.as_ref().unwrap();
    let written = |d: Decimal| d.to_string();
    assert_eq!(written(c.hourly_rate), "97.35");
    assert_eq!(written(c.monthly_fee), "1200.10");
    assert_eq!(written(c.tiers[0].credit_percent), "12.5");
    assert_eq!(written(u.base_fee), "1000");
    assert_eq!(written(u.per_extra_sms), "0.145");
    assert_eq!(written(u.per_extra_email), "0.0015");

    let bad = text.replace("\"0.0015\"", "\"0,0015\"");
    let Err(ConfigError::Invalid { diagnostics, .. }) = config::parse(&bad, Path::new("p.toml"))
    else {
        panic!("a price with a comma should not load");
    };
    assert!(
        render(&diagnostics)
            .contains("invalid amount '0,0015', expected a number like 120 or 0.145"),
        "{}",
        render(&diagnostics)
    );
}

#[test]
fn a_site_without_timezone_takes_the_clients() {
    let cfg = config::load(Path::new("tests/valid_configs/inline_tables.toml")).unwrap();
    let b = cfg.fleet.client("b").unwrap();
    assert_eq!(b.sites[0].timezone, chrono_tz::UTC);
    assert_eq!(
        b.sites[0].hours.on(chrono::Weekday::Sun),
        DayHours::Closed,
        "a day left out is closed"
    );
    let a = cfg.fleet.client("a").unwrap();
    let envs: Vec<(EnvKind, bool)> = a.environments.iter().map(|e| (e.kind, e.tint)).collect();
    assert_eq!(
        envs,
        [(EnvKind::Dev, false), (EnvKind::Prod, false)],
        "environments keep the file's order"
    );
}

#[test]
fn a_missing_file_is_not_found_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let err = config::load(&path).unwrap_err();
    assert!(matches!(&err, ConfigError::NotFound { path: p } if *p == path));
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(
        text.contains("assets/vigie.example.toml")
            && text.contains("--config")
            && text.contains("vigie demo")
    );
}

#[test]
fn a_directory_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let err = config::load(dir.path()).unwrap_err();
    assert!(matches!(err, ConfigError::Unreadable { .. }), "{err:?}");
}

#[test]
fn a_file_that_is_not_utf8_is_invalid_where_it_stops_being_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    fs::write(&path, b"[console]\ntheme = \"d\xe9\"\n").unwrap();
    match config::load(&path).unwrap_err() {
        ConfigError::Invalid { diagnostics, .. } => {
            assert_eq!(
                render(&diagnostics),
                "2:11: invalid UTF-8, expected a file saved as UTF-8 text\n"
            );
        }
        e => panic!("{e:?}"),
    }
}

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn resolve_path_prefers_flag_then_vigie_config_then_xdg_then_home() {
    let all = env(&[
        ("VIGIE_CONFIG", "/etc/vigie.toml"),
        ("XDG_CONFIG_HOME", "/xdg"),
        ("HOME", "/home/op"),
    ]);
    let flag = Path::new("cli.toml");
    assert_eq!(
        config::resolve_path(Some(flag), &all),
        Some(PathBuf::from("cli.toml"))
    );
    assert_eq!(
        config::resolve_path(None, &all),
        Some(PathBuf::from("/etc/vigie.toml"))
    );
    let no_vigie = env(&[("XDG_CONFIG_HOME", "/xdg"), ("HOME", "/home/op")]);
    assert_eq!(
        config::resolve_path(None, &no_vigie),
        Some(PathBuf::from("/xdg/vigie/config.toml"))
    );
    let home_only = env(&[("HOME", "/home/op")]);
    assert_eq!(
        config::resolve_path(None, &home_only),
        Some(PathBuf::from("/home/op/.config/vigie/config.toml"))
    );
    assert_eq!(config::resolve_path(None, &env(&[])), None);
}

#[test]
fn resolve_path_ignores_empty_variables_and_a_relative_xdg_config_home() {
    let vars = env(&[
        ("VIGIE_CONFIG", ""),
        ("XDG_CONFIG_HOME", "relative/dir"),
        ("HOME", "/home/op"),
    ]);
    assert_eq!(
        config::resolve_path(None, &vars),
        Some(PathBuf::from("/home/op/.config/vigie/config.toml"))
    );
}

#[test]
fn parse_duration_is_public() {
    assert_eq!(
        config::parse_duration("1h30m"),
        Some(Duration::from_secs(5400))
    );
    assert_eq!(config::parse_duration("90"), None);
}

#[test]
fn the_example_store_has_tills_lines_and_odoo() {
    use vigie::model::pos::{SecretSource, Target, TrafficCheck, UplinkRole};
    let cfg = config::load(&example_path()).unwrap();
    let coop = cfg.fleet.client("coop").unwrap();
    let store = coop.sites[0].pos.as_ref().unwrap();
    let tills: Vec<(&str, &Target)> = store
        .tills
        .iter()
        .map(|t| (t.name.as_str(), &t.target))
        .collect();
    assert_eq!(
        tills,
        [
            ("Till 1", &Target::Tcp("192.0.2.11:8069".into())),
            (
                "Till 2",
                &Target::Http {
                    url: "http://192.0.2.12/status".into(),
                    contains: None
                }
            ),
        ]
    );
    assert_eq!(
        store.iot,
        Some(Target::Http {
            url: "http://192.0.2.20:8069/hw_proxy/hello".into(),
            contains: Some("ping".into())
        })
    );
    let roles: Vec<UplinkRole> = store.uplinks.iter().map(|u| u.role).collect();
    assert_eq!(roles, [UplinkRole::Main, UplinkRole::Backup]);
    assert!(
        matches!(&store.traffic, Some(TrafficCheck::RouterStatus { pointer: Some(p), .. }) if p == "/wan/active")
    );
    assert_eq!(store.settings.interval, Duration::from_secs(10));
    let odoo = coop.odoo.as_ref().unwrap();
    assert_eq!(
        odoo.secret,
        SecretSource::File("/etc/vigie/odoo-coop.key".into())
    );
    assert_eq!(odoo.api, vigie::model::pos::OdooTransport::JsonRpc);
}

#[test]
fn the_example_names_a_redmine_tracker_and_contract_holidays() {
    use vigie::model::tickets::TicketBackendKind;
    let cfg = config::load(&example_path()).unwrap();
    let t = &cfg.fleet.tickets;
    match &t.backend {
        TicketBackendKind::Redmine {
            url,
            key,
            activity_id,
        } => {
            assert_eq!(url, "https://redmine.example.org");
            assert_eq!(key.env.as_deref(), Some("VIGIE_REDMINE_KEY"));
            assert_eq!(key.file, None);
            assert_eq!(*activity_id, Some(9));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        t.projects.get("cagette-support").map(String::as_str),
        Some("coop")
    );
    assert_eq!(t.rules.stop_statuses, vec!["In Progress".to_string()]);
    assert_eq!(t.sync_interval, std::time::Duration::from_secs(60));
    let standard = &cfg.fleet.contracts["standard"];
    // France's preset knows the days that move with Easter: Ascension 2027.
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    assert!(standard.holidays.contains(&day("2027-05-06")));
    assert!(standard.holidays.contains(&day("2027-12-24")));
    assert!(standard.holidays.contains(&day("2026-12-25")));
    assert_eq!(standard.holidays.of_year(2027).len(), 12);
    assert_eq!(
        standard.billing_increment,
        std::time::Duration::from_secs(900)
    );
    assert_eq!(
        cfg.fleet.contracts["basic"].billing_increment,
        std::time::Duration::from_secs(900),
        "the default"
    );
}

#[test]
fn the_alert_lists_thresholds_come_from_the_alerts_table() {
    let text = "[alerts]\ndue_within = \"1h\"\nheartbeat_stale = \"2m\"\n";
    let c = config::parse(text, Path::new("alerts.toml")).unwrap();
    assert_eq!(c.fleet.attention.ticket_lead, Duration::from_secs(3600));
    assert_eq!(c.fleet.attention.heartbeat_stale, Duration::from_secs(120));
    // Left out: the defaults.
    let c = config::parse("", Path::new("empty.toml")).unwrap();
    assert_eq!(
        c.fleet.attention,
        vigie::model::attention::Settings::default()
    );
    // The example says what it sets.
    let example = config::load(&example_path()).unwrap();
    assert_eq!(
        example.fleet.attention.ticket_lead,
        Duration::from_secs(3600)
    );
}
