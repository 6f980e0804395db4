//! Every bad `[oncall]` or `[[alerts.routes]]` gets an error at its line
//! and column; a good one reads into the rota and routes.

use std::path::Path;

use crate::config::{ConfigError, parse};
use crate::model::paging::Target;

const BASE: &str = r#"
[[alerts.webhooks]]
name = "chat"
kind = "generic"
url = "http://127.0.0.1:9/chat"

[[alerts.webhooks]]
name = "alix-phone"
kind = "generic"
url = "http://127.0.0.1:9/alix"

[[alerts.webhooks]]
name = "bruno-phone"
kind = "generic"
url = "http://127.0.0.1:9/bruno"
"#;

const ROTA: &str = r#"
[oncall]
timezone = "Europe/Paris"
handover_day = "mon"
handover_at = "09:00"
start = "2026-03-02"
order = ["Alix", "Bruno"]

[[oncall.members]]
name = "Alix"
receivers = ["alix-phone"]

[[oncall.members]]
name = "Bruno"
receivers = ["bruno-phone"]
"#;

/// `line:col: message` of each diagnostic, or the error's text.
fn errors(text: &str) -> Vec<String> {
    match parse(text, Path::new("t.toml")) {
        Ok(_) => Vec::new(),
        Err(ConfigError::Invalid { diagnostics, .. }) => {
            diagnostics.iter().map(|d| d.to_string()).collect()
        }
        Err(e) => vec![e.to_string()],
    }
}

/// The line (1-based) of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle} not in text"));
    text[..at].matches('\n').count() + 1
}

#[test]
fn a_good_rota_and_routes_read() {
    let text = format!(
        "{BASE}{ROTA}
[alerts]
repeat_every = \"5m\"
escalate_after = \"10m\"
warnings_in_support_hours = true

[[alerts.routes]]
environment = [\"dev\", \"preprod\"]
to = [\"chat\"]

[[alerts.routes]]
severity = [\"critical\"]
to = [\"oncall\", \"chat\"]
continue = true

[[oncall.overrides]]
member = \"Bruno\"
from = \"2026-12-24\"
to = \"2026-12-26\"
"
    );
    let c = match parse(&text, Path::new("t.toml")) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let p = c.paging;
    assert_eq!(p.timing.repeat_every.as_secs(), 300);
    assert_eq!(p.timing.escalate_after.as_secs(), 600);
    assert!(p.routing.warnings_in.is_some());
    assert_eq!(p.routing.routes.len(), 2);
    assert_eq!(
        p.routing.routes[1].to,
        vec![Target::OnCall, Target::Receiver("chat".into())]
    );
    assert!(p.routing.routes[1].continue_after);
    assert_eq!(p.routing.default, vec![Target::OnCall]);
    let rota = p.rota.unwrap_or_else(|| panic!("no rota"));
    assert_eq!(rota.order, vec![0, 1]);
    assert_eq!(rota.overrides.len(), 1);
    assert_eq!(rota.overrides[0].member, 1);
}

#[test]
fn without_a_rota_the_default_route_is_every_receiver() {
    let c = match parse(BASE, Path::new("t.toml")) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(c.paging.routing.default.len(), 3);
    assert!(c.paging.rota.is_none());
}

#[test]
fn bad_rotas_and_routes_are_refused_where_they_are_written() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!("{BASE}\n[[alerts.routes]]\nto = [\"pager\"]\n"),
            "\"pager\"",
            "unknown receiver 'pager'",
        ),
        (
            format!("{BASE}\n[[alerts.routes]]\nto = [\"oncall\"]\n"),
            "\"oncall\"",
            "without an [oncall] rota",
        ),
        (
            format!("{BASE}\n[[alerts.routes]]\nseverity = [\"urgent\"]\nto = [\"chat\"]\n"),
            "\"urgent\"",
            "expected critical, warning or info",
        ),
        (
            ROTA.replace(
                "receivers = [\"bruno-phone\"]",
                "receivers = [\"bruno-pager\"]",
            ) + BASE,
            "\"bruno-pager\"",
            "unknown receiver 'bruno-pager'",
        ),
        (
            format!("{BASE}{ROTA}").replace("order = [\"Alix\", \"Bruno\"]", "order = [\"Alix\"]"),
            "[[oncall.members]]\nname = \"Bruno\"",
            "member 'Bruno' is missing from the order",
        ),
        (
            format!("{BASE}{ROTA}").replace("order = [\"Alix\", \"Bruno\"]", "order = []"),
            "[]",
            "gap",
        ),
        (
            format!(
                "{BASE}{ROTA}\n[[oncall.overrides]]\nmember = \"Camille\"\nfrom = \"2026-12-24\"\nto = \"2026-12-26\"\n"
            ),
            "\"Camille\"",
            "override for 'Camille' is not a member",
        ),
        (
            format!(
                "{BASE}{ROTA}\n[[oncall.overrides]]\nmember = \"Alix\"\nfrom = \"2026-12-24\"\nto = \"2026-12-26\"\n\n[[oncall.overrides]]\nmember = \"Bruno\"\nfrom = \"2026-12-26\"\nto = \"2026-12-28\"\n"
            ),
            "\"2026-12-26\"\nto = \"2026-12-28\"",
            "overlaps the one for 'Alix'",
        ),
        (
            format!("{BASE}{ROTA}").replace("start = \"2026-03-02\"", "start = \"2 March\""),
            "\"2 March\"",
            "expected YYYY-MM-DD",
        ),
    ];
    for (text, at, want) in cases {
        let errs = errors(&text);
        assert_eq!(errs.len(), 1, "{want}: {errs:?}");
        let line = line_of(&text, at);
        assert!(
            errs[0].starts_with(&format!("{line}:")) && errs[0].contains(want),
            "expected line {line} and '{want}', got {errs:?}"
        );
    }
}

#[test]
fn the_demo_has_a_rota_and_routes() {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 9));
    let c = match crate::demo::config_for(addr) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let rota = c
        .paging
        .rota
        .unwrap_or_else(|| panic!("the demo has no rota"));
    assert_eq!(rota.members.len(), 3);
    assert_eq!(c.paging.routing.routes.len(), 3);
    // Christmas: Sam covers, whoever's turn it is.
    let christmas = chrono::DateTime::parse_from_rfc3339("2026-12-25T03:00:00+01:00")
        .map(|t| t.to_utc())
        .unwrap_or_else(|e| panic!("{e}"));
    let s = rota
        .on_call(christmas)
        .map(|s| rota.members[s.member].name.clone());
    assert_eq!(s.as_deref(), Some("Sam"));
}
