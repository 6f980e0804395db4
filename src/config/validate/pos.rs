//! `[pos]`, `[clients.<c>.odoo]` and `[clients.<c>.sites.<s>.pos]`: the
//! stores' tills, IoT box and lines, and the client's Odoo.

use std::time::Duration;

use super::Validator;
use crate::config::raw::{RawConfig, RawPos, RawPosTarget, RawStorePos, RawTraffic};
use crate::model::Client;
use crate::model::pos::{
    OdooConnection, OdooTransport, PosSettings, SecretSource, StorePos, Target, Till, TrafficCheck,
    Uplink, UplinkRole,
};

/// Fills each client's `odoo` and each site's `pos` from the raw file.
pub(super) fn attach(v: &mut Validator, raw: &RawConfig, clients: &mut [Client]) {
    let settings = settings(v, &raw.pos);
    for (id, rc) in raw.clients.iter() {
        let Some(client) = clients.iter_mut().find(|c| &c.id == id.get_ref()) else {
            continue;
        };
        if let Some(o) = &rc.odoo {
            let url = o.url.get_ref().trim_end_matches('/').to_string();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                v.error(
                    o.url.span(),
                    format!(
                        "odoo url '{}', expected an http:// or https:// URL",
                        crate::urls::masked(&url)
                    ),
                );
            }
            let secret = match (&o.key_env, &o.key_file) {
                (Some(env), None) => SecretSource::Env(env.clone()),
                (None, Some(file)) => SecretSource::File(file.into()),
                _ => {
                    v.error(o.url.span(), "odoo needs exactly one of key_env or key_file (the API key is never written in this file)");
                    SecretSource::Env(String::new())
                }
            };
            let api = match o.api.as_ref().map(|a| a.get_ref().as_str()) {
                None | Some("jsonrpc") => OdooTransport::JsonRpc,
                Some("json2") => OdooTransport::Json2,
                Some(other) => {
                    if let Some(a) = &o.api {
                        v.error(
                            a.span(),
                            format!(
                                "odoo api '{}', expected \"jsonrpc\" (/jsonrpc, Odoo 8 to 21) or \"json2\" (/json/2, Odoo 19 and later)",
                                crate::sanitize::clean_short(other, 40)
                            ),
                        );
                    }
                    OdooTransport::JsonRpc
                }
            };
            client.odoo = Some(OdooConnection {
                url,
                db: o.db.clone(),
                login: o.login.clone(),
                secret,
                api,
            });
        }
        for (site_id, rs) in rc.sites.iter() {
            let Some(p) = &rs.pos else { continue };
            let store = store(v, p, &settings);
            if let Some(site) = client.sites.iter_mut().find(|s| &s.id == site_id.get_ref()) {
                site.pos = Some(store);
            }
        }
    }
}

fn settings(v: &mut Validator, raw: &RawPos) -> PosSettings {
    let mut s = PosSettings::default();
    let set = |slot: &mut Duration, d: &Option<crate::config::values::DurationValue>| {
        if let Some(d) = d {
            *slot = d.0;
        }
    };
    set(&mut s.critical_before, &raw.critical_before);
    set(&mut s.critical_after, &raw.critical_after);
    set(&mut s.alert_after, &raw.alert_after);
    set(&mut s.merge_within, &raw.merge_within);
    set(&mut s.left_open_after, &raw.left_open_after);
    set(&mut s.opening_grace, &raw.opening_grace);
    set(&mut s.closing_stuck_after, &raw.closing_stuck_after);
    for (given, slot, least) in [
        (&raw.interval, &mut s.interval, Duration::from_secs(1)),
        (
            &raw.odoo_interval,
            &mut s.odoo_interval,
            Duration::from_secs(10),
        ),
        (&raw.timeout, &mut s.timeout, Duration::from_millis(100)),
    ] {
        if let Some(d) = given {
            *slot = d.get_ref().0;
            if *slot < least {
                v.error(
                    d.span(),
                    format!(
                        "{} is too short, expected at least {}",
                        crate::model::words::human_duration(d.get_ref().0),
                        crate::model::words::human_duration(least)
                    ),
                );
            }
        }
    }
    if let Some(ms) = raw.slow_ms {
        s.slow_ms = ms;
    }
    s
}

fn store(v: &mut Validator, raw: &RawStorePos, settings: &PosSettings) -> StorePos {
    let tills = raw
        .tills
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let target = target(v, t)?;
            let name = t
                .get_ref()
                .name
                .clone()
                .unwrap_or_else(|| format!("till {}", i + 1));
            Some(Till { name, target })
        })
        .collect();
    let mut uplinks = Vec::new();
    for (role, given) in [
        (UplinkRole::Main, &raw.main),
        (UplinkRole::Backup, &raw.backup),
    ] {
        if let Some(t) = given {
            if let Some(target) = target(v, t) {
                uplinks.push(Uplink { role, target });
            }
        }
    }
    let iot = raw.iot.as_ref().map(|u| Target::Http {
        url: format!("{}/hw_proxy/hello", u.get_ref().trim_end_matches('/')),
        contains: Some("ping".into()),
    });
    let traffic = raw.traffic.as_ref().and_then(|t| traffic(v, t));
    StorePos {
        tills,
        iot,
        uplinks,
        traffic,
        configs: raw.configs.clone(),
        settings: settings.clone(),
    }
}

fn target(v: &mut Validator, t: &toml::Spanned<RawPosTarget>) -> Option<Target> {
    let r = t.get_ref();
    match (&r.address, &r.url) {
        (Some(a), None) => match (r.port, &r.path) {
            (Some(port), None) => Some(Target::Tcp(format!("{a}:{port}"))),
            (port, Some(path)) => {
                let host = port.map_or(a.clone(), |p| format!("{a}:{p}"));
                let path = path.trim_start_matches('/');
                Some(Target::Http {
                    url: format!("http://{host}/{path}"),
                    contains: None,
                })
            }
            (None, None) if a.contains(':') => Some(Target::Tcp(a.clone())),
            (None, None) => {
                v.error(t.span(), "address without port or path, expected port = N (TCP) or path = \"/...\" (HTTP)");
                None
            }
        },
        (None, Some(url)) => Some(Target::Http {
            url: url.clone(),
            contains: None,
        }),
        _ => {
            v.error(
                t.span(),
                "expected exactly one of address (with port or path) or url",
            );
            None
        }
    }
}

fn traffic(v: &mut Validator, t: &toml::Spanned<RawTraffic>) -> Option<TrafficCheck> {
    let r = t.get_ref();
    match (&r.url, &r.public_address) {
        (Some(url), None) => Some(TrafficCheck::RouterStatus {
            url: url.clone(),
            pointer: r.pointer.clone(),
            main: r.main.clone(),
            backup: r.backup.clone(),
        }),
        (None, Some(url)) if r.pointer.is_none() => Some(TrafficCheck::PublicAddress {
            url: url.clone(),
            main: r.main.clone(),
            backup: r.backup.clone(),
        }),
        _ => {
            v.error(t.span(), "traffic expects url (router status page, with pointer or keywords) or public_address, not both");
            None
        }
    }
}
