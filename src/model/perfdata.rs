//! What a Nagios plugin prints, read as the Monitoring Plugins guidelines
//! describe it: a first line (`TEXT | PERFDATA`), optional long text, and
//! performance data that may continue on the lines after the long text's
//! `|`. Each figure is `'label'=value[UOM];[warn];[crit];[min];[max]`.
//!
//! Plugins are written by anyone: whatever does not parse is counted and
//! skipped, never fatal.

/// The unit a figure is measured in, after scaling to the base unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// No unit: a plain number (a count of processes, a load).
    Number,
    /// Seconds (`s`, `ms`, `us` scaled to seconds).
    Seconds,
    /// Percent (`%`).
    Percent,
    /// Bytes (`B`, `KB`, `MB`, `GB`, `TB`, by powers of 1024 as the
    /// plugins compute them).
    Bytes,
    /// A continuous counter (`c`): only its rate means something.
    Counter,
    /// A unit the guidelines do not name (kept unscaled).
    Other,
}

impl Unit {
    /// The unit and the factor to its base, from the UOM as written.
    fn of(uom: &str) -> (Unit, f64) {
        const K: f64 = 1024.0;
        match uom {
            "" => (Unit::Number, 1.0),
            "s" => (Unit::Seconds, 1.0),
            "ms" => (Unit::Seconds, 1e-3),
            "us" => (Unit::Seconds, 1e-6),
            "%" => (Unit::Percent, 1.0),
            "B" => (Unit::Bytes, 1.0),
            "KB" => (Unit::Bytes, K),
            "MB" => (Unit::Bytes, K * K),
            "GB" => (Unit::Bytes, K * K * K),
            "TB" => (Unit::Bytes, K * K * K * K),
            "c" => (Unit::Counter, 1.0),
            _ => (Unit::Other, 1.0),
        }
    }
}

impl Unit {
    /// The metric base name figures in this unit are stored under.
    pub fn metric_base(self) -> &'static str {
        use super::metric::names;
        match self {
            Unit::Number | Unit::Other => names::PERF,
            Unit::Seconds => names::PERF_SECONDS,
            Unit::Percent => names::PERF_PCT,
            Unit::Bytes => names::PERF_BYTES,
            Unit::Counter => names::PERF_COUNTER,
        }
    }
}

/// A Nagios threshold range: `10` (alert outside 0..10), `10:` (below
/// 10), `~:10` (above 10), `10:20` (outside), `@10:20` (inside).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub start: f64,
    pub end: f64,
    /// `@`: the alert is inside the range rather than outside.
    pub inside: bool,
}

impl Range {
    /// Parses a range as written; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Range> {
        let (inside, body) = match text.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (start, end) = match body.split_once(':') {
            None => (0.0, number(body)?),
            Some((s, e)) => {
                let start = match s {
                    "~" => f64::NEG_INFINITY,
                    "" => 0.0,
                    s => number(s)?,
                };
                let end = if e.is_empty() {
                    f64::INFINITY
                } else {
                    number(e)?
                };
                (start, end)
            }
        };
        (start <= end).then_some(Range { start, end, inside })
    }

    /// Whether `value` raises the alert this range stands for.
    pub fn alerts(&self, value: f64) -> bool {
        let within = self.start <= value && value <= self.end;
        within == self.inside
    }
}

/// One figure of performance data, scaled to its unit's base.
#[derive(Debug, Clone, PartialEq)]
pub struct PerfValue {
    /// The label as written (quotes removed, `''` read as `'`).
    pub label: String,
    pub value: f64,
    pub unit: Unit,
    pub warn: Option<Range>,
    pub crit: Option<Range>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Performance data read from some text: the figures, and how many items
/// could not be read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PerfData {
    pub values: Vec<PerfValue>,
    pub skipped: usize,
}

/// A plugin's output, split as the guidelines say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PluginOutput {
    /// The first line's text, before its `|` (trimmed, not sanitized).
    pub summary: String,
    pub perf: PerfData,
}

/// Splits a plugin's standard output into its summary and performance
/// data (first line after `|`, then, once a later line has a `|`, the rest
/// of that line and every line after it).
pub fn plugin_output(text: &str) -> PluginOutput {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    let (summary, mut perf_text) = match first.split_once('|') {
        Some((s, p)) => (s, vec![p]),
        None => (first, Vec::new()),
    };
    let mut in_perf = false;
    for line in lines {
        if in_perf {
            perf_text.push(line);
        } else if let Some((_, p)) = line.split_once('|') {
            in_perf = true;
            perf_text.push(p);
        }
    }
    let mut perf = PerfData::default();
    for chunk in perf_text {
        parse_into(chunk, &mut perf);
    }
    PluginOutput {
        summary: summary.trim().to_string(),
        perf,
    }
}

/// Reads every figure of one perfdata string (space-separated items).
pub fn parse(text: &str) -> PerfData {
    let mut out = PerfData::default();
    parse_into(text, &mut out);
    out
}

fn parse_into(text: &str, out: &mut PerfData) {
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (item, after) = next_item(rest);
        match item {
            Some(v) => out.values.push(v),
            None => out.skipped += 1,
        }
        rest = after.trim_start();
    }
}

/// One item from the start of `text` (which is not blank), and what
/// follows it. An item that does not read is `None`; the rest starts at
/// the next space.
fn next_item(text: &str) -> (Option<PerfValue>, &str) {
    let skip_word = |t: &str| -> usize { t.find(char::is_whitespace).unwrap_or(t.len()) };
    let (label, after_label) = if let Some(quoted) = text.strip_prefix('\'') {
        match quoted_label(quoted) {
            Some((label, rest)) => (label, rest),
            None => return (None, ""),
        }
    } else {
        let end = text
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(text.len());
        (text[..end].to_string(), &text[end..])
    };
    let Some(data) = after_label.strip_prefix('=') else {
        let n = skip_word(after_label);
        return (None, &after_label[n..]);
    };
    let n = skip_word(data);
    let (word, rest) = data.split_at(n);
    (figure(label, word), rest)
}

/// A quoted label (after its opening quote): up to the quote followed by
/// `=`, with `''` standing for one quote.
fn quoted_label(text: &str) -> Option<(String, &str)> {
    let mut label = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\'' {
            label.push(c);
            continue;
        }
        if let Some((_, '\'')) = chars.peek() {
            label.push('\'');
            chars.next();
            continue;
        }
        return Some((label, &text[i + 1..]));
    }
    None
}

/// `value[UOM];warn;crit;min;max` for `label`.
fn figure(label: String, word: &str) -> Option<PerfValue> {
    if label.is_empty() {
        return None;
    }
    let mut fields = word.split(';');
    let value_uom = fields.next()?;
    let split = value_uom
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(value_uom.len());
    let (num, uom) = value_uom.split_at(split);
    let value = number(num)?;
    if !uom.chars().all(|c| c.is_ascii_alphabetic() || c == '%') {
        return None;
    }
    let (unit, scale) = Unit::of(uom);
    let mut range = |scale: f64| -> Option<Option<Range>> {
        match fields.next() {
            None | Some("") => Some(None),
            Some(t) => Range::parse(t).map(|r| {
                Some(Range {
                    start: r.start * scale,
                    end: r.end * scale,
                    inside: r.inside,
                })
            }),
        }
    };
    let warn = range(scale)?;
    let crit = range(scale)?;
    let mut bound = || -> Option<Option<f64>> {
        match fields.next() {
            None | Some("") => Some(None),
            Some(t) => number(t).map(|n| Some(n * scale)),
        }
    };
    let min = bound()?;
    let max = bound()?;
    Some(PerfValue {
        label,
        value: value * scale,
        unit,
        warn,
        crit,
        min,
        max,
    })
}

/// A finite decimal number (`U`, NaN and infinities are not figures).
fn number(text: &str) -> Option<f64> {
    let looks_numeric = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if !looks_numeric {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Option<PerfValue> {
        let p = parse(text);
        (p.values.len() == 1 && p.skipped == 0).then(|| p.values[0].clone())
    }

    fn r(start: f64, end: f64, inside: bool) -> Option<Range> {
        Some(Range { start, end, inside })
    }

    #[test]
    fn figures_read_with_their_units_scaled() {
        // (text, label, value, unit)
        let cases = [
            ("time=0.5s", "time", 0.5, Unit::Seconds),
            ("rta=12ms", "rta", 0.012, Unit::Seconds),
            ("lat=250us", "lat", 0.000_25, Unit::Seconds),
            ("pl=0%", "pl", 0.0, Unit::Percent),
            ("size=2048B", "size", 2048.0, Unit::Bytes),
            ("size=2KB", "size", 2048.0, Unit::Bytes),
            ("size=3MB", "size", 3.0 * 1024.0 * 1024.0, Unit::Bytes),
            ("size=1GB", "size", 1024f64.powi(3), Unit::Bytes),
            ("size=1TB", "size", 1024f64.powi(4), Unit::Bytes),
            ("bytes_in=123456c", "bytes_in", 123_456.0, Unit::Counter),
            ("procs=42", "procs", 42.0, Unit::Number),
            ("load1=-1.5", "load1", -1.5, Unit::Number),
            ("x=1e3", "x", 1000.0, Unit::Number),
            ("speed=3Mbps", "speed", 3.0, Unit::Other),
            (
                "'label with spaces'=7ms",
                "label with spaces",
                0.007,
                Unit::Seconds,
            ),
            ("'it''s'=1", "it's", 1.0, Unit::Number),
            ("'/var/lib'=80%", "/var/lib", 80.0, Unit::Percent),
        ];
        for (text, label, value, unit) in cases {
            let v = one(text).unwrap_or_else(|| panic!("{text} did not read"));
            assert_eq!(v.label, label, "{text}");
            assert!((v.value - value).abs() < 1e-12, "{text}: {}", v.value);
            assert_eq!(v.unit, unit, "{text}");
        }
    }

    #[test]
    fn warn_crit_min_max_read_as_ranges_and_bounds() {
        // (text, warn, crit, min, max)
        let cases = [
            ("a=1;;;;", None, None, None, None),
            (
                "a=1;5;10",
                r(0.0, 5.0, false),
                r(0.0, 10.0, false),
                None,
                None,
            ),
            (
                "a=1;;10;0;100",
                None,
                r(0.0, 10.0, false),
                Some(0.0),
                Some(100.0),
            ),
            ("a=1;10:20;", r(10.0, 20.0, false), None, None, None),
            (
                "a=1;10:;~:5",
                r(10.0, f64::INFINITY, false),
                r(f64::NEG_INFINITY, 5.0, false),
                None,
                None,
            ),
            (
                "a=1;@10:20;@~:30",
                r(10.0, 20.0, true),
                r(f64::NEG_INFINITY, 30.0, true),
                None,
                None,
            ),
            // Thresholds scale with the value's unit.
            (
                "t=5ms;100;200;0",
                r(0.0, 0.1, false),
                r(0.0, 0.2, false),
                Some(0.0),
                None,
            ),
        ];
        for (text, warn, crit, min, max) in cases {
            let v = one(text).unwrap_or_else(|| panic!("{text} did not read"));
            assert_eq!(
                (v.warn, v.crit, v.min, v.max),
                (warn, crit, min, max),
                "{text}"
            );
        }
    }

    #[test]
    fn ranges_alert_as_nagios_means_them() {
        // (range, value, alerts)
        let cases = [
            ("10", 5.0, false),
            ("10", 11.0, true),
            ("10", -1.0, true),
            ("10:", 9.0, true),
            ("10:", 10.0, false),
            ("~:5", 6.0, true),
            ("~:5", -100.0, false),
            ("10:20", 15.0, false),
            ("10:20", 25.0, true),
            ("@10:20", 15.0, true),
            ("@10:20", 25.0, false),
        ];
        for (text, value, alerts) in cases {
            let range = Range::parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(range.alerts(value), alerts, "{text} at {value}");
        }
        for bad in ["", "abc", "20:10", "@", "1:2:3", "~"] {
            assert_eq!(Range::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn garbage_is_counted_and_skipped_not_fatal() {
        // (text, figures read, items skipped)
        let cases = [
            ("", 0, 0),
            ("   ", 0, 0),
            ("garbage", 0, 1),
            ("=5", 0, 1),
            ("a=", 0, 1),
            ("a=U", 0, 1),
            ("a=NaN", 0, 1),
            ("a=inf", 0, 1),
            ("a=1;x;y", 0, 1),
            ("a=1;1;2;zero", 0, 1),
            ("'unclosed=5 b=1", 0, 1),
            ("a=1 junk b=2", 2, 1),
            ("a=1  b=2ms\tc=3%", 3, 0),
            ("\u{1b}[31m=1 ok=2", 2, 0),
            ("a=1=2", 0, 1),
        ];
        for (text, read, skipped) in cases {
            let p = parse(text);
            assert_eq!(
                (p.values.len(), p.skipped),
                (read, skipped),
                "{text:?}: {p:?}"
            );
        }
    }

    #[test]
    fn several_figures_on_a_line_keep_their_order() {
        let p = parse("'a b'=1s;2;3 c=4% 'd'=5B");
        let labels: Vec<&str> = p.values.iter().map(|v| v.label.as_str()).collect();
        assert_eq!(labels, ["a b", "c", "d"]);
    }

    #[test]
    fn perfdata_continues_after_the_long_texts_bar() {
        let out = plugin_output(
            "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n\
             / 15272 MB (77%);\n\
             /boot 68 MB (69%);\n\
             /home 69357 MB (27%); | /boot=68MB;88;93;0;98\n\
             /home=69357MB;253404;253409;0;253414\n\
             /var/log=818MB;970;975;0;980\n",
        );
        assert_eq!(out.summary, "DISK OK - free space: / 3326 MB (56%);");
        let labels: Vec<&str> = out.perf.values.iter().map(|v| v.label.as_str()).collect();
        assert_eq!(labels, ["/", "/boot", "/home", "/var/log"]);
        assert_eq!(out.perf.values[1].value, 68.0 * 1024.0 * 1024.0);
        assert_eq!(out.perf.skipped, 0);
    }

    #[test]
    fn a_plain_line_has_no_perfdata() {
        let out = plugin_output("TCP OK\nmore text\n");
        assert_eq!(out.summary, "TCP OK");
        assert!(out.perf.values.is_empty());
        assert_eq!(plugin_output("").summary, "");
    }
}
