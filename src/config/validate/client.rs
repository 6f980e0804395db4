//! Clients: their contract, environments (and the hosts they run on) and
//! sites.

use toml::Spanned;

use super::{Validator, one_of};
use crate::config::raw::{RawClient, RawEnvironment, RawOpeningHours, RawSite};
use crate::model::{Client, DayHours, EnvKind, Environment, OpeningHours, Site};

/// The names other tables may refer to.
pub(super) struct Known<'a> {
    pub hosts: &'a [&'a str],
    pub contracts: &'a [&'a str],
}

pub(super) fn client(v: &mut Validator, known: &Known, id: &str, raw: &RawClient) -> Client {
    let contract = raw.contract.get_ref();
    if !known.contracts.contains(&contract.as_str()) {
        let expected = if known.contracts.is_empty() {
            ": no [contracts.<name>] table is defined".to_string()
        } else {
            format!(", expected {}", one_of(known.contracts))
        };
        v.error(
            raw.contract.span(),
            format!("unknown contract '{contract}'{expected}"),
        );
    }
    let environments = raw
        .environments
        .iter()
        .map(|(kind, env)| environment(v, known, kind.get_ref().0, env))
        .collect();
    let timezone = raw.timezone.0;
    let sites = raw
        .sites
        .iter()
        .map(|(site_id, s)| site(site_id.get_ref(), s, timezone))
        .collect();
    Client {
        id: id.to_string(),
        name: raw.name.clone(),
        timezone,
        contract: contract.clone(),
        environments,
        sites,
        odoo: None,                // see pos::attach
        usage: Default::default(), // see usage::attach
        maintenance: crate::model::maintenance::ClientRules::new(id, &raw.name, timezone),
    }
}

fn environment(
    v: &mut Validator,
    known: &Known,
    kind: EnvKind,
    raw: &RawEnvironment,
) -> Environment {
    if raw.hosts.get_ref().is_empty() {
        v.error(
            raw.hosts.span(),
            "no hosts, expected at least one name from [hosts]",
        );
    }
    for host in raw.hosts.get_ref() {
        unknown_host(v, known, host);
    }
    Environment {
        kind,
        hosts: raw
            .hosts
            .get_ref()
            .iter()
            .map(|h| h.get_ref().clone())
            .collect(),
        // Prod is tinted by default so nobody mistakes it for a test host.
        tint: raw.tint.unwrap_or(kind == EnvKind::Prod),
    }
}

fn unknown_host(v: &mut Validator, known: &Known, host: &Spanned<String>) {
    let name = host.get_ref();
    if known.hosts.contains(&name.as_str()) {
        return;
    }
    let expected = if known.hosts.is_empty() {
        ": no [hosts.<name>] table is defined".to_string()
    } else {
        format!(", expected {}", one_of(known.hosts))
    };
    v.error(host.span(), format!("unknown host '{name}'{expected}"));
}

fn site(id: &str, raw: &RawSite, client_timezone: chrono_tz::Tz) -> Site {
    Site {
        id: id.to_string(),
        name: raw.name.clone(),
        timezone: raw.timezone.map_or(client_timezone, |tz| tz.0),
        hours: opening_hours(&raw.hours),
        pos: None, // see pos::attach
    }
}

/// A day left out is closed.
pub(super) fn opening_hours(raw: &RawOpeningHours) -> OpeningHours {
    let days = [
        raw.mon, raw.tue, raw.wed, raw.thu, raw.fri, raw.sat, raw.sun,
    ];
    OpeningHours {
        days: days.map(|d| d.map_or(DayHours::Closed, |d| d.0)),
    }
}
