//! A page: one message, to one receiver, about alerts of the attention list
//! (`model::attention`). Paging (routes, the rota, repeats, escalation)
//! decides which pages to send; each receiver kind (webhooks, e-mail, ntfy)
//! only says a page its own way.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::attention::{Alert, Severity};

/// Why this page is sent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum PageKind {
    /// The alert is new (or came back after its merge window).
    Firing,
    /// Still unacknowledged after `repeat_every`.
    Repeat,
    /// Still unacknowledged after `escalate_after`: sent to the next person.
    Escalated,
    /// The problem cleared: told to everyone who was paged about it.
    Resolved,
    /// `vigie alerts test --receiver NAME`.
    Test,
}

impl PageKind {
    pub fn label(self) -> &'static str {
        match self {
            PageKind::Firing => "firing",
            PageKind::Repeat => "repeat",
            PageKind::Escalated => "escalated",
            PageKind::Resolved => "resolved",
            PageKind::Test => "test",
        }
    }
}

/// One message about one or more alerts (changes within the merge window go
/// out together).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Page {
    pub kind: PageKind,
    pub alerts: Vec<Alert>,
    /// When the page was decided.
    pub at: DateTime<Utc>,
    /// The rota member the route chose, when it named the person on call.
    pub to: Option<String>,
}

impl Page {
    /// The worst severity among its alerts (info for an empty test page).
    pub fn worst(&self) -> Severity {
        self.alerts
            .iter()
            .map(|a| a.severity)
            .max()
            .unwrap_or(Severity::Info)
    }

    /// The first line: what and how bad, short enough for a phone's
    /// notification.
    pub fn title(&self) -> String {
        let lead = match self.kind {
            PageKind::Firing => "",
            PageKind::Repeat => "still open: ",
            PageKind::Escalated => "escalated: ",
            PageKind::Resolved => "resolved: ",
            PageKind::Test => "test: ",
        };
        match self.alerts.as_slice() {
            [] => format!("Vigie: {lead}a test message"),
            [one] => format!(
                "Vigie: {lead}{} {} {}",
                one.severity.glyph(),
                one.subject.text(),
                one.reason
            ),
            many => {
                let crit = many
                    .iter()
                    .filter(|a| a.severity == Severity::Critical)
                    .count();
                format!("Vigie: {lead}{} alerts ({crit} critical)", many.len())
            }
        }
    }

    /// The body: one paragraph per alert, then how to acknowledge.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for a in &self.alerts {
            let clients = if a.subject.clients.is_empty() {
                String::new()
            } else {
                format!(" [{}]", a.subject.clients.join(", "))
            };
            out.push_str(&format!(
                "{} {}{}: {}\n  since {}\n",
                a.severity.label(),
                a.subject.text(),
                clients,
                a.reason,
                a.since.to_rfc3339(),
            ));
        }
        if self.kind != PageKind::Resolved && self.kind != PageKind::Test {
            for a in &self.alerts {
                out.push_str(&format!("Acknowledge: vigie ack {}\n", a.id));
            }
        }
        out
    }
}
