//! A `postgres` check's own keys: a libpq URL without a password (it would
//! be shown wherever the check's target is), where the password comes
//! from, and the replicas a primary must have streaming.

use toml::Spanned;

use super::Validator;
use crate::config::raw::RawCheck;
use crate::model::alert::SecretSource;
use crate::model::postgres::{PostgresCheck, default_thresholds};

const EXAMPLE: &str = "postgresql://monitor@db1:5432/postgres";

pub(super) fn check(
    v: &mut Validator,
    raw: &RawCheck,
    url: Option<&Spanned<String>>,
) -> PostgresCheck {
    PostgresCheck {
        url: url.map(|u| u.get_ref().clone()).unwrap_or_default(),
        password: source(v, url, &raw.password_env, &raw.password_file),
        replicas: raw.replicas.as_ref().map_or(0, |r| *r.get_ref()),
        thresholds: default_thresholds(),
    }
}

/// A server's URL checked, and where its password comes from (a check's,
/// or a `wal_archive` backup source's).
pub(super) fn source(
    v: &mut Validator,
    url: Option<&Spanned<String>>,
    password_env: &Option<Spanned<String>>,
    password_file: &Option<Spanned<String>>,
) -> Option<SecretSource> {
    if let Some(u) = url {
        let text = u.get_ref();
        if let Some(problem) = url_problem(text) {
            v.error(
                u.span(),
                format!(
                    "'{}': {problem}; expected a URL like {EXAMPLE}",
                    crate::urls::masked(text)
                ),
            );
        }
    }
    match (password_env, password_file) {
        (Some(env), Some(file)) => {
            v.error(
                file.span(),
                "both `password_env` and `password_file`, expected one of them (or neither, for .pgpass)",
            );
            Some(SecretSource::Env(env.get_ref().clone()))
        }
        (Some(env), None) => Some(SecretSource::Env(env.get_ref().clone())),
        (None, Some(file)) => Some(SecretSource::File(file.get_ref().into())),
        (None, None) => None,
    }
}

/// What is wrong with a connection URL, if anything.
fn url_problem(text: &str) -> Option<String> {
    if !(text.starts_with("postgresql://") || text.starts_with("postgres://")) {
        return Some("not a postgresql:// URL".into());
    }
    let cfg: tokio_postgres::Config = match text.parse() {
        Ok(c) => c,
        Err(e) => return Some(format!("unreadable connection URL ({e})")),
    };
    if cfg.get_password().is_some() {
        return Some("a password in the URL, where it would be shown (use `password_env`, `password_file` or .pgpass)".into());
    }
    if cfg.get_hosts().is_empty() {
        return Some("no host".into());
    }
    if cfg.get_user().is_none() {
        return Some("no user (the monitoring role, like monitor@)".into());
    }
    // Only plain sessions are spoken (see `sources::postgres`); a URL that
    // demands TLS would fail at every round, so it is said here once.
    if matches!(cfg.get_ssl_mode(), tokio_postgres::config::SslMode::Require) {
        return Some("sslmode=require, but Vigie does not speak TLS to PostgreSQL yet".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::url_problem;

    #[test]
    fn urls_with_a_password_or_tls_or_no_user_are_refused() {
        assert_eq!(url_problem("postgresql://monitor@db1:5432/postgres"), None);
        assert!(
            url_problem("postgresql://monitor:pw@db1/postgres")
                .is_some_and(|p| p.contains("password in the URL"))
        );
        assert!(
            url_problem("postgresql://monitor@db1/postgres?sslmode=require")
                .is_some_and(|p| p.contains("TLS"))
        );
        assert!(url_problem("postgresql://db1/postgres").is_some_and(|p| p.contains("no user")));
        assert!(url_problem("http://db1/").is_some());
    }
}
