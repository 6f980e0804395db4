//! `[alerts]`: the daemon's webhooks. Secrets are named here (an
//! environment variable or an owner-only file), never written here.

use super::super::error::Diagnostic;
use super::super::raw::{RawAlerts, RawWebhook};
use super::Validator;
use crate::model::alert::{AlertSettings, SecretSource, UrlSource, WebhookKind, WebhookSpec};
use crate::model::attention::Settings;

/// The daemon beats every 10 s: a threshold under two beats would call a
/// live daemon stale.
const MIN_HEARTBEAT_STALE: std::time::Duration = std::time::Duration::from_secs(20);

/// `[alerts] due_within` and `heartbeat_stale`, the alert list's thresholds
/// (`attention::Settings`); what is left out keeps its default.
pub(crate) fn attention(v: &mut Validator, raw: &RawAlerts) -> Settings {
    let mut out = Settings::default();
    if let Some(d) = &raw.due_within {
        if d.get_ref().0.is_zero() {
            v.error(
                d.span(),
                "due_within is 0s: expected a lead such as 1h (a ticket due within it is a warning)",
            );
        } else {
            out.ticket_lead = d.get_ref().0;
        }
    }
    if let Some(d) = &raw.heartbeat_stale {
        if d.get_ref().0 < MIN_HEARTBEAT_STALE {
            v.error(
                d.span(),
                format!(
                    "heartbeat_stale is {}: expected at least 20s (the daemon beats every 10 s)",
                    crate::config::values::format_duration(d.get_ref().0)
                ),
            );
        } else {
            out.heartbeat_stale = d.get_ref().0;
        }
    }
    out
}

pub(crate) fn alerts(raw: &RawAlerts, text: &str) -> Result<AlertSettings, Vec<Diagnostic>> {
    let mut v = Validator::new(text);
    let mut out = AlertSettings::default();
    if let Some(w) = &raw.merge_window {
        out.merge_window = w.get_ref().0;
    }
    for (i, hook) in raw.webhooks.iter().enumerate() {
        if let Some(spec) = webhook(&mut v, i, hook.get_ref(), hook.span()) {
            out.webhooks.push(spec);
        }
    }
    let hook_names: Vec<String> = out.webhooks.iter().map(|w| w.name.clone()).collect();
    out.receivers = super::receivers::receivers(&mut v, raw, &hook_names);
    out.ack = super::receivers::ack(&mut v, raw);
    if v.diagnostics.is_empty() {
        Ok(out)
    } else {
        Err(v.diagnostics)
    }
}

fn webhook(
    v: &mut Validator,
    index: usize,
    raw: &RawWebhook,
    span: std::ops::Range<usize>,
) -> Option<WebhookSpec> {
    let kind = match raw.kind.get_ref().as_str() {
        "generic" => WebhookKind::Generic,
        "matrix" => WebhookKind::Matrix,
        "mattermost" | "slack" => WebhookKind::Slack,
        other => {
            v.error(
                raw.kind.span(),
                format!(
                    "unknown webhook kind '{other}': expected generic, matrix, mattermost or slack"
                ),
            );
            return None;
        }
    };
    let url = match (&raw.url, &raw.url_env) {
        (Some(u), None) => {
            let text = u.get_ref().trim();
            if !(text.starts_with("http://") || text.starts_with("https://"))
                || reqwest::Url::parse(text).is_err()
            {
                v.error(
                    u.span(),
                    format!(
                        "invalid url '{}': expected http://... or https://...",
                        crate::urls::masked(text)
                    ),
                );
                return None;
            }
            UrlSource::Plain(text.to_string())
        }
        (None, Some(e)) => UrlSource::Secret(SecretSource::Env(e.get_ref().clone())),
        (Some(_), Some(e)) => {
            v.error(e.span(), "give url or url_env, not both");
            return None;
        }
        (None, None) => {
            v.error(
                span,
                "a webhook needs url (or url_env, for a URL that is itself a secret)",
            );
            return None;
        }
    };
    let token = match (&raw.token_env, &raw.token_file) {
        (Some(e), None) => Some(SecretSource::Env(e.get_ref().clone())),
        (None, Some(f)) => Some(SecretSource::File(f.get_ref().into())),
        (Some(_), Some(f)) => {
            v.error(f.span(), "give token_env or token_file, not both");
            return None;
        }
        (None, None) => None,
    };
    let room = raw.room.as_ref().map(|r| r.get_ref().trim().to_string());
    if kind == WebhookKind::Matrix {
        if room.as_deref().is_none_or(|r| !r.starts_with('!')) {
            let at = raw.room.as_ref().map_or(span.clone(), |r| r.span());
            v.error(
                at,
                "a matrix webhook needs room = \"!id:server\" (the room's id, not its alias)",
            );
            return None;
        }
        if token.is_none() {
            v.error(
                span,
                "a matrix webhook needs token_env or token_file (the bot's access token)",
            );
            return None;
        }
    } else if let Some(r) = &raw.room {
        v.error(r.span(), "room is for matrix webhooks only");
        return None;
    }
    Some(WebhookSpec {
        name: raw
            .name
            .clone()
            .unwrap_or_else(|| format!("webhook {}", index + 1)),
        kind,
        url,
        room,
        token,
    })
}
