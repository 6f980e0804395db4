//! Small text pieces of the Health list: sparklines, percentages judged
//! against thresholds, availability against a target.

use crate::model::{CheckKind, Host, Status, Threshold, Thresholds};

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` points as block characters scaled to their maximum; a
/// minute without an answer is a space.
pub fn sparkline(points: &[Option<f64>], width: usize) -> String {
    let tail = &points[points.len().saturating_sub(width)..];
    let max = tail.iter().flatten().copied().fold(0.0_f64, f64::max);
    let mut out = String::with_capacity(width * 3);
    for _ in tail.len()..width {
        out.push(' ');
    }
    for p in tail {
        match p {
            Some(v) if max > 0.0 => {
                let i = ((v / max) * (BARS.len() - 1) as f64).round() as usize;
                out.push(BARS[i.min(BARS.len() - 1)]);
            }
            Some(_) => out.push(BARS[0]),
            None => out.push(' '),
        }
    }
    out
}

/// The thresholds that judge a host's figures: its node or Prometheus
/// check's, else the defaults.
pub fn host_thresholds(host: &Host) -> Thresholds {
    host.checks
        .iter()
        .find_map(|c| match &c.kind {
            CheckKind::NodeExporter { thresholds, .. } => Some(thresholds.clone()),
            CheckKind::Prometheus(p) => Some(p.thresholds.clone()),
            _ => None,
        })
        .unwrap_or_else(Thresholds::host_defaults)
}

/// "45%" and its state under the threshold of `metric`.
pub fn percent(value: Option<f64>, thresholds: &Thresholds, metric: &str) -> (String, Status) {
    match value {
        None => ("—".into(), Status::Unknown),
        Some(v) => {
            let status = thresholds.get(metric).map_or(Status::Up, |t| t.judge(v));
            (format!("{:.0}%", v.clamp(0.0, 999.0)), status)
        }
    }
}

/// "42d" and its state under the check's certificate thresholds.
pub fn cert_days(days: Option<f64>, host: &Host) -> (String, Status) {
    let Some(d) = days else {
        return ("—".into(), Status::Unknown);
    };
    let (warn, crit) = host
        .checks
        .iter()
        .find_map(|c| match &c.kind {
            CheckKind::Http(h) if h.url.starts_with("https://") => {
                Some((h.tls_warn_days, h.tls_crit_days))
            }
            _ => None,
        })
        .unwrap_or((21, 7));
    let t = Threshold::below("tls_days_left", f64::from(warn), f64::from(crit));
    let text = if d < 0.0 {
        "expired".to_string()
    } else {
        format!("{:.0}d", d.floor())
    };
    (text, t.judge(d))
}

/// "99.95%" with the state against the target: under target is down (a
/// credit is owed), within 0.1 point above it degraded.
pub fn availability(value: Option<f64>, target: Option<f64>) -> (String, Status) {
    let Some(v) = value else {
        return ("—".into(), Status::Unknown);
    };
    let text = if v >= 99.995 {
        "100%".to_string()
    } else {
        format!("{:.2}%", (v * 100.0).floor() / 100.0)
    };
    let status = match target {
        Some(t) if v < t => Status::Down,
        Some(t) if v < t + 0.05 => Status::Degraded,
        _ => Status::Up,
    };
    (text, status)
}

/// "<1 ms", "42 ms", "1.2 s".
pub fn latency(ms: Option<u32>) -> String {
    match ms {
        None => "—".into(),
        Some(0) => "<1 ms".into(),
        Some(l) if l < 1_000 => format!("{l} ms"),
        Some(l) => format!("{:.1} s", f64::from(l) / 1000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparklines_scale_to_their_maximum_and_show_gaps() {
        let pts = [Some(10.0), Some(20.0), None, Some(40.0)];
        assert_eq!(sparkline(&pts, 4), "▃▅ █");
        assert_eq!(sparkline(&pts, 6), "  ▃▅ █");
        assert_eq!(sparkline(&pts, 2), " █");
        assert_eq!(sparkline(&[], 3), "   ");
    }

    #[test]
    fn availability_is_judged_against_the_target_and_never_rounded_up() {
        assert_eq!(availability(Some(99.999), Some(99.9)).0, "100%");
        assert_eq!(
            availability(Some(99.899), Some(99.9)),
            ("99.89%".into(), Status::Down)
        );
        assert_eq!(availability(Some(99.92), Some(99.9)).1, Status::Degraded);
        assert_eq!(availability(Some(99.99), Some(99.9)).1, Status::Up);
        assert_eq!(availability(None, Some(99.9)).1, Status::Unknown);
    }

    #[test]
    fn latencies_read_in_the_right_unit() {
        assert_eq!(latency(Some(0)), "<1 ms");
        assert_eq!(latency(Some(42)), "42 ms");
        assert_eq!(latency(Some(1_250)), "1.2 s");
        assert_eq!(latency(None), "—");
    }
}
