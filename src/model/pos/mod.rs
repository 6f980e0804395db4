//! Point of sale: a client's stores (sites) with their tills, IoT box,
//! uplinks and Odoo POS sessions, and the rules that turn what was observed
//! into a verdict the operator can act on (DOMAIN: "The point of sale").
//!
//! Pure: every rule takes the current time as a parameter.

pub mod alerts;
pub mod day;
pub mod session;
pub mod timeline;
pub mod verdict;

use std::time::Duration;

use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};

use super::Status;

pub use alerts::{Alert, AlertTracker, Condition};
pub use day::{Period, StoreDay};
pub use session::{PosSession, SessionState};
pub use timeline::{Segment, Timeline};
pub use verdict::{StoreView, judge};

/// The id a store's alerts go by (webhooks, maintenance silences).
pub fn alert_id(client: &str, site: &str) -> String {
    format!("pos:{client}/{site}")
}

/// The rules of the POS pane, from `[pos]` (defaults follow DOMAIN: the
/// tills need the internet when the session opens and closes).
#[derive(Debug, Clone, PartialEq)]
pub struct PosSettings {
    /// The critical period starts this long before opening (and closing).
    pub critical_before: Duration,
    /// ... and ends this long after opening (and closing).
    pub critical_after: Duration,
    /// A condition becomes an alert only once it has lasted this long.
    pub alert_after: Duration,
    /// An alert that comes back within this long is the same alert
    /// (repeats merged, counted).
    pub merge_within: Duration,
    /// A session still open this long after closing is an alert.
    pub left_open_after: Duration,
    /// No session opened by opening time plus this is an alert.
    pub opening_grace: Duration,
    /// A session in `closing_control` this long after closing is stuck.
    pub closing_stuck_after: Duration,
    /// Tills, IoT box and uplinks are probed this often.
    pub interval: Duration,
    /// Odoo's sessions are read this often.
    pub odoo_interval: Duration,
    /// Each probe gives up after this long.
    pub timeout: Duration,
    /// A till answering slower than this is shown degraded.
    pub slow_ms: u32,
}

impl Default for PosSettings {
    fn default() -> Self {
        PosSettings {
            critical_before: Duration::from_secs(30 * 60),
            critical_after: Duration::from_secs(30 * 60),
            alert_after: Duration::from_secs(60),
            merge_within: Duration::from_secs(15 * 60),
            left_open_after: Duration::from_secs(30 * 60),
            opening_grace: Duration::from_secs(15 * 60),
            closing_stuck_after: Duration::from_secs(30 * 60),
            interval: Duration::from_secs(10),
            odoo_interval: Duration::from_secs(60),
            timeout: Duration::from_secs(3),
            slow_ms: 500,
        }
    }
}

/// How a till, IoT box or uplink is probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Open a TCP connection to `host:port`.
    Tcp(String),
    /// GET a URL; any 2xx is up (and the body must contain the keyword
    /// when there is one: an IoT box answers `ping` on /hw_proxy/hello).
    Http {
        url: String,
        contains: Option<String>,
    },
}

impl Target {
    pub fn label(&self) -> &str {
        match self {
            Target::Tcp(a) => a,
            Target::Http { url, .. } => url,
        }
    }
}

/// A till (POS terminal) of a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Till {
    pub name: String,
    pub target: Target,
}

/// Which line an uplink is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum UplinkRole {
    /// The main line (fibre, DSL).
    Main,
    /// The 4G backup router that takes over when the main line fails.
    Backup,
}

impl UplinkRole {
    pub fn label(self) -> &'static str {
        match self {
            UplinkRole::Main => "main",
            UplinkRole::Backup => "4G",
        }
    }
}

/// One of the store's internet lines, probed on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uplink {
    pub role: UplinkRole,
    pub target: Target,
}

/// How Vigie tells which uplink carries the traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrafficCheck {
    /// The router's own status page: the value at a JSON pointer, or a
    /// keyword found in the page, names the line in use.
    RouterStatus {
        url: String,
        /// JSON pointer (`/wan/active`); without it the body is searched
        /// for the keywords.
        pointer: Option<String>,
        main: String,
        backup: String,
    },
    /// A public-address check: the address the store is seen from
    /// tells the line (each line has its own public address).
    PublicAddress {
        url: String,
        main: String,
        backup: String,
    },
}

impl TrafficCheck {
    /// Reads which line a status page or public-address answer names.
    /// `Err` says why it cannot be told (the page changed).
    pub fn read(&self, body: &str) -> Result<UplinkRole, String> {
        match self {
            TrafficCheck::RouterStatus {
                pointer: Some(p),
                main,
                backup,
                ..
            } => {
                let json: serde_json::Value = serde_json::from_str(body)
                    .map_err(|_| "router page is not JSON any more".to_string())?;
                let value = match json.pointer(p) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Null) | None => {
                        return Err(format!("router page has no {p}"));
                    }
                    Some(other) => other.to_string(),
                };
                if value.eq_ignore_ascii_case(main) {
                    Ok(UplinkRole::Main)
                } else if value.eq_ignore_ascii_case(backup) {
                    Ok(UplinkRole::Backup)
                } else {
                    Err(format!(
                        "router says {p} = {value:.40}, neither {main} nor {backup}"
                    ))
                }
            }
            TrafficCheck::RouterStatus {
                pointer: None,
                main,
                backup,
                ..
            } => match (body.contains(main.as_str()), body.contains(backup.as_str())) {
                (true, false) => Ok(UplinkRole::Main),
                (false, true) => Ok(UplinkRole::Backup),
                (true, true) => Err(format!("router page names both {main} and {backup}")),
                (false, false) => Err(format!("router page names neither {main} nor {backup}")),
            },
            TrafficCheck::PublicAddress { main, backup, .. } => {
                let seen = body.trim();
                if seen == main {
                    Ok(UplinkRole::Main)
                } else if seen == backup {
                    Ok(UplinkRole::Backup)
                } else {
                    Err(format!("seen from {seen:.45}, neither line's address"))
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TrafficCheck::RouterStatus { url, .. } | TrafficCheck::PublicAddress { url, .. } => url,
        }
    }
}

/// A store's POS equipment, from `[clients.<c>.sites.<s>.pos]`.
#[derive(Debug, Clone, PartialEq)]
pub struct StorePos {
    pub tills: Vec<Till>,
    /// The IoT box's base URL (probed at /hw_proxy/hello).
    pub iot: Option<Target>,
    pub uplinks: Vec<Uplink>,
    pub traffic: Option<TrafficCheck>,
    /// Names of the store's `pos.config` records in Odoo; empty: every
    /// point of sale of the client's Odoo.
    pub configs: Vec<String>,
    pub settings: PosSettings,
}

/// Where a client's Odoo answers and how Vigie logs in. The key itself is
/// never here: it is read from the environment variable or the owner-only
/// file when the client is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OdooConnection {
    pub url: String,
    pub db: String,
    pub login: String,
    pub secret: SecretSource,
    pub api: OdooTransport,
}

/// Which of Odoo's external APIs Vigie speaks (`api = "jsonrpc"` or
/// `"json2"`): Odoo 19 deprecates `/jsonrpc` and plans to remove it in
/// Odoo 22; JSON-2 exists from Odoo 19 on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OdooTransport {
    /// `POST /jsonrpc`, login then `execute_kw` (Odoo 8 to 21).
    #[default]
    JsonRpc,
    /// `POST /json/2/<model>/<method>` with a bearer API key (Odoo 19+).
    Json2,
}

/// Where an Odoo API key or password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    Env(String),
    File(std::path::PathBuf),
}

/// What one probe of a till, IoT box or uplink saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub status: Status,
    pub latency_ms: Option<u32>,
    /// Sanitized by the source.
    pub message: String,
}

impl Reading {
    pub fn up(latency_ms: u32) -> Reading {
        Reading {
            status: Status::Up,
            latency_ms: Some(latency_ms),
            message: String::new(),
        }
    }

    pub fn down(message: impl Into<String>) -> Reading {
        Reading {
            status: Status::Down,
            latency_ms: None,
            message: message.into(),
        }
    }
}

/// Why Odoo's sessions could not be read; each one is a clear state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OdooProblem {
    Unreachable(String),
    WrongCredentials,
    /// `pos.session` is unknown: the Point of Sale app is not installed.
    PosNotInstalled,
    NoSecret(String),
    /// Odoo answered something Vigie cannot read.
    BadAnswer(String),
    /// Another fault Odoo raised, in its own words ("Odoo fault ...").
    Fault(String),
}

impl OdooProblem {
    pub fn describe(&self) -> String {
        match self {
            OdooProblem::Unreachable(m) => format!("Odoo unreachable: {m}"),
            OdooProblem::WrongCredentials => "Odoo refused the login (wrong key?)".into(),
            OdooProblem::PosNotInstalled => "Odoo has no pos.session (POS not installed)".into(),
            OdooProblem::NoSecret(m) => format!("no Odoo key: {m}"),
            OdooProblem::BadAnswer(m) => format!("Odoo answer unreadable: {m}"),
            OdooProblem::Fault(m) => m.clone(),
        }
    }
}

/// One round of observations of a store.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub at: DateTime<Utc>,
    /// In the order of [`StorePos::tills`].
    pub tills: Vec<Reading>,
    pub iot: Option<Reading>,
    /// In the order of [`StorePos::uplinks`].
    pub uplinks: Vec<Reading>,
    /// Which line carries traffic (Err: why it cannot be told); `None`
    /// when nothing tells.
    pub active: Option<Result<UplinkRole, String>>,
    /// The latest reading of Odoo; `None` when no Odoo is configured.
    pub odoo: Option<Result<Vec<PosSession>, OdooProblem>>,
    /// Odoo's own `/web/health` (as an `odoo_health` check reads it).
    pub odoo_health: Option<Reading>,
}
