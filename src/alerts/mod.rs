//! Webhooks: the daemon's alerts reach the on-call phone even when no
//! console is open. What to send is decided by `model::alert::Alerter`;
//! this module resolves secrets, shapes the payloads (generic JSON, Matrix,
//! Mattermost/Slack) and delivers them, one task per webhook, retrying with
//! backoff. Alerts that pile up while a receiver is away are merged into one
//! summary when it comes back.

pub mod ack;
pub mod deadman;
pub mod email;
pub mod ntfy;
pub mod page;
pub mod pager;
pub mod receiver;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::model::alert::{Alert, Level, SecretSource, UrlSource, WebhookKind, WebhookSpec};
use crate::sources::bounded::{self, Over};

/// A webhook with its secrets read.
#[derive(Clone)]
pub struct Webhook {
    pub name: String,
    pub kind: WebhookKind,
    url: String,
    room: Option<String>,
    token: Option<String>,
}

impl std::fmt::Debug for Webhook {
    // Never prints the URL (a Slack URL is a secret) or the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// Reads a secret: an environment variable, or a file that only its owner
/// (this user) may read and write.
pub fn read_secret(
    source: &SecretSource,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    match source {
        SecretSource::Env(name) => crate::secret::from_env(name, env),
        SecretSource::File(path) => crate::secret::read_owner_only(path),
    }
}

impl Webhook {
    /// Reads the webhook's secrets; the message names what is missing.
    pub fn resolve(
        spec: &WebhookSpec,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Webhook, String> {
        let at = |e: String| format!("webhook '{}': {e}", spec.name);
        let url = match &spec.url {
            UrlSource::Plain(u) => u.clone(),
            UrlSource::Secret(s) => read_secret(s, env).map_err(at)?,
        };
        if reqwest::Url::parse(&url).is_err() {
            return Err(at("its URL does not parse".into()));
        }
        let token = match &spec.token {
            Some(s) => Some(read_secret(s, env).map_err(at)?),
            None => None,
        };
        Ok(Webhook {
            name: spec.name.clone(),
            kind: spec.kind,
            url,
            room: spec.room.clone(),
            token,
        })
    }

    /// A webhook built directly (tests, tools).
    pub fn new(
        name: &str,
        kind: WebhookKind,
        url: &str,
        room: Option<&str>,
        token: Option<&str>,
    ) -> Webhook {
        Webhook {
            name: name.into(),
            kind,
            url: url.into(),
            room: room.map(String::from),
            token: token.map(String::from),
        }
    }
}

fn level_name(l: Level) -> &'static str {
    match l {
        Level::Critical => "critical",
        Level::Warning => "warning",
        Level::Flapping => "flapping",
        Level::Ok => "ok",
    }
}

/// The generic JSON document.
pub fn generic_payload(alert: &Alert) -> serde_json::Value {
    let items: Vec<serde_json::Value> = alert
        .items
        .iter()
        .map(|i| {
            serde_json::json!({
                "check": i.check_id,
                "level": level_name(i.level),
                "status": i.status.label(),
                "at": i.at.to_rfc3339(),
                "message": i.message,
            })
        })
        .collect();
    serde_json::json!({
        "source": "vigie",
        "title": alert.title(),
        "text": alert.text(),
        "level": level_name(alert.worst()),
        "items": items,
    })
}

/// Sends one alert. `txn` is the Matrix transaction id: the same for every
/// retry of the same content, so a homeserver that got it already does not
/// post it twice.
pub async fn deliver(
    client: &reqwest::Client,
    hook: &Webhook,
    alert: &Alert,
    txn: &str,
) -> Result<(), String> {
    let request = shaped(client, hook, &generic_payload(alert), &alert.text(), txn)?;
    answer(request, hook.kind == WebhookKind::Matrix)
        .await
        .map(|_| ())
}

/// Sends one page through a webhook, in the webhook's own shape.
pub async fn deliver_page(
    client: &reqwest::Client,
    hook: &Webhook,
    page: &page::Page,
) -> Result<String, String> {
    let ids: Vec<&str> = page.alerts.iter().map(|a| a.id.as_str()).collect();
    let payload = serde_json::json!({
        "source": "vigie",
        "kind": page.kind,
        "title": page.title(),
        "text": page.text(),
        "severity": page.worst(),
        "alerts": ids,
        "at": page.at.to_rfc3339(),
    });
    let text = format!("{}\n{}", page.title(), page.text());
    let request = shaped(client, hook, &payload, &text, &new_txn())?;
    answer(request, hook.kind == WebhookKind::Matrix).await
}

/// The request a webhook of each kind expects: the generic JSON document
/// as is, `{"text"}` for Mattermost/Slack, a room message PUT under the
/// transaction id `txn` for Matrix; with the bearer token when there is one.
fn shaped(
    client: &reqwest::Client,
    hook: &Webhook,
    generic: &serde_json::Value,
    text: &str,
    txn: &str,
) -> Result<reqwest::RequestBuilder, String> {
    let request = match hook.kind {
        WebhookKind::Generic => client.post(&hook.url).json(generic),
        WebhookKind::Slack => client
            .post(&hook.url)
            .json(&serde_json::json!({ "text": text })),
        WebhookKind::Matrix => {
            let mut url = reqwest::Url::parse(&hook.url).map_err(|_| "bad URL".to_string())?;
            let room = hook.room.as_deref().unwrap_or_default();
            url.path_segments_mut()
                .map_err(|_| "bad URL".to_string())?
                .pop_if_empty()
                .extend([
                    "_matrix",
                    "client",
                    "v3",
                    "rooms",
                    room,
                    "send",
                    "m.room.message",
                    txn,
                ]);
            client.put(url).json(&serde_json::json!({
                "msgtype": "m.text",
                "body": text,
            }))
        }
    };
    Ok(match &hook.token {
        Some(t) => request.bearer_auth(t),
        None => request,
    })
}

/// How many times a Matrix homeserver's "too many requests" is waited out
/// before the page goes back to its queue.
pub const MATRIX_RETRIES: u32 = 3;
/// The longest wait a homeserver's `retry_after_ms` is granted (a longer
/// one is cut to this: the queue's backoff takes over afterwards).
pub const MATRIX_MAX_WAIT: Duration = Duration::from_secs(30);

/// How long a Matrix 429 asks to wait: `retry_after_ms` of its JSON body
/// (the client-server API's rate limit error), else its `Retry-After`
/// header in seconds, else one second.
pub fn matrix_retry_after(body: &[u8], retry_after_header: Option<&str>) -> Duration {
    let from_body = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("retry_after_ms").and_then(|m| m.as_u64()))
        .map(Duration::from_millis);
    let from_header = retry_after_header
        .and_then(|h| h.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    from_body
        .or(from_header)
        .unwrap_or(Duration::from_secs(1))
        .min(MATRIX_MAX_WAIT)
}

/// Sends a request and says its answer ("HTTP 200") or why not. A Matrix
/// homeserver's 429 is waited out as it asks, up to `MATRIX_RETRIES`
/// times, with the same transaction id (it posts the message once).
async fn answer(request: reqwest::RequestBuilder, matrix: bool) -> Result<String, String> {
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        // A JSON body can always be cloned; a request that cannot be is
        // sent once. The client's timeout covers headers and body; only
        // the start of a refusal is read, to say why.
        let Some(this) = request.try_clone() else {
            return send_once(request).await;
        };
        let mut response = bounded::send(this).await.map_err(|e| e.to_string())?;
        let status = response.status();
        if status.is_success() {
            return Ok(format!("HTTP {}", status.as_u16()));
        }
        let header = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|h| h.to_str().ok())
            .map(String::from);
        let body = bounded::body(&mut response, bounded::WEBHOOK, Over::Cut)
            .await
            .unwrap_or_default();
        if matrix && status == reqwest::StatusCode::TOO_MANY_REQUESTS && attempt <= MATRIX_RETRIES {
            let wait = matrix_retry_after(&body.bytes, header.as_deref());
            tracing::info!(wait = ?wait, attempt, "Matrix homeserver asks to wait");
            tokio::time::sleep(wait).await;
            continue;
        }
        return Err(refusal(status, &body.bytes));
    }
}

async fn send_once(request: reqwest::RequestBuilder) -> Result<String, String> {
    let mut response = bounded::send(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    if status.is_success() {
        return Ok(format!("HTTP {}", status.as_u16()));
    }
    let body = bounded::body(&mut response, bounded::WEBHOOK, Over::Cut)
        .await
        .unwrap_or_default();
    Err(refusal(status, &body.bytes))
}

fn refusal(status: reqwest::StatusCode, body: &[u8]) -> String {
    let why = crate::sanitize::clean_short(&String::from_utf8_lossy(body), 80);
    match why.trim() {
        "" => format!("HTTP {}", status.as_u16()),
        why => format!("HTTP {}: {why}", status.as_u16()),
    }
}

/// Waits between attempts: `first`, doubling, at most `max`.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    /// Alerts older than this are dropped (logged) rather than retried
    /// forever.
    pub give_up_after: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            first: Duration::from_secs(2),
            max: Duration::from_secs(120),
            give_up_after: Duration::from_secs(6 * 3600),
        }
    }
}

impl Backoff {
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        self.first.saturating_mul(factor).min(self.max)
    }
}

/// Counters a test or the log can read.
#[derive(Debug, Default)]
pub struct Stats {
    pub attempts: AtomicU64,
    pub delivered: AtomicU64,
    pub dropped: AtomicU64,
    /// When deliveries began failing (Unix ms), 0 while the last one went
    /// through: the dead man's switch reads it.
    pub failing_since_ms: std::sync::atomic::AtomicI64,
}

impl Stats {
    /// How long deliveries have been failing at `now`.
    pub fn failing_for(&self, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
        match self.failing_since_ms.load(Ordering::Relaxed) {
            0 => None,
            since => u64::try_from(now.timestamp_millis() - since)
                .ok()
                .map(Duration::from_millis),
        }
    }

    fn delivered_now(&self) {
        self.failing_since_ms.store(0, Ordering::Relaxed);
    }

    fn failed_now(&self) {
        let now = chrono::Utc::now().timestamp_millis().max(1);
        let _ =
            self.failing_since_ms
                .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
    }
}

/// The alerts on their way, one task per webhook.
pub struct Outbox {
    senders: Vec<mpsc::UnboundedSender<Alert>>,
    pub stats: Arc<Stats>,
}

impl Outbox {
    pub fn start(hooks: Vec<Webhook>, backoff: Backoff) -> Result<Outbox, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("vigie/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let stats = Arc::new(Stats::default());
        let mut senders = Vec::new();
        for hook in hooks {
            let (tx, rx) = mpsc::unbounded_channel();
            senders.push(tx);
            tokio::spawn(run_hook(hook, client.clone(), rx, backoff, stats.clone()));
        }
        Ok(Outbox { senders, stats })
    }

    /// Queues `alert` for every webhook.
    pub fn send(&self, alert: &Alert) {
        for tx in &self.senders {
            let _ = tx.send(alert.clone());
        }
    }

    pub fn is_empty(&self) -> bool {
        self.senders.is_empty()
    }
}

static TXN: AtomicU64 = AtomicU64::new(0);

fn new_txn() -> String {
    let n = TXN.fetch_add(1, Ordering::Relaxed);
    format!(
        "vigie-{}-{}-{n}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    )
}

async fn run_hook(
    hook: Webhook,
    client: reqwest::Client,
    mut rx: mpsc::UnboundedReceiver<Alert>,
    backoff: Backoff,
    stats: Arc<Stats>,
) {
    let mut queue: VecDeque<(tokio::time::Instant, Alert)> = VecDeque::new();
    let mut open = true;
    loop {
        if queue.is_empty() {
            if !open {
                return;
            }
            match rx.recv().await {
                Some(a) => queue.push_back((tokio::time::Instant::now(), a)),
                None => return,
            }
        }
        while let Ok(a) = rx.try_recv() {
            queue.push_back((tokio::time::Instant::now(), a));
        }
        let txn = new_txn();
        let mut attempt = 0u32;
        let mut content_len = queue.len();
        let mut txn = txn;
        loop {
            // Too old to matter: dropped, and said so in the log.
            while queue
                .front()
                .is_some_and(|(t, _)| t.elapsed() > backoff.give_up_after)
            {
                queue.pop_front();
                stats.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(webhook = %hook.name, "alert dropped after retrying too long");
            }
            if queue.is_empty() {
                break;
            }
            if queue.len() != content_len {
                // New content: a new transaction.
                content_len = queue.len();
                txn = new_txn();
            }
            let alert = if queue.len() == 1 {
                queue[0].1.clone()
            } else {
                Alert::merge(queue.iter().map(|(_, a)| a.clone()))
            };
            attempt += 1;
            stats.attempts.fetch_add(1, Ordering::Relaxed);
            match deliver(&client, &hook, &alert, &txn).await {
                Ok(()) => {
                    stats.delivered.fetch_add(1, Ordering::Relaxed);
                    stats.delivered_now();
                    tracing::info!(webhook = %hook.name, items = alert.items.len(), attempt, "alert delivered");
                    queue.clear();
                    break;
                }
                Err(e) => {
                    stats.failed_now();
                    let wait = backoff.delay(attempt);
                    tracing::warn!(webhook = %hook.name, attempt, error = %e, retry_in = ?wait, "alert not delivered");
                    let sleep = tokio::time::sleep(wait);
                    tokio::pin!(sleep);
                    loop {
                        tokio::select! {
                            _ = &mut sleep => break,
                            a = rx.recv(), if open => match a {
                                Some(a) => queue.push_back((tokio::time::Instant::now(), a)),
                                None => open = false,
                            },
                        }
                    }
                }
            }
        }
    }
}
