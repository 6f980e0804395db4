//! The binary, end to end: the demo probed for real on loopback, and every
//! way a set-up can be wrong giving a clear message and exit code 2.

use std::path::Path;
use std::process::{Command, Output};

fn vigie(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("TZ", "Europe/Paris")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn demo_snapshot_shows_live_rows_probed_by_the_engine() {
    let home = tempfile::tempdir().unwrap();
    let out = vigie(
        home.path(),
        &[
            "--demo", "snapshot", "--width", "200", "--height", "50", "--pane", "health",
        ],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}\n{text}", stderr(&out));
    assert!(text.contains("VIGIE") && text.contains("DEMO"), "{text}");
    // Every row has been probed: no check is still waiting, and the HTTP
    // checks carry a measured latency.
    assert!(!text.contains("waiting for the first result"), "{text}");
    let erp = text
        .lines()
        .find(|l| l.contains("  odoo-coop "))
        .unwrap_or_default();
    assert!(
        erp.contains(" ms") || erp.contains(" s "),
        "odoo-coop row: {erp:?}\n{text}"
    );
    // Host figures come from the node_exporter scrape.
    let mutu = text
        .lines()
        .find(|l| l.contains("  mutu-1 "))
        .unwrap_or_default();
    assert!(mutu.contains('%'), "mutu-1 row: {mutu:?}\n{text}");
}

#[test]
fn demo_check_probes_every_demo_check() {
    let home = tempfile::tempdir().unwrap();
    let out = vigie(home.path(), &["--demo", "check", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rows = report["checks"].as_array().cloned().unwrap_or_default();
    let declared = include_str!("../src/demo/fleet.toml")
        .matches(".checks]]")
        .count();
    assert_eq!(rows.len(), declared, "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| r["status"].is_string() && r["at"].is_string())
    );
    assert!(rows.iter().any(|r| r["status"] == "up"));
    // Nagios conventions: the exit code is the overall verdict.
    let verdict = report["verdict"].as_str().unwrap_or_default();
    let code = ["OK", "WARNING", "CRITICAL", "UNKNOWN"]
        .iter()
        .position(|v| *v == verdict)
        .unwrap();
    assert_eq!(out.status.code(), Some(code as i32), "{verdict}");
}

#[test]
fn demo_check_prints_plugin_output() {
    let home = tempfile::tempdir().unwrap();
    let out = vigie(home.path(), &["--demo", "check"]);
    let text = stdout(&out);
    let first = text.lines().next().unwrap_or_default();
    assert!(first.starts_with("VIGIE "), "{text}");
    assert!(
        first.contains(" checks: ") && first.contains(" | '"),
        "{first}"
    );
    let problems = text.lines().count() - 1;
    let code = out.status.code().unwrap();
    assert_eq!(problems == 0, code == 0, "{text}");
    for line in text.lines().skip(1) {
        assert!(
            ["CRITICAL ", "WARNING ", "UNKNOWN "]
                .iter()
                .any(|p| line.starts_with(p)),
            "{line}"
        );
    }
}

#[test]
fn subcommands_without_a_configuration_refuse() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["snapshot"][..],
        &["check"],
        &["daemon"],
        &["config", "check"],
    ] {
        let out = vigie(home.path(), args);
        // `vigie check` is a Nagios plugin: bad set-up is UNKNOWN (3).
        let want = if args == ["check"] { 3 } else { 2 };
        assert_eq!(out.status.code(), Some(want), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("no configuration found") || err.contains("no configuration at"),
            "{args:?}: {err}"
        );
        assert!(err.contains("--demo") || err.contains("demo"), "{err}");
        assert!(
            stdout(&out).is_empty(),
            "{args:?} printed data: {}",
            stdout(&out)
        );
    }
}

#[test]
fn example_configuration_passes_config_check() {
    let home = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/vigie.example.toml");
    let out = vigie(home.path(), &["config", "check", example.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(": ok ("));
}

#[test]
fn bad_configuration_names_file_line_and_column() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("bad.toml");
    std::fs::write(&file, "[hosts.web]\naddress = \"10.0.0.1\"\nport = 22\n").unwrap();
    let out = vigie(
        home.path(),
        &["--config", file.to_str().unwrap(), "snapshot"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("{}:3:1", file.display())), "{err}");
}

#[test]
fn vigie_config_env_variable_is_used() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args(["config", "check"])
        .env_clear()
        .env("HOME", home.path())
        .env("VIGIE_CONFIG", home.path().join("nowhere.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nowhere.toml"), "{}", stderr(&out));
}

#[test]
fn console_refuses_when_stdout_is_not_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    let out = vigie(home.path(), &["demo"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a terminal"), "{}", stderr(&out));
}

#[test]
fn corrupt_database_is_refused_and_left_intact() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("vigie.db");
    let garbage = b"this is not a database, it is a shopping list\n".repeat(200);
    std::fs::write(&db, &garbage).unwrap();
    let out = vigie(
        home.path(),
        &["--demo", "--db", db.to_str().unwrap(), "daemon"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&db.display().to_string()),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&db).unwrap(), garbage);
}

#[test]
fn unknown_pane_and_bad_colour_depth_are_input_errors() {
    let home = tempfile::tempdir().unwrap();
    let out = vigie(home.path(), &["--demo", "snapshot", "--pane", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("expected one of health"),
        "{}",
        stderr(&out)
    );
    let out = vigie(home.path(), &["--demo", "--color", "lots", "snapshot"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn config_errors_reach_stderr_without_the_files_escape_sequences() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("vigie.toml");
    // A key, then a value, carrying a clipboard write (OSC 52) and a screen
    // wipe (CSI 2J); the value is a URL whose key must not be echoed either.
    // (the file, whether the message quotes the sequence)
    for (config, quoted) in [
        (
            "[clients.coop]\nname = \"x\"\n\"na\\u001b]52;c;aGk=\\u0007me\\u001b[2J\" = 1\n",
            true,
        ),
        (
            "[tickets]\nbackend = \"redmine\"\napi_key_env = \"K\"\n\
             url = \"redmine\\u001b]52;c;aGk=\\u0007\\u001b[2J.example?key=s3cret\"\n",
            true,
        ),
        // Raw, as a hostile file would hold them (TOML refuses them).
        ("[clients.coop]\nna\u{1b}]52;c;aGk=\u{7}me = 1\n", false),
    ] {
        std::fs::write(&path, config).unwrap();
        let out = vigie(home.path(), &["config", "check", path.to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
        assert!(!quoted || err.contains("␛]52;c;aGk=␇"), "{err:?}");
        assert!(!err.contains("s3cret"), "{err:?}");
    }
}

#[test]
fn a_configuration_that_never_ends_is_refused_with_a_clear_message() {
    let home = tempfile::tempdir().unwrap();
    let out = vigie(home.path(), &["config", "check", "/dev/zero"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("the configuration at /dev/zero is larger than 4 MiB"),
        "{err}"
    );
}

/// A snapshot draws tickets as `vigie tickets` reads them (here from the
/// demo's tracker), instead of waiting for a tracker read that never comes.
#[test]
fn demo_snapshot_draws_the_demo_trackers_tickets() {
    let home = tempfile::tempdir().unwrap();
    let out = vigie(
        home.path(),
        &[
            "--demo", "snapshot", "--width", "160", "--height", "40", "--pane", "tickets",
        ],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}\n{text}", stderr(&out));
    assert!(!text.contains("Reading the tracker"), "{text}");
    // The demo tracker's breached ticket comes first.
    assert!(
        text.contains("Caisses hors ligne") && text.contains("LATE"),
        "{text}"
    );
}
