//! A zone's rules read from a TZif file (RFC 8536, versions 2 to 4), as
//! `zic` writes them into `/usr/share/zoneinfo`: the transitions, their
//! local time types, and the POSIX TZ string of the footer that extends
//! the rules after the last transition. Pure: bytes in, offsets out.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta};

/// One zone's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneRules {
    /// Instants (Unix seconds) at which the offset changes, ascending.
    transitions: Vec<i64>,
    /// The UTC offset (seconds) in force from each transition on.
    offsets: Vec<i32>,
    /// Before the first transition (local time type 0).
    initial: i32,
    /// After the last transition, if the footer says.
    footer: Option<PosixRule>,
}

/// Why a TZif file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a TZif file: {0}")]
pub struct TzifError(String);

impl ZoneRules {
    /// Reads a TZif file of version 2 or later (version 1 files, 32-bit
    /// only, have not been written by `zic` since 2005).
    pub fn parse(bytes: &[u8]) -> Result<ZoneRules, TzifError> {
        let bad = |m: &str| TzifError(m.to_string());
        let mut r = Reader { bytes, at: 0 };
        let v1 = header(&mut r)?;
        if v1.version < b'2' {
            return Err(bad("version 1 (no 64-bit data)"));
        }
        // Skip the version 1 block: 4-byte times.
        r.skip(v1.block_len(4))?;
        let h = header(&mut r)?;
        let mut transitions = Vec::with_capacity(h.timecnt);
        for _ in 0..h.timecnt {
            transitions.push(r.i64()?);
        }
        let mut indices = Vec::with_capacity(h.timecnt);
        for _ in 0..h.timecnt {
            indices.push(r.u8()? as usize);
        }
        let mut types = Vec::with_capacity(h.typecnt);
        for _ in 0..h.typecnt {
            let utoff = r.i32()?;
            r.skip(2)?; // is_dst, designation index
            types.push(utoff);
        }
        if types.is_empty() {
            return Err(bad("no local time type"));
        }
        let offsets = indices
            .iter()
            .map(|&i| {
                types
                    .get(i)
                    .copied()
                    .ok_or_else(|| bad("type index out of range"))
            })
            .collect::<Result<Vec<i32>, _>>()?;
        if transitions.windows(2).any(|w| w[0] >= w[1]) {
            return Err(bad("transitions out of order"));
        }
        r.skip(h.charcnt + h.leapcnt * 12 + h.isstdcnt + h.isutcnt)?;
        // Footer: "\n<TZ string>\n". An unreadable or empty string keeps the
        // last transition's offset for ever, which is what RFC 8536 says
        // for an empty footer.
        let rest = &bytes[r.at.min(bytes.len())..];
        let footer = std::str::from_utf8(rest)
            .ok()
            .and_then(|s| s.strip_prefix('\n'))
            .and_then(|s| s.split('\n').next())
            .filter(|s| !s.is_empty())
            .and_then(PosixRule::parse);
        Ok(ZoneRules {
            transitions,
            offsets,
            initial: types[0],
            footer,
        })
    }

    /// The UTC offset, in seconds, in force at `t` (Unix seconds).
    pub fn offset_at(&self, t: i64) -> i32 {
        let n = self.transitions.partition_point(|&x| x <= t);
        if n == 0 {
            return self.initial;
        }
        if n == self.transitions.len() {
            if let Some(rule) = &self.footer {
                return rule.offset_at(t);
            }
        }
        self.offsets[n - 1]
    }

    /// Every offset this zone has used or will use, to try local times with.
    fn candidates(&self) -> Vec<i32> {
        let mut all = self.offsets.clone();
        all.push(self.initial);
        if let Some(rule) = &self.footer {
            all.push(rule.std);
            if let Some(dst) = &rule.dst {
                all.push(dst.offset);
            }
        }
        all.sort_unstable();
        all.dedup();
        all
    }

    /// The instants (Unix seconds, ascending) at which the clocks of this
    /// zone show `local`: none in a gap, two in a fold.
    pub fn instants_of(&self, local: NaiveDateTime) -> Vec<i64> {
        let wall = local.and_utc().timestamp();
        let mut out: Vec<i64> = self
            .candidates()
            .into_iter()
            .map(|off| wall - i64::from(off))
            .filter(|&t| i64::from(self.offset_at(t)) == wall - t)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A POSIX TZ string (`CET-1CEST,M3.5.0,M10.5.0/3`): the offsets as UTC
/// offsets in seconds (POSIX writes them west-positive).
#[derive(Debug, Clone, PartialEq, Eq)]
struct PosixRule {
    std: i32,
    dst: Option<Dst>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Dst {
    offset: i32,
    /// Starts at this local (standard) time, ends at this local (daylight) time.
    start: MonthRule,
    end: MonthRule,
}

/// `Mm.w.d/time`: day `d` (0 = Sunday) of week `w` (5 = last) of month
/// `m`, at `time` seconds after local midnight (may be negative or past
/// 24 h, as version 3 allows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MonthRule {
    month: u32,
    week: u32,
    day: u32,
    time: i64,
}

impl PosixRule {
    fn parse(s: &str) -> Option<PosixRule> {
        let mut p = Posix { s, at: 0 };
        p.name()?;
        let std = -p.offset()?;
        if p.done() {
            return Some(PosixRule { std, dst: None });
        }
        p.name()?;
        let offset = if p.peek() == Some(',') {
            std + 3600
        } else {
            -p.offset()?
        };
        p.expect(',')?;
        let start = p.month_rule()?;
        p.expect(',')?;
        let end = p.month_rule()?;
        if !p.done() {
            return None;
        }
        Some(PosixRule {
            std,
            dst: Some(Dst { offset, start, end }),
        })
    }

    fn offset_at(&self, t: i64) -> i32 {
        let Some(dst) = &self.dst else {
            return self.std;
        };
        let local = t + i64::from(self.std);
        let Some(year) = chrono::DateTime::from_timestamp(local, 0).map(|d| d.year()) else {
            return self.std;
        };
        // Look at the year before and after too: a rule's time may push a
        // change across New Year.
        let mut changes: Vec<(i64, i32)> = Vec::new();
        for y in [year - 1, year, year + 1] {
            if let Some(s) = dst.start.at(y) {
                changes.push((s - i64::from(self.std), dst.offset));
            }
            if let Some(e) = dst.end.at(y) {
                changes.push((e - i64::from(dst.offset), self.std));
            }
        }
        changes.sort_unstable();
        changes
            .iter()
            .rev()
            .find(|(at, _)| *at <= t)
            .map_or(self.std, |(_, off)| *off)
    }
}

impl MonthRule {
    /// The rule's local wall time in `year`, as seconds since the epoch
    /// read as if local were UTC.
    fn at(&self, year: i32) -> Option<i64> {
        let first = NaiveDate::from_ymd_opt(year, self.month, 1)?;
        let first_wd = first.weekday().num_days_from_sunday();
        let mut day = 1 + (self.day + 7 - first_wd) % 7 + (self.week - 1) * 7;
        let next = if self.month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, self.month + 1, 1)?
        };
        let len = (next - first).num_days() as u32;
        while day > len {
            day -= 7;
        }
        let date = NaiveDate::from_ymd_opt(year, self.month, day)?;
        let midnight = date.and_hms_opt(0, 0, 0)?;
        Some(
            (midnight + TimeDelta::seconds(self.time))
                .and_utc()
                .timestamp(),
        )
    }
}

struct Posix<'a> {
    s: &'a str,
    at: usize,
}

impl Posix<'_> {
    fn peek(&self) -> Option<char> {
        self.s[self.at..].chars().next()
    }
    fn done(&self) -> bool {
        self.at >= self.s.len()
    }
    fn expect(&mut self, c: char) -> Option<()> {
        (self.peek() == Some(c)).then(|| self.at += 1)
    }
    /// `CET` or `<-03>`.
    fn name(&mut self) -> Option<()> {
        let rest = &self.s[self.at..];
        let len = if let Some(quoted) = rest.strip_prefix('<') {
            quoted.find('>')? + 2
        } else {
            rest.find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(rest.len())
        };
        (len >= 3).then(|| self.at += len)
    }
    /// `[+-]hh[:mm[:ss]]` in seconds.
    fn hms(&mut self) -> Option<i64> {
        let sign = match self.peek() {
            Some('-') => {
                self.at += 1;
                -1
            }
            Some('+') => {
                self.at += 1;
                1
            }
            _ => 1,
        };
        let mut total = 0i64;
        for (i, scale) in [3600, 60, 1].into_iter().enumerate() {
            if i > 0 && self.expect(':').is_none() {
                break;
            }
            let rest = &self.s[self.at..];
            let len = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if len == 0 || len > 3 {
                return None;
            }
            total += rest[..len].parse::<i64>().ok()? * scale;
            self.at += len;
        }
        Some(sign * total)
    }
    fn offset(&mut self) -> Option<i32> {
        i32::try_from(self.hms()?).ok()
    }
    /// `Mm.w.d[/time]`; the Julian forms (`Jn`, `n`) are not read, and the
    /// rule then falls back to the last transition's offset.
    fn month_rule(&mut self) -> Option<MonthRule> {
        self.expect('M')?;
        let num = |p: &mut Self| {
            let rest = &p.s[p.at..];
            let len = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let n = rest[..len].parse::<u32>().ok()?;
            p.at += len;
            Some(n)
        };
        let month = num(self)?;
        self.expect('.')?;
        let week = num(self)?;
        self.expect('.')?;
        let day = num(self)?;
        let time = if self.expect('/').is_some() {
            self.hms()?
        } else {
            7200
        };
        let ok = (1..=12).contains(&month) && (1..=5).contains(&week) && day <= 6;
        ok.then_some(MonthRule {
            month,
            week,
            day,
            time,
        })
    }
}

struct Header {
    version: u8,
    isutcnt: usize,
    isstdcnt: usize,
    leapcnt: usize,
    timecnt: usize,
    typecnt: usize,
    charcnt: usize,
}

impl Header {
    fn block_len(&self, time_size: usize) -> usize {
        self.timecnt * time_size
            + self.timecnt
            + self.typecnt * 6
            + self.charcnt
            + self.leapcnt * (time_size + 4)
            + self.isstdcnt
            + self.isutcnt
    }
}

fn header(r: &mut Reader) -> Result<Header, TzifError> {
    if r.take(4)? != b"TZif" {
        return Err(TzifError("no TZif magic".into()));
    }
    let version = r.u8()?;
    r.skip(15)?;
    let mut count = || -> Result<usize, TzifError> {
        let n = r.i32()?;
        // zic writes a few thousand at most; a huge count is a bad file.
        usize::try_from(n)
            .ok()
            .filter(|n| *n < 1 << 20)
            .ok_or_else(|| TzifError("count out of range".into()))
    };
    Ok(Header {
        version: if version == 0 { b'1' } else { version },
        isutcnt: count()?,
        isstdcnt: count()?,
        leapcnt: count()?,
        timecnt: count()?,
        typecnt: count()?,
        charcnt: count()?,
    })
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], TzifError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or_else(|| TzifError("truncated".into()))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn skip(&mut self, n: usize) -> Result<(), TzifError> {
        self.take(n).map(|_| ())
    }
    fn u8(&mut self) -> Result<u8, TzifError> {
        Ok(self.take(1)?[0])
    }
    fn i32(&mut self) -> Result<i32, TzifError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i64(&mut self) -> Result<i64, TzifError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn ts(s: &str) -> i64 {
        n(s).and_utc().timestamp()
    }

    #[test]
    fn posix_rules_give_the_offsets_of_both_hemispheres() {
        let paris = PosixRule::parse("CET-1CEST,M3.5.0,M10.5.0/3").unwrap();
        let sydney = PosixRule::parse("AEST-10AEDT,M10.1.0,M4.1.0/3").unwrap();
        let bogota = PosixRule::parse("<-05>5").unwrap();
        let cases = [
            (&paris, "2040-03-25 00:59", 3600),
            (&paris, "2040-03-25 01:00", 7200),
            (&paris, "2040-10-28 00:59", 7200),
            (&paris, "2040-10-28 01:00", 3600),
            (&sydney, "2040-01-15 00:00", 39600),
            (&sydney, "2040-07-15 00:00", 36000),
            (&bogota, "2040-07-15 00:00", -18000),
        ];
        for (rule, utc, want) in cases {
            assert_eq!(rule.offset_at(ts(utc)), want, "{rule:?} at {utc}");
        }
        for bad in ["", "CET", "CET-1CEST,J60,J300", "CET-1CEST,M13.1.0,M10.5.0"] {
            assert_eq!(PosixRule::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn garbage_and_truncated_files_are_errors() {
        assert!(ZoneRules::parse(b"").is_err());
        assert!(ZoneRules::parse(b"TZif2").is_err());
        assert!(ZoneRules::parse(&[b'X'; 200]).is_err());
    }
}
