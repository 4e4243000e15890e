//! Read-only bind mounts over protected paths inside writable trees (`.git/hooks`,
//! `.git/config`, `.claude`, shell rc files in the project). Landlock cannot take rights back
//! beneath a tree it grants, so the helper makes these paths read-only in a private user and
//! mount namespace of its own before it applies Landlock (which then forbids the program any
//! mount or umount, so it cannot undo them).

use rustix::mount::{MountFlags, MountPropagationFlags};
use std::path::PathBuf;

/// The mount flags the kernel locks on a mount inherited from a more privileged namespace:
/// a remount must repeat them.
fn locked_flags(p: &std::path::Path) -> MountFlags {
    use rustix::fs::StatVfsMountFlags as St;
    let Ok(st) = rustix::fs::statvfs(p) else {
        return MountFlags::empty();
    };
    let f = st.f_flag;
    let mut m = MountFlags::empty();
    for (s, mf) in [
        (St::NOSUID, MountFlags::NOSUID),
        (St::NODEV, MountFlags::NODEV),
        (St::NOEXEC, MountFlags::NOEXEC),
        (St::NOATIME, MountFlags::NOATIME),
        (St::NODIRATIME, MountFlags::NODIRATIME),
    ] {
        if f.contains(s) {
            m |= mf;
        }
    }
    if !f.contains(St::NOATIME) && !f.contains(St::RELATIME) {
        m |= MountFlags::STRICTATIME;
    }
    m
}

/// The directories between a writable root and a protected path (`.git` for `.git/hooks`):
/// they become mount points too (bound onto themselves, still writable), because a mount
/// point cannot be renamed or removed: otherwise `mv .git x && mkdir -p .git/hooks` would
/// leave the read-only mount behind under another name.
fn pins(paths: &[&PathBuf], roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in paths {
        let Some(root) = roots
            .iter()
            .filter(|r| p.starts_with(r))
            .max_by_key(|r| r.as_os_str().len())
        else {
            continue;
        };
        let mut a = p.parent();
        while let Some(dir) = a {
            if dir == root.as_path() || !dir.starts_with(root) {
                break;
            }
            if !out.iter().any(|o| o == dir) {
                out.push(dir.to_path_buf());
            }
            a = dir.parent();
        }
    }
    out.sort_by_key(|p| p.components().count());
    out
}

/// Makes `paths` (existing ones) read-only for this process and what it starts; `roots` are
/// the writable trees they lie in. Must run while the process is single-threaded (user
/// namespaces require it).
pub fn protect(paths: &[PathBuf], roots: &[PathBuf]) -> Result<(), String> {
    let mut paths: Vec<&PathBuf> = paths.iter().filter(|p| p.exists()).collect();
    if paths.is_empty() {
        return Ok(());
    }
    // Outer mounts first: a later bind of a parent would hide the mounts beneath it.
    paths.sort_by_key(|p| p.components().count());
    let pinned = pins(&paths, roots);
    let uid = rustix::process::getuid().as_raw();
    let gid = rustix::process::getgid().as_raw();
    // rustix deprecates its safe `unshare` because CLONE_FILES can invalidate descriptors
    // other threads hold; only NEWUSER | NEWNS is passed here, in a single-threaded process.
    #[allow(deprecated)]
    rustix::thread::unshare(
        rustix::thread::UnshareFlags::NEWUSER | rustix::thread::UnshareFlags::NEWNS,
    )
    .map_err(|e| format!("no user namespace ({e})"))?;
    let _ = std::fs::write("/proc/self/setgroups", "deny");
    std::fs::write("/proc/self/uid_map", format!("{uid} {uid} 1\n"))
        .map_err(|e| format!("uid_map: {e}"))?;
    std::fs::write("/proc/self/gid_map", format!("{gid} {gid} 1\n"))
        .map_err(|e| format!("gid_map: {e}"))?;
    rustix::mount::mount_change(
        "/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )
    .map_err(|e| format!("private mounts: {e}"))?;
    for d in &pinned {
        rustix::mount::mount_bind(d, d).map_err(|e| format!("bind {}: {e}", d.display()))?;
    }
    for p in paths {
        rustix::mount::mount_bind(p, p).map_err(|e| format!("bind {}: {e}", p.display()))?;
        rustix::mount::mount_remount(
            p,
            MountFlags::BIND | MountFlags::RDONLY | locked_flags(p),
            "",
        )
        .map_err(|e| format!("read-only {}: {e}", p.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_below_the_root_are_pinned() {
        let roots = vec![PathBuf::from("/p")];
        let hooks = PathBuf::from("/p/.git/hooks");
        let claude = PathBuf::from("/p/.claude");
        let deep = PathBuf::from("/p/a/b/.envrc");
        assert_eq!(
            pins(&[&hooks, &claude, &deep], &roots),
            vec![
                PathBuf::from("/p/.git"),
                PathBuf::from("/p/a"),
                PathBuf::from("/p/a/b")
            ]
        );
    }
}
