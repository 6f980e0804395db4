//! `[oncall]` and `[[alerts.routes]]`: the rota and the routes paging reads.
//! Every name must resolve: a route's or a member's receiver, an override's
//! member, the order's members; overrides may not overlap, and the rota
//! must leave no week without someone on call.

use chrono::NaiveDate;
use toml::Spanned;

use super::super::error::Diagnostic;
use super::super::raw::{RawAlerts, RawOncall, RawRoute};
use super::Validator;
use crate::model::attention::{Domain, Severity};
use crate::model::paging::{Matcher, Member, Override, Paging, Rota, Route, Target};
use crate::model::{EnvKind, SupportHours};

/// The target that means "whoever the rota says".
pub const ON_CALL: &str = "oncall";

/// Reads the rota and routes. `receivers`: every receiver's name.
pub(crate) fn paging(
    alerts: &RawAlerts,
    oncall: Option<&RawOncall>,
    receivers: &[String],
    text: &str,
) -> Result<Paging, Vec<Diagnostic>> {
    let mut v = Validator::new(text);
    let mut out = Paging::default();
    if let Some(m) = &alerts.merge_window {
        out.timing.merge_window = m.get_ref().0;
    }
    for (key, value, slot) in [
        (
            "repeat_every",
            &alerts.repeat_every,
            &mut out.timing.repeat_every,
        ),
        (
            "escalate_after",
            &alerts.escalate_after,
            &mut out.timing.escalate_after,
        ),
    ] {
        if let Some(d) = value {
            if d.get_ref().0.is_zero() {
                v.error(d.span(), format!("{key} must be longer than 0s"));
            } else {
                *slot = d.get_ref().0;
            }
        }
    }
    let has_rota = oncall.is_some();
    out.rota = oncall.and_then(|r| rota(&mut v, r, receivers));
    let target = |v: &mut Validator, name: &Spanned<String>| -> Option<Target> {
        let n = name.get_ref().trim();
        if n == ON_CALL {
            if !has_rota {
                v.error(
                    name.span(),
                    "route to \"oncall\" without an [oncall] rota: add [oncall] or name a receiver",
                );
                return None;
            }
            return Some(Target::OnCall);
        }
        if receivers.iter().any(|r| r == n) {
            Some(Target::Receiver(n.to_string()))
        } else {
            v.error(name.span(), unknown_receiver(n, receivers));
            None
        }
    };
    if let Some(list) = &alerts.default_route {
        out.routing.default = list.iter().filter_map(|n| target(&mut v, n)).collect();
    } else if !has_rota {
        // Without a rota, alerts no route takes reach every receiver, as
        // the webhooks did before routes existed.
        out.routing.default = receivers.iter().cloned().map(Target::Receiver).collect();
    }
    if alerts.warnings_in_support_hours == Some(true) {
        out.routing.warnings_in = Some(SupportHours::default());
    }
    for r in &alerts.routes {
        let raw = r.get_ref();
        let to = raw.to.iter().filter_map(|n| target(&mut v, n)).collect();
        out.routing.routes.push(Route {
            matcher: matcher(&mut v, raw),
            to,
            continue_after: raw.continue_after,
        });
    }
    if v.diagnostics.is_empty() {
        Ok(out)
    } else {
        Err(v.diagnostics)
    }
}

fn unknown_receiver(name: &str, receivers: &[String]) -> String {
    if receivers.is_empty() {
        format!("unknown receiver '{name}': no receiver is configured (add [[alerts.webhooks]])")
    } else {
        format!(
            "unknown receiver '{name}': expected \"{ON_CALL}\" or one of {}",
            receivers.join(", ")
        )
    }
}

fn matcher(v: &mut Validator, raw: &RawRoute) -> Matcher {
    fn parsed<T>(
        v: &mut Validator,
        list: &[Spanned<String>],
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for s in list {
            match parse(s.get_ref().trim()) {
                Some(x) => out.push(x),
                None => v.error(
                    s.span(),
                    format!("unknown value '{}': expected {expected}", s.get_ref()),
                ),
            }
        }
        out
    }
    let plain = |list: &[Spanned<String>]| list.iter().map(|s| s.get_ref().clone()).collect();
    Matcher {
        clients: plain(&raw.client),
        environments: parsed(v, &raw.environment, EnvKind::parse, "prod, preprod or dev"),
        domains: parsed(
            v,
            &raw.domain,
            Domain::parse,
            "checks, pos, backups, tickets, maintenance, usage or vigie",
        ),
        severities: parsed(
            v,
            &raw.severity,
            Severity::parse,
            "critical, warning or info",
        ),
        hosts: plain(&raw.host),
        checks: plain(&raw.check),
    }
}

fn date(v: &mut Validator, s: &Spanned<String>) -> Option<NaiveDate> {
    let d = NaiveDate::parse_from_str(s.get_ref().trim(), "%Y-%m-%d").ok();
    if d.is_none() {
        v.error(
            s.span(),
            format!("invalid date '{}', expected YYYY-MM-DD", s.get_ref()),
        );
    }
    d
}

fn rota(v: &mut Validator, raw: &RawOncall, receivers: &[String]) -> Option<Rota> {
    let before = v.diagnostics.len();
    let mut members: Vec<Member> = Vec::new();
    for m in &raw.members {
        let m = m.get_ref();
        let name = m.name.get_ref().trim().to_string();
        if members.iter().any(|x| x.name == name) {
            v.error(m.name.span(), format!("member '{name}' is listed twice"));
            continue;
        }
        if m.receivers.is_empty() {
            v.error(
                m.name.span(),
                format!("member '{name}' has no receivers: nothing would reach them"),
            );
        }
        for r in &m.receivers {
            if !receivers.iter().any(|x| x == r.get_ref().trim()) {
                v.error(r.span(), unknown_receiver(r.get_ref().trim(), receivers));
            }
        }
        members.push(Member {
            name,
            receivers: m
                .receivers
                .iter()
                .map(|r| r.get_ref().trim().to_string())
                .collect(),
        });
    }
    let find = |v: &mut Validator, name: &Spanned<String>, what: &str| {
        let n = name.get_ref().trim();
        let found = members.iter().position(|m| m.name == n);
        if found.is_none() {
            let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
            v.error(
                name.span(),
                format!(
                    "{what} '{n}' is not a member of the rota: expected one of {}",
                    names.join(", ")
                ),
            );
        }
        found
    };
    let mut order = Vec::new();
    for n in raw.order.get_ref() {
        if let Some(i) = find(v, n, "order names") {
            order.push(i);
        }
    }
    if raw.order.get_ref().is_empty() {
        v.error(
            raw.order.span(),
            "the rota's order is empty: every week would have a gap with no one on call",
        );
    }
    for (i, m) in members.iter().enumerate() {
        if !order.contains(&i) && !raw.order.get_ref().is_empty() {
            let span = raw.members.get(i).map_or(raw.order.span(), |m| m.span());
            v.error(
                span,
                format!(
                    "member '{}' is missing from the order: they would never take a turn",
                    m.name
                ),
            );
        }
    }
    let start = date(v, &raw.start);
    let mut overrides: Vec<(Override, std::ops::Range<usize>)> = Vec::new();
    for o in &raw.overrides {
        let span = o.span();
        let o = o.get_ref();
        let member = find(v, &o.member, "override for");
        let (first, last) = (date(v, &o.from), date(v, &o.to));
        let (Some(member), Some(first), Some(last)) = (member, first, last) else {
            continue;
        };
        if last < first {
            v.error(
                o.to.span(),
                "an override ends before it begins: expected to on or after from",
            );
            continue;
        }
        if let Some((other, _)) = overrides
            .iter()
            .find(|(x, _)| x.first <= last && first <= x.last)
        {
            v.error(
                o.from.span(),
                format!(
                    "this override overlaps the one for '{}' from {} to {}: two people cannot cover the same day",
                    members[other.member].name, other.first, other.last
                ),
            );
            continue;
        }
        overrides.push((
            Override {
                member,
                first,
                last,
            },
            span,
        ));
    }
    if v.diagnostics.len() > before {
        return None;
    }
    Some(Rota {
        members,
        timezone: raw.timezone.0,
        handover_day: raw.handover_day.get_ref().0,
        handover_at: raw.handover_at.get_ref().0,
        order,
        start: start?,
        overrides: overrides.into_iter().map(|(o, _)| o).collect(),
    })
}
