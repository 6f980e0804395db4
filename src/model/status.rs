//! The state of anything Vigie watches.

use serde::{Deserialize, Serialize};

/// The state of a check, host, client or the whole fleet.
///
/// Ordered by urgency so that `max()` gives the worst: an operator must see
/// `Down` before `Degraded`, and `Unknown` (we cannot tell) before `Up`.
/// `Maintenance` is below `Unknown`: announced work is not an emergency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Up,
    Maintenance,
    Unknown,
    Degraded,
    Down,
}

impl Status {
    /// The worst of several states; `Unknown` when there is nothing to judge.
    pub fn worst<I: IntoIterator<Item = Status>>(states: I) -> Status {
        states.into_iter().max().unwrap_or(Status::Unknown)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Up => "up",
            Status::Maintenance => "maint",
            Status::Unknown => "unknown",
            Status::Degraded => "degraded",
            Status::Down => "down",
        }
    }

    /// A short glyph that still reads on a monochrome terminal.
    pub fn glyph(self) -> &'static str {
        match self {
            Status::Up => "●",
            Status::Maintenance => "◆",
            Status::Unknown => "?",
            Status::Degraded => "▲",
            Status::Down => "✖",
        }
    }

    /// Stable small integer for the store.
    pub fn code(self) -> i64 {
        match self {
            Status::Up => 0,
            Status::Maintenance => 1,
            Status::Unknown => 2,
            Status::Degraded => 3,
            Status::Down => 4,
        }
    }

    pub fn from_code(code: i64) -> Status {
        match code {
            0 => Status::Up,
            1 => Status::Maintenance,
            3 => Status::Degraded,
            4 => Status::Down,
            _ => Status::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_prefers_down_over_everything() {
        let s = Status::worst([Status::Up, Status::Down, Status::Degraded, Status::Unknown]);
        assert_eq!(s, Status::Down);
    }

    #[test]
    fn nothing_to_judge_is_unknown() {
        assert_eq!(Status::worst([]), Status::Unknown);
    }

    #[test]
    fn codes_round_trip() {
        for s in [
            Status::Up,
            Status::Maintenance,
            Status::Unknown,
            Status::Degraded,
            Status::Down,
        ] {
            assert_eq!(Status::from_code(s.code()), s);
        }
    }
}
