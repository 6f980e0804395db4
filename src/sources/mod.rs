//! Adapters that talk to the world. Each one speaks one protocol and returns
//! a [`Probe`] (or model types); none knows about panes or SQL.

pub mod http;
pub mod node_exporter;
pub mod tcp;

use std::time::Duration;

use crate::model::{CheckKind, Metric, Status};

/// What one probe observed, before the engine stamps it with a time and a
/// check id.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub status: Status,
    pub latency_ms: Option<u32>,
    pub message: String,
    /// Figures measured besides latency.
    pub metrics: Vec<Metric>,
}

impl Probe {
    pub fn down(message: impl Into<String>) -> Probe {
        Probe {
            status: Status::Down,
            latency_ms: None,
            message: message.into(),
            metrics: Vec::new(),
        }
    }
}

/// Shared clients, built once: an HTTP client keeps its connection pool.
#[derive(Clone)]
pub struct Sources {
    http: reqwest::Client,
    /// The previous scrape of each node_exporter, for CPU and rates.
    scrapes: node_exporter::History,
}

impl Sources {
    pub fn new() -> Result<Sources, reqwest::Error> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("vigie/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()?;
        Ok(Sources {
            http,
            scrapes: Default::default(),
        })
    }

    /// Runs one probe of `kind`, never longer than `timeout`.
    pub async fn probe(&self, kind: &CheckKind, timeout: Duration) -> Probe {
        let run = async {
            match kind {
                CheckKind::Http(h) => http::probe(&self.http, &h.url, &h.expect_status).await,
                CheckKind::NodeExporter { url, thresholds } => {
                    node_exporter::probe(&self.http, url, thresholds, &self.scrapes).await
                }
                CheckKind::Tcp { address, .. } => tcp::probe(address).await,
                CheckKind::Prometheus(_) => Probe {
                    status: Status::Unknown,
                    latency_ms: None,
                    message: "prometheus checks are not implemented yet".into(),
                    metrics: Vec::new(),
                },
                CheckKind::SshCommand(_) => Probe {
                    status: Status::Unknown,
                    latency_ms: None,
                    message: "unavailable: ssh checks need the SSH layer".into(),
                    metrics: Vec::new(),
                },
            }
        };
        match tokio::time::timeout(timeout, run).await {
            Ok(probe) => probe,
            Err(_) => Probe::down(format!("no answer within {}", human_duration(timeout))),
        }
    }
}

/// "5s", "1m30s": how durations read in messages.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{}ms", d.as_millis());
    }
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

pub(crate) fn elapsed_ms(start: std::time::Instant) -> u32 {
    u32::try_from(start.elapsed().as_millis()).unwrap_or(u32::MAX)
}
