//! `[[alerts.receivers]]`: receivers that are not webhooks (e-mail over
//! SMTP, ntfy push to phones), and `[alerts]`'s acknowledgement listener.
//! Secrets are named here (an environment variable or an owner-only file),
//! never written here; `alerts::receiver` reads them when the daemon starts.

use std::net::SocketAddr;
use std::time::Duration;

use super::alert::SecretSource;

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded by STARTTLS (port 587); refused if the
    /// server does not offer it.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine (loopback).
    None,
}

impl SmtpTls {
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::StartTls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        }
    }
}

/// `kind = "email"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailSpec {
    /// The SMTP server's host name (checked against its certificate).
    pub server: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// AUTH user; with it, the password's source.
    pub username: Option<String>,
    pub password: Option<SecretSource>,
    /// `Vigie <vigie@example.coop>`.
    pub from: String,
    pub to: Vec<String>,
}

/// `kind = "ntfy"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtfySpec {
    /// The topic's URL, `https://ntfy.example.coop/oncall`.
    pub url: String,
    /// Access token (`tk_...`), sent as a bearer token.
    pub token: Option<SecretSource>,
    /// Extra tags (emoji short codes or words) on every message.
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiverKind {
    Email(EmailSpec),
    Ntfy(NtfySpec),
}

/// One `[[alerts.receivers]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverSpec {
    pub name: String,
    pub kind: ReceiverKind,
}

/// `[alerts] listen`, `ack_url`, `ack_secret_file`, `ack_valid_for`: the
/// daemon's HTTP listener where a phone's "Acknowledge" button lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckSettings {
    pub listen: SocketAddr,
    /// How phones reach the listener (a reverse proxy's https URL);
    /// `http://<listen>` when not given.
    pub public_url: Option<String>,
    /// The HMAC key of the per-alert tokens.
    pub secret: SecretSource,
    /// How long a button works after the page was sent.
    pub valid_for: Duration,
}
