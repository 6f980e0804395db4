//! The value types of the configuration (durations, times, opening hours,
//! timezones, weekdays, environment kinds) and their `Deserialize`
//! implementations. A bad value fails inside the deserializer, so the error
//! carries the span of the value and the user sees where it is.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use chrono::Weekday;
use chrono_tz::Tz;
use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use toml::Spanned;

use crate::model::{DayHours, EnvKind, TimeOfDay};

/// Parses a duration written as whole numbers of days, hours, minutes,
/// seconds and milliseconds, largest unit first, each unit at most once:
/// `30s`, `5m`, `2h`, `1d`, `1h30m`, `500ms`, `1s500ms`. Returns `None` for
/// anything else (no spaces, no fractions, no bare numbers).
pub fn parse_duration(s: &str) -> Option<Duration> {
    const UNITS: [(&str, u64); 5] = [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    let mut rest = s;
    let mut total: u64 = 0;
    // Index in UNITS of the next unit allowed: enforces order and uniqueness.
    let mut next_unit = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let number: u64 = rest[..digits].parse().ok()?;
        let after = &rest[digits..];
        // The unit runs to the next digit: `m` and `ms` are told apart.
        let len = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let unit = &after[..len];
        let position = UNITS[next_unit..].iter().position(|(u, _)| *u == unit)?;
        let millis = UNITS[next_unit + position].1;
        total = total.checked_add(number.checked_mul(millis)?)?;
        next_unit += position + 1;
        rest = &after[len..];
    }
    Some(Duration::from_millis(total))
}

/// Writes a duration the way the configuration spells it (`1h30m`, `0s`,
/// `250ms`).
pub(crate) fn format_duration(d: Duration) -> String {
    let mut millis = d.as_millis();
    if millis == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, size) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        if millis >= size {
            out.push_str(&format!("{}{unit}", millis / size));
            millis %= size;
        }
    }
    out
}

/// A value written as a TOML string and parsed by `parse_value`; the error
/// message becomes the diagnostic, `EXPECTING` is used when the value is not
/// a string at all.
trait StrValue: Sized {
    const EXPECTING: &'static str;
    fn parse_value(s: &str) -> Result<Self, String>;
}

struct StrVisitor<T>(PhantomData<T>);

impl<T: StrValue> Visitor<'_> for StrVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        T::parse_value(s).map_err(E::custom)
    }
}

macro_rules! deserialize_from_str {
    ($($t:ty),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(StrVisitor::<$t>(PhantomData))
            }
        }
    )*};
}

deserialize_from_str!(
    DurationValue,
    TimeValue,
    DayValue,
    TimezoneValue,
    WeekdayValue,
    EnvKindValue
);

/// A duration such as `30s` or `1h30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DurationValue(pub Duration);

impl StrValue for DurationValue {
    const EXPECTING: &'static str = "a duration like 500ms, 30s, 5m, 2h or 1d";
    fn parse_value(s: &str) -> Result<Self, String> {
        parse_duration(s).map(DurationValue).ok_or_else(|| {
            format!(
                "invalid duration '{s}', expected a duration like 500ms, 30s, 5m, 2h, 1d or 1h30m"
            )
        })
    }
}

/// A wall-clock time `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimeValue(pub TimeOfDay);

impl StrValue for TimeValue {
    const EXPECTING: &'static str = "a time HH:MM";
    fn parse_value(s: &str) -> Result<Self, String> {
        TimeOfDay::parse(s)
            .filter(|_| s.len() == 5)
            .map(TimeValue)
            .ok_or_else(|| {
                format!("invalid time '{s}', expected a time HH:MM between 00:00 and 24:00")
            })
    }
}

/// One day of opening hours: `"09:00-20:00"` or `"closed"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DayValue(pub DayHours);

impl StrValue for DayValue {
    const EXPECTING: &'static str = "opening hours like \"09:00-20:00\" or \"closed\"";
    fn parse_value(s: &str) -> Result<Self, String> {
        if s == "closed" {
            return Ok(DayValue(DayHours::Closed));
        }
        let bad = || {
            format!(
                "invalid opening hours '{s}', expected \"HH:MM-HH:MM\" like \"09:00-20:00\", or \"closed\""
            )
        };
        let (open, close) = s.split_once('-').ok_or_else(bad)?;
        let open = TimeValue::parse_value(open).map_err(|_| bad())?.0;
        let close = TimeValue::parse_value(close).map_err(|_| bad())?.0;
        if close <= open {
            return Err(format!(
                "invalid opening hours '{s}': closes at or before it opens, expected the opening time first"
            ));
        }
        Ok(DayValue(DayHours::Open { open, close }))
    }
}

/// An IANA timezone name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimezoneValue(pub Tz);

impl StrValue for TimezoneValue {
    const EXPECTING: &'static str = "an IANA timezone name like Europe/Paris";
    fn parse_value(s: &str) -> Result<Self, String> {
        s.parse::<Tz>()
            .map(TimezoneValue)
            .map_err(|_| format!("unknown timezone '{s}', expected an IANA name like Europe/Paris"))
    }
}

/// A weekday, `mon` to `sun`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WeekdayValue(pub Weekday);

impl StrValue for WeekdayValue {
    const EXPECTING: &'static str = "a weekday: mon, tue, wed, thu, fri, sat or sun";
    fn parse_value(s: &str) -> Result<Self, String> {
        let day = match s {
            "mon" => Weekday::Mon,
            "tue" => Weekday::Tue,
            "wed" => Weekday::Wed,
            "thu" => Weekday::Thu,
            "fri" => Weekday::Fri,
            "sat" => Weekday::Sat,
            "sun" => Weekday::Sun,
            _ => {
                return Err(format!(
                    "invalid weekday '{s}', expected one of mon, tue, wed, thu, fri, sat, sun"
                ));
            }
        };
        Ok(WeekdayValue(day))
    }
}

/// The key of an environment table: `prod`, `preprod` or `dev`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EnvKindValue(pub EnvKind);

impl StrValue for EnvKindValue {
    const EXPECTING: &'static str = "an environment kind: prod, preprod or dev";
    fn parse_value(s: &str) -> Result<Self, String> {
        EnvKind::parse(s)
            .map(EnvKindValue)
            .ok_or_else(|| format!("unknown environment '{s}', expected prod, preprod or dev"))
    }
}

/// An amount of money (a price, rate, fee or percent of a fee): a TOML
/// number or a string holding one. The validator reads a number again from
/// the file's text ([`crate::model::money::parse`]), so `0.145` is exactly
/// 0.145 and never the nearest binary float.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AmountValue(pub crate::model::money::Decimal);

impl<'de> Deserialize<'de> for AmountValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AmountVisitor;

        impl Visitor<'_> for AmountVisitor {
            type Value = AmountValue;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an amount like 120, 0.145 or \"0.145\"")
            }

            fn visit_i64<E: de::Error>(self, n: i64) -> Result<AmountValue, E> {
                Ok(AmountValue(n.into()))
            }

            fn visit_u64<E: de::Error>(self, n: u64) -> Result<AmountValue, E> {
                Ok(AmountValue(n.into()))
            }

            // Only a stand-in: the validator replaces it with the number as
            // written in the file.
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<AmountValue, E> {
                crate::model::money::parse(&x.to_string())
                    .map(AmountValue)
                    .ok_or_else(|| {
                        E::custom(format!(
                            "invalid amount {x}, expected a number like 120 or 0.145"
                        ))
                    })
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<AmountValue, E> {
                crate::model::money::parse(s)
                    .map(AmountValue)
                    .ok_or_else(|| {
                        E::custom(format!(
                            "invalid amount '{s}', expected a number like 120 or 0.145"
                        ))
                    })
            }
        }

        d.deserialize_any(AmountVisitor)
    }
}

/// `holidays`: one string (`"FR"`) or an array of strings (presets and
/// dates), each entry with its span when the array gives one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HolidayList(pub Vec<(Option<std::ops::Range<usize>>, String)>);

impl<'de> Deserialize<'de> for HolidayList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ListVisitor;

        impl<'de> Visitor<'de> for ListVisitor {
            type Value = HolidayList;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a country like \"FR\" or an array of countries and dates")
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<HolidayList, E> {
                Ok(HolidayList(vec![(None, s.to_string())]))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<HolidayList, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = seq.next_element::<Spanned<String>>()? {
                    let span = entry.span();
                    out.push((Some(span), entry.into_inner()));
                }
                Ok(HolidayList(out))
            }
        }

        d.deserialize_any(ListVisitor)
    }
}

/// A TOML table read in file order, each key with its span (for
/// cross-reference messages). The parser does not keep the order of keys, so
/// entries are sorted by where their key appears in the file.
#[derive(Debug)]
pub(crate) struct OrderedMap<K, V>(pub Vec<(Spanned<K>, V)>);

impl<K, V> Default for OrderedMap<K, V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<K, V> OrderedMap<K, V> {
    pub fn iter(&self) -> impl Iterator<Item = (&Spanned<K>, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<K, V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapVisitor<K, V>(PhantomData<(K, V)>);

        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for MapVisitor<K, V> {
            type Value = OrderedMap<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(Spanned<K>, V)> = Vec::new();
                while let Some(key) = map.next_key::<Spanned<K>>()? {
                    let value = map.next_value()?;
                    entries.push((key, value));
                }
                entries.sort_by_key(|(k, _)| k.span().start);
                Ok(OrderedMap(entries))
            }
        }

        d.deserialize_map(MapVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_each_unit() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7_200)));
        assert_eq!(parse_duration("1d"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
    }

    #[test]
    fn durations_take_milliseconds() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(
            parse_duration("1s500ms"),
            Some(Duration::from_millis(1_500))
        );
        assert_eq!(
            parse_duration("1m30s5ms"),
            Some(Duration::from_millis(90_005))
        );
        for bad in [
            "500 ms", "500MS", "5ms1s", "1ms1ms", "1.5ms", "ms", "1mss", "1sm",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?} should not parse");
        }
    }

    #[test]
    fn durations_combine_units_largest_first() {
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5_400)));
        assert_eq!(
            parse_duration("1d2h3m4s"),
            Some(Duration::from_secs(93_784))
        );
        assert_eq!(parse_duration("90m"), Some(Duration::from_secs(5_400)));
    }

    #[test]
    fn durations_reject_what_is_ambiguous_or_malformed() {
        for bad in [
            "",
            "30",
            "s",
            "30 s",
            " 30s",
            "30s ",
            "1.5h",
            "-5m",
            "+5m",
            "30S",
            "30sec",
            "5m1h",
            "1h1h",
            "1h 30m",
            "1w",
            "１s",
            "99999999999999999999s",
            "999999999999999999d",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?} should not parse");
        }
    }

    #[test]
    fn durations_are_written_back_as_parsed() {
        for s in [
            "0s", "30s", "5m", "2h", "1d", "1h30m", "1d2h3m4s", "250ms", "1s500ms",
        ] {
            let d = parse_duration(s).unwrap();
            assert_eq!(format_duration(d), s);
        }
    }

    #[test]
    fn times_need_two_digit_hours_and_minutes() {
        assert_eq!(
            TimeValue::parse_value("09:30").unwrap().0,
            TimeOfDay::new(9, 30).unwrap()
        );
        assert_eq!(TimeValue::parse_value("24:00").unwrap().0.minutes, 1440);
        for bad in ["9:30", "09:3", "24:01", "25:00", "09h30", "", "09:30:00"] {
            assert!(
                TimeValue::parse_value(bad).is_err(),
                "{bad:?} should not parse"
            );
        }
    }

    #[test]
    fn opening_hours_are_a_range_or_closed() {
        assert_eq!(DayValue::parse_value("closed").unwrap().0, DayHours::Closed);
        assert_eq!(
            DayValue::parse_value("09:00-20:00").unwrap().0,
            DayHours::Open {
                open: TimeOfDay::new(9, 0).unwrap(),
                close: TimeOfDay::new(20, 0).unwrap()
            }
        );
        assert_eq!(
            DayValue::parse_value("20:00-09:00").unwrap_err(),
            "invalid opening hours '20:00-09:00': closes at or before it opens, expected the opening time first"
        );
        for bad in [
            "Closed",
            "09:00 - 20:00",
            "09:00",
            "9-20",
            "09:00-20:00-21:00",
            "09:00-09:00",
        ] {
            assert!(
                DayValue::parse_value(bad).is_err(),
                "{bad:?} should not parse"
            );
        }
    }

    #[test]
    fn timezones_are_iana_names() {
        assert_eq!(
            TimezoneValue::parse_value("Europe/Paris").unwrap().0,
            chrono_tz::Europe::Paris
        );
        assert_eq!(
            TimezoneValue::parse_value("Europe/Pari").unwrap_err(),
            "unknown timezone 'Europe/Pari', expected an IANA name like Europe/Paris"
        );
    }

    #[test]
    fn weekdays_are_three_lowercase_letters() {
        assert_eq!(WeekdayValue::parse_value("wed").unwrap().0, Weekday::Wed);
        for bad in ["Wed", "wednesday", "we", ""] {
            assert!(
                WeekdayValue::parse_value(bad).is_err(),
                "{bad:?} should not parse"
            );
        }
    }

    #[test]
    fn environment_kinds_are_prod_preprod_dev() {
        assert_eq!(
            EnvKindValue::parse_value("preprod").unwrap().0,
            EnvKind::Preprod
        );
        assert_eq!(
            EnvKindValue::parse_value("staging").unwrap_err(),
            "unknown environment 'staging', expected prod, preprod or dev"
        );
    }
}
