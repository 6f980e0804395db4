//! Secret files: API keys, passwords and webhook URLs kept in a file that only
//! its owner may read, like an SSH key. One rule and one wording for every
//! source (Odoo, the ticket tracker, webhooks, restic and borg): the file must
//! belong to the user running Vigie and grant nothing to group or others.
//! Secrets are never logged, shown or stored; only the file's path appears in
//! messages, cleaned of escape sequences.

use std::path::Path;

/// Checks that `path` belongs to this user and is unreadable by group and
/// others. For secrets handed to a child by path (`RESTIC_PASSWORD_FILE`).
pub fn check_owner_only(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let shown = crate::sanitize::clean(&path.display().to_string());
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("secret file {shown} does not exist"),
        _ => format!("cannot read secret file {shown}: {e}"),
    })?;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "secret file {shown} is readable by group or others (mode {mode:o}): run chmod 600 {shown}"
        ));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!(
            "secret file {shown} belongs to another user (uid {}): it must be this user's own",
            meta.uid()
        ));
    }
    Ok(())
}

/// Reads a secret file after [`check_owner_only`]: its text, trimmed; an
/// empty file is an error.
pub fn read_owner_only(path: &Path) -> Result<String, String> {
    check_owner_only(path)?;
    let shown = crate::sanitize::clean(&path.display().to_string());
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read secret file {shown}: {e}"))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("secret file {shown} is empty"));
    }
    Ok(text.to_string())
}

/// A secret from an environment variable, trimmed; unset or blank is an error.
pub fn from_env(name: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    env(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            format!(
                "environment variable {} is not set",
                crate::sanitize::clean(name)
            )
        })
}

/// The process environment, for [`from_env`].
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn file_with(mode: u32, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        (dir, path)
    }

    #[test]
    fn only_a_file_closed_to_group_and_others_is_read() {
        for (mode, ok) in [(0o600, true), (0o400, true), (0o640, false), (0o604, false)] {
            let (_d, path) = file_with(mode, " s3cret\n");
            let got = read_owner_only(&path);
            assert_eq!(got.is_ok(), ok, "mode {mode:o}: {got:?}");
            match got {
                Ok(v) => assert_eq!(v, "s3cret"),
                Err(e) => assert!(e.contains("chmod 600") && !e.contains("s3cret"), "{e}"),
            }
        }
    }

    #[test]
    fn missing_and_empty_files_say_so() {
        let (_d, path) = file_with(0o600, "  \n");
        assert!(read_owner_only(&path).unwrap_err().ends_with("is empty"));
        let gone = path.with_file_name("gone");
        assert!(
            check_owner_only(&gone)
                .unwrap_err()
                .contains("does not exist")
        );
    }

    #[test]
    fn a_path_carrying_escapes_is_shown_harmless() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_owner_only(&dir.path().join("k\u{1b}]52;c;x\u{7}")).unwrap_err();
        assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    }

    #[test]
    fn a_blank_variable_is_unset() {
        let env = |k: &str| (k == "K").then(|| "  ".to_string());
        assert!(from_env("K", &env).unwrap_err().contains("K is not set"));
        let env = |k: &str| (k == "K").then(|| " v ".to_string());
        assert_eq!(from_env("K", &env).unwrap(), "v");
    }
}
