//! Every configured source judged, worst first, and one line per client:
//! what the Backups pane and `vigie backups` show.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{BackupRun, Judged, Listing, RestorePoint, client_verdict, judge};
use crate::model::{Fleet, Status};

/// What is recorded of one source: points of its last good listing, the
/// run log, and its last listing's time, error or note.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceRecord {
    pub points: Vec<RestorePoint>,
    pub runs: Vec<BackupRun>,
    pub checked: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub note: Option<String>,
}

impl SourceRecord {
    /// The listing state the rules judge.
    pub fn listing(&self) -> Listing<'_> {
        match (&self.error, self.checked) {
            (Some(e), _) => Listing::Failed(e),
            (None, Some(_)) => Listing::Listed,
            (None, None) => Listing::NotYet(self.note.as_deref()),
        }
    }
}

/// One source in the overview.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRow {
    /// Index in `fleet.backups`.
    pub index: usize,
    /// The client's timezone: days are the client's days.
    pub tz: Tz,
    pub judged: Judged,
}

/// One line per client.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientRow {
    pub client: String,
    pub name: String,
    pub status: Status,
    pub line: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Overview {
    /// Worst first, then in configuration order.
    pub sources: Vec<SourceRow>,
    /// Worst first, then in configuration order.
    pub clients: Vec<ClientRow>,
}

impl Overview {
    pub fn worst(&self) -> Option<Status> {
        self.sources.iter().map(|s| s.judged.status).max()
    }
}

static EMPTY: SourceRecord = SourceRecord {
    points: Vec::new(),
    runs: Vec::new(),
    checked: None,
    error: None,
    note: None,
};

/// Judges every source of the fleet at `now` from `records` (by source id).
pub fn overview(
    fleet: &Fleet,
    records: &BTreeMap<String, SourceRecord>,
    now: DateTime<Utc>,
) -> Overview {
    let mut sources: Vec<SourceRow> = fleet
        .backups
        .iter()
        .enumerate()
        .map(|(index, src)| {
            let tz = fleet
                .client(&src.client)
                .map_or(chrono_tz::UTC, |c| c.timezone);
            let rec = records.get(&src.id).unwrap_or(&EMPTY);
            let judged = judge(src, tz, &rec.points, &rec.runs, rec.listing(), now);
            SourceRow { index, tz, judged }
        })
        .collect();
    sources.sort_by_key(|s| (std::cmp::Reverse(s.judged.status), s.index));
    let mut clients: Vec<ClientRow> = Vec::new();
    for c in &fleet.clients {
        let mine: Vec<(&str, Status, &str)> = sources
            .iter()
            .filter(|s| fleet.backups[s.index].client == c.id)
            .map(|s| {
                (
                    fleet.backups[s.index].name.as_str(),
                    s.judged.status,
                    s.judged.verdict.as_str(),
                )
            })
            .collect();
        if mine.is_empty() {
            continue;
        }
        let v = client_verdict(&mine);
        clients.push(ClientRow {
            client: c.id.clone(),
            name: c.name.clone(),
            status: v.status,
            line: v.line,
        });
    }
    let order: Vec<&str> = fleet.clients.iter().map(|c| c.id.as_str()).collect();
    clients.sort_by_key(|c| {
        (
            std::cmp::Reverse(c.status),
            order.iter().position(|o| *o == c.client),
        )
    });
    Overview { sources, clients }
}
