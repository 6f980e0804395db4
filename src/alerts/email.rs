//! E-mail over SMTP (lettre, rustls): one plain-text message per page, with
//! the alert, its reason, its clients and the command that acknowledges it.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::page::Page;
use crate::model::receiver::{EmailSpec, SmtpTls};

/// An SMTP server that answers nothing for this long is given up on (the
/// page is retried from the queue).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(15);

/// An e-mail receiver with its password read.
#[derive(Clone)]
pub struct Email {
    pub name: String,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl std::fmt::Debug for Email {
    // Never prints the credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("name", &self.name)
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

impl Email {
    /// Builds the transport; `password` was read from env or an owner-only
    /// file by the caller.
    pub fn new(name: &str, spec: &EmailSpec, password: Option<String>) -> Result<Email, String> {
        let at = |e: String| format!("receiver '{name}': {e}");
        let builder = match spec.tls {
            SmtpTls::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&spec.server)
                .map_err(|e| at(format!("TLS for {}: {e}", spec.server)))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&spec.server)
                .map_err(|e| at(format!("TLS for {}: {e}", spec.server)))?,
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&spec.server),
        };
        let mut builder = builder.port(spec.port).timeout(Some(SMTP_TIMEOUT));
        if let (Some(user), Some(pass)) = (&spec.username, password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass));
        }
        let from = spec
            .from
            .parse::<Mailbox>()
            .map_err(|e| at(format!("from: {e}")))?;
        let to = spec
            .to
            .iter()
            .map(|t| t.parse::<Mailbox>().map_err(|e| at(format!("to: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Email {
            name: name.to_string(),
            transport: builder.build(),
            from,
            to,
        })
    }

    /// The message a page becomes.
    pub fn message(&self, page: &Page) -> Result<Message, String> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(one_line(&page.title()))
            .date(page.at.into());
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        builder
            .header(ContentType::TEXT_PLAIN)
            .body(body(page))
            .map_err(|e| format!("cannot build the message: {e}"))
    }

    /// Sends one page; the answer is the server's reply ("250 queued").
    pub async fn send(&self, page: &Page) -> Result<String, String> {
        let message = self.message(page)?;
        let reply = self
            .transport
            .send(message)
            .await
            .map_err(|e| crate::sanitize::clean_short(&e.to_string(), 120))?;
        let words: Vec<&str> = reply.message().collect();
        Ok(crate::sanitize::clean_short(
            &format!("{} {}", reply.code(), words.join(" ")),
            80,
        ))
    }
}

/// A header's text on one line: a CR or LF from an alert's reason or a
/// client's name never starts a header of its own.
pub fn one_line(text: &str) -> String {
    crate::sanitize::clean(text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The plain-text body: the page's text, cleaned of escape sequences, and
/// what the mail is.
pub fn body(page: &Page) -> String {
    let mut out = String::new();
    out.push_str(&one_line(&page.title()));
    out.push_str("\n\n");
    for line in page.text().lines() {
        out.push_str(&one_line(line));
        out.push('\n');
    }
    out.push_str(&format!(
        "\n-- \nSent by Vigie ({}) at {}.\n",
        page.kind.label(),
        page.at.to_rfc3339()
    ));
    out
}
