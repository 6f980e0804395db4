//! libpq's password file (`~/.pgpass`, or `$PGPASSFILE`): lines of
//! `host:port:database:user:password`, `*` matching anything, `\` escaping
//! `:` and `\`. Read only when the check names no password of its own.

use std::path::PathBuf;

/// Who is connecting where, as the file's fields compare them.
#[derive(Debug, Clone, PartialEq)]
pub struct Target<'a> {
    pub host: &'a str,
    pub port: u16,
    pub database: &'a str,
    pub user: &'a str,
}

/// The password of the first line matching `t`, as libpq picks it.
pub fn lookup(text: &str, t: &Target<'_>) -> Option<String> {
    let port = t.port.to_string();
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(fields)
        .find(|f| {
            let want = [t.host, port.as_str(), t.database, t.user];
            f[..4]
                .iter()
                .zip(want)
                .all(|(got, w)| got == "*" || got == w)
        })
        .map(|f| f[4].clone())
        .filter(|p| !p.is_empty())
}

/// The five fields of a line (the password may hold unescaped `:` too,
/// as libpq reads it); `None` for a short line.
fn fields(line: &str) -> Option<Vec<String>> {
    let mut out = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    out.last_mut()?.push(n);
                }
            }
            ':' if out.len() < 5 => out.push(String::new()),
            c => out.last_mut()?.push(c),
        }
    }
    (out.len() == 5).then_some(out)
}

/// Where the file is: `$PGPASSFILE`, else `$HOME/.pgpass`.
pub fn path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(p) = env("PGPASSFILE").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    env("HOME").map(|h| PathBuf::from(h).join(".pgpass"))
}

/// The password for `t` from the file, if it exists and matches; a file
/// others may read is refused (libpq ignores it too) and said.
pub fn read(
    t: &Target<'_>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<String>, String> {
    let Some(path) = path(env) else {
        return Ok(None);
    };
    if !path.exists() {
        return Ok(None);
    }
    crate::secret::check_owner_only(&path)?;
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {}: {e}",
            crate::sanitize::clean(&path.display().to_string())
        )
    })?;
    Ok(lookup(&text, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Target<'static> = Target {
        host: "db1",
        port: 5432,
        database: "postgres",
        user: "monitor",
    };

    #[test]
    fn the_first_matching_line_wins_and_stars_match_anything() {
        let text = "# comment\nother:5432:*:monitor:no\ndb1:*:*:monitor:s3cret\n*:*:*:*:late";
        assert_eq!(lookup(text, &T).as_deref(), Some("s3cret"));
        assert_eq!(lookup("*:*:*:*:any", &T).as_deref(), Some("any"));
        assert_eq!(lookup("db1:5433:*:*:wrong port", &T), None);
    }

    #[test]
    fn escapes_and_colons_in_the_password_read_as_libpq_reads_them() {
        assert_eq!(
            lookup("db1:5432:postgres:monitor:a\\:b:c\\\\d", &T).as_deref(),
            Some("a:b:c\\d")
        );
        assert_eq!(lookup("db1:5432:postgres", &T), None);
    }
}
