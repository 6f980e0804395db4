//! One reader for every reply from outside (HTTP answers, JSON-RPC,
//! Prometheus, the tracker, webhooks, child processes, the configuration
//! file): a byte limit per kind of reply and one deadline for the whole
//! exchange, headers and body. It streams, so no more than the limit is
//! ever held, and a reply over the limit is a readable state
//! ("answer larger than 8 MiB"), never a process grown to gigabytes.

use std::io::Read;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use crate::model::words::human_duration;

/// A status page or an HTTP check's body: only its start is judged.
pub const PAGE: usize = 64 * 1024;
/// A node_exporter scrape (~100 KiB in practice).
pub const SCRAPE: usize = 8 * 1024 * 1024;
/// A Prometheus API answer (a few series per query).
pub const PROMETHEUS: usize = 8 * 1024 * 1024;
/// An Odoo JSON-RPC answer (a month of POS sessions fits well below).
pub const JSONRPC: usize = 16 * 1024 * 1024;
/// One page of a tracker's answer.
pub const TRACKER: usize = 16 * 1024 * 1024;
/// A webhook's answer: only read to say why it refused.
pub const WEBHOOK: usize = 64 * 1024;
/// A child's standard output (JSON listings of years of snapshots).
pub const CHILD_STDOUT: usize = 32 * 1024 * 1024;
/// A child's standard error (messages).
pub const CHILD_STDERR: usize = 64 * 1024;
/// The configuration file (a fleet of thousands of checks is ~1 MiB).
pub const CONFIG: usize = 4 * 1024 * 1024;

/// What to do with the bytes past the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    /// The reply is refused: [`ReadError::TooLarge`].
    Refuse,
    /// The start is kept and the rest never read (a check judges the
    /// first bytes of a page).
    Cut,
    /// The start is kept and the rest read and dropped, so a child writing
    /// to a pipe is never blocked on it.
    Skim,
}

/// Why a reply could not be read whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("answer larger than {}", size(*limit))]
    TooLarge { limit: usize },
    #[error("no answer within {}", human_duration(*deadline))]
    Late { deadline: Duration },
    /// Connection or read failure, worded without the URL (it may hold a
    /// key).
    #[error("{0}")]
    Failed(String),
}

/// The bytes read, and whether some were left out (only with
/// [`Over::Cut`] and [`Over::Skim`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Body {
    pub bytes: Vec<u8>,
    pub cut: bool,
}

/// "8 MiB", "64 KiB", "300 bytes".
pub fn size(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes % KIB == 0 {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The moment a read started with `timeout` must end.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Instant,
    timeout: Duration,
}

impl Deadline {
    pub fn after(timeout: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + timeout,
            timeout,
        }
    }

    /// Runs `work` until the deadline; past it, [`ReadError::Late`].
    pub async fn run<T>(
        &self,
        work: impl Future<Output = Result<T, ReadError>>,
    ) -> Result<T, ReadError> {
        match tokio::time::timeout_at(self.at, work).await {
            Ok(r) => r,
            Err(_) => Err(ReadError::Late {
                deadline: self.timeout,
            }),
        }
    }
}

/// An HTTP answer read whole (within its limit).
#[derive(Debug)]
pub struct Reply {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Body,
}

/// Sends `request` and reads its answer, all within `timeout`.
pub async fn fetch(
    request: reqwest::RequestBuilder,
    limit: usize,
    over: Over,
    timeout: Duration,
) -> Result<Reply, ReadError> {
    let deadline = Deadline::after(timeout);
    deadline
        .run(async {
            let mut response = send(request).await?;
            let body = body(&mut response, limit, over).await?;
            Ok(Reply {
                status: response.status(),
                headers: response.headers().clone(),
                body,
            })
        })
        .await
}

/// Sends a request: the answer's headers (run it under a [`Deadline`]
/// with the body's read).
pub async fn send(request: reqwest::RequestBuilder) -> Result<reqwest::Response, ReadError> {
    request.send().await.map_err(|e| failed(&e))
}

/// Reads an answer's body chunk by chunk, holding at most `limit` bytes.
pub async fn body(
    response: &mut reqwest::Response,
    limit: usize,
    over: Over,
) -> Result<Body, ReadError> {
    let mut body = Body::default();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(&e))? {
        if keep(&mut body, &chunk, limit, over)? {
            break;
        }
    }
    Ok(body)
}

/// Reads a stream (a child's pipe) to its end, holding at most `limit`
/// bytes; bound its time with a [`Deadline`].
pub async fn stream<R: AsyncRead + Unpin>(
    mut r: R,
    limit: usize,
    over: Over,
) -> Result<Body, ReadError> {
    let mut body = Body::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r
            .read(&mut buf)
            .await
            .map_err(|e| ReadError::Failed(e.to_string()))?;
        if n == 0 || keep(&mut body, &buf[..n], limit, over)? {
            return Ok(body);
        }
    }
}

/// Reads a local file or device (the configuration) up to `limit` bytes;
/// a longer one is refused without reading past the limit.
pub fn file<R: Read>(r: R, limit: usize) -> std::io::Result<Result<Vec<u8>, ReadError>> {
    let mut bytes = Vec::new();
    r.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    Ok(if bytes.len() > limit {
        Err(ReadError::TooLarge { limit })
    } else {
        Ok(bytes)
    })
}

/// Adds `chunk` to `body` within `limit`; `true` when reading must stop.
fn keep(body: &mut Body, chunk: &[u8], limit: usize, over: Over) -> Result<bool, ReadError> {
    let room = limit.saturating_sub(body.bytes.len());
    if chunk.len() <= room {
        body.bytes.extend_from_slice(chunk);
        return Ok(false);
    }
    match over {
        Over::Refuse => Err(ReadError::TooLarge { limit }),
        Over::Cut | Over::Skim => {
            body.bytes.extend_from_slice(&chunk[..room]);
            body.cut = true;
            Ok(over == Over::Cut)
        }
    }
}

/// A request's failure with its causes ("connection refused"), never its
/// URL.
fn failed(e: &reqwest::Error) -> ReadError {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "connection failed".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.ends_with(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    ReadError::Failed(crate::sanitize::clean_short(&text, 160))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_the_largest_whole_unit() {
        // (bytes, shown)
        for (b, s) in [
            (8 * 1024 * 1024, "8 MiB"),
            (64 * 1024, "64 KiB"),
            (1500, "1500 bytes"),
        ] {
            assert_eq!(size(b), s);
        }
        assert_eq!(
            ReadError::TooLarge { limit: SCRAPE }.to_string(),
            "answer larger than 8 MiB"
        );
    }

    #[test]
    fn each_policy_treats_the_bytes_past_the_limit_its_way() {
        // (policy, result of 3 chunks of 4 bytes with a limit of 6)
        let run = |over| {
            let mut body = Body::default();
            for _ in 0..3 {
                if keep(&mut body, b"abcd", 6, over)? {
                    break;
                }
            }
            Ok::<_, ReadError>(body)
        };
        assert_eq!(run(Over::Refuse), Err(ReadError::TooLarge { limit: 6 }));
        for over in [Over::Cut, Over::Skim] {
            let body = run(over).unwrap();
            assert_eq!((body.bytes.as_slice(), body.cut), (&b"abcdab"[..], true));
        }
    }

    #[test]
    fn a_file_past_the_limit_is_refused_without_reading_it_all() {
        let zero = std::fs::File::open("/dev/zero").unwrap();
        assert_eq!(
            file(zero, 1024).unwrap(),
            Err(ReadError::TooLarge { limit: 1024 })
        );
        assert_eq!(file(&b"short"[..], 1024).unwrap().unwrap(), b"short");
    }

    #[tokio::test]
    async fn a_stream_that_never_ends_stops_at_the_deadline() {
        let (_keep_open, rx) = tokio::io::duplex(64);
        let deadline = Deadline::after(Duration::from_millis(50));
        let r = deadline.run(stream(rx, 1024, Over::Refuse)).await;
        assert_eq!(
            r,
            Err(ReadError::Late {
                deadline: Duration::from_millis(50)
            })
        );
    }
}
