//! From the file as written to the validated fleet: defaults, value ranges
//! and cross-references. Every problem is collected, so one run of Vigie
//! shows them all rather than one per edit.

pub(crate) mod alerts;
mod backup;
mod client;
mod contract;
mod host;
mod maintenance;
pub(crate) mod paging;
#[cfg(test)]
mod paging_tests;
mod pos;
mod postgres;
pub(crate) mod receivers;
mod ssh;
mod tickets;
mod usage;

use std::collections::BTreeMap;
use std::ops::Range;

use super::error::Diagnostic;
use toml::Spanned;

use super::raw::{RawConfig, RawHealth};
use super::values::format_duration;
use crate::model::money::Decimal;
use crate::model::{Fleet, HealthSettings};

/// Collects diagnostics while the model is built.
pub(crate) struct Validator<'a> {
    text: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Validator<'a> {
    fn new(text: &'a str) -> Validator<'a> {
        Validator {
            text,
            diagnostics: Vec::new(),
        }
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::at(self.text, span, message));
    }

    /// An amount as written in the file: a TOML number is read again from
    /// its text so no binary float stands between the file and the invoice.
    /// A negative amount is reported and read as zero.
    fn amount(&mut self, value: &Spanned<super::values::AmountValue>, key: &str) -> Decimal {
        let span = value.span();
        let x = self
            .text
            .get(span.clone())
            .and_then(crate::model::money::parse)
            .unwrap_or(value.get_ref().0);
        if x.is_sign_negative() && !x.is_zero() {
            self.error(
                span,
                format!(
                    "{key} is {}, expected an amount of zero or more",
                    x.normalize()
                ),
            );
            return Decimal::ZERO;
        }
        x
    }

    /// The 1-based line of a span, to point at an earlier definition.
    fn line_of(&self, span: &Range<usize>) -> usize {
        super::error::line_column(self.text, span.start).0
    }
}

/// `[health]`: flapping, cut-network detection and history retention.
fn health(v: &mut Validator, raw: &RawHealth) -> HealthSettings {
    let mut out = HealthSettings::default();
    if let Some(n) = &raw.flap_changes {
        out.flap_changes = *n.get_ref();
        if out.flap_changes == 1 {
            v.error(
                n.span(),
                "flap_changes is 1, expected 0 (off) or at least 2 changes",
            );
        }
    }
    if let Some(w) = &raw.flap_window {
        out.flap_window = w.get_ref().0;
    }
    if let Some(n) = &raw.all_failing_min {
        out.all_failing_min = *n.get_ref();
        if out.all_failing_min < 2 {
            v.error(
                n.span(),
                format!(
                    "all_failing_min is {}, expected at least 2 checks",
                    out.all_failing_min
                ),
            );
        }
    }
    let r = &raw.retention;
    let keep = &mut out.retention;
    for (given, slot) in [
        (&r.raw, &mut keep.raw),
        (&r.minute, &mut keep.minute),
        (&r.hour, &mut keep.hour),
        (&r.day, &mut keep.day),
    ] {
        if let Some(d) = given {
            *slot = d.get_ref().0;
        }
    }
    let order = [
        ("minute", &r.minute, keep.minute),
        ("hour", &r.hour, keep.hour),
        ("day", &r.day, keep.day),
    ];
    for pair in order.windows(2) {
        let [(finer, _, f), (coarser, given, c)] = pair else {
            continue;
        };
        if c < f {
            let span = given
                .as_ref()
                .or(pair[0].1.as_ref())
                .map(Spanned::span)
                .unwrap_or(0..0);
            v.error(
                span,
                format!(
                    "{coarser} rollups kept {} but {finer} rollups {}: expected coarser history kept at least as long",
                    format_duration(*c),
                    format_duration(*f)
                ),
            );
        }
    }
    out
}

/// Builds the fleet, or returns every problem found, in file order.
pub(crate) fn fleet(
    raw: &RawConfig,
    text: &str,
) -> Result<(Fleet, crate::config::SshSettings), Vec<Diagnostic>> {
    let mut v = Validator::new(text);
    let contracts: BTreeMap<_, _> = raw
        .contracts
        .iter()
        .map(|(id, c)| {
            (
                id.get_ref().clone(),
                contract::contract(&mut v, id.get_ref(), c),
            )
        })
        .collect();
    let host_names: Vec<&str> = raw
        .hosts
        .iter()
        .map(|(name, _)| name.get_ref().as_str())
        .collect();
    let contract_names: Vec<&str> = contracts.keys().map(String::as_str).collect();
    let known = client::Known {
        hosts: &host_names,
        contracts: &contract_names,
    };
    let mut clients: Vec<crate::model::Client> = raw
        .clients
        .iter()
        .map(|(id, c)| client::client(&mut v, &known, id.get_ref(), c))
        .collect();
    pos::attach(&mut v, raw, &mut clients);
    usage::attach(&mut v, raw, &host_names, &mut clients);
    let base_policy = maintenance::fleet_policy(&mut v, &raw.maintenance);
    for (client, (_, rc)) in clients.iter_mut().zip(raw.clients.iter()) {
        client.maintenance =
            maintenance::client_rules(&mut v, &base_policy, client, &rc.maintenance);
    }
    let mut hosts: Vec<_> = raw
        .hosts
        .iter()
        .map(|(name, h)| host::host(&mut v, name, h))
        .collect();
    let health = health(&mut v, &raw.health);
    let mut backups = backup::sources(&mut v, raw);
    let pings_listen = backup::pings(&mut v, raw);
    let tickets = tickets::tickets(&mut v, raw.tickets.as_ref(), &raw.clients);
    let attention = alerts::attention(&mut v, &raw.alerts);
    // A check's `clients` must name clients that use its host.
    for (host, h) in raw.hosts.iter() {
        for c in &h.checks {
            let Some(list) = &c.clients else { continue };
            for client in list.get_ref() {
                let uses = raw.clients.iter().any(|(id, rc)| {
                    id.get_ref() == client.get_ref()
                        && rc.environments.iter().any(|(_, e)| {
                            e.hosts
                                .get_ref()
                                .iter()
                                .any(|x| x.get_ref() == host.get_ref())
                        })
                });
                if !uses {
                    v.error(
                        client.span(),
                        format!(
                            "client '{}' does not use host {}, expected a client whose environments list it",
                            client.get_ref(),
                            host.get_ref()
                        ),
                    );
                }
            }
        }
    }

    // An odoo check reads its client's `[clients.<c>.odoo]`.
    for (h, (_, rh)) in hosts.iter_mut().zip(raw.hosts.iter()) {
        for (check, rc) in h.checks.iter_mut().zip(rh.checks.iter()) {
            let crate::model::CheckKind::Odoo(o) = &mut check.kind else {
                continue;
            };
            if o.client.is_empty() {
                continue;
            }
            o.connection = clients
                .iter()
                .find(|c| c.id == o.client)
                .and_then(|c| c.odoo.clone());
            match &o.connection {
                Some(conn) => o.shown = format!("{} ({})", crate::urls::masked(&conn.url), conn.db),
                None => v.error(
                    rc.kind.span(),
                    format!(
                        "kind odoo reads the Odoo of client '{}', which has no [clients.{}.odoo]",
                        o.client, o.client
                    ),
                ),
            }
        }
    }
    let mut clients: Vec<_> = clients;
    let ssh = ssh::settings(&mut v, raw, &clients, &mut hosts);
    usage::resolve_targets(&mut clients, &ssh);
    // A remote dump directory is read over SFTP as its host's entry says.
    for b in &mut backups {
        if let crate::model::backup::BackupKind::Dumps(d) = &mut b.kind {
            if let Some((host, _)) = crate::model::backup::remote_parts(&d.directory) {
                d.sftp = ssh.hosts.get(host).map(|h| h.target.clone());
            }
        }
    }
    if v.diagnostics.is_empty() {
        Ok((
            Fleet {
                clients,
                hosts,
                contracts,
                health,
                backups,
                pings_listen,
                tickets,
                attention,
            },
            ssh,
        ))
    } else {
        let mut diagnostics = v.diagnostics;
        diagnostics.sort_by_key(|d| (d.line, d.column));
        Err(diagnostics)
    }
}

/// `a, b or c` for messages; long lists are cut short.
fn one_of(names: &[&str]) -> String {
    const MAX: usize = 8;
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        _ if names.len() > MAX => format!("{}, ...", names[..MAX].join(", ")),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_english() {
        assert_eq!(one_of(&[]), "");
        assert_eq!(one_of(&["a"]), "a");
        assert_eq!(one_of(&["a", "b", "c"]), "a, b or c");
        let many = ["h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9"];
        assert_eq!(one_of(&many), "h1, h2, h3, h4, h5, h6, h7, h8, ...");
    }
}
