//! Vigie: the on-call console of a small hosting cooperative.
//!
//! Layers (see docs/ARCHITECTURE.md): `model` (pure domain), `config`
//! (TOML to model), `store` (SQLite), `sources` (talk to the world),
//! `engine` (runs sources), `ui` (Elm-style console), `demo` (the embedded
//! fleet), `cli` (one file per subcommand).

pub mod alerts;
pub mod cli;
pub mod config;
pub mod demo;
pub mod engine;
pub mod jump;
pub mod model;
pub mod sanitize;
pub mod secret;
pub mod sources;
pub mod store;
pub mod systemd;
pub mod ui;
pub mod urls;
