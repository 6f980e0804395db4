//! Every kind of receiver behind one door: paging hands a `Page` to a
//! `Receiver` and gets back the receiver's answer (kept in the store) or why
//! it failed (retried from the store's queue).

use std::sync::Arc;

use super::Webhook;
use super::ack::Links;
use super::email::Email;
use super::ntfy::Ntfy;
use super::page::Page;
use crate::model::alert::AlertSettings;
use crate::model::receiver::ReceiverKind;

/// A receiver with its secrets read.
#[derive(Debug, Clone)]
pub enum Receiver {
    Webhook(Webhook),
    Email(Email),
    Ntfy(Ntfy),
}

impl Receiver {
    pub fn name(&self) -> &str {
        match self {
            Receiver::Webhook(w) => &w.name,
            Receiver::Email(e) => &e.name,
            Receiver::Ntfy(n) => &n.name,
        }
    }

    /// Sends one page. `Ok`: the receiver's answer in a few words
    /// ("HTTP 200", "250 2.0.0 queued"); `Err`: why not, to retry.
    pub async fn send(&self, client: &reqwest::Client, page: &Page) -> Result<String, String> {
        match self {
            Receiver::Webhook(w) => super::deliver_page(client, w, page).await,
            Receiver::Email(e) => e.send(page).await,
            Receiver::Ntfy(n) => n.send(client, page).await,
        }
    }
}

/// Where the acknowledge buttons point, with the key read from its
/// owner-only file; `None` without `[alerts] listen`.
pub fn links(settings: &AlertSettings) -> Result<Option<Arc<Links>>, String> {
    let Some(ack) = &settings.ack else {
        return Ok(None);
    };
    let key = ack_key(settings)?.unwrap_or_default();
    let base = ack
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", ack.listen));
    Ok(Some(Arc::new(Links::new(
        &base,
        key.as_bytes(),
        ack.valid_for,
    ))))
}

/// The acknowledge buttons' key, from `[alerts] ack_secret_file`.
pub fn ack_key(settings: &AlertSettings) -> Result<Option<String>, String> {
    let Some(ack) = &settings.ack else {
        return Ok(None);
    };
    let key = super::read_secret(&ack.secret, &|_| None)
        .map_err(|e| format!("[alerts] ack_secret_file: {e}"))?;
    if key.len() < 16 {
        return Err(
            "[alerts] ack_secret_file: the key is shorter than 16 characters (try: head -c 32 /dev/urandom | base64 > FILE)"
                .into(),
        );
    }
    Ok(Some(key))
}

/// Every receiver of the configuration, webhooks first, with its secrets
/// read; the message names the receiver and what is missing.
pub fn resolve_all(
    settings: &AlertSettings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Receiver>, String> {
    let mut out = Vec::new();
    for spec in &settings.webhooks {
        out.push(Receiver::Webhook(Webhook::resolve(spec, env)?));
    }
    let links = links(settings)?;
    for spec in &settings.receivers {
        let at = |e: String| format!("receiver '{}': {e}", spec.name);
        match &spec.kind {
            ReceiverKind::Email(e) => {
                let password = match &e.password {
                    Some(s) => Some(super::read_secret(s, env).map_err(at)?),
                    None => None,
                };
                out.push(Receiver::Email(Email::new(&spec.name, e, password)?));
            }
            ReceiverKind::Ntfy(n) => {
                let token = match &n.token {
                    Some(s) => Some(super::read_secret(s, env).map_err(at)?),
                    None => None,
                };
                out.push(Receiver::Ntfy(Ntfy::new(
                    &spec.name,
                    n,
                    token,
                    links.clone(),
                )?));
            }
        }
    }
    Ok(out)
}

/// Only the receiver (or webhook) called `name`, its secrets read; `None`
/// when no receiver has that name. The others' secrets are not needed.
pub fn resolve_named(
    settings: &AlertSettings,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Receiver>, String> {
    let mut only = settings.clone();
    only.webhooks.retain(|w| w.name == name);
    only.receivers.retain(|r| r.name == name);
    if only.webhooks.is_empty() && only.receivers.is_empty() {
        return Ok(None);
    }
    Ok(resolve_all(&only, env)?.into_iter().next())
}

/// The HTTP client receivers share: a receiver that hangs is given up on
/// after 10 s, never blocking another.
pub fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .user_agent(concat!("vigie/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}
