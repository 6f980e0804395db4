//! `vigie daemon`: the engine without a terminal. Consoles and wall displays
//! follow its store; monitoring goes on when nobody has a console open.

use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::mpsc;

use super::setup::{self, NoConfig};
use super::{Cli, CliError};
use crate::demo;
use crate::engine::{Engine, EngineOptions, Event};
use crate::sources::Sources;
use crate::store::{self, Reader, WriteOp, Writer};

/// How often paging reads the domains the engine does not feed (backups,
/// maintenance windows, tickets).
pub const DOMAINS_EVERY: Duration = Duration::from_secs(60);

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
        .with_ssh(setup.config.ssh.options());
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
    // The stores resume too: raised alerts, how long each condition has
    // lasted, today's timeline.
    let pos_resume = crate::engine::pos::resume_from(&setup.db);
    let env = |k: &str| std::env::var(k).ok();
    // Every receiver (webhooks, e-mail, ntfy), its secrets read now: a
    // missing one stops the start with its name.
    let receivers = crate::alerts::receiver::resolve_all(&setup.config.alerts, &env)
        .map_err(CliError::input)?;
    let deliveries = crate::alerts::pager::deliver(
        receivers,
        setup.db.clone(),
        writer.handle(),
        crate::alerts::Backoff::default(),
    )
    .map_err(CliError::input)?;
    // Paging reads the same alert list as the console, for every domain.
    // Primed with the states and stores the store keeps, so a restart
    // does not see an alert paged before as resolved until the first
    // results come in.
    let mut app = super::snapshot::new_app(&setup);
    app.feed = crate::ui::app::Feed::Daemon;
    if let Ok(reader) = Reader::open(&setup.db) {
        if let Ok(states) = reader.latest_states() {
            app.data.checks = states
                .into_iter()
                .map(|s| (s.check_id.clone(), crate::ui::panes::LiveCheck::from(s)))
                .collect();
        }
        if let Ok(stores) = reader.pos_stores(None) {
            for (key, stored) in stores {
                app.data.pos.insert(key, stored.view);
            }
        }
    }
    super::snapshot::refresh_domains(&mut app, &setup, true).await;
    let mut pager = crate::alerts::pager::Pager::start(
        fleet.clone(),
        setup.config.paging.clone(),
        Reader::open(&setup.db).map_err(|e| CliError::input(e.to_string()))?,
        writer.handle(),
    );
    let mut domains =
        tokio::time::interval_at(tokio::time::Instant::now() + DOMAINS_EVERY, DOMAINS_EVERY);
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
    let mut heartbeat = tokio::time::interval(store::HEARTBEAT_EVERY);
    // What the claim file says about the store failing, as last written.
    let mut published: Option<String> = None;
    let mut prune = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(60),
        store::PRUNE_EVERY,
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
    let queue = Reader::open(&setup.db).ok();
    let watchdog_every = crate::systemd::watchdog_every(&env);
    let mut watchdog = tokio::time::interval(watchdog_every.unwrap_or(Duration::from_secs(3600)));
    crate::systemd::notify("READY=1", &env);
    let mut terminate = signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hangup = signal(tokio::signal::unix::SignalKind::hangup())?;
    loop {
        tokio::select! {
            Some(ev) = rx.recv() => {
                let Event::Result(r) = ev;
                app.data.record(&r);
                last_result = std::time::Instant::now();
                if writer.send(WriteOp::Result(r)).is_err() {
                    return Err(CliError { message: "the store writer stopped; see the log".into(), code: 1 });
                }
            }
            Some(view) = pos_rx.recv() => {
                app.data.pos.insert((view.client.clone(), view.site.clone()), view);
            }
            _ = domains.tick() => super::snapshot::refresh_domains(&mut app, &setup, true).await,
            _ = heartbeat.tick() => beat(&writer),
            _ = alert_clock.tick() => {
                let fault = writer.fault().map(|f| f.describe(&setup.db));
                if fault != published {
                    if let Err(e) = claim.publish(fault.as_deref()) {
                        tracing::warn!(error = %e, "store fault not published beside the store");
                    }
                    published = fault;
                }
                let now = Utc::now();
                app.data.now = now;
                app.epoch = app.epoch.wrapping_add(1);
                let list = Rc::unwrap_or_clone(crate::ui::attention::list(&app));
                let under = |a: &crate::model::attention::Alert| {
                    under_maintenance(&pos_silences, a, now)
                };
                pager.round(list, &under, now);
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
                    // From the pages' queue: the oldest tried and not delivered.
                    delivery_failing_for: queue
                        .as_ref()
                        .and_then(|r| r.pages_failing_since().ok().flatten())
                        .and_then(|since| (Utc::now() - since).to_std().ok()),
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
    // The delivery tasks and the pager hold the writer's handles: stopped
    // first, so the writer can finish. A page being sent is sent again
    // after the restart (the queue marks it delivered only once answered).
    for d in &deliveries {
        d.abort();
    }
    for d in deliveries {
        let _ = d.await;
    }
    drop(pager);
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

/// Whether an announced maintenance window covers the alert's store or
/// check: it is recorded, not paged.
fn under_maintenance(
    silences: &crate::engine::maintenance::Silences,
    a: &crate::model::attention::Alert,
    now: chrono::DateTime<Utc>,
) -> bool {
    use crate::model::attention::Domain;
    let id = match a.domain {
        Domain::Pos => format!("pos:{}", a.points.row),
        Domain::Checks => a.id.trim_start_matches("checks:").to_string(),
        _ => return false,
    };
    crate::engine::maintenance::silenced(silences, &id, now)
}
