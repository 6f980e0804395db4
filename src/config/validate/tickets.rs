//! `[tickets]`: the tracker backend, its projects mapped to clients, and the
//! rules that stop the intervention clock.

use std::path::PathBuf;

use super::{Validator, one_of};
use crate::config::raw::{RawClient, RawTickets};
use crate::config::values::OrderedMap;
use crate::model::tickets::{ClockRules, SecretSource, TicketBackendKind, TicketSettings};

pub(super) fn tickets(
    v: &mut Validator,
    raw: Option<&RawTickets>,
    clients: &OrderedMap<String, RawClient>,
) -> TicketSettings {
    let Some(raw) = raw else {
        return TicketSettings::default();
    };
    let mut out = TicketSettings::default();
    let backend = match raw.backend.get_ref().as_str() {
        "builtin" => TicketBackendKind::Builtin,
        "redmine" => {
            let url = match &raw.url {
                Some(u) => {
                    let s = u.get_ref().trim_end_matches('/').to_string();
                    if !(s.starts_with("http://") || s.starts_with("https://")) {
                        v.error(
                            u.span(),
                            format!(
                                "invalid url '{}', expected http:// or https://",
                                crate::urls::masked(&s)
                            ),
                        );
                    }
                    s
                }
                None => {
                    v.error(
                        raw.backend.span(),
                        "the redmine backend needs `url`, expected e.g. url = \"https://redmine.example.coop\"",
                    );
                    String::new()
                }
            };
            if raw.api_key_env.is_none() && raw.api_key_file.is_none() {
                v.error(
                    raw.backend.span(),
                    "the redmine backend needs `api_key_env` or `api_key_file` (the key itself never goes in the config)",
                );
            }
            TicketBackendKind::Redmine {
                url,
                key: SecretSource {
                    env: raw.api_key_env.clone(),
                    file: raw.api_key_file.as_deref().map(expand_home),
                },
                activity_id: raw.activity_id,
            }
        }
        other => {
            v.error(
                raw.backend.span(),
                format!("unknown ticket backend '{other}', expected builtin or redmine"),
            );
            TicketBackendKind::Builtin
        }
    };
    out.backend = backend;
    let client_ids: Vec<&str> = clients
        .iter()
        .map(|(id, _)| id.get_ref().as_str())
        .collect();
    for (project, client) in raw.projects.iter() {
        if !client_ids.contains(&client.get_ref().as_str()) {
            v.error(
                client.span(),
                format!(
                    "unknown client '{}', expected {}",
                    client.get_ref(),
                    one_of(&client_ids)
                ),
            );
        }
        out.projects
            .insert(project.get_ref().clone(), client.get_ref().clone());
    }
    out.rules = ClockRules {
        team: raw.team.clone(),
        stop_statuses: raw.stop_statuses.clone(),
    };
    if let Some(d) = raw.sync_interval {
        out.sync_interval = d.0.max(std::time::Duration::from_secs(5));
    }
    out
}

fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}
