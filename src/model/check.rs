//! What one run of a check observed.

use chrono::{DateTime, Utc};

use super::Status;

/// The outcome of one probe, as the engine reports it and the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// `<host>/<check name>`, see [`super::Check::id`].
    pub check_id: String,
    pub at: DateTime<Utc>,
    pub status: Status,
    /// Time to answer, when the probe got an answer.
    pub latency_ms: Option<u32>,
    /// Short human text: "200 OK", "timeout after 5s", "cpu 12 %".
    /// Already stripped of escape sequences by the source.
    pub message: String,
}
