#!/usr/bin/env python3
"""Runs permission probes through Claude Code (a developer script, not CI).

For each entry of a corpus file -- a settings file's permission rules and the tool calls
("probes") derived from them -- Claude Code runs in print mode against ccrs-mock, which answers
the prompt with all the probes as tool_use blocks. Claude Code's verdict on each probe (ran, or
refused/asked = denied in print mode) is read from its `permission_denials`. The verdicts are
written back into the corpus as `"cc"` so the table test can compare ccrs with them.

    scripts/cc_differential.py crates/core/tests/it/data/settings_corpus.json [--only ID] [--jobs N]

Claude Code comes from /work/tools/claude-code (installed with npm if absent:
`npm install --prefix /work/tools/claude-code @anthropic-ai/claude-code@2.1.197`). Nothing a
probe names really runs: every program on PATH is a stub that exits 0 (bash and sh excepted,
which the Bash tool needs), the project and HOME are temporary directories, the API is the
mock on 127.0.0.1.
"""

import argparse
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


def stub_dir(base):
    d = os.path.join(base, "bin")
    os.makedirs(d)
    for name in STUB_NAMES:
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(p, 0o755)
    for name in ["bash", "sh"]:
        real = shutil.which(name, path="/usr/bin:/bin")
        os.symlink(real, os.path.join(d, name))
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


def fill(text, proj, home):
    return text.replace("{P}", proj).replace("{H}", home)


def fill_input(value, proj, home):
    if isinstance(value, str):
        return fill(value, proj, home)
    if isinstance(value, dict):
        return {k: fill_input(v, proj, home) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_input(v, proj, home) for v in value]
    return value


def run_entry(entry, mock_bin):
    """Claude Code's verdict on every probe of one entry: "allow" or "deny"."""
    with tempfile.TemporaryDirectory(prefix="ccdiff-") as base:
        base = os.path.realpath(base)
        bindir = stub_dir(base)
        settings = {"permissions": entry["permissions"]}
        proj, home = make_project(base, settings)
        blocks = []
        for i, probe in enumerate(entry["probes"]):
            blocks.append(
                {
                    "type": "tool_use",
                    "id": f"toolu_probe_{i:04d}",
                    "name": probe["tool"],
                    "input": fill_input(probe["input"], proj, home),
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
                    verdicts.append("allow")
                else:
                    verdicts.append("missing")
            return verdicts, results
        finally:
            mock.kill()
            mock.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--only", help="run only the entry with this id")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--show", action="store_true", help="print each probe's verdict and result")
    ap.add_argument("--dry", action="store_true", help="do not write the corpus back")
    args = ap.parse_args()
    ensure_claude_code()
    mock_bin = build_mock()
    with open(args.corpus) as f:
        corpus = json.load(f)
    entries = [e for e in corpus["entries"] if not args.only or e["id"] == args.only]
    started = time.time()

    def job(entry):
        for attempt in range(3):
            verdicts, results = run_entry(entry, mock_bin)
            if "missing" not in verdicts:
                return entry, verdicts, results
        return entry, verdicts, results

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for entry, verdicts, results in ex.map(job, entries):
            for i, (probe, v) in enumerate(zip(entry["probes"], verdicts)):
                probe["cc"] = v
                if args.show:
                    r = results.get(f"toolu_probe_{i:04d}", (None, ""))
                    print(f"{entry['id']}\t{v}\t{probe['tool']}\t{json.dumps(probe['input'])}\t{str(r[1])[:120]!r}")
            n = len(verdicts)
            print(
                f"{entry['id']}: {n} probes, {verdicts.count('allow')} ran, "
                f"{verdicts.count('deny')} refused, {verdicts.count('missing')} missing",
                file=sys.stderr,
            )
    corpus["claude_code_version"] = CC_VERSION
    if not args.dry:
        with open(args.corpus, "w") as f:
            json.dump(corpus, f, indent=1, ensure_ascii=False)
            f.write("\n")
    print(f"done in {time.time() - started:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
