//! The Odoo key or password: from an environment variable or a file only
//! its owner can read. Never logged, never shown, never stored.

use std::path::Path;

use super::OdooError;
use crate::model::pos::SecretSource;

/// Reads the secret; refuses a file others can read.
pub fn read(source: &SecretSource) -> Result<String, OdooError> {
    match source {
        SecretSource::Env(name) => match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            _ => Err(OdooError::NoSecret(format!(
                "environment variable {name} is not set"
            ))),
        },
        SecretSource::File(path) => read_file(path),
    }
}

fn read_file(path: &Path) -> Result<String, OdooError> {
    let shown = crate::sanitize::clean(&path.display().to_string());
    let meta = std::fs::metadata(path).map_err(|e| OdooError::NoSecret(format!("{shown}: {e}")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(OdooError::NoSecret(format!(
                "{shown} is readable by others, expected mode 600 (chmod 600 {shown})"
            )));
        }
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| OdooError::NoSecret(format!("{shown}: {e}")))?;
    let key = text.trim();
    if key.is_empty() {
        return Err(OdooError::NoSecret(format!("{shown} is empty")));
    }
    Ok(key.to_string())
}
