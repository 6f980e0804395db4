//! Vigie's own dependencies never hold an older copy of a crate next to a
//! newer one another dependency already brings (`cargo tree -d`): two
//! versions of one crate double its build time and its audit.

use std::collections::BTreeMap;

/// Versions of each crate in Cargo.lock, by name.
type Locked = BTreeMap<String, Vec<String>>;

/// Versions of each crate in Cargo.lock, and the versions Vigie itself
/// names (Cargo.lock writes `name version` only when several versions
/// of `name` are locked).
fn lock() -> (Locked, Vec<(String, String)>) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .expect("Cargo.lock is committed beside Cargo.toml");
    let lock: toml::Table = text.parse().expect("Cargo.lock is TOML");
    let packages = lock["package"].as_array().expect("[[package]] entries");
    let mut versions = Locked::new();
    let mut own = Vec::new();
    for p in packages {
        let name = p["name"].as_str().unwrap_or_default().to_string();
        let version = p["version"].as_str().unwrap_or_default().to_string();
        if name == "vigie" {
            for d in p
                .get("dependencies")
                .and_then(|d| d.as_array())
                .into_iter()
                .flatten()
            {
                if let Some((n, v)) = d.as_str().and_then(|d| d.split_once(' ')) {
                    own.push((n.to_string(), v.to_string()));
                }
            }
        }
        versions.entry(name).or_default().push(version);
    }
    (versions, own)
}

fn numbers(v: &str) -> Vec<u64> {
    v.split(['.', '-', '+'])
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

#[test]
fn vigie_names_the_newest_locked_version_of_each_duplicated_crate() {
    let (versions, own) = lock();
    let stale: Vec<String> = own
        .iter()
        .filter_map(|(name, mine)| {
            let newest = versions.get(name)?.iter().max_by_key(|v| numbers(v))?;
            (numbers(newest) > numbers(mine)).then(|| format!("{name} {mine} (locked: {newest})"))
        })
        .collect();
    assert!(
        stale.is_empty(),
        "Vigie asks for older copies of crates its dependencies already bring: {stale:?}"
    );
}
