//! What the exec helper restricts before it starts a confined program, and how: Landlock for
//! files and TCP, a seccomp filter for the socket kinds Landlock cannot see.
//!
//! Landlock only grants: a rule gives rights on a whole tree, and nothing can take them back
//! beneath it. "Everything readable except X" is therefore built by granting every sibling on
//! the way down to X, and never X itself (see [`plan`]). The consequence, documented in
//! docs/sandbox.md: an entry created after the program started, directly in a directory on the
//! way to a denied path, is not readable (or writable) by that program (fail closed).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The restrictions of one confined spawn. Paths are absolute and resolved (no symlinks).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confinement {
    /// Trees the program may write (create, remove, rename inside).
    pub write: Vec<PathBuf>,
    /// Devices and other single files it may write but not create or remove (`/dev/null`).
    pub write_files: Vec<PathBuf>,
    /// Paths it may neither read nor write; everything else is readable.
    pub deny_read: Vec<PathBuf>,
    /// Paths inside `write` trees that stay read-only (Landlock: the tree is split, see
    /// [`plan`]).
    pub deny_write: Vec<PathBuf>,
    /// Existing paths inside `write` trees made read-only with bind mounts in a private
    /// namespace (the protected set: `.git/hooks`, `.claude`, rc files, ...), which keeps the
    /// tree around them fully writable.
    pub read_only: Vec<PathBuf>,
    /// TCP ports on any address the program may connect to; `None` leaves TCP open.
    pub connect_tcp: Option<Vec<u16>>,
    /// May bind and listen on TCP ports.
    pub bind_tcp: bool,
    /// May create Unix-domain sockets (`socket(AF_UNIX)`; `socketpair` always works).
    pub unix_sockets: bool,
    /// May create UDP and raw IP sockets (only relevant when `connect_tcp` is `Some`).
    pub udp: bool,
}

/// A split directory's own rights must not reach the denied entry beneath it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rights {
    /// Listing only (a directory on the way to a denied read).
    List,
    /// Read, list, execute.
    Read,
    /// Everything.
    Write,
}

/// One Landlock rule: `rights` on the tree at `path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedRule {
    pub path: PathBuf,
    pub rights: Rights,
}

/// A directory with more entries than this is not split (its entries past the limit get no
/// rule, so they are denied) and a warning says so.
const MAX_SPLIT_ENTRIES: usize = 20_000;

/// The Landlock rules for `c`, and warnings about what could not be expressed.
pub fn plan(c: &Confinement) -> (Vec<PlannedRule>, Vec<String>) {
    let mut rules = Vec::new();
    let mut warnings = Vec::new();
    let root = Path::new("/");
    grant(
        root,
        Rights::Read,
        &c.deny_read,
        &[],
        &mut rules,
        &mut warnings,
    );
    // The denied paths that touch `w`: beneath it, or containing it.
    let touching = |list: &[PathBuf], w: &Path| -> Vec<PathBuf> {
        list.iter()
            .filter(|d| d.starts_with(w) || w.starts_with(d))
            .cloned()
            .collect()
    };
    for w in &c.write {
        let denied_read = touching(&c.deny_read, w);
        let denied_write = touching(&c.deny_write, w);
        if denied_read
            .iter()
            .chain(&denied_write)
            .any(|d| w.starts_with(d))
        {
            // The whole writable tree is denied: it stays closed (or read-only).
            continue;
        }
        grant(
            w,
            Rights::Write,
            &denied_read,
            &denied_write,
            &mut rules,
            &mut warnings,
        );
    }
    (rules, warnings)
}

/// Grants `rights` on `dir`'s tree except the `no_read` and `no_write` paths beneath it.
fn grant(
    dir: &Path,
    rights: Rights,
    no_read: &[PathBuf],
    no_write: &[PathBuf],
    rules: &mut Vec<PlannedRule>,
    warnings: &mut Vec<String>,
) {
    let below = |list: &[PathBuf]| -> Vec<PathBuf> {
        list.iter()
            .filter(|d| d.starts_with(dir) && d.as_path() != dir)
            .cloned()
            .collect()
    };
    if no_read.iter().any(|d| d == dir) {
        return;
    }
    let (nr, nw) = (below(no_read), below(no_write));
    let write_denied_here = no_write.iter().any(|d| d == dir);
    let rights = if write_denied_here && rights == Rights::Write {
        Rights::Read
    } else {
        rights
    };
    let nw = if rights == Rights::Write {
        nw
    } else {
        Vec::new()
    };
    if nr.is_empty() && nw.is_empty() {
        rules.push(PlannedRule {
            path: dir.to_path_buf(),
            rights,
        });
        return;
    }
    // Split: the directory itself gets only what every denied path beneath may keep.
    let own = if nr.is_empty() {
        Rights::Read
    } else {
        Rights::List
    };
    rules.push(PlannedRule {
        path: dir.to_path_buf(),
        rights: own,
    });
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(_) => return,
    };
    for (i, entry) in entries.flatten().enumerate() {
        if i >= MAX_SPLIT_ENTRIES {
            warnings.push(format!(
                "{} has more than {MAX_SPLIT_ENTRIES} entries; the rest are not accessible",
                dir.display()
            ));
            break;
        }
        // A symlink is not followed: its target has its own place in the tree.
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_symlink() {
            continue;
        }
        let path = entry.path();
        grant(&path, rights, &nr, &nw, rules, warnings);
    }
}

/// What this kernel's Landlock supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelSupport {
    /// Landlock ABI version (0 = unavailable).
    pub abi: i32,
}

impl KernelSupport {
    pub fn filesystem(self) -> bool {
        self.abi >= 1
    }
    /// TCP bind/connect rules (ABI 4, Linux 6.7).
    pub fn tcp(self) -> bool {
        self.abi >= 4
    }
    /// Signal and abstract-socket scoping (ABI 6, Linux 6.12).
    pub fn scopes(self) -> bool {
        self.abi >= 6
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::{Confinement, KernelSupport, PlannedRule, Rights};
    use landlock::{
        ABI, Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort, PathBeneath,
        PathFd, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope,
    };

    const ABI_USED: ABI = ABI::V6;

    /// Probes the kernel's Landlock ABI (creates and drops rulesets; restricts nothing).
    pub fn kernel_support() -> KernelSupport {
        let fs_ok = |abi: ABI| {
            Ruleset::default()
                .set_compatibility(CompatLevel::HardRequirement)
                .handle_access(AccessFs::from_all(abi))
                .and_then(|r| r.create())
                .is_ok()
        };
        let scope_ok = Ruleset::default()
            .set_compatibility(CompatLevel::HardRequirement)
            .scope(Scope::from_all(ABI::V6))
            .and_then(|r| r.create())
            .is_ok();
        let net_ok = Ruleset::default()
            .set_compatibility(CompatLevel::HardRequirement)
            .handle_access(AccessNet::from_all(ABI::V4))
            .and_then(|r| r.create())
            .is_ok();
        let abi = if scope_ok {
            6
        } else if net_ok {
            4
        } else if fs_ok(ABI::V3) {
            3
        } else if fs_ok(ABI::V2) {
            2
        } else if fs_ok(ABI::V1) {
            1
        } else {
            0
        };
        KernelSupport { abi }
    }

    fn access(r: Rights, is_dir: bool) -> BitFlags<AccessFs> {
        let read = AccessFs::from_read(ABI_USED);
        let all = AccessFs::from_all(ABI_USED);
        let a = match r {
            Rights::List => BitFlags::from(AccessFs::ReadDir),
            Rights::Read => read,
            Rights::Write => all,
        };
        if is_dir {
            a
        } else {
            // Rules on files take file rights only.
            a & AccessFs::from_file(ABI_USED)
        }
    }

    fn err(e: impl std::fmt::Display) -> String {
        format!("Landlock: {e}")
    }

    /// Restricts the calling thread (and what it starts later). Returns warnings about what
    /// the kernel could not enforce; an error when it enforces nothing.
    pub fn apply(c: &Confinement, rules: &[PlannedRule]) -> Result<Vec<String>, String> {
        let support = kernel_support();
        let mut warnings = Vec::new();
        if !support.filesystem() {
            return Err(
                "this kernel has no Landlock (Linux 5.13+ with landlock in the LSM list)".into(),
            );
        }
        let mut ruleset = Ruleset::default()
            .handle_access(AccessFs::from_all(ABI_USED))
            .map_err(err)?;
        let mut net = BitFlags::<AccessNet>::empty();
        if c.connect_tcp.is_some() {
            net |= AccessNet::ConnectTcp;
        }
        if !c.bind_tcp && c.connect_tcp.is_some() {
            net |= AccessNet::BindTcp;
        }
        if !net.is_empty() {
            if support.tcp() {
                ruleset = ruleset.handle_access(net).map_err(err)?;
            } else {
                warnings.push(
                    "the kernel cannot restrict TCP (Landlock ABI 4, Linux 6.7): network is not confined"
                        .into(),
                );
            }
        }
        if support.scopes() {
            ruleset = ruleset.scope(Scope::from_all(ABI::V6)).map_err(err)?;
        } else {
            warnings.push(
                "the kernel cannot scope signals and abstract sockets (Landlock ABI 6, Linux 6.12)"
                    .into(),
            );
        }
        let mut created = ruleset.create().map_err(err)?;
        for r in rules {
            let Ok(meta) = std::fs::metadata(&r.path) else {
                continue;
            };
            let Ok(fd) = PathFd::new(&r.path) else {
                continue;
            };
            created = created
                .add_rule(PathBeneath::new(fd, access(r.rights, meta.is_dir())))
                .map_err(err)?;
        }
        for f in &c.write_files {
            let Ok(meta) = std::fs::metadata(f) else {
                continue;
            };
            let Ok(fd) = PathFd::new(f) else { continue };
            let mut a = AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::IoctlDev;
            if meta.is_dir() {
                a |= AccessFs::ReadDir;
            }
            created = created.add_rule(PathBeneath::new(fd, a)).map_err(err)?;
        }
        if support.tcp() {
            for port in c.connect_tcp.iter().flatten() {
                created = created
                    .add_rule(NetPort::new(*port, AccessNet::ConnectTcp))
                    .map_err(err)?;
            }
        }
        let status = created.restrict_self().map_err(err)?;
        match status.ruleset {
            RulesetStatus::FullyEnforced => {}
            RulesetStatus::PartiallyEnforced => {
                warnings.push("Landlock is only partly enforced on this kernel".into())
            }
            RulesetStatus::NotEnforced => {
                return Err("Landlock is not enforced on this kernel".into());
            }
        }
        Ok(warnings)
    }
}

#[cfg(target_os = "linux")]
pub use linux::kernel_support;

/// Applies `c` to the calling thread: Landlock, then the socket filter. Called by the exec
/// helper while it is single-threaded, right before it starts the program.
#[cfg(target_os = "linux")]
pub fn apply(c: &Confinement) -> Result<Vec<String>, String> {
    let (rules, mut warnings) = plan(c);
    if let Err(e) = super::mountns::protect(&c.read_only, &c.write) {
        warnings.push(format!(
            "protected paths inside writable directories are not write-protected: {e}"
        ));
    }
    warnings.extend(linux::apply(c, &rules)?);
    warnings.extend(super::seccomp::apply(c)?);
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The strongest right granted on `p` itself (rules add up).
    fn rights_of(rules: &[PlannedRule], p: &Path) -> Option<Rights> {
        let rank = |r: Rights| match r {
            Rights::List => 0,
            Rights::Read => 1,
            Rights::Write => 2,
        };
        rules
            .iter()
            .filter(|r| r.path == p)
            .map(|r| r.rights)
            .max_by_key(|r| rank(*r))
    }

    #[test]
    fn plain_policy_is_two_rules() {
        let c = Confinement {
            write: vec!["/tmp/x".into()],
            ..Default::default()
        };
        let (rules, w) = plan(&c);
        assert!(w.is_empty());
        assert_eq!(
            rules,
            vec![
                PlannedRule {
                    path: "/".into(),
                    rights: Rights::Read
                },
                PlannedRule {
                    path: "/tmp/x".into(),
                    rights: Rights::Write
                },
            ]
        );
    }

    #[test]
    fn denied_read_splits_every_ancestor() {
        let d = tempfile::tempdir().unwrap();
        let base = d.path().canonicalize().unwrap();
        std::fs::create_dir_all(base.join("a/secret")).unwrap();
        std::fs::write(base.join("a/ok.txt"), "").unwrap();
        std::fs::write(base.join("b.txt"), "").unwrap();
        std::os::unix::fs::symlink(base.join("a/secret"), base.join("link")).unwrap();
        let c = Confinement {
            deny_read: vec![base.join("a/secret")],
            write: vec![base.clone()],
            ..Default::default()
        };
        let (rules, _) = plan(&c);
        assert_eq!(rights_of(&rules, Path::new("/")), Some(Rights::List));
        assert_eq!(rights_of(&rules, &base.join("a")), Some(Rights::List));
        assert_eq!(
            rights_of(&rules, &base.join("a/ok.txt")),
            Some(Rights::Write)
        );
        assert_eq!(rights_of(&rules, &base.join("b.txt")), Some(Rights::Write));
        assert_eq!(rights_of(&rules, &base.join("a/secret")), None);
        // Never a rule through the symlink (it would grant its target).
        assert_eq!(rights_of(&rules, &base.join("link")), None);
        assert!(
            !rules
                .iter()
                .any(|r| r.path.starts_with(base.join("a/secret")))
        );
    }

    #[test]
    fn denied_write_keeps_read() {
        let d = tempfile::tempdir().unwrap();
        let base = d.path().canonicalize().unwrap();
        std::fs::create_dir_all(base.join(".git/hooks")).unwrap();
        std::fs::create_dir_all(base.join("src")).unwrap();
        let c = Confinement {
            deny_write: vec![base.join(".git/hooks")],
            write: vec![base.clone()],
            ..Default::default()
        };
        let (rules, _) = plan(&c);
        assert_eq!(rights_of(&rules, &base), Some(Rights::Read));
        assert_eq!(rights_of(&rules, &base.join("src")), Some(Rights::Write));
        assert_eq!(rights_of(&rules, &base.join(".git")), Some(Rights::Read));
        assert_eq!(
            rights_of(&rules, &base.join(".git/hooks")),
            Some(Rights::Read)
        );
    }
}
