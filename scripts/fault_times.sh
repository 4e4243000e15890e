#!/usr/bin/env bash
# How long each API fault takes to end, and what the user is told: runs `BIN -p "say hi"` against
# ccrs-mock scripted with each fault and prints one line per fault (seconds, exit code, the last
# line of stderr/stdout).
#
#   scripts/fault_times.sh [BIN] [MOCK]      # default: target/release/ccrs, target/debug/ccrs-mock
#
# BIN may be Claude Code too (`claude`), for comparison: its output is the `result` line.
# Each run is capped at 400 s (`timeout`), so a fault that never ends shows as 400+ and exit 124.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${1:-$ROOT/target/release/ccrs}
MOCK=${2:-$ROOT/target/debug/ccrs-mock}
WORK=$(mktemp -d)
MOCK_PID=""
cleanup() { [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$WORK/home/.claude" "$WORK/cwd"
echo "{\"hasCompletedOnboarding\":true,\"projects\":{\"$WORK/cwd\":{\"hasTrustDialogAccepted\":true}}}" >"$WORK/home/.claude.json"

HTML='<html><head><title>Network login required</title></head><body>Sign in to the guest Wi-Fi</body></html>'
TEXT='"text": "Hello there, this is a partial answer that will not arrive whole"'
declare -A SCEN=(
  [html_200]="{\"fallback\": {\"status\": 200, \"headers\": {\"content-type\": \"text/html\"}, \"body\": \"${HTML//\"/\\\"}\"}}"
  [overloaded_mid_stream]="{\"replies\": [{$TEXT, \"sse_error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}, \"after_events\": 5}], \"fallback\": {\"text\": \"Recovered.\"}}"
  [dropped_mid_stream]="{\"replies\": [{$TEXT, \"cut_after_events\": 5}], \"fallback\": {\"text\": \"Recovered.\"}}"
  [stall_after_headers]="{\"fallback\": {$TEXT, \"stall_after_events\": 0}}"
  [stall_mid_stream]="{\"fallback\": {$TEXT, \"stall_after_events\": 5}}"
  [no_answer]="{\"fallback\": {\"hang\": true}}"
  [unknown_event_non_json]="{\"replies\": [{\"text\": \"Fine.\", \"inject\": [{\"at\": 2, \"raw\": \"event: telemetry\\ndata: not json at all\\n\\n\"}]}]}"
  [overloaded_529_always]="{\"fallback\": {\"status\": 529}}"
)
ORDER="html_200 overloaded_mid_stream dropped_mid_stream stall_after_headers stall_mid_stream no_answer unknown_event_non_json overloaded_529_always connection_refused"

run() { # name base_url [env...]
  local name=$1 url=$2; shift 2
  local start end rc out
  start=$(date +%s.%N)
  out=$(cd "$WORK/cwd" && env -i PATH="$PATH" HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/xdg" \
    ANTHROPIC_BASE_URL="$url" ANTHROPIC_API_KEY=sk-ant-test "$@" \
    timeout 400 "$BIN" -p "say hi" 2>&1 </dev/null)
  rc=$?
  end=$(date +%s.%N)
  printf '%-24s %7.1fs  exit %-3s %s\n' "$name" "$(echo "$end - $start" | bc)" "$rc" \
    "$(printf '%s' "$out" | grep -v '^\s*$' | tail -1 | cut -c1-400)"
}

for name in $ORDER; do
  if [ "$name" = connection_refused ]; then
    run "$name" "http://127.0.0.1:9"
    continue
  fi
  echo "${SCEN[$name]}" >"$WORK/$name.json"
  "$MOCK" --scenario "$WORK/$name.json" >"$WORK/mock.out" &
  MOCK_PID=$!
  for _ in $(seq 50); do grep -q listening "$WORK/mock.out" 2>/dev/null && break; sleep 0.1; done
  URL=$(sed 's/listening on //' "$WORK/mock.out")
  case $name in
    stall_*|no_answer) run "$name" "$URL" API_TIMEOUT_MS=5000 ;;
    *) run "$name" "$URL" ;;
  esac
  kill "$MOCK_PID" 2>/dev/null; wait "$MOCK_PID" 2>/dev/null; MOCK_PID=""
done
