//! URLs of outside services: built with a URL type (a path joined to a
//! base keeps the base's query after it, never inside it), and masked
//! wherever Vigie shows, stores or logs them, since operators put keys in
//! them (`?key=` for Redmine, tokens for exporters behind a proxy,
//! `user:password@`).

use reqwest::Url;

/// What stands for a hidden part.
const HIDDEN: &str = "***";

/// `base` with `path` ("/issues.json?limit=5") added to its path and the
/// path's query added to the base's own: `https://h/redmine?key=K` and
/// `/users/current.json` give `https://h/redmine/users/current.json?key=K`.
pub fn join(base: &Url, path: &str) -> Url {
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let mut url = base.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty();
        segments.extend(path.split('/').filter(|s| !s.is_empty()));
    }
    let query = match (base.query().filter(|q| !q.is_empty()), query) {
        (Some(a), Some(b)) => Some(format!("{a}&{b}")),
        (a, b) => a.or(b).map(String::from),
    };
    url.set_query(query.as_deref());
    url
}

/// Parses a base URL from the configuration: the error is a sentence that
/// shows it masked.
pub fn parse_base(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("invalid URL {}: {e}", masked(text)))?;
    if url.cannot_be_a_base() {
        return Err(format!("invalid URL {}: not a web address", masked(text)));
    }
    Ok(url)
}

/// The address a browser is sent to: the base without its credentials
/// (userinfo, query, fragment), which belong to the API, not to a link.
pub fn link(base: &Url, path: &str) -> String {
    let mut url = join(base, path);
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// A URL as it may be shown: userinfo, every query value and the fragment
/// replaced by `***`, and escapes made harmless. Works on text that does
/// not parse as a URL too (a config error quotes what was written).
pub fn masked(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let (head, rest) = match url.find("://") {
        Some(i) => url.split_at(i + 3),
        None => ("", url),
    };
    out.push_str(head);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) if !head.is_empty() => {
            out.push_str(HIDDEN);
            out.push_str(&authority[at..]);
        }
        _ => out.push_str(authority),
    }
    let (before_fragment, fragment) = match rest.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (rest, None),
    };
    match before_fragment.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) => format!("{k}={HIDDEN}"),
                    None if pair.is_empty() => String::new(),
                    None => HIDDEN.to_string(),
                })
                .collect();
            out.push_str(&pairs.join("&"));
        }
        None => out.push_str(before_fragment),
    }
    if fragment.is_some_and(|f| !f.is_empty()) {
        out.push('#');
        out.push_str(HIDDEN);
    }
    crate::sanitize::clean(&out)
}

/// Free text (an error message, a log line) with every http(s) URL in it
/// masked as [`masked`] does.
pub fn masked_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = find_url(rest) {
        out.push_str(&crate::sanitize::clean(&rest[..start]));
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')' | ']'))
            .unwrap_or(tail.len());
        out.push_str(&masked(&tail[..end]));
        rest = &tail[end..];
    }
    out.push_str(&crate::sanitize::clean(rest));
    out
}

/// Where the first `http://` or `https://` (any case) starts.
fn find_url(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    [lower.find("http://"), lower.find("https://")]
        .into_iter()
        .flatten()
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn a_path_goes_before_the_base_query_not_after_it() {
        // (base, path, joined)
        for (base, path, joined) in [
            (
                "https://h/redmine?key=K",
                "/users/current.json",
                "https://h/redmine/users/current.json?key=K",
            ),
            (
                "https://h/redmine/?key=K",
                "/issues.json?project_id=a&offset=0",
                "https://h/redmine/issues.json?key=K&project_id=a&offset=0",
            ),
            ("http://odoo:8069", "/jsonrpc", "http://odoo:8069/jsonrpc"),
            (
                "http://prom:9090/prefix/",
                "api/v1/query",
                "http://prom:9090/prefix/api/v1/query",
            ),
        ] {
            assert_eq!(join(&url(base), path).as_str(), joined, "{base} + {path}");
        }
    }

    #[test]
    fn userinfo_query_values_and_fragment_are_hidden() {
        // (url, as shown)
        for (raw, shown) in [
            (
                "https://h/redmine?key=s3cret&x=1",
                "https://h/redmine?key=***&x=***",
            ),
            (
                "https://ops:pa55@h:8443/metrics",
                "https://***@h:8443/metrics",
            ),
            ("https://h/a?t0ken#frag", "https://h/a?***#***"),
            ("http://h/plain", "http://h/plain"),
            ("not a url?key=v", "not a url?key=***"),
            ("https://h/a?k=\u{1b}[2J", "https://h/a?k=***"),
            ("https://h/\u{1b}[2J", "https://h/␛[2J"),
        ] {
            assert_eq!(masked(raw), shown, "{raw}");
        }
    }

    #[test]
    fn urls_inside_a_message_are_masked_and_the_rest_kept() {
        assert_eq!(
            masked_in("error sending request for url (https://u:p@h/r?key=K): refused"),
            "error sending request for url (https://***@h/r?key=***): refused"
        );
        assert_eq!(
            masked_in("HTTP 404 on /issues.json"),
            "HTTP 404 on /issues.json"
        );
    }

    #[test]
    fn a_link_carries_no_credentials() {
        assert_eq!(
            link(&url("https://me:pw@h/redmine?key=K"), "/issues/7"),
            "https://h/redmine/issues/7"
        );
    }

    #[test]
    fn a_bad_base_is_refused_with_its_key_hidden() {
        let e = parse_base("mailto:x?key=K").unwrap_err();
        assert!(e.contains("key=***") && !e.contains('K'), "{e}");
    }
}
