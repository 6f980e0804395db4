//! TCP checks: can we open a connection, and how fast.

use std::time::Instant;

use super::{Probe, elapsed_ms};
use crate::model::Status;
use crate::sanitize;

pub async fn probe(address: &str) -> Probe {
    let start = Instant::now();
    match tokio::net::TcpStream::connect(address).await {
        Ok(_) => {
            let latency = elapsed_ms(start);
            Probe {
                status: Status::Up,
                latency_ms: Some(latency),
                message: "connected".into(),
                metrics: Vec::new(),
            }
        }
        Err(e) => Probe::down(sanitize::clean_short(&format!("connect: {e}"), 80)),
    }
}
