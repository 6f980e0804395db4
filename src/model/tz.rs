//! Local wall-clock times to instants: the one rule every part of Vigie
//! uses (maintenance windows, backup schedules, support hours), so a time
//! in a DST change means the same thing everywhere.
//!
//! The rule is RFC 5545's (section 3.3.5, "DATE-TIME"): a local time the
//! clocks skip (spring gap) is read with the UTC offset in force before the
//! gap, so it lands as far after the gap as it was into it (02:30 in Paris
//! on the last Sunday of March is 03:30 CEST); a local time that happens
//! twice (autumn fold) is its first occurrence.
//!
//! Whose rules: the system's tzdata when it was loaded (a [`ZoneTable`]
//! read from `/usr/share/zoneinfo` by `sources::zoneinfo` and installed
//! process-wide), else the rules embedded at build time (chrono-tz,
//! tzdata 2025b). The system's win because Debian updates them without a
//! rebuild: zones changed in 2026 (British Columbia, Alberta, Morocco,
//! Moldova) are right as soon as the machine's tzdata is.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::tzif::ZoneRules;

/// Zones' rules by IANA name (`Europe/Paris`), read from a tzdata directory.
pub type ZoneTable = BTreeMap<String, Arc<ZoneRules>>;

/// The system's zones, once loaded; empty until then.
static SYSTEM: RwLock<ZoneTable> = RwLock::new(BTreeMap::new());

/// Makes `zones` the process's rules for these zones (others keep theirs).
pub fn install(zones: ZoneTable) {
    if let Ok(mut table) = SYSTEM.write() {
        table.extend(zones);
    }
}

/// The system rules of `tz`, if loaded.
fn system(tz: Tz) -> Option<Arc<ZoneRules>> {
    SYSTEM.read().ok()?.get(tz.name()).cloned()
}

/// How a local time maps onto instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalReading {
    /// Exactly one instant.
    Single(DateTime<Utc>),
    /// The clocks fell back: the time happened twice.
    Twice(DateTime<Utc>, DateTime<Utc>),
    /// The clocks jumped over it; `read_as` is the RFC 5545 reading (the
    /// offset before the gap), which lands after the gap.
    Missing { read_as: DateTime<Utc> },
}

impl LocalReading {
    /// The instant RFC 5545 gives this local time.
    pub fn instant(self) -> DateTime<Utc> {
        match self {
            LocalReading::Single(t) | LocalReading::Twice(t, _) => t,
            LocalReading::Missing { read_as } => read_as,
        }
    }
}

/// Reads `t` in `tz`, saying whether it was skipped or repeated, by the
/// system's rules for `tz` if they were loaded, else the embedded ones.
pub fn read(tz: Tz, t: NaiveDateTime) -> LocalReading {
    match system(tz) {
        Some(rules) => read_with(&|l| by_rules(&rules, l), t),
        None => read_with(&|l| embedded(tz, l), t),
    }
}

/// Reads `t` by the rules of `zones` when they hold `tz`, else the
/// embedded ones: [`read`] with the zone source as a parameter.
pub fn read_in(zones: &ZoneTable, tz: Tz, t: NaiveDateTime) -> LocalReading {
    match zones.get(tz.name()) {
        Some(rules) => read_with(&|l| by_rules(rules, l), t),
        None => read_with(&|l| embedded(tz, l), t),
    }
}

/// The instants at which clocks show a local time, earliest first.
type Instants = Vec<DateTime<Utc>>;

fn embedded(tz: Tz, t: NaiveDateTime) -> Instants {
    match tz.from_local_datetime(&t) {
        chrono::LocalResult::Single(x) => vec![x.with_timezone(&Utc)],
        chrono::LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
            vec![a.min(b), a.max(b)]
        }
        chrono::LocalResult::None => Vec::new(),
    }
}

fn by_rules(rules: &ZoneRules, t: NaiveDateTime) -> Instants {
    rules
        .instants_of(t)
        .into_iter()
        .filter_map(|s| DateTime::from_timestamp(s, 0))
        .map(|d| d + TimeDelta::nanoseconds(i64::from(t.and_utc().timestamp_subsec_nanos())))
        .collect()
}

fn read_with(zone: &dyn Fn(NaiveDateTime) -> Instants, t: NaiveDateTime) -> LocalReading {
    let found = zone(t);
    match found.as_slice() {
        [one] => LocalReading::Single(*one),
        [first, .., last] => LocalReading::Twice(*first, *last),
        [] => {
            // Walk back to a time that exists and keep its offset.
            let mut back = TimeDelta::minutes(15);
            while back <= TimeDelta::hours(25) {
                if let Some(before) = zone(t - back).first() {
                    return LocalReading::Missing {
                        read_as: *before + back,
                    };
                }
                back += TimeDelta::minutes(15);
            }
            // No zone has a gap this long; read it as UTC rather than panic.
            LocalReading::Missing {
                read_as: t.and_utc(),
            }
        }
    }
}

/// The instant of local time `t` in `tz` by the RFC 5545 rule.
pub fn instant(tz: Tz, t: NaiveDateTime) -> DateTime<Utc> {
    read(tz, t).instant()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::Montreal;
    use chrono_tz::Europe::Paris;

    fn n(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn u(s: &str) -> DateTime<Utc> {
        n(s).and_utc()
    }

    #[test]
    fn spring_gaps_and_autumn_folds_in_paris_and_montreal() {
        // (zone, local time, reading)
        let table = [
            // Paris, 29 Mar 2026: 02:00 CET -> 03:00 CEST.
            (
                Paris,
                "2026-03-29 01:59",
                LocalReading::Single(u("2026-03-29 00:59")),
            ),
            (
                Paris,
                "2026-03-29 02:00",
                LocalReading::Missing {
                    read_as: u("2026-03-29 01:00"),
                },
            ),
            (
                Paris,
                "2026-03-29 02:30",
                LocalReading::Missing {
                    read_as: u("2026-03-29 01:30"),
                },
            ),
            (
                Paris,
                "2026-03-29 03:00",
                LocalReading::Single(u("2026-03-29 01:00")),
            ),
            // Paris, 25 Oct 2026: 03:00 CEST -> 02:00 CET.
            (
                Paris,
                "2026-10-25 02:30",
                LocalReading::Twice(u("2026-10-25 00:30"), u("2026-10-25 01:30")),
            ),
            (
                Paris,
                "2026-10-25 03:00",
                LocalReading::Single(u("2026-10-25 02:00")),
            ),
            // Montreal, 8 Mar 2026: 02:00 EST -> 03:00 EDT.
            (
                Montreal,
                "2026-03-08 02:30",
                LocalReading::Missing {
                    read_as: u("2026-03-08 07:30"),
                },
            ),
            (
                Montreal,
                "2026-03-08 03:00",
                LocalReading::Single(u("2026-03-08 07:00")),
            ),
            // Montreal, 1 Nov 2026: 02:00 EDT -> 01:00 EST.
            (
                Montreal,
                "2026-11-01 01:30",
                LocalReading::Twice(u("2026-11-01 05:30"), u("2026-11-01 06:30")),
            ),
            (
                Montreal,
                "2026-11-01 02:00",
                LocalReading::Single(u("2026-11-01 07:00")),
            ),
        ];
        for (tz, local, want) in table {
            assert_eq!(read(tz, n(local)), want, "{local} in {tz}");
        }
        // The instant: after the gap by as much as the time was into it;
        // the first of the two in a fold.
        assert_eq!(instant(Paris, n("2026-03-29 02:30")), u("2026-03-29 01:30"));
        assert_eq!(instant(Paris, n("2026-10-25 02:30")), u("2026-10-25 00:30"));
        assert_eq!(
            instant(Montreal, n("2026-03-08 02:30")),
            u("2026-03-08 07:30")
        );
        assert_eq!(
            instant(Montreal, n("2026-11-01 01:30")),
            u("2026-11-01 05:30")
        );
    }
}
