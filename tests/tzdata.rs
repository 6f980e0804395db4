//! Zone rules from tzdata files (TZif, as `zic` writes them), against the
//! rules embedded at build time: a zone whose rules changed after the
//! embedded tzdata follows the files; a zone the files lack keeps the
//! embedded rules.

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::America::{Montreal, Vancouver};
use chrono_tz::Europe::Paris;
use vigie::model::tz::{self, LocalReading, ZoneTable, read_in};
use vigie::sources::zoneinfo;

fn n(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn u(s: &str) -> DateTime<Utc> {
    n(s).and_utc()
}

/// A tzdata directory compiled by `zic` from a source where British
/// Columbia stays on UTC-7 all year from its 8 March 2026 spring change
/// (no fall back on 1 November 2026): a rule newer than the embedded
/// tzdata 2025b.
fn changed_tzdata(dir: &Path) {
    let source = dir.join("northamerica");
    std::fs::write(
        &source,
        "Rule\tVanc\t2007\tmax\t-\tMar\tSun>=8\t2:00\t1:00\tD\n\
         Rule\tVanc\t2007\tmax\t-\tNov\tSun>=1\t2:00\t0\tS\n\
         Zone\tAmerica/Vancouver\t-8:00\tVanc\tP%sT\t2026 Mar 8 2:00\n\
         \t\t\t-7:00\t-\tMST\n",
    )
    .unwrap();
    // In /usr/sbin, which a non-root PATH may lack.
    let zic = ["/usr/sbin/zic", "/usr/bin/zic"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("zic");
    let out = Command::new(zic)
        .arg("-d")
        .arg(dir)
        .arg(&source)
        .output()
        .expect("zic (Debian's libc-bin) compiles tzdata sources");
    assert!(
        out.status.success(),
        "zic: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_zone_changed_after_the_embedded_tzdata_follows_the_files() {
    let dir = tempfile::tempdir().unwrap();
    changed_tzdata(dir.path());
    let zones = zoneinfo::load(dir.path(), [Vancouver, Paris]);
    // Paris is not in these files: it keeps the embedded rules.
    assert_eq!(zones.keys().collect::<Vec<_>>(), ["America/Vancouver"]);
    let embedded = ZoneTable::new();
    let cases = [
        // Before the change both agree (PST, then PDT).
        ("2026-01-15 09:00", "2026-01-15 17:00", "2026-01-15 17:00"),
        ("2026-07-15 09:00", "2026-07-15 16:00", "2026-07-15 16:00"),
        // In December the files say UTC-7; the embedded rules fall back to PST.
        ("2026-12-15 09:00", "2026-12-15 16:00", "2026-12-15 17:00"),
    ];
    for (local, files, built_in) in cases {
        assert_eq!(
            read_in(&zones, Vancouver, n(local)),
            LocalReading::Single(u(files)),
            "{local} by the files"
        );
        assert_eq!(
            read_in(&embedded, Vancouver, n(local)),
            LocalReading::Single(u(built_in)),
            "{local} embedded"
        );
    }
    // The autumn fold the embedded rules still have is gone by the files.
    assert_eq!(
        read_in(&embedded, Vancouver, n("2026-11-01 01:30")),
        LocalReading::Twice(u("2026-11-01 08:30"), u("2026-11-01 09:30"))
    );
    assert_eq!(
        read_in(&zones, Vancouver, n("2026-11-01 01:30")),
        LocalReading::Single(u("2026-11-01 08:30"))
    );
    // Paris falls back to the embedded rules.
    assert_eq!(
        read_in(&zones, Paris, n("2026-12-15 09:00")),
        LocalReading::Single(u("2026-12-15 08:00"))
    );
    // Installed process-wide, `tz::instant` answers by the files.
    tz::install(zones);
    assert_eq!(
        tz::instant(Vancouver, n("2026-12-15 09:00")),
        u("2026-12-15 16:00")
    );
}

/// The machine's own tzdata read as files gives the same gaps and folds
/// as the embedded rules for zones unchanged since: the TZif reader reads
/// transitions and the POSIX footer that extends them.
#[test]
fn the_system_tzdata_reads_gaps_and_folds_like_the_embedded_rules() {
    let dir = Path::new(zoneinfo::SYSTEM_DIR);
    assert!(
        dir.join("Europe/Paris").exists(),
        "Debian's tzdata package is installed"
    );
    let zones = zoneinfo::load(dir, [Paris, Montreal]);
    assert_eq!(zones.len(), 2);
    let embedded = ZoneTable::new();
    let times = [
        "2026-03-29 01:59",
        "2026-03-29 02:00",
        "2026-03-29 02:30",
        "2026-03-29 03:00",
        "2026-10-25 02:30",
        "2026-10-25 03:00",
        "2026-03-08 02:30",
        "2026-11-01 01:30",
        // Past the last transition of a fat file (2037): the footer's rule.
        "2045-03-26 02:30",
        "2045-10-29 02:30",
        "2045-11-05 01:30",
        "1950-06-01 12:00",
    ];
    for tz in [Paris, Montreal] {
        for t in times {
            assert_eq!(
                read_in(&zones, tz, n(t)),
                read_in(&embedded, tz, n(t)),
                "{t} in {tz}"
            );
        }
    }
}
