//! `vigie oncall [--at TIME]`: who is on call now (or at TIME) and who
//! takes over next, from the `[oncall]` rota, in the display timezone.

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::setup::{self, NoConfig};
use super::{Cli, CliError};
use crate::model::paging::Rota;
use crate::sanitize;

pub async fn run(cli: &Cli, at: Option<&str>) -> Result<u8, CliError> {
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let Some(rota) = setup.config.paging.rota.as_ref() else {
        return Err(CliError::input(
            "no [oncall] rota in the configuration: add one (see assets/vigie.example.toml)",
        ));
    };
    let now = match at {
        Some(text) => moment(text, setup.tz)?,
        None => Utc::now(),
    };
    print!("{}", describe(rota, now, setup.tz));
    Ok(0)
}

/// `--at`: RFC 3339, or `YYYY-MM-DD HH:MM` in the display timezone.
fn moment(text: &str, tz: Tz) -> Result<DateTime<Utc>, CliError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M")
        .map(|t| crate::model::tz::instant(tz, t))
        .map_err(|_| {
            CliError::input(format!(
                "--at {}: expected YYYY-MM-DD HH:MM (in {}) or an RFC 3339 time",
                sanitize::clean_short(text, 40),
                tz.name()
            ))
        })
}

fn stamp(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%a %-d %b %H:%M").to_string()
}

/// Two lines: who is on call at `now` and until when, then who is next.
pub fn describe(rota: &Rota, now: DateTime<Utc>, tz: Tz) -> String {
    let name = |i: usize| {
        rota.members
            .get(i)
            .map_or("?".to_string(), |m| sanitize::clean_short(&m.name, 40))
    };
    let mut out = String::new();
    let next = rota.next(now);
    match rota.on_call(now) {
        Some(s) => {
            // An override by the one whose turn follows runs on: say when
            // someone else takes over.
            let until = next.map_or(s.until, |n| n.from);
            let covering = if s.covering { " (covering)" } else { "" };
            out.push_str(&format!(
                "On call ({}): {}{covering}, until {}\n",
                tz.name(),
                name(s.member),
                stamp(until, tz)
            ));
        }
        None => out.push_str("On call: no one (the rota's order is empty)\n"),
    }
    if let Some(n) = next {
        out.push_str(&format!(
            "Next: {}, from {} to {}\n",
            name(n.member),
            stamp(n.from, tz),
            stamp(n.until, tz)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_rota_says_who_now_and_next() {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 9));
        let c = crate::demo::config_for(addr).unwrap_or_else(|e| panic!("{e}"));
        let rota = c.paging.rota.unwrap_or_else(|| panic!("no rota"));
        let paris = chrono_tz::Europe::Paris;
        let cases = [
            // 2026-01-05 is Léa's first Monday; 12 Jan 09:00 Malik takes over.
            (
                "2026-01-07T12:00:00Z",
                "On call (Europe/Paris): Léa, until Mon 12 Jan 09:00\nNext: Malik, from Mon 12 Jan 09:00 to Mon 19 Jan 09:00\n",
            ),
            (
                "2026-12-25T02:00:00Z",
                "On call (Europe/Paris): Sam (covering), until Mon 28 Dec 09:00\nNext: Léa, from Mon 28 Dec 09:00 to Mon 4 Jan 09:00\n",
            ),
        ];
        for (at, want) in cases {
            let now = moment(at, paris).unwrap_or_else(|e| panic!("{}", e.message));
            assert_eq!(describe(&rota, now, paris), want, "at {at}");
        }
        let local = moment("2026-01-12 08:59", paris).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(rota.header_words(local).as_deref(), Some("on call: Léa"));
        assert!(moment("tomorrow", paris).is_err());
    }
}
