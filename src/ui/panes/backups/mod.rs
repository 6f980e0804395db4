//! The Backups pane: one line per client (worst first), then the selected
//! source's month calendar (weeks as rows, days coloured by state, a
//! legend) beside the list of sources; Enter puts a cursor on the days and
//! lists the chosen day's restore points with size and duration.

mod calendar;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Datelike, Months, NaiveDate, TimeDelta};
use ratatui::Frame;
use ratatui::layout::Rect;

use super::{Data, Handled, Pane, PaneCtx, PaneId};
use crate::model::Status;
use crate::model::backup::{Overview, SourceRecord, overview};
use crate::ui::action::Action;

/// Runs read back from the store (a year of calendar and more).
pub const RUNS_KEPT: TimeDelta = TimeDelta::days(400);

/// Whether the follower should read the backups again: when the store
/// moved (at most every 2 s), and every minute anyway.
pub fn read_due(last: &mut Option<Instant>, moved: bool) -> bool {
    let due = match last {
        None => true,
        Some(t) => {
            let age = t.elapsed();
            (moved && age >= std::time::Duration::from_secs(2))
                || age >= std::time::Duration::from_secs(60)
        }
    };
    if due {
        *last = Some(Instant::now());
    }
    due
}

/// What the store holds of every source, as last read.
#[derive(Debug, Clone, Default)]
pub struct BackupData {
    pub records: Arc<BTreeMap<String, SourceRecord>>,
    /// Bumped when `records` changes.
    pub generation: u64,
}

impl BackupData {
    /// Takes a fresh read; `true` when it changed anything.
    pub fn set(&mut self, records: BTreeMap<String, SourceRecord>) -> bool {
        if *self.records == records {
            return false;
        }
        self.records = Arc::new(records);
        self.generation += 1;
        true
    }
}

#[derive(Default)]
pub struct BackupsPane {
    /// The selected source (its id), kept across re-sorting.
    selected: Option<String>,
    /// Months back from the current one.
    months_back: u32,
    /// The day cursor, once Enter was pressed.
    day: Option<NaiveDate>,
    filter: String,
    cache: RefCell<Option<Cached>>,
}

struct Cached {
    generation: u64,
    minute: i64,
    overview: Rc<Overview>,
}

impl BackupsPane {
    /// The overview at the data's minute, judged once per minute or change.
    fn overview(&self, data: &Data) -> Rc<Overview> {
        let minute = data.now.timestamp().div_euclid(60);
        let generation = data.backups.generation;
        if let Some(c) = self.cache.borrow().as_ref() {
            if c.generation == generation && c.minute == minute {
                return c.overview.clone();
            }
        }
        let o = Rc::new(overview(&data.fleet, &data.backups.records, data.now));
        *self.cache.borrow_mut() = Some(Cached {
            generation,
            minute,
            overview: o.clone(),
        });
        o
    }

    /// Indices (in the overview) of the sources the filter keeps.
    fn visible(&self, data: &Data, o: &Overview) -> Vec<usize> {
        let f = self.filter.to_lowercase();
        (0..o.sources.len())
            .filter(|&i| {
                let src = &data.fleet.backups[o.sources[i].index];
                f.is_empty()
                    || src.id.to_lowercase().contains(&f)
                    || src.name.to_lowercase().contains(&f)
                    || src.client.to_lowercase().contains(&f)
            })
            .collect()
    }

    /// Position of the selected source among the visible ones.
    fn position(&self, data: &Data, o: &Overview, visible: &[usize]) -> usize {
        self.selected
            .as_ref()
            .and_then(|id| {
                visible
                    .iter()
                    .position(|&i| data.fleet.backups[o.sources[i].index].id == *id)
            })
            .unwrap_or(0)
    }

    fn select_at(&mut self, data: &Data, o: &Overview, visible: &[usize], pos: usize) {
        if let Some(&i) = visible.get(pos.min(visible.len().saturating_sub(1))) {
            self.selected = Some(data.fleet.backups[o.sources[i].index].id.clone());
        }
    }

    /// The month shown: the cursor's, or `months_back` before now's (in
    /// the selected source's timezone).
    fn month(&self, today: NaiveDate) -> (i32, u32) {
        if let Some(d) = self.day {
            return (d.year(), d.month());
        }
        let first = today.with_day(1).unwrap_or(today);
        let m = first
            .checked_sub_months(Months::new(self.months_back))
            .unwrap_or(first);
        (m.year(), m.month())
    }
}

impl Pane for BackupsPane {
    fn id(&self) -> PaneId {
        PaneId::Backups
    }

    fn handle(&mut self, action: Action, data: &Data) -> Handled {
        let o = self.overview(data);
        let visible = self.visible(data, &o);
        let pos = self.position(data, &o, &visible);
        let today = visible
            .get(pos)
            .map(|&i| data.now.with_timezone(&o.sources[i].tz).date_naive())
            .unwrap_or_else(|| data.now.date_naive());
        let step_day = |d: NaiveDate, days: i64| {
            let n = d + TimeDelta::days(days);
            if n > today { d } else { n }
        };
        match (action, self.day) {
            (Action::Select, None) => {
                let (y, m) = self.month(today);
                let last = NaiveDate::from_ymd_opt(y, m, 1)
                    .and_then(|f| f.checked_add_months(Months::new(1)))
                    .and_then(|n| n.pred_opt())
                    .unwrap_or(today);
                self.day = Some(last.min(today));
            }
            (Action::Select, Some(_)) => {}
            (Action::Back, Some(_)) => {
                if let Some(d) = self.day.take() {
                    let months =
                        (today.year() - d.year()) * 12 + today.month() as i32 - d.month() as i32;
                    self.months_back = months.max(0) as u32;
                }
            }
            (Action::NextPeriod, Some(d)) => self.day = Some(step_day(d, 1)),
            (Action::PrevPeriod, Some(d)) => self.day = Some(step_day(d, -1)),
            (Action::Down, Some(d)) => self.day = Some(step_day(d, 7)),
            (Action::Up, Some(d)) => self.day = Some(step_day(d, -7)),
            (Action::PageDown, Some(d)) => {
                let n = d.checked_add_months(Months::new(1)).unwrap_or(d);
                self.day = Some(if n > today { today } else { n });
            }
            (Action::PageUp, Some(d)) => {
                self.day = Some(d.checked_sub_months(Months::new(1)).unwrap_or(d));
            }
            (Action::NextPeriod, None) => self.months_back = self.months_back.saturating_sub(1),
            (Action::PrevPeriod, None) => self.months_back = (self.months_back + 1).min(120),
            (Action::Down, None) => self.select_at(data, &o, &visible, pos + 1),
            (Action::Up, None) => self.select_at(data, &o, &visible, pos.saturating_sub(1)),
            (Action::PageDown, None) => self.select_at(data, &o, &visible, pos + 10),
            (Action::PageUp, None) => self.select_at(data, &o, &visible, pos.saturating_sub(10)),
            (Action::Top, _) => {
                self.day = None;
                self.select_at(data, &o, &visible, 0);
            }
            (Action::Bottom, _) => {
                self.day = None;
                self.select_at(data, &o, &visible, usize::MAX);
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn filter(&self) -> &str {
        &self.filter
    }

    fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_string();
    }

    fn selected(&self) -> Option<usize> {
        None
    }

    fn selected_row(&self, data: &Data) -> Option<String> {
        let o = self.overview(data);
        let visible = self.visible(data, &o);
        let pos = self.position(data, &o, &visible);
        visible
            .get(pos)
            .map(|&i| data.fleet.backups[o.sources[i].index].id.clone())
    }

    fn select_row(&mut self, row: &str, data: &Data) -> bool {
        let o = self.overview(data);
        let shown = self
            .visible(data, &o)
            .iter()
            .any(|&i| data.fleet.backups[o.sources[i].index].id == row);
        if shown {
            self.selected = Some(row.to_string());
            self.day = None;
        }
        shown
    }

    fn hints(&self) -> Vec<Action> {
        if self.day.is_some() {
            vec![Action::PrevPeriod, Action::NextPeriod, Action::Back]
        } else {
            vec![Action::Select, Action::PrevPeriod, Action::NextPeriod]
        }
    }

    fn worst(&self, data: &Data) -> Option<Status> {
        if data.fleet.backups.is_empty() {
            return None;
        }
        self.overview(data).worst()
    }

    fn alerts(&self, data: &Data, out: &mut Vec<crate::model::attention::Alert>) {
        if data.fleet.backups.is_empty() {
            return;
        }
        let o = self.overview(data);
        crate::model::attention::backup_alerts(&data.fleet, &o, data.now, out);
    }

    fn summary(&self, data: &Data) -> String {
        if data.fleet.backups.is_empty() {
            return "nothing configured".into();
        }
        let o = self.overview(data);
        let count = |s: Status| o.sources.iter().filter(|r| r.judged.status == s).count();
        let (down, degraded) = (count(Status::Down), count(Status::Degraded));
        match (down, degraded) {
            (0, 0) => format!("{} sources ok", o.sources.len()),
            (d, 0) => format!("{d} broken"),
            (0, g) => format!("{g} suspect"),
            (d, g) => format!("{d} broken, {g} suspect"),
        }
    }

    fn wall_title(&self) -> Option<&'static str> {
        Some("Backups")
    }

    /// Clients whose backups are not up, worst first (the overview's
    /// order), each with its one-line verdict.
    fn wall_lines(&self, data: &Data, n: usize) -> Vec<super::WallLine> {
        if data.fleet.backups.is_empty() {
            return Vec::new();
        }
        self.overview(data)
            .clients
            .iter()
            .filter(|c| c.status != Status::Up)
            .take(n)
            .map(|c| super::WallLine {
                status: c.status,
                text: format!(
                    "{}: {}",
                    crate::sanitize::clean(&c.name),
                    crate::sanitize::clean_short(&c.line, 80)
                ),
            })
            .collect()
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &PaneCtx) {
        let o = self.overview(ctx.data);
        let visible = self.visible(ctx.data, &o);
        let pos = self.position(ctx.data, &o, &visible);
        let view = calendar::View {
            overview: &o,
            visible: &visible,
            selected: pos,
            day: self.day,
            month: |today| self.month(today),
        };
        calendar::render(frame, area, ctx, &view);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_read_changes_the_generation_only_when_different() {
        let mut d = BackupData::default();
        assert!(!d.set(BTreeMap::new()));
        let mut m = BTreeMap::new();
        m.insert("s".to_string(), SourceRecord::default());
        assert!(d.set(m.clone()));
        assert_eq!(d.generation, 1);
        assert!(!d.set(m));
        assert_eq!(d.generation, 1);
    }
}
