//! The console: Elm-style state, update and pure render.

pub mod action;
pub mod keymap;
pub mod keys;
pub mod theme;
