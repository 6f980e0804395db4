//! `[[alerts.receivers]]` (e-mail, ntfy) and `[alerts]`'s acknowledgement
//! listener. Secrets are named here, never written here.

use std::collections::BTreeMap;

use super::super::raw::{RawAlerts, RawReceiver};
use super::Validator;
use crate::model::alert::SecretSource;
use crate::model::receiver::{
    AckSettings, EmailSpec, NtfySpec, ReceiverKind, ReceiverSpec, SmtpTls,
};

/// How long an "Acknowledge" button works when `ack_valid_for` is not given.
pub const ACK_VALID_FOR: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

pub(super) fn receivers(v: &mut Validator, raw: &RawAlerts, taken: &[String]) -> Vec<ReceiverSpec> {
    // Routes name receivers: a name must say which one.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for name in taken {
        seen.insert(name.clone(), 0);
    }
    let mut out = Vec::new();
    for r in &raw.receivers {
        let name = r.get_ref().name.get_ref().trim().to_string();
        let name_span = r.get_ref().name.span();
        if name.is_empty() {
            v.error(name_span, "a receiver needs a name (routes refer to it)");
            continue;
        }
        if let Some(&at) = seen.get(&name) {
            let earlier = if at == 0 {
                "a webhook".to_string()
            } else {
                format!("line {at}")
            };
            v.error(
                name_span,
                format!("receiver name '{name}' is already used by {earlier}"),
            );
            continue;
        }
        seen.insert(name.clone(), v.line_of(&name_span));
        if let Some(kind) = receiver(v, r.get_ref(), r.span()) {
            out.push(ReceiverSpec { name, kind });
        }
    }
    out
}

fn secret(
    v: &mut Validator,
    env: &Option<toml::Spanned<String>>,
    file: &Option<toml::Spanned<String>>,
    what: &str,
) -> Result<Option<SecretSource>, ()> {
    match (env, file) {
        (Some(e), None) => Ok(Some(SecretSource::Env(e.get_ref().clone()))),
        (None, Some(f)) => Ok(Some(SecretSource::File(f.get_ref().into()))),
        (Some(_), Some(f)) => {
            v.error(
                f.span(),
                format!("give {what}_env or {what}_file, not both"),
            );
            Err(())
        }
        (None, None) => Ok(None),
    }
}

/// Refuses a key the kind does not use, so a typo'd kind is not silent.
fn refuse<T>(v: &mut Validator, key: &Option<toml::Spanned<T>>, name: &str, kind: &str) -> bool {
    if let Some(k) = key {
        v.error(k.span(), format!("{name} is not a key of {kind} receivers"));
        return true;
    }
    false
}

fn receiver(
    v: &mut Validator,
    raw: &RawReceiver,
    span: std::ops::Range<usize>,
) -> Option<ReceiverKind> {
    match raw.kind.get_ref().as_str() {
        "email" => email(v, raw, span).map(ReceiverKind::Email),
        "ntfy" => ntfy(v, raw, span).map(ReceiverKind::Ntfy),
        other => {
            v.error(
                raw.kind.span(),
                format!(
                    "unknown receiver kind '{}': expected email or ntfy (webhooks go in [[alerts.webhooks]])",
                    crate::sanitize::clean_short(other, 30)
                ),
            );
            None
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn email(v: &mut Validator, raw: &RawReceiver, span: std::ops::Range<usize>) -> Option<EmailSpec> {
    let mut bad = refuse(v, &raw.url, "url", "email")
        | refuse(v, &raw.token_env, "token_env", "email")
        | refuse(v, &raw.token_file, "token_file", "email");
    let Some(server) = &raw.server else {
        v.error(
            span,
            "an email receiver needs server = \"smtp.example.org\"",
        );
        return None;
    };
    let host = server.get_ref().trim().to_string();
    if host.is_empty() || host.contains("://") || host.contains(char::is_whitespace) {
        v.error(
            server.span(),
            "server is a host name (smtp.example.org), without scheme or port",
        );
        bad = true;
    }
    let tls = match raw.tls.as_ref().map(|t| t.get_ref().as_str()) {
        None | Some("starttls") => SmtpTls::StartTls,
        Some("tls") => SmtpTls::Tls,
        Some("none") => SmtpTls::None,
        Some(other) => {
            v.error(
                raw.tls.as_ref().map_or(span.clone(), |t| t.span()),
                format!(
                    "unknown tls '{}': expected starttls, tls or none",
                    crate::sanitize::clean_short(other, 20)
                ),
            );
            return None;
        }
    };
    if tls == SmtpTls::None && !is_loopback(&host) {
        // A password or an alert crossing the network in clear text.
        v.error(
            raw.tls.as_ref().map_or(span.clone(), |t| t.span()),
            "tls = \"none\" is only for a relay on this machine (localhost): use starttls or tls",
        );
        bad = true;
    }
    let password = secret(v, &raw.password_env, &raw.password_file, "password").ok()?;
    let username = raw.username.as_ref().map(|u| u.get_ref().clone());
    if username.is_some() != password.is_some() {
        v.error(
            span.clone(),
            "give username with password_env or password_file (SMTP AUTH), or neither",
        );
        bad = true;
    }
    let Some(from) = &raw.from else {
        v.error(
            span,
            "an email receiver needs from = \"Vigie <vigie@example.org>\"",
        );
        return None;
    };
    if from.get_ref().parse::<lettre::message::Mailbox>().is_err() {
        v.error(
            from.span(),
            format!(
                "from '{}' is not an e-mail address",
                crate::sanitize::clean_short(from.get_ref(), 60)
            ),
        );
        bad = true;
    }
    let to = match &raw.to {
        Some(to) if !to.get_ref().is_empty() => {
            for t in to.get_ref() {
                if t.parse::<lettre::message::Mailbox>().is_err() {
                    v.error(
                        to.span(),
                        format!(
                            "to '{}' is not an e-mail address",
                            crate::sanitize::clean_short(t, 60)
                        ),
                    );
                    bad = true;
                }
            }
            to.get_ref().clone()
        }
        Some(to) => {
            v.error(to.span(), "to lists no address");
            return None;
        }
        None => {
            v.error(
                span,
                "an email receiver needs to = [\"oncall@example.org\"]",
            );
            return None;
        }
    };
    if bad {
        return None;
    }
    Some(EmailSpec {
        server: host,
        port: raw
            .port
            .as_ref()
            .map_or(tls.default_port(), |p| *p.get_ref()),
        tls,
        username,
        password,
        from: from.get_ref().clone(),
        to,
    })
}

fn ntfy(v: &mut Validator, raw: &RawReceiver, span: std::ops::Range<usize>) -> Option<NtfySpec> {
    let bad = refuse(v, &raw.server, "server", "ntfy")
        | refuse(v, &raw.port, "port", "ntfy")
        | refuse(v, &raw.tls, "tls", "ntfy")
        | refuse(v, &raw.username, "username", "ntfy")
        | refuse(v, &raw.password_env, "password_env", "ntfy")
        | refuse(v, &raw.password_file, "password_file", "ntfy")
        | refuse(v, &raw.from, "from", "ntfy")
        | refuse(v, &raw.to, "to", "ntfy");
    let Some(url) = &raw.url else {
        v.error(
            span,
            "an ntfy receiver needs url = \"https://ntfy.example.org/topic\"",
        );
        return None;
    };
    let text = url.get_ref().trim();
    let parsed = reqwest::Url::parse(text).ok().filter(|u| {
        matches!(u.scheme(), "http" | "https") && !u.path().trim_matches('/').is_empty()
    });
    if parsed.is_none() {
        v.error(
            url.span(),
            format!(
                "invalid url '{}': expected the topic's URL, https://ntfy.example.org/topic",
                crate::urls::masked(text)
            ),
        );
        return None;
    }
    let token = secret(v, &raw.token_env, &raw.token_file, "token").ok()?;
    if bad {
        return None;
    }
    Some(NtfySpec {
        url: text.to_string(),
        token,
        tags: raw.tags.clone(),
    })
}

/// `listen`, `ack_url`, `ack_secret_file`, `ack_valid_for`.
pub(super) fn ack(v: &mut Validator, raw: &RawAlerts) -> Option<AckSettings> {
    let Some(listen) = &raw.listen else {
        for (key, span) in [
            ("ack_url", raw.ack_url.as_ref().map(|k| k.span())),
            (
                "ack_secret_file",
                raw.ack_secret_file.as_ref().map(|k| k.span()),
            ),
            (
                "ack_valid_for",
                raw.ack_valid_for.as_ref().map(|k| k.span()),
            ),
        ] {
            if let Some(s) = span {
                v.error(
                    s,
                    format!("{key} needs listen = \"127.0.0.1:PORT\" (the daemon's listener)"),
                );
            }
        }
        return None;
    };
    let Ok(addr) = listen.get_ref().trim().parse::<std::net::SocketAddr>() else {
        v.error(
            listen.span(),
            "listen is an address and port, e.g. \"127.0.0.1:9180\"",
        );
        return None;
    };
    let Some(secret) = &raw.ack_secret_file else {
        v.error(
            listen.span(),
            "listen needs ack_secret_file (an owner-only file holding the key of the acknowledge buttons)",
        );
        return None;
    };
    let public_url = match &raw.ack_url {
        Some(u) => {
            let text = u.get_ref().trim().trim_end_matches('/');
            if !(text.starts_with("http://") || text.starts_with("https://"))
                || reqwest::Url::parse(text).is_err()
            {
                v.error(u.span(), "ack_url: expected http://... or https://...");
                return None;
            }
            Some(text.to_string())
        }
        None => None,
    };
    Some(AckSettings {
        listen: addr,
        public_url,
        secret: SecretSource::File(secret.get_ref().into()),
        valid_for: raw
            .ack_valid_for
            .as_ref()
            .map_or(ACK_VALID_FOR, |d| d.get_ref().0),
    })
}

/// `[self]`: the dead man's switch.
pub(crate) fn watcher(
    raw: &super::super::raw::RawSelf,
    text: &str,
) -> Result<crate::model::watcher::SelfSettings, Vec<super::super::error::Diagnostic>> {
    let mut v = Validator::new(text);
    let mut out = crate::model::watcher::SelfSettings::default();
    if let Some(u) = &raw.ping_url {
        let t = u.get_ref().trim().trim_end_matches('/');
        if (t.starts_with("http://") || t.starts_with("https://")) && reqwest::Url::parse(t).is_ok()
        {
            out.ping_url = Some(t.to_string());
        } else {
            v.error(
                u.span(),
                format!(
                    "invalid ping_url '{}': expected http://... or https://...",
                    crate::urls::masked(t)
                ),
            );
        }
    }
    if let Some(d) = &raw.ping_every {
        if d.get_ref().0 < std::time::Duration::from_secs(1) {
            v.error(d.span(), "ping_every is at least 1s");
        }
        out.ping_every = d.get_ref().0.max(std::time::Duration::from_secs(1));
    }
    if let Some(d) = &raw.delivery_grace {
        out.delivery_grace = d.get_ref().0;
    }
    if v.diagnostics.is_empty() {
        Ok(out)
    } else {
        Err(v.diagnostics)
    }
}
