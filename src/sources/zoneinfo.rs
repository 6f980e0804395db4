//! The system's tzdata: TZif files under `/usr/share/zoneinfo` (or
//! `$TZDIR`), read for the zones the configuration names and installed as
//! the rules of `model::tz`. A zone the system lacks, or whose file is
//! unreadable, keeps the rules embedded at build time.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono_tz::Tz;

use crate::model::tz::{self, ZoneTable};
use crate::model::tzif::ZoneRules;
use crate::sources::bounded;

/// Where Debian keeps tzdata.
pub const SYSTEM_DIR: &str = "/usr/share/zoneinfo";

/// A TZif file is a few KiB; anything past this is not one.
const TZIF_LIMIT: usize = 256 * 1024;

/// The tzdata directory: `$TZDIR` (as glibc reads it) or [`SYSTEM_DIR`].
pub fn system_dir() -> PathBuf {
    std::env::var_os("TZDIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from(SYSTEM_DIR), PathBuf::from)
}

/// The rules of `zones` found in `dir`; zones without a readable TZif file
/// there are left out (they keep the embedded rules).
pub fn load(dir: &Path, zones: impl IntoIterator<Item = Tz>) -> ZoneTable {
    let mut table = ZoneTable::new();
    for zone in zones {
        let name = zone.name();
        // IANA names are relative paths of letters, digits, `_+-/`; nothing
        // here can climb out of `dir`.
        if name
            .split('/')
            .any(|part| part.is_empty() || part.starts_with('.'))
        {
            continue;
        }
        let Ok(file) = std::fs::File::open(dir.join(name)) else {
            continue;
        };
        let Ok(Ok(bytes)) = bounded::file(file, TZIF_LIMIT) else {
            continue;
        };
        match ZoneRules::parse(&bytes) {
            Ok(rules) => {
                table.insert(name.to_string(), Arc::new(rules));
            }
            Err(e) => tracing::warn!(
                zone = name,
                "system tzdata unreadable, embedded rules kept: {e}"
            ),
        }
    }
    table
}

/// Loads `zones` from the system's tzdata and installs them for
/// `model::tz`; answers how many were found.
pub fn install_system(zones: impl IntoIterator<Item = Tz>) -> usize {
    let table = load(&system_dir(), zones);
    let n = table.len();
    tz::install(table);
    n
}
