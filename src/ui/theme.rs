//! Themes: how each semantic role (ok, warn, crit, muted, selection...) is
//! drawn. Themes never name panes, so a new pane needs no theme change.
//!
//! A theme is a TOML file. The shipped ones (`themes/*.toml`) are embedded in
//! the binary; the user's (`$XDG_CONFIG_HOME/vigie/themes/NAME.toml`) add new
//! themes or shadow shipped ones of the same name.
//!
//! Inheritance rule: a theme may name a parent with `inherits = "..."`. A role
//! the child defines replaces the parent's role *entirely* (colours and
//! modifiers; nothing is merged field by field), and every role the child
//! leaves out is taken from the parent, recursively. The root of every chain
//! must define every role. A user theme that inherits from its own name
//! (`dark.toml` with `inherits = "dark"`) extends the shipped theme it shadows.
//!
//! In a role, a modifier set to `true` is added, `false` is removed from what
//! is underneath (e.g. a muted cell in a bold row), and left out leaves it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use crate::model::{EnvKind, Status};

/// The theme used when the configuration names none.
pub const DEFAULT_THEME: &str = "dark";
/// The theme that tells states apart by modifiers alone.
pub const MONO_THEME: &str = "mono";

const SHIPPED: [(&str, &str); 4] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// What a piece of the screen means, which is all a theme may style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Text,
    Muted,
    Accent,
    Title,
    Border,
    BorderFocused,
    Selection,
    Header,
    Footer,
    Ok,
    Warn,
    Crit,
    Unknown,
    Maintenance,
    EnvProd,
    EnvPreprod,
    EnvDev,
}

impl Role {
    pub const ALL: [Role; 17] = [
        Role::Text,
        Role::Muted,
        Role::Accent,
        Role::Title,
        Role::Border,
        Role::BorderFocused,
        Role::Selection,
        Role::Header,
        Role::Footer,
        Role::Ok,
        Role::Warn,
        Role::Crit,
        Role::Unknown,
        Role::Maintenance,
        Role::EnvProd,
        Role::EnvPreprod,
        Role::EnvDev,
    ];

    /// The name used in theme files (`[roles.border_focused]`).
    pub fn name(self) -> &'static str {
        match self {
            Role::Text => "text",
            Role::Muted => "muted",
            Role::Accent => "accent",
            Role::Title => "title",
            Role::Border => "border",
            Role::BorderFocused => "border_focused",
            Role::Selection => "selection",
            Role::Header => "header",
            Role::Footer => "footer",
            Role::Ok => "ok",
            Role::Warn => "warn",
            Role::Crit => "crit",
            Role::Unknown => "unknown",
            Role::Maintenance => "maintenance",
            Role::EnvProd => "env_prod",
            Role::EnvPreprod => "env_preprod",
            Role::EnvDev => "env_dev",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How many colours the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ColorDepth {
    /// No colour at all (NO_COLOR, TERM=dumb): modifiers only.
    Mono,
    /// The 16 ANSI colours, drawn from the terminal's own palette.
    Ansi16,
    /// The xterm 256-colour palette.
    Ansi256,
    /// 24-bit RGB.
    TrueColor,
}

impl ColorDepth {
    /// Guess the depth from the environment. Over SSH, COLORTERM is often not
    /// forwarded, so a truecolor terminal may be seen as 16 colours; themes
    /// carry a 16-colour fallback for that reason.
    ///
    /// TERM=dumb wins over COLORTERM: a dumb terminal cannot draw colours
    /// even if a parent shell exported COLORTERM.
    pub fn detect(env: &dyn Fn(&str) -> Option<String>) -> ColorDepth {
        if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return ColorDepth::Mono;
        }
        let term = env("TERM").unwrap_or_default();
        if term == "dumb" {
            return ColorDepth::Mono;
        }
        let colorterm = env("COLORTERM").unwrap_or_default().to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            return ColorDepth::TrueColor;
        }
        if term.contains("256color") {
            return ColorDepth::Ansi256;
        }
        ColorDepth::Ansi16
    }

    /// Parse an override from the configuration or the command line.
    pub fn parse(s: &str) -> Result<ColorDepth, ThemeError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "truecolor" | "24bit" => Ok(ColorDepth::TrueColor),
            "256" => Ok(ColorDepth::Ansi256),
            "16" => Ok(ColorDepth::Ansi16),
            "mono" | "none" => Ok(ColorDepth::Mono),
            _ => Err(ThemeError::BadDepth(s.to_string())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ColorDepth::Mono => "mono",
            ColorDepth::Ansi16 => "16",
            ColorDepth::Ansi256 => "256",
            ColorDepth::TrueColor => "truecolor",
        }
    }

    pub const ALL: [ColorDepth; 4] = [
        ColorDepth::Mono,
        ColorDepth::Ansi16,
        ColorDepth::Ansi256,
        ColorDepth::TrueColor,
    ];
}

/// A place in a file, shown as `file:line:column` (both from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text`; columns count characters.
    pub(crate) fn in_text(file: &str, text: &str, offset: usize) -> Location {
        let mut end = offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Location {
            file: file.to_string(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Why a theme could not be loaded or resolved.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },
    #[error("{at}: unknown role '{role}': expected one of {}", role_names())]
    UnknownRole { at: Location, role: String },
    #[error("{at}: unknown key '{key}' in {table}: expected one of {expected}")]
    UnknownKey {
        at: Location,
        key: String,
        table: String,
        expected: &'static str,
    },
    #[error("{at}: unknown colour '{value}': expected {expected}")]
    BadColour {
        at: Location,
        value: String,
        expected: &'static str,
    },
    #[error(
        "{at}: theme '{theme}' inherits from '{parent}', which does not exist; available: {}",
        available.join(", ")
    )]
    UnknownParent {
        at: Location,
        theme: String,
        parent: String,
        available: Vec<String>,
    },
    #[error(
        "themes inherit from each other in a cycle: {}; remove one of these `inherits`",
        chain.join(" -> ")
    )]
    Cycle { chain: Vec<String> },
    #[error(
        "{file}: theme '{theme}' has no parent and does not define role '{role}': \
         add [roles.{role}] or inherit from a complete theme (inherits = \"dark\")"
    )]
    MissingRole {
        file: String,
        theme: String,
        role: &'static str,
    },
    #[error("unknown theme '{name}'; available: {}", available.join(", "))]
    UnknownTheme {
        name: String,
        available: Vec<String>,
    },
    #[error("unknown colour depth '{0}': expected truecolor, 256, 16 or mono")]
    BadDepth(String),
    #[error("cannot read themes from {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn role_names() -> String {
    Role::ALL.map(Role::name).join(", ")
}

const COLOUR_EXPECTED: &str = "#rrggbb, 0-255 or a colour name";
const COLOUR16_EXPECTED: &str = "one of the 16 ANSI colour names (black, red, green, yellow, blue, \
     magenta, cyan, gray, dark_gray, light_red, light_green, light_yellow, light_blue, \
     light_magenta, light_cyan, white) or reset";
const TOP_KEYS: &str = "inherits, description, roles";
const ROLE_KEYS: &str = "fg, fg16, bg, bg16, bold, italic, underline, reversed, dim";

/// The 16 ANSI colours by their index, then `reset` (the terminal's own).
const NAMED: [(&str, Color); 17] = [
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("dark_gray", Color::DarkGray),
    ("light_red", Color::LightRed),
    ("light_green", Color::LightGreen),
    ("light_yellow", Color::LightYellow),
    ("light_blue", Color::LightBlue),
    ("light_magenta", Color::LightMagenta),
    ("light_cyan", Color::LightCyan),
    ("white", Color::White),
    ("reset", Color::Reset),
];

/// xterm's default values for the 16 ANSI colours, to map indexed colours.
const XTERM16: [(u8, u8, u8); 16] = [
    (0x00, 0x00, 0x00),
    (0xcd, 0x00, 0x00),
    (0x00, 0xcd, 0x00),
    (0xcd, 0xcd, 0x00),
    (0x00, 0x00, 0xee),
    (0xcd, 0x00, 0xcd),
    (0x00, 0xcd, 0xcd),
    (0xe5, 0xe5, 0xe5),
    (0x7f, 0x7f, 0x7f),
    (0xff, 0x00, 0x00),
    (0x00, 0xff, 0x00),
    (0xff, 0xff, 0x00),
    (0x5c, 0x5c, 0xff),
    (0xff, 0x00, 0xff),
    (0x00, 0xff, 0xff),
    (0xff, 0xff, 0xff),
];

const CUBE_LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];

fn named_colour(name: &str) -> Option<Color> {
    let key = name.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let key = key.replace("grey", "gray");
    NAMED.iter().find(|(n, _)| *n == key).map(|(_, c)| *c)
}

/// The nearest xterm-256 index, from the colour cube or the grey ramp (not
/// 0-15, whose values depend on the terminal's palette).
fn rgb_to_256(r: u8, g: u8, b: u8) -> u8 {
    let level = |v: u8| -> usize {
        let mut best = 0;
        for (i, l) in CUBE_LEVELS.iter().enumerate() {
            if l.abs_diff(v) < CUBE_LEVELS[best].abs_diff(v) {
                best = i;
            }
        }
        best
    };
    let (ri, gi, bi) = (level(r), level(g), level(b));
    let cube = (CUBE_LEVELS[ri], CUBE_LEVELS[gi], CUBE_LEVELS[bi]);
    let avg = (u16::from(r) + u16::from(g) + u16::from(b)) / 3;
    let grey_step = ((i32::from(avg) - 8 + 5) / 10).clamp(0, 23);
    let grey_value = (8 + 10 * grey_step) as u8;
    let dist = |(x, y, z): (u8, u8, u8)| -> u32 {
        let d = |a: u8, b: u8| u32::from(a.abs_diff(b)).pow(2);
        d(x, r) + d(y, g) + d(z, b)
    };
    if dist((grey_value, grey_value, grey_value)) < dist(cube) {
        232 + grey_step as u8
    } else {
        (16 + 36 * ri + 6 * gi + bi) as u8
    }
}

fn index_to_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => XTERM16[usize::from(i)],
        16..=231 => {
            let n = usize::from(i - 16);
            (
                CUBE_LEVELS[n / 36],
                CUBE_LEVELS[(n / 6) % 6],
                CUBE_LEVELS[n % 6],
            )
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

/// The closest of the 16 ANSI colours by hue and lightness. Plain RGB
/// distance would turn every soft colour grey, which on a 16-colour terminal
/// would make ok, warn and crit look alike.
fn rgb_to_16(r: u8, g: u8, b: u8) -> Color {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let chroma = max - min;
    if max < 48 {
        return Color::Black;
    }
    if chroma <= 24 {
        let lightness = (max + min) / 2;
        return match lightness {
            0..48 => Color::Black,
            48..150 => Color::DarkGray,
            150..216 => Color::Gray,
            _ => Color::White,
        };
    }
    let hue = if max == r {
        (60 * (g - b) / chroma).rem_euclid(360)
    } else if max == g {
        60 * (b - r) / chroma + 120
    } else {
        60 * (r - g) / chroma + 240
    };
    let bright = max >= 230;
    let pick = |normal, light| if bright { light } else { normal };
    match ((hue + 30) / 60) % 6 {
        0 => pick(Color::Red, Color::LightRed),
        1 => pick(Color::Yellow, Color::LightYellow),
        2 => pick(Color::Green, Color::LightGreen),
        3 => pick(Color::Cyan, Color::LightCyan),
        4 => pick(Color::Blue, Color::LightBlue),
        _ => pick(Color::Magenta, Color::LightMagenta),
    }
}

fn to_256(c: Color) -> Color {
    match c {
        Color::Rgb(r, g, b) => Color::Indexed(rgb_to_256(r, g, b)),
        other => other,
    }
}

fn to_16(c: Color) -> Color {
    match c {
        Color::Rgb(r, g, b) => rgb_to_16(r, g, b),
        Color::Indexed(i) if i < 16 => NAMED[usize::from(i)].1,
        Color::Indexed(i) => {
            let (r, g, b) = index_to_rgb(i);
            rgb_to_16(r, g, b)
        }
        other => other,
    }
}

/// One role as written in a file.
#[derive(Debug, Clone, Default, PartialEq)]
struct RoleSpec {
    fg: Option<Color>,
    fg16: Option<Color>,
    bg: Option<Color>,
    bg16: Option<Color>,
    bold: Option<bool>,
    italic: Option<bool>,
    underline: Option<bool>,
    reversed: Option<bool>,
    dim: Option<bool>,
}

impl RoleSpec {
    fn style(&self, depth: ColorDepth) -> Style {
        let pick = |full: Option<Color>, ansi16: Option<Color>| match depth {
            ColorDepth::Mono => None,
            ColorDepth::TrueColor => full.or(ansi16),
            ColorDepth::Ansi256 => full.map(to_256).or(ansi16),
            ColorDepth::Ansi16 => ansi16.or(full.map(to_16)),
        };
        let mut style = Style {
            fg: pick(self.fg, self.fg16),
            bg: pick(self.bg, self.bg16),
            ..Style::default()
        };
        let modifiers = [
            (self.bold, Modifier::BOLD),
            (self.italic, Modifier::ITALIC),
            (self.underline, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
            (self.dim, Modifier::DIM),
        ];
        for (flag, modifier) in modifiers {
            style = match flag {
                Some(true) => style.add_modifier(modifier),
                Some(false) => style.remove_modifier(modifier),
                None => style,
            };
        }
        style
    }
}

/// One theme file, parsed but not resolved against its parents.
#[derive(Debug, Clone)]
struct ThemeFile {
    name: String,
    origin: String,
    shipped: bool,
    description: Option<String>,
    inherits: Option<(String, Location)>,
    roles: BTreeMap<Role, RoleSpec>,
}

type Entry<'a, 'i> = (&'a Spanned<DeString<'i>>, &'a Spanned<DeValue<'i>>);

/// Table entries in file order, so the first error reported is the first in
/// the file.
fn entries_in_order<'a, 'i>(table: &'a DeTable<'i>) -> Vec<Entry<'a, 'i>> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

struct Parser<'t> {
    origin: &'t str,
    text: &'t str,
}

impl Parser<'_> {
    fn at(&self, offset: usize) -> Location {
        Location::in_text(self.origin, self.text, offset)
    }

    fn invalid(&self, offset: usize, message: impl Into<String>) -> ThemeError {
        ThemeError::Invalid {
            at: self.at(offset),
            message: message.into(),
        }
    }

    fn string(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<String, ThemeError> {
        match value.get_ref() {
            DeValue::String(s) => Ok(s.to_string()),
            other => Err(self.invalid(
                value.span().start,
                format!("'{key}' must be a string, found {}", other.type_str()),
            )),
        }
    }

    fn file(&self, name: &str, shipped: bool) -> Result<ThemeFile, ThemeError> {
        let doc = DeTable::parse(self.text)
            .map_err(|e| self.invalid(e.span().map_or(0, |s| s.start), e.message().to_string()))?;
        let mut theme = ThemeFile {
            name: name.to_string(),
            origin: self.origin.to_string(),
            shipped,
            description: None,
            inherits: None,
            roles: BTreeMap::new(),
        };
        for (key, value) in entries_in_order(doc.get_ref()) {
            match key.get_ref().as_ref() {
                "inherits" => {
                    let parent = self.string("inherits", value)?;
                    theme.inherits = Some((parent, self.at(value.span().start)));
                }
                "description" => theme.description = Some(self.string("description", value)?),
                "roles" => {
                    let DeValue::Table(roles) = value.get_ref() else {
                        return Err(self.invalid(
                            value.span().start,
                            "'roles' must be a table: write [roles.ok], [roles.crit]...",
                        ));
                    };
                    for (role_key, role_value) in entries_in_order(roles) {
                        let Some(role) = Role::from_name(role_key.get_ref()) else {
                            return Err(ThemeError::UnknownRole {
                                at: self.at(role_key.span().start),
                                role: role_key.get_ref().to_string(),
                            });
                        };
                        theme.roles.insert(role, self.role(role, role_value)?);
                    }
                }
                other => {
                    return Err(ThemeError::UnknownKey {
                        at: self.at(key.span().start),
                        key: other.to_string(),
                        table: "the top level".to_string(),
                        expected: TOP_KEYS,
                    });
                }
            }
        }
        Ok(theme)
    }

    fn role(&self, role: Role, value: &Spanned<DeValue<'_>>) -> Result<RoleSpec, ThemeError> {
        let DeValue::Table(table) = value.get_ref() else {
            return Err(self.invalid(
                value.span().start,
                format!(
                    "role '{}' must be a table: write [roles.{}]",
                    role.name(),
                    role.name()
                ),
            ));
        };
        let mut spec = RoleSpec::default();
        for (key, value) in entries_in_order(table) {
            let name = key.get_ref().as_ref();
            match name {
                "fg" => spec.fg = Some(self.colour(value)?),
                "bg" => spec.bg = Some(self.colour(value)?),
                "fg16" => spec.fg16 = Some(self.colour16(value)?),
                "bg16" => spec.bg16 = Some(self.colour16(value)?),
                "bold" | "italic" | "underline" | "reversed" | "dim" => {
                    let DeValue::Boolean(b) = value.get_ref() else {
                        return Err(self.invalid(
                            value.span().start,
                            format!(
                                "'{name}' must be true or false, found {}",
                                value.get_ref().type_str()
                            ),
                        ));
                    };
                    let slot = match name {
                        "bold" => &mut spec.bold,
                        "italic" => &mut spec.italic,
                        "underline" => &mut spec.underline,
                        "reversed" => &mut spec.reversed,
                        _ => &mut spec.dim,
                    };
                    *slot = Some(*b);
                }
                other => {
                    return Err(ThemeError::UnknownKey {
                        at: self.at(key.span().start),
                        key: other.to_string(),
                        table: format!("[roles.{}]", role.name()),
                        expected: ROLE_KEYS,
                    });
                }
            }
        }
        Ok(spec)
    }

    fn bad_colour(
        &self,
        value: &Spanned<DeValue<'_>>,
        text: &str,
        expected: &'static str,
    ) -> ThemeError {
        ThemeError::BadColour {
            at: self.at(value.span().start),
            value: text.to_string(),
            expected,
        }
    }

    /// `"#rrggbb"`, an index 0-255 (integer or string) or a colour name.
    fn colour(&self, value: &Spanned<DeValue<'_>>) -> Result<Color, ThemeError> {
        match value.get_ref() {
            DeValue::String(s) => {
                let s = s.as_ref();
                if let Some(hex) = s.strip_prefix('#') {
                    parse_hex(hex).ok_or_else(|| self.bad_colour(value, s, COLOUR_EXPECTED))
                } else if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                    s.parse::<u8>()
                        .map(Color::Indexed)
                        .map_err(|_| self.bad_colour(value, s, COLOUR_EXPECTED))
                } else {
                    named_colour(s).ok_or_else(|| self.bad_colour(value, s, COLOUR_EXPECTED))
                }
            }
            DeValue::Integer(i) => u8::from_str_radix(i.as_str(), i.radix())
                .map(Color::Indexed)
                .map_err(|_| self.bad_colour(value, i.as_str(), COLOUR_EXPECTED)),
            other => Err(self.invalid(
                value.span().start,
                format!(
                    "a colour must be {COLOUR_EXPECTED}, found {}",
                    other.type_str()
                ),
            )),
        }
    }

    fn colour16(&self, value: &Spanned<DeValue<'_>>) -> Result<Color, ThemeError> {
        match value.get_ref() {
            DeValue::String(s) => {
                named_colour(s).ok_or_else(|| self.bad_colour(value, s, COLOUR16_EXPECTED))
            }
            other => Err(self.invalid(
                value.span().start,
                format!(
                    "a 16-colour fallback must be {COLOUR16_EXPECTED}, found {}",
                    other.type_str()
                ),
            )),
        }
    }
}

fn parse_hex(hex: &str) -> Option<Color> {
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some(Color::Rgb(byte(0)?, byte(2)?, byte(4)?))
}

/// Vigie's configuration directory: `$XDG_CONFIG_HOME/vigie`, else
/// `$HOME/.config/vigie`.
pub(crate) fn config_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let config = env("XDG_CONFIG_HOME")
        .filter(|d| Path::new(d).is_absolute())
        .map(PathBuf::from)
        .or_else(|| {
            env("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| Path::new(&h).join(".config"))
        })?;
    Some(config.join("vigie"))
}

/// The user's theme directory: `$XDG_CONFIG_HOME/vigie/themes`, else
/// `$HOME/.config/vigie/themes`.
pub fn user_theme_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    config_dir(env).map(|d| d.join("themes"))
}

/// Every theme Vigie knows: the shipped ones and the user's.
#[derive(Debug, Clone)]
pub struct ThemeSet {
    shipped: BTreeMap<String, ThemeFile>,
    user: BTreeMap<String, ThemeFile>,
}

impl ThemeSet {
    /// The themes embedded in the binary, without any user file.
    pub fn shipped() -> Result<ThemeSet, ThemeError> {
        let mut shipped = BTreeMap::new();
        for (name, text) in SHIPPED {
            let origin = format!("themes/{name}.toml");
            let file = Parser {
                origin: &origin,
                text,
            }
            .file(name, true)?;
            shipped.insert(name.to_string(), file);
        }
        Ok(ThemeSet {
            shipped,
            user: BTreeMap::new(),
        })
    }

    /// The shipped themes plus every `NAME.toml` in `user_dir` (a missing
    /// directory is fine). Every theme is checked here, parents and roles
    /// included, so a broken file is reported at start-up, not on switch.
    pub fn load(user_dir: Option<&Path>) -> Result<ThemeSet, ThemeError> {
        let mut set = ThemeSet::shipped()?;
        if let Some(dir) = user_dir {
            set.user = load_dir(dir)?;
        }
        for name in set.names() {
            set.resolve(&name, ColorDepth::TrueColor)?;
        }
        Ok(set)
    }

    /// Every theme name, sorted; a user theme shadowing a shipped one appears once.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .shipped
            .keys()
            .chain(self.user.keys())
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The theme's `description`, if its file has one.
    pub fn description(&self, name: &str) -> Option<&str> {
        self.find(name)?.description.as_deref()
    }

    fn find(&self, name: &str) -> Option<&ThemeFile> {
        self.user.get(name).or_else(|| self.shipped.get(name))
    }

    fn parent_of(&self, child: &ThemeFile) -> Result<Option<&ThemeFile>, ThemeError> {
        let Some((parent, at)) = &child.inherits else {
            return Ok(None);
        };
        let found = if *parent == child.name {
            // Only a user theme shadowing a shipped one may name itself.
            let shipped = if child.shipped {
                None
            } else {
                self.shipped.get(parent)
            };
            if shipped.is_none() {
                return Err(ThemeError::Cycle {
                    chain: vec![parent.clone(), parent.clone()],
                });
            }
            shipped
        } else {
            self.find(parent)
        };
        found.map(Some).ok_or_else(|| ThemeError::UnknownParent {
            at: at.clone(),
            theme: child.name.clone(),
            parent: parent.clone(),
            available: self.names(),
        })
    }

    /// The theme then its ancestors, nearest first.
    fn chain(&self, name: &str) -> Result<Vec<&ThemeFile>, ThemeError> {
        let mut current = self.find(name).ok_or_else(|| ThemeError::UnknownTheme {
            name: name.to_string(),
            available: self.names(),
        })?;
        let mut chain = vec![current];
        while let Some(parent) = self.parent_of(current)? {
            let seen = chain
                .iter()
                .any(|t| t.name == parent.name && t.shipped == parent.shipped);
            if seen {
                let mut names: Vec<String> = chain.iter().map(|t| t.name.clone()).collect();
                names.push(parent.name.clone());
                return Err(ThemeError::Cycle { chain: names });
            }
            chain.push(parent);
            current = parent;
        }
        Ok(chain)
    }

    /// The theme `name` with its parents applied, for a terminal of `depth`.
    pub fn resolve(&self, name: &str, depth: ColorDepth) -> Result<Theme, ThemeError> {
        let chain = self.chain(name)?;
        let mut styles = [Style::default(); Role::ALL.len()];
        for role in Role::ALL {
            let spec = chain.iter().find_map(|t| t.roles.get(&role));
            let Some(spec) = spec else {
                let root = chain.last().map_or(name, |t| t.name.as_str());
                let file = chain.last().map_or_else(String::new, |t| t.origin.clone());
                return Err(ThemeError::MissingRole {
                    file,
                    theme: root.to_string(),
                    role: role.name(),
                });
            };
            styles[role.index()] = spec.style(depth);
        }
        Ok(Theme {
            name: name.to_string(),
            depth,
            styles,
        })
    }

    /// The theme the console should use. Without colour (NO_COLOR, TERM=dumb
    /// or a `mono` override) only modifiers remain, and a theme made for
    /// colour may then draw ok, warn and crit alike: so at `Mono` the
    /// configured theme is kept only if it is `mono` or inherits from it,
    /// and is otherwise replaced by `mono`.
    pub fn choose(&self, configured: Option<&str>, depth: ColorDepth) -> Result<Theme, ThemeError> {
        let name = configured.unwrap_or(DEFAULT_THEME);
        if depth == ColorDepth::Mono {
            let made_for_mono = self.chain(name)?.iter().any(|t| t.name == MONO_THEME);
            if !made_for_mono {
                return self.resolve(MONO_THEME, depth);
            }
        }
        self.resolve(name, depth)
    }
}

fn load_dir(dir: &Path) -> Result<BTreeMap<String, ThemeFile>, ThemeError> {
    let io = |source| ThemeError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(io(e)),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            paths.push(path);
        }
    }
    paths.sort();
    let mut themes = BTreeMap::new();
    for path in paths {
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ThemeError::Io {
            path: path.clone(),
            source,
        })?;
        let origin = path.display().to_string();
        let file = Parser {
            origin: &origin,
            text: &text,
        }
        .file(name, false)?;
        themes.insert(name.to_string(), file);
    }
    Ok(themes)
}

/// A theme resolved for one colour depth: one style per role.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    pub depth: ColorDepth,
    styles: [Style; Role::ALL.len()],
}

impl Theme {
    pub fn style(&self, role: Role) -> Style {
        self.styles[role.index()]
    }

    pub fn status(&self, s: Status) -> Style {
        self.style(match s {
            Status::Up => Role::Ok,
            Status::Degraded => Role::Warn,
            Status::Down => Role::Crit,
            Status::Unknown => Role::Unknown,
            Status::Maintenance => Role::Maintenance,
        })
    }

    pub fn env(&self, e: EnvKind) -> Style {
        self.style(match e {
            EnvKind::Prod => Role::EnvProd,
            EnvKind::Preprod => Role::EnvPreprod,
            EnvKind::Dev => Role::EnvDev,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::from_name(r.name()), Some(r));
        }
        for (i, r) in Role::ALL.into_iter().enumerate() {
            assert_eq!(r.index(), i);
        }
    }

    #[test]
    fn pure_colours_map_to_their_256_cube_entries() {
        assert_eq!(rgb_to_256(0xff, 0, 0), 196);
        assert_eq!(rgb_to_256(0x5f, 0xaf, 0x5f), 71);
        assert_eq!(rgb_to_256(0x1c, 0x1c, 0x1c), 234);
        assert_eq!(rgb_to_256(0xff, 0xff, 0xff), 231);
    }

    #[test]
    fn index_to_rgb_inverts_the_cube_and_grey_ramp() {
        for i in 16..=255u8 {
            let (r, g, b) = index_to_rgb(i);
            assert_eq!(rgb_to_256(r, g, b), i, "index {i}");
        }
    }

    #[test]
    fn soft_colours_keep_their_hue_in_16_colours() {
        let cases = [
            ((0x5f, 0xaf, 0x5f), Color::Green),
            ((0xd7, 0xaf, 0x5f), Color::Yellow),
            ((0xd7, 0x5f, 0x5f), Color::Red),
            ((0xff, 0x5f, 0x5f), Color::LightRed),
            ((0x5f, 0x87, 0xaf), Color::Blue),
            ((0xaf, 0x87, 0xd7), Color::Magenta),
            ((0x5f, 0xaf, 0xd7), Color::Cyan),
            ((0x6c, 0x6c, 0x6c), Color::DarkGray),
            ((0xd0, 0xd0, 0xd0), Color::Gray),
            ((0xfa, 0xfa, 0xfa), Color::White),
            ((0x1c, 0x1c, 0x1c), Color::Black),
        ];
        for ((r, g, b), want) in cases {
            assert_eq!(rgb_to_16(r, g, b), want, "#{r:02x}{g:02x}{b:02x}");
        }
    }

    #[test]
    fn low_indexes_are_the_16_named_colours() {
        assert_eq!(to_16(Color::Indexed(1)), Color::Red);
        assert_eq!(to_16(Color::Indexed(8)), Color::DarkGray);
        assert_eq!(to_16(Color::Indexed(196)), Color::LightRed);
    }

    #[test]
    fn colour_names_accept_grey_and_dashes() {
        assert_eq!(named_colour("dark-grey"), Some(Color::DarkGray));
        assert_eq!(named_colour("Light_Red"), Some(Color::LightRed));
        assert_eq!(named_colour("blurple"), None);
    }

    #[test]
    fn location_counts_lines_and_characters_from_one() {
        let text = "a = 1\nbé = \"x\"\n";
        let at = Location::in_text("f.toml", text, text.find('"').unwrap_or(0));
        assert_eq!(at.to_string(), "f.toml:2:6");
    }

    #[test]
    fn false_modifier_removes_and_missing_leaves() {
        let spec = RoleSpec {
            bold: Some(false),
            italic: Some(true),
            ..RoleSpec::default()
        };
        let s = spec.style(ColorDepth::TrueColor);
        assert!(s.sub_modifier.contains(Modifier::BOLD));
        assert!(s.add_modifier.contains(Modifier::ITALIC));
        assert!(!s.add_modifier.contains(Modifier::DIM) && !s.sub_modifier.contains(Modifier::DIM));
    }
}
