//! The console: Elm-style state and `update`, pure `render`, and the runner
//! that owns the terminal.

pub mod action;
pub mod alerts;
pub mod app;
pub mod attention;
pub mod guard;
pub mod history;
pub mod keymap;
pub mod keys;
pub mod panes;
pub mod reload;
pub mod render;
pub mod run;
pub mod signals;
pub mod snapshot;
pub mod ssh;
pub mod terminal;
pub mod theme;
pub mod tickets_task;
pub mod usage;
pub mod wall;
