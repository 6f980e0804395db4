//! The demo's maintenance windows, placed relative to now: one tonight on
//! the shared host (announced, so its checks show 'maintenance'), one
//! announced next week, one cancelled, one major change only planned.

use std::path::Path;

use chrono::{DateTime, Datelike, NaiveTime, TimeDelta, Utc};
use chrono_tz::Europe::Paris;

use crate::model::Fleet;
use crate::model::maintenance::local;
use crate::model::maintenance::{Kind, MaintenanceWindow, Target, WindowState};
use crate::store::{StoreError, WriteOp, Writer};

fn paris_day_at(now: DateTime<Utc>, days: i64, hour: u32) -> DateTime<Utc> {
    let date = now.with_timezone(&Paris).date_naive() + TimeDelta::days(days);
    let time = NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(NaiveTime::MIN);
    local::read(Paris, date.and_time(time)).instant()
}

/// The windows, with stable UIDs (seeding twice changes nothing).
pub fn windows(now: DateTime<Utc>) -> Vec<MaintenanceWindow> {
    let week_ago = now - TimeDelta::days(8);
    let window =
        |uid: &str, target: Target, kind: Kind, start: DateTime<Utc>, hours: i64, title: &str| {
            MaintenanceWindow {
                uid: format!("demo-{uid}@vigie"),
                target,
                kind,
                start,
                end: start + TimeDelta::minutes(hours * 60),
                title: title.into(),
                state: WindowState::Announced,
                sequence: 0,
                created: week_ago,
                stamp: week_ago,
                announced: Some(week_ago),
            }
        };
    // Tonight from 22:00 Paris time (the one in progress late in the evening).
    let tonight = {
        let start = paris_day_at(now, 0, 22);
        let start = if now > start + TimeDelta::minutes(90) {
            paris_day_at(now, 1, 22)
        } else {
            start
        };
        window(
            "tonight",
            Target::Host("mutu-1".into()),
            Kind::Standard,
            start,
            2,
            "Debian security updates and reboot",
        )
    };
    let days_to_wed =
        (9 - i64::from(now.with_timezone(&Paris).weekday().num_days_from_monday())) % 7 + 7;
    let next_wed = window(
        "odoo-upgrade",
        Target::Client("cagette".into()),
        Kind::Standard,
        paris_day_at(now, days_to_wed, 21),
        2,
        "Odoo 17 minor update",
    );
    let mut cancelled = window(
        "mairie-cancelled",
        Target::Client("mairie".into()),
        Kind::Standard,
        paris_day_at(now, days_to_wed + 1, 22),
        1,
        "Certificate renewal (done without downtime)",
    );
    cancelled.state = WindowState::Cancelled;
    cancelled.sequence = 1;
    cancelled.stamp = now - TimeDelta::days(1);
    let mut major = window(
        "mutu-major",
        Target::Host("mutu-1".into()),
        Kind::Major,
        paris_day_at(now, days_to_wed + 63, 20),
        6,
        "Move to the new server",
    );
    major.state = WindowState::Planned;
    major.announced = None;
    vec![tonight, next_wed, cancelled, major]
}

/// Writes the demo windows into a demo store (for `--demo` subcommands).
pub fn seed(db: &Path, fleet: &Fleet, now: DateTime<Utc>) -> Result<(), StoreError> {
    let writer = Writer::spawn(db)?;
    for w in windows(now) {
        let known = match &w.target {
            Target::Host(h) => fleet.host(h).is_some(),
            Target::Client(c) => fleet.client(c).is_some(),
        };
        if known {
            writer.send(WriteOp::SaveWindow(w))?;
        }
    }
    writer.flush()
}
