//! The command line: one file per subcommand; the console is one of them.

pub mod ack;
pub mod alerts;
pub mod alerts_test;
pub mod audit;
pub mod backups;
pub mod check;
pub mod config_check;
pub mod console;
mod csv;
pub mod daemon;
pub mod deadline;
pub mod logging;
pub mod maintenance;
pub mod month;
pub mod oncall;
pub mod pos;
pub mod report;
pub mod setup;
pub mod snapshot;
pub mod ssh;
pub mod status_page;
pub mod tickets;
pub mod usage;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "vigie",
    version,
    about = "The on-call console of a small hosting cooperative"
)]
pub struct Cli {
    /// Configuration file (default: $VIGIE_CONFIG, then $XDG_CONFIG_HOME/vigie/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Store (default: $XDG_DATA_HOME/vigie/vigie.db).
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Run against the embedded demo fleet instead of a configuration.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Theme: dark, light, high-contrast, mono or one of yours.
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// Keymap: default or vim (your keymap.toml patches it).
    #[arg(long, global = true, value_name = "NAME")]
    pub keymap: Option<String>,
    /// Colours: truecolor, 256, 16 or mono (default: detected).
    #[arg(long, global = true, value_name = "DEPTH")]
    pub color: Option<String>,
    /// The console only looks: actions that change anything are refused
    /// (for wall screens and shared sessions).
    #[arg(long, global = true)]
    pub read_only: bool,
    /// The wall display: read-only, large overall state and clock, each
    /// client's worst state and what needs an eye, pages rotating.
    #[arg(long, global = true)]
    pub wall: bool,
    /// Log file (default: $XDG_STATE_HOME/vigie/vigie.log).
    #[arg(long, global = true, value_name = "FILE")]
    pub log: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The console on the embedded demo fleet.
    Demo,
    /// Collect without a terminal, for consoles and wall displays to follow.
    Daemon,
    /// Print one frame of the console as text.
    Snapshot {
        #[arg(long, default_value_t = 120)]
        width: u16,
        #[arg(long, default_value_t = 40)]
        height: u16,
        /// Show only this pane, zoomed: health, backups, tickets, maintenance, pos.
        #[arg(long, value_name = "NAME")]
        pane: Option<String>,
        /// Also print each run of styles (for theme reviews).
        #[arg(long)]
        styles: bool,
    },
    /// Probe everything once, as a Nagios plugin: exit 0 OK, 1 WARNING,
    /// 2 CRITICAL, 3 UNKNOWN, one line per problem.
    Check {
        /// text (plugin output), table (every check) or json
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// Backups judged: RPO, retention, suspect sizes, a month calendar per
    /// source; exit 0 OK, 1 WARNING, 2 CRITICAL (a rule broken), 3 UNKNOWN.
    Backups {
        /// Only this client (its key in the configuration).
        #[arg(long, value_name = "CLIENT")]
        client: Option<String>,
        /// The calendar month, like 2026-11 (default: the current one).
        #[arg(long, value_name = "YYYY-MM")]
        month: Option<String>,
        /// md or json
        #[arg(long, default_value = "md")]
        format: String,
    },
    /// Reports from the store's history.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Maintenance windows: suggest, check, plan, move, announce, cancel,
    /// list, export (RFC 5545).
    Maintenance {
        #[command(subcommand)]
        command: maintenance::MaintenanceCommand,
    },
    /// Work with the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// A shell on a dev or preprod host (prod only where its entry says
    /// ssh = "allowed"), or with `-- COMMAND` one command: its output, and
    /// its exit status as Vigie's. Audited.
    Ssh {
        host: String,
        #[arg(last = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// Every open alert of every domain, unattended first, worst first;
    /// exit 0 none, 1 warnings, 2 a critical nobody took. `alerts test
    /// --receiver NAME` sends a receiver a test page.
    #[command(args_conflicts_with_subcommands = true)]
    Alerts {
        #[command(subcommand)]
        command: Option<AlertsCommand>,
        /// Only this client's alerts.
        #[arg(long, value_name = "CLIENT")]
        client: Option<String>,
        /// md or json.
        #[arg(long, default_value = "md")]
        format: String,
    },
    /// Acknowledges an alert: it stops paging and every console shows who
    /// took it, until it resolves (or until --expire). Audited.
    Ack {
        /// The alert's id (`checks:erp/odoo`).
        id: String,
        #[arg(long, value_name = "TEXT")]
        comment: Option<String>,
        /// The acknowledgement lapses after this long (30m, 2h).
        #[arg(long, value_name = "DURATION")]
        expire: Option<String>,
    },
    /// Removes an alert's acknowledgement. Audited.
    Unack { id: String },
    /// Who is on call now (or at --at) and who takes over next, from the
    /// [oncall] rota.
    Oncall {
        /// YYYY-MM-DD HH:MM in the display timezone, or RFC 3339.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
    },
    /// Silences the alerts the matchers select for a while. Audited.
    Silence {
        #[arg(long, value_name = "CLIENT")]
        client: Option<String>,
        #[arg(long, value_name = "HOST")]
        host: Option<String>,
        #[arg(long, value_name = "CHECK")]
        check: Option<String>,
        /// checks, pos, backups, tickets, maintenance, usage or vigie.
        #[arg(long, value_name = "DOMAIN")]
        domain: Option<String>,
        /// critical, warning or info.
        #[arg(long, value_name = "SEVERITY")]
        severity: Option<String>,
        /// How long (30m, 2h, 1d).
        #[arg(long = "for", value_name = "DURATION")]
        duration: String,
        #[arg(long, value_name = "TEXT")]
        comment: String,
    },
    /// The silences in force or to come.
    Silences,
    /// The audit log, newest first: SSH sessions, commands and refusals.
    Audit {
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Every store's tills, lines, POS session and alerts, observed once
    /// now; exit 1 when a store is critical.
    Pos {
        #[arg(long, value_name = "CLIENT")]
        client: Option<String>,
        #[arg(long, default_value = "md")]
        format: String,
    },
    /// Open tickets by urgency: deadline, timer, time spent and cost;
    /// `tickets new` opens one, `tickets status` changes one's status.
    #[command(args_conflicts_with_subcommands = true)]
    Tickets {
        #[command(subcommand)]
        command: Option<TicketsCommand>,
        /// Only this client's tickets.
        #[arg(long, value_name = "CLIENT")]
        client: Option<String>,
        /// md or json.
        #[arg(long, default_value = "md")]
        format: String,
    },
    /// A month's time per client and ticket, billed, for invoicing.
    Timesheet {
        /// The month, like 2026-11 (default: this month, in the display timezone).
        #[arg(long, value_name = "YYYY-MM")]
        month: Option<String>,
        #[arg(long, value_name = "CLIENT")]
        client: Option<String>,
        /// csv or md.
        #[arg(long, default_value = "md")]
        format: String,
    },
    /// Each client's public status page, a static site: DIR/<client>/
    /// index.html, status.json, maintenance.ics, incidents.atom. Public
    /// names only (`public_name` on checks), written atomically.
    StatusPage {
        /// Where to write (default: `[status_page] dir`).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// A year's usage per client for its invoice: base fee, active users,
    /// documents, e-mails and SMS beyond quotas, one line per billed item;
    /// days without a reading and counters that went backwards are listed.
    Usage {
        /// The year (default: this year, in the display timezone).
        #[arg(long, value_name = "YYYY")]
        year: Option<i32>,
        #[arg(long, value_name = "CLIENT")]
        client: Option<String>,
        /// md, csv or json.
        #[arg(long, default_value = "md")]
        format: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Sends a test page through one receiver and prints its answer; exit
    /// 1 when it fails.
    Test {
        /// The receiver's (or webhook's) name.
        #[arg(long, value_name = "NAME")]
        receiver: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TicketsCommand {
    /// Open a ticket for a client (in its tracker project).
    New {
        #[arg(long, value_name = "CLIENT")]
        client: String,
        /// The tracker's priority name (urgent, high, normal, low...).
        #[arg(long, default_value = "normal")]
        priority: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Give a ticket a status (New, In Progress, Resolved, Closed...).
    Status { id: u64, status: String },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Availability, incidents, excluded maintenance and credits per client
    /// for a calendar month (in each client's timezone).
    Sla {
        /// The month, like 2026-11.
        #[arg(long, value_name = "YYYY-MM")]
        month: String,
        /// Only this client (its key in the configuration).
        #[arg(long, value_name = "CLIENT")]
        client: Option<String>,
        /// md, csv or json
        #[arg(long, default_value = "md")]
        format: String,
    },
    /// One client's month, for the client: availability and credit,
    /// incidents, maintenance and its notice, tickets and their deadlines,
    /// time billed, calls, backups and usage (the figures of `report sla`,
    /// `tickets`, `timesheet`, `backups` and `usage`).
    Month {
        /// The client (its key in the configuration).
        #[arg(long, value_name = "CLIENT")]
        client: Option<String>,
        /// Every client, one file each in --out DIR.
        #[arg(long)]
        all: bool,
        /// The month, like 2026-11.
        #[arg(long, value_name = "YYYY-MM")]
        month: String,
        /// html, md or json
        #[arg(long, default_value = "md")]
        format: String,
        /// The file to write (a directory with --all).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate a configuration file (default: the one Vigie would use).
    Check { file: Option<PathBuf> },
}

/// An error for the operator: a message that says what to do, and the exit
/// code (2 for bad input and set-up problems).
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub code: u8,
}

impl CliError {
    pub fn input(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
            code: 2,
        }
    }
}

pub fn main(started: Instant) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let _log_guard = logging::init(cli.log.as_deref());
    // Readable panic reports (location, backtrace hint); the console's
    // terminal guard chains its own hook in front, so the terminal is
    // restored before the report is printed.
    if let Err(e) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .install()
    {
        tracing::warn!("panic reports stay plain: {e}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("vigie: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            None => console::run(&cli, false, started).await,
            Some(Command::Demo) => console::run(&cli, true, started).await,
            Some(Command::Daemon) => daemon::run(&cli).await,
            Some(Command::Snapshot {
                width,
                height,
                pane,
                styles,
            }) => snapshot::run(&cli, *width, *height, pane.as_deref(), *styles).await,
            Some(Command::Check { format }) => check::run(&cli, format).await,
            Some(Command::Backups {
                client,
                month,
                format,
            }) => backups::run(&cli, client.as_deref(), month.as_deref(), format).await,
            Some(Command::Pos { client, format }) => {
                pos::run(&cli, client.as_deref(), format).await
            }
            Some(Command::Maintenance { command }) => maintenance::run(&cli, command).await,
            Some(Command::Config {
                command: ConfigCommand::Check { file },
            }) => config_check::run(&cli, file.as_deref()),
            Some(Command::Report {
                command:
                    ReportCommand::Sla {
                        month,
                        client,
                        format,
                    },
            }) => report::run(&cli, month, client.as_deref(), format).await,
            Some(Command::Report {
                command:
                    ReportCommand::Month {
                        client,
                        all,
                        month: m,
                        format,
                        out,
                    },
            }) => month::run(&cli, client.as_deref(), *all, m, format, out.as_deref()).await,
            Some(Command::Ssh { host, command }) => ssh::run(&cli, host, command).await,
            Some(Command::Audit { limit }) => audit::run(&cli, *limit).await,
            Some(Command::Alerts {
                command: None,
                client,
                format,
            }) => alerts::run(&cli, client.as_deref(), format).await,
            Some(Command::Alerts {
                command: Some(AlertsCommand::Test { receiver }),
                ..
            }) => alerts_test::run(&cli, receiver).await,
            Some(Command::Ack {
                id,
                comment,
                expire,
            }) => ack::ack(&cli, id, comment.as_deref(), expire.as_deref()).await,
            Some(Command::Unack { id }) => ack::unack(&cli, id).await,
            Some(Command::Oncall { at }) => oncall::run(&cli, at.as_deref()).await,
            Some(Command::Silence {
                client,
                host,
                check,
                domain,
                severity,
                duration,
                comment,
            }) => {
                let m = ack::Matchers {
                    client: client.as_deref(),
                    host: host.as_deref(),
                    check: check.as_deref(),
                    domain: domain.as_deref(),
                    severity: severity.as_deref(),
                };
                ack::silence(&cli, m, duration, comment).await
            }
            Some(Command::Silences) => ack::silences(&cli).await,
            Some(Command::Tickets {
                command: None,
                client,
                format,
            }) => tickets::run_tickets(&cli, client.as_deref(), format).await,
            Some(Command::Tickets {
                command:
                    Some(TicketsCommand::New {
                        client,
                        priority,
                        title,
                        description,
                    }),
                ..
            }) => tickets::run_new(&cli, client, priority, title, description).await,
            Some(Command::Tickets {
                command: Some(TicketsCommand::Status { id, status }),
                ..
            }) => tickets::run_status(&cli, *id, status).await,
            Some(Command::Timesheet {
                month,
                client,
                format,
            }) => tickets::run_timesheet(&cli, month.as_deref(), client.as_deref(), format).await,
            Some(Command::StatusPage { out }) => status_page::run(&cli, out.as_deref()).await,
            Some(Command::Usage {
                year,
                client,
                format,
            }) => usage::run(&cli, *year, client.as_deref(), format).await,
        }
    });
    // Background tasks (demo servers, seeding) must not keep us alive.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // The one way out for errors: whatever outside text they quote
            // (config keys, answers, file names) reaches stderr cleaned.
            eprintln!("vigie: {}", crate::sanitize::clean_lines(&e.message));
            ExitCode::from(e.code)
        }
    }
}

/// Refuses a `--client` the configuration does not know, naming the ones it
/// does (the operator's text cleaned, as everything shown).
pub(crate) fn check_client(
    fleet: &crate::model::Fleet,
    client: Option<&str>,
) -> Result<(), CliError> {
    if let Some(c) = client {
        if fleet.client(c).is_none() {
            let known: Vec<&str> = fleet.clients.iter().map(|c| c.id.as_str()).collect();
            return Err(CliError::input(format!(
                "unknown client '{}', expected one of: {}",
                crate::sanitize::clean_short(c, 40),
                known.join(", ")
            )));
        }
    }
    Ok(())
}

pub(crate) use csv::field as csv_field;
