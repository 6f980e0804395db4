//! Outside text (ticket titles, HTTP bodies, host output, file names) must
//! never reach the terminal as control sequences: a title carrying ESC]52
//! could write the operator's clipboard, ESC[2J could wipe the screen.

/// Makes a string safe to draw on one line: C0 controls and DEL become their
/// visible Unicode "control pictures" (ESC shows as `␛`), so the operator sees
/// that something odd was there; C1 controls and bidirectional overrides
/// become U+FFFD; tabs and line breaks become spaces.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(' '),
            '\u{0}'..='\u{1f}' => out.push(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}')),
            '\u{7f}' => out.push('\u{2421}'),
            '\u{80}'..='\u{9f}' => out.push('\u{fffd}'),
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => out.push('\u{fffd}'),
            _ => out.push(c),
        }
    }
    out
}

/// Like [`clean`] for text of several lines (an error report for stderr):
/// each line is cleaned, the line breaks stay.
pub fn clean_lines(s: &str) -> String {
    s.split('\n').map(clean).collect::<Vec<_>>().join("\n")
}

/// Whether `c` must never reach a terminal as is: C0 and C1 controls, DEL,
/// and bidirectional overrides and isolates.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Like [`clean`], then cut to at most `max` characters (with an ellipsis).
pub fn clean_short(s: &str, max: usize) -> String {
    let cleaned = clean(s.trim());
    if cleaned.chars().count() <= max {
        return cleaned;
    }
    let mut cut: String = cleaned.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_harmless_text() {
        let title = "Caisse 2\u{1b}]52;c;aGFjaw==\u{7}\u{1b}[2J";
        let shown = clean(title);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert_eq!(shown, "Caisse 2␛]52;c;aGFjaw==␇␛[2J");
    }

    #[test]
    fn c1_controls_and_bidi_overrides_are_replaced() {
        assert_eq!(clean("a\u{9b}2Jb\u{202e}c"), "a\u{fffd}2Jb\u{fffd}c");
    }

    #[test]
    fn line_breaks_become_spaces() {
        assert_eq!(clean("a\nb\tc\r"), "a b c ");
    }

    #[test]
    fn clean_lines_keeps_the_lines_and_cleans_each() {
        assert_eq!(clean_lines("a\u{1b}[2J\nb\rc"), "a␛[2J\nb c");
    }

    #[test]
    fn clean_short_cuts_with_ellipsis() {
        assert_eq!(clean_short("abcdef", 4), "abc…");
        assert_eq!(clean_short("abc", 4), "abc");
    }
}
