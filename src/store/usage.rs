//! Usage meters in the store: one sample per client, meter and local day
//! (a failed day keeps its error, so the report can show the gap and its
//! cause), and the distinct users active per client and month (exact
//! yearly and monthly distinct counts without a row per user and day).
//! Triggers keep a packed copy of each month of samples and the users'
//! counts (migrations `USAGE_MONTHS`, and `USAGE_MONTHS_FOR_SQLITE_3_40`
//! for SQL that Debian 12's `sqlite3` reads): reports read those, writes
//! go to the day rows.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, params};

use super::{Reader, StoreError, to_ms};
use crate::model::usage::{ClientUsage, DaySample, Meter, Reading};

/// One day of one meter, sent to the writer as `WriteOp::Usage`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageSample {
    pub client: String,
    pub meter: Meter,
    pub day: NaiveDate,
    pub outcome: Result<Reading, String>,
    /// When it was read.
    pub at: DateTime<Utc>,
    /// The identities of the users active that day, when the source names
    /// them (Odoo user ids).
    pub users: Vec<String>,
}

/// A success replaces whatever the day held; a failure never replaces a
/// success (a later re-read that fails must not erase a good figure).
pub(super) fn apply(conn: &Connection, samples: Vec<UsageSample>) -> rusqlite::Result<()> {
    let mut good = conn.prepare_cached(
        "INSERT INTO usage_samples (client, meter, day, kind, value, error, sampled_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6)
         ON CONFLICT (client, meter, day) DO UPDATE
         SET kind = excluded.kind, value = excluded.value, error = NULL,
             sampled_ms = excluded.sampled_ms",
    )?;
    let mut bad = conn.prepare_cached(
        "INSERT INTO usage_samples (client, meter, day, kind, value, error, sampled_ms)
         VALUES (?1, ?2, ?3, NULL, NULL, ?4, ?5)
         ON CONFLICT (client, meter, day) DO UPDATE
         SET error = excluded.error, sampled_ms = excluded.sampled_ms
         WHERE usage_samples.kind IS NULL",
    )?;
    let mut user = conn.prepare_cached(
        "INSERT OR IGNORE INTO usage_users (client, month, user) VALUES (?1, ?2, ?3)",
    )?;
    for s in samples {
        let day = s.day.format("%Y-%m-%d").to_string();
        match &s.outcome {
            Ok(r) => {
                let value = i64::try_from(r.value()).unwrap_or(i64::MAX);
                good.execute(params![
                    s.client,
                    s.meter.key(),
                    day,
                    r.kind(),
                    value,
                    to_ms(s.at)
                ])?;
                let month = s.day.format("%Y-%m").to_string();
                for u in &s.users {
                    user.execute(params![s.client, month, u])?;
                }
            }
            Err(e) => {
                bad.execute(params![s.client, s.meter.key(), day, e, to_ms(s.at)])?;
            }
        }
    }
    Ok(())
}

/// `YYYY-MM-DD` read by hand: the report reads a row per client, meter
/// and day, and chrono's format parser was most of its time.
fn parse_day(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)
}

impl Reader {
    /// Every client's samples of `year` (and each counter's last reading
    /// before it) and its distinct active users, by client id. Reads the
    /// month rows (`usage_months`, `usage_user_months`, `usage_year_users`),
    /// never a row per day or per user.
    pub fn usage(&self, year: i32) -> Result<BTreeMap<String, ClientUsage>, StoreError> {
        let conn = self.conn();
        let mut out: BTreeMap<String, ClientUsage> = BTreeMap::new();
        let first = format!("{year:04}-01");
        let last = format!("{year:04}-12");
        let mut read = || -> rusqlite::Result<()> {
            // SQLite takes the bare column from the row of MAX(month).
            let mut q = conn.prepare_cached(
                "SELECT client, meter, MAX(month), days FROM usage_months
                 WHERE month < ?1 AND totals > 0 GROUP BY client, meter",
            )?;
            let mut rows = q.query([&first])?;
            let mut month = Vec::new();
            while let Some(r) = rows.next()? {
                let Some(samples) = samples_of(&mut out, r)? else {
                    continue;
                };
                month.clear();
                unpack(text(r, 2)?.unwrap_or(""), &packed_days(r, 3)?, &mut month);
                if let Some(before) = month
                    .drain(..)
                    .rfind(|s| matches!(s.outcome, Ok(Reading::Total(_))))
                {
                    samples.push(before);
                }
            }
            let mut q = conn.prepare_cached(
                "SELECT client, meter, month, days FROM usage_months
                 WHERE month >= ?1 AND month <= ?2 ORDER BY month, client, meter",
            )?;
            let mut rows = q.query([&first, &last])?;
            while let Some(r) = rows.next()? {
                let days = packed_days(r, 3)?;
                // Only samples of unknown kinds: not a metered meter.
                if days.is_empty() {
                    continue;
                }
                if let Some(samples) = samples_of(&mut out, r)? {
                    unpack(text(r, 2)?.unwrap_or(""), &days, samples);
                }
            }
            let mut q = conn.prepare_cached(
                "SELECT client, month, users FROM usage_user_months
                 WHERE month >= ?1 AND month <= ?2",
            )?;
            let mut rows = q.query([&first, &last])?;
            while let Some(r) = rows.next()? {
                let (Some(client), Some(month)) = (text(r, 0)?, text(r, 1)?) else {
                    continue;
                };
                let Some(m) = month.get(5..7).and_then(|m| m.parse::<u32>().ok()) else {
                    continue;
                };
                let users = u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0);
                if let Some(u) = client_of(&mut out, client) {
                    u.users_by_month.insert(m, users);
                }
            }
            let mut q = conn.prepare_cached(
                "SELECT client, count(*) FROM usage_year_users WHERE year = ?1 GROUP BY client",
            )?;
            let mut rows = q.query([format!("{year:04}")])?;
            while let Some(r) = rows.next()? {
                let users = u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0);
                if let Some(u) = text(r, 0)?.and_then(|c| client_of(&mut out, c)) {
                    u.users_in_year = users;
                }
            }
            Ok(())
        };
        read().map_err(|e| self.fail(e))?;
        Ok(out)
    }

    /// The days from `since` that hold a reading, per (client, meter): what
    /// the sampler need not read again.
    pub fn usage_read_days(
        &self,
        since: NaiveDate,
    ) -> Result<BTreeSet<(String, Meter, NaiveDate)>, StoreError> {
        let conn = self.conn();
        let mut out = BTreeSet::new();
        let mut read = || -> rusqlite::Result<()> {
            let mut q = conn.prepare_cached(
                "SELECT client, meter, day FROM usage_samples
                 WHERE day >= ?1 AND kind IS NOT NULL",
            )?;
            let mut rows = q.query([since.format("%Y-%m-%d").to_string()])?;
            while let Some(r) = rows.next()? {
                let meter: String = r.get(1)?;
                let day: String = r.get(2)?;
                if let (Some(m), Some(d)) = (Meter::from_key(&meter), parse_day(&day)) {
                    out.insert((r.get(0)?, m, d));
                }
            }
            Ok(())
        };
        read().map_err(|e| self.fail(e))?;
        Ok(out)
    }
}

fn text<'r>(r: &'r rusqlite::Row, i: usize) -> rusqlite::Result<Option<&'r str>> {
    Ok(match r.get_ref(i)? {
        rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t).ok(),
        _ => None,
    })
}

/// A `usage_months.days` cell as bytes: hexadecimal text (migration
/// `USAGE_MONTHS_FOR_SQLITE_3_40`), read up to the first pair that is not
/// hexadecimal (the rest is a truncated entry, which ends the row).
fn packed_days(r: &rusqlite::Row, i: usize) -> rusqlite::Result<Vec<u8>> {
    Ok(match r.get_ref(i)? {
        rusqlite::types::ValueRef::Text(t) => unhex(t),
        rusqlite::types::ValueRef::Blob(b) => b.to_vec(),
        _ => Vec::new(),
    })
}

fn unhex(text: &[u8]) -> Vec<u8> {
    let nibble = |c: u8| char::from(c).to_digit(16);
    text.chunks_exact(2)
        .map_while(|pair| Some((nibble(pair[0])? << 4 | nibble(pair[1])?) as u8))
        .collect()
}

/// The client's entry, allocating its id only the first time (always
/// `Some`).
fn client_of<'a>(
    out: &'a mut BTreeMap<String, ClientUsage>,
    client: &str,
) -> Option<&'a mut ClientUsage> {
    if !out.contains_key(client) {
        out.insert(client.to_string(), ClientUsage::default());
    }
    out.get_mut(client)
}

/// The samples of the row's client (column 0) and meter (column 1); none
/// for a meter the model does not know (the row is skipped).
fn samples_of<'a>(
    out: &'a mut BTreeMap<String, ClientUsage>,
    r: &rusqlite::Row,
) -> rusqlite::Result<Option<&'a mut Vec<DaySample>>> {
    let (Some(client), Some(meter)) = (text(r, 0)?, text(r, 1)?.and_then(Meter::from_key)) else {
        return Ok(None);
    };
    Ok(client_of(out, client).map(|u| u.samples.entry(meter).or_default()))
}

/// The samples packed in a `usage_months` row of `month` (`YYYY-MM`; the
/// layout is in `migrations::usage_month_select`, stored as text by
/// `usage_month_rows`) appended to `out` in day
/// order. A day that is not a date is skipped; a truncated entry ends the
/// row.
fn unpack(month: &str, mut days: &[u8], out: &mut Vec<DaySample>) {
    let (Some(y), Some(m)) = (
        month.get(0..4).and_then(|y| y.parse::<i32>().ok()),
        month.get(5..7).and_then(|m| m.parse::<u32>().ok()),
    ) else {
        return;
    };
    out.reserve(days.len() / 10);
    while let [dom, kind, rest @ ..] = days {
        let (outcome, rest) = match kind {
            1..=3 => {
                let Some((value, rest)) = rest.split_first_chunk::<8>() else {
                    return;
                };
                let v = u64::try_from(i64::from_be_bytes(*value)).unwrap_or(0);
                let reading = match kind {
                    1 => Reading::Day(v),
                    2 => Reading::Total(v),
                    _ => Reading::Level(v),
                };
                (Ok(reading), rest)
            }
            _ => {
                let Some((len, rest)) = rest.split_first_chunk::<4>() else {
                    return;
                };
                let len = u32::from_be_bytes(*len) as usize;
                let (Some(cause), Some(rest)) = (rest.get(..len), rest.get(len..)) else {
                    return;
                };
                (Err(String::from_utf8_lossy(cause).into_owned()), rest)
            }
        };
        days = rest;
        if let Some(day) = NaiveDate::from_ymd_opt(y, m, u32::from(*dom)) {
            out.push(DaySample { day, outcome });
        }
    }
}
