//! `vigie daemon`: the engine without a terminal. Consoles and wall displays
//! follow its store; monitoring goes on when nobody has a console open.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;

use super::setup::{self, NoConfig};
use super::{Cli, CliError};
use crate::demo;
use crate::engine::{Engine, EngineOptions, Event};
use crate::sources::{Sources, ssh};
use crate::store::{self, Reader, WriteOp, Writer};

/// How often the collector drops history past its retention.
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// How often the daemon says it is alive.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(10);

pub async fn run(cli: &Cli) -> Result<u8, CliError> {
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let writer = Writer::spawn(&setup.db).map_err(|e| CliError::input(e.to_string()))?;
    let reader = Reader::open(&setup.db).map_err(|e| CliError::input(e.to_string()))?;
    let pid = std::process::id();
    let host = hostname();
    // The claim dies with this process, even by kill -9: a restart right
    // after a crash collects at once instead of waiting for the heartbeat
    // to age. Held until `run` returns; it also carries the store's fault
    // to consoles when the store itself cannot be written.
    let claim = store::claim::claim(&setup.db, pid, &host).map_err(|refused| match refused {
        store::claim::ClaimRefused::Held { holder } => CliError::input(format!(
            "another daemon ({}) already collects into {}: stop it first",
            holder.unwrap_or_else(|| "another process".into()),
            setup.db.display()
        )),
        io => CliError::input(format!("cannot claim the store: {io}")),
    })?;
    let fleet = Arc::new(setup.config.fleet.clone());
    let mut seeding = setup
        .demo
        .is_some()
        .then(|| demo::seed_in_background(writer.handle(), fleet.clone(), Utc::now()));
    if let Some(s) = seeding.as_mut() {
        tokio::task::block_in_place(|| s.wait_recent(std::time::Duration::from_secs(5)));
    }
    let demo_backups = setup
        .demo
        .is_some()
        .then(|| demo::backups::prepare_in_background(writer.handle(), fleet.clone(), Utc::now()));
    let sources = Sources::new()
        .map_err(|e| CliError::input(format!("cannot build the HTTP client: {e}")))?
        .with_ssh(ssh::Options::from_config(&setup.config.ssh));
    let (tx, mut rx) = mpsc::channel::<Event>(1024);
    // A restart resumes each check's state, so a down check is not up for a
    // round (nor alerts again).
    let resume: std::collections::HashMap<String, crate::model::Status> = reader
        .latest_states()
        .map(|states| states.into_iter().map(|s| (s.check_id, s.status)).collect())
        .unwrap_or_default();
    drop(reader);
    let silences = crate::engine::maintenance::Silences::default();
    crate::engine::maintenance::refresh(&setup.db, &fleet, &silences);
    let _maintenance =
        crate::engine::maintenance::watch(setup.db.clone(), fleet.clone(), silences.clone());
    let mut alerter = crate::model::alert::Alerter::new(setup.config.alerts.merge_window);
    alerter.resume(resume.iter().map(|(id, s)| (id.clone(), *s)));
    // The stores resume too: raised alerts, how long each condition has
    // lasted, today's timeline, and what was last sent about each store.
    let pos_resume = crate::engine::pos::resume_from(&setup.db);
    alerter.resume_levels(pos_resume.iter().filter_map(|((c, s), r)| {
        let level = crate::model::alert::Level::of_store(r.status?)?;
        Some((crate::model::pos::alert_id(c, s), level))
    }));
    let env = |k: &str| std::env::var(k).ok();
    let hooks = setup
        .config
        .alerts
        .webhooks
        .iter()
        .map(|spec| crate::alerts::Webhook::resolve(spec, &env))
        .collect::<Result<Vec<_>, _>>()
        .map_err(CliError::input)?;
    let outbox = crate::alerts::Outbox::start(hooks, crate::alerts::Backoff::default())
        .map_err(CliError::input)?;
    let mut alert_clock = tokio::time::interval(Duration::from_secs(1));
    let (pos_tx, mut pos_rx) = mpsc::channel::<crate::model::pos::StoreView>(256);
    let pos = crate::engine::pos::PosMonitor::start_with(
        &fleet,
        &sources,
        pos_tx,
        crate::engine::pos::PosOptions {
            writer: Some(writer.handle()),
            resume: pos_resume,
        },
    );
    let pos_silences = silences.clone();
    let options = EngineOptions {
        resume,
        silences,
        ..EngineOptions::default()
    };
    let ssh_options = sources.ssh_options();
    let usage = crate::engine::usage::UsageCollector::start(
        crate::engine::usage::Sampler {
            fleet: fleet.clone(),
            http: sources.http_client(),
            ssh: ssh_options.clone(),
            timeout: crate::engine::usage::READ_TIMEOUT,
        },
        setup.db.clone(),
        writer.handle(),
    );
    let engine = Engine::start_with(&fleet, sources, tx, options);
    let backups = crate::engine::backups::BackupCollector::start(
        &fleet.backups,
        crate::sources::backups::BackupLister::default().with_ssh(ssh_options),
        writer.handle(),
    );
    let pings = match fleet.pings_listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| CliError::input(format!("cannot listen for pings on {addr}: {e}")))?;
            let bound = listener.local_addr().unwrap_or(addr);
            eprintln!("vigie daemon: backup pings on http://{bound}/ping/<uuid>");
            Some(crate::engine::backups::serve_pings(
                listener,
                &fleet.backups,
                writer.handle(),
            ))
        }
        None => None,
    };
    // Receivers: the listener where a phone's "Acknowledge" button lands.
    let ack_listener = crate::alerts::ack::start(&setup.config.alerts, writer.handle())
        .await
        .map_err(CliError::input)?;
    eprintln!(
        "vigie daemon: {} checks on {} hosts, {} POS stores, store {}",
        engine.check_count(),
        fleet.hosts.len(),
        pos.stores,
        setup.db.display()
    );
    tracing::info!(checks = engine.check_count(), db = %setup.db.display(), "daemon started");
    let beat = |writer: &Writer| {
        let op = WriteOp::Heartbeat {
            role: "daemon".into(),
            pid,
            host: host.clone(),
            at: Utc::now(),
        };
        if writer.send(op).is_err() {
            tracing::warn!("store writer gone: heartbeat not written");
        }
    };
    beat(&writer);
    let mut heartbeat = tokio::time::interval(HEARTBEAT_EVERY);
    // What the claim file says about the store failing, as last written.
    let mut published: Option<String> = None;
    let mut prune = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(60),
        PRUNE_EVERY,
    );
    // Watched from outside: the dead man's switch and systemd's watchdog,
    // both fed from this loop, so a stuck loop stops them.
    let mut self_ping = tokio::time::interval(setup.config.watcher.ping_every);
    let mut pinger = match &setup.config.watcher.ping_url {
        Some(url) => Some(crate::alerts::deadman::Pinger::new(
            url,
            crate::alerts::receiver::http_client().map_err(CliError::input)?,
        )),
        None => None,
    };
    let mut last_result = std::time::Instant::now();
    let watchdog_every = crate::systemd::watchdog_every(&env);
    let mut watchdog = tokio::time::interval(watchdog_every.unwrap_or(Duration::from_secs(3600)));
    crate::systemd::notify("READY=1", &env);
    let mut terminate = signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hangup = signal(tokio::signal::unix::SignalKind::hangup())?;
    loop {
        tokio::select! {
            Some(ev) = rx.recv() => {
                let Event::Result(r) = ev;
                last_result = std::time::Instant::now();
                alerter.observe(&r);
                if writer.send(WriteOp::Result(r)).is_err() {
                    return Err(CliError { message: "the store writer stopped; see the log".into(), code: 1 });
                }
            }
            Some(view) = pos_rx.recv() => {
                let id = crate::model::pos::alert_id(&view.client, &view.site);
                let silenced = crate::engine::maintenance::silenced(&pos_silences, &id, view.at);
                alerter.observe_store(&view, silenced);
            }
            _ = heartbeat.tick() => beat(&writer),
            _ = alert_clock.tick() => {
                let fault = writer.fault().map(|f| f.describe(&setup.db));
                if fault != published {
                    if let Err(e) = claim.publish(fault.as_deref()) {
                        tracing::warn!(error = %e, "store fault not published beside the store");
                    }
                    published = fault;
                }
                if let Some(alert) = alerter.due(Utc::now()) {
                    tracing::info!(items = alert.items.len(), "alert: {}", alert.title());
                    outbox.send(&alert);
                }
            }
            _ = prune.tick() => {
                let op = WriteOp::PruneHistory { now: Utc::now(), retention: fleet.health.retention };
                if writer.send(op).is_err() {
                    tracing::warn!("store writer gone: history not pruned");
                }
            }
            _ = self_ping.tick(), if pinger.is_some() => {
                let health = crate::alerts::deadman::Health {
                    store_fault: writer.fault().map(|f| f.describe(&setup.db)),
                    since_result: (engine.check_count() > 0).then(|| last_result.elapsed()),
                    delivery_failing_for: outbox.stats.failing_for(Utc::now()),
                };
                let limits = crate::alerts::deadman::Limits {
                    delivery_grace: setup.config.watcher.delivery_grace,
                    ..Default::default()
                };
                if let Some(p) = pinger.as_mut() {
                    p.ping(crate::alerts::deadman::verdict(&health, &limits));
                }
            }
            _ = watchdog.tick(), if watchdog_every.is_some() => {
                crate::systemd::notify("WATCHDOG=1", &env);
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
            _ = hangup.recv() => break,
        }
    }
    crate::systemd::notify("STOPPING=1", &env);
    drop(pinger);
    drop(engine);
    drop(pos);
    backups.stop().await;
    usage.stop().await;
    drop(demo_backups);
    if let Some(p) = pings {
        p.abort();
        let _ = p.await;
    }
    if let Some(a) = ack_listener {
        a.stop();
    }
    drop(seeding);
    // Stopped cleanly: the heartbeat says so at once, so consoles take over
    // now rather than in 30 s, and a restart is not refused as a second
    // daemon.
    let _ = writer.send(WriteOp::Heartbeat {
        role: "daemon".into(),
        pid,
        host: host.clone(),
        at: chrono::DateTime::UNIX_EPOCH,
    });
    let _ = writer.flush();
    tracing::info!("daemon stopped");
    Ok(0)
}

fn signal(kind: tokio::signal::unix::SignalKind) -> Result<tokio::signal::unix::Signal, CliError> {
    tokio::signal::unix::signal(kind)
        .map_err(|e| CliError::input(format!("cannot handle signals: {e}")))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}
