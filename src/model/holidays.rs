//! Public holidays: a country's preset, computed for any year (fixed days
//! plus the days that move with Easter), and dates a contract lists.
//!
//! Presets (the days offices close, as the law of each place lists them):
//! - `FR`: 1 Jan, Easter Monday, 1 May, 8 May, Ascension, Whit Monday,
//!   14 Jul, 15 Aug, 1 Nov, 11 Nov, 25 Dec (metropolitan France; Alsace-
//!   Moselle's Good Friday and 26 Dec are listed as dates).
//! - `BE`: 1 Jan, Easter Monday, 1 May, Ascension, Whit Monday, 21 Jul,
//!   15 Aug, 1 Nov, 11 Nov, 25 Dec (the ten legal holidays).
//! - `CH`: the federal day (1 Aug) and the days the cantons share: 1 Jan,
//!   Good Friday, Easter Monday, Ascension, Whit Monday, 25 Dec (kept in
//!   Geneva, Vaud, Neuchâtel, Bern, Zurich, Basel...; Valais and Ticino
//!   differ). Cantonal days (2 Jan, Jeûne genevois, 26 Dec...) are dates.
//! - `CA-QC`: 1 Jan, Good Friday (the employer's choice between it and
//!   Easter Monday), National Patriots' Day (the Monday before 25 May),
//!   24 Jun (25 Jun when the 24th is a Sunday), 1 Jul (2 Jul when a
//!   Sunday), Labour Day (first Monday of September), Thanksgiving (second
//!   Monday of October), 25 Dec.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// A country (or province) whose holidays Vigie knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Country {
    France,
    Belgium,
    Switzerland,
    Quebec,
}

impl Country {
    /// The codes a configuration names presets by.
    pub const CODES: [(&'static str, Country); 4] = [
        ("FR", Country::France),
        ("BE", Country::Belgium),
        ("CH", Country::Switzerland),
        ("CA-QC", Country::Quebec),
    ];

    pub fn parse(code: &str) -> Option<Country> {
        Self::CODES
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(code))
            .map(|(_, k)| *k)
    }

    pub fn code(self) -> &'static str {
        Self::CODES
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("", |(c, _)| c)
    }

    /// The country's holidays in `year`, in date order.
    pub fn days(self, year: i32) -> Vec<NaiveDate> {
        let Some(easter) = easter(year) else {
            return Vec::new();
        };
        let after = |n: i64| {
            if n >= 0 {
                easter.checked_add_days(Days::new(n.unsigned_abs()))
            } else {
                easter.checked_sub_days(Days::new(n.unsigned_abs()))
            }
        };
        let on = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d);
        let (good_friday, easter_monday, ascension, whit_monday) =
            (after(-2), after(1), after(39), after(50));
        let days = match self {
            Country::France => vec![
                on(1, 1),
                easter_monday,
                on(5, 1),
                on(5, 8),
                ascension,
                whit_monday,
                on(7, 14),
                on(8, 15),
                on(11, 1),
                on(11, 11),
                on(12, 25),
            ],
            Country::Belgium => vec![
                on(1, 1),
                easter_monday,
                on(5, 1),
                ascension,
                whit_monday,
                on(7, 21),
                on(8, 15),
                on(11, 1),
                on(11, 11),
                on(12, 25),
            ],
            Country::Switzerland => vec![
                on(1, 1),
                good_friday,
                easter_monday,
                ascension,
                whit_monday,
                on(8, 1),
                on(12, 25),
            ],
            Country::Quebec => vec![
                on(1, 1),
                good_friday,
                // The Monday before 25 May: the last Monday on or before the 24th.
                on(5, 24).map(|d| last_weekday_on_or_before(d, Weekday::Mon)),
                on(6, 24).map(not_on_sunday),
                on(7, 1).map(not_on_sunday),
                nth_weekday(year, 9, Weekday::Mon, 1),
                nth_weekday(year, 10, Weekday::Mon, 2),
                on(12, 25),
            ],
        };
        let mut days: Vec<NaiveDate> = days.into_iter().flatten().collect();
        days.sort();
        days
    }
}

/// Easter Sunday of a Gregorian year (the anonymous algorithm, as
/// published by Nature in 1876 and used by calendars since).
pub fn easter(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

fn last_weekday_on_or_before(d: NaiveDate, w: Weekday) -> NaiveDate {
    let back = (7 + d.weekday().num_days_from_monday() - w.num_days_from_monday()) % 7;
    d.checked_sub_days(Days::new(back.into())).unwrap_or(d)
}

fn not_on_sunday(d: NaiveDate) -> NaiveDate {
    if d.weekday() == Weekday::Sun {
        d.succ_opt().unwrap_or(d)
    } else {
        d
    }
}

fn nth_weekday(year: i32, month: u32, w: Weekday, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, w, n)
}

/// A contract's holidays: country presets and listed dates (local dates
/// of the client). The intervention clock stops on each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays {
    pub countries: Vec<Country>,
    pub dates: BTreeSet<NaiveDate>,
}

impl Holidays {
    /// Whether `day` is a holiday.
    pub fn contains(&self, day: &NaiveDate) -> bool {
        self.dates.contains(day)
            || self
                .countries
                .iter()
                .any(|c| c.days(day.year()).contains(day))
    }

    /// Every holiday of `year`, presets and dates together.
    pub fn of_year(&self, year: i32) -> BTreeSet<NaiveDate> {
        let mut out: BTreeSet<NaiveDate> = self
            .dates
            .iter()
            .filter(|d| d.year() == year)
            .copied()
            .collect();
        for c in &self.countries {
            out.extend(c.days(year));
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.countries.is_empty() && self.dates.is_empty()
    }
}

impl FromIterator<NaiveDate> for Holidays {
    fn from_iter<I: IntoIterator<Item = NaiveDate>>(iter: I) -> Self {
        Holidays {
            countries: Vec::new(),
            dates: iter.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn days(c: Country, year: i32) -> Vec<String> {
        c.days(year)
            .iter()
            .map(|d| d.format("%m-%d").to_string())
            .collect()
    }

    #[test]
    fn easter_sundays_2026_to_2030() {
        let published = [
            "2026-04-05",
            "2027-03-28",
            "2028-04-16",
            "2029-04-01",
            "2030-04-21",
        ];
        for (year, want) in (2026..).zip(published) {
            assert_eq!(easter(year), Some(d(want)), "{year}");
        }
        // Far ends of the algorithm's range.
        assert_eq!(easter(2285), Some(d("2285-03-22")));
        assert_eq!(easter(2038), Some(d("2038-04-25")));
    }

    #[test]
    fn france_2026_to_2030_as_published() {
        // Easter Monday, Ascension, Whit Monday of each year (service-public.fr).
        let moving = [
            (2026, ["04-06", "05-14", "05-25"]),
            (2027, ["03-29", "05-06", "05-17"]),
            (2028, ["04-17", "05-25", "06-05"]),
            (2029, ["04-02", "05-10", "05-21"]),
            (2030, ["04-22", "05-30", "06-10"]),
        ];
        for (year, [monday, ascension, whit]) in moving {
            let mut want = vec![
                "01-01", monday, "05-01", "05-08", ascension, whit, "07-14", "08-15", "11-01",
                "11-11", "12-25",
            ];
            want.sort();
            assert_eq!(days(Country::France, year), want, "{year}");
        }
    }

    #[test]
    fn belgium_and_switzerland_2027() {
        assert_eq!(
            days(Country::Belgium, 2027),
            [
                "01-01", "03-29", "05-01", "05-06", "05-17", "07-21", "08-15", "11-01", "11-11",
                "12-25"
            ]
        );
        assert_eq!(
            days(Country::Switzerland, 2027),
            [
                "01-01", "03-26", "03-29", "05-06", "05-17", "08-01", "12-25"
            ]
        );
        assert_eq!(
            days(Country::Switzerland, 2030),
            [
                "01-01", "04-19", "04-22", "05-30", "06-10", "08-01", "12-25"
            ]
        );
    }

    #[test]
    fn quebec_2026_to_2030_as_published() {
        // (year, Good Friday, Patriots' Day, Fête nationale, Canada Day,
        // Labour Day, Thanksgiving)
        let table = [
            (2026, "04-03", "05-18", "06-24", "07-01", "09-07", "10-12"),
            (2027, "03-26", "05-24", "06-24", "07-01", "09-06", "10-11"),
            (2028, "04-14", "05-22", "06-24", "07-01", "09-04", "10-09"),
            (2029, "03-30", "05-21", "06-25", "07-02", "09-03", "10-08"),
            (2030, "04-19", "05-20", "06-24", "07-01", "09-02", "10-14"),
        ];
        for (year, gf, patriots, june, july, labour, thanks) in table {
            assert_eq!(
                days(Country::Quebec, year),
                ["01-01", gf, patriots, june, july, labour, thanks, "12-25"],
                "{year}"
            );
        }
    }

    #[test]
    fn a_contract_adds_its_dates_to_its_presets() {
        let h = Holidays {
            countries: vec![Country::France],
            dates: [d("2027-12-24")].into_iter().collect(),
        };
        assert!(h.contains(&d("2027-05-06")), "Ascension 2027");
        assert!(h.contains(&d("2027-12-24")));
        assert!(!h.contains(&d("2027-05-07")));
        assert_eq!(h.of_year(2027).len(), 12);
        assert!(Holidays::default().is_empty());
        assert_eq!(Country::parse("ca-qc"), Some(Country::Quebec));
        assert_eq!(Country::Quebec.code(), "CA-QC");
        assert_eq!(Country::parse("DE"), None);
    }
}
