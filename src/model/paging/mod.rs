//! Paging: who is woken, for what, and how often (issue "Wake the right
//! person"). Pure: the time is always a parameter. The daemon queues what
//! [`plan`] decides in the store and delivers it through `alerts::Receiver`.

pub mod rota;
pub mod route;
#[cfg(test)]
mod tests;
pub mod timeline;

pub use rota::{Member, Override, Rota, Shift};
pub use route::{Matcher, Route, Routing, Target};
pub use timeline::{Planned, Sent, Timing, plan};

/// `[oncall]` and `[[alerts.routes]]` with their timing, as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Paging {
    pub rota: Option<Rota>,
    pub routing: Routing,
    pub timing: Timing,
}
