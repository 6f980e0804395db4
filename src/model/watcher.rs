//! `[self]`: Vigie watched from outside (`alerts::deadman`).

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfSettings {
    /// A Healthchecks-style URL pinged every `ping_every` while all is
    /// well; `<url>/fail` when not. `None`: no dead man's switch.
    pub ping_url: Option<String>,
    pub ping_every: Duration,
    /// How long deliveries may fail before the pings say so.
    pub delivery_grace: Duration,
}

impl Default for SelfSettings {
    fn default() -> SelfSettings {
        SelfSettings {
            ping_url: None,
            ping_every: Duration::from_secs(60),
            delivery_grace: Duration::from_secs(15 * 60),
        }
    }
}
