//! ntfy (self-hosted push to phones), published as JSON to the server's
//! root URL as its publish API asks: title, message, priority by severity
//! (critical = 5, "max", which breaks through do-not-disturb), tags, and an
//! "Acknowledge" button that POSTs to the daemon's listener with a
//! per-alert token (`alerts::ack`).

use std::sync::Arc;

use super::ack::Links;
use super::page::{Page, PageKind};
use crate::model::attention::Severity;
use crate::model::receiver::NtfySpec;
use crate::sources::bounded::{self, Over};

/// ntfy shows at most three action buttons.
const MAX_ACTIONS: usize = 3;

/// An ntfy topic with its token read.
#[derive(Clone)]
pub struct Ntfy {
    pub name: String,
    /// The server's root URL (where JSON is published).
    root: String,
    topic: String,
    token: Option<String>,
    tags: Vec<String>,
    /// Where the "Acknowledge" buttons point; none without `[alerts] listen`.
    links: Option<Arc<Links>>,
}

impl std::fmt::Debug for Ntfy {
    // Never prints the token (nor the topic, which is a password on a
    // public server).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ntfy")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Ntfy {
    pub fn new(
        name: &str,
        spec: &NtfySpec,
        token: Option<String>,
        links: Option<Arc<Links>>,
    ) -> Result<Ntfy, String> {
        let bad = || format!("receiver '{name}': its url is not a topic's URL");
        let mut url = reqwest::Url::parse(&spec.url).map_err(|_| bad())?;
        let topic = url
            .path_segments()
            .and_then(|mut s| s.rfind(|p| !p.is_empty()))
            .map(String::from)
            .ok_or_else(bad)?;
        url.path_segments_mut()
            .map_err(|_| bad())?
            .pop_if_empty()
            .pop()
            .push("");
        Ok(Ntfy {
            name: name.to_string(),
            root: url.to_string(),
            topic,
            token,
            tags: spec.tags.clone(),
            links,
        })
    }

    /// The JSON document ntfy's publish API takes.
    pub fn payload(&self, page: &Page) -> serde_json::Value {
        let mut tags: Vec<String> = vec![
            match page.kind {
                PageKind::Resolved => "white_check_mark",
                PageKind::Test => "test_tube",
                _ => match page.worst() {
                    Severity::Critical => "rotating_light",
                    Severity::Warning => "warning",
                    Severity::Info => "information_source",
                },
            }
            .to_string(),
        ];
        tags.extend(self.tags.iter().cloned());
        let mut doc = serde_json::json!({
            "topic": self.topic,
            "title": page.title(),
            "message": page.text(),
            "priority": priority(page),
            "tags": tags,
        });
        let by = page.to.as_deref().unwrap_or("ntfy");
        if let Some(links) = &self.links {
            if !matches!(page.kind, PageKind::Resolved | PageKind::Test) {
                let actions: Vec<serde_json::Value> = page
                    .alerts
                    .iter()
                    .take(MAX_ACTIONS)
                    .map(|a| {
                        let label = if page.alerts.len() == 1 {
                            "Acknowledge".to_string()
                        } else {
                            format!(
                                "Ack {}",
                                crate::sanitize::clean_short(&a.subject.text(), 20)
                            )
                        };
                        serde_json::json!({
                            "action": "http",
                            "label": label,
                            "url": links.url(&a.id, by, page.at),
                            "method": "POST",
                            "clear": true,
                        })
                    })
                    .collect();
                doc["actions"] = serde_json::Value::Array(actions);
            }
        }
        doc
    }

    /// Publishes one page; the answer names ntfy's message id.
    pub async fn send(&self, client: &reqwest::Client, page: &Page) -> Result<String, String> {
        let request = client.post(&self.root).json(&self.payload(page));
        let request = match &self.token {
            Some(t) => request.bearer_auth(t),
            None => request,
        };
        let mut response = bounded::send(request).await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = bounded::body(&mut response, bounded::WEBHOOK, Over::Cut)
            .await
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&body.bytes);
        if status.is_success() {
            let id = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(String::from));
            return Ok(match id {
                Some(id) => format!(
                    "HTTP {} id {}",
                    status.as_u16(),
                    crate::sanitize::clean_short(&id, 40)
                ),
                None => format!("HTTP {}", status.as_u16()),
            });
        }
        let why = crate::sanitize::clean_short(&text, 80);
        Err(match why.trim() {
            "" => format!("HTTP {}", status.as_u16()),
            why => format!("HTTP {}: {why}", status.as_u16()),
        })
    }
}

/// 5 (max: through do-not-disturb) for a critical, 4 for a warning, 3
/// otherwise; a resolution or a test never rings loud.
pub fn priority(page: &Page) -> u8 {
    match page.kind {
        PageKind::Resolved | PageKind::Test => 3,
        _ => match page.worst() {
            Severity::Critical => 5,
            Severity::Warning => 4,
            Severity::Info => 3,
        },
    }
}
