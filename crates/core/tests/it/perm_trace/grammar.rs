//! A grammar-aware generator of shell command lines that try to hide a command from an
//! analyser: quotes of every kind, brace and `${…}` operator words, arithmetic contexts,
//! `[[ ]]`, here-documents and here-strings, line continuations, nesting through `$(…)`,
//! backquotes, `sh -c`, `bash -c`, `eval`, pipes into shells, wrappers, functions and aliases
//! shadowing commands, data evaluated as arithmetic. Deterministic for a seed.

/// SplitMix64: small, fast, good enough to pick grammar branches.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Programs that only read (real programs in the harness, or builtins).
pub const HARMLESS: &[&str] = &["echo", "true", "ls", "cat", "head", "wc", "printf"];
/// Programs the rules forbid or that need approval (stubs in the harness).
pub const MARKED: &[&str] = &["rm", "touch", "curl", "python3", "mkdir", "git"];

/// Constructs that hide or seem to hide `{P}` (`{PS}` single-quoted, `{PD}` double-quoted).
const TEMPLATES: &[&str] = &[
    "echo ${x:-{}; {P}; echo }",
    "echo \"${x:-{}; {P}; echo }\"",
    "echo ${x:-'$({P})'}",
    "echo \"${x:-'$({P})'}\"",
    "echo ${y='$({P})'}",
    "echo \"${y='$({P})'}\"",
    "echo ${x:-\\}; {P}; echo }",
    "echo ${x:-`{P}`}",
    "echo ${x/a/'$({P})'}",
    "echo \"${x/a/'$({P})'}\"",
    "echo $(( '$({P})' ))",
    "echo \"$(( '$({P})' ))\"",
    "(( '$({P})' ))",
    "(( $({P}) ))",
    "for (('$({P})';0;)); do :; done",
    "echo $[ $({P}) ]",
    "echo $[ '$({P})' ]",
    "[[ -n <({P}) ]]",
    "[[ x == <({P}) ]]",
    "[[ $({P}) ]]",
    "echo $\\\n({P})",
    "echo \"$\\\n({P})\"",
    "echo $(\\\n{P})",
    "cat <\\\n({P})",
    "x='a[$({P})]'; [[ -v $x ]]",
    "x='a[$({P})]'; test -v \"$x\"",
    "x='a[$({P})]'; echo $((x))",
    "x='a[$({P})]'; [[ $x -eq 1 ]]",
    "x='a[$({P})]'; echo ${a[x]}",
    "echo 'a[$({P})]' >/dev/null; echo $((_))",
    "echo 'a[$({P})]' >/dev/null; (( _ ))",
    ": ${y:='a[$({P})]'}; echo $((y))",
    "read y <<< 'a[$({P})]'; echo $((y))",
    "printf -v y '%s' 'a[$({P})]'; echo $((y))",
    "a=([$({P})]=1)",
    "a=(['$({P})']=1)",
    "x='a[$({P})]'; a=([x]=1)",
    "x='$({P})'; echo ${x@P}",
    "x='a[$({P})]'; echo ${!x}",
    "let 'y=a[$({P})]'",
    "declare -i n; n='a[$({P})]'",
    "mapfile -C {PS} -c 1 arr < src/main.rs",
    "sh -c {PS}",
    "sh -c 'echo ${x:-{}; {P}; echo }'",
    "sh -c 'ls &> out.txt; {P}'",
    "sh -c \"echo \\$'x'; {P}\"",
    "bash -c {PS}",
    "bash -c \"{P}\"",
    "sh -c \"bash -c {PS}\"",
    "eval {PS}",
    "eval {PD}",
    "eval {P}",
    "eval $(echo {PS})",
    "bash <<< {PS}",
    "sh <<< {PS}",
    "echo {PS} | sh",
    "printf '%s\\n' {PS} | bash",
    "sh <<EOF\n{P}\nEOF\n",
    "sh <<'EOF'\n{P}\nEOF\n",
    "bash <<-EOF\n\t{P}\n\tEOF\n",
    "cat <<$x\n$({P})\n$x\n",
    "cat <<'E'\n$({P})\nE\n",
    "cat <<E\n`{P}`\nE\n",
    "cat <<E\n\\$({P})\nE\n",
    "nice() { {P}; }; nice -n 1 ls",
    "ls() { {P}; }; ls",
    "function ls { {P}; }; ls",
    "command_not_found_handle() { {P}; }; nosuchcommand",
    "pwd() { {P}; }",
    "cd() { {P}; }; cd sub",
    "timeout() { {P}; }; timeout 5 ls",
    "echo() { {P}; }; echo hi",
    "test() { {P}; }; test 1",
    "env() { {P}; }; env ls",
    "f() { {P}; }; f",
    "f() { {P}; }; true",
    "shopt -s expand_aliases\nalias ls={PS}\nls",
    "trap {PS} EXIT; ls",
    "trap -- {PS} EXIT",
    "trap {PS} INT; true",
    "timeout 5 {P}",
    "env {P}",
    "env -i {P}",
    "env -- {P}",
    "env X=1 {P}",
    "nice {P}",
    "nice -n5 {P}",
    "nohup {P}",
    "command {P}",
    "command -p {P}",
    "(exec {P})",
    "echo x | xargs {P}",
    "xargs -a src/main.rs {P}",
    "find src -maxdepth 0 -exec {P} \\;",
    "find src -maxdepth 0 -execdir {P} \\;",
    "find . -maxdepth 0 -exec sh -c {PS} \\;",
    "echo a | xargs -I{} sh -c {PS}",
    "cat /proc/self/cwd/.env",
    "cd sub; cat /proc/self/cwd/.env",
    "cd sub; cat < /proc/self/cwd/.env",
    "cat /dev/fd/../cwd/.env",
    "cd sub && cat /proc/thread-self/cwd/.env",
    "cd sub; head /proc/self/cwd/../.env",
    "echo $(</proc/self/cwd/.env)",
    "exec 3< .env; cat <&3",
    "exec 3</proc/self/cwd/sub/.env; cat <&3",
    "cat .e?v",
    "cat .[e]nv",
    "cat sub/.*",
    "shopt -s dotglob; cat sub/*",
    "cat link_out/secret.txt",
    "cd link_out; cat secret.txt",
    "cd link_out/..; cat src/main.rs",
    "x=$'\\x72m'; $x -rf x",
    "{rm,-rf,x}",
    "IFS=,; c=rm,x; $c",
    "case $({P}) in *) ;; esac",
    "case x in $({P})) ;; esac",
    "for i in $({P}); do :; done",
    "coproc {P}",
    "coproc x { {P}; }",
    "time {P}",
    "time -p {P}",
    "! {P}",
    "{P} & wait",
    "{ {P}; } 2>/dev/null",
    "if {P}; then :; fi",
    "until true; do {P}; done",
    "while false; do {P}; done",
    "ls # $({P})",
    "ls #\\\n{P}",
    "ls \\# {P}",
    "ls a#b; {P}",
    "echo \\\\$({P})",
    "echo \"\\$({P})\"",
    "echo 'a'\"b\"$'c' $({P})",
    "echo \"`{P}`\"",
    "echo \"`echo \\`{P}\\``\"",
    "echo $( ({P}) )",
    "echo $((1)) $( ({P}) )",
    "[[ -f src/main.rs ]] && {P}",
    "[[ x =~ (a|b) ]] && {P}",
    "echo ~/.bashrc; {P}",
    "cat ~/.bashrc",
    "{P} > out.txt",
    "{P} &> out.txt",
    "echo hi >| .env",
    "cat src/main.rs > /proc/self/cwd/out.txt",
];

/// POSIX sh versions of the tricks (dash and bash in POSIX mode differ on some of them).
const POSIX_TEMPLATES: &[&str] = &[
    "echo ${x:-{}; {P}; echo }",
    "echo ${x:-'$({P})'}",
    "echo \"${x:-'$({P})'}\"",
    "echo ${x#'$({P})'}",
    "echo $(( '$({P})' ))",
    "echo $\\\n({P})",
    "echo \"$\\\n({P})\"",
    "ls &> out.txt; {P}",
    "ls &> {P}",
    "echo $'x'; {P}",
    "echo $'{P}'",
    "x=a; ((x)); {P}",
    "[[ -n x ]]; {P}",
    "echo {a,b}; {P}",
    "echo ${#x} $x; {P}",
    "sh -c {PS}",
    "eval {PS}",
    "eval {PD}",
    "echo {PS} | sh",
    "sh <<EOF\n{P}\nEOF\n",
    "f() { {P}; }; f",
    "ls() { {P}; }; ls",
    "pwd() { {P}; }",
    "command_not_found_handle() { {P}; }; nosuchcommand",
    "trap {PS} EXIT; ls",
    "timeout 5 {P}",
    "env {P}",
    "echo x | xargs {P}",
    "find src -maxdepth 0 -exec {P} \\;",
    "cat /proc/self/cwd/.env",
    "cd sub; cat /proc/self/cwd/.env",
    "cat <<E\n$({P})\nE\n",
    "cat <<'E'\n$({P})\nE\n",
    "x='a[$({P})]'; echo $((x))",
    "echo 'a[$({P})]' >/dev/null; echo $((_))",
    "function ls { {P}; }; ls",
    "ls |& {P}",
    "echo x >& out.txt; {P}",
    "{P} & wait",
    "case x in x) {P};& y) ls;; esac",
    "local x=1; {P}",
];

/// Files and directories of the harness's project (some outside it, some denied).
const PATHS: &[&str] = &[
    "src/main.rs",
    ".env",
    "sub/.env",
    "docs",
    "../outside/secret.txt",
    "link_out/secret.txt",
    "/proc/self/cwd/.env",
    "/proc/self/cwd/src/main.rs",
    "sub",
    "x",
];

pub struct Gen {
    pub rng: Rng,
    /// POSIX sh only (for dash) — bash-only constructs still appear now and then.
    pub posix: bool,
    /// When set, the command every template hides (the sandbox test's writes outside the
    /// boundary) instead of a random one.
    pub hole: Option<String>,
}

pub fn sq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

pub fn dq(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl Gen {
    pub fn new(seed: u64, posix: bool) -> Self {
        Gen {
            rng: Rng::new(seed),
            posix,
            hole: None,
        }
    }

    /// A whole command line: mostly one known trick around a command (harmless or not),
    /// sometimes among other commands, sometimes free-form.
    pub fn command(&mut self) -> String {
        let mut s = match self.rng.below(100) {
            0..=54 => self.template(),
            55..=79 => {
                let t = self.template();
                let a = self.leaf_harmless();
                let sep = *self.rng.pick(&["; ", " && ", " | ", "\n"]);
                if t.ends_with('\n') {
                    format!("{a}{sep}{t}")
                } else {
                    format!("{t}{sep}{a}")
                }
            }
            _ => self.list(2),
        };
        if self.rng.chance(12) {
            s = self.continuation(&s);
        }
        s
    }

    fn leaf_harmless(&mut self) -> String {
        let name = *self.rng.pick(HARMLESS);
        match name {
            "echo" | "printf" => format!("{name} hi"),
            "true" => "true".into(),
            _ => format!("{name} {}", self.rng.pick(&["src/main.rs", "docs", "x"])),
        }
    }

    /// The command a template hides: half the time one that must not run unseen.
    fn hole(&mut self) -> String {
        if let Some(h) = &self.hole {
            return h.clone();
        }
        if self.rng.chance(50) {
            let name = *self.rng.pick(&["rm", "rm", "curl", "touch", "python3"]);
            let p = self.program(name);
            let args = self
                .rng
                .pick(&["-rf x", "-fr x", "-r -f x", "--recursive --force x", "x"])
                .to_string();
            format!("{p} {args}")
        } else {
            self.leaf_harmless()
        }
    }

    /// One of the constructs analysers get wrong, around a command.
    fn template(&mut self) -> String {
        let p = self.hole();
        let ps = sq(&p);
        let pd = dq(&p);
        let t: &[&str] = if self.posix {
            POSIX_TEMPLATES
        } else {
            TEMPLATES
        };
        let tpl = *self.rng.pick(t);
        tpl.replace("{P}", &p)
            .replace("{PS}", &ps)
            .replace("{PD}", &pd)
    }

    fn bash_ok(&mut self) -> bool {
        !self.posix || self.rng.chance(8)
    }

    /// A program name, sometimes spelled oddly (quotes, escapes, a path).
    fn program(&mut self, name: &str) -> String {
        match self.rng.below(14) {
            0 => format!("\\{name}"),
            1 => sq(name),
            2 => format!("\"{}\"{}", &name[..1], &name[1..]),
            3 => format!("{}''{}", &name[..1], &name[1..]),
            4 => format!("{{BIN}}/{name}"),
            5 if self.bash_ok() => {
                let hex: String = name.bytes().map(|b| format!("\\x{b:02x}")).collect();
                format!("$'{hex}'")
            }
            6 => format!("{}\\{}", &name[..1], &name[1..]),
            _ => name.to_string(),
        }
    }

    fn path(&mut self) -> String {
        self.rng.pick(PATHS).to_string()
    }

    /// A plain invocation of one program.
    fn leaf(&mut self) -> String {
        let name = if self.rng.chance(45) {
            *self.rng.pick(MARKED)
        } else {
            *self.rng.pick(HARMLESS)
        };
        let prog = self.program(name);
        let arg = match name {
            "echo" | "printf" => sq("hi"),
            "true" => String::new(),
            "rm" => self
                .rng
                .pick(&["-rf x", "-fr x", "-r -f x", "--recursive --force x", "x"])
                .to_string(),
            "git" => self
                .rng
                .pick(&["status", "push", "-C sub status", "log"])
                .to_string(),
            _ => self.path(),
        };
        if arg.is_empty() {
            prog
        } else {
            format!("{prog} {arg}")
        }
    }

    /// A word that may hide commands.
    fn word(&mut self, depth: u32) -> String {
        if depth == 0 {
            return self
                .rng
                .pick(&["a", "'b c'", "\"d\"", "e\\ f", "x"])
                .to_string();
        }
        let n = self.rng.below(26);
        match n {
            0 => format!("$({})", self.list(depth - 1)),
            1 => format!("\"$({})\"", self.list(depth - 1)),
            2 => format!("`{}`", self.leaf()),
            3 if self.bash_ok() => format!("<({})", self.list(depth - 1)),
            4 => format!("${{X:-{}}}", self.op_word(depth - 1)),
            5 => format!("\"${{X:-{}}}\"", self.op_word(depth - 1)),
            6 => format!(
                "${{X{}{}}}",
                self.rng.pick(&["-", "=", ":=", "+", ":+", "#", "%", "##"]),
                self.op_word(depth - 1)
            ),
            7 if self.bash_ok() => format!(
                "${{X/{}/{}}}",
                self.op_word(depth - 1),
                self.op_word(depth - 1)
            ),
            8 => format!("$(( {} ))", self.arith(depth - 1)),
            9 if self.bash_ok() => format!("$[ {} ]", self.arith(depth - 1)),
            10 => format!("{{{},{}}}", self.word(depth - 1), self.word(depth - 1)),
            11 => format!(
                "$'{}'",
                self.rng.pick(&["\\x61", "a\\'b", "\\u0041", "x\\x27y"])
            ),
            12 => sq(&self.list(depth - 1)),
            13 => dq(&self.list(depth - 1)),
            14 => self.path(),
            15 => format!("${{#{}}}", self.rng.pick(&["X", "a[@]", "*"])),
            16 if self.bash_ok() => format!("${{!{}}}", self.rng.pick(&["X", "a[@]", "X*"])),
            17 if self.bash_ok() => format!("${{a[{}]}}", self.arith(depth - 1)),
            18 => "~".to_string(),
            19 => format!("{}*", self.rng.pick(&["src/", ".e", "s"])),
            20 if self.bash_ok() => format!("${{X@{}}}", self.rng.pick(&["Q", "P", "E", "U"])),
            _ => self
                .rng
                .pick(&["a", "'b c'", "\"d\"", "e\\ f", "-n", "--", "x=1"])
                .to_string(),
        }
    }

    /// The word of a `${X<op>word}` expansion: braces, quotes and substitutions bash reads its
    /// own way.
    fn op_word(&mut self, depth: u32) -> String {
        let inner = if depth > 0 {
            self.leaf()
        } else {
            "true".into()
        };
        match self.rng.below(14) {
            0 => "{".into(),
            1 => "}".into(),
            2 => format!("{{}}; {inner}; echo {{"),
            3 => format!("'$({inner})'"),
            4 => format!("\"$({inner})\""),
            5 => format!("$({inner})"),
            6 => format!("`{inner}`"),
            7 => "\\}".into(),
            8 => format!("${{Y:-{}}}", self.op_word(depth.saturating_sub(1))),
            9 => "a b".into(),
            10 => format!("'}}'; {inner} #"),
            11 => "$'\\x7d'".into(),
            _ => "w".into(),
        }
    }

    /// An arithmetic expression, with what bash evaluates in it.
    fn arith(&mut self, depth: u32) -> String {
        let inner = if depth > 0 {
            self.leaf()
        } else {
            "true".into()
        };
        match self.rng.below(12) {
            0 => "1 + 2".into(),
            1 => "X".into(),
            2 => format!("'$({inner})'"),
            3 => format!("\"$({inner})\""),
            4 => format!("$({inner})"),
            5 => format!("a[$({inner})]"),
            6 => "X + 1".into(),
            7 => "_".into(),
            8 => format!("a['$({inner})']"),
            9 => "$X".into(),
            _ => "i".into(),
        }
    }

    /// A value that, evaluated as arithmetic, runs a command.
    fn payload(&mut self) -> String {
        format!("a[$({})]", self.leaf())
    }

    /// One simple command, possibly wrapped, with redirections.
    fn simple(&mut self, depth: u32) -> String {
        let mut s = match self.rng.below(10) {
            0..=3 => self.leaf(),
            4 => {
                let w = self.word(depth);
                format!("echo {w}")
            }
            5 => {
                let w = self.word(depth);
                let l = self.leaf();
                format!("{l} {w}")
            }
            _ => {
                let w1 = self.word(depth);
                let w2 = self.word(depth.saturating_sub(1));
                format!("echo {w1} {w2}")
            }
        };
        if self.rng.chance(25) {
            s = self.wrap(&s);
        }
        if self.rng.chance(20) {
            let r = match self.rng.below(8) {
                0 => "> out.txt".to_string(),
                1 => "2>/dev/null".to_string(),
                2 => format!("< {}", self.path()),
                3 if self.bash_ok() => "&> out.txt".to_string(),
                4 if self.bash_ok() => format!("<<< {}", self.word(depth)),
                5 => ">| out.txt".to_string(),
                6 => "2>&1".to_string(),
                _ => format!("> {}", self.path()),
            };
            s = format!("{s} {r}");
        }
        if self.rng.chance(10) {
            s = format!("X={} {s}", self.word(depth.saturating_sub(1)));
        }
        s
    }

    /// A wrapper around a simple command.
    fn wrap(&mut self, s: &str) -> String {
        match self.rng.below(11) {
            0 => format!("timeout 5 {s}"),
            1 => format!("nice -n 1 {s}"),
            2 => format!("env {s}"),
            3 => format!("env X=1 {s}"),
            4 => format!("command {s}"),
            5 => format!("nohup {s}"),
            6 => format!("echo a | xargs {s}"),
            7 => format!("find src -maxdepth 0 -exec {s} \\;"),
            8 => format!("(exec {s})"),
            9 => format!("timeout -s KILL 5 nice {s}"),
            _ => format!("env -u X {s}"),
        }
    }

    /// A statement: a simple command or a compound one, or one of the known tricks.
    fn stmt(&mut self, depth: u32) -> String {
        if depth == 0 {
            return self.leaf();
        }
        let d = depth - 1;
        match self.rng.below(34) {
            0..=9 => self.simple(depth),
            10 => format!("{{ {}; }}", self.list(d)),
            11 => format!("( {} )", self.list(d)),
            12 => format!(
                "if {}; then {}; else {}; fi",
                self.leaf(),
                self.list(d),
                self.list(d)
            ),
            13 => format!("for i in 1 2; do {}; done", self.list(d)),
            14 => format!("case x in x) {};; esac", self.list(d)),
            15 => format!("sh -c {}", sq(&self.shell_text(d, true))),
            16 => format!("bash -c {}", sq(&self.shell_text(d, false))),
            17 => format!("eval {}", sq(&self.list(d))),
            18 => format!("eval {}", dq(&self.list(d))),
            19 if self.bash_ok() => format!("bash <<< {}", sq(&self.list(d))),
            20 => format!("echo {} | sh", sq(&self.shell_text(d, true))),
            21 => {
                let body = self.list(d);
                let delim = self
                    .rng
                    .pick(&["EOF", "'EOF'", "\"EOF\"", "\\EOF", "E$X"])
                    .to_string();
                let end = delim.trim_matches(['\'', '"', '\\']).to_string();
                let lead = self.rng.pick(&["cat", "sh", "bash"]).to_string();
                let line = match self.rng.below(3) {
                    0 => format!("$({body})"),
                    1 => format!("`{}`", self.leaf()),
                    _ => body,
                };
                format!("{lead} <<{delim}\n{line}\n{end}\n")
            }
            22 if self.bash_ok() => format!("[[ {} ]]", self.cond(d)),
            23 if self.bash_ok() => format!("(( {} ))", self.arith(d)),
            24 if self.bash_ok() => format!(
                "for (({};{};)); do break; done",
                self.arith(d),
                self.arith(d)
            ),
            25 => {
                // A function shadowing a command or builtin, then a use of the name.
                let name = self
                    .rng
                    .pick(&[
                        "ls", "nice", "echo", "cat", "timeout", "command", "env", "f", "pwd", "cd",
                        "test",
                    ])
                    .to_string();
                let body = self.leaf();
                let use_ = match name.as_str() {
                    "nice" | "timeout" | "command" | "env" => format!("{name} ls"),
                    "pwd" => String::new(),
                    _ => name.clone(),
                };
                format!("{name}() {{ {body}; }}; {use_}")
            }
            26 => format!(
                "command_not_found_handle() {{ {}; }}; nosuchcommand",
                self.leaf()
            ),
            27 if self.bash_ok() => {
                format!("shopt -s expand_aliases\nalias ls={}\nls", sq(&self.leaf()))
            }
            28 => {
                // Data that arithmetic evaluates.
                let p = self.payload();
                match self.rng.below(8) {
                    0 => format!("X={}; echo $((X))", sq(&p)),
                    1 => format!("read X <<< {}; echo $((X))", sq(&p)),
                    2 => format!("for X in {}; do echo $((X)); done", sq(&p)),
                    3 => format!(": ${{X:={}}}; echo $((X))", sq(&p)),
                    4 => format!("echo {} >/dev/null; echo $((_))", sq(&p)),
                    5 => format!("X={}; [[ $X -eq 1 ]]", sq(&p)),
                    6 => format!("X={}; test -v \"$X\"", sq(&p)),
                    _ => format!("set -- {}; echo $(($1))", sq(&p)),
                }
            }
            29 => format!(
                "cd {}; {}",
                self.rng
                    .pick(&["sub", "..", "/proc/self/cwd/sub", "link_out", "docs"]),
                self.list(d)
            ),
            30 => format!("trap {} EXIT; {}", sq(&self.leaf()), self.leaf()),
            31 => format!("exec 3< {}; cat <&3", self.path()),
            32 => format!("{} &", self.leaf()),
            _ => format!("! {}", self.simple(depth)),
        }
    }

    /// A script for a nested shell; `posix` for sh.
    fn shell_text(&mut self, depth: u32, posix: bool) -> String {
        let saved = self.posix;
        self.posix = posix;
        let s = self.list(depth);
        self.posix = saved;
        s
    }

    fn cond(&mut self, depth: u32) -> String {
        match self.rng.below(8) {
            0 => format!("-n {}", self.word(depth)),
            1 => format!("{} == {}", self.word(depth), self.word(depth)),
            2 => format!("-f {}", self.path()),
            3 => format!("-v {}", self.word(depth)),
            4 => format!("{} -eq 1", self.word(depth)),
            5 => format!("-n <({})", self.leaf()),
            6 => format!("x =~ {}", self.rng.pick(&["^a", "(a|b)", "a.*"])),
            _ => format!("-n {} && -n {}", self.word(depth), self.word(depth)),
        }
    }

    /// Statements joined by separators.
    fn list(&mut self, depth: u32) -> String {
        let n = 1 + self.rng.below(3);
        let mut out = self.stmt(depth);
        for _ in 1..n {
            let sep = if out.ends_with('\n') {
                // After a here-document's end line the next command just starts.
                ""
            } else if out.ends_with('&') {
                " "
            } else if self.posix {
                *self.rng.pick(&["; ", " && ", " || ", " | ", "\n"])
            } else {
                *self.rng.pick(&["; ", " && ", " || ", " | ", " |& ", "\n"])
            };
            out.push_str(sep);
            out.push_str(&self.stmt(depth));
        }
        out
    }

    /// Inserts a line continuation at a random place (it may land inside a word, a `$(`, a
    /// quoted string…).
    fn continuation(&mut self, s: &str) -> String {
        let chars: Vec<char> = s.chars().collect();
        if chars.len() < 2 {
            return s.to_string();
        }
        let at = 1 + self.rng.below(chars.len() - 1);
        let mut out: String = chars[..at].iter().collect();
        out.push_str("\\\n");
        out.extend(&chars[at..]);
        out
    }
}
