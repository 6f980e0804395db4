//! Adapters that talk to the world. Each one speaks one protocol and returns
//! a [`Probe`] (or model types); none knows about panes or SQL.

pub mod backups;
pub mod borg;
pub mod bounded;
pub mod child;
pub mod dumps;
pub mod http;
pub mod nagios;
pub mod node_exporter;
pub mod odoo;
pub mod pos;
pub mod postgres;
pub mod prometheus;
pub mod restic;
pub mod ssh;
pub mod tcp;
pub mod tickets;
pub mod usage;
pub mod zoneinfo;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
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
    /// Follows 5 redirects (the default), for checks and scrapes.
    http: reqwest::Client,
    /// Clients for other redirect limits, made on first use.
    by_redirects: Arc<Mutex<HashMap<u8, reqwest::Client>>>,
    /// Accepts any certificate; only to read an invalid one's dates.
    insecure: reqwest::Client,
    /// Extra trusted roots (tests, private CAs).
    roots: Arc<Vec<reqwest::Certificate>>,
    /// The previous scrape of each node_exporter, for CPU and rates.
    scrapes: node_exporter::History,
    /// How `ssh_command` checks connect.
    ssh: Arc<ssh::Options>,
    /// The kept session of each `postgres` check.
    postgres: postgres::Kept,
}

/// Redirects an HTTP check follows unless its configuration says otherwise.
const DEFAULT_REDIRECTS: u8 = 5;

impl Sources {
    pub fn new() -> Result<Sources, reqwest::Error> {
        Sources::with_roots(Vec::new())
    }

    /// Sources that also trust `roots` (a private CA).
    pub fn with_roots(roots: Vec<reqwest::Certificate>) -> Result<Sources, reqwest::Error> {
        let roots = Arc::new(roots);
        let http = client(&roots, DEFAULT_REDIRECTS)?;
        let insecure = reqwest::Client::builder()
            .user_agent(concat!("vigie/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .tls_info(true)
            .danger_accept_invalid_certs(true)
            .build()?;
        Ok(Sources {
            http,
            by_redirects: Default::default(),
            insecure,
            roots,
            scrapes: Default::default(),
            ssh: Arc::new(ssh::Options::from_env(None)),
            postgres: Default::default(),
        })
    }

    /// The SSH options checks use (also for SFTP backup listings).
    pub fn ssh_options(&self) -> Arc<ssh::Options> {
        self.ssh.clone()
    }

    /// The same sources with the SSH options of a configuration.
    pub fn with_ssh(mut self, opts: ssh::Options) -> Sources {
        self.ssh = Arc::new(opts);
        self
    }

    /// The client that follows `max` redirects.
    fn http_for(&self, max: u8) -> reqwest::Client {
        if max == DEFAULT_REDIRECTS {
            return self.http.clone();
        }
        if let Ok(mut map) = self.by_redirects.lock() {
            if let Some(c) = map.get(&max) {
                return c.clone();
            }
            if let Ok(c) = client(&self.roots, max) {
                map.insert(max, c.clone());
                return c;
            }
        }
        self.http.clone()
    }

    /// The shared HTTP client (5 redirects), for sources that speak their
    /// own protocol over HTTP (Odoo's JSON-RPC, POS probes).
    pub fn http_client(&self) -> reqwest::Client {
        self.http.clone()
    }

    /// Runs one probe of `kind`, never longer than `timeout`.
    pub async fn probe(&self, kind: &CheckKind, timeout: Duration) -> Probe {
        let run = async {
            match kind {
                CheckKind::Http(h) => {
                    let normal = self.http_for(h.max_redirects);
                    let clients = http::Clients {
                        normal: &normal,
                        insecure: &self.insecure,
                    };
                    http::probe(clients, h).await
                }
                CheckKind::NodeExporter { url, thresholds } => {
                    node_exporter::probe(&self.http, url, thresholds, &self.scrapes).await
                }
                CheckKind::Tcp { address, .. } => tcp::probe(address).await,
                CheckKind::Prometheus(p) => prometheus::probe(&self.http, p).await,
                CheckKind::SshCommand(c) => ssh::check::probe(c, &self.ssh, timeout).await,
                CheckKind::Nagios(n) => nagios::probe(n, &self.ssh, timeout).await,
                CheckKind::Postgres(p) => postgres::probe(p, &self.postgres, timeout).await,
                CheckKind::Odoo(o) => odoo::inside::probe(&self.http, o, timeout).await,
            }
        };
        match tokio::time::timeout(timeout, run).await {
            Ok(probe) => probe,
            Err(_) => Probe::down(format!(
                "no answer within {}",
                crate::model::words::human_duration(timeout)
            )),
        }
    }
}

fn client(
    roots: &[reqwest::Certificate],
    redirects: u8,
) -> Result<reqwest::Client, reqwest::Error> {
    let policy = match redirects {
        0 => reqwest::redirect::Policy::none(),
        n => reqwest::redirect::Policy::limited(usize::from(n)),
    };
    let mut b = reqwest::Client::builder()
        .user_agent(concat!("vigie/", env!("CARGO_PKG_VERSION")))
        .redirect(policy)
        .tls_info(true);
    for r in roots {
        b = b.add_root_certificate(r.clone());
    }
    b.build()
}

pub(crate) fn elapsed_ms(start: std::time::Instant) -> u32 {
    u32::try_from(start.elapsed().as_millis()).unwrap_or(u32::MAX)
}
