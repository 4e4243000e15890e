//! Unit tests of the command table.

use super::*;

fn args(s: &str) -> Vec<Arg> {
    s.split_whitespace().map(Arg::lit).collect()
}

fn eff(s: &str) -> Effects {
    classify(&args(s), Shell::Bash)
}

fn known(s: &str) -> bool {
    eff(s).other.is_none()
}

#[test]
fn read_only_commands() {
    for c in [
        "ls -la src",
        "cat a b",
        "head -n 5 x",
        "grep -rn foo src",
        "rg foo",
        "wc -l x",
        "sort -k2 x",
        "uniq x",
        "diff -u a b",
        "git status",
        "git log --oneline -5",
        "git diff HEAD~1 -- src",
        "git branch",
        "git branch -a",
        "git branch --list 'feat*'",
        "git remote -v",
        "git config --get user.name",
        "git -C sub status",
        "sed -n 1,10p x",
        "sed s/a/b/g",
        "find . -name *.rs",
        "date +%s",
        "echo hi",
        "tree -L 2",
    ] {
        assert!(
            known(c),
            "{c} should be known read-only: {:?}",
            eff(c).other
        );
    }
}

#[test]
fn side_effect_options() {
    for c in [
        "sort -o out x",
        "sort --output=out x",
        "sort --outp=out x",
        "sort --compress-program=sh x",
        "rg --pre sh foo",
        "rg --pre=./x foo",
        "rg -z foo",
        "rg -L foo",
        "grep -R foo .",
        "git -c core.pager=sh log",
        "git --config-env=core.pager=X log",
        "git diff --output=x",
        "git log --outp=x",
        "git diff --ext-diff",
        "git grep -Ovim foo",
        "git push",
        "git fetch --upload-pack=x",
        "git ls-remote --upload-pack=touch origin",
        "git branch -D main",
        "git branch newbranch",
        "git tag v1",
        "git config user.name x",
        "git remote add x y",
        "git stash",
        "git clean -fd",
        "git --exec-path=/tmp log",
        "sed -i s/a/b/ x",
        "sed -n w/tmp/x x",
        "sed s/a/b/e x",
        "sed -f script x",
        "find . -delete",
        "find . -exec rm {} ;",
        "find -L .",
        "tree -o out",
        "date -s 2020-01-01",
        "date 010101012000",
        "hostname evil",
        "printf -v PATH /tmp",
        "read PATH",
        "export LD_PRELOAD=x",
        "export FOO=1",
        "declare -n r=PATH",
        "set -a",
        "mapfile -C cb arr",
        "rm x",
        "file -C -m x",
        "sha256sum -c list",
        "curl x",
        "python x.py",
    ] {
        let e = eff(c);
        let sed_inplace = c.starts_with("sed -i");
        let exec = c.contains("-exec");
        assert!(
            e.other.is_some() || sed_inplace || exec,
            "{c} should not be read-only"
        );
    }
    // sed -i is a known write, find -exec runs its command.
    assert_eq!(eff("sed -i s/a/b/ x").writes, vec![PathRef::Arg(3)]);
    assert_eq!(eff("find . -exec rm {} ;").exec, vec![(3, 5, false)]);
}

#[test]
fn paths_are_found() {
    let e = eff("cp -r a b dest");
    assert_eq!(e.writes, vec![PathRef::Arg(4)]);
    assert_eq!(e.reads, vec![PathRef::Arg(2), PathRef::Arg(3)]);
    assert_eq!(e.recursive.len(), 2);
    let e = eff("mv -t dir a b");
    assert_eq!(e.writes.len(), 3);
    let e = eff("uniq in out");
    assert_eq!(e.writes, vec![PathRef::Arg(2)]);
    let e = eff("grep -e pat -f pats file");
    assert_eq!(e.reads, vec![PathRef::Arg(4), PathRef::Arg(5)]);
    let e = eff("grep pat file");
    assert_eq!(e.reads, vec![PathRef::Arg(2)]);
    let e = eff("rg foo");
    assert_eq!(e.implicit_cwd, Some(true));
    let e = eff("wc --files0-from=list");
    assert_eq!(e.reads, vec![PathRef::Text("list".into())]);
    let e = eff("find src -newer ref -fprint out");
    assert_eq!(e.writes, vec![PathRef::Arg(5)]);
    assert!(e.reads.contains(&PathRef::Arg(3)));
    assert!(e.reads.contains(&PathRef::Arg(1)));
    let e = eff("git diff --no-index a b");
    assert_eq!(e.reads.len(), 2);
    let e = eff("git -C ../other log");
    assert_eq!(e.chdir, Some(PathRef::Arg(2)));
    let e = eff("touch -r ref new");
    assert_eq!(e.reads, vec![PathRef::Arg(2)]);
    assert_eq!(e.writes, vec![PathRef::Arg(3)]);
}

#[test]
fn dynamic_arguments() {
    let mut a = args("rg foo");
    a.push(Arg::dynamic("$X"));
    assert!(classify(&a, Shell::Bash).other.is_some());
    let mut a = args("cat");
    a.push(Arg::dynamic("$X"));
    let e = classify(&a, Shell::Bash);
    assert!(e.other.is_none());
    assert_eq!(e.reads, vec![PathRef::Dynamic]);
    let mut a = args("git log");
    a.push(Arg::dynamic("$X"));
    assert!(classify(&a, Shell::Bash).other.is_some());
}
