//! The fleet as configured: clients, their environments and hosts, their
//! sites (stores) and the contract terms they signed.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono_tz::Tz;

use super::hours::{OpeningHours, SupportHours};

/// Everything Vigie knows about the fleet, validated. Clients and hosts are
/// kept in the order of the configuration file.
#[derive(Debug, Clone, Default)]
pub struct Fleet {
    pub clients: Vec<Client>,
    pub hosts: Vec<Host>,
    pub contracts: BTreeMap<String, Contract>,
}

impl Fleet {
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| h.name == name)
    }

    pub fn client(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.id == id)
    }

    /// Every check of every host, with the host it belongs to.
    pub fn checks(&self) -> impl Iterator<Item = (&Host, &Check)> {
        self.hosts
            .iter()
            .flat_map(|h| h.checks.iter().map(move |c| (h, c)))
    }

    /// The clients (and their environment) that use a host; a mutualised
    /// server appears under several clients.
    pub fn users_of(&self, host: &str) -> Vec<(&Client, EnvKind)> {
        let mut out = Vec::new();
        for c in &self.clients {
            for e in &c.environments {
                if e.hosts.iter().any(|h| h == host) {
                    out.push((c, e.kind));
                }
            }
        }
        out
    }
}

/// A client organisation (e.g. a cooperative supermarket).
#[derive(Debug, Clone)]
pub struct Client {
    /// Key in the configuration (`[clients.<id>]`).
    pub id: String,
    pub name: String,
    pub timezone: Tz,
    /// Key of the contract in `[contracts]`.
    pub contract: String,
    pub environments: Vec<Environment>,
    pub sites: Vec<Site>,
}

/// The three kinds of environment a client has (DOMAIN: prod, preprod, dev).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EnvKind {
    Prod,
    Preprod,
    Dev,
}

impl EnvKind {
    pub fn label(self) -> &'static str {
        match self {
            EnvKind::Prod => "prod",
            EnvKind::Preprod => "preprod",
            EnvKind::Dev => "dev",
        }
    }

    pub fn parse(s: &str) -> Option<EnvKind> {
        match s {
            "prod" => Some(EnvKind::Prod),
            "preprod" => Some(EnvKind::Preprod),
            "dev" => Some(EnvKind::Dev),
            _ => None,
        }
    }
}

/// One environment of a client and the hosts it runs on.
#[derive(Debug, Clone)]
pub struct Environment {
    pub kind: EnvKind,
    /// Host names (keys of `[hosts]`).
    pub hosts: Vec<String>,
    /// Whether the rows of this environment are tinted in the console
    /// (prod is tinted by default so nobody mistakes it for a test host).
    pub tint: bool,
}

/// A client's site: a store with tills, in its own timezone.
#[derive(Debug, Clone)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub timezone: Tz,
    pub hours: OpeningHours,
}

/// A machine we watch.
#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    pub address: String,
    pub ssh_user: Option<String>,
    pub ssh_port: u16,
    pub checks: Vec<Check>,
}

/// What a check probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckKind {
    /// GET a URL and expect one of the listed status codes.
    Http {
        url: String,
        expect_status: Vec<u16>,
    },
    /// Scrape a prometheus-node-exporter text endpoint.
    NodeExporter { url: String },
    /// Open a TCP connection.
    Tcp { address: String },
}

impl CheckKind {
    pub fn label(&self) -> &'static str {
        match self {
            CheckKind::Http { .. } => "http",
            CheckKind::NodeExporter { .. } => "node_exporter",
            CheckKind::Tcp { .. } => "tcp",
        }
    }

    /// The target shown to the operator.
    pub fn target(&self) -> &str {
        match self {
            CheckKind::Http { url, .. } | CheckKind::NodeExporter { url } => url,
            CheckKind::Tcp { address } => address,
        }
    }
}

/// One probe of a host, run every `interval` with a `timeout`.
#[derive(Debug, Clone)]
pub struct Check {
    /// Unique across the fleet: `<host>/<name>`.
    pub id: String,
    pub name: String,
    pub kind: CheckKind,
    pub interval: Duration,
    pub timeout: Duration,
}

/// The terms a client signed (DOMAIN: support and service levels).
#[derive(Debug, Clone, PartialEq)]
pub struct Contract {
    pub id: String,
    pub support_hours: SupportHours,
    /// Intervention time per ticket priority, in support-hours time
    /// (e.g. urgent 2 h).
    pub intervention: BTreeMap<String, Duration>,
    /// Optional restoration time per priority, for contracts that promise one.
    pub restoration: BTreeMap<String, Duration>,
    /// Yearly quota of support calls (e.g. 24), if the contract has one.
    pub calls_per_year: Option<u32>,
    /// Billed per started period of work, per hour (e.g. 120 EUR).
    pub hourly_rate: f64,
    pub currency: String,
    pub monthly_fee: f64,
    /// Availability tiers, best first: below `below` percent, credit
    /// `credit_percent` of the monthly fee.
    pub tiers: Vec<AvailabilityTier>,
    /// Diagnosis time after which the client must be warned (DOMAIN: 1 h).
    pub diagnosis_warning: Duration,
}

/// One availability tier: a month under `below` % earns `credit_percent` %
/// of the monthly fee as credit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AvailabilityTier {
    pub below: f64,
    pub credit_percent: f64,
}
