//! Keymaps: which keys ask for which action, per context.
//!
//! The shipped `keymaps/default.toml` holds every binding. Every other
//! keymap (the shipped `vim`, the user's `keymap.toml`) is a patch over a
//! base: an action it lists gets exactly the keys listed (`[]` unbinds it),
//! an action it leaves out keeps the base's keys. After patching, a key may
//! ask for only one action per context; a pane context may shadow a global
//! key (the pane is asked first).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use super::action::{Action, Context};
use super::keys::KeyBinding;
use super::theme::{Location, config_dir};

/// The keymaps a patch can start from.
pub const BASES: [&str; 2] = ["default", "vim"];

const DEFAULT: (&str, &str) = (
    "keymaps/default.toml",
    include_str!("../../keymaps/default.toml"),
);
const VIM: (&str, &str) = ("keymaps/vim.toml", include_str!("../../keymaps/vim.toml"));

/// Why a keymap could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },
    #[error(
        "{at}: unknown action '{name}' in [{context}]: expected one of {}",
        action_names()
    )]
    UnknownAction {
        at: Location,
        name: String,
        context: &'static str,
    },
    #[error("{at}: unknown context [{name}]: expected one of {}", context_names())]
    UnknownContext { at: Location, name: String },
    #[error("{at}: bad key \"{key}\" for '{action}': {reason}")]
    BadKey {
        at: Location,
        key: String,
        action: &'static str,
        reason: String,
    },
    #[error("{0}")]
    Conflict(Box<KeyConflict>),
    #[error(
        "{}unknown keymap base '{name}': expected one of {}",
        at.as_ref().map(|a| format!("{a}: ")).unwrap_or_default(),
        BASES.join(", ")
    )]
    UnknownBase { name: String, at: Option<Location> },
    #[error("cannot read keymap {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One key asking for two actions in one context, and where each binding
/// was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "key \"{key}\" in [{context}] is bound to both \"{first}\" ({first_at}) and \
     \"{second}\" ({second_at}); give one of them other keys (an empty list [] unbinds)"
)]
pub struct KeyConflict {
    pub key: KeyBinding,
    pub context: &'static str,
    pub first: &'static str,
    pub first_at: Location,
    pub second: &'static str,
    pub second_at: Location,
}

fn action_names() -> String {
    Action::ALL.map(Action::name).join(", ")
}

fn context_names() -> String {
    Context::ALL.map(Context::name).join(", ")
}

fn context_from_name(name: &str) -> Option<Context> {
    Context::ALL.into_iter().find(|c| c.name() == name)
}

/// The user's keymap patch: `$XDG_CONFIG_HOME/vigie/keymap.toml`, else
/// `$HOME/.config/vigie/keymap.toml`.
pub fn user_keymap_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    config_dir(env).map(|d| d.join("keymap.toml"))
}

/// The keys of one action in one context, and the file line that set them.
#[derive(Debug, Clone)]
struct Binding {
    keys: Vec<KeyBinding>,
    origin: Location,
    /// 0 for default, then one per patch applied: the later wins.
    layer: usize,
}

/// One `action = [keys]` line of a patch.
struct PatchLine {
    context: Context,
    action: Action,
    keys: Vec<KeyBinding>,
    at: Location,
}

struct Patch {
    base: Option<(String, Location)>,
    lines: Vec<PatchLine>,
}

/// Active bindings per context, after every patch.
#[derive(Debug, Clone)]
pub struct Keymap {
    base: String,
    contexts: BTreeMap<Context, BTreeMap<Action, Binding>>,
}

impl Keymap {
    /// The shipped `base` ("default" or "vim") patched by the user's file.
    /// A missing file is no patch (the usual case); its `base = "..."`, if
    /// any, wins over `base`.
    pub fn load(base: &str, user_patch: Option<&Path>) -> Result<Keymap, KeymapError> {
        let Some(path) = user_patch else {
            return Keymap::build(base, None);
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Keymap::from_str_patch(base, &text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Keymap::build(base, None),
            Err(source) => Err(KeymapError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Like `load`, with the patch's text given; `origin` names it in errors.
    pub fn from_str_patch(
        base: &str,
        patch_text: &str,
        origin: &str,
    ) -> Result<Keymap, KeymapError> {
        let patch = parse_patch(patch_text, origin, true)?;
        Keymap::build(base, Some(patch))
    }

    fn build(base: &str, user: Option<Patch>) -> Result<Keymap, KeymapError> {
        let (base, at) = match user.as_ref().and_then(|p| p.base.clone()) {
            Some((name, at)) => (name, Some(at)),
            None => (base.to_string(), None),
        };
        let mut layers = vec![parse_patch(DEFAULT.1, DEFAULT.0, false)?];
        match base.as_str() {
            "default" => {}
            "vim" => layers.push(parse_patch(VIM.1, VIM.0, false)?),
            _ => return Err(KeymapError::UnknownBase { name: base, at }),
        }
        layers.extend(user);
        let mut keymap = Keymap {
            base,
            contexts: BTreeMap::new(),
        };
        for (layer, patch) in layers.into_iter().enumerate() {
            for line in patch.lines {
                let binding = Binding {
                    keys: line.keys,
                    origin: line.at,
                    layer,
                };
                keymap
                    .contexts
                    .entry(line.context)
                    .or_default()
                    .insert(line.action, binding);
            }
        }
        keymap.check_conflicts()?;
        Ok(keymap)
    }

    /// One key, one action per context; the earlier layer is named first.
    fn check_conflicts(&self) -> Result<(), KeymapError> {
        for (context, actions) in &self.contexts {
            let mut all: Vec<(&KeyBinding, Action, &Binding)> = actions
                .iter()
                .flat_map(|(action, b)| b.keys.iter().map(move |k| (k, *action, b)))
                .collect();
            all.sort_by_key(|(_, _, b)| (b.layer, b.origin.line, b.origin.column));
            let mut seen: Vec<(&KeyBinding, Action, &Binding)> = Vec::new();
            for (key, action, binding) in all {
                if let Some((_, first, first_b)) =
                    seen.iter().find(|(k, a, _)| *k == key && *a != action)
                {
                    return Err(KeymapError::Conflict(Box::new(KeyConflict {
                        key: *key,
                        context: context.name(),
                        first: first.name(),
                        first_at: first_b.origin.clone(),
                        second: action.name(),
                        second_at: binding.origin.clone(),
                    })));
                }
                seen.push((key, action, binding));
            }
        }
        Ok(())
    }

    /// The base this keymap was patched over ("default" or "vim").
    pub fn base(&self) -> &str {
        &self.base
    }

    fn own(&self, ctx: Context, key: &KeyBinding) -> Option<Action> {
        let actions = self.contexts.get(&ctx)?;
        actions
            .iter()
            .find(|(_, b)| b.keys.contains(key))
            .map(|(a, _)| *a)
    }

    /// The action `key` asks for in `ctx`: the context's own binding first,
    /// then the global one.
    pub fn lookup(&self, ctx: Context, key: &KeyBinding) -> Option<Action> {
        self.own(ctx, key)
            .or_else(|| self.own(Context::Global, key))
    }

    /// Every key that triggers `action` in `ctx`: the context's own, then the
    /// global ones the context does not shadow.
    pub fn keys_for(&self, ctx: Context, action: Action) -> Vec<KeyBinding> {
        let keys_of = |c: Context| {
            self.contexts
                .get(&c)
                .and_then(|actions| actions.get(&action))
                .map(|b| b.keys.clone())
                .unwrap_or_default()
        };
        let mut keys = if ctx == Context::Global {
            Vec::new()
        } else {
            keys_of(ctx)
        };
        for key in keys_of(Context::Global) {
            if !keys.contains(&key) && self.lookup(ctx, &key) == Some(action) {
                keys.push(key);
            }
        }
        keys
    }

    /// The actions reachable in `ctx` with their keys, in `Action::ALL`
    /// order, for the generated help and footer. Unbound actions are left out.
    pub fn bindings(&self, ctx: Context) -> Vec<(Action, Vec<KeyBinding>)> {
        Action::ALL
            .into_iter()
            .map(|a| (a, self.keys_for(ctx, a)))
            .filter(|(_, keys)| !keys.is_empty())
            .collect()
    }
}

type Entry<'a, 'i> = (&'a Spanned<DeString<'i>>, &'a Spanned<DeValue<'i>>);

fn entries_in_order<'a, 'i>(table: &'a DeTable<'i>) -> Vec<Entry<'a, 'i>> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

fn parse_patch(text: &str, origin: &str, allow_base: bool) -> Result<Patch, KeymapError> {
    let at = |offset: usize| Location::in_text(origin, text, offset);
    let invalid = |offset: usize, message: String| KeymapError::Invalid {
        at: at(offset),
        message,
    };
    let doc = DeTable::parse(text)
        .map_err(|e| invalid(e.span().map_or(0, |s| s.start), e.message().to_string()))?;
    let mut patch = Patch {
        base: None,
        lines: Vec::new(),
    };
    for (key, value) in entries_in_order(doc.get_ref()) {
        let name = key.get_ref().as_ref();
        if name == "base" && allow_base {
            let DeValue::String(base) = value.get_ref() else {
                return Err(invalid(
                    value.span().start,
                    format!("'base' must be one of {}", BASES.join(", ")),
                ));
            };
            patch.base = Some((base.to_string(), at(value.span().start)));
            continue;
        }
        let Some(context) = context_from_name(name) else {
            if Action::from_name(name).is_some() {
                return Err(invalid(
                    key.span().start,
                    format!("'{name}' must be inside a context table, e.g. under [global]"),
                ));
            }
            return Err(KeymapError::UnknownContext {
                at: at(key.span().start),
                name: name.to_string(),
            });
        };
        let DeValue::Table(actions) = value.get_ref() else {
            return Err(invalid(
                key.span().start,
                format!("'{name}' must be a table: write [{name}]"),
            ));
        };
        for (action_key, keys_value) in entries_in_order(actions) {
            let action_name = action_key.get_ref().as_ref();
            let Some(action) = Action::from_name(action_name) else {
                return Err(KeymapError::UnknownAction {
                    at: at(action_key.span().start),
                    name: action_name.to_string(),
                    context: context.name(),
                });
            };
            let items: Vec<&Spanned<DeValue<'_>>> = match keys_value.get_ref() {
                DeValue::Array(items) => items.iter().collect(),
                DeValue::String(_) => vec![keys_value],
                other => {
                    return Err(invalid(
                        keys_value.span().start,
                        format!(
                            "'{action_name}' must be a list of keys such as [\"q\", \"ctrl-c\"], found {}",
                            other.type_str()
                        ),
                    ));
                }
            };
            let mut keys = Vec::new();
            for item in items {
                let DeValue::String(text) = item.get_ref() else {
                    return Err(invalid(
                        item.span().start,
                        format!(
                            "a key must be a string such as \"q\", found {}",
                            item.get_ref().type_str()
                        ),
                    ));
                };
                let key = KeyBinding::parse(text).map_err(|reason| KeymapError::BadKey {
                    at: at(item.span().start),
                    key: text.to_string(),
                    action: action.name(),
                    reason,
                })?;
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            patch.lines.push(PatchLine {
                context,
                action,
                keys,
                at: at(action_key.span().start),
            });
        }
    }
    Ok(patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> KeyBinding {
        KeyBinding::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn pane_key_shadows_global_key() {
        let km = Keymap::from_str_patch("default", "[health]\nrefresh = [\"q\"]\n", "t.toml")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(km.lookup(Context::Health, &key("q")), Some(Action::Refresh));
        assert_eq!(km.lookup(Context::Global, &key("q")), Some(Action::Quit));
        assert_eq!(km.lookup(Context::Backups, &key("q")), Some(Action::Quit));
        // In Health, q no longer quits; ctrl-c still does.
        assert_eq!(
            km.keys_for(Context::Health, Action::Quit),
            vec![key("ctrl-c")]
        );
        assert_eq!(
            km.keys_for(Context::Health, Action::Refresh),
            vec![key("q"), key("r")]
        );
    }

    #[test]
    fn base_in_patch_wins_over_the_configured_one() {
        let km = Keymap::from_str_patch("default", "base = \"vim\"\n", "t.toml")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(km.base(), "vim");
        assert_eq!(km.lookup(Context::Global, &key("j")), Some(Action::Down));
    }

    #[test]
    fn unknown_base_is_an_error_with_its_location() {
        let err = Keymap::from_str_patch("default", "base = \"emacs\"\n", "t.toml")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("t.toml:1:8: unknown keymap base 'emacs': expected one of default, vim")
        );
    }

    #[test]
    fn action_at_top_level_says_to_put_it_in_a_context() {
        let err = Keymap::from_str_patch("default", "quit = [\"x\"]\n", "t.toml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("under [global]"), "{err}");
    }
}
