//! Reading Nagios plugin output: 10,000 perfdata lines of the shapes real
//! plugins print (quoted labels, units, thresholds with ranges, min/max,
//! several figures a line, some garbage), each parsed alone, and the same
//! lines as one multi-line plugin output.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use vigie::model::perfdata;

const LINES: usize = 10_000;

fn lines() -> Vec<String> {
    (0..LINES)
        .map(|i| match i % 5 {
            0 => format!("time={}.{:03}s;;;0.000000;10.000000", i % 3, i % 1000),
            1 => format!("'/var/lib/{i}'={i}MB;5948;5958;0;5968 '/boot'=68MB;88;93;0;98"),
            2 => format!(
                "rta={}ms;100.000;500.000;0; pl={}%;20;60;0;100",
                i % 50,
                i % 7
            ),
            3 => format!(
                "load1={}.5;@10:20;~:30;0; procs={i};:250;:400 in_bytes={i}c",
                i % 4
            ),
            _ => format!("users={} junk 'it''s'={}KB;10:;;; bad=U", i % 9, i),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let lines = lines();
    let mut output = String::from("OK - many figures | first=1\n");
    for l in &lines {
        let _ = writeln!(output, "{l}");
    }
    // One multi-line output: every line after the first is long text
    // until a `|`, so put one on the second line.
    output.insert_str(output.find('\n').map_or(0, |n| n + 1), "long text | ");
    let figures: usize = lines.iter().map(|l| perfdata::parse(l).values.len()).sum();
    println!("{LINES} lines, {figures} figures");
    c.bench_function("perfdata_10000_lines", |b| {
        b.iter(|| {
            let mut n = 0;
            for l in &lines {
                n += perfdata::parse(black_box(l)).values.len();
            }
            n
        })
    });
    c.bench_function("plugin_output_10000_lines", |b| {
        b.iter(|| {
            perfdata::plugin_output(black_box(&output))
                .perf
                .values
                .len()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
