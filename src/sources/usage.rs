//! Reads one usage meter for one day from its source: the client's Odoo,
//! a command over SSH whose output is a number, or a Prometheus query.
//! Every failure is a readable cause (the day becomes a gap), never a zero.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::odoo::{self, OdooApi};
use super::{prometheus, ssh};
use crate::model::usage::{Meter, MeterSource, Reading, ReadingKind};

/// A cause from outside, cleaned and kept short for the store and screen.
fn sanitize_cause(s: &str) -> String {
    crate::sanitize::clean_short(s, 160)
}

/// What a meter read for a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterRead {
    pub reading: Reading,
    /// Identities of the active users, when the source names them.
    pub users: Vec<String>,
}

/// What the sources need: the HTTP client, SSH options, a time limit, and
/// the client's Odoo when it has one (`Err` when its key cannot be read).
pub struct UsageContext<'a> {
    pub http: &'a reqwest::Client,
    pub ssh: &'a ssh::Options,
    pub timeout: Duration,
    pub odoo: Option<Result<&'a dyn OdooApi, String>>,
    /// The login Vigie reads Odoo with, left out of the active users.
    pub odoo_login: &'a str,
}

/// Output kept from a command: a number fits in far less.
const OUTPUT_LIMIT: usize = 4096;

/// Reads `meter` for the local day spanning `[from, to)`.
pub async fn read(
    cx: &UsageContext<'_>,
    meter: Meter,
    source: &MeterSource,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<MeterRead, String> {
    match source {
        MeterSource::Odoo => {
            let api = match &cx.odoo {
                Some(Ok(api)) => *api,
                Some(Err(e)) => return Err(e.clone()),
                None => return Err("no Odoo configured for this client".into()),
            };
            read_odoo(api, cx.odoo_login, meter, from, to)
                .await
                .map_err(|e| sanitize_cause(&e.to_string()))
        }
        MeterSource::Command {
            host,
            target,
            command,
            reading,
        } => {
            let Some(target) = target else {
                return Err(format!("no SSH settings for host {host}"));
            };
            let out = ssh::run_command(
                target.clone(),
                cx.ssh.clone(),
                command.clone(),
                OUTPUT_LIMIT,
                cx.timeout,
            )
            .await
            .map_err(|e| sanitize_cause(&e.to_string()))?;
            if out.exit_status != 0 || out.signal.is_some() {
                let err = String::from_utf8_lossy(&out.stderr);
                let first = err.lines().map(str::trim).find(|l| !l.is_empty());
                return Err(sanitize_cause(&format!(
                    "command exited with status {}{}",
                    out.exit_status,
                    first.map(|l| format!(": {l}")).unwrap_or_default()
                )));
            }
            let value = number(&String::from_utf8_lossy(&out.stdout))?;
            Ok(MeterRead {
                reading: reading.reading(value),
                users: Vec::new(),
            })
        }
        MeterSource::Prometheus {
            url,
            query,
            reading,
        } => {
            // A day already over is read as it stood at its end.
            let at = (to <= Utc::now()).then_some(to);
            let series = prometheus::query_at(cx.http, url, query, at)
                .await
                .map_err(|e| sanitize_cause(&e))?;
            if series.is_empty() {
                return Err("the query answered no series".into());
            }
            let sum: f64 = series.iter().map(|s| s.value).sum();
            if !sum.is_finite() || sum < 0.0 {
                return Err(format!("the query answered {sum}, expected a count"));
            }
            Ok(MeterRead {
                reading: reading.reading(sum.round() as u64),
                users: Vec::new(),
            })
        }
    }
}

async fn read_odoo(
    api: &dyn OdooApi,
    login: &str,
    meter: Meter,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<MeterRead, odoo::OdooError> {
    Ok(match meter {
        Meter::ActiveUsers => {
            let ids = odoo::usage::active_users(api, from, to, login).await?;
            MeterRead {
                reading: Reading::Day(ids.len() as u64),
                users: ids.iter().map(i64::to_string).collect(),
            }
        }
        Meter::Documents => MeterRead {
            reading: ReadingKind::Level.reading(odoo::usage::documents_bytes(api).await?),
            users: Vec::new(),
        },
        Meter::Emails | Meter::Sms => MeterRead {
            reading: Reading::Day(odoo::usage::sent(api, meter, from, to).await?),
            users: Vec::new(),
        },
    })
}

/// The first word of the output as a whole number (`du -sb` prints the
/// size, a tab, then the path).
pub fn number(output: &str) -> Result<u64, String> {
    let word = output.split_whitespace().next().unwrap_or("");
    word.parse::<u64>().map_err(|_| {
        if word.is_empty() {
            "the command printed nothing, expected a number".to_string()
        } else {
            sanitize_cause(&format!("the command printed '{word}', expected a number"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn command_output_is_read_as_its_first_number() {
        let cases: [(&str, Result<u64, &str>); 6] = [
            ("12345\n", Ok(12345)),
            ("20480\t/srv/documents\n", Ok(20480)),
            ("  7  ", Ok(7)),
            ("", Err("the command printed nothing, expected a number")),
            ("-3", Err("the command printed '-3', expected a number")),
            (
                "\u{1b}[31m9",
                Err("the command printed '␛[31m9', expected a number"),
            ),
        ];
        for (out, want) in cases {
            assert_eq!(number(out), want.map_err(String::from), "{out:?}");
        }
    }
}
