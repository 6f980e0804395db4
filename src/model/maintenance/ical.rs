//! RFC 5545 export, so a client's calendar follows the windows: one
//! VTIMEZONE per zone (its real transitions over the years the windows
//! span), one VEVENT per window with its stable UID, DTSTAMP (last change),
//! SEQUENCE (raised on every change) and STATUS (CANCELLED on cancel).

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::{OffsetComponents, Tz};

use super::local::{self, LocalReading};
use super::{MaintenanceWindow, WindowState};

/// One window to export, with the zone its times are written in and a
/// description (who is affected).
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub window: &'a MaintenanceWindow,
    pub timezone: Tz,
    pub description: String,
}

/// The whole calendar, lines ended by CRLF and folded at 75 octets.
pub fn calendar(entries: &[Entry], name: &str) -> String {
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        "PRODID:-//Vigie//Maintenance windows//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        format!("X-WR-CALNAME:{}", text(name)),
    ];
    let zones: BTreeSet<&str> = entries.iter().map(|e| e.timezone.name()).collect();
    for zone in zones {
        let Ok(tz) = zone.parse::<Tz>() else { continue };
        let years: Vec<i32> = entries
            .iter()
            .filter(|e| e.timezone == tz)
            .flat_map(|e| [e.window.start.year(), e.window.end.year()])
            .collect();
        let (Some(first), Some(last)) = (years.iter().min(), years.iter().max()) else {
            continue;
        };
        vtimezone(tz, first - 1, last + 1, &mut lines);
    }
    for e in entries {
        vevent(e, &mut lines);
    }
    lines.push("END:VCALENDAR".into());
    let mut out = String::new();
    for l in lines {
        fold(&l, &mut out);
    }
    out
}

fn status(s: WindowState) -> &'static str {
    match s {
        WindowState::Planned => "TENTATIVE",
        WindowState::Cancelled => "CANCELLED",
        _ => "CONFIRMED",
    }
}

fn utc_stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// `DTSTART;TZID=Europe/Paris:20261202T220000`, or UTC when the local time
/// would not read back as the same instant (the second of a time that
/// happens twice).
fn zoned(name: &str, t: DateTime<Utc>, tz: Tz) -> String {
    let l = local::local(tz, t);
    if matches!(local::read(tz, l), LocalReading::Single(x) | LocalReading::Twice(x, _) if x == t) {
        format!("{name};TZID={}:{}", tz.name(), l.format("%Y%m%dT%H%M%S"))
    } else {
        format!("{name}:{}", utc_stamp(t))
    }
}

fn vevent(e: &Entry, lines: &mut Vec<String>) {
    let w = e.window;
    lines.push("BEGIN:VEVENT".into());
    lines.push(format!("UID:{}", text(&w.uid)));
    lines.push(format!("DTSTAMP:{}", utc_stamp(w.stamp)));
    lines.push(format!("CREATED:{}", utc_stamp(w.created)));
    lines.push(format!("LAST-MODIFIED:{}", utc_stamp(w.stamp)));
    lines.push(format!("SEQUENCE:{}", w.sequence));
    lines.push(zoned("DTSTART", w.start, e.timezone));
    lines.push(zoned("DTEND", w.end, e.timezone));
    lines.push(format!(
        "SUMMARY:{}",
        text(&format!("Maintenance: {}", w.title))
    ));
    lines.push(format!("DESCRIPTION:{}", text(&e.description)));
    lines.push(format!(
        "CATEGORIES:MAINTENANCE,{}",
        w.kind.label().to_uppercase()
    ));
    lines.push(format!("STATUS:{}", status(w.state)));
    lines.push("TRANSP:OPAQUE".into());
    lines.push("END:VEVENT".into());
}

fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
}

/// The zone's transitions from `first` to `last` (years), found by day and
/// then to the minute.
fn vtimezone(tz: Tz, first: i32, last: i32, lines: &mut Vec<String>) {
    let offset = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc());
    let seconds = |t: DateTime<Utc>| offset(t).fix().local_minus_utc();
    let start = NaiveDate::from_ymd_opt(first, 1, 1).map(|d| d.and_hms_opt(0, 0, 0));
    let end = NaiveDate::from_ymd_opt(last + 1, 1, 1).map(|d| d.and_hms_opt(0, 0, 0));
    let (Some(Some(start)), Some(Some(end))) = (start, end) else {
        return;
    };
    let (start, end) = (start.and_utc(), end.and_utc());
    lines.push("BEGIN:VTIMEZONE".into());
    lines.push(format!("TZID:{}", tz.name()));
    let mut observances = Vec::new();
    let mut t = start;
    while t < end {
        let next = t + TimeDelta::days(1);
        if seconds(t) != seconds(next) {
            // The change lies in (t, next]: narrow it to the minute.
            let minute = |m: i64| t + TimeDelta::minutes(m);
            let (mut lo, mut hi) = (0i64, 24 * 60);
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if seconds(minute(mid)) == seconds(t) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            observances.push((minute(hi), seconds(minute(lo)), seconds(minute(hi))));
        }
        t = next;
    }
    if observances.is_empty() {
        let s = seconds(start);
        observances.push((DateTime::<Utc>::UNIX_EPOCH, s, s));
    }
    for (at, from, to) in observances {
        let o = offset(at);
        let kind = if o.dst_offset().num_seconds() != 0 {
            "DAYLIGHT"
        } else {
            "STANDARD"
        };
        let local_start = at.naive_utc() + TimeDelta::seconds(from.into());
        lines.push(format!("BEGIN:{kind}"));
        lines.push(format!("DTSTART:{}", local_start.format("%Y%m%dT%H%M%S")));
        lines.push(format!("TZOFFSETFROM:{}", offset_text(from)));
        lines.push(format!("TZOFFSETTO:{}", offset_text(to)));
        lines.push(format!("TZNAME:{o}"));
        lines.push(format!("END:{kind}"));
    }
    lines.push("END:VTIMEZONE".into());
}

/// TEXT escaping (RFC 5545 3.3.11); control characters are dropped.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded at 75 octets (never inside a character), CRLF.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_without_splitting_characters() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "é".repeat(60));
        fold(&line, &mut out);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{l}");
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{line}\r\n"));
    }

    #[test]
    fn text_escapes_separators() {
        assert_eq!(text("a,b;c\\d\ne\u{1b}"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn offsets_are_signed_hours_and_minutes() {
        assert_eq!(offset_text(3600), "+0100");
        assert_eq!(offset_text(-16200), "-0430");
    }
}
