//! Vigie's own problems in the console's alert list: a store that cannot
//! be written is a critical alert, since the console first saw it.

mod common;

use chrono::Duration as Span;
use vigie::model::attention::{Domain, Severity};
use vigie::ui::app::{Msg, update};
use vigie::ui::attention;

#[test]
fn a_store_that_cannot_be_written_is_a_critical_alert_of_vigie() {
    let mut app = common::app();
    assert!(
        !attention::list(&app)
            .iter()
            .any(|a| a.domain == Domain::Vigie),
        "no fault, no alert of Vigie's own"
    );
    let seen = app.data.now;
    update(&mut app, Msg::StoreFault(Some("disk full".into())));
    update(&mut app, Msg::Tick(seen + Span::seconds(30)));
    update(&mut app, Msg::StoreFault(Some("disk full".into())));
    let list = attention::list(&app);
    let own = list
        .iter()
        .find(|a| a.id == "vigie:store")
        .unwrap_or_else(|| panic!("no vigie:store alert in {list:?}"));
    assert_eq!(own.severity, Severity::Critical);
    assert_eq!(own.since, seen, "since the console first saw the fault");
    assert!(own.reason.contains("disk full"), "{}", own.reason);
    // Writable again: the alert is gone.
    update(&mut app, Msg::StoreFault(None));
    assert!(!attention::list(&app).iter().any(|a| a.id == "vigie:store"));
}
