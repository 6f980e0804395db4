//! `[contracts.<id>.usage]` (prices and quotas) and `[clients.<c>.usage]`
//! (where each meter is read).

use toml::Spanned;

use super::Validator;
use crate::config::raw::{RawConfig, RawMeterSource, RawUsagePrices};
use crate::model::Client;
use crate::model::usage::{Meter, MeterSource, ReadingKind, UsageMeters, UsagePrices, UserCount};

pub(super) fn prices(v: &mut Validator, raw: &RawUsagePrices) -> UsagePrices {
    let mut out = UsagePrices::default();
    for (given, slot, key) in [
        (&raw.base_fee, &mut out.base_fee, "base_fee"),
        (&raw.per_user, &mut out.per_user, "per_user"),
        (&raw.per_extra_gb, &mut out.per_extra_gb, "per_extra_gb"),
        (
            &raw.per_extra_email,
            &mut out.per_extra_email,
            "per_extra_email",
        ),
        (&raw.per_extra_sms, &mut out.per_extra_sms, "per_extra_sms"),
    ] {
        if let Some(x) = given {
            *slot = v.amount(x, key);
        }
    }
    for (given, slot) in [
        (&raw.included_gb, &mut out.included_gb),
        (&raw.included_emails, &mut out.included_emails),
        (&raw.included_sms, &mut out.included_sms),
    ] {
        if let Some(n) = given {
            *slot = *n.get_ref();
        }
    }
    if let Some(c) = &raw.users_counted {
        out.users_counted = match c.get_ref().as_str() {
            "year" => UserCount::Year,
            "month" => UserCount::Month,
            other => {
                v.error(
                    c.span(),
                    format!(
                        "users_counted is '{other}', expected year (distinct users in the year) or month"
                    ),
                );
                UserCount::Year
            }
        };
    }
    if let Some(p) = &raw.near_quota_pct {
        out.near_quota_pct = *p.get_ref();
        if !(1..=100).contains(&out.near_quota_pct) {
            v.error(
                p.span(),
                format!(
                    "near_quota_pct is {}, expected a percentage from 1 to 100",
                    out.near_quota_pct
                ),
            );
        }
    }
    out
}

/// Fills each client's `usage` from `[clients.<c>.usage]`; run after
/// `pos::attach` (an Odoo meter needs the client's Odoo).
pub(super) fn attach(v: &mut Validator, raw: &RawConfig, hosts: &[&str], clients: &mut [Client]) {
    for (id, rc) in raw.clients.iter() {
        let Some(usage) = &rc.usage else { continue };
        let Some(client) = clients.iter_mut().find(|c| &c.id == id.get_ref()) else {
            continue;
        };
        let mut meters = Vec::new();
        for (meter, given) in [
            (Meter::ActiveUsers, &usage.active_users),
            (Meter::Documents, &usage.documents),
            (Meter::Emails, &usage.emails),
            (Meter::Sms, &usage.sms),
        ] {
            let Some(given) = given else { continue };
            if let Some(source) = source(v, meter, given, client, hosts) {
                meters.push((meter, source));
            }
        }
        let priced = raw
            .contracts
            .iter()
            .find(|(c, _)| c.get_ref() == &client.contract)
            .is_none_or(|(_, c)| c.usage.is_some());
        if !meters.is_empty() && !priced {
            v.error(
                rc.contract.span(),
                format!(
                    "client {} meters usage but contract {} has no [contracts.{}.usage] prices",
                    client.id, client.contract, client.contract
                ),
            );
        }
        client.usage = UsageMeters { meters };
    }
}

fn source(
    v: &mut Validator,
    meter: Meter,
    raw: &Spanned<RawMeterSource>,
    client: &Client,
    hosts: &[&str],
) -> Option<MeterSource> {
    let r = raw.get_ref();
    let name = meter.key();
    let kind = r.source.get_ref().as_str();
    let keys = [
        ("host", r.host.as_ref()),
        ("command", r.command.as_ref()),
        ("url", r.url.as_ref()),
        ("query", r.query.as_ref()),
        ("reading", r.reading.as_ref()),
    ];
    let allowed: &[&str] = match kind {
        "odoo" => &[],
        "command" => &["host", "command", "reading"],
        "prometheus" => &["url", "query", "reading"],
        other => {
            v.error(
                r.source.span(),
                format!("{name} source is '{other}', expected odoo, command or prometheus"),
            );
            return None;
        }
    };
    let mut fine = true;
    for (key, value) in keys {
        if let Some(value) = value {
            if !allowed.contains(&key) {
                v.error(
                    value.span(),
                    format!("{key} does not apply to a {kind} source of {name}"),
                );
                fine = false;
            }
        }
    }
    let mut required = |key: &str, value: Option<&Spanned<String>>| -> Option<String> {
        match value {
            Some(x) if !x.get_ref().trim().is_empty() => Some(x.get_ref().clone()),
            Some(x) => {
                v.error(x.span(), format!("{key} is empty"));
                None
            }
            None => {
                v.error(
                    raw.span(),
                    format!("a {kind} source of {name} needs `{key}`"),
                );
                None
            }
        }
    };
    let out = match kind {
        "odoo" => {
            if client.odoo.is_none() {
                v.error(
                    r.source.span(),
                    format!(
                        "{name} is read from Odoo but client {} has no [clients.{}.odoo]",
                        client.id, client.id
                    ),
                );
                fine = false;
            }
            MeterSource::Odoo
        }
        "command" => {
            let host = required("host", r.host.as_ref());
            let command = required("command", r.command.as_ref());
            if let (Some(h), Some(given)) = (&host, &r.host) {
                if !hosts.contains(&h.as_str()) {
                    v.error(
                        given.span(),
                        format!("unknown host '{h}', expected one of [hosts]"),
                    );
                    fine = false;
                }
            }
            MeterSource::Command {
                host: host?,
                target: None,
                command: command?,
                reading: reading(v, meter, r.reading.as_ref()),
            }
        }
        _ => {
            let url = required("url", r.url.as_ref());
            let query = required("query", r.query.as_ref());
            if let (Some(u), Some(given)) = (&url, &r.url) {
                if !(u.starts_with("http://") || u.starts_with("https://")) {
                    v.error(
                        given.span(),
                        format!(
                            "prometheus url '{}', expected an http:// or https:// URL",
                            crate::urls::masked(u)
                        ),
                    );
                    fine = false;
                }
            }
            MeterSource::Prometheus {
                url: url?.trim_end_matches('/').to_string(),
                query: query?,
                reading: reading(v, meter, r.reading.as_ref()),
            }
        }
    };
    fine.then_some(out)
}

fn reading(v: &mut Validator, meter: Meter, raw: Option<&Spanned<String>>) -> ReadingKind {
    let Some(raw) = raw else {
        return ReadingKind::default_for(meter);
    };
    match raw.get_ref().as_str() {
        "day" => ReadingKind::Day,
        "total" => ReadingKind::Total,
        "level" => ReadingKind::Level,
        other => {
            v.error(
                raw.span(),
                format!(
                    "reading is '{other}', expected day (the day's figure), total (a counter) or level"
                ),
            );
            ReadingKind::default_for(meter)
        }
    }
}

/// A command meter runs over SSH as its host's entry says.
pub(super) fn resolve_targets(clients: &mut [Client], ssh: &crate::config::SshSettings) {
    for c in clients {
        for (_, source) in &mut c.usage.meters {
            if let MeterSource::Command { host, target, .. } = source {
                *target = ssh.hosts.get(host.as_str()).map(|h| h.target.clone());
            }
        }
    }
}
