//! How `check_state` follows results: the current status and when its run began.

/// The stored run of one check, in store units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    pub status: i64,
    pub since_ms: i64,
    pub last_at_ms: i64,
}

/// The run after a result of `status` observed at `at_ms`, or `None` when the
/// result is older than the stored one: a late result goes to history only,
/// it must not roll the current state back.
///
/// Same status: the run goes on and `since` stays. Another status: a new run
/// starts at this result. Equal instants count as newer (arrival order wins).
pub(crate) fn advance(prev: Option<Run>, status: i64, at_ms: i64) -> Option<Run> {
    match prev {
        Some(p) if at_ms < p.last_at_ms => None,
        Some(p) if p.status == status => Some(Run {
            status,
            since_ms: p.since_ms,
            last_at_ms: at_ms,
        }),
        _ => Some(Run {
            status,
            since_ms: at_ms,
            last_at_ms: at_ms,
        }),
    }
}

/// A run that begins as down starts at the outage's first failure
/// (`began_ms`), not at the failure that confirmed it, so history and
/// availability count the whole outage; never before the run it follows
/// began, nor after its own first result.
pub(crate) fn backdate(prev: Option<Run>, next: Run, began_ms: Option<i64>) -> Run {
    let Some(began) = began_ms else {
        return next;
    };
    let floor = prev.map_or(i64::MIN, |p| p.since_ms);
    Run {
        since_ms: began.max(floor).min(next.since_ms),
        ..next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UP: i64 = 0;
    const DOWN: i64 = 4;

    fn run(status: i64, since_ms: i64, last_at_ms: i64) -> Run {
        Run {
            status,
            since_ms,
            last_at_ms,
        }
    }

    #[test]
    fn store_state_first_result_starts_a_run() {
        assert_eq!(advance(None, UP, 100), Some(run(UP, 100, 100)));
    }

    #[test]
    fn store_state_same_status_keeps_since() {
        assert_eq!(
            advance(Some(run(UP, 100, 160)), UP, 220),
            Some(run(UP, 100, 220))
        );
    }

    #[test]
    fn store_state_status_change_moves_since() {
        assert_eq!(
            advance(Some(run(UP, 100, 160)), DOWN, 220),
            Some(run(DOWN, 220, 220))
        );
    }

    #[test]
    fn store_state_down_is_backdated_to_the_first_failure_within_bounds() {
        const FAILING: i64 = 3;
        let next = run(DOWN, 220, 220);
        // (before, first failure, since of the down run)
        let cases = [
            (Some(run(FAILING, 100, 160)), Some(100), 100),
            (Some(run(UP, 50, 160)), Some(100), 100),
            (Some(run(UP, 150, 160)), Some(100), 150),
            (Some(run(UP, 50, 160)), Some(300), 220),
            (Some(run(UP, 50, 160)), None, 220),
            (None, Some(100), 100),
        ];
        for (prev, began, since) in cases {
            assert_eq!(
                backdate(prev, next, began),
                run(DOWN, since, 220),
                "{prev:?} {began:?}"
            );
        }
    }

    #[test]
    fn store_state_late_result_does_not_roll_back() {
        assert_eq!(advance(Some(run(UP, 100, 160)), DOWN, 150), None);
    }

    #[test]
    fn store_state_same_instant_counts_as_newer() {
        assert_eq!(
            advance(Some(run(UP, 100, 160)), DOWN, 160),
            Some(run(DOWN, 160, 160))
        );
    }
}
