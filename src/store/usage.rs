//! Usage meters in the store: one sample per client, meter and local day
//! (a failed day keeps its error, so the report can show the gap and its
//! cause), and the distinct users active per client and month (exact
//! yearly and monthly distinct counts without a row per user and day).

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
    /// before it) and its active users per month, by client id.
    pub fn usage(&self, year: i32) -> Result<BTreeMap<String, ClientUsage>, StoreError> {
        let conn = self.conn();
        let mut out: BTreeMap<String, ClientUsage> = BTreeMap::new();
        let first = format!("{year:04}-01-01");
        let last = format!("{year:04}-12-31");
        let mut read = || -> rusqlite::Result<()> {
            // SQLite takes the bare columns from the row of MAX(day).
            let mut q = conn.prepare_cached(
                "SELECT client, meter, MAX(day), kind, value, NULL FROM usage_samples
                 WHERE day < ?1 AND kind = 'total' GROUP BY client, meter",
            )?;
            let mut rows = q.query([&first])?;
            let mut group = None;
            while let Some(r) = rows.next()? {
                push(&mut out, &mut group, r)?;
            }
            let mut q = conn.prepare_cached(
                "SELECT client, meter, day, kind, value, error FROM usage_samples
                 WHERE day >= ?1 AND day <= ?2 ORDER BY client, meter, day",
            )?;
            let mut rows = q.query([&first, &last])?;
            let mut group = None;
            while let Some(r) = rows.next()? {
                push(&mut out, &mut group, r)?;
            }
            let mut q = conn.prepare_cached(
                "SELECT client, month, user FROM usage_users
                 WHERE month >= ?1 AND month <= ?2",
            )?;
            let mut rows = q.query([format!("{year:04}-01"), format!("{year:04}-12")])?;
            while let Some(r) = rows.next()? {
                let client: String = r.get(0)?;
                let month: String = r.get(1)?;
                let Some(m) = month.get(5..7).and_then(|m| m.parse::<u32>().ok()) else {
                    continue;
                };
                out.entry(client)
                    .or_default()
                    .users_by_month
                    .entry(m)
                    .or_default()
                    .insert(r.get(2)?);
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

/// One sample row (client, meter, day, kind, value, error) into `out`;
/// a row the model cannot read (an unknown meter, a damaged value) is
/// skipped. Rows come grouped by client and meter: `group` remembers the
/// group, so a row costs no lookup and no allocation but its error's.
fn push(
    out: &mut BTreeMap<String, ClientUsage>,
    last: &mut Option<(String, Meter)>,
    r: &rusqlite::Row,
) -> rusqlite::Result<()> {
    let text = |i: usize| -> rusqlite::Result<Option<&str>> {
        Ok(match r.get_ref(i)? {
            rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t).ok(),
            _ => None,
        })
    };
    let (Some(client), Some(meter), Some(day)) = (text(0)?, text(1)?, text(2)?) else {
        return Ok(());
    };
    let (Some(meter), Some(day)) = (Meter::from_key(meter), parse_day(day)) else {
        return Ok(());
    };
    let value: Option<i64> = r.get(4)?;
    let outcome = match (text(3)?, value) {
        (Some(k), Some(v)) => match Reading::from_parts(k, u64::try_from(v).unwrap_or(0)) {
            Some(r) => Ok(r),
            None => return Ok(()),
        },
        _ => Err(text(5)?.unwrap_or("no reading").to_string()),
    };
    let same = last
        .as_ref()
        .is_some_and(|(c, m)| c == client && *m == meter);
    if !same {
        *last = Some((client.to_string(), meter));
    }
    let Some((c, _)) = last.as_ref() else {
        return Ok(());
    };
    let samples = match out.get_mut(c.as_str()) {
        Some(u) => u.samples.entry(meter).or_default(),
        None => out
            .entry(c.clone())
            .or_default()
            .samples
            .entry(meter)
            .or_default(),
    };
    samples.push(DaySample { day, outcome });
    Ok(())
}
