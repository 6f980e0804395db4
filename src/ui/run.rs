//! The console loop. Terminal events, engine events, store updates and a
//! one-second clock feed one `update`; everything queued is drained first,
//! then the frame is drawn once if anything changed. No frame timer.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use chrono::Utc;
use chrono_tz::Tz;
use crossterm::event::{Event as TermEvent, EventStream};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::app::{App, Effect, Feed, Msg, update};
use super::history::{self, DetailRequest};
use super::panes::LiveCheck;
use super::terminal::TerminalGuard;
use crate::engine::{Engine, EngineOptions, Event};
use crate::model::Fleet;
use crate::sources::Sources;
use crate::store::{self, Reader, WriteOp, Writer};

use crate::store::DAEMON_MAX_AGE;
/// How often a console looks at the store for a daemon's new results.
pub const FOLLOW_EVERY: Duration = Duration::from_millis(500);

pub struct Console {
    pub app: App,
    pub db: PathBuf,
    pub writer: Writer,
    pub sources: Sources,
    /// When the process started, to log the time to the first frame.
    pub started: Instant,
    /// Demo history being seeded, stopped when the console quits.
    pub seeding: Option<crate::demo::Seeding>,
    /// What SSH sessions need (`None`: `s` is refused).
    pub ssh: Option<super::ssh::SshSetup>,
}

/// Why the console's loop ended.
enum Ending {
    /// The operator quit.
    Quit,
    /// A signal ended it (see `signals`).
    Signal(i32),
    /// The terminal went away (closed window, dropped SSH link).
    TerminalGone,
    /// Writing to the terminal failed.
    TerminalError(std::io::Error),
}

/// Runs the console until the operator quits or a signal ends it, and
/// returns the exit status: 0, or 128 + the signal's number.
pub async fn run(console: Console) -> std::io::Result<u8> {
    let Console {
        mut app,
        db,
        writer,
        sources,
        started,
        mut seeding,
        ssh,
    } = console;
    // Listening before the terminal is taken, so no ending signal finds
    // it taken and no one to give it back.
    let mut ending_signals = super::signals::watch()?;
    let mut guard = TerminalGuard::enter()?;
    app.size = guard.size()?;
    guard.draw(&app)?;
    app.dirty = false;
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        "first frame drawn"
    );
    // Test hook (debug builds only): the tmux tests check that a panic
    // leaves the terminal as it was found.
    #[cfg(debug_assertions)]
    if std::env::var_os("VIGIE_TEST_PANIC").is_some() {
        panic!("VIGIE_TEST_PANIC is set: panicking after the first frame");
    }

    let (msg_tx, mut msg_rx) = mpsc::channel::<Msg>(4096);
    let db_for_tickets = db.clone();
    let db_for_usage = db.clone();
    let (stop_tx, stop_rx) = std_mpsc::channel::<FollowerCmd>();
    // The engine starts once the follower has looked at the store; with a
    // demo, after the recent history is written (see `Seeding`).
    let ready = seeding.as_mut().and_then(|s| s.take_recent());
    // Announced maintenance silences the engine's checks while it runs.
    let silences = crate::engine::maintenance::Silences::default();
    let _maintenance =
        crate::engine::maintenance::watch(db.clone(), app.data.fleet.clone(), silences.clone());
    spawn_follower(
        db.clone(),
        app.data.fleet.clone(),
        app.data.tz,
        msg_tx.clone(),
        stop_rx,
        ready,
    );
    // The stores' monitor runs beside the engine, under the same rule: a
    // live daemon watches them, and this console follows its store.
    let mut pos: Option<crate::engine::pos::PosMonitor> = None;
    let tickets =
        super::tickets_task::spawn(app.data.fleet.clone(), db_for_tickets, msg_tx.clone());
    let mut asked: Option<DetailRequest> = None;
    // The collector (this console while no daemon runs) prunes history.
    let mut pruned_at = Instant::now();

    let check_total = app.data.fleet.checks().count();
    let mut all_reported = check_total == 0;
    let mut engine: Option<Engine> = None;
    // Backup listings run beside the engine, under the same rule.
    let mut backups: Option<crate::engine::backups::BackupCollector> = None;
    // So do usage meters.
    let mut usage: Option<crate::engine::usage::UsageCollector> = None;
    // `None` only while an SSH session has the terminal.
    let mut terminal_events = Some(EventStream::new());
    let mut clock = tokio::time::interval_at(next_second(), Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let frame_every = frame_interval(app.wall.is_some(), &|k| std::env::var(k).ok());
    // The user's themes and keymap, looked at every second.
    let mut watch = super::theme::config_dir(&|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .map(|d| super::reload::Watch::new(&d));
    let mut drawn_at = Instant::now();

    // A failed terminal write ends the loop like a lost terminal, so the
    // store is still flushed and the engine stopped on the way out.
    macro_rules! term {
        ($label:lifetime, $e:expr) => {
            match $e {
                Ok(v) => v,
                Err(e) => break $label Ending::TerminalError(e),
            }
        };
    }
    let ending = 'console: loop {
        let first = tokio::select! {
            ev = next_event(&mut terminal_events) => match ev {
                Some(Ok(ev)) => term_msg(ev),
                Some(Err(_)) | None => break Ending::TerminalGone,
            },
            Some(sig) = ending_signals.recv() => break Ending::Signal(sig),
            Some(msg) = msg_rx.recv() => Some(msg),
            _ = clock.tick() => {
                if let Some(w) = watch.as_mut() {
                    if w.changed() {
                        let loaded = super::reload::load(
                            w.dir(),
                            &app.theme.name,
                            app.theme.depth,
                            app.keymap.base(),
                        );
                        let _ = msg_tx.try_send(Msg::Reloaded(loaded.map(Box::new)));
                    }
                }
                Some(Msg::Tick(Utc::now()))
            }
            // A frame held back by the frame-rate cap is drawn when due.
            _ = tokio::time::sleep_until((drawn_at + frame_every).into()), if app.dirty => None,
        };
        let mut msgs: Vec<Msg> = first.into_iter().collect();
        while let Ok(msg) = msg_rx.try_recv() {
            msgs.push(msg);
        }
        let mut effects = Vec::new();
        for msg in msgs {
            if let Msg::Feed(feed) = &msg {
                switch_feed(
                    *feed,
                    &mut engine,
                    &app,
                    &sources,
                    &writer,
                    &msg_tx,
                    &silences,
                );
                pos = match engine {
                    Some(_) => pos
                        .take()
                        .or_else(|| Some(start_pos(&app, &sources, &msg_tx, &db, &writer))),
                    None => None,
                };
                backups = engine.as_ref().map(|_| {
                    backups.take().unwrap_or_else(|| {
                        crate::engine::backups::BackupCollector::start(
                            &app.data.fleet.backups,
                            crate::sources::backups::BackupLister::default()
                                .with_ssh(sources.ssh_options()),
                            writer.handle(),
                        )
                    })
                });
                usage = engine.as_ref().map(|_| {
                    usage.take().unwrap_or_else(|| {
                        crate::engine::usage::UsageCollector::start(
                            crate::engine::usage::Sampler {
                                fleet: app.data.fleet.clone(),
                                http: sources.http_client(),
                                ssh: sources.ssh_options(),
                                timeout: crate::engine::usage::READ_TIMEOUT,
                            },
                            db_for_usage.clone(),
                            writer.handle(),
                        )
                    })
                });
            }
            effects.extend(update(&mut app, msg));
        }
        let mut quit = false;
        let effects = super::guard::permit(&mut app, effects);
        for effect in effects {
            match effect {
                Effect::Quit => quit = true,
                Effect::RefreshChecks => match &engine {
                    Some(e) => e.refresh(),
                    None => app.notify("the daemon collects: results follow its schedule"),
                },
                Effect::Suspend => {
                    app.size = term!('console, guard.suspend());
                    app.dirty = true;
                }
                Effect::Bell => term!('console, guard.bell()),
                Effect::Round(records) => {
                    let round = crate::store::attention::AlertWrite::Round {
                        records,
                        at: app.data.now,
                    };
                    if let Err(e) = writer.send(WriteOp::Alerts(round)) {
                        tracing::warn!("alerts' round not stored: {e}");
                    }
                }
                Effect::SaveWindow(w) => {
                    let text = crate::ui::panes::maintenance::window_notice(&w, app.data.tz);
                    if writer.send(WriteOp::SaveWindow(*w)).is_err() {
                        app.notify("the store writer stopped: window not saved; see the log");
                    } else {
                        app.notify(text);
                    }
                }
                Effect::Ssh { host } => match &ssh {
                    Some(setup) => {
                        // Stop the input reader first: the session reads
                        // the terminal now. A fresh one starts afterwards.
                        drop(terminal_events.take());
                        term!('console, super::ssh::handover(
                            &mut guard,
                            &mut app,
                            setup,
                            writer.handle(),
                            &host
                        ));
                        terminal_events = Some(EventStream::new());
                    }
                    None => app.notify("ssh is not available here"),
                },
                Effect::SshRefused { host } => {
                    if let Some(setup) = &ssh {
                        super::ssh::audit_refusal(&app, setup, writer.handle(), &host);
                    }
                }
                Effect::Ticket(cmd) => {
                    if tickets.try_send(cmd).is_err() {
                        app.notify("the ticket desk is busy or stopped; try again");
                    }
                }
                Effect::Alerts(w) => {
                    if writer.send(WriteOp::Alerts(w.clone())).is_err() {
                        super::alerts::editor::keep_unsent(&mut app, &w);
                        app.notify(
                            "the store writer stopped: nothing written, what you typed is kept; see the log",
                        );
                    } else {
                        let now = app.data.now;
                        super::alerts::apply_locally(&mut app.data.lifecycle, &w, now);
                        app.epoch = app.epoch.wrapping_add(1);
                        app.notify(crate::sanitize::clean_short(
                            &super::alerts::notice_of(&w, app.data.tz),
                            160,
                        ));
                    }
                    app.dirty = true;
                }
            }
        }
        if quit {
            break Ending::Quit;
        }
        if engine.is_some() && pruned_at.elapsed() >= crate::store::PRUNE_EVERY {
            pruned_at = Instant::now();
            let op = WriteOp::PruneHistory {
                now: Utc::now(),
                retention: app.data.fleet.health.retention,
            };
            if writer.send(op).is_err() {
                tracing::warn!("store writer gone: history not pruned");
            }
        }
        // A pane that opened (or changed) a detail asks the follower for it.
        let wanted = app.pane(app.focus).and_then(|p| p.history_request());
        if wanted != asked {
            asked = wanted.clone();
            app.data.detail = None;
            let _ = stop_tx.send(FollowerCmd::Detail(wanted));
        }
        if app.dirty && drawn_at.elapsed() >= frame_every {
            term!('console, guard.draw(&app));
            drawn_at = Instant::now();
            app.dirty = false;
            if !all_reported && app.data.checks.len() >= check_total {
                all_reported = true;
                tracing::info!(
                    ms = started.elapsed().as_millis() as u64,
                    checks = check_total,
                    "every check on screen"
                );
            }
        }
    };
    // The terminal first: the operator has the shell back while the
    // collectors stop and the store writer drains.
    match &ending {
        Ending::Quit => {
            if let Err(e) = guard.leave() {
                tracing::warn!("terminal not fully restored: {e}");
            }
        }
        _ => guard.leave_without_waiting(),
    }
    let _ = stop_tx.send(FollowerCmd::Stop);
    drop(seeding);
    drop(engine);
    drop(pos);
    if let Some(b) = backups.take() {
        b.stop().await;
    }
    if let Some(u) = usage.take() {
        u.stop().await;
    }
    if writer.flush().is_err() {
        tracing::warn!("the store writer stopped before the last results were written");
    }
    match ending {
        Ending::Quit | Ending::TerminalGone => Ok(0),
        Ending::Signal(sig) => {
            tracing::info!(signal = sig, "console ended by a signal");
            Ok(super::signals::exit_code(sig))
        }
        Ending::TerminalError(e) => Err(e),
    }
}

/// The shortest time between two frames: a second on the wall display (it
/// changes with the clock), a tenth of a second over SSH (so a burst of
/// results or keys cannot flood a slow link), otherwise none (input is
/// echoed at once).
pub fn frame_interval(wall: bool, env: &dyn Fn(&str) -> Option<String>) -> Duration {
    let ssh = ["SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT"]
        .iter()
        .any(|k| env(k).is_some_and(|v| !v.is_empty()));
    if wall {
        Duration::from_secs(1)
    } else if ssh {
        Duration::from_millis(100)
    } else {
        Duration::ZERO
    }
}

async fn next_event(events: &mut Option<EventStream>) -> Option<std::io::Result<TermEvent>> {
    match events.as_mut() {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}

fn term_msg(ev: TermEvent) -> Option<Msg> {
    match ev {
        TermEvent::Key(k) => Some(Msg::Key(k)),
        TermEvent::Resize(w, h) => Some(Msg::Resize(w, h)),
        TermEvent::Paste(p) => Some(Msg::Paste(p)),
        _ => None,
    }
}

fn next_second() -> tokio::time::Instant {
    let ms = Utc::now().timestamp_subsec_millis();
    tokio::time::Instant::now() + Duration::from_millis(u64::from(1000 - ms.min(999)))
}

/// Starts this console's own engine when no daemon is alive, and stops it
/// when one appears, so monitoring never has two collectors for long.
fn switch_feed(
    feed: Feed,
    engine: &mut Option<Engine>,
    app: &App,
    sources: &Sources,
    writer: &Writer,
    msg_tx: &mpsc::Sender<Msg>,
    silences: &crate::engine::maintenance::Silences,
) {
    match feed {
        Feed::LocalEngine if engine.is_none() => {
            let (tx, mut rx) = mpsc::channel::<Event>(1024);
            let options = EngineOptions {
                resume: app
                    .data
                    .checks
                    .iter()
                    .map(|(id, c)| (id.clone(), c.status))
                    .collect(),
                silences: silences.clone(),
                ..EngineOptions::default()
            };
            *engine = Some(Engine::start_with(
                &app.data.fleet,
                sources.clone(),
                tx,
                options,
            ));
            let writer = writer.handle();
            let msg_tx = msg_tx.clone();
            tokio::spawn(async move {
                while let Some(ev) = rx.recv().await {
                    let Event::Result(r) = &ev;
                    if writer.send(WriteOp::Result(r.clone())).is_err() {
                        tracing::warn!("store writer gone; results shown but not kept");
                    }
                    if msg_tx.send(Msg::Engine(ev)).await.is_err() {
                        return;
                    }
                }
            });
        }
        Feed::Daemon => *engine = None,
        _ => {}
    }
}

/// Starts the POS monitor from what the store kept (else the timelines on
/// screen: the demo's earlier day), keeping its rounds in the store, and
/// forwards its views to the loop.
fn start_pos(
    app: &App,
    sources: &Sources,
    msg_tx: &mpsc::Sender<Msg>,
    db: &std::path::Path,
    writer: &Writer,
) -> crate::engine::pos::PosMonitor {
    let (tx, mut rx) = mpsc::channel(256);
    let mut resume = crate::engine::pos::resume_from(db);
    for (key, view) in &app.data.pos {
        let r = resume.entry(key.clone()).or_default();
        if r.timeline.segments.is_empty() {
            r.timeline = view.timeline.clone();
        }
    }
    let options = crate::engine::pos::PosOptions {
        writer: Some(writer.handle()),
        resume,
    };
    let monitor = crate::engine::pos::PosMonitor::start_with(&app.data.fleet, sources, tx, options);
    let msg_tx = msg_tx.clone();
    tokio::spawn(async move {
        while let Some(view) = rx.recv().await {
            if msg_tx.send(Msg::Pos(Box::new(view))).await.is_err() {
                return;
            }
        }
    });
    monitor
}

/// A history read of the follower.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// The whole fleet's health history (sparklines, availability).
    Health,
    /// The open host detail's charts and incidents.
    Detail,
}

/// The history reads of one follower round, in order. A detail the
/// operator asked for goes first: the period keys' charts must not wait
/// behind a routine re-read of the whole fleet's health. An open detail is
/// read again after a routine re-read, the store having moved.
fn round(detail_asked: bool, health_due: bool, detail_open: bool) -> Vec<Read> {
    match (detail_asked && detail_open, health_due) {
        (true, true) => vec![Read::Detail, Read::Health],
        (true, false) => vec![Read::Detail],
        (false, true) if detail_open => vec![Read::Health, Read::Detail],
        (false, true) => vec![Read::Health],
        (false, false) => Vec::new(),
    }
}

/// What the loop tells the follower thread.
enum FollowerCmd {
    /// The detail the focused pane wants read (None: closed).
    Detail(Option<DetailRequest>),
    Stop,
}

/// History is read again when the store moved, at most this often...
/// How often the follower reads usage again (when the store moved).
const USAGE_EVERY: Duration = Duration::from_secs(60);

const HISTORY_MIN_EVERY: Duration = Duration::from_secs(5);
/// ...and at least this often.
const HISTORY_MAX_EVERY: Duration = Duration::from_secs(60);

/// Watches the store on its own thread: is a daemon alive, and has it
/// written anything new (PRAGMA data_version)? Sends `Feed` and `States`.
fn spawn_follower(
    db: PathBuf,
    fleet: Arc<Fleet>,
    tz: Tz,
    tx: mpsc::Sender<Msg>,
    stop: std_mpsc::Receiver<FollowerCmd>,
    ready: Option<std_mpsc::Receiver<()>>,
) {
    std::thread::spawn(move || {
        if let Some(ready) = ready {
            if ready.recv_timeout(Duration::from_secs(5)).is_err() {
                tracing::warn!("demo history still being written; starting the engine anyway");
            }
        }
        let reader = match Reader::open(&db) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!("cannot follow the store: {e}");
                let _ = tx.blocking_send(Msg::Feed(Feed::LocalEngine));
                return;
            }
        };
        let mut last_version = None;
        let mut last_feed = None;
        let mut last_fault: Option<String> = None;
        let mut detail: Option<DetailRequest> = None;
        // The operator asked for this detail (opened it, changed its period).
        let mut detail_asked = false;
        let mut history_at: Option<std::time::Instant> = None;
        let mut history_version = None;
        let mut backups_read: Option<std::time::Instant> = None;
        // The newest POS round read from a daemon's store.
        let mut pos_after: Option<i64> = None;
        let mut usage_read: Option<std::time::Instant> = None;
        let mut usage_empty = true;
        loop {
            let alive = reader.live_daemon(Utc::now(), DAEMON_MAX_AGE).is_some();
            let fault = store::claim::published_fault(&db);
            if fault != last_fault {
                last_fault.clone_from(&fault);
                if tx.blocking_send(Msg::StoreFault(fault)).is_err() {
                    return;
                }
            }
            let feed = if alive {
                Feed::Daemon
            } else {
                Feed::LocalEngine
            };
            if last_feed != Some(feed) {
                last_feed = Some(feed);
                last_version = None;
                pos_after = None;
                if tx.blocking_send(Msg::Feed(feed)).is_err() {
                    return;
                }
            }
            // States are read whenever the store moves, whoever wrote it: a
            // daemon, this console's engine, or demo history.
            let version = reader.data_version().ok();
            let moved = version.is_none() || version != last_version;
            // History: when the store moved (at most every 5 s), and every
            // minute anyway (the sparkline window slides).
            let age = history_at.map(|t| t.elapsed());
            let due = match age {
                None => true,
                Some(a) => {
                    (version != history_version && a >= HISTORY_MIN_EVERY) || a >= HISTORY_MAX_EVERY
                }
            };
            for step in round(detail_asked, due, detail.is_some()) {
                match step {
                    Read::Health => {
                        history_at = Some(std::time::Instant::now());
                        history_version = version;
                        match history::read_health(&reader, &fleet, tz, Utc::now()) {
                            Ok(h) => {
                                if tx.blocking_send(Msg::History(h)).is_err() {
                                    return;
                                }
                            }
                            Err(e) => tracing::warn!("health history not read: {e}"),
                        }
                    }
                    Read::Detail => {
                        if let Some(req) = detail.as_ref() {
                            let d = history::read_detail(&reader, &fleet, req, Utc::now());
                            if tx.blocking_send(Msg::Detail(d)).is_err() {
                                return;
                            }
                        }
                    }
                }
            }
            detail_asked = false;
            if crate::ui::panes::backups::read_due(&mut backups_read, moved) {
                match reader.backups(Utc::now() - crate::ui::panes::backups::RUNS_KEPT) {
                    Ok(b) => {
                        if tx.blocking_send(Msg::Backups(b)).is_err() {
                            return;
                        }
                    }
                    Err(e) => tracing::warn!("backups not read: {e}"),
                }
            }
            // Usage moves once a day: every minute is plenty, but while the
            // store holds none (seeding, a first sampling) look each second.
            let usage_every = if usage_empty {
                Duration::from_secs(1)
            } else {
                USAGE_EVERY
            };
            if usage_read.is_none_or(|t| moved && t.elapsed() >= usage_every) {
                usage_read = Some(std::time::Instant::now());
                let now = Utc::now();
                // The year of the last complete day: on 1 January, last year's.
                let year =
                    chrono::Datelike::year(&(now - chrono::TimeDelta::days(1)).with_timezone(&tz));
                match reader.usage(year) {
                    Ok(mut stored) => {
                        usage_empty = stored.is_empty();
                        let reports = crate::model::usage::fleet_reports(
                            &fleet,
                            &mut stored,
                            year,
                            None,
                            now,
                        );
                        let view = crate::ui::usage::UsageView {
                            year,
                            reports,
                            read: true,
                        };
                        if tx.blocking_send(Msg::Usage(Box::new(view))).is_err() {
                            return;
                        }
                    }
                    Err(e) => tracing::warn!("usage not read: {e}"),
                }
            }
            if moved {
                last_version = version;
                if let Ok(windows) = reader.maintenance_windows() {
                    if tx.blocking_send(Msg::Maintenance(windows)).is_err() {
                        return;
                    }
                }
                // Acknowledgements and silences made by any console or
                // `vigie ack`/`vigie silence`.
                if let (Ok(records), Ok(silences)) =
                    (reader.alert_records(), reader.silences(Utc::now()))
                {
                    let l = crate::ui::attention::Lifecycle { records, silences };
                    if tx.blocking_send(Msg::Attention(Box::new(l))).is_err() {
                        return;
                    }
                }
                // The stores as the daemon's monitor left them (this
                // console's own monitor sends its views directly).
                if alive {
                    match reader.pos_stores(pos_after) {
                        Ok(stored) => {
                            for (_, s) in stored {
                                pos_after = pos_after.max(Some(s.written));
                                if tx.blocking_send(Msg::Pos(Box::new(s.view))).is_err() {
                                    return;
                                }
                            }
                        }
                        Err(e) => tracing::warn!("POS state not read: {e}"),
                    }
                }
                if let Ok(states) = reader.latest_states() {
                    let states = states
                        .into_iter()
                        .map(|s| (s.check_id.clone(), LiveCheck::from(s)))
                        .collect();
                    if tx.blocking_send(Msg::States(states)).is_err() {
                        return;
                    }
                }
            }
            match stop.recv_timeout(FOLLOW_EVERY) {
                Err(std_mpsc::RecvTimeoutError::Timeout) => {}
                Ok(FollowerCmd::Detail(req)) => {
                    detail_asked = req.is_some();
                    detail = req;
                }
                Ok(FollowerCmd::Stop) | Err(_) => return,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_asked_detail_is_read_before_a_routine_health_read() {
        // (asked, health due, detail open) -> reads in order
        let cases = [
            ((true, true, true), vec![Read::Detail, Read::Health]),
            ((true, false, true), vec![Read::Detail]),
            ((false, true, true), vec![Read::Health, Read::Detail]),
            ((false, true, false), vec![Read::Health]),
            ((false, false, true), vec![]),
            ((true, false, false), vec![]),
        ];
        for ((asked, due, open), want) in cases {
            assert_eq!(round(asked, due, open), want, "{asked} {due} {open}");
        }
    }
}
