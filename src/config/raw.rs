//! The configuration file as written: serde structs that mirror the TOML,
//! with spans kept where a later check needs to point at a value. Every
//! struct denies unknown keys. `validate` turns these into model types.
//!
//! Adding a key: one field here, one line in `assets/vigie.example.toml`,
//! and its checks in `validate`.

use serde::Deserialize;
use toml::Spanned;

use super::values::{
    AmountValue, DayValue, DurationValue, EnvKindValue, HolidayList, OrderedMap, TimeValue,
    TimezoneValue, WeekdayValue,
};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub console: RawConsole,
    #[serde(default)]
    pub contracts: OrderedMap<String, RawContract>,
    #[serde(default)]
    pub clients: OrderedMap<String, RawClient>,
    #[serde(default)]
    pub hosts: OrderedMap<String, RawHost>,
    #[serde(default)]
    pub health: RawHealth,
    /// `[backups.<id>]`: backup sources and their policies.
    #[serde(default)]
    pub backups: OrderedMap<String, RawBackup>,
    /// `[pings]`: where `vigie daemon` listens for backup pings.
    pub pings: Option<RawPings>,
    /// Fleet-wide maintenance policy; clients override key by key.
    #[serde(default)]
    pub maintenance: RawMaintenance,
    #[serde(default)]
    pub alerts: RawAlerts,
    /// `[self]`: the dead man's switch.
    #[serde(default, rename = "self")]
    pub watcher: RawSelf,
    #[serde(default)]
    pub ssh: RawSsh,
    pub tickets: Option<RawTickets>,
    #[serde(default)]
    pub pos: RawPos,
    /// `[oncall]`: the rota paging reads (see `validate::paging`).
    pub oncall: Option<RawOncall>,
    /// `[status_page]`: where `vigie status-page` writes by default.
    pub status_page: Option<RawStatusPage>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStatusPage {
    pub dir: Option<String>,
}

/// `[ssh]`: how Vigie speaks SSH (see `validate::ssh`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSsh {
    pub client: Option<Spanned<String>>,
    pub known_hosts: Option<Spanned<String>>,
    pub tmux_window: Option<bool>,
    pub connect_timeout: Option<Spanned<DurationValue>>,
    pub keepalive: Option<Spanned<DurationValue>>,
}

/// `[alerts]`: webhooks the daemon calls.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAlerts {
    pub merge_window: Option<Spanned<DurationValue>>,
    /// The alert list: a ticket due within this wall-clock time.
    pub due_within: Option<Spanned<DurationValue>>,
    /// The alert list: a daemon heartbeat older than this is stale.
    pub heartbeat_stale: Option<Spanned<DurationValue>>,
    #[serde(default)]
    pub webhooks: Vec<Spanned<RawWebhook>>,
    pub repeat_every: Option<Spanned<DurationValue>>,
    pub escalate_after: Option<Spanned<DurationValue>>,
    /// Warnings page only in support hours (Monday-Friday 09:00-18:00 in
    /// the rota's timezone); criticals page at any hour.
    pub warnings_in_support_hours: Option<bool>,
    /// Where alerts no route takes go (default: `["oncall"]`).
    pub default_route: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub routes: Vec<Spanned<RawRoute>>,
    #[serde(default)]
    pub receivers: Vec<Spanned<RawReceiver>>,
    pub listen: Option<Spanned<String>>,
    pub ack_url: Option<Spanned<String>>,
    pub ack_secret_file: Option<Spanned<String>>,
    pub ack_valid_for: Option<Spanned<DurationValue>>,
}

/// `[self]`: Vigie watched from outside.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSelf {
    pub ping_url: Option<Spanned<String>>,
    pub ping_every: Option<Spanned<DurationValue>>,
    pub delivery_grace: Option<Spanned<DurationValue>>,
}

/// `[[alerts.receivers]]`: e-mail or ntfy; `validate::receivers` requires
/// or refuses each key by `kind`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReceiver {
    pub name: Spanned<String>,
    pub kind: Spanned<String>,
    // email
    pub server: Option<Spanned<String>>,
    pub port: Option<Spanned<u16>>,
    pub tls: Option<Spanned<String>>,
    pub username: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub password_file: Option<Spanned<String>>,
    pub from: Option<Spanned<String>>,
    pub to: Option<Spanned<Vec<String>>>,
    // ntfy
    pub url: Option<Spanned<String>>,
    pub token_env: Option<Spanned<String>>,
    pub token_file: Option<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// `[[alerts.webhooks]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWebhook {
    pub name: Option<String>,
    pub kind: Spanned<String>,
    pub url: Option<Spanned<String>>,
    pub url_env: Option<Spanned<String>>,
    pub room: Option<Spanned<String>>,
    pub token_env: Option<Spanned<String>>,
    pub token_file: Option<Spanned<String>>,
}

/// `[pings]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPings {
    pub listen: Spanned<String>,
}

/// `[backups.<id>]`: one backup source. The keys of every kind are
/// optional here; `validate::backup` requires or refuses them by `kind`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBackup {
    pub client: Spanned<String>,
    pub name: Option<String>,
    pub kind: Spanned<String>,
    pub repository: Option<Spanned<String>>,
    pub binary: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub password_file: Option<Spanned<String>>,
    pub passcommand: Option<Spanned<String>>,
    pub host: Option<Spanned<String>>,
    pub timezone: Option<TimezoneValue>,
    pub directory: Option<Spanned<String>>,
    pub pattern: Option<Spanned<String>>,
    pub uuid: Option<Spanned<String>>,
    /// `wal_archive`: the PostgreSQL primary's libpq URL.
    pub url: Option<Spanned<String>>,
    pub at: Option<Spanned<TimeValue>>,
    pub cron: Option<Spanned<String>>,
    pub grace: Option<Spanned<DurationValue>>,
    pub retention_days: Option<Spanned<u32>>,
    pub rpo: Option<Spanned<DurationValue>>,
    pub min_size: Option<Spanned<String>>,
    pub suspect_below_pct: Option<Spanned<f64>>,
    pub every: Option<Spanned<DurationValue>>,
    pub timeout: Option<Spanned<DurationValue>>,
}

/// `[tickets]`: the tracker the Tickets pane reads and writes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTickets {
    pub backend: Spanned<String>,
    pub url: Option<Spanned<String>>,
    pub api_key_env: Option<String>,
    pub api_key_file: Option<String>,
    pub activity_id: Option<u32>,
    #[serde(default)]
    pub team: Vec<String>,
    #[serde(default)]
    pub stop_statuses: Vec<String>,
    pub sync_interval: Option<DurationValue>,
    /// Tracker project identifier -> client id.
    #[serde(default)]
    pub projects: OrderedMap<String, Spanned<String>>,
}

/// `[health]`: fleet-wide rules of the Health pane.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHealth {
    pub flap_changes: Option<Spanned<u32>>,
    pub flap_window: Option<Spanned<DurationValue>>,
    pub all_failing_min: Option<Spanned<u32>>,
    #[serde(default)]
    pub retention: RawRetention,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRetention {
    pub raw: Option<Spanned<DurationValue>>,
    pub minute: Option<Spanned<DurationValue>>,
    pub hour: Option<Spanned<DurationValue>>,
    pub day: Option<Spanned<DurationValue>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConsole {
    pub theme: Option<String>,
    pub keymap: Option<String>,
    pub bell: Option<bool>,
    /// The zone every time on screen and in CLI text is said in.
    pub timezone: Option<TimezoneValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawContract {
    pub support_hours: Option<RawSupportHours>,
    pub intervention: OrderedMap<String, DurationValue>,
    #[serde(default)]
    pub restoration: OrderedMap<String, DurationValue>,
    pub calls_per_year: Option<u32>,
    pub hourly_rate: Spanned<AmountValue>,
    pub currency: Option<Spanned<String>>,
    pub monthly_fee: Spanned<AmountValue>,
    pub diagnosis_warning: Option<DurationValue>,
    #[serde(default)]
    pub tiers: Vec<RawTier>,
    /// `"FR"`, or a list of presets and `YYYY-MM-DD` dates.
    pub holidays: Option<Spanned<HolidayList>>,
    pub billing_increment: Option<DurationValue>,
    /// Usage terms for the yearly invoice.
    pub usage: Option<RawUsagePrices>,
}

/// `[contracts.<id>.usage]`: base fee, active users, documents, e-mails
/// and SMS beyond their quotas.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUsagePrices {
    pub base_fee: Option<Spanned<AmountValue>>,
    pub per_user: Option<Spanned<AmountValue>>,
    /// `year` (distinct users in the year) or `month`.
    pub users_counted: Option<Spanned<String>>,
    pub included_gb: Option<Spanned<u64>>,
    pub per_extra_gb: Option<Spanned<AmountValue>>,
    pub included_emails: Option<Spanned<u64>>,
    pub per_extra_email: Option<Spanned<AmountValue>>,
    pub included_sms: Option<Spanned<u64>>,
    pub per_extra_sms: Option<Spanned<AmountValue>>,
    pub near_quota_pct: Option<Spanned<u32>>,
}

/// `[clients.<c>.usage]`: where each meter is read; a meter left out is
/// not metered.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawClientUsage {
    pub active_users: Option<Spanned<RawMeterSource>>,
    pub documents: Option<Spanned<RawMeterSource>>,
    pub emails: Option<Spanned<RawMeterSource>>,
    pub sms: Option<Spanned<RawMeterSource>>,
}

/// `{ source = "odoo" }`, `{ source = "command", host = "web1", command =
/// "du -sb /srv/docs" }` or `{ source = "prometheus", url = "...", query =
/// "..." }`; `reading` = `day`, `total` or `level` for the last two.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMeterSource {
    pub source: Spanned<String>,
    pub host: Option<Spanned<String>>,
    pub command: Option<Spanned<String>>,
    pub url: Option<Spanned<String>>,
    pub query: Option<Spanned<String>>,
    pub reading: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSupportHours {
    pub days: Spanned<Vec<Spanned<WeekdayValue>>>,
    pub start: Spanned<TimeValue>,
    pub end: Spanned<TimeValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTier {
    pub below: Spanned<f64>,
    pub credit_percent: Spanned<AmountValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawClient {
    pub name: String,
    pub timezone: TimezoneValue,
    pub contract: Spanned<String>,
    #[serde(default)]
    pub environments: OrderedMap<EnvKindValue, RawEnvironment>,
    #[serde(default)]
    pub sites: OrderedMap<String, RawSite>,
    pub odoo: Option<RawOdoo>,
    #[serde(default)]
    pub maintenance: RawMaintenance,
    pub usage: Option<RawClientUsage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEnvironment {
    pub hosts: Spanned<Vec<Spanned<String>>>,
    pub tint: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSite {
    pub name: String,
    pub timezone: Option<TimezoneValue>,
    pub hours: RawOpeningHours,
    pub pos: Option<RawStorePos>,
}

/// A week of opening hours; a day left out is closed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOpeningHours {
    pub mon: Option<DayValue>,
    pub tue: Option<DayValue>,
    pub wed: Option<DayValue>,
    pub thu: Option<DayValue>,
    pub fri: Option<DayValue>,
    pub sat: Option<DayValue>,
    pub sun: Option<DayValue>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHost {
    pub address: Spanned<String>,
    pub ssh_user: Option<String>,
    pub ssh_port: Option<Spanned<u16>>,
    pub ssh_key: Option<Spanned<String>>,
    /// Another host of `[hosts]` to reach this one through.
    pub ssh_jump: Option<Spanned<String>>,
    /// `allowed` or `refused`: interactive SSH beyond the environment rule.
    pub ssh: Option<Spanned<String>>,
    #[serde(default)]
    pub checks: Vec<RawCheck>,
}

/// The kinds of check; adding one is a variant here and an arm in
/// `validate::check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawCheckKind {
    Http,
    OdooHealth,
    Tcp,
    NodeExporter,
    Prometheus,
    SshCommand,
    Nagios,
    Postgres,
    Odoo,
}

impl RawCheckKind {
    pub fn label(self) -> &'static str {
        match self {
            RawCheckKind::Http => "http",
            RawCheckKind::OdooHealth => "odoo_health",
            RawCheckKind::Tcp => "tcp",
            RawCheckKind::NodeExporter => "node_exporter",
            RawCheckKind::Prometheus => "prometheus",
            RawCheckKind::SshCommand => "ssh_command",
            RawCheckKind::Nagios => "nagios",
            RawCheckKind::Postgres => "postgres",
            RawCheckKind::Odoo => "odoo",
        }
    }
}

/// `json = { pointer = "/status", op = "==", value = "pass" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawJsonCondition {
    pub pointer: Spanned<String>,
    pub op: Option<Spanned<String>>,
    pub value: Option<Spanned<toml::Value>>,
}

/// One check, flat: the keys of every kind are optional here and
/// `validate::check` requires or refuses them according to `kind`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCheck {
    pub name: Spanned<String>,
    pub kind: Spanned<RawCheckKind>,
    pub url: Option<Spanned<String>>,
    pub expect_status: Option<Spanned<Vec<Spanned<u16>>>>,
    pub address: Option<Spanned<String>>,
    pub interval: Option<Spanned<DurationValue>>,
    pub timeout: Option<Spanned<DurationValue>>,
    pub retries: Option<Spanned<u32>>,
    pub down_after: Option<Spanned<u32>>,
    pub up_after: Option<Spanned<u32>>,
    pub canary: Option<bool>,
    pub sla: Option<bool>,
    /// On a shared host: the clients whose service this check watches.
    pub clients: Option<Spanned<Vec<Spanned<String>>>>,
    pub slow: Option<Spanned<DurationValue>>,
    pub body_contains: Option<Spanned<String>>,
    pub json: Option<Spanned<RawJsonCondition>>,
    pub redirects: Option<Spanned<u8>>,
    pub tls_warn_days: Option<Spanned<u32>>,
    pub tls_crit_days: Option<Spanned<u32>>,
    pub db_server_status: Option<Spanned<bool>>,
    /// `{ disk_used_pct = [85, 95], ... }`: warn and critical per metric.
    pub thresholds: Option<OrderedMap<String, Spanned<Vec<Spanned<f64>>>>>,
    pub instance: Option<Spanned<String>>,
    pub signals: Option<Spanned<String>>,
    /// A shell line (`ssh_command`) or a program and its arguments
    /// (`nagios`).
    pub command: Option<Spanned<RawCommand>>,
    pub over_ssh: Option<Spanned<bool>>,
    pub expect_exit: Option<Spanned<i32>>,
    pub expect_output: Option<Spanned<String>>,
    /// `postgres`: the password's variable or owner-only file (else
    /// `.pgpass`), and the replicas a primary must have streaming.
    pub password_env: Option<Spanned<String>>,
    pub password_file: Option<Spanned<String>>,
    pub replicas: Option<Spanned<u32>>,
    /// The name the client's status page shows for this service (never the
    /// host or check name).
    pub public_name: Option<Spanned<String>>,
}

/// `command`: one string, or a list of strings (a program and its
/// arguments, each with where it was written).
#[derive(Debug)]
pub(crate) enum RawCommand {
    Line(String),
    Argv(Vec<Spanned<String>>),
}

// By hand rather than `untagged`: an untagged enum buffers its input,
// which loses the positions `Spanned` needs.
impl<'de> Deserialize<'de> for RawCommand {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RawCommand, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawCommand;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, or a list of strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawCommand, E> {
                Ok(RawCommand::Line(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<RawCommand, A::Error> {
                let mut argv = Vec::new();
                while let Some(a) = seq.next_element::<Spanned<String>>()? {
                    argv.push(a);
                }
                Ok(RawCommand::Argv(argv))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// `[pos]`: the rules of the POS pane.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPos {
    pub critical_before: Option<DurationValue>,
    pub critical_after: Option<DurationValue>,
    pub alert_after: Option<DurationValue>,
    pub merge_within: Option<DurationValue>,
    pub left_open_after: Option<DurationValue>,
    pub opening_grace: Option<DurationValue>,
    pub closing_stuck_after: Option<DurationValue>,
    pub interval: Option<Spanned<DurationValue>>,
    pub odoo_interval: Option<Spanned<DurationValue>>,
    pub timeout: Option<Spanned<DurationValue>>,
    pub slow_ms: Option<u32>,
}

/// `[clients.<c>.odoo]`: where the client's Odoo answers; the key comes
/// from `key_env` or the owner-only `key_file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOdoo {
    pub url: Spanned<String>,
    pub db: String,
    pub login: String,
    pub key_env: Option<String>,
    pub key_file: Option<String>,
    /// `jsonrpc` (the default) or `json2` (Odoo 19+).
    pub api: Option<Spanned<String>>,
}

/// `[clients.<c>.sites.<s>.pos]`: a store's tills, IoT box and lines.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStorePos {
    #[serde(default)]
    pub configs: Vec<String>,
    #[serde(default)]
    pub tills: Vec<Spanned<RawPosTarget>>,
    pub iot: Option<Spanned<String>>,
    pub main: Option<Spanned<RawPosTarget>>,
    pub backup: Option<Spanned<RawPosTarget>>,
    pub traffic: Option<Spanned<RawTraffic>>,
}

/// A till or a line: `address` (+ `port`) for TCP, or `url` for HTTP.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPosTarget {
    pub name: Option<String>,
    pub address: Option<String>,
    pub port: Option<u16>,
    pub url: Option<String>,
    pub path: Option<String>,
}

/// Which line carries traffic: a router status `url` (with `pointer` or
/// keywords) or a `public_address` check, naming `main` and `backup`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTraffic {
    pub url: Option<String>,
    pub pointer: Option<String>,
    pub public_address: Option<String>,
    pub main: String,
    pub backup: String,
}

/// `[maintenance]` and `[clients.<id>.maintenance]`: when windows may be
/// planned. A client's keys override the fleet's; `hours`, `closures` and
/// `recurring` belong to a client.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMaintenance {
    pub allowed_days: Option<Spanned<Vec<Spanned<WeekdayValue>>>>,
    pub preferred_days: Option<Spanned<Vec<Spanned<WeekdayValue>>>>,
    pub forbidden_days: Option<Spanned<Vec<Spanned<WeekdayValue>>>>,
    pub margin: Option<Spanned<DurationValue>>,
    pub earliest: Option<Spanned<TimeValue>>,
    pub latest: Option<Spanned<TimeValue>>,
    pub max_duration: Option<Spanned<DurationValue>>,
    pub major_max_duration: Option<Spanned<DurationValue>>,
    pub major_per_year: Option<Spanned<u32>>,
    #[serde(default)]
    pub notice: RawNotice,
    /// Opening hours of a client without sites (an office).
    pub hours: Option<Spanned<RawOpeningHours>>,
    pub closures: Option<Spanned<Vec<RawClosure>>>,
    pub recurring: Option<Spanned<Vec<RawRecurring>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNotice {
    pub standard: Option<Spanned<DurationValue>>,
    pub emergency: Option<Spanned<DurationValue>>,
    pub major: Option<Spanned<DurationValue>>,
}

/// `{ from = "2026-12-21", to = "2027-01-03", reason = "inventory" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawClosure {
    pub from: Spanned<String>,
    pub to: Spanned<String>,
    pub reason: String,
}

/// `{ rule = "FREQ=MONTHLY;BYDAY=1MO", start = "2026-01-05 22:00", duration = "1h" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRecurring {
    pub rule: Spanned<String>,
    pub start: Spanned<String>,
    pub duration: Spanned<DurationValue>,
}

/// `[[alerts.routes]]`: matchers (each a list; left out matches anything),
/// where to send, and whether to try the next routes too.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRoute {
    #[serde(default)]
    pub client: Vec<Spanned<String>>,
    #[serde(default)]
    pub environment: Vec<Spanned<String>>,
    #[serde(default)]
    pub domain: Vec<Spanned<String>>,
    #[serde(default)]
    pub severity: Vec<Spanned<String>>,
    #[serde(default)]
    pub host: Vec<Spanned<String>>,
    #[serde(default)]
    pub check: Vec<Spanned<String>>,
    /// Receiver names, or `"oncall"` for whoever the rota says.
    pub to: Vec<Spanned<String>>,
    #[serde(default, rename = "continue")]
    pub continue_after: bool,
}

/// `[oncall]`: the rota.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOncall {
    pub timezone: TimezoneValue,
    pub handover_day: Spanned<WeekdayValue>,
    pub handover_at: Spanned<TimeValue>,
    /// `YYYY-MM-DD`: the week the first of `order` begins.
    pub start: Spanned<String>,
    pub order: Spanned<Vec<Spanned<String>>>,
    pub members: Vec<Spanned<RawMember>>,
    #[serde(default)]
    pub overrides: Vec<Spanned<RawOverride>>,
}

/// `[[oncall.members]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMember {
    pub name: Spanned<String>,
    pub receivers: Vec<Spanned<String>>,
}

/// `[[oncall.overrides]]`: a member covering whole days, `from` and `to`
/// included.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOverride {
    pub member: Spanned<String>,
    pub from: Spanned<String>,
    pub to: Spanned<String>,
}
