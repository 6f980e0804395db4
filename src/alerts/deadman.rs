//! The dead man's switch (`[self] ping_url`): the daemon pings an outside
//! Healthchecks-style URL every `ping_every` while it is sound — its loop
//! turns, its engine brings results, its store writes succeed and its last
//! delivery has not been failing for longer than `delivery_grace` — and
//! `<url>/fail`, with the reason in the body, when one of these breaks. If
//! Vigie's host or uplink dies, the pings stop and the outside service
//! pages the team. Another Vigie's ping listener (`[pings] listen`, with a
//! `kind = "ping"` backup source whose uuid is in the URL) can be that
//! outside end: two co-ops watching each other.

use std::time::Duration;

/// What the daemon knows of itself at a tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The store's fault in words, when writes fail.
    pub store_fault: Option<String>,
    /// Since the engine last brought a result; `None` without checks.
    pub since_result: Option<Duration>,
    /// How long deliveries have been failing; `None` when the last one
    /// went through.
    pub delivery_failing_for: Option<Duration>,
}

/// How long each part may be quiet before the pings say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub engine_quiet: Duration,
    pub delivery_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            engine_quiet: Duration::from_secs(10 * 60),
            delivery_grace: Duration::from_secs(15 * 60),
        }
    }
}

/// `Ok` when all is well, else the reason the outside end is told. Pure.
pub fn verdict(health: &Health, limits: &Limits) -> Result<(), String> {
    let mut why = Vec::new();
    if let Some(f) = &health.store_fault {
        why.push(format!("store writes fail: {f}"));
    }
    if let Some(q) = health.since_result {
        if q > limits.engine_quiet {
            why.push(format!(
                "the engine brought no result for {} s",
                q.as_secs()
            ));
        }
    }
    if let Some(d) = health.delivery_failing_for {
        if d > limits.delivery_grace {
            why.push(format!(
                "pages have failed to deliver for {} s",
                d.as_secs()
            ));
        }
    }
    if why.is_empty() {
        Ok(())
    } else {
        Err(why.join("; "))
    }
}

/// Sends the pings, one at a time: a ping still on its way when the next
/// is due is abandoned (the outside end hears of it by the silence), so a
/// hanging service never blocks the daemon's loop.
pub struct Pinger {
    url: String,
    client: reqwest::Client,
    flying: Option<tokio::task::JoinHandle<()>>,
}

impl Pinger {
    pub fn new(url: &str, client: reqwest::Client) -> Pinger {
        Pinger {
            url: url.trim_end_matches('/').to_string(),
            client,
            flying: None,
        }
    }

    /// Pings `<url>` when `verdict` is `Ok`, `<url>/fail` with the reason
    /// when not.
    pub fn ping(&mut self, verdict: Result<(), String>) {
        if let Some(f) = self.flying.take() {
            f.abort();
        }
        let request = match verdict {
            Ok(()) => self.client.post(&self.url),
            Err(why) => {
                tracing::warn!(reason = %why, "dead man's switch: pinging /fail");
                self.client
                    .post(format!("{}/fail", self.url))
                    .body(crate::sanitize::clean_short(&why, 2_000))
            }
        };
        self.flying = Some(tokio::spawn(async move {
            match request.send().await {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => tracing::warn!(status = r.status().as_u16(), "self ping refused"),
                Err(e) => {
                    tracing::warn!(error = %crate::sanitize::clean_short(&e.to_string(), 120), "self ping failed")
                }
            }
        }));
    }
}

impl Drop for Pinger {
    fn drop(&mut self) {
        if let Some(f) = self.flying.take() {
            f.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sound() -> Health {
        Health {
            store_fault: None,
            since_result: Some(Duration::from_secs(30)),
            delivery_failing_for: None,
        }
    }

    #[test]
    fn each_broken_part_is_named_and_a_short_hiccup_is_not() {
        let l = Limits::default();
        assert_eq!(verdict(&sound(), &l), Ok(()));
        let no_checks = Health {
            since_result: None,
            ..sound()
        };
        assert_eq!(verdict(&no_checks, &l), Ok(()));
        let hiccup = Health {
            delivery_failing_for: Some(Duration::from_secs(60)),
            ..sound()
        };
        assert_eq!(verdict(&hiccup, &l), Ok(()));
        let all = Health {
            store_fault: Some("the disk is full".into()),
            since_result: Some(Duration::from_secs(11 * 60)),
            delivery_failing_for: Some(Duration::from_secs(16 * 60)),
        };
        let why = verdict(&all, &l).unwrap_err();
        assert!(why.contains("store writes fail: the disk is full"), "{why}");
        assert!(why.contains("no result for 660 s"), "{why}");
        assert!(why.contains("failed to deliver for 960 s"), "{why}");
    }
}
