//! How late checks start against their schedule: a histogram with one
//! bucket per millisecond up to a second, so percentiles are cheap to read
//! and recording never allocates.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const BUCKETS: usize = 1_001;

/// Lateness of check starts; the last bucket holds a second or more.
pub struct Lateness {
    buckets: Box<[AtomicU64]>,
}

impl Default for Lateness {
    fn default() -> Lateness {
        Lateness {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl Lateness {
    pub fn record(&self, late: Duration) {
        let ms = usize::try_from(late.as_millis()).unwrap_or(usize::MAX);
        if let Some(b) = self.buckets.get(ms.min(BUCKETS - 1)) {
            b.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// The lateness under which `p` (0 to 1) of the starts were, rounded up
    /// to the millisecond; a second means "a second or more".
    pub fn percentile(&self, p: f64) -> Option<Duration> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let want = ((total as f64) * p.clamp(0.0, 1.0)).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (ms, b) in self.buckets.iter().enumerate() {
            seen += b.load(Ordering::Relaxed);
            if seen >= want {
                return Some(Duration::from_millis(ms as u64));
            }
        }
        Some(Duration::from_millis(BUCKETS as u64 - 1))
    }

    pub fn reset(&self) {
        for b in self.buckets.iter() {
            b.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_buckets() {
        let l = Lateness::default();
        assert_eq!(l.percentile(0.99), None);
        for ms in 0..100 {
            l.record(Duration::from_millis(ms));
        }
        l.record(Duration::from_secs(5));
        assert_eq!(l.count(), 101);
        assert_eq!(l.percentile(0.5), Some(Duration::from_millis(50)));
        assert_eq!(l.percentile(0.99), Some(Duration::from_millis(99)));
        assert_eq!(l.percentile(1.0), Some(Duration::from_millis(1000)));
    }
}
