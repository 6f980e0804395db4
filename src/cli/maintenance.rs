//! `vigie maintenance ...`: suggest slots, check a proposed window against
//! every affected client's rules, plan, move, announce and cancel windows,
//! list them, and export them as RFC 5545 for the clients' calendars.

use std::fmt::Write as _;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use clap::{Args, Subcommand};

use super::setup::{self, NoConfig};
use super::{Cli, CliError, check_client};
use crate::config::parse_duration;
use crate::model::Fleet;
use crate::model::maintenance::fleet::{affected_clients, scope};
use crate::model::maintenance::local::{self, LocalReading};
use crate::model::maintenance::{
    Breach, Kind, MaintenanceWindow, Proposal, Target, WindowState, check_window, ical, next_slots,
};
use crate::sanitize;
use crate::store::{Reader, WriteOp, Writer};

/// How far ahead the slot finder looks.
pub const HORIZON_DAYS: i64 = 90;

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct TargetArgs {
    /// A host (a shared host answers to every client on it).
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// A client (its key in the configuration).
    #[arg(long, value_name = "CLIENT")]
    pub client: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum MaintenanceCommand {
    /// The next windows every affected client accepts, best first.
    Suggest {
        #[command(flatten)]
        target: TargetArgs,
        /// How long, like 1h or 1h30m.
        #[arg(long)]
        duration: String,
        /// standard, emergency or major
        #[arg(long, default_value = "standard")]
        kind: String,
        /// Not before this date (YYYY-MM-DD [HH:MM], the client's time).
        #[arg(long, value_name = "DATE")]
        after: Option<String>,
        #[arg(short = 'n', default_value_t = 5)]
        n: usize,
    },
    /// Every rule a proposed window breaks, in words (exit 1 if any).
    Check {
        #[command(flatten)]
        target: TargetArgs,
        /// Start, like "2026-12-02 22:00" in the client's time (add +01:00
        /// to pick one of two readings when clocks fall back).
        #[arg(long)]
        at: String,
        #[arg(long)]
        duration: String,
        #[arg(long, default_value = "standard")]
        kind: String,
    },
    /// Plan a window (refused if it breaks a rule, unless --force).
    Plan {
        #[command(flatten)]
        target: TargetArgs,
        #[arg(long)]
        at: String,
        #[arg(long)]
        duration: String,
        #[arg(long, default_value = "standard")]
        kind: String,
        #[arg(long, default_value = "Maintenance")]
        title: String,
        /// The clients are told now.
        #[arg(long)]
        announce: bool,
        /// Plan it even though it breaks rules.
        #[arg(long)]
        force: bool,
    },
    /// Move a window (its SEQUENCE is raised).
    Move {
        uid: String,
        #[arg(long)]
        at: String,
        /// Keep the duration when left out.
        #[arg(long)]
        duration: Option<String>,
        #[arg(long)]
        force: bool,
    },
    /// Record that the clients were told.
    Announce { uid: String },
    /// Cancel a window (exported with STATUS:CANCELLED).
    Cancel { uid: String },
    /// Every window, by start.
    List {
        /// Also windows that are done or cancelled.
        #[arg(long)]
        all: bool,
    },
    /// The windows as an RFC 5545 calendar on stdout.
    Export {
        /// Only the windows that affect this client, in its timezone.
        #[arg(long, value_name = "CLIENT")]
        client: Option<String>,
    },
}

fn target(fleet: &Fleet, t: &TargetArgs) -> Result<Target, CliError> {
    if let Some(h) = &t.host {
        if fleet.host(h).is_none() {
            let known: Vec<&str> = fleet.hosts.iter().map(|h| h.name.as_str()).collect();
            return Err(CliError::input(format!(
                "unknown host '{}', expected one of: {}",
                sanitize::clean_short(h, 40),
                known.join(", ")
            )));
        }
        return Ok(Target::Host(h.clone()));
    }
    let c = t.client.clone().unwrap_or_default();
    check_client(fleet, Some(&c))?;
    Ok(Target::Client(c))
}

/// The timezone times are read and shown in: the first affected client's.
pub fn target_timezone(fleet: &Fleet, target: &Target) -> Tz {
    affected_clients(fleet, target)
        .first()
        .map_or(chrono_tz::UTC, |c| c.timezone)
}

fn kind(s: &str) -> Result<Kind, CliError> {
    Kind::parse(s).ok_or_else(|| {
        CliError::input(format!(
            "--kind {}: expected standard, emergency or major",
            sanitize::clean_short(s, 20)
        ))
    })
}

fn duration(s: &str) -> Result<TimeDelta, CliError> {
    parse_duration(s)
        .and_then(|d| TimeDelta::from_std(d).ok())
        .filter(|d| *d > TimeDelta::zero())
        .ok_or_else(|| {
            CliError::input(format!(
                "--duration {}: expected a duration like 1h or 1h30m",
                sanitize::clean_short(s, 20)
            ))
        })
}

/// Reads `--at` in `tz`, with a note when the clocks change at that time.
fn at(tz: Tz, s: &str) -> Result<(DateTime<Utc>, Option<String>), CliError> {
    let reading = local::parse(tz, s).map_err(|e| CliError::input(format!("--at: {e}")))?;
    let note = match reading {
        LocalReading::Single(_) => None,
        LocalReading::Twice(a, b) => Some(format!(
            "note: {} happens twice in {tz} (clocks fall back); the first is taken ({}); write {}{} for the second",
            sanitize::clean_short(s, 30),
            a.with_timezone(&tz).format("%H:%M %Z"),
            sanitize::clean_short(s.trim(), 30),
            b.with_timezone(&tz).format("%:z"),
        )),
        LocalReading::Missing { read_as } => Some(format!(
            "note: {} does not exist in {tz} (clocks jump forward); read as {}",
            sanitize::clean_short(s, 30),
            read_as.with_timezone(&tz).format("%H:%M %Z"),
        )),
    };
    Ok((reading.instant(), note))
}

fn when(tz: Tz, a: DateTime<Utc>, b: DateTime<Utc>) -> String {
    let (la, lb) = (a.with_timezone(&tz), b.with_timezone(&tz));
    let end = if la.date_naive() == lb.date_naive() {
        lb.format("%H:%M %Z").to_string()
    } else {
        lb.format("%a %Y-%m-%d %H:%M %Z").to_string()
    };
    format!("{} - {end}", la.format("%a %Y-%m-%d %H:%M"))
}

fn breaches_text(breaches: &[Breach]) -> String {
    let mut out = String::new();
    for b in breaches {
        let _ = writeln!(out, "  - {}", sanitize::clean(&b.message));
    }
    out
}

fn store_error(e: impl std::fmt::Display) -> CliError {
    CliError::input(e.to_string())
}

/// A new UID: the creation instant and a per-process random part.
pub fn new_uid(now: DateTime<Utc>) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_i64(now.timestamp_nanos_opt().unwrap_or_default());
    format!(
        "{}-{:08x}@vigie",
        now.format("%Y%m%dT%H%M%SZ"),
        h.finish() as u32
    )
}

/// Saves a window through the store's writer and reads it back.
fn save(setup_db: &std::path::Path, w: &MaintenanceWindow, action: &str) -> Result<(), CliError> {
    let writer = Writer::spawn(setup_db).map_err(store_error)?;
    writer
        .send(WriteOp::SaveWindow(w.clone()))
        .map_err(store_error)?;
    let actor = std::env::var("USER").unwrap_or_else(|_| "cli".into());
    writer
        .send(WriteOp::Audit {
            at: w.stamp,
            actor,
            action: format!("maintenance {action}"),
            detail: format!("{} sequence {}", w.uid, w.sequence),
        })
        .map_err(store_error)?;
    writer.flush().map_err(store_error)?;
    drop(writer);
    let reader = Reader::open(setup_db).map_err(store_error)?;
    match reader.maintenance_window(&w.uid).map_err(store_error)? {
        Some(stored) if stored == *w => Ok(()),
        _ => Err(CliError {
            message: format!(
                "window {} was not saved: the store holds another version (changed elsewhere?); run `vigie maintenance list` and try again",
                w.uid
            ),
            code: 1,
        }),
    }
}

fn load_windows(db: &std::path::Path) -> Result<Vec<MaintenanceWindow>, CliError> {
    // A store not created yet has no windows.
    if !db.exists() {
        return Ok(Vec::new());
    }
    Reader::open(db)
        .and_then(|r| r.maintenance_windows())
        .map_err(store_error)
}

pub async fn run(cli: &Cli, command: &MaintenanceCommand) -> Result<u8, CliError> {
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let fleet = &setup.config.fleet;
    // Whole seconds: what the store and DTSTAMP keep.
    let now = Utc::now();
    let now = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    if setup.demo.as_ref().is_some_and(|d| d.private()) {
        crate::demo::maintenance::seed(&setup.db, fleet, now).map_err(store_error)?;
    }
    let windows = load_windows(&setup.db)?;
    match command {
        MaintenanceCommand::Suggest {
            target: t,
            duration: d,
            kind: k,
            after,
            n,
        } => {
            let target = target(fleet, t)?;
            let (kind, length) = (kind(k)?, duration(d)?);
            let tz = target_timezone(fleet, &target);
            let after = match after {
                Some(a) => local::parse(tz, a)
                    .map_err(|e| CliError::input(format!("--after: {e}")))?
                    .instant(),
                None => now,
            };
            let scope = scope(fleet, &target, &windows);
            let slots = next_slots(
                &scope,
                now,
                after,
                length,
                kind,
                *n,
                TimeDelta::days(HORIZON_DAYS),
            );
            print!("{}", suggest_text(fleet, &target, tz, length, kind, &slots));
            Ok(if slots.is_empty() { 1 } else { 0 })
        }
        MaintenanceCommand::Check {
            target: t,
            at: a,
            duration: d,
            kind: k,
        } => {
            let target = target(fleet, t)?;
            let (kind, length) = (kind(k)?, duration(d)?);
            let tz = target_timezone(fleet, &target);
            let (start, note) = at(tz, a)?;
            if let Some(n) = note {
                println!("{n}");
            }
            let scope = scope(fleet, &target, &windows);
            let p = Proposal {
                start,
                end: start + length,
                kind,
                uid: None,
            };
            let breaches = check_window(&scope, p, now);
            let head = format!(
                "{} {}, {} {}",
                target.label(),
                when(tz, p.start, p.end),
                kind.label(),
                clients_text(fleet, &target)
            );
            if breaches.is_empty() {
                println!("OK: {head}: no rule broken");
                Ok(0)
            } else {
                println!("{head}: {} rule(s) broken", breaches.len());
                print!("{}", breaches_text(&breaches));
                Ok(1)
            }
        }
        MaintenanceCommand::Plan {
            target: t,
            at: a,
            duration: d,
            kind: k,
            title,
            announce,
            force,
        } => {
            let target = target(fleet, t)?;
            let (kind, length) = (kind(k)?, duration(d)?);
            let tz = target_timezone(fleet, &target);
            let (start, note) = at(tz, a)?;
            if let Some(n) = note {
                println!("{n}");
            }
            let p = Proposal {
                start,
                end: start + length,
                kind,
                uid: None,
            };
            let breaches = check_window(&scope(fleet, &target, &windows), p, now);
            if !breaches.is_empty() && !force {
                print!(
                    "not planned, {} rule(s) broken:\n{}(--force plans it anyway)\n",
                    breaches.len(),
                    breaches_text(&breaches)
                );
                return Ok(1);
            }
            let w = MaintenanceWindow {
                uid: new_uid(now),
                target: target.clone(),
                kind,
                start: p.start,
                end: p.end,
                title: title.clone(),
                state: if *announce {
                    WindowState::Announced
                } else {
                    WindowState::Planned
                },
                sequence: 0,
                created: now,
                stamp: now,
                announced: announce.then_some(now),
            };
            save(&setup.db, &w, "plan")?;
            println!(
                "{} {} {}: {}",
                w.state.label(),
                w.uid,
                target.label(),
                when(tz, w.start, w.end)
            );
            if !breaches.is_empty() {
                print!("planned despite:\n{}", breaches_text(&breaches));
            }
            Ok(0)
        }
        MaintenanceCommand::Move {
            uid,
            at: a,
            duration: d,
            force,
        } => {
            let old = find(&windows, uid)?;
            let tz = target_timezone(fleet, &old.target);
            let (start, note) = at(tz, a)?;
            if let Some(n) = note {
                println!("{n}");
            }
            let length = match d {
                Some(d) => duration(d)?,
                None => old.duration(),
            };
            let p = Proposal {
                start,
                end: start + length,
                kind: old.kind,
                uid: Some(&old.uid),
            };
            let breaches = check_window(&scope(fleet, &old.target, &windows), p, now);
            if !breaches.is_empty() && !force {
                print!(
                    "not moved, {} rule(s) broken:\n{}(--force moves it anyway)\n",
                    breaches.len(),
                    breaches_text(&breaches)
                );
                return Ok(1);
            }
            let mut w = old.changed(now);
            w.start = p.start;
            w.end = p.end;
            if w.announced.is_some() {
                // The clients are told of the new time with the new SEQUENCE.
                w.announced = Some(now);
            }
            save(&setup.db, &w, "move")?;
            println!(
                "moved {} (sequence {}): {}",
                w.uid,
                w.sequence,
                when(tz, w.start, w.end)
            );
            Ok(0)
        }
        MaintenanceCommand::Announce { uid } => {
            let old = find(&windows, uid)?;
            if old.state == WindowState::Cancelled {
                return Err(CliError::input(format!(
                    "{uid} is cancelled; plan a new window"
                )));
            }
            let mut w = old.changed(now);
            w.state = WindowState::Announced;
            w.announced = Some(now);
            save(&setup.db, &w, "announce")?;
            println!("announced {} (sequence {})", w.uid, w.sequence);
            Ok(0)
        }
        MaintenanceCommand::Cancel { uid } => {
            let old = find(&windows, uid)?;
            if old.state == WindowState::Cancelled {
                println!("{uid} was already cancelled");
                return Ok(0);
            }
            let mut w = old.changed(now);
            w.state = WindowState::Cancelled;
            save(&setup.db, &w, "cancel")?;
            println!("cancelled {} (sequence {})", w.uid, w.sequence);
            Ok(0)
        }
        MaintenanceCommand::List { all } => {
            print!("{}", list_text(fleet, &windows, now, *all));
            Ok(0)
        }
        MaintenanceCommand::Export { client } => {
            print!("{}", export(fleet, &windows, client.as_deref())?);
            Ok(0)
        }
    }
}

fn find<'a>(
    windows: &'a [MaintenanceWindow],
    uid: &str,
) -> Result<&'a MaintenanceWindow, CliError> {
    windows.iter().find(|w| w.uid == uid).ok_or_else(|| {
        CliError::input(format!(
            "no window {}; `vigie maintenance list --all` shows their UIDs",
            sanitize::clean_short(uid, 60)
        ))
    })
}

fn clients_text(fleet: &Fleet, target: &Target) -> String {
    let ids: Vec<String> = affected_clients(fleet, target)
        .iter()
        .map(|c| sanitize::clean(&c.id))
        .collect();
    format!("(rules of {})", ids.join(", "))
}

pub fn suggest_text(
    fleet: &Fleet,
    target: &Target,
    tz: Tz,
    length: TimeDelta,
    kind: Kind,
    slots: &[crate::model::maintenance::Slot],
) -> String {
    let mut out = format!(
        "{} {} {} window, {}:\n",
        target.label(),
        crate::model::maintenance::span_words(length),
        kind.label(),
        clients_text(fleet, target)
    );
    if slots.is_empty() {
        let _ = writeln!(
            out,
            "  no slot in the next {HORIZON_DAYS} days; `vigie maintenance check` tells which rule blocks a given time"
        );
    }
    for (i, s) in slots.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}. {}{}",
            i + 1,
            when(tz, s.start, s.end),
            if s.preferred { "  (preferred day)" } else { "" }
        );
    }
    out
}

pub fn list_text(
    fleet: &Fleet,
    windows: &[MaintenanceWindow],
    now: DateTime<Utc>,
    all: bool,
) -> String {
    let mut out = String::new();
    let shown: Vec<&MaintenanceWindow> = windows
        .iter()
        .filter(|w| all || !matches!(w.state_at(now), WindowState::Done | WindowState::Cancelled))
        .collect();
    if shown.is_empty() {
        out.push_str("no maintenance window\n");
    }
    for w in shown {
        let tz = target_timezone(fleet, &w.target);
        let _ = writeln!(
            out,
            "{:<12} {:<9} {:<22} {}  {}  seq {}  {}",
            w.state_at(now).label(),
            w.kind.label(),
            sanitize::clean_short(&w.target.label(), 22),
            when(tz, w.start, w.end),
            // Whole: a pipe or a script reads the title, not a column.
            sanitize::clean(w.title.trim()),
            w.sequence,
            sanitize::clean(&w.uid),
        );
    }
    out
}

/// The calendar of every window (or those affecting one client, in its
/// timezone).
pub fn export(
    fleet: &Fleet,
    windows: &[MaintenanceWindow],
    client: Option<&str>,
) -> Result<String, CliError> {
    let only = match client {
        Some(c) => Some(fleet.client(c).ok_or_else(|| {
            CliError::input(format!("unknown client '{}'", sanitize::clean_short(c, 40)))
        })?),
        None => None,
    };
    let entries: Vec<ical::Entry> = windows
        .iter()
        .filter(|w| {
            only.is_none_or(|c| {
                affected_clients(fleet, &w.target)
                    .iter()
                    .any(|x| x.id == c.id)
            })
        })
        .map(|w| {
            let tz = only.map_or_else(|| target_timezone(fleet, &w.target), |c| c.timezone);
            let who: Vec<String> = affected_clients(fleet, &w.target)
                .iter()
                .map(|c| c.name.clone())
                .collect();
            ical::Entry {
                window: w,
                timezone: tz,
                description: format!(
                    "{} maintenance on {}; affects {}",
                    w.kind.label(),
                    w.target.label(),
                    who.join(", ")
                ),
            }
        })
        .collect();
    let name = only.map_or("Vigie maintenance".to_string(), |c| {
        format!("Maintenance, {}", c.name)
    });
    Ok(ical::calendar(&entries, &name))
}
