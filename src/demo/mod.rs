//! The embedded default: a small simulated fleet on loopback, probed by the
//! real engine and sources, and a store seeded with months of history.

pub mod seed;
pub mod server;
