//! Unit tests of the walker.

use super::*;

fn checks(cmd: &str) -> Vec<CommandCheck> {
    analyze(cmd, Path::new("/proj"), Some(Path::new("/home/u"))).unwrap()
}

/// The allow forms any rule may match (no minimum literal).
fn plain_forms(c: &CommandCheck) -> Vec<String> {
    c.allow_forms
        .iter()
        .filter(|f| f.min_literal == 0)
        .map(|f| f.text.clone())
        .collect()
}

fn displays(cmd: &str) -> Vec<String> {
    checks(cmd).into_iter().map(|c| c.display).collect()
}

#[test]
fn wrappers_are_stripped_for_allow_but_kept_for_deny() {
    let e = &checks("env NODE_OPTIONS=x npm test")[0];
    assert_eq!(plain_forms(e)[0], "env NODE_OPTIONS=x npm test");
    assert!(matches!(e.kind, Kind::Other(_)));
    let e = &checks("env LANG=C npm test")[0];
    assert_eq!(plain_forms(e)[0], "npm test");
    let c = &checks("FOO=1 timeout 5 nice -n 2 git status")[0];
    assert_eq!(plain_forms(c), ["FOO=1 git status"]);
    // The unstripped form only for a rule that names the program.
    assert!(
        c.allow_forms
            .iter()
            .any(|f| f.text == "FOO=1 timeout 5 nice -n 2 git status" && f.min_literal > 0)
    );
    assert!(c.deny_forms.contains(&"git status".to_string()));
    assert!(
        c.deny_forms
            .contains(&"timeout 5 nice -n 2 git status".to_string())
    );
    let c = &checks("LANG=C sort x")[0];
    assert_eq!(plain_forms(c)[0], "sort x");
    let c = &checks("sudo rm -rf /")[0];
    assert!(c.deny_forms.contains(&"rm -rf /".to_string()));
    assert_eq!(plain_forms(c)[0], "sudo rm -rf /");
    assert!(matches!(c.kind, Kind::Other(_)));
    let c = &checks("xargs rm")[0];
    assert!(c.deny_forms.iter().any(|f| f.starts_with("rm ")));
    assert_eq!(c.suggestion.as_deref(), Some("Bash(rm *)"));
}

#[test]
fn nested_commands_are_separate_checks() {
    assert_eq!(displays("echo $(rm x)"), ["rm x", "echo $(rm x)"]);
    assert_eq!(
        displays("bash -c 'ls && rm y'"),
        ["ls", "rm y", "bash -c 'ls && rm y'"]
    );
    assert_eq!(
        displays("find . -name '*.tmp' -exec rm {} \\;"),
        ["rm {}", "find . -name '*.tmp' -exec rm {} \\;"]
    );
}

#[test]
fn cd_changes_where_later_paths_resolve() {
    let cs = checks("cd sub && cat ../../x");
    let cat = &cs[1];
    assert!(
        cat.reads
            .contains(&PathArg::Known(PathBuf::from("/proj/../../x")))
    );
    assert!(
        cat.reads
            .contains(&PathArg::Known(PathBuf::from("/proj/sub/../../x")))
    );
    let cs = checks("cd $X; cat y");
    assert_eq!(cs[1].reads, vec![PathArg::Unknown("y".into())]);
    // A subshell's cd does not leak.
    let cs = checks("(cd /etc) ; cat passwd");
    assert_eq!(
        cs[1].reads,
        vec![PathArg::Known(PathBuf::from("/proj/passwd"))]
    );
}

#[test]
fn dynamic_and_arith() {
    assert!(matches!(checks("$CMD x")[0].kind, Kind::Dynamic(_)));
    assert!(matches!(
        checks("$(which rm) x").last().unwrap().kind,
        Kind::Dynamic(_)
    ));
    assert!(matches!(checks("r* x")[0].kind, Kind::Dynamic(_)));
    let cs = checks("x='a[$(rm y)]'; echo $((x))");
    assert!(cs.iter().any(|c| matches!(c.kind, Kind::Dynamic(_))));
    let cs = checks("for ((i=0;i<3;i++)); do echo $i; done");
    assert!(!cs.iter().any(|c| matches!(c.kind, Kind::Dynamic(_))));
    let cs = checks("echo ${x@P}");
    assert!(cs.iter().any(|c| matches!(c.kind, Kind::Dynamic(_))));
}

#[test]
fn redirections_are_paths() {
    let c = &checks("echo hi > out.txt 2>&1 < in.txt")[0];
    assert_eq!(
        c.redirect_writes,
        vec![PathArg::Known(PathBuf::from("/proj/out.txt"))]
    );
    assert_eq!(c.reads, vec![PathArg::Known(PathBuf::from("/proj/in.txt"))]);
    let c = &checks("{ ls; } > /tmp/x")[1];
    assert_eq!(
        c.redirect_writes,
        vec![PathArg::Known(PathBuf::from("/tmp/x"))]
    );
}

#[test]
fn suggestions() {
    assert_eq!(
        checks("git push origin main")[0].suggestion.as_deref(),
        Some("Bash(git push *)")
    );
    assert_eq!(
        checks("rm -rf build")[0].suggestion.as_deref(),
        Some("Bash(rm -rf build)")
    );
    assert_eq!(
        checks("ls *.txt")[0].suggestion.as_deref(),
        Some("Bash(ls \\*.txt)")
    );
    assert_eq!(
        checks("NODE_OPTIONS=x npm test")[0].suggestion.as_deref(),
        Some("Bash(NODE_OPTIONS=x npm test)")
    );
}
