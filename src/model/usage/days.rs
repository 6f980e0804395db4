//! A meter's year, day by day: what each day counts, which days are gaps,
//! which readings went backwards.

use chrono::NaiveDate;

use super::{DaySample, Meter, Reading};

/// What one day of a meter amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayFigure {
    /// A quantity that counts towards the year: the day's own figure, or a
    /// counter's rise since its previous reading (`since`, which is earlier
    /// than the day before when gaps came between).
    Counted {
        quantity: u64,
        since: Option<NaiveDate>,
    },
    /// A level held at the end of the day.
    Level(u64),
    /// A counter's first reading: the base the next difference starts from.
    Base(u64),
    /// A counter lower than its previous reading (reset, records deleted):
    /// flagged, not billed; the next difference starts from it.
    Backwards { from: u64, to: u64 },
    /// No reading: the source failed (`Some(cause)`) or nobody sampled.
    Gap(Option<String>),
}

impl DayFigure {
    /// The value a sparkline draws for the day, if any.
    pub fn value(&self) -> Option<u64> {
        match self {
            DayFigure::Counted { quantity, .. } => Some(*quantity),
            DayFigure::Level(v) => Some(*v),
            _ => None,
        }
    }
}

/// Consecutive days without a reading, for the same cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapRun {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub cause: Option<String>,
}

impl GapRun {
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// "2026-03-04 to 2026-03-06 (3 days): Odoo unreachable".
    pub fn describe(&self) -> String {
        let when = if self.from == self.to {
            self.from.to_string()
        } else {
            format!("{} to {} ({} days)", self.from, self.to, self.days())
        };
        match &self.cause {
            Some(c) => format!("{when}: {c}"),
            None => format!("{when}: not sampled"),
        }
    }
}

/// A counter that went backwards on `day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag {
    pub day: NaiveDate,
    pub from: u64,
    pub to: u64,
}

/// One meter over the days of a year that are over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterYear {
    pub meter: Meter,
    /// Every day from 1 January to the last complete day, in order.
    pub days: Vec<(NaiveDate, DayFigure)>,
    /// Sum of the counted quantities (flagged days excluded).
    pub counted: u64,
    /// Highest level or daily figure seen.
    pub peak: u64,
    pub gaps: Vec<GapRun>,
    pub flags: Vec<Flag>,
}

impl MeterYear {
    pub fn gap_days(&self) -> i64 {
        self.gaps.iter().map(GapRun::days).sum()
    }
}

/// The days of `year` up to `through` (the last complete day, in the
/// client's calendar) for one meter. Samples before the year only give a
/// counter its starting point; samples after `through` are ignored.
pub fn meter_year(meter: Meter, samples: &[DaySample], year: i32, through: NaiveDate) -> MeterYear {
    let mut out = MeterYear {
        meter,
        days: Vec::new(),
        counted: 0,
        peak: 0,
        gaps: Vec::new(),
        flags: Vec::new(),
    };
    let (Some(first), Some(last)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return out;
    };
    let end = through.min(last);
    // The counter's reading before the year, and the day it was read.
    let mut previous: Option<(NaiveDate, u64)> = samples
        .iter()
        .filter(|s| s.day < first)
        .filter_map(|s| match s.outcome {
            Ok(Reading::Total(v)) => Some((s.day, v)),
            _ => None,
        })
        .next_back();
    // The year's samples in day order, one per day. The store gives them
    // so; a list that is not is sorted here, the later of two samples of a
    // day winning.
    let mut in_year: Vec<&DaySample> = samples
        .iter()
        .filter(|s| s.day >= first && s.day <= end)
        .collect();
    if !in_year.is_sorted_by(|a, b| a.day < b.day) {
        in_year.sort_by_key(|s| s.day);
        in_year.reverse();
        in_year.dedup_by_key(|s| s.day);
        in_year.reverse();
    }
    let mut next = in_year.into_iter().peekable();
    out.days
        .reserve(usize::try_from((end - first).num_days() + 1).unwrap_or(0));
    for day in first.iter_days().take_while(|d| *d <= end) {
        let sample = next.next_if(|s| s.day == day).map(|s| &s.outcome);
        let figure = match sample {
            None => DayFigure::Gap(None),
            Some(Err(cause)) => DayFigure::Gap(Some(cause.clone())),
            Some(Ok(Reading::Day(v))) => DayFigure::Counted {
                quantity: *v,
                since: None,
            },
            Some(Ok(Reading::Level(v))) => DayFigure::Level(*v),
            Some(Ok(Reading::Total(v))) => {
                let figure = match previous {
                    None => DayFigure::Base(*v),
                    Some((_, p)) if *v < p => {
                        out.flags.push(Flag {
                            day,
                            from: p,
                            to: *v,
                        });
                        DayFigure::Backwards { from: p, to: *v }
                    }
                    Some((at, p)) => DayFigure::Counted {
                        quantity: v - p,
                        since: day.pred_opt().filter(|d| *d != at).map(|_| at),
                    },
                };
                previous = Some((day, *v));
                figure
            }
        };
        match &figure {
            DayFigure::Counted { quantity, .. } => {
                out.counted = out.counted.saturating_add(*quantity);
                out.peak = out.peak.max(*quantity);
            }
            DayFigure::Level(v) => out.peak = out.peak.max(*v),
            DayFigure::Gap(cause) => match out.gaps.last_mut() {
                Some(run) if run.to.succ_opt() == Some(day) && run.cause == *cause => run.to = day,
                _ => out.gaps.push(GapRun {
                    from: day,
                    to: day,
                    cause: cause.clone(),
                }),
            },
            DayFigure::Base(_) | DayFigure::Backwards { .. } => {}
        }
        out.days.push((day, figure));
    }
    out
}
