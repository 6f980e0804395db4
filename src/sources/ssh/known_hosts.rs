//! Host keys against OpenSSH known_hosts files: plain and hashed
//! (`|1|salt|hash`) host fields, patterns with `*`, `?` and `!`,
//! `[host]:port` names, `@revoked` lines. Strict: an unknown key is asked
//! about, a changed or revoked one refused; nothing turns checking off.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Digest;

/// One key line of a known_hosts file.
#[derive(Debug, Clone)]
struct Entry {
    file: PathBuf,
    line: usize,
    revoked: bool,
    hosts: Hosts,
    key_type: String,
    key: Vec<u8>,
}

#[derive(Debug, Clone)]
enum Hosts {
    Hashed { salt: Vec<u8>, hash: Vec<u8> },
    Patterns(Vec<String>),
}

/// What the files say about a host's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Known,
    /// No line names the host.
    Unknown,
    /// The host is known with another key: `file:line` of that key.
    Changed {
        file: PathBuf,
        line: usize,
    },
    Revoked {
        file: PathBuf,
        line: usize,
    },
}

/// The keys read from every file given (missing files count as empty).
#[derive(Debug, Clone, Default)]
pub struct KnownHosts {
    entries: Vec<Entry>,
}

impl KnownHosts {
    pub fn read(files: &[PathBuf]) -> KnownHosts {
        let mut out = KnownHosts::default();
        for f in files {
            if let Ok(text) = std::fs::read_to_string(f) {
                out.parse(f, &text);
            }
        }
        out
    }

    fn parse(&mut self, file: &Path, text: &str) {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let mut first = fields.next().unwrap_or_default();
            let mut revoked = false;
            if first.starts_with('@') {
                match first {
                    "@revoked" => revoked = true,
                    // Certificate authorities: Vigie does not check
                    // certificates, so such a line vouches for nothing.
                    _ => continue,
                }
                first = fields.next().unwrap_or_default();
            }
            let (Some(key_type), Some(key64)) = (fields.next(), fields.next()) else {
                continue;
            };
            let Ok(key) = STANDARD.decode(key64) else {
                continue;
            };
            let hosts = if let Some(rest) = first.strip_prefix("|1|") {
                let Some((salt, hash)) = rest.split_once('|') else {
                    continue;
                };
                match (STANDARD.decode(salt), STANDARD.decode(hash)) {
                    (Ok(salt), Ok(hash)) => Hosts::Hashed { salt, hash },
                    _ => continue,
                }
            } else {
                Hosts::Patterns(first.split(',').map(str::to_string).collect())
            };
            self.entries.push(Entry {
                file: file.to_path_buf(),
                line: i + 1,
                revoked,
                hosts,
                key_type: key_type.to_string(),
                key,
            });
        }
    }

    /// Key types recorded for `name` (`host` or `[host]:port`), in file
    /// order, to ask the server for those first as OpenSSH does.
    pub fn types_for(&self, name: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in self
            .entries
            .iter()
            .filter(|e| !e.revoked && e.hosts.matches(name))
        {
            if !out.contains(&e.key_type) {
                out.push(e.key_type.clone());
            }
        }
        out
    }

    /// Judges the key a server offered under `name`.
    pub fn check(&self, name: &str, key: &[u8]) -> Verdict {
        let matching: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.hosts.matches(name))
            .collect();
        if let Some(r) = matching.iter().find(|e| e.revoked && e.key == key) {
            return Verdict::Revoked {
                file: r.file.clone(),
                line: r.line,
            };
        }
        // A revoked key is revoked for every host.
        if let Some(r) = self.entries.iter().find(|e| e.revoked && e.key == key) {
            return Verdict::Revoked {
                file: r.file.clone(),
                line: r.line,
            };
        }
        let live: Vec<&&Entry> = matching.iter().filter(|e| !e.revoked).collect();
        if live.iter().any(|e| e.key == key) {
            return Verdict::Known;
        }
        let offered = key_type(key);
        let other = live
            .iter()
            .find(|e| Some(e.key_type.as_str()) == offered.as_deref())
            .or(live.first());
        match other {
            Some(e) => Verdict::Changed {
                file: e.file.clone(),
                line: e.line,
            },
            None => Verdict::Unknown,
        }
    }
}

impl Hosts {
    fn matches(&self, name: &str) -> bool {
        match self {
            Hosts::Hashed { salt, hash } => {
                let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(salt) else {
                    return false;
                };
                mac.update(name.as_bytes());
                mac.verify_slice(hash).is_ok()
            }
            Hosts::Patterns(list) => {
                let mut hit = false;
                for p in list {
                    if let Some(neg) = p.strip_prefix('!') {
                        if wildcard(&neg.to_ascii_lowercase(), &name.to_ascii_lowercase()) {
                            return false;
                        }
                    } else if wildcard(&p.to_ascii_lowercase(), &name.to_ascii_lowercase()) {
                        hit = true;
                    }
                }
                hit
            }
        }
    }
}

/// `*` any run, `?` one character.
fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// The key type named inside a public key blob (its first string).
pub fn key_type(blob: &[u8]) -> Option<String> {
    let len = u32::from_be_bytes(blob.get(0..4)?.try_into().ok()?) as usize;
    let name = blob.get(4..4usize.checked_add(len)?)?;
    String::from_utf8(name.to_vec()).ok()
}

/// `SHA256:...` as `ssh-keygen -l` prints it.
pub fn fingerprint(blob: &[u8]) -> String {
    let digest = sha2::Sha256::digest(blob);
    format!("SHA256:{}", STANDARD_NO_PAD.encode(digest))
}

/// Appends a trusted key to Vigie's own file (created owner-only, with
/// its folder).
pub fn record(file: &Path, name: &str, blob: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let kind = key_type(blob).ok_or_else(|| std::io::Error::other("unreadable host key"))?;
    let mut f = {
        use std::os::unix::fs::OpenOptionsExt;
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(file)?
    };
    writeln!(f, "{name} {kind} {}", STANDARD.encode(blob))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(kind: &str, body: &[u8]) -> Vec<u8> {
        let mut b = (kind.len() as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind.as_bytes());
        b.extend_from_slice(body);
        b
    }

    fn hashed(name: &str, salt: &[u8]) -> String {
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(salt).unwrap();
        mac.update(name.as_bytes());
        format!(
            "|1|{}|{}",
            STANDARD.encode(salt),
            STANDARD.encode(mac.finalize().into_bytes())
        )
    }

    fn file(lines: &[String]) -> KnownHosts {
        let mut k = KnownHosts::default();
        k.parse(Path::new("kh"), &lines.join("\n"));
        k
    }

    #[test]
    fn plain_hashed_pattern_and_port_entries_are_judged() {
        let a = blob("ssh-ed25519", b"aaaa");
        let b = blob("ssh-ed25519", b"bbbb");
        let r = blob("ssh-rsa", b"rrrr");
        let line = |host: &str, k: &[u8]| {
            format!("{host} {} {}", key_type(k).unwrap(), STANDARD.encode(k))
        };
        let kh = file(&[
            "# comment".into(),
            line("web1,10.0.0.5", &a),
            line(&hashed("[db1]:2222", b"salt-1234567890123456"), &a),
            line("*.dev.example,!secret.dev.example", &a),
            format!("@revoked * {} {}", "ssh-rsa", STANDARD.encode(&r)),
            "@cert-authority * ssh-ed25519 AAAA".into(),
            "garbage".into(),
        ]);
        let cases: &[(&str, &[u8], Verdict)] = &[
            ("web1", &a, Verdict::Known),
            ("10.0.0.5", &a, Verdict::Known),
            ("WEB1", &a, Verdict::Known),
            (
                "web1",
                &b,
                Verdict::Changed {
                    file: "kh".into(),
                    line: 2,
                },
            ),
            ("[db1]:2222", &a, Verdict::Known),
            ("db1", &a, Verdict::Unknown),
            (
                "[db1]:2222",
                &b,
                Verdict::Changed {
                    file: "kh".into(),
                    line: 3,
                },
            ),
            ("x.dev.example", &a, Verdict::Known),
            ("secret.dev.example", &a, Verdict::Unknown),
            ("nobody", &b, Verdict::Unknown),
            (
                "web1",
                &r,
                Verdict::Revoked {
                    file: "kh".into(),
                    line: 5,
                },
            ),
        ];
        for (name, key, expected) in cases {
            assert_eq!(&kh.check(name, key), expected, "{name}");
        }
        assert_eq!(kh.types_for("web1"), vec!["ssh-ed25519".to_string()]);
    }

    #[test]
    fn wildcards_match_like_openssh() {
        for (p, t, m) in [
            ("*", "x", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*.example", "a.b.example", true),
            ("[h]:22*", "[h]:2222", true),
            ("abc", "abcd", false),
        ] {
            assert_eq!(wildcard(p, t), m, "{p} {t}");
        }
    }

    #[test]
    fn recorded_keys_are_read_back_as_known() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("sub/known_hosts");
        let k = blob("ssh-ed25519", b"kkkk");
        record(&f, "[127.0.0.1]:2022", &k).unwrap();
        let kh = KnownHosts::read(std::slice::from_ref(&f));
        assert_eq!(kh.check("[127.0.0.1]:2022", &k), Verdict::Known);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&f).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner-only");
    }

    #[test]
    fn fingerprint_reads_like_ssh_keygen() {
        // ssh-keygen prints unpadded base64 of the SHA-256 of the blob.
        let f = fingerprint(b"");
        assert_eq!(f, "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
    }
}
