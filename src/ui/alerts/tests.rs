use chrono::{TimeDelta, TimeZone, Utc};

use super::editor::Form;
use crate::model::attention::{Domain, Severity};

fn fleet() -> crate::model::Fleet {
    let addr = "127.0.0.1:9".parse().unwrap_or_else(|e| panic!("{e}"));
    crate::demo::config_for(addr)
        .unwrap_or_else(|e| panic!("{e}"))
        .fleet
}

#[test]
fn command_words_and_form_lines_say_the_same_silence() {
    let words = Form::from_words("client=velo check=node for 90m nightly restore test");
    let lines = Form::from_text(&words.to_text());
    assert_eq!(words, lines);
    assert_eq!(words.client, "velo");
    assert_eq!(words.check, "node");
    assert_eq!(words.length, "90m");
    assert_eq!(words.comment, "nightly restore test");
    assert!(words.complete());
    // A line the form does not know continues the comment.
    let f = Form::from_text("host: mutu-1\nfor: 1h\ncomment: move\nto the new server");
    assert_eq!(f.comment, "move to the new server");
}

#[test]
fn a_silence_is_judged_before_it_is_written() {
    let fleet = fleet();
    let now = Utc
        .with_ymd_and_hms(2026, 12, 7, 22, 0, 0)
        .single()
        .unwrap_or_default();
    let cases = [
        ("for 2h why", "say what to silence"),
        ("client=nobody for 2h why", "unknown client 'nobody'"),
        ("domain=dns for 2h why", "domain 'dns': one of checks"),
        ("severity=high for 2h why", "severity 'high'"),
        ("host=mutu-1 for soon why", "for 'soon'"),
        ("host=mutu-1 for 2h", "needs a comment"),
    ];
    for (args, why) in cases {
        let err = Form::from_words(args)
            .silence(&fleet, "ann", now)
            .err()
            .unwrap_or_default();
        assert!(err.contains(why), "{args}: {err}");
    }
    let s = Form::from_words("client=velo domain=checks severity=warning for 2h planned")
        .silence(&fleet, "ann", now)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.client.as_deref(), Some("velo"));
    assert_eq!(s.host, None);
    assert_eq!(s.domain, Some(Domain::Checks));
    assert_eq!(s.severity, Some(Severity::Warning));
    assert_eq!((s.start, s.end), (now, now + TimeDelta::hours(2)));
    assert_eq!((s.author.as_str(), s.comment.as_str()), ("ann", "planned"));
}
