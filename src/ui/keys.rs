//! Keys as written in keymap files (`ctrl-c`, `Q`, `shift-tab`, `pageup`)
//! and as sent by terminals, reduced to one canonical form so that a
//! binding and a key press compare equal.
//!
//! Canonical form: a character carries its own case and never SHIFT (`Q`,
//! not `shift-q`); shift-tab is `BackTab` without SHIFT; other keys keep
//! their modifiers.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One key with its modifiers, in canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyBinding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

/// Named keys: the first name of a code is the one displayed.
const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("space", KeyCode::Char(' ')),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pgdown", KeyCode::PageDown),
    ("pgdn", KeyCode::PageDown),
];

/// Modifier prefixes, in the order they are displayed.
const MODIFIERS: [(&str, KeyModifiers); 6] = [
    ("ctrl", KeyModifiers::CONTROL),
    ("alt", KeyModifiers::ALT),
    ("shift", KeyModifiers::SHIFT),
    ("super", KeyModifiers::SUPER),
    ("hyper", KeyModifiers::HYPER),
    ("meta", KeyModifiers::META),
];

impl KeyBinding {
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> KeyBinding {
        KeyBinding { code, modifiers }.normalised()
    }

    /// Parse a key as written in a keymap file: modifiers joined by `-`
    /// (`ctrl-`, `alt-`, `shift-`), then one character or a key name.
    /// Names and modifiers ignore case; a single character keeps it.
    pub fn parse(text: &str) -> Result<KeyBinding, String> {
        // A lone space is the space key; otherwise surrounding blanks are noise.
        let mut rest = if text == " " { text } else { text.trim() };
        if rest.is_empty() {
            return Err("empty key: write a character or a name such as \"enter\"".to_string());
        }
        let mut modifiers = KeyModifiers::NONE;
        'prefixes: loop {
            for (name, modifier) in MODIFIERS {
                let Some(head) = rest.get(..name.len() + 1) else {
                    continue;
                };
                if head.eq_ignore_ascii_case(&format!("{name}-")) && rest.len() > head.len() {
                    modifiers |= modifier;
                    rest = &rest[head.len()..];
                    continue 'prefixes;
                }
            }
            break;
        }
        let code = parse_code(rest)?;
        if modifiers.contains(KeyModifiers::SHIFT)
            && let KeyCode::Char(c) = code
            && !c.is_ascii_alphabetic()
        {
            return Err(format!(
                "\"{text}\" can never be typed: terminals send the shifted character \
                 itself, so write that character instead (e.g. \"?\" rather than \"shift-/\")"
            ));
        }
        Ok(KeyBinding::new(code, modifiers))
    }

    /// The binding a terminal's key event stands for. Callers should ignore
    /// release events (`KeyEventKind::Release`) before asking.
    pub fn from_event(event: &KeyEvent) -> KeyBinding {
        KeyBinding::new(event.code, event.modifiers)
    }

    /// Terminals disagree on how they report shifted keys: `Q` may come with
    /// or without SHIFT, shift-tab as `BackTab` with or without SHIFT.
    fn normalised(self) -> KeyBinding {
        let KeyBinding {
            mut code,
            mut modifiers,
        } = self;
        match code {
            KeyCode::Char(c) => {
                if modifiers.contains(KeyModifiers::SHIFT) && c.is_ascii_lowercase() {
                    code = KeyCode::Char(c.to_ascii_uppercase());
                }
                modifiers.remove(KeyModifiers::SHIFT);
            }
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::BackTab;
                modifiers.remove(KeyModifiers::SHIFT);
            }
            KeyCode::BackTab => modifiers.remove(KeyModifiers::SHIFT),
            _ => {}
        }
        KeyBinding { code, modifiers }
    }
}

fn parse_code(name: &str) -> Result<KeyCode, String> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Ok(KeyCode::Char(c));
    }
    let lower = name.to_ascii_lowercase();
    if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == lower) {
        return Ok(*code);
    }
    if let Some(n) = lower.strip_prefix('f')
        && let Ok(n) = n.parse::<u8>()
        && (1..=24).contains(&n)
    {
        return Ok(KeyCode::F(n));
    }
    Err(format!(
        "unknown key \"{name}\": expected one character or one of enter, esc, space, tab, \
         backspace, delete, insert, up, down, left, right, pageup, pagedown, home, end, f1-f24, \
         optionally after ctrl-, alt- or shift-"
    ))
}

impl fmt::Display for KeyBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, modifier) in MODIFIERS {
            if self.modifiers.contains(modifier) {
                write!(f, "{name}-")?;
            }
        }
        if let Some((name, _)) = NAMED.iter().find(|(_, code)| *code == self.code) {
            // BackTab is typed as shift-tab, and that is how people name it.
            return match self.code {
                KeyCode::BackTab => f.write_str("shift-tab"),
                _ => f.write_str(name),
            };
        }
        match self.code {
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => f.write_str(&format!("{other:?}").to_ascii_lowercase()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dash_is_a_key_and_can_take_modifiers() {
        assert_eq!(
            KeyBinding::parse("-"),
            Ok(KeyBinding::new(KeyCode::Char('-'), KeyModifiers::NONE))
        );
        assert_eq!(
            KeyBinding::parse("ctrl--"),
            Ok(KeyBinding::new(KeyCode::Char('-'), KeyModifiers::CONTROL))
        );
    }

    #[test]
    fn shift_letter_is_the_capital() {
        assert_eq!(KeyBinding::parse("shift-q"), KeyBinding::parse("Q"));
    }

    #[test]
    fn shift_with_a_symbol_is_refused() {
        assert!(KeyBinding::parse("shift-1").is_err());
    }

    #[test]
    fn names_ignore_case_and_characters_keep_it() {
        assert_eq!(KeyBinding::parse("Ctrl-C"), KeyBinding::parse("ctrl-C"));
        assert_eq!(KeyBinding::parse("ENTER"), KeyBinding::parse("enter"));
        assert_ne!(KeyBinding::parse("q"), KeyBinding::parse("Q"));
    }

    #[test]
    fn unknown_names_and_empty_keys_are_errors() {
        assert!(KeyBinding::parse("").is_err());
        assert!(KeyBinding::parse("enterr").is_err());
        assert!(KeyBinding::parse("f25").is_err());
        assert!(KeyBinding::parse("ctrl-").is_err());
    }
}
