//! Themes and keymaps reload when their files change, without a restart.
//! The runner asks [`Watch::changed`] on the clock's second (a few `stat`
//! calls, no thread, no inotify); on a change it loads everything again with
//! [`load`], and `update` swaps it in. A broken file keeps what is in use and
//! shows why, as a notice.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::keymap::Keymap;
use super::theme::{ColorDepth, Theme, ThemeSet};

/// What a reload produced.
#[derive(Debug)]
pub struct Loaded {
    pub themes: Arc<ThemeSet>,
    pub theme: Theme,
    pub keymap: Keymap,
}

/// The user's theme directory and keymap patch, and what they looked like
/// when last seen.
#[derive(Debug)]
pub struct Watch {
    dir: PathBuf,
    seen: Vec<(PathBuf, Option<SystemTime>, u64)>,
}

impl Watch {
    /// Watches `dir/themes/*.toml` (files added and removed too) and
    /// `dir/keymap.toml`.
    pub fn new(dir: &Path) -> Watch {
        let mut w = Watch {
            dir: dir.to_path_buf(),
            seen: Vec::new(),
        };
        w.seen = w.look();
        w
    }

    fn look(&self) -> Vec<(PathBuf, Option<SystemTime>, u64)> {
        let mut paths = vec![self.dir.join("keymap.toml"), self.dir.join("themes")];
        if let Ok(entries) = std::fs::read_dir(self.dir.join("themes")) {
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            paths.extend(files);
        }
        paths
            .into_iter()
            .map(|p| {
                let meta = std::fs::metadata(&p).ok();
                let modified = meta.as_ref().and_then(|m| m.modified().ok());
                let len = meta.map_or(0, |m| m.len());
                (p, modified, len)
            })
            .collect()
    }

    /// Whether anything changed since the last call (or since `new`).
    pub fn changed(&mut self) -> bool {
        let now = self.look();
        if now != self.seen {
            self.seen = now;
            true
        } else {
            false
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Loads the user's themes and keymap patch again, keeping the theme by
/// name and the colour depth in use. The error is one line, for a notice.
pub fn load(
    dir: &Path,
    theme: &str,
    depth: ColorDepth,
    keymap_base: &str,
) -> Result<Loaded, String> {
    let themes = ThemeSet::load(Some(&dir.join("themes"))).map_err(|e| e.to_string())?;
    let theme = themes.resolve(theme, depth).map_err(|e| e.to_string())?;
    let patch = dir.join("keymap.toml");
    let keymap = Keymap::load(keymap_base, Some(&patch)).map_err(|e| e.to_string())?;
    Ok(Loaded {
        themes: Arc::new(themes),
        theme,
        keymap,
    })
}
