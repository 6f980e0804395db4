//! The fleet as configured: clients, their environments and hosts, their
//! sites (stores) and the contract terms they signed.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono_tz::Tz;

use super::hours::{OpeningHours, SupportHours};
use super::metric::Thresholds;

/// Everything Vigie knows about the fleet, validated. Clients and hosts are
/// kept in the order of the configuration file.
#[derive(Debug, Clone, Default)]
pub struct Fleet {
    pub clients: Vec<Client>,
    pub hosts: Vec<Host>,
    pub contracts: BTreeMap<String, Contract>,
    pub health: HealthSettings,
    /// `[backups.<id>]`, in file order.
    pub backups: Vec<super::backup::BackupSource>,
    /// Where `vigie daemon` listens for backup pings (`[pings] listen`).
    pub pings_listen: Option<std::net::SocketAddr>,
    /// `[tickets]`: the tracker and what stops the intervention clock.
    pub tickets: super::tickets::TicketSettings,
    /// `[alerts] due_within`, `heartbeat_stale`: the alert list's own
    /// thresholds.
    pub attention: super::attention::Settings,
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
    /// The client's Odoo, for POS sessions.
    pub odoo: Option<super::pos::OdooConnection>,
    /// When its hosts may be touched (`[clients.<id>.maintenance]` over
    /// `[maintenance]`).
    pub maintenance: super::maintenance::ClientRules,
    /// What is metered for the yearly invoice, and where.
    pub usage: super::usage::UsageMeters,
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
    /// Its tills, IoT box and uplinks, when the store is watched.
    pub pos: Option<super::pos::StorePos>,
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
#[derive(Debug, Clone, PartialEq)]
pub enum CheckKind {
    /// GET a URL (also Odoo's /web/health, see [`HttpCheck`]).
    Http(HttpCheck),
    /// Open a TCP connection.
    Tcp {
        address: String,
        /// Connect time above which the check is degraded.
        slow_ms: u32,
    },
    /// Scrape a prometheus-node-exporter text endpoint.
    NodeExporter { url: String, thresholds: Thresholds },
    /// Read the same signals from a Prometheus server's HTTP API.
    Prometheus(PrometheusCheck),
    /// Run a command over SSH and match its exit status and output.
    SshCommand(SshCommandCheck),
    /// Run a Nagios/Monitoring plugin and read its exit status and
    /// performance data.
    Nagios(NagiosCheck),
    /// Read a PostgreSQL server's replication, archiving and sessions.
    Postgres(super::postgres::PostgresCheck),
    /// Read a client's Odoo from the inside through its external API
    /// (scheduled actions, mail queue, queue jobs, modules).
    Odoo(OdooInsideCheck),
}

impl CheckKind {
    pub fn label(&self) -> &'static str {
        match self {
            CheckKind::Http(h) if h.odoo => "odoo_health",
            CheckKind::Http(_) => "http",
            CheckKind::NodeExporter { .. } => "node_exporter",
            CheckKind::Tcp { .. } => "tcp",
            CheckKind::Prometheus(_) => "prometheus",
            CheckKind::SshCommand(_) => "ssh_command",
            CheckKind::Nagios(_) => "nagios",
            CheckKind::Postgres(_) => "postgres",
            CheckKind::Odoo(_) => "odoo",
        }
    }

    /// The target shown to the operator.
    pub fn target(&self) -> &str {
        match self {
            CheckKind::Http(HttpCheck { url, .. }) | CheckKind::NodeExporter { url, .. } => url,
            CheckKind::Tcp { address, .. } => address,
            CheckKind::Prometheus(p) => &p.instance,
            CheckKind::SshCommand(s) => &s.command,
            CheckKind::Nagios(n) => &n.shown,
            CheckKind::Postgres(p) => &p.url,
            CheckKind::Odoo(o) => &o.shown,
        }
    }

    /// Whether the check says something about the service the client pays
    /// for (and so counts in its availability) rather than about the host.
    pub fn is_service(&self) -> bool {
        match self {
            CheckKind::Http(_) | CheckKind::Tcp { .. } => true,
            CheckKind::Prometheus(p) => p.signals == PromSignals::Probe,
            CheckKind::NodeExporter { .. }
            | CheckKind::SshCommand(_)
            | CheckKind::Nagios(_)
            | CheckKind::Postgres(_)
            | CheckKind::Odoo(_) => false,
        }
    }
}

/// An HTTP(S) check.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpCheck {
    pub url: String,
    /// Status codes that mean up; empty means any 2xx.
    pub expect_status: Vec<u16>,
    /// A string the body must contain (the first [`HTTP_BODY_LIMIT`] bytes).
    pub body_contains: Option<String>,
    /// A condition on a JSON body.
    pub json: Option<JsonCondition>,
    /// Redirects followed; 0 means a 3xx answer is judged as it is.
    pub max_redirects: u8,
    /// Latency above which the check is degraded.
    pub slow_ms: u32,
    /// Certificate days left at or under which the check is degraded /
    /// down (https only).
    pub tls_warn_days: u32,
    pub tls_crit_days: u32,
    /// Made from an `odoo_health` check (Odoo's /web/health).
    pub odoo: bool,
}

/// Bytes of a body read at most; the rest is never downloaded.
pub const HTTP_BODY_LIMIT: usize = 64 * 1024;

impl HttpCheck {
    /// A plain GET of `url` expecting 200, with the default limits.
    pub fn get(url: impl Into<String>) -> HttpCheck {
        HttpCheck {
            url: url.into(),
            expect_status: vec![200],
            body_contains: None,
            json: None,
            max_redirects: 5,
            slow_ms: 1_000,
            tls_warn_days: 21,
            tls_crit_days: 7,
            odoo: false,
        }
    }
}

/// `pointer` (RFC 6901, "/status") compared with `value` by `op`.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonCondition {
    pub pointer: String,
    pub op: JsonOp,
    pub value: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// The pointer resolves to anything (value ignored).
    Exists,
}

impl JsonOp {
    pub fn symbol(self) -> &'static str {
        match self {
            JsonOp::Eq => "==",
            JsonOp::Ne => "!=",
            JsonOp::Lt => "<",
            JsonOp::Le => "<=",
            JsonOp::Gt => ">",
            JsonOp::Ge => ">=",
            JsonOp::Exists => "exists",
        }
    }

    pub fn parse(s: &str) -> Option<JsonOp> {
        [
            JsonOp::Eq,
            JsonOp::Ne,
            JsonOp::Lt,
            JsonOp::Le,
            JsonOp::Gt,
            JsonOp::Ge,
            JsonOp::Exists,
        ]
        .into_iter()
        .find(|op| op.symbol() == s)
    }
}

/// Which signals a Prometheus check reads about `instance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromSignals {
    /// node_exporter series (`node_*{instance="..."}`): the host metrics.
    Node,
    /// blackbox_exporter series (`probe_success`, `probe_duration_seconds`,
    /// `probe_ssl_earliest_cert_expiry`): a service probe.
    Probe,
}

/// Instant queries against an existing Prometheus server.
#[derive(Debug, Clone, PartialEq)]
pub struct PrometheusCheck {
    /// The server's base URL (`http://prometheus:9090`).
    pub url: String,
    /// The `instance` label of the series to read.
    pub instance: String,
    pub signals: PromSignals,
    pub thresholds: Thresholds,
    /// For `Probe` signals: latency above which the check is degraded.
    pub slow_ms: u32,
}

/// A command run over SSH on the check's host (`sources::ssh::check`).
#[derive(Debug, Clone, PartialEq)]
pub struct SshCommandCheck {
    pub command: String,
    pub expect_exit: i32,
    /// A string the output must contain.
    pub expect_output: Option<String>,
    /// Where the command runs (the check's host, resolved from its entry).
    pub target: crate::model::ssh::SshTarget,
}

/// A Nagios plugin run as a check: a program and its arguments, no shell.
#[derive(Debug, Clone, PartialEq)]
pub struct NagiosCheck {
    /// The plugin's absolute path, then its arguments.
    pub command: Vec<String>,
    /// The command as shown to the operator (arguments joined by spaces).
    pub shown: String,
    /// Run on the check's host over SSH rather than where Vigie runs.
    pub over_ssh: bool,
    /// Where it runs over SSH (the check's host, resolved from its entry).
    pub target: crate::model::ssh::SshTarget,
}

impl NagiosCheck {
    pub fn new(command: Vec<String>, over_ssh: bool) -> NagiosCheck {
        NagiosCheck {
            shown: command.join(" "),
            command,
            over_ssh,
            target: Default::default(),
        }
    }
}

/// An `odoo` check: the Odoo of `client`, read from the inside.
#[derive(Debug, Clone, PartialEq)]
pub struct OdooInsideCheck {
    pub client: String,
    /// The client's `[clients.<c>.odoo]`, filled once every client is known.
    pub connection: Option<crate::model::pos::OdooConnection>,
    pub limits: crate::model::odoo_inside::InsideLimits,
    /// The target as shown (`<url> (<db>)`).
    pub shown: String,
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
    /// Immediate retries of a failed probe before it counts as a failure.
    pub retries: u32,
    /// Failures in a row before the check is down (DOMAIN: 3).
    pub down_after: u32,
    /// Successes in a row before a down check is up again.
    pub up_after: u32,
    /// A check of Vigie's own connectivity (a target outside the fleet):
    /// while it fails, failing checks are 'unknown', not 'down'.
    pub canary: bool,
    /// Counts in the client's availability (defaults to the kind's
    /// [`CheckKind::is_service`]).
    pub sla: bool,
    /// On a shared host, the clients whose service this is (keys of
    /// `[clients]`); empty means every client using the host.
    pub clients: Vec<String>,
}

impl Check {
    /// Whether this check is about `client`'s service.
    pub fn serves(&self, client: &str) -> bool {
        self.clients.is_empty() || self.clients.iter().any(|c| c == client)
    }
}

impl Check {
    /// A check with the default policy (down after 3, up after 2, no
    /// retries), as the configuration builds it when nothing is said.
    pub fn new(
        host: &str,
        name: &str,
        kind: CheckKind,
        interval: Duration,
        timeout: Duration,
    ) -> Check {
        let sla = kind.is_service();
        Check {
            id: format!("{host}/{name}"),
            name: name.to_string(),
            kind,
            interval,
            timeout,
            retries: 0,
            down_after: 3,
            up_after: 2,
            canary: false,
            sla,
            clients: Vec::new(),
        }
    }
}

/// Fleet-wide rules of the Health pane (`[health]`).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthSettings {
    /// A check that changed state `flap_changes` times within
    /// `flap_window` is flapping.
    pub flap_changes: u32,
    pub flap_window: Duration,
    /// When at least this many checks (and all of them) fail in the same
    /// round, Vigie's own network is presumed cut: the time is unknown.
    pub all_failing_min: u32,
    /// How long each resolution of history is kept.
    pub retention: Retention,
}

impl Default for HealthSettings {
    fn default() -> HealthSettings {
        HealthSettings {
            flap_changes: 5,
            flap_window: Duration::from_secs(3600),
            all_failing_min: 3,
            retention: Retention::default(),
        }
    }
}

/// How long raw results and each rollup resolution are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub raw: Duration,
    pub minute: Duration,
    pub hour: Duration,
    pub day: Duration,
}

impl Default for Retention {
    fn default() -> Retention {
        const DAY: u64 = 86_400;
        Retention {
            raw: Duration::from_secs(2 * DAY),
            minute: Duration::from_secs(2 * DAY),
            hour: Duration::from_secs(35 * DAY),
            day: Duration::from_secs(396 * DAY),
        }
    }
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
    pub hourly_rate: super::money::Decimal,
    pub currency: String,
    pub monthly_fee: super::money::Decimal,
    /// Availability tiers, best first: below `below` percent, credit
    /// `credit_percent` of the monthly fee.
    pub tiers: Vec<AvailabilityTier>,
    /// Diagnosis time after which the client must be warned (DOMAIN: 1 h).
    pub diagnosis_warning: Duration,
    /// Public holidays (country presets and local dates): the intervention
    /// clock stops.
    pub holidays: super::holidays::Holidays,
    /// Work is billed per started period of this length (default 15 min).
    pub billing_increment: Duration,
    /// Usage terms for the yearly invoice (`[contracts.<id>.usage]`).
    pub usage: Option<super::usage::UsagePrices>,
}

/// One availability tier: a month under `below` % earns `credit_percent` %
/// of the monthly fee as credit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AvailabilityTier {
    pub below: f64,
    pub credit_percent: super::money::Decimal,
}
