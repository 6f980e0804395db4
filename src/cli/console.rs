//! `vigie` and `vigie demo`: the full-screen console.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;

use super::setup::{self, NoConfig};
use super::{Cli, CliError};
use crate::demo;
use crate::sources::Sources;
use crate::store::Writer;
use crate::ui::app::{App, Modes};
use crate::ui::render::{MIN_HEIGHT, MIN_WIDTH};
use crate::ui::run::{Console, run as run_console};

pub async fn run(cli: &Cli, force_demo: bool, started: Instant) -> Result<u8, CliError> {
    if !std::io::stdout().is_terminal() {
        return Err(CliError::input(
            "stdout is not a terminal: the console needs one. For text output use `vigie snapshot`",
        ));
    }
    if let Ok((w, h)) = crossterm::terminal::size() {
        if w < MIN_WIDTH || h < MIN_HEIGHT {
            return Err(CliError::input(format!(
                "the terminal is {w}x{h}; Vigie needs at least {MIN_WIDTH}x{MIN_HEIGHT}: enlarge it and start again"
            )));
        }
    }
    let setup = setup::load(cli, force_demo, NoConfig::Demo).await?;
    let writer = Writer::spawn(&setup.db).map_err(|e| CliError::input(e.to_string()))?;
    let fleet = Arc::new(setup.config.fleet.clone());
    let seeding = setup
        .demo
        .is_some()
        .then(|| demo::seed_in_background(writer.handle(), fleet.clone(), Utc::now()));
    let demo_backups = setup
        .demo
        .is_some()
        .then(|| demo::backups::prepare_in_background(writer.handle(), fleet.clone(), Utc::now()));
    let sources = Sources::new()
        .map_err(|e| CliError::input(format!("cannot build the HTTP client: {e}")))?
        .with_ssh(setup.config.ssh.options());
    let modes = Modes {
        demo: setup.demo.is_some(),
        read_only: cli.read_only || cli.wall,
    };
    let mut app = App::new(
        fleet.clone(),
        setup.themes.clone(),
        setup.theme.clone(),
        setup.keymap.clone(),
        Utc::now(),
        setup.tz,
        modes,
    );
    if modes.demo {
        demo::pos::seed_timelines(&mut app.data.pos, &fleet, Utc::now());
    }
    app.wall = cli
        .wall
        .then(|| crate::ui::wall::Wall::for_env(&|k| std::env::var(k).ok()));
    app.bell = setup.config.console.bell;
    app.rota = setup.config.paging.rota.clone();
    let console = Console {
        app,
        db: setup.db.clone(),
        writer,
        sources,
        started,
        seeding,
        ssh: Some(crate::ui::ssh::SshSetup {
            config: Arc::new(setup.config.clone()),
            db: setup.db.clone(),
            options: setup.config.ssh.options(),
        }),
    };
    let code = run_console(console).await.map_err(|e| CliError {
        message: format!("terminal error: {e}"),
        code: 1,
    })?;
    drop(demo_backups);
    drop(setup);
    Ok(code)
}
