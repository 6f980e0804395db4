//! `vigie ack`, `vigie unack`, `vigie silence`, `vigie silences`: the
//! alerts' acknowledgements and silences, written to the store every
//! console and the daemon read, and audited there.

use chrono::{TimeDelta, Utc};

use super::setup::{self, NoConfig};
use super::{Cli, CliError};
use crate::config::parse_duration;
use crate::model::attention::{Ack, Domain, Silence};
use crate::sanitize;
use crate::store::attention::AlertWrite;
use crate::store::{Reader, WriteOp, Writer};

/// Refuses a change from a read-only invocation (`--read-only`, `--wall`).
fn refuse_read_only(cli: &Cli, what: &str) -> Result<(), CliError> {
    if cli.read_only || cli.wall {
        return Err(CliError::input(crate::ui::guard::refusal(what)));
    }
    Ok(())
}

fn span(text: &str, flag: &str) -> Result<TimeDelta, CliError> {
    parse_duration(text)
        .and_then(|d| TimeDelta::from_std(d).ok())
        .filter(|d| *d > TimeDelta::zero())
        .ok_or_else(|| {
            CliError::input(format!(
                "{flag} {}: not a duration (say 30m, 2h, 1d)",
                sanitize::clean_short(text, 40)
            ))
        })
}

/// An alert id names its domain first (`checks:erp/odoo`).
fn check_id(id: &str) -> Result<(), CliError> {
    let known = id
        .split_once(':')
        .is_some_and(|(d, rest)| Domain::parse(d).is_some() && !rest.is_empty());
    if known {
        return Ok(());
    }
    Err(CliError::input(format!(
        "'{}' is not an alert id: ids begin with their domain, as in checks:erp/odoo \
         (vigie alerts lists them)",
        sanitize::clean_short(id, 60)
    )))
}

fn write(db: &std::path::Path, w: AlertWrite) -> Result<(), CliError> {
    let writer = Writer::spawn(db).map_err(|e| CliError::input(e.to_string()))?;
    writer
        .send(WriteOp::Alerts(w))
        .and_then(|()| writer.flush())
        .map_err(|e| CliError::input(e.to_string()))
}

pub async fn ack(
    cli: &Cli,
    id: &str,
    comment: Option<&str>,
    expire: Option<&str>,
) -> Result<u8, CliError> {
    refuse_read_only(cli, "acknowledging an alert")?;
    check_id(id)?;
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let now = Utc::now();
    let expires = expire.map(|e| span(e, "--expire")).transpose()?;
    let by = crate::sources::tickets::operator();
    let ack = Ack {
        by: by.clone(),
        at: now,
        comment: comment.map(sanitize::clean).unwrap_or_default(),
        expires: expires.map(|d| now + d),
    };
    write(
        &setup.db,
        AlertWrite::Ack {
            id: id.to_string(),
            ack,
        },
    )?;
    match expires {
        Some(d) => println!(
            "{id} acknowledged by {by} until {}",
            (now + d).with_timezone(&setup.tz).format("%a %d %b %H:%M")
        ),
        None => println!("{id} acknowledged by {by} until it resolves"),
    }
    Ok(0)
}

pub async fn unack(cli: &Cli, id: &str) -> Result<u8, CliError> {
    refuse_read_only(cli, "removing an acknowledgement")?;
    check_id(id)?;
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let acked = Reader::open(&setup.db)
        .and_then(|r| r.alert_records())
        .map_err(|e| CliError::input(e.to_string()))?
        .get(id)
        .is_some_and(|r| r.ack.is_some());
    if !acked {
        return Err(CliError::input(format!("{id} is not acknowledged")));
    }
    write(
        &setup.db,
        AlertWrite::Unack {
            id: id.to_string(),
            by: crate::sources::tickets::operator(),
            at: Utc::now(),
        },
    )?;
    println!("{id}: acknowledgement removed");
    Ok(0)
}

/// What `vigie silence` selects.
#[derive(Debug, Clone, Default)]
pub struct Matchers<'a> {
    pub client: Option<&'a str>,
    pub host: Option<&'a str>,
    pub check: Option<&'a str>,
    pub domain: Option<&'a str>,
    pub severity: Option<&'a str>,
}

pub async fn silence(
    cli: &Cli,
    m: Matchers<'_>,
    duration: &str,
    comment: &str,
) -> Result<u8, CliError> {
    refuse_read_only(cli, "silencing alerts")?;
    let domain = m
        .domain
        .map(|d| {
            Domain::parse(d).ok_or_else(|| {
                let known: Vec<&str> = Domain::ALL.iter().map(|d| d.label()).collect();
                CliError::input(format!(
                    "--domain {}: expected one of {}",
                    sanitize::clean_short(d, 30),
                    known.join(", ")
                ))
            })
        })
        .transpose()?;
    let severity = m
        .severity
        .map(|s| {
            crate::model::attention::Severity::parse(s).ok_or_else(|| {
                CliError::input(format!(
                    "--severity {}: expected critical, warning or info",
                    sanitize::clean_short(s, 30)
                ))
            })
        })
        .transpose()?;
    let length = span(duration, "--for")?;
    if comment.trim().is_empty() {
        return Err(CliError::input(
            "a silence needs a --comment saying why (it is shown to every operator)",
        ));
    }
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    if let Some(c) = m.client {
        if setup.config.fleet.client(c).is_none() {
            return Err(CliError::input(format!(
                "unknown client '{}'",
                sanitize::clean_short(c, 40)
            )));
        }
    }
    let now = Utc::now();
    let s = Silence {
        id: 0,
        client: m.client.map(String::from),
        host: m.host.map(String::from),
        check: m.check.map(String::from),
        domain,
        severity,
        start: now,
        end: now + length,
        comment: sanitize::clean(comment),
        author: crate::sources::tickets::operator(),
    };
    let end = s.end;
    write(&setup.db, AlertWrite::Silence(s))?;
    println!(
        "silenced until {}",
        end.with_timezone(&setup.tz).format("%a %d %b %H:%M")
    );
    Ok(0)
}

pub async fn silences(cli: &Cli) -> Result<u8, CliError> {
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    if !setup.db.exists() {
        println!("no silences");
        return Ok(0);
    }
    let list = Reader::open(&setup.db)
        .and_then(|r| r.silences(Utc::now()))
        .map_err(|e| CliError::input(e.to_string()))?;
    if list.is_empty() {
        println!("no silences");
    }
    for s in list {
        let mut what = Vec::new();
        for (k, v) in [
            ("client", s.client.as_deref()),
            ("host", s.host.as_deref()),
            ("check", s.check.as_deref()),
            ("domain", s.domain.map(|d| d.label())),
            ("severity", s.severity.map(|v| v.label())),
        ] {
            if let Some(v) = v {
                what.push(format!("{k}={}", sanitize::clean_short(v, 40)));
            }
        }
        let fmt = |t: chrono::DateTime<Utc>| t.with_timezone(&setup.tz).format("%a %d %b %H:%M");
        println!(
            "#{}  {} → {}  {}  by {}: {}",
            s.id,
            fmt(s.start),
            fmt(s.end),
            if what.is_empty() {
                "everything".to_string()
            } else {
                what.join(" ")
            },
            sanitize::clean_short(&s.author, 30),
            sanitize::clean_short(&s.comment, 80)
        );
    }
    Ok(0)
}
