//! The domain: plain types and pure rules. No I/O, no async, no clock reads:
//! the current time is always a parameter.

pub mod alert;
pub mod attention;
pub mod availability;
pub mod backup;
pub mod check;
pub mod fleet;
pub mod holidays;
pub mod hours;
pub mod maintenance;
pub mod metric;
pub mod money;
pub mod odoo_inside;
pub mod paging;
pub mod perfdata;
pub mod pos;
pub mod postgres;
pub mod receiver;
pub mod ssh;
pub mod status;
pub mod tickets;
pub mod tracker;
pub mod tz;
pub mod tzif;
pub mod usage;
pub mod watcher;
pub mod words;

pub use check::CheckResult;
pub use fleet::*;
pub use hours::{DayHours, OpeningHours, SupportHours, TimeOfDay};
pub use metric::{Metric, Threshold, Thresholds};
pub use status::Status;
