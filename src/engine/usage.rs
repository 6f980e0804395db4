//! Usage sampling: once an hour the daemon reads every meter's days that
//! are over and not read yet (the day just over, and the missed days of a
//! source that can read them again), and writes one sample per day. A
//! failure is written with its cause (a gap) and read again next round;
//! a day read is never read again, so restarts and repeated rounds are
//! harmless.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::model::usage::{Meter, MeterSource, day_span, due_days};
use crate::model::{Client, Fleet};
use crate::sources::odoo::{self as odoo, OdooApi, secret};
use crate::sources::ssh;
use crate::sources::usage::{UsageContext, read};
use crate::store::usage::UsageSample;
use crate::store::{Reader, WriteHandle, WriteOp};

/// How often the daemon looks for days to read.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(3600);

/// How far back missed days are read again (for sources that can).
pub const CATCH_UP_DAYS: u64 = 35;

/// Clients read at once.
pub const CLIENTS_AT_ONCE: usize = 4;

/// Each source call's limit.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What a round needs.
#[derive(Clone)]
pub struct Sampler {
    pub fleet: Arc<Fleet>,
    pub http: reqwest::Client,
    pub ssh: Arc<ssh::Options>,
    pub timeout: Duration,
}

impl Sampler {
    /// Reads every due day of every client's meters at `now`; `read` holds
    /// the (client, meter, day) already read.
    pub async fn round(
        &self,
        read: &BTreeSet<(String, Meter, NaiveDate)>,
        now: DateTime<Utc>,
    ) -> Vec<UsageSample> {
        let gate = Arc::new(Semaphore::new(CLIENTS_AT_ONCE));
        let mut jobs = Vec::new();
        for client in self
            .fleet
            .clients
            .iter()
            .filter(|c| !c.usage.meters.is_empty())
        {
            let today = now.with_timezone(&client.timezone).date_naive();
            let due: Vec<(Meter, MeterSource, Vec<NaiveDate>)> = client
                .usage
                .meters
                .iter()
                .map(|(m, s)| {
                    let days = due_days(s, *m, today, CATCH_UP_DAYS, |d| {
                        read.contains(&(client.id.clone(), *m, d))
                    });
                    (*m, s.clone(), days)
                })
                .filter(|(_, _, days)| !days.is_empty())
                .collect();
            if due.is_empty() {
                continue;
            }
            let (me, client, gate) = (self.clone(), client.clone(), gate.clone());
            jobs.push(tokio::spawn(async move {
                let _permit = gate.acquire_owned().await;
                me.client_round(&client, due, now).await
            }));
        }
        let mut out = Vec::new();
        for j in jobs {
            if let Ok(samples) = j.await {
                out.extend(samples);
            }
        }
        out
    }

    async fn client_round(
        &self,
        client: &Client,
        due: Vec<(Meter, MeterSource, Vec<NaiveDate>)>,
        now: DateTime<Utc>,
    ) -> Vec<UsageSample> {
        let rpc: Option<Result<Arc<dyn OdooApi>, String>> = client.odoo.as_ref().map(|o| {
            secret::read(&o.secret)
                .map(|key| odoo::connect(self.http.clone(), o, key, self.timeout))
                .map_err(|e| e.to_string())
        });
        let cx = UsageContext {
            http: &self.http,
            ssh: &self.ssh,
            timeout: self.timeout,
            odoo: rpc.as_ref().map(|r| match r {
                Ok(api) => Ok(api.as_ref()),
                Err(e) => Err(e.clone()),
            }),
            odoo_login: client.odoo.as_ref().map_or("", |o| o.login.as_str()),
        };
        let mut out = Vec::new();
        for (meter, source, days) in due {
            for day in days {
                let Some((from, to)) = day_span(day, client.timezone) else {
                    continue;
                };
                let outcome = read(&cx, meter, &source, from, to).await;
                let failed = outcome.is_err();
                if let Err(e) = &outcome {
                    tracing::info!(client = %client.id, meter = meter.key(), %day, error = %e, "usage not read");
                }
                let (outcome, users) = match outcome {
                    Ok(r) => (Ok(r.reading), r.users),
                    Err(e) => (Err(e), Vec::new()),
                };
                out.push(UsageSample {
                    client: client.id.clone(),
                    meter,
                    day,
                    outcome,
                    at: now,
                    users,
                });
                // A failing source is not asked for older days this round.
                if failed {
                    break;
                }
            }
        }
        out
    }
}

/// Samples every `SAMPLE_EVERY` while alive (the first round at once, so a
/// restarted daemon catches up); dropping it stops the task.
pub struct UsageCollector {
    task: Option<JoinHandle<()>>,
}

impl Drop for UsageCollector {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

impl UsageCollector {
    pub fn start(sampler: Sampler, db: PathBuf, writer: WriteHandle) -> UsageCollector {
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(SAMPLE_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let n = sample_into(&sampler, &db, &writer, Utc::now()).await;
                if n > 0 {
                    tracing::info!(samples = n, "usage sampled");
                }
            }
        });
        UsageCollector { task: Some(task) }
    }

    /// Stops the task and waits until it is gone (it holds a writer handle).
    pub async fn stop(mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
            let _ = t.await;
        }
    }
}

/// One round against the store at `db`: what is read already comes from
/// it, the samples go to `writer` (flushed). Returns the samples written.
pub async fn sample_into(
    sampler: &Sampler,
    db: &std::path::Path,
    writer: &WriteHandle,
    now: DateTime<Utc>,
) -> usize {
    let since = now.date_naive() - chrono::Days::new(CATCH_UP_DAYS + 2);
    let path = db.to_path_buf();
    let read = tokio::task::spawn_blocking(move || {
        Reader::open(&path).and_then(|r| r.usage_read_days(since))
    })
    .await;
    let read = match read {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "usage: store not readable, round skipped");
            return 0;
        }
        Err(_) => return 0,
    };
    let samples = sampler.round(&read, now).await;
    let n = samples.len();
    if n > 0 {
        if writer.send(WriteOp::Usage(samples)).is_err() {
            tracing::warn!("store writer gone: usage samples not written");
            return 0;
        }
        let w = writer.clone();
        let _ = tokio::task::spawn_blocking(move || w.flush()).await;
    }
    n
}
