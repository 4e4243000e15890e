//! find: its roots, the tests that read other files, the actions that write files, delete
//! or run commands. An expression ccrs does not know makes it "other".

use super::{Arg, Effects, PathRef};

pub(super) fn find(args: &[Arg]) -> Effects {
    let mut e = Effects::default();
    let mut i = 1;
    let mut follow = false;
    while let Some(v) = args.get(i).and_then(Arg::v) {
        match v {
            "-H" | "-P" => i += 1,
            "-L" => {
                follow = true;
                i += 1;
            }
            "-D" => i += 2,
            v if v.starts_with("-O") || (v.starts_with("-D") && v.len() > 2) => i += 1,
            _ => break,
        }
    }
    let mut roots = Vec::new();
    while i < args.len() {
        match args[i].v() {
            None => return Effects::risky("a dynamic find argument that could be an action"),
            Some(v) if v.starts_with('-') || matches!(v, "(" | ")" | "!" | ",") => break,
            Some(_) => roots.push(PathRef::Arg(i)),
        }
        i += 1;
    }
    if roots.is_empty() {
        e.implicit_cwd = Some(false);
    }
    let mut delete = false;
    while i < args.len() {
        let Some(v) = args[i].v() else {
            return Effects::risky("a dynamic find argument that could be an action");
        };
        match v {
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                let start = i + 1;
                let Some(end) =
                    (start..args.len()).find(|&j| matches!(args[j].v(), Some(";" | "+")))
                else {
                    return Effects::risky("an unterminated find -exec");
                };
                if end == start {
                    return Effects::other("find -exec without a command");
                }
                e.exec.push((start, end, v.ends_with("dir")));
                // As in Claude Code: a prefix rule (`Bash(find:*)`) does not cover it.
                e.set_risky(format!("find {v}, which runs commands"));
                i = end + 1;
                continue;
            }
            "-delete" => delete = true,
            "-follow" => follow = true,
            "-fprint" | "-fprint0" | "-fls" => {
                e.set_risky(format!("find {v}, which writes a file"));
                e.writes.push(PathRef::Arg(i + 1));
                i += 2;
                continue;
            }
            "-fprintf" => {
                e.set_risky("find -fprintf, which writes a file");
                e.writes.push(PathRef::Arg(i + 1));
                i += 3;
                continue;
            }
            "-newer" | "-anewer" | "-cnewer" | "-samefile" | "-files0-from" => {
                e.reads.push(PathRef::Arg(i + 1));
                i += 2;
                continue;
            }
            v if v.starts_with("-newer") && v.len() == 8 => {
                if !v.ends_with('t') {
                    e.reads.push(PathRef::Arg(i + 1));
                }
                i += 2;
                continue;
            }
            "-name" | "-iname" | "-path" | "-ipath" | "-wholename" | "-iwholename" | "-regex"
            | "-iregex" | "-lname" | "-ilname" | "-type" | "-xtype" | "-user" | "-group"
            | "-uid" | "-gid" | "-perm" | "-size" | "-mtime" | "-atime" | "-ctime" | "-mmin"
            | "-amin" | "-cmin" | "-maxdepth" | "-mindepth" | "-links" | "-inum" | "-fstype"
            | "-printf" | "-used" | "-context" | "-regextype" => {
                i += 2;
                continue;
            }
            "-print"
            | "-print0"
            | "-ls"
            | "-prune"
            | "-quit"
            | "-true"
            | "-false"
            | "-empty"
            | "-readable"
            | "-writable"
            | "-executable"
            | "-nouser"
            | "-nogroup"
            | "-depth"
            | "-xdev"
            | "-mount"
            | "-noleaf"
            | "-daystart"
            | "-ignore_readdir_race"
            | "-noignore_readdir_race"
            | "-warn"
            | "-nowarn"
            | "-a"
            | "-and"
            | "-o"
            | "-or"
            | "-not"
            | "!"
            | ","
            | "("
            | ")"
            | "-help"
            | "--help"
            | "-version"
            | "--version" => {}
            other => {
                return Effects::other(format!("find {other} is an expression ccrs does not know"));
            }
        }
        i += 1;
    }
    if follow {
        e.set_risky("find -L/-follow, which follows symlinks out of the tree");
    }
    if delete {
        e.set_risky("find -delete, which deletes files");
        e.writes.extend(roots.iter().cloned());
        e.tree_writes.extend(roots.iter().cloned());
        e.replaced.extend(roots.iter().cloned());
        if roots.is_empty() {
            e.writes.push(PathRef::Text(".".into()));
            e.tree_writes.push(PathRef::Text(".".into()));
        }
    }
    e.reads.extend(roots);
    e
}
