//! From the file as written to the validated fleet: defaults, value ranges
//! and cross-references. Every problem is collected, so one run of Vigie
//! shows them all rather than one per edit.

mod client;
mod contract;
mod host;

use std::collections::BTreeMap;
use std::ops::Range;

use super::error::Diagnostic;
use super::raw::RawConfig;
use crate::model::Fleet;

/// Collects diagnostics while the model is built.
pub(crate) struct Validator<'a> {
    text: &'a str,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Validator<'a> {
    fn new(text: &'a str) -> Validator<'a> {
        Validator {
            text,
            diagnostics: Vec::new(),
        }
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::at(self.text, span, message));
    }

    /// The 1-based line of a span, to point at an earlier definition.
    fn line_of(&self, span: &Range<usize>) -> usize {
        super::error::line_column(self.text, span.start).0
    }
}

/// Builds the fleet, or returns every problem found, in file order.
pub(crate) fn fleet(raw: &RawConfig, text: &str) -> Result<Fleet, Vec<Diagnostic>> {
    let mut v = Validator::new(text);
    let contracts: BTreeMap<_, _> = raw
        .contracts
        .iter()
        .map(|(id, c)| {
            (
                id.get_ref().clone(),
                contract::contract(&mut v, id.get_ref(), c),
            )
        })
        .collect();
    let host_names: Vec<&str> = raw
        .hosts
        .iter()
        .map(|(name, _)| name.get_ref().as_str())
        .collect();
    let contract_names: Vec<&str> = contracts.keys().map(String::as_str).collect();
    let known = client::Known {
        hosts: &host_names,
        contracts: &contract_names,
    };
    let clients = raw
        .clients
        .iter()
        .map(|(id, c)| client::client(&mut v, &known, id.get_ref(), c))
        .collect();
    let hosts = raw
        .hosts
        .iter()
        .map(|(name, h)| host::host(&mut v, name, h))
        .collect();

    if v.diagnostics.is_empty() {
        Ok(Fleet {
            clients,
            hosts,
            contracts,
            health: Default::default(),
        })
    } else {
        let mut diagnostics = v.diagnostics;
        diagnostics.sort_by_key(|d| (d.line, d.column));
        Err(diagnostics)
    }
}

/// `a, b or c` for messages; long lists are cut short.
fn one_of(names: &[&str]) -> String {
    const MAX: usize = 8;
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        _ if names.len() > MAX => format!("{}, ...", names[..MAX].join(", ")),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_english() {
        assert_eq!(one_of(&[]), "");
        assert_eq!(one_of(&["a"]), "a");
        assert_eq!(one_of(&["a", "b", "c"]), "a, b or c");
        let many = ["h1", "h2", "h3", "h4", "h5", "h6", "h7", "h8", "h9"];
        assert_eq!(one_of(&many), "h1, h2, h3, h4, h5, h6, h7, h8, ...");
    }
}
