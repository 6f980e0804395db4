//! `vigie snapshot`: one frame of the console as text, from the same render
//! code. Follows a live daemon's store when there is one; otherwise runs
//! every check once (never longer than the longest check timeout).

use std::sync::Arc;

use chrono::Utc;

use super::setup::{self, NoConfig};
use super::{Cli, CliError};
use crate::engine;
use crate::sources::Sources;
use crate::store::DAEMON_MAX_AGE;
use crate::store::Reader;
use crate::ui::app::{App, Feed, Modes};
use crate::ui::panes::{LiveCheck, PaneId};
use crate::ui::snapshot;

pub async fn run(
    cli: &Cli,
    width: u16,
    height: u16,
    pane: Option<&str>,
    styles: bool,
) -> Result<u8, CliError> {
    let focus = match pane {
        Some(name) => Some(PaneId::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = PaneId::ALL.iter().map(|p| p.name()).collect();
            CliError::input(format!(
                "--pane {name}: expected one of {}",
                names.join(", ")
            ))
        })?),
        None => None,
    };
    if width == 0 || height == 0 {
        return Err(CliError::input("--width and --height must be at least 1"));
    }
    let (mut app, _setup) = console_state(cli).await?;
    if let Some(id) = focus {
        app.focus = id;
        app.zoomed = true;
    }
    app.size = (width, height);
    app.wall = cli.wall.then(crate::ui::wall::Wall::default);
    app.modes.read_only = cli.read_only || cli.wall;
    let buffer =
        snapshot::frame(&app, width, height).map_err(|e| CliError::input(e.to_string()))?;
    if styles {
        print!("{}", snapshot::styled(&buffer));
    } else {
        print!("{}", snapshot::text(&buffer));
    }
    Ok(0)
}

/// The console's state as a frame would draw it now: the daemon's states
/// (or every check run once), the stores, backups, windows, tickets and the
/// alerts' acknowledgements and silences from the store. `vigie snapshot`
/// draws it; `vigie alerts` lists its alerts, so both say the same.
pub(super) async fn console_state(cli: &Cli) -> Result<(App, setup::Setup), CliError> {
    let setup = setup::load(cli, false, NoConfig::Refuse).await?;
    let mut app = new_app(&setup);
    let fleet = app.data.fleet.clone();
    app.feed = Feed::Snapshot;
    let from_daemon = if setup.db.exists() {
        daemon_states(&setup.db)
    } else {
        None
    };
    match from_daemon {
        Some(states) => {
            app.feed = Feed::Daemon;
            app.data.checks = states.into_iter().collect();
        }
        None => {
            let sources = Sources::new()
                .map_err(|e| CliError::input(format!("cannot build the HTTP client: {e}")))?
                .with_ssh(setup.config.ssh.options());
            for result in engine::run_once(&fleet, &sources).await {
                app.data.record(&result);
            }
        }
    }
    if let Ok(sources) = Sources::new() {
        for view in engine::pos::run_once(&fleet, &sources).await {
            app.data
                .pos
                .insert((view.client.clone(), view.site.clone()), view);
        }
    }
    if setup.demo.is_some() {
        crate::demo::pos::seed_timelines(&mut app.data.pos, &fleet, Utc::now());
    }
    refresh_domains(&mut app, &setup, false).await;
    Ok((app, setup))
}

/// An empty console state for `setup`'s fleet (the daemon fills it from
/// its engine's results and stores' views).
pub(super) fn new_app(setup: &setup::Setup) -> App {
    let modes = Modes {
        demo: setup.demo.is_some(),
        read_only: false,
    };
    let mut app = App::new(
        Arc::new(setup.config.fleet.clone()),
        setup.themes.clone(),
        setup.theme.clone(),
        setup.keymap.clone(),
        Utc::now(),
        setup.tz,
        modes,
    );
    app.rota = setup.config.paging.rota.clone();
    app
}

/// Everything but the checks and the stores, as the console reads it:
/// backups, maintenance windows, tickets, and the alerts' acknowledgements
/// and silences. `vigie snapshot`, `vigie alerts` and the daemon's paging
/// all read the domains through this, so they say the same. `collected`:
/// the daemon's own collectors keep the backups in the store, so they are
/// read from it rather than listed again.
pub(super) async fn refresh_domains(app: &mut App, setup: &setup::Setup, collected: bool) {
    let fleet = app.data.fleet.clone();
    app.data.now = Utc::now();
    let records = if collected {
        Reader::open(&setup.db)
            .and_then(|r| r.backups(app.data.now - crate::ui::panes::backups::RUNS_KEPT))
            .unwrap_or_default()
    } else {
        super::backups::records(
            &fleet,
            &setup.config.ssh,
            &setup.db,
            setup.demo.is_some(),
            false,
        )
        .await
    };
    app.data.backups.set(records);
    // The shared demo store holds the windows the demo console shows.
    app.data.maintenance = if setup.demo.as_ref().is_some_and(|d| d.private()) {
        crate::demo::maintenance::windows(app.data.now)
    } else if setup.db.exists() {
        Reader::open(&setup.db)
            .and_then(|r| r.maintenance_windows())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let tickets = tickets_feed(&fleet, &setup.db).await;
    crate::ui::app::update(app, crate::ui::app::Msg::Tickets(Box::new(tickets)));
    if setup.db.exists() {
        if let Ok(reader) = Reader::open(&setup.db) {
            if let (Ok(records), Ok(silences)) =
                (reader.alert_records(), reader.silences(app.data.now))
            {
                let l = crate::ui::attention::Lifecycle { records, silences };
                crate::ui::app::update(app, crate::ui::app::Msg::Attention(Box::new(l)));
            }
        }
    }
}

/// The tickets as `vigie tickets` has them: synced with the tracker (the
/// demo's own with `--demo`), else the store's cached copy marked stale.
async fn tickets_feed(
    fleet: &crate::model::Fleet,
    db: &std::path::Path,
) -> crate::ui::panes::tickets::TicketsFeed {
    use crate::ui::panes::tickets::TicketsFeed;
    let desk = match super::tickets::desk(fleet, db) {
        Ok(d) => d,
        Err(e) => {
            return TicketsFeed {
                problem: Some(e.message),
                ..TicketsFeed::default()
            };
        }
    };
    let now = Utc::now();
    let mut feed = TicketsFeed {
        backend: desk.backend().name().to_string(),
        calls: super::tickets::count_calls(&desk, fleet, now).await,
        ..TicketsFeed::default()
    };
    match desk.sync(now).await {
        Ok(view) => feed.view = Some(view),
        Err(e) => feed.problem = Some(e.to_string()),
    }
    feed
}

fn daemon_states(db: &std::path::Path) -> Option<Vec<(String, LiveCheck)>> {
    let reader = Reader::open(db).ok()?;
    reader.live_daemon(Utc::now(), DAEMON_MAX_AGE)?;
    let states = reader.latest_states().ok()?;
    Some(
        states
            .into_iter()
            .map(|s| (s.check_id.clone(), LiveCheck::from(s)))
            .collect(),
    )
}
