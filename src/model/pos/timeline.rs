//! Today's connectivity of a store as segments, for the timeline bar.

use chrono::{DateTime, TimeDelta, Utc};

use serde::{Deserialize, Serialize};

use super::UplinkRole;
use crate::model::Status;

/// A stretch of time in one connectivity state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub status: Status,
    /// The line that carried traffic, when known.
    pub uplink: Option<UplinkRole>,
}

/// Segments in time order, merged when the state does not change; older
/// than [`Timeline::KEEP`] are dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    pub segments: Vec<Segment>,
}

impl Timeline {
    /// Enough for today's bar in any timezone.
    pub const KEEP: TimeDelta = TimeDelta::hours(48);

    /// Extends the last segment or starts a new one at `at`. An
    /// observation more than `gap` after the previous one starts a new
    /// segment (time without observations stays blank).
    pub fn push(
        &mut self,
        at: DateTime<Utc>,
        status: Status,
        uplink: Option<UplinkRole>,
        gap: TimeDelta,
    ) {
        match self.segments.last_mut() {
            Some(last) if at >= last.to && at - last.to <= gap => {
                if last.status == status && last.uplink == uplink {
                    last.to = at;
                } else {
                    let from = last.to;
                    self.segments.push(Segment {
                        from,
                        to: at,
                        status,
                        uplink,
                    });
                }
            }
            Some(last) if at < last.to => {} // out of order: ignored
            _ => self.segments.push(Segment {
                from: at,
                to: at,
                status,
                uplink,
            }),
        }
        let horizon = at - Self::KEEP;
        self.segments.retain(|s| s.to >= horizon);
    }

    /// The worst state over `[from, to)`, `None` when nothing was observed.
    pub fn worst_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Option<(Status, Option<UplinkRole>)> {
        self.segments
            .iter()
            .filter(|s| s.from < to && (s.to >= from))
            .map(|s| (s.status, s.uplink))
            .max_by_key(|(s, u)| (*s, *u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + min * 60, 0).unwrap()
    }

    #[test]
    fn same_states_merge_and_changes_split() {
        let gap = TimeDelta::minutes(5);
        let mut tl = Timeline::default();
        for (m, s, u) in [
            (0, Status::Up, Some(UplinkRole::Main)),
            (1, Status::Up, Some(UplinkRole::Main)),
            (2, Status::Degraded, Some(UplinkRole::Backup)),
            (3, Status::Degraded, Some(UplinkRole::Backup)),
            (20, Status::Up, Some(UplinkRole::Main)),
        ] {
            tl.push(t(m), s, u, gap);
        }
        let spans: Vec<(DateTime<Utc>, DateTime<Utc>, Status)> = tl
            .segments
            .iter()
            .map(|s| (s.from, s.to, s.status))
            .collect();
        assert_eq!(
            spans,
            vec![
                (t(0), t(1), Status::Up),
                (t(1), t(3), Status::Degraded),
                (t(20), t(20), Status::Up)
            ]
        );
        assert_eq!(
            tl.worst_between(t(0), t(2)).map(|w| w.0),
            Some(Status::Degraded)
        );
        assert_eq!(tl.worst_between(t(5), t(15)), None);
    }
}
