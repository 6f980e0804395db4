//! The simulated fleet's network side: HTTP health endpoints that sometimes
//! slow down or fail, and node_exporter text endpoints whose figures move.
//! Served on loopback and probed by the real sources.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use chrono::{DateTime, Timelike, Utc};

/// How a simulated service behaves at a given minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Healthy,
    Slow,
    Failing,
}

/// Each service has its own rhythm, so the console always has something
/// moving without everything failing at once.
pub fn behaviour(service: &str, now: DateTime<Utc>) -> Behaviour {
    let minute = now.minute();
    match service {
        // The coop's ERP is slow for a minute now and then.
        "coop-erp" if minute % 7 == 3 => Behaviour::Slow,
        // The shared test instance fails for two minutes every quarter hour.
        "coop-test" if minute % 15 < 2 => Behaviour::Failing,
        // The dev instance is often being restarted.
        "dev-odoo" if minute % 10 < 3 => Behaviour::Failing,
        "velo-site" if minute % 11 == 6 => Behaviour::Slow,
        // The town hall's app flaps for six minutes every twenty: 40 s
        // failing, 40 s fine, long enough to go down and come back each time.
        "mairie-gestion" if (12..18).contains(&(minute % 20)) => {
            let secs = u64::from(minute) * 60 + u64::from(now.second());
            if (secs / 40) % 2 == 0 {
                Behaviour::Failing
            } else {
                Behaviour::Healthy
            }
        }
        _ => Behaviour::Healthy,
    }
}

async fn health(Path(service): Path<String>) -> impl IntoResponse {
    match behaviour(&service, Utc::now()) {
        Behaviour::Healthy => (StatusCode::OK, "{\"status\": \"pass\"}"),
        Behaviour::Slow => {
            tokio::time::sleep(Duration::from_millis(1_300)).await;
            (StatusCode::OK, "{\"status\": \"pass\"}")
        }
        Behaviour::Failing => (StatusCode::SERVICE_UNAVAILABLE, "{\"status\": \"fail\"}"),
    }
}

/// A node_exporter scrape whose load and memory drift with time.
pub fn metrics_text(host: &str, now: DateTime<Utc>) -> String {
    let seed = host
        .bytes()
        .fold(7u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b)));
    let t = now.timestamp() as f64 / 60.0 + (seed % 100) as f64;
    let cores = 2 + (seed % 3) as usize * 2;
    let load = cores as f64 * (0.25 + 0.2 * (t / 7.0).sin().abs());
    let mem_total = 16.0e9;
    // The shared server runs close to its memory limit from time to time.
    let mem_used_frac = if host == "mutu-1" {
        0.78 + 0.15 * (t / 5.0).sin().abs()
    } else {
        0.45 + 0.1 * (t / 9.0).sin()
    };
    let disk_size = 200.0e9;
    let disk_used_frac = 0.35 + (seed % 40) as f64 / 100.0;
    let mut out = String::new();
    out.push_str("# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\n");
    out.push_str(&format!("node_load1 {load:.2}\n"));
    out.push_str("# TYPE node_cpu_seconds_total counter\n");
    // Busy time grows at a rate of its own per host that drifts with time
    // (the integral of base + 3·sin(t/11), so the counter never goes back):
    // hosts differ and a chart moves. The shared server works hardest.
    let base = if host == "mutu-1" {
        25.0
    } else {
        4.0 + (seed % 12) as f64
    };
    let user = t * base - 33.0 * (t / 11.0).cos() + 33.0;
    for cpu in 0..cores {
        out.push_str(&format!(
            "node_cpu_seconds_total{{cpu=\"{cpu}\",mode=\"idle\"}} {:.1}\n",
            t * 50.0
        ));
        out.push_str(&format!(
            "node_cpu_seconds_total{{cpu=\"{cpu}\",mode=\"user\"}} {:.1}\n",
            user
        ));
    }
    out.push_str(&format!("node_memory_MemTotal_bytes {mem_total:e}\n"));
    out.push_str(&format!(
        "node_memory_MemAvailable_bytes {:e}\n",
        mem_total * (1.0 - mem_used_frac)
    ));
    out.push_str(&format!(
        "node_filesystem_size_bytes{{device=\"/dev/vda1\",fstype=\"ext4\",mountpoint=\"/\"}} {disk_size:e}\n"
    ));
    out.push_str(&format!(
        "node_filesystem_avail_bytes{{device=\"/dev/vda1\",fstype=\"ext4\",mountpoint=\"/\"}} {:e}\n",
        disk_size * (1.0 - disk_used_frac)
    ));
    out
}

async fn metrics(Path(host): Path<String>) -> impl IntoResponse {
    metrics_text(&host, Utc::now())
}

pub fn router() -> Router {
    Router::new()
        .route("/svc/{service}/web/health", get(health))
        .route("/node/{host}/metrics", get(metrics))
        // The demo's receivers: pages are taken and dropped, so the demo
        // daemon's queue shows them delivered ("HTTP 200").
        .route("/hooks/{name}", axum::routing::post(|| async { "ok" }))
        .merge(super::pos::routes())
        .merge(super::usage::routes())
        .nest("/redmine", super::tracker::router(Utc::now()))
}

/// Binds an ephemeral loopback port and serves the simulated fleet on it
/// until the runtime stops.
pub async fn serve() -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router()).await {
            tracing::warn!("demo server stopped: {e}");
        }
    });
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::node_exporter;
    use chrono::TimeZone;

    #[test]
    fn metrics_parse_with_the_real_parser() {
        let at = Utc
            .with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
            .single()
            .unwrap_or_default();
        let (metrics, _) = node_exporter::derive(
            &node_exporter::parse(&metrics_text("mutu-1", at)),
            None,
            0.0,
        );
        for name in ["load1_per_core", "mem_used_pct", "disk_used_pct:/"] {
            assert!(
                metrics.iter().any(|m| m.name == name),
                "{name}: {metrics:?}"
            );
        }
    }

    /// CPU busy % between two scrapes a minute apart, read as Vigie reads
    /// a real node_exporter.
    fn cpu_pct(host: &str, minute: u32) -> f64 {
        let at = |m| {
            Utc.with_ymd_and_hms(2026, 11, 22, 10, m, 0)
                .single()
                .unwrap_or_default()
        };
        let (_, before) = node_exporter::derive(
            &node_exporter::parse(&metrics_text(host, at(minute))),
            None,
            0.0,
        );
        let (metrics, _) = node_exporter::derive(
            &node_exporter::parse(&metrics_text(host, at(minute + 1))),
            Some(&before),
            60.0,
        );
        metrics
            .iter()
            .find(|m| m.name == crate::model::metric::names::CPU_BUSY_PCT)
            .map(|m| m.value)
            .unwrap_or(f64::NAN)
    }

    #[test]
    fn hosts_have_cpu_of_their_own_that_moves() {
        let hosts = ["mutu-1", "mutu-test", "odoo-coop", "dev-1"];
        let now: Vec<i64> = hosts.iter().map(|h| cpu_pct(h, 0).round() as i64).collect();
        assert!(now.iter().all(|p| (1..=60).contains(p)), "{now:?}");
        let mut distinct = now.clone();
        distinct.sort();
        distinct.dedup();
        assert!(distinct.len() >= 3, "{now:?}");
        assert!((cpu_pct("mutu-1", 0) - cpu_pct("mutu-1", 30)).abs() > 0.5);
    }

    #[test]
    fn services_have_their_own_rhythm() {
        let at = |m| {
            Utc.with_ymd_and_hms(2026, 11, 22, 10, m, 0)
                .single()
                .unwrap_or_default()
        };
        assert_eq!(behaviour("coop-test", at(0)), Behaviour::Failing);
        assert_eq!(behaviour("coop-test", at(5)), Behaviour::Healthy);
        assert_eq!(behaviour("coop-erp", at(3)), Behaviour::Slow);
        assert_eq!(behaviour("mairie-gestion", at(0)), Behaviour::Healthy);
        let flaps: Vec<Behaviour> = (0..8)
            .map(|i| {
                let t = Utc
                    .with_ymd_and_hms(2026, 11, 22, 10, 12, 0)
                    .single()
                    .unwrap_or_default()
                    + chrono::Duration::seconds(i * 40);
                behaviour("mairie-gestion", t)
            })
            .collect();
        assert!(flaps.windows(2).all(|w| w[0] != w[1]), "{flaps:?}");
    }
}
