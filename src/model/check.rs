//! What one run of a check observed.

use chrono::{DateTime, Utc};

use super::{Metric, Status};

/// The outcome of one probe, as the engine reports it and the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// `<host>/<check name>`, see [`super::Check::id`].
    pub check_id: String,
    pub at: DateTime<Utc>,
    /// The check's state after this probe, as the engine judges it: down
    /// only after `down_after` failures in a row, up after `up_after`
    /// successes, unknown when Vigie's own network is cut.
    pub status: Status,
    /// What this probe alone said (up, degraded or down; unknown when the
    /// kind cannot run here).
    pub observed: Status,
    /// Time to answer, when the probe got an answer.
    pub latency_ms: Option<u32>,
    /// Short human text: "200 OK", "timeout after 5s", "cpu 12 %".
    /// Already stripped of escape sequences by the source.
    pub message: String,
    /// Figures measured besides latency (host metrics, certificate days).
    pub metrics: Vec<Metric>,
    /// The state changes often (see `HealthSettings::flap`).
    pub flapping: bool,
    /// Failing but not yet confirmed down (status `Degraded`): failures in
    /// a row and how many confirm, shown "▲ failing 1/3".
    pub failing: Option<(u32, u32)>,
    /// While failing or down, the first failure of the run: the store
    /// starts a confirmed down interval there, so availability counts the
    /// whole outage.
    pub first_failure: Option<DateTime<Utc>>,
}

impl CheckResult {
    /// A result whose state is what the probe observed (history written by
    /// tools and tests, `vigie check`).
    pub fn observed(
        check_id: impl Into<String>,
        at: DateTime<Utc>,
        status: Status,
        latency_ms: Option<u32>,
        message: impl Into<String>,
    ) -> CheckResult {
        CheckResult {
            check_id: check_id.into(),
            at,
            status,
            observed: status,
            latency_ms,
            message: message.into(),
            metrics: Vec::new(),
            flapping: false,
            failing: None,
            first_failure: None,
        }
    }
}
