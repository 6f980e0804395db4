//! The Odoo key or password: from an environment variable or a file only
//! its owner can read. Never logged, never shown, never stored.

use super::OdooError;
use crate::model::pos::SecretSource;

/// Reads the secret; refuses a file others can read.
pub fn read(source: &SecretSource) -> Result<String, OdooError> {
    match source {
        SecretSource::Env(name) => crate::secret::from_env(name, &crate::secret::process_env),
        SecretSource::File(path) => crate::secret::read_owner_only(path),
    }
    .map_err(OdooError::NoSecret)
}
