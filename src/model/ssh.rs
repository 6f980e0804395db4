//! SSH targets and the rules that say who may open a shell where.
//!
//! DOMAIN: operators have SSH to dev and preprod only, key-based and
//! non-root, through a single entry point. Vigie opens interactive SSH to
//! dev and preprod hosts; a prod host only when its entry says
//! `ssh = "allowed"`; read-only and wall modes never open SSH.

use std::path::PathBuf;

use super::EnvKind;

/// Where to connect and as whom, with the jump host in front of it (the
/// single entry point), resolved from the host's config entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SshTarget {
    /// The host's name in `[hosts]` (what messages and the audit name).
    pub host: String,
    pub address: String,
    pub port: u16,
    /// `None`: the local user name, as OpenSSH does.
    pub user: Option<String>,
    /// A private key file; `None`: the agent, then the default key files.
    pub key: Option<PathBuf>,
    /// Reached through a direct-tcpip channel on this host's session.
    pub jump: Option<Box<SshTarget>>,
}

impl SshTarget {
    /// `[address]:port` as known_hosts files write a non-standard port.
    pub fn known_hosts_name(&self) -> String {
        known_hosts_name(&self.address, self.port)
    }
}

/// The name a host is recorded under in a known_hosts file: the bare
/// address on port 22, `[address]:port` otherwise (OpenSSH's rule).
pub fn known_hosts_name(address: &str, port: u16) -> String {
    if port == 22 {
        address.to_string()
    } else {
        format!("[{address}]:{port}")
    }
}

/// What a host's entry says about interactive SSH (`ssh = "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SshPermission {
    /// Not said: dev and preprod yes, prod no.
    #[default]
    ByEnvironment,
    /// `ssh = "allowed"`: also on a prod host.
    Allowed,
    /// `ssh = "refused"`: never, whatever the environment.
    Refused,
}

/// How the console or CLI runs when it asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SshMode {
    pub read_only: bool,
    pub wall: bool,
}

/// Why SSH to a host was refused; the text is what the operator reads and
/// what the audit stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshRefusal {
    ReadOnly,
    Wall,
    Prod,
    RefusedByConfig,
    NoEnvironment,
}

impl SshRefusal {
    pub fn message(&self, host: &str) -> String {
        match self {
            SshRefusal::ReadOnly => format!("read-only: no SSH to {host} from this console"),
            SshRefusal::Wall => format!("wall mode: no SSH to {host} from this screen"),
            SshRefusal::Prod => {
                format!("{host} is a prod host: SSH refused (its entry must say ssh = \"allowed\")")
            }
            SshRefusal::RefusedByConfig => {
                format!("SSH to {host} is refused by its entry (ssh = \"refused\")")
            }
            SshRefusal::NoEnvironment => format!(
                "{host} is in no client's dev or preprod environment: SSH refused (its entry may say ssh = \"allowed\")"
            ),
        }
    }
}

/// Whether an operator may open SSH (a shell or a command) to a host that
/// sits in environments `envs` with permission `permission`.
///
/// Rule (DOMAIN, issue 8): read-only and wall modes never open SSH; an
/// explicit refusal wins; `allowed` opens any host; otherwise a host that
/// is in any prod environment is refused (a shared host is as sensitive as
/// its most sensitive use), and a host in dev or preprod only is allowed.
pub fn may_open(
    envs: &[EnvKind],
    permission: SshPermission,
    mode: SshMode,
) -> Result<(), SshRefusal> {
    if mode.wall {
        return Err(SshRefusal::Wall);
    }
    if mode.read_only {
        return Err(SshRefusal::ReadOnly);
    }
    match permission {
        SshPermission::Refused => Err(SshRefusal::RefusedByConfig),
        SshPermission::Allowed => Ok(()),
        SshPermission::ByEnvironment if envs.contains(&EnvKind::Prod) => Err(SshRefusal::Prod),
        SshPermission::ByEnvironment if envs.is_empty() => Err(SshRefusal::NoEnvironment),
        SshPermission::ByEnvironment => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnvKind::*;

    const NORMAL: SshMode = SshMode {
        read_only: false,
        wall: false,
    };
    const READ_ONLY: SshMode = SshMode {
        read_only: true,
        wall: false,
    };
    const WALL: SshMode = SshMode {
        read_only: false,
        wall: true,
    };

    #[test]
    fn dev_and_preprod_open_prod_needs_allowed_and_modes_never_open() {
        use SshPermission::*;
        type Case = (
            &'static [EnvKind],
            SshPermission,
            SshMode,
            Result<(), SshRefusal>,
        );
        let cases: &[Case] = &[
            (&[Dev], ByEnvironment, NORMAL, Ok(())),
            (&[Preprod], ByEnvironment, NORMAL, Ok(())),
            (&[Dev, Preprod], ByEnvironment, NORMAL, Ok(())),
            (&[Prod], ByEnvironment, NORMAL, Err(SshRefusal::Prod)),
            (
                &[Preprod, Prod],
                ByEnvironment,
                NORMAL,
                Err(SshRefusal::Prod),
            ),
            (&[Prod], Allowed, NORMAL, Ok(())),
            (&[], Allowed, NORMAL, Ok(())),
            (&[], ByEnvironment, NORMAL, Err(SshRefusal::NoEnvironment)),
            (&[Dev], Refused, NORMAL, Err(SshRefusal::RefusedByConfig)),
            (&[Dev], ByEnvironment, READ_ONLY, Err(SshRefusal::ReadOnly)),
            (&[Prod], Allowed, READ_ONLY, Err(SshRefusal::ReadOnly)),
            (&[Dev], Allowed, WALL, Err(SshRefusal::Wall)),
        ];
        for (envs, permission, mode, expected) in cases {
            assert_eq!(
                &may_open(envs, *permission, *mode),
                expected,
                "{envs:?} {permission:?} {mode:?}"
            );
        }
    }

    #[test]
    fn known_hosts_name_brackets_non_standard_ports() {
        assert_eq!(known_hosts_name("db1", 22), "db1");
        assert_eq!(known_hosts_name("10.0.0.5", 2222), "[10.0.0.5]:2222");
    }

    #[test]
    fn refusal_messages_name_the_host() {
        for r in [
            SshRefusal::ReadOnly,
            SshRefusal::Wall,
            SshRefusal::Prod,
            SshRefusal::RefusedByConfig,
            SshRefusal::NoEnvironment,
        ] {
            assert!(r.message("web1").contains("web1"), "{r:?}");
        }
    }
}
