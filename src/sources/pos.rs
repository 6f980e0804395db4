//! Probes of a store: tills and lines (TCP connect or HTTP GET), the IoT
//! box (`/hw_proxy/hello` answers `ping`) and the line carrying traffic
//! (the router's status page or a public-address check).

use std::time::{Duration, Instant};

use futures::future::join_all;

use super::bounded::{self, Over};
use super::elapsed_ms;
use crate::model::Status;
use crate::model::pos::{Reading, StorePos, Target, TrafficCheck, UplinkRole};
use crate::model::words::human_duration;
use crate::sanitize;

/// Bytes of a status page read at most.
const PAGE_LIMIT: usize = 16 * 1024;

/// Probes one target within `timeout`; slower than `slow_ms` is degraded.
pub async fn probe(
    http: &reqwest::Client,
    target: &Target,
    timeout: Duration,
    slow_ms: u32,
) -> Reading {
    let start = Instant::now();
    let run = async {
        match target {
            Target::Tcp(address) => match tokio::net::TcpStream::connect(address).await {
                Ok(_) => Ok(()),
                Err(e) => Err(format!("connect: {e}")),
            },
            Target::Http { url, contains } => {
                let body = get(http, url).await?;
                match contains {
                    Some(k) if !body.contains(k.as_str()) => Err(format!("answer lacks '{k}'")),
                    _ => Ok(()),
                }
            }
        }
    };
    match tokio::time::timeout(timeout, run).await {
        Ok(Ok(())) => {
            let ms = elapsed_ms(start);
            Reading {
                status: if ms > slow_ms {
                    Status::Degraded
                } else {
                    Status::Up
                },
                latency_ms: Some(ms),
                message: String::new(),
            }
        }
        Ok(Err(m)) => Reading::down(sanitize::clean_short(&m, 80)),
        Err(_) => Reading::down(format!("no answer within {}", human_duration(timeout))),
    }
}

/// GETs a URL: the body (bounded, lossy) of a 2xx answer.
async fn get(http: &reqwest::Client, url: &str) -> Result<String, String> {
    let mut resp = bounded::send(http.get(url))
        .await
        .map_err(|e| format!("GET: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status().as_u16()));
    }
    // The callers' timeout covers headers and body.
    let body = bounded::body(&mut resp, PAGE_LIMIT, Over::Cut)
        .await
        .map_err(|e| format!("read: {e}"))?;
    Ok(String::from_utf8_lossy(&body.bytes).into_owned())
}

/// Which line carries the traffic, or why it cannot be told.
pub async fn traffic(
    http: &reqwest::Client,
    check: &TrafficCheck,
    timeout: Duration,
) -> Result<UplinkRole, String> {
    match tokio::time::timeout(timeout, get(http, check.url())).await {
        Ok(Ok(body)) => check.read(&body).map_err(|m| sanitize::clean_short(&m, 80)),
        Ok(Err(m)) => Err(sanitize::clean_short(&m, 80)),
        Err(_) => Err(format!(
            "status page: no answer within {}",
            human_duration(timeout)
        )),
    }
}

/// What the store's equipment says now (all probes at once).
pub struct Equipment {
    pub tills: Vec<Reading>,
    pub iot: Option<Reading>,
    pub uplinks: Vec<Reading>,
    pub active: Option<Result<UplinkRole, String>>,
}

/// Probes every till, the IoT box, the lines and the traffic check
/// concurrently; takes at most the timeout.
pub async fn equipment(http: &reqwest::Client, store: &StorePos) -> Equipment {
    let s = &store.settings;
    let tills = join_all(
        store
            .tills
            .iter()
            .map(|t| probe(http, &t.target, s.timeout, s.slow_ms)),
    );
    let lines = join_all(
        store
            .uplinks
            .iter()
            .map(|u| probe(http, &u.target, s.timeout, u32::MAX)),
    );
    let iot = async {
        match &store.iot {
            Some(t) => Some(probe(http, t, s.timeout, u32::MAX).await),
            None => None,
        }
    };
    let active = async {
        match &store.traffic {
            Some(t) => Some(traffic(http, t, s.timeout).await),
            None => None,
        }
    };
    let (tills, uplinks, iot, active) = tokio::join!(tills, lines, iot, active);
    Equipment {
        tills,
        iot,
        uplinks,
        active,
    }
}
