//! `[ssh]` and the hosts' `ssh_key`, `ssh_jump` and `ssh` keys: jump hosts
//! must name hosts of `[hosts]` without a loop; every `ssh_command` check
//! (and `nagios` check run `over_ssh`) gets its host's resolved target.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::Validator;
use crate::config::raw::RawConfig;
use crate::config::ssh::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_KEEPALIVE, HostSsh, SshClient, SshSettings,
};
use crate::model::ssh::{SshPermission, SshTarget};
use crate::model::{CheckKind, Client, EnvKind, Host};

/// Jumps followed at most (a chain longer than this is surely a mistake).
const MAX_JUMPS: usize = 4;

pub(super) fn settings(
    v: &mut Validator,
    raw: &RawConfig,
    clients: &[Client],
    hosts: &mut [Host],
) -> SshSettings {
    let mut out = SshSettings::default();
    let r = &raw.ssh;
    if let Some(c) = &r.client {
        out.client = match c.get_ref().as_str() {
            "libssh2" => SshClient::Libssh2,
            "openssh" => SshClient::OpenSsh,
            other => {
                v.error(
                    c.span(),
                    format!("unknown ssh client '{other}', expected libssh2 or openssh"),
                );
                SshClient::Libssh2
            }
        };
    }
    if let Some(k) = &r.known_hosts {
        if k.get_ref().trim().is_empty() {
            v.error(k.span(), "empty known_hosts, expected a file path");
        }
        out.known_hosts = Some(PathBuf::from(k.get_ref()));
    }
    out.tmux_window = r.tmux_window.unwrap_or(false);
    for (given, slot, default, key) in [
        (
            &r.connect_timeout,
            &mut out.connect_timeout,
            DEFAULT_CONNECT_TIMEOUT,
            "connect_timeout",
        ),
        (
            &r.keepalive,
            &mut out.keepalive,
            DEFAULT_KEEPALIVE,
            "keepalive",
        ),
    ] {
        *slot = default;
        if let Some(d) = given {
            *slot = d.get_ref().0;
            if slot.as_secs() == 0 {
                v.error(
                    d.span(),
                    format!("{key} is under a second, expected 1s or more"),
                );
            }
        }
    }

    // Each host's own part, then the jump chains.
    let mut own: BTreeMap<String, (SshTarget, Option<String>)> = BTreeMap::new();
    for (name, h) in raw.hosts.iter() {
        let name = name.get_ref();
        if let Some(k) = &h.ssh_key {
            if k.get_ref().trim().is_empty() {
                v.error(k.span(), "empty ssh_key, expected a private key file path");
            }
        }
        if let Some(j) = &h.ssh_jump {
            let jump = j.get_ref();
            if jump == name {
                v.error(j.span(), format!("host {name} cannot be its own ssh_jump"));
            } else if !raw.hosts.iter().any(|(n, _)| n.get_ref() == jump) {
                let names: Vec<&str> = raw
                    .hosts
                    .iter()
                    .map(|(n, _)| n.get_ref().as_str())
                    .collect();
                v.error(
                    j.span(),
                    format!(
                        "unknown ssh_jump host '{jump}', expected one of [hosts]: {}",
                        super::one_of(&names)
                    ),
                );
            }
        }
        let permission = match &h.ssh {
            None => SshPermission::ByEnvironment,
            Some(p) => match p.get_ref().as_str() {
                "allowed" => SshPermission::Allowed,
                "refused" => SshPermission::Refused,
                other => {
                    v.error(
                        p.span(),
                        format!("unknown ssh '{other}', expected allowed or refused"),
                    );
                    SshPermission::ByEnvironment
                }
            },
        };
        let target = SshTarget {
            host: name.clone(),
            address: h.address.get_ref().clone(),
            port: h.ssh_port.as_ref().map_or(22, |p| *p.get_ref()),
            user: h.ssh_user.clone(),
            key: h.ssh_key.as_ref().map(|k| PathBuf::from(k.get_ref())),
            jump: None,
        };
        own.insert(
            name.clone(),
            (target, h.ssh_jump.as_ref().map(|j| j.get_ref().clone())),
        );
        let environments = environments_of(clients, name);
        out.hosts.insert(
            name.clone(),
            HostSsh {
                target: crate::model::ssh::SshTarget::default(),
                permission,
                environments,
            },
        );
    }
    for (name, h) in raw.hosts.iter() {
        let name = name.get_ref();
        match chain(&own, name) {
            Ok(target) => {
                if let Some(entry) = out.hosts.get_mut(name) {
                    entry.target = target;
                }
            }
            Err(path) => {
                if let Some(j) = h.ssh_jump.as_ref().filter(|j| j.get_ref() != name) {
                    v.error(
                        j.span(),
                        format!("ssh_jump loops or is too long: {}", path.join(" -> ")),
                    );
                }
            }
        }
    }
    for host in hosts.iter_mut() {
        let Some(entry) = out.hosts.get(&host.name) else {
            continue;
        };
        for check in &mut host.checks {
            match &mut check.kind {
                CheckKind::SshCommand(c) => c.target = entry.target.clone(),
                CheckKind::Nagios(n) if n.over_ssh => n.target = entry.target.clone(),
                _ => {}
            }
        }
    }
    out
}

/// The host's target with its jump chain, or the names walked when the
/// chain loops or exceeds [`MAX_JUMPS`].
fn chain(
    own: &BTreeMap<String, (SshTarget, Option<String>)>,
    name: &str,
) -> Result<SshTarget, Vec<String>> {
    let mut names = vec![name.to_string()];
    let mut next = own.get(name).and_then(|(_, j)| j.clone());
    while let Some(j) = next {
        if names.contains(&j) || names.len() > MAX_JUMPS {
            names.push(j);
            return Err(names);
        }
        next = own.get(&j).and_then(|(_, jj)| jj.clone());
        names.push(j);
    }
    // Build from the outermost jump inwards.
    let mut target: Option<SshTarget> = None;
    for n in names.iter().rev() {
        let Some((t, _)) = own.get(n) else {
            // An unknown jump name, reported already: stop the chain there.
            target = None;
            continue;
        };
        let mut t = t.clone();
        t.jump = target.map(Box::new);
        target = Some(t);
    }
    target.ok_or(names)
}

fn environments_of(clients: &[Client], host: &str) -> Vec<EnvKind> {
    let mut out = Vec::new();
    for c in clients {
        for e in &c.environments {
            if e.hosts.iter().any(|h| h == host) && !out.contains(&e.kind) {
                out.push(e.kind);
            }
        }
    }
    out
}
