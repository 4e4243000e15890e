#!/usr/bin/env bash
# ccrs benchmarks: binary size, start-up time, and the wall time / CPU / peak RSS of scripted
# print-mode sessions against the mock server. Prints one figure per line.
#
#   scripts/bench.sh            # everything
#   scripts/bench.sh --quick    # fewer runs, skip the slow sections
#
# Needs: the Rust toolchain, python3, GNU time (/usr/bin/time; Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
RUNS=$([ $QUICK = 1 ] && echo 3 || echo 7)

if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (needed for peak RSS)…" >&2
  (apt-get install -y -qq time >/dev/null 2>&1 || sudo apt-get install -y -qq time >/dev/null 2>&1) || { echo "need /usr/bin/time" >&2; exit 1; }
fi

echo "== building release binaries"
cargo build --release -q -p ccrs -p ccrs-mock
BIN=$ROOT/target/release/ccrs
MOCK=$ROOT/target/release/ccrs-mock
MEASURE="python3 $ROOT/scripts/measure.py"

WORK=$(mktemp -d)
MOCK_PID=""
cleanup() { [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

echo
echo "== results"
SIZE=$(stat -c %s "$BIN")
printf '%-44s %s bytes (%.2f MB)   budget ≤ 5 MB\n' "binary size (stripped, release)" "$SIZE" "$(echo "$SIZE/1048576" | bc -l)"

python3 - "$BIN" <<'PY'
import subprocess, sys, time, statistics
def med(cmd, n=51):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter(); subprocess.run(cmd, stdout=subprocess.DEVNULL); ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts)
base = med(["/bin/true"])
v = med([sys.argv[1], "--version"])
print(f"{'ccrs --version wall time':<44} {v:.2f} ms   (spawning /bin/true: {base:.2f} ms; budget ≤ 5 ms)")
PY

. "$ROOT/scripts/mock_sandbox.sh"
export -f start_mock 2>/dev/null || true

cd "$WORK/proj"
start_mock ""
$MEASURE --runs "$RUNS" --label "-p one Bash tool call (echo hello)" -- "$BIN" -p "run echo hello" --allowedTools Bash
$MEASURE --runs "$RUNS" --label "-p text reply (say hi)" -- "$BIN" -p "say hi"

# Prompt + tool schemas: what every request pays, measured on a captured request.
"$BIN" -p "say hi" >/dev/null
python3 - "$PORT" <<'PY'
import json, sys, urllib.request
reqs = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_mock/requests"))
body = json.loads([r for r in reqs if r["path"] == "/v1/messages"][-1]["body"])
sysb = len(json.dumps(body.get("system", []), separators=(",", ":"), ensure_ascii=False))
tools = len(json.dumps(body.get("tools", []), separators=(",", ":"), ensure_ascii=False))
print(f"{'system prompt + tool schemas':<44} {sysb + tools} bytes ≈ {(sysb + tools) / 4:.0f} tokens at 4 B/token "
      f"(system {sysb} B, {len(body.get('tools', []))} tools {tools} B; aim < 3,000 tokens)")
PY

# 20 tool calls in one session: peak RSS must stay ≤ 15 MB. The scenario's replies repeat, so
# one mock serves every run.
SCEN=$ROOT/crates/mock/scenarios/bench-20-tools.json
if [ -f "$SCEN" ]; then
  start_mock "$SCEN"
  printf 'x\n' > notes.txt
  $MEASURE --runs "$RUNS" --label "-p 20-tool-call session" \
    -- "$BIN" -p "do the twenty steps" --allowedTools Bash Read --max-turns 30
fi

# Further sections provided by other scripts, when present.
for extra in bench_search.sh bench_idle.sh bench_read.sh bench_files.sh; do
  if [ -x "$ROOT/scripts/$extra" ] && [ $QUICK = 0 ]; then
    echo; echo "== $extra"; "$ROOT/scripts/$extra" || echo "$extra failed"
  fi
done
