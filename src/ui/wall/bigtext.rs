//! Large type for the wall display: a 3x5 block font, scaled up by whole
//! cells, so the overall state and the clock read from across the room on
//! any terminal (only `█` and spaces: no font support needed, no colour
//! needed).

/// Rows of every glyph.
pub const HEIGHT: u16 = 5;
/// Columns of every glyph before scaling.
const WIDTH: usize = 3;

/// The 3x5 pattern of a character ('#' is a filled cell); `None` for a
/// character the font lacks (drawn as a blank).
fn pattern(c: char) -> Option<[&'static str; 5]> {
    Some(match c.to_ascii_uppercase() {
        '0' => ["###", "#.#", "#.#", "#.#", "###"],
        '1' => [".#.", "##.", ".#.", ".#.", "###"],
        '2' => ["###", "..#", "###", "#..", "###"],
        '3' => ["###", "..#", ".##", "..#", "###"],
        '4' => ["#.#", "#.#", "###", "..#", "..#"],
        '5' => ["###", "#..", "###", "..#", "###"],
        '6' => ["###", "#..", "###", "#.#", "###"],
        '7' => ["###", "..#", ".#.", ".#.", ".#."],
        '8' => ["###", "#.#", "###", "#.#", "###"],
        '9' => ["###", "#.#", "###", "..#", "###"],
        ':' => ["...", ".#.", "...", ".#.", "..."],
        '-' => ["...", "...", "###", "...", "..."],
        ' ' => ["...", "...", "...", "...", "..."],
        'A' => [".#.", "#.#", "###", "#.#", "#.#"],
        'B' => ["##.", "#.#", "##.", "#.#", "##."],
        'C' => [".##", "#..", "#..", "#..", ".##"],
        'D' => ["##.", "#.#", "#.#", "#.#", "##."],
        'E' => ["###", "#..", "##.", "#..", "###"],
        'F' => ["###", "#..", "##.", "#..", "#.."],
        'G' => [".##", "#..", "#.#", "#.#", ".##"],
        'H' => ["#.#", "#.#", "###", "#.#", "#.#"],
        'I' => ["###", ".#.", ".#.", ".#.", "###"],
        'J' => ["..#", "..#", "..#", "#.#", ".#."],
        'K' => ["#.#", "#.#", "##.", "#.#", "#.#"],
        'L' => ["#..", "#..", "#..", "#..", "###"],
        'M' => ["#.#", "###", "###", "#.#", "#.#"],
        'N' => ["##.", "#.#", "#.#", "#.#", "#.#"],
        'O' => [".#.", "#.#", "#.#", "#.#", ".#."],
        'P' => ["##.", "#.#", "##.", "#..", "#.."],
        'Q' => [".#.", "#.#", "#.#", "##.", ".##"],
        'R' => ["##.", "#.#", "##.", "#.#", "#.#"],
        'S' => [".##", "#..", ".#.", "..#", "##."],
        'T' => ["###", ".#.", ".#.", ".#.", ".#."],
        'U' => ["#.#", "#.#", "#.#", "#.#", "###"],
        'V' => ["#.#", "#.#", "#.#", "#.#", ".#."],
        'W' => ["#.#", "#.#", "###", "###", "#.#"],
        'X' => ["#.#", "#.#", ".#.", "#.#", "#.#"],
        'Y' => ["#.#", "#.#", ".#.", ".#.", ".#."],
        'Z' => ["###", "..#", ".#.", "#..", "###"],
        _ => return None,
    })
}

/// How many columns `text` takes at `scale` (one blank column between
/// glyphs, scaled too).
pub fn width(text: &str, scale: u16) -> u16 {
    let n = u16::try_from(text.chars().count()).unwrap_or(u16::MAX);
    if n == 0 {
        return 0;
    }
    let glyph = u16::try_from(WIDTH).unwrap_or(3);
    (n.saturating_mul(glyph + 1) - 1).saturating_mul(scale)
}

/// The largest scale (at least 1) at which `text` fits in `columns`, or
/// `None` when it does not fit even at 1.
pub fn fit(text: &str, columns: u16, max_scale: u16) -> Option<u16> {
    (1..=max_scale.max(1))
        .rev()
        .find(|s| width(text, *s) <= columns)
}

/// `text` as `HEIGHT` lines of `█` and spaces, each glyph cell repeated
/// `scale` times across (rows are not scaled: terminal cells are about
/// twice as tall as wide, so a 3x5 glyph at scale 2 is about square).
pub fn lines(text: &str, scale: u16) -> Vec<String> {
    let scale = usize::from(scale.max(1));
    let mut out = vec![String::new(); usize::from(HEIGHT)];
    for (i, c) in text.chars().enumerate() {
        let rows = pattern(c).unwrap_or(["...", "...", "...", "...", "..."]);
        for (row, line) in rows.iter().zip(out.iter_mut()) {
            if i > 0 {
                line.push_str(&" ".repeat(scale));
            }
            for cell in row.chars() {
                let fill = if cell == '#' { '█' } else { ' ' };
                for _ in 0..scale {
                    line.push(fill);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_draw_as_blocks_five_rows_high() {
        let l = lines("10", 1);
        assert_eq!(l.len(), 5);
        assert_eq!(l[0], " █  ███");
        assert_eq!(l[4], "███ ███");
    }

    #[test]
    fn scale_widens_every_cell_and_gap() {
        let l = lines("1:", 2);
        assert_eq!(l[1], "████      ██  ");
        assert_eq!(width("1:", 2), 14);
        assert_eq!(l[1].chars().count(), 14);
    }

    #[test]
    fn fit_picks_the_largest_scale_that_fits() {
        // "12:34" is 5 glyphs: 19 columns at scale 1.
        assert_eq!(fit("12:34", 19, 4), Some(1));
        assert_eq!(fit("12:34", 40, 4), Some(2));
        assert_eq!(fit("12:34", 18, 4), None);
    }

    #[test]
    fn unknown_characters_are_blank_not_a_panic() {
        let l = lines("é", 1);
        assert!(l.iter().all(|r| r.trim().is_empty()));
    }

    #[test]
    fn every_status_word_has_glyphs() {
        for word in ["ALL UP", "DOWN", "DEGRADED", "UNKNOWN", "MAINTENANCE"] {
            for c in word.chars() {
                assert!(pattern(c).is_some(), "{c}");
            }
        }
    }
}
