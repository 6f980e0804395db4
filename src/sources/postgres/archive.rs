//! A `wal_archive` backup source: the last segment `pg_stat_archiver`
//! says was archived is the newest restore point (point-in-time recovery
//! reaches up to it), so the backup calendar and its RPO see the archive.
//! A fresh session per listing (listings are minutes apart); the point's
//! time is the server's clock.

use std::time::Duration;

use tokio_postgres::NoTls;

use crate::model::backup::{RestorePoint, WalArchiveSource};
use crate::sanitize;

const ARCHIVER: &str =
    "SELECT last_archived_wal, last_archived_time, failed_count, last_failed_wal,
  failed_count > 0 AND (last_archived_time IS NULL OR last_failed_time > last_archived_time)
  FROM pg_stat_archiver";

/// The newest archived segment as a restore point (none when nothing was
/// archived yet); a failing archive command is a failed listing, so the
/// source is down with the reason while its last point stays known.
pub async fn list(src: &WalArchiveSource, timeout: Duration) -> Result<Vec<RestorePoint>, String> {
    let cfg = super::config_for(&src.url, src.password.as_ref(), timeout, &|k| {
        std::env::var(k).ok()
    })?;
    let (client, connection) = cfg
        .connect(NoTls)
        .await
        .map_err(|e| format!("connect failed: {}", super::said(&e)))?;
    let session = tokio::spawn(connection);
    let row = client.query_one(ARCHIVER, &[]).await;
    drop(client);
    let _ = session.await;
    let row = row.map_err(|e| format!("pg_stat_archiver: {}", super::said(&e)))?;
    let read = |e: tokio_postgres::Error| format!("pg_stat_archiver: {}", super::said(&e));
    let wal: Option<String> = row.try_get(0).map_err(read)?;
    let at: Option<chrono::DateTime<chrono::Utc>> = row.try_get(1).map_err(read)?;
    let failed: i64 = row.try_get(2).map_err(read)?;
    let failed_wal: Option<String> = row.try_get(3).map_err(read)?;
    let failing: Option<bool> = row.try_get(4).map_err(read)?;
    if failing == Some(true) {
        return Err(sanitize::clean_short(
            &format!(
                "WAL archiving failing ({failed} failed, last {})",
                failed_wal.as_deref().unwrap_or("?")
            ),
            160,
        ));
    }
    Ok(match (wal, at) {
        (Some(wal), Some(at)) => vec![RestorePoint {
            id: sanitize::clean_short(&wal, 40),
            at,
            size: None,
            duration: None,
            detail: "WAL segment archived".to_string(),
        }],
        _ => Vec::new(),
    })
}
