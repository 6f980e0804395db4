//! Every kind of receiver behind one door: paging hands a `Page` to a
//! `Receiver` and gets back the receiver's answer (kept in the store) or why
//! it failed (retried from the store's queue).

use super::Webhook;
use super::page::Page;

/// A receiver with its secrets read. Kinds are added here (e-mail, ntfy).
#[derive(Debug, Clone)]
pub enum Receiver {
    Webhook(Webhook),
}

impl Receiver {
    pub fn name(&self) -> &str {
        match self {
            Receiver::Webhook(w) => &w.name,
        }
    }

    /// Sends one page. `Ok`: the receiver's answer in a few words
    /// ("HTTP 200", "250 2.0.0 queued"); `Err`: why not, to retry.
    pub async fn send(&self, client: &reqwest::Client, page: &Page) -> Result<String, String> {
        match self {
            Receiver::Webhook(w) => super::deliver_page(client, w, page).await,
        }
    }
}
