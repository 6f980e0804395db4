//! The `[ssh]` table and each host's SSH entry, validated.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::model::EnvKind;
use crate::model::ssh::{SshPermission, SshTarget};

/// Which program opens interactive sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SshClient {
    /// Vigie's own SSH layer (libssh2).
    #[default]
    Libssh2,
    /// The system's `ssh`, for ControlMaster, FIDO keys and other set-ups
    /// libssh2 lacks; same policy and audit.
    OpenSsh,
}

/// `[ssh]` and the SSH part of every host entry.
#[derive(Debug, Clone, PartialEq)]
pub struct SshSettings {
    pub client: SshClient,
    /// Vigie's own known_hosts file (read, and written when an operator
    /// trusts a new key); `None`: `$XDG_STATE_HOME/vigie/known_hosts`.
    pub known_hosts: Option<PathBuf>,
    /// Inside tmux, open interactive sessions in a new tmux window.
    pub tmux_window: bool,
    pub connect_timeout: Duration,
    pub keepalive: Duration,
    /// Per host name of `[hosts]`.
    pub hosts: BTreeMap<String, HostSsh>,
}

impl Default for SshSettings {
    fn default() -> Self {
        SshSettings {
            client: SshClient::Libssh2,
            known_hosts: None,
            tmux_window: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            keepalive: DEFAULT_KEEPALIVE,
            hosts: BTreeMap::new(),
        }
    }
}

pub use crate::sources::ssh::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_KEEPALIVE};

/// One host as SSH sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct HostSsh {
    pub target: SshTarget,
    pub permission: SshPermission,
    /// The environments the host serves (any client), for the policy.
    pub environments: Vec<EnvKind>,
}

/// The defaults, for the SSH layer's own options.
pub mod defaults {
    pub use super::{DEFAULT_CONNECT_TIMEOUT as CONNECT_TIMEOUT, DEFAULT_KEEPALIVE as KEEPALIVE};
}

impl SshSettings {
    /// The SSH layer's options from the environment, with this table's
    /// settings (config reads the adapters' types; never the reverse).
    pub fn options(&self) -> crate::sources::ssh::Options {
        let mut o = crate::sources::ssh::Options::from_env(self.known_hosts.clone());
        o.connect_timeout = self.connect_timeout;
        o.keepalive = self.keepalive;
        o
    }
}
