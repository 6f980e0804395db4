//! Acknowledging from the phone: the "Acknowledge" button of an ntfy page
//! POSTs to `/ack/<alert id>?by=<who>&token=<expiry>.<mac>` on the daemon's
//! listener (`[alerts] listen`). The token is an HMAC-SHA256, keyed by a
//! secret from an owner-only file, of the alert id, who acknowledges and
//! the expiry, so it acknowledges that one alert, in that name, until then.
//! The listener refuses a wrong, expired or already used token, and
//! answers at most `PER_MINUTE` requests a minute from one address (a
//! guessing attempt learns nothing and soon learns it slowly). An
//! acknowledgement goes through the store writer, which audits it.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::model::attention::lifecycle::Ack;
use crate::store::attention::AlertWrite;
use crate::store::{WriteHandle, WriteOp};

type HmacSha256 = Hmac<Sha256>;

/// Requests one address may make in a minute, right or wrong.
pub const PER_MINUTE: u32 = 10;

/// Where the buttons point, and the key that signs them.
pub struct Links {
    /// `https://vigie.example.coop` or `http://127.0.0.1:9180`.
    pub base: String,
    key: Vec<u8>,
    pub valid_for: Duration,
}

impl Links {
    pub fn new(base: &str, key: &[u8], valid_for: Duration) -> Links {
        Links {
            base: base.trim_end_matches('/').to_string(),
            key: key.to_vec(),
            valid_for,
        }
    }

    /// The button's URL for a page sent at `sent`.
    pub fn url(&self, id: &str, by: &str, sent: DateTime<Utc>) -> String {
        let expires = (sent
            + chrono::Duration::from_std(self.valid_for).unwrap_or(chrono::Duration::zero()))
        .timestamp();
        let token = token(&self.key, id, by, expires);
        let mut url = match reqwest::Url::parse(&self.base) {
            Ok(u) => u,
            Err(_) => return String::new(),
        };
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push("ack").push(id);
        }
        url.query_pairs_mut()
            .append_pair("by", by)
            .append_pair("token", &token);
        url.to_string()
    }
}

fn mac(key: &[u8], id: &str, by: &str, expires: i64) -> HmacSha256 {
    // HMAC takes keys of any length: this cannot fail.
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    // Newline-separated: an id cannot contain one, so no two triples sign
    // the same bytes.
    m.update(id.as_bytes());
    m.update(b"\n");
    m.update(by.as_bytes());
    m.update(b"\n");
    m.update(expires.to_string().as_bytes());
    m
}

/// `<expiry>.<mac>`, the MAC in unpadded URL-safe base64.
pub fn token(key: &[u8], id: &str, by: &str, expires: i64) -> String {
    let tag = mac(key, id, by, expires).finalize().into_bytes();
    format!(
        "{expires}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag)
    )
}

/// Why a button did not acknowledge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not signed by our key for this alert and name.
    Wrong,
    Expired,
    /// Already used once.
    Replayed,
    /// Too many requests from this address.
    TooMany,
    /// The store writer is gone (the daemon stops): press again later.
    Unavailable,
}

impl Refusal {
    pub fn status(self) -> StatusCode {
        match self {
            Refusal::Wrong | Refusal::Expired | Refusal::Replayed => StatusCode::FORBIDDEN,
            Refusal::TooMany => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Refusal::Wrong => "refused: this token does not acknowledge this alert",
            Refusal::Expired => "refused: this button has expired; use vigie ack",
            Refusal::Replayed => "refused: this button was already used",
            Refusal::TooMany => "refused: too many requests; wait a minute",
            Refusal::Unavailable => "not recorded: the daemon is stopping; press again later",
        }
    }
}

/// Checks a token (constant time) at `now`.
pub fn verify(
    key: &[u8],
    id: &str,
    by: &str,
    token: &str,
    now: DateTime<Utc>,
) -> Result<i64, Refusal> {
    let (expires, tag) = token.split_once('.').ok_or(Refusal::Wrong)?;
    let expires: i64 = expires.parse().map_err(|_| Refusal::Wrong)?;
    let tag = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(tag)
        .map_err(|_| Refusal::Wrong)?;
    mac(key, id, by, expires)
        .verify_slice(&tag)
        .map_err(|_| Refusal::Wrong)?;
    if now.timestamp() >= expires {
        return Err(Refusal::Expired);
    }
    Ok(expires)
}

/// Requests per address in fixed one-minute windows; the instant is a
/// parameter.
#[derive(Debug, Default)]
pub struct RateLimit {
    windows: HashMap<IpAddr, (Instant, u32)>,
}

impl RateLimit {
    /// Counts a request; false when over the limit.
    pub fn allow(&mut self, from: IpAddr, now: Instant) -> bool {
        const WINDOW: Duration = Duration::from_secs(60);
        if self.windows.len() > 10_000 {
            // A flood of addresses: forget the finished windows.
            self.windows
                .retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = self.windows.entry(from).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        *count += 1;
        *count <= PER_MINUTE
    }
}

/// The listener's state: the key, the tokens used (until they expire), the
/// rate limit, and the store writer.
pub struct Acks {
    key: Vec<u8>,
    used: Mutex<HashMap<String, i64>>,
    limit: Mutex<RateLimit>,
    /// Taken out by `release` when the daemon stops: a connection still
    /// open must not keep the store writer from closing.
    writer: Mutex<Option<WriteHandle>>,
}

impl Acks {
    pub fn new(key: &[u8], writer: WriteHandle) -> Acks {
        Acks {
            key: key.to_vec(),
            used: Mutex::new(HashMap::new()),
            limit: Mutex::new(RateLimit::default()),
            writer: Mutex::new(Some(writer)),
        }
    }

    /// Lets go of the store writer; later requests are refused.
    pub fn release(&self) {
        if let Ok(mut w) = self.writer.lock() {
            w.take();
        }
    }

    /// Judges one request and, when it holds, writes the acknowledgement.
    pub fn acknowledge(
        &self,
        from: IpAddr,
        id: &str,
        by: &str,
        token: &str,
        now: DateTime<Utc>,
        instant: Instant,
    ) -> Result<(), Refusal> {
        let allowed = self
            .limit
            .lock()
            .map(|mut l| l.allow(from, instant))
            .unwrap_or(false);
        if !allowed {
            return Err(Refusal::TooMany);
        }
        let expires = verify(&self.key, id, by, token, now)?;
        {
            let Ok(mut used) = self.used.lock() else {
                return Err(Refusal::Replayed);
            };
            let ts = now.timestamp();
            used.retain(|_, e| *e > ts);
            if used.insert(token.to_string(), expires).is_some() {
                return Err(Refusal::Replayed);
            }
        }
        let ack = Ack {
            by: crate::sanitize::clean_short(by, 40),
            at: now,
            comment: "acknowledged from the phone".into(),
            expires: None,
        };
        let write = WriteOp::Alerts(AlertWrite::Ack {
            id: id.to_string(),
            ack,
        });
        let sent = match self.writer.lock() {
            Ok(w) => w.as_ref().is_some_and(|w| w.send(write).is_ok()),
            Err(_) => false,
        };
        if !sent {
            // Let the button be pressed again once the store is back.
            if let Ok(mut used) = self.used.lock() {
                used.remove(token);
            }
            return Err(Refusal::Unavailable);
        }
        tracing::info!(alert = %crate::sanitize::clean_short(id, 80), by = %crate::sanitize::clean_short(by, 40), "acknowledged from the phone");
        Ok(())
    }
}

#[derive(serde::Deserialize)]
struct AckQuery {
    #[serde(default)]
    by: String,
    #[serde(default)]
    token: String,
}

async fn handle(
    State(acks): State<Arc<Acks>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    Query(q): Query<AckQuery>,
) -> (StatusCode, String) {
    match acks.acknowledge(from.ip(), &id, &q.by, &q.token, Utc::now(), Instant::now()) {
        Ok(()) => (
            StatusCode::OK,
            format!(
                "acknowledged {} by {}\n",
                crate::sanitize::clean_short(&id, 80),
                crate::sanitize::clean_short(&q.by, 40)
            ),
        ),
        Err(r) => {
            tracing::warn!(from = %from.ip(), refusal = ?r, "acknowledgement refused");
            (r.status(), format!("{}\n", r.words()))
        }
    }
}

/// The routes of the daemon's listener.
pub fn router(acks: Arc<Acks>) -> axum::Router {
    axum::Router::new()
        .route("/ack/{id}", axum::routing::post(handle))
        .with_state(acks)
}

/// The running listener; `stop` ends it and lets go of the store writer.
pub struct Listening {
    task: tokio::task::JoinHandle<()>,
    acks: Arc<Acks>,
}

impl Listening {
    pub fn stop(self) {
        self.task.abort();
        self.acks.release();
    }
}

/// Starts the listener of `[alerts] listen`, if any: the key is read from
/// its owner-only file and the address bound now, so a mistake stops the
/// daemon at start rather than at 3 a.m.
pub async fn start(
    settings: &crate::model::alert::AlertSettings,
    writer: WriteHandle,
) -> Result<Option<Listening>, String> {
    let (Some(ack), Some(key)) = (&settings.ack, super::receiver::ack_key(settings)?) else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(ack.listen)
        .await
        .map_err(|e| format!("cannot listen for acknowledgements on {}: {e}", ack.listen))?;
    let bound = listener.local_addr().unwrap_or(ack.listen);
    eprintln!("vigie daemon: acknowledgements on http://{bound}/ack/<alert id>");
    let acks = Arc::new(Acks::new(key.as_bytes(), writer));
    Ok(Some(Listening {
        task: serve(listener, acks.clone()),
        acks,
    }))
}

/// Serves the listener until the task is aborted.
pub fn serve(listener: tokio::net::TcpListener, acks: Arc<Acks>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let app = router(acks).into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!(error = %e, "acknowledgement listener stopped");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap_or_default()
    }

    #[test]
    fn a_token_acknowledges_its_alert_in_its_name_until_it_expires() {
        let key = b"k3y";
        let t = token(key, "checks:erp/odoo", "camille", 1_000);
        assert_eq!(
            verify(key, "checks:erp/odoo", "camille", &t, at(999)),
            Ok(1_000)
        );
        assert_eq!(
            verify(key, "checks:erp/odoo", "camille", &t, at(1_000)),
            Err(Refusal::Expired)
        );
        assert_eq!(
            verify(key, "checks:erp/web", "camille", &t, at(1)),
            Err(Refusal::Wrong)
        );
        assert_eq!(
            verify(key, "checks:erp/odoo", "dominique", &t, at(1)),
            Err(Refusal::Wrong)
        );
        assert_eq!(
            verify(b"other", "checks:erp/odoo", "camille", &t, at(1)),
            Err(Refusal::Wrong)
        );
        // A later expiry with the same MAC is not ours.
        let (_, tag) = t.split_once('.').unwrap_or_default();
        let stretched = format!("2000.{tag}");
        assert_eq!(
            verify(key, "checks:erp/odoo", "camille", &stretched, at(1)),
            Err(Refusal::Wrong)
        );
        for garbage in ["", ".", "abc", "1000.", "1000.!!!", "x.y"] {
            assert_eq!(
                verify(key, "checks:erp/odoo", "camille", garbage, at(1)),
                Err(Refusal::Wrong)
            );
        }
    }

    #[test]
    fn one_address_gets_ten_requests_a_minute() {
        let mut limit = RateLimit::default();
        let t0 = Instant::now();
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        for _ in 0..PER_MINUTE {
            assert!(limit.allow(a, t0));
        }
        assert!(!limit.allow(a, t0 + Duration::from_secs(59)));
        assert!(limit.allow(b, t0 + Duration::from_secs(59)));
        assert!(limit.allow(a, t0 + Duration::from_secs(60)));
    }

    #[test]
    fn the_button_url_carries_the_escaped_id_and_a_token_that_verifies() {
        let links = Links::new(
            "https://vigie.example.coop/",
            b"k",
            Duration::from_secs(3600),
        );
        let url = links.url("pos:coop/main/till-down:Caisse 2", "ntfy", at(0));
        assert!(
            url.starts_with("https://vigie.example.coop/ack/pos:coop%2Fmain%2Ftill-down:Caisse%202?by=ntfy&token=3600."),
            "{url}"
        );
        let parsed = reqwest::Url::parse(&url).unwrap_or_else(|_| unreachable!());
        let token = parsed
            .query_pairs()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        assert_eq!(
            verify(
                b"k",
                "pos:coop/main/till-down:Caisse 2",
                "ntfy",
                &token,
                at(10)
            ),
            Ok(3600)
        );
    }
}
