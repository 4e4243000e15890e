#!/usr/bin/env bash
# The start-up cost of a sandboxed Bash call next to an unsandboxed one: a `-p` session of N
# Bash calls (`true`) against the mock, with `sandbox.enabled` + autoAllowBashIfSandboxed and
# without the sandbox (an allow rule instead); median wall time of 5 runs each, per call.
#
#   scripts/bench_sandbox.sh [N]       # BIN=path/to/ccrs to measure another build
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-20}
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p ccrs
  BIN=$ROOT/target/release/ccrs
fi
cargo build --release -q -p ccrs-mock
MOCK=$ROOT/target/release/ccrs-mock
WORK=$(mktemp -d)
MOCK_PID=""
cleanup() { [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
. "$ROOT/scripts/mock_sandbox.sh"
python3 - "$N" > "$WORK/scen.json" <<'PY'
import json, sys
n = int(sys.argv[1])
calls = [{"tool_use": {"name": "Bash", "input": {"command": "true", "description": "nothing"}}}] * n
print(json.dumps({"replies": calls + [{"text": "done"}]}))
PY
mkdir -p "$WORK/proj/.claude"
run() { # $1 = label, $2 = settings JSON
  printf '%s' "$2" > "$WORK/proj/.claude/settings.json"
  local ts=()
  for _ in 1 2 3 4 5; do
    start_mock "$WORK/scen.json"
    local t0 t1
    t0=$(date +%s%N)
    (cd "$WORK/proj" && "$BIN" -p "go" --max-turns $((N + 2)) >/dev/null 2>"$WORK/err") || { cat "$WORK/err" >&2; exit 1; }
    t1=$(date +%s%N)
    ts+=($(( (t1 - t0) / 1000 )))
  done
  local med
  med=$(printf '%s\n' "${ts[@]}" | sort -n | sed -n 3p)
  printf '%-34s %8.1f ms per session, %6.2f ms per call\n' "$1" "$(echo "$med/1000" | bc -l)" "$(echo "$med/1000/$N" | bc -l)"
}
run "unsandboxed (allow rule)" '{"permissions": {"allow": ["Bash(true)"]}}'
run "sandboxed (autoAllowBashIfSandboxed)" '{"sandbox": {"enabled": true, "autoAllowBashIfSandboxed": true}}'
