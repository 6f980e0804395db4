//! Judging a source: each day of a month (ok, missing, failed, suspect,
//! pruned, future), and the source as a whole (newest point against the
//! RPO, days present against the retention, oldest point, size trend).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{BackupPolicy, BackupRun, Evidence, RestorePoint, RunOutcome};
use crate::model::Status;

/// What a day of the calendar says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DayState {
    /// A restore point exists for the day (or a successful run, for pings).
    Ok,
    /// Nothing expected that day (the cron schedule skips it).
    NotScheduled,
    /// Not due yet: after today, or today before the expected time + grace.
    Future,
    /// Older than the retention window, no point left, and Vigie saw the
    /// day's backup run: pruned as the policy wants; never counted as missed.
    Pruned,
    /// Older than the retention window and no point left, but Vigie never
    /// saw a run that day (before it watched the source, or a ping source,
    /// which keeps no restore points to prune): not kept, and nothing says
    /// whether it ever existed. Never counted as missed either.
    NeverSeen,
    /// Every point of the day is suspiciously small.
    Suspect,
    /// A run was observed failing and no point exists.
    Failed,
    /// Due, inside the retention window, and nothing exists.
    Missing,
}

impl DayState {
    /// The mark that tells the state without colour, the same in the pane
    /// and the CLI's calendar.
    pub fn mark(self) -> char {
        match self {
            DayState::Ok => ' ',
            DayState::Suspect => 's',
            DayState::Failed => '✗',
            DayState::Missing => '!',
            DayState::Pruned => '~',
            DayState::NeverSeen => '?',
            DayState::NotScheduled => '-',
            DayState::Future => '.',
        }
    }

    /// The legend of the marks, in the calendar's order of gravity.
    pub const LEGEND: &'static str = "✗ failed · ! missing · s suspect · ~ pruned · ? not kept (never seen) · - not scheduled · . future · blank: ok";
}

impl DayState {
    pub fn label(self) -> &'static str {
        match self {
            DayState::Ok => "ok",
            DayState::NotScheduled => "not scheduled",
            DayState::Future => "future",
            DayState::Pruned => "pruned",
            DayState::NeverSeen => "not kept (never seen)",
            DayState::Suspect => "suspect",
            DayState::Failed => "failed",
            DayState::Missing => "missing",
        }
    }

    /// How bad the day is for the operator.
    pub fn status(self) -> Status {
        match self {
            DayState::Ok => Status::Up,
            DayState::NotScheduled | DayState::Future | DayState::Pruned | DayState::NeverSeen => {
                Status::Unknown
            }
            DayState::Suspect => Status::Degraded,
            DayState::Failed | DayState::Missing => Status::Down,
        }
    }
}

/// One day of a month's calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct DayEval {
    pub date: NaiveDate,
    pub state: DayState,
    /// Indices (in the slice given) of the restore points made that day.
    pub points: Vec<usize>,
    /// Indices of the runs observed that day.
    pub runs: Vec<usize>,
}

/// The newest point's size against the median of the ones before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SizeTrend {
    pub last: u64,
    pub median: u64,
    /// `(last - median) / median` in percent.
    pub change_pct: f64,
}

/// A source judged as a whole at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceEval {
    pub newest: Option<DateTime<Utc>>,
    pub oldest: Option<DateTime<Utc>>,
    /// The newest point's age is within the RPO.
    pub rpo_ok: bool,
    /// Due days of the retention window that have a point.
    pub present: u32,
    /// Days the retention asks for.
    pub required: u32,
    /// Per point (index in the slice given): suspiciously small.
    pub suspect: Vec<bool>,
    /// Suspect points inside the retention window.
    pub suspects: u32,
    /// The last run Vigie observed failed.
    pub last_run_failed: bool,
    pub trend: Option<SizeTrend>,
    /// The local date of `now` and whether today's backup is due.
    pub today: NaiveDate,
    pub due_today: bool,
    /// First day of the retention window (local).
    pub window_start: Option<NaiveDate>,
    pub status: Status,
    /// "RPO ok, last 06:12, 15/15 days".
    pub verdict: String,
}

/// Judges one source at `now`, in the client's timezone `tz`. Points and
/// runs need not be sorted.
///
/// Rules (DOMAIN, Backups): the newest restore point must be younger than
/// the RPO; each of the last `retention_days` scheduled days that are due
/// must have a point; a point under `min_size`, or under `suspect_ratio` of
/// the median of the `suspect_window` points before it, is suspect.
/// Down when the RPO or the retention is broken, degraded when a point in
/// the window is suspect or the last run failed.
pub fn evaluate(
    policy: &BackupPolicy,
    evidence: Evidence,
    tz: Tz,
    points: &[RestorePoint],
    runs: &[BackupRun],
    now: DateTime<Utc>,
) -> SourceEval {
    let today = now.with_timezone(&tz).date_naive();
    let suspect = suspects(policy, points);

    // Evidence per local date.
    let mut have: BTreeMap<NaiveDate, bool> = BTreeMap::new();
    let (newest, oldest) = match evidence {
        Evidence::RestorePoints => {
            for (i, p) in points.iter().enumerate() {
                let date = p.at.with_timezone(&tz).date_naive();
                let e = have.entry(date).or_insert(false);
                *e |= !suspect[i];
            }
            (
                points.iter().map(|p| p.at).max(),
                points.iter().map(|p| p.at).min(),
            )
        }
        Evidence::Runs => {
            let ok = runs.iter().filter(|r| r.outcome == RunOutcome::Success);
            for r in ok.clone() {
                have.insert(r.at.with_timezone(&tz).date_naive(), true);
            }
            (ok.clone().map(|r| r.at).max(), ok.map(|r| r.at).min())
        }
    };
    // Today is due once its expected time and grace have passed, or as soon
    // as its backup is there: a night whose backup ran early must not push
    // the window back onto a day that retention has already pruned.
    let due_today = policy.schedule.runs_on(today)
        && (now >= policy.schedule.expected_at(today, tz) + delta(policy.grace)
            || have.contains_key(&today));
    let window = retention_window(policy, today, due_today);
    let window_start = window.last().copied();
    let present = window.iter().filter(|d| have.contains_key(d)).count() as u32;
    let suspects = match window_start {
        Some(start) => points
            .iter()
            .zip(&suspect)
            .filter(|(p, s)| **s && p.at.with_timezone(&tz).date_naive() >= start)
            .count() as u32,
        None => 0,
    };
    let last_run_failed = runs
        .iter()
        .filter(|r| r.outcome != RunOutcome::Started)
        .max_by_key(|r| r.at)
        .is_some_and(|r| r.outcome == RunOutcome::Failed);
    let rpo_ok = newest.is_some_and(|n| now - n <= delta(policy.rpo));
    let required = window.len() as u32;
    let trend = size_trend(policy, points);

    let status = if !rpo_ok || present < required {
        Status::Down
    } else if suspects > 0 || last_run_failed {
        Status::Degraded
    } else {
        Status::Up
    };
    let mut verdict = match newest {
        None => "no restore point".to_string(),
        Some(n) if rpo_ok => format!("RPO ok, last {}", when(n, now, tz)),
        Some(n) => format!(
            "RPO broken, last {} ({} ago)",
            when(n, now, tz),
            age(now - n)
        ),
    };
    verdict.push_str(&format!(", {present}/{required} days"));
    if suspects > 0 {
        verdict.push_str(&format!(", {suspects} suspect"));
    }
    if last_run_failed {
        verdict.push_str(", last run failed");
    }
    SourceEval {
        newest,
        oldest,
        rpo_ok,
        present,
        required,
        suspect,
        suspects,
        last_run_failed,
        trend,
        today,
        due_today,
        window_start,
        status,
        verdict,
    }
}

/// The days of `year-month` (local dates in `tz`), each with its state.
/// `eval` is the source's [`evaluate`] at the same `now`.
#[allow(clippy::too_many_arguments)]
pub fn month_days(
    policy: &BackupPolicy,
    evidence: Evidence,
    tz: Tz,
    points: &[RestorePoint],
    runs: &[BackupRun],
    eval: &SourceEval,
    year: i32,
    month: u32,
) -> Vec<DayEval> {
    let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
        return Vec::new();
    };
    let mut days: Vec<DayEval> = first
        .iter_days()
        .take_while(|d| d.month() == month)
        .map(|date| DayEval {
            date,
            state: DayState::Future,
            points: Vec::new(),
            runs: Vec::new(),
        })
        .collect();
    let slot = |at: DateTime<Utc>| {
        let d = at.with_timezone(&tz).date_naive();
        (d.year() == year && d.month() == month).then(|| d.day0() as usize)
    };
    for (i, p) in points.iter().enumerate() {
        if let Some(s) = slot(p.at) {
            days[s].points.push(i);
        }
    }
    for (i, r) in runs.iter().enumerate() {
        if let Some(s) = slot(r.at) {
            days[s].runs.push(i);
        }
    }
    for day in &mut days {
        day.points.sort_by_key(|&i| points[i].at);
        day.runs.sort_by_key(|&i| runs[i].at);
        day.state = day_state(policy, evidence, runs, eval, day);
    }
    days
}

/// The rule of one day; see [`DayState`].
fn day_state(
    policy: &BackupPolicy,
    evidence: Evidence,
    runs: &[BackupRun],
    eval: &SourceEval,
    day: &DayEval,
) -> DayState {
    let outcome = |o: RunOutcome| day.runs.iter().any(|&i| runs[i].outcome == o);
    match evidence {
        Evidence::RestorePoints if !day.points.is_empty() => {
            return if day.points.iter().all(|&i| eval.suspect[i]) {
                DayState::Suspect
            } else {
                DayState::Ok
            };
        }
        Evidence::Runs if outcome(RunOutcome::Success) => return DayState::Ok,
        _ => {}
    }
    let d = day.date;
    if !policy.schedule.runs_on(d) {
        return DayState::NotScheduled;
    }
    if d > eval.today || (d == eval.today && !eval.due_today) {
        return DayState::Future;
    }
    let in_window = eval.window_start.is_some_and(|s| d >= s);
    match (
        in_window,
        outcome(RunOutcome::Failed),
        outcome(RunOutcome::Success),
    ) {
        (true, true, _) => DayState::Failed,
        (true, false, _) => DayState::Missing,
        (false, true, false) => DayState::Failed,
        // Pruned means seen, then gone: a restore point source whose run
        // that day Vigie logged. Pings have no points to prune.
        (false, _, true) if evidence == Evidence::RestorePoints => DayState::Pruned,
        (false, _, _) => DayState::NeverSeen,
    }
}

/// The due scheduled days the retention asks for, newest first.
fn retention_window(policy: &BackupPolicy, today: NaiveDate, due_today: bool) -> Vec<NaiveDate> {
    let mut out = Vec::with_capacity(policy.retention_days as usize);
    let mut d = if due_today {
        Some(today)
    } else {
        today.pred_opt()
    };
    // A schedule that never runs must not loop forever: look back at most
    // ten years.
    let mut looked = 0;
    while let Some(date) = d {
        if out.len() >= policy.retention_days as usize || looked > 3660 {
            break;
        }
        if policy.schedule.runs_on(date) {
            out.push(date);
        }
        looked += 1;
        d = date.pred_opt();
    }
    out
}

/// Which points are suspiciously small, in the slice's order.
fn suspects(policy: &BackupPolicy, points: &[RestorePoint]) -> Vec<bool> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by_key(|&i| points[i].at);
    let mut out = vec![false; points.len()];
    let mut previous: Vec<u64> = Vec::with_capacity(policy.suspect_window);
    for i in order {
        let Some(size) = points[i].size else { continue };
        let too_small = policy.min_size.is_some_and(|m| size < m);
        let under_median =
            median(&previous).is_some_and(|m| (size as f64) < policy.suspect_ratio * m as f64);
        out[i] = too_small || under_median;
        if previous.len() == policy.suspect_window {
            previous.remove(0);
        }
        if policy.suspect_window > 0 {
            previous.push(size);
        }
    }
    out
}

fn size_trend(policy: &BackupPolicy, points: &[RestorePoint]) -> Option<SizeTrend> {
    let mut sized: Vec<(DateTime<Utc>, u64)> = points
        .iter()
        .filter_map(|p| Some((p.at, p.size?)))
        .collect();
    sized.sort_unstable();
    let (&(_, last), before) = sized.split_last()?;
    let from = before.len().saturating_sub(policy.suspect_window.max(1));
    let prev: Vec<u64> = before[from..].iter().map(|(_, s)| *s).collect();
    let median = median(&prev)?;
    let change_pct = if median == 0 {
        0.0
    } else {
        (last as f64 - median as f64) / median as f64 * 100.0
    };
    Some(SizeTrend {
        last,
        median,
        change_pct,
    })
}

fn median(values: &[u64]) -> Option<u64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] / 2) + (v[n / 2] / 2) + (v[n / 2 - 1] % 2 + v[n / 2] % 2) / 2
    })
}

fn delta(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

/// "06:12" today, "28 Nov 06:12" otherwise (local time).
fn when(at: DateTime<Utc>, now: DateTime<Utc>, tz: Tz) -> String {
    let local = at.with_timezone(&tz);
    if local.date_naive() == now.with_timezone(&tz).date_naive() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%-d %b %H:%M").to_string()
    }
}

/// "3h 10m", "2d 4h".
pub(crate) fn age(d: chrono::TimeDelta) -> String {
    let mins = d.num_minutes().max(0);
    let (days, hours, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {m}m")
    } else {
        format!("{m}m")
    }
}

/// One line per client: the worst of its sources.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientVerdict {
    pub status: Status,
    pub line: String,
}

/// The client's verdict from its sources' (name, status, verdict): the
/// worst source speaks, named when the client has several.
pub fn client_verdict(sources: &[(&str, Status, &str)]) -> ClientVerdict {
    let Some(worst) = sources.iter().max_by_key(|(_, s, _)| *s) else {
        return ClientVerdict {
            status: Status::Unknown,
            line: "no backup source".into(),
        };
    };
    let line = if sources.len() == 1 {
        worst.2.to_string()
    } else {
        let others_ok = sources.iter().filter(|s| s.1 == Status::Up).count();
        format!(
            "{}: {} ({}/{} sources ok)",
            worst.0,
            worst.2,
            others_ok,
            sources.len()
        )
    };
    ClientVerdict {
        status: worst.1,
        line,
    }
}

#[cfg(test)]
mod tests;
