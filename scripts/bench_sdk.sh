#!/usr/bin/env bash
# Peak RSS of (1) a scripted Agent-SDK session (Python claude-agent-sdk, ClaudeSDKClient) whose
# model runs two subagents at once, and (2) N concurrent headless `-p` agents — for ccrs and,
# when given, Claude Code — against the mock.
#
#   scripts/bench_sdk.sh [--claude PATH] [--n 50] [--claude-n 10]
#
# Needs: release builds (built here), /usr/bin/time, curl, a python with claude-agent-sdk
# (CCRS_SDK_PYTHON, default target/sdk-venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CLAUDE=""; N=50; CN=10
while [ $# -gt 0 ]; do
  case $1 in
    --claude) CLAUDE=$2; shift 2;;
    --n) N=$2; shift 2;;
    --claude-n) CN=$2; shift 2;;
    *) echo "unknown argument $1" >&2; exit 2;;
  esac
done
PY=${CCRS_SDK_PYTHON:-$ROOT/target/sdk-venv/bin/python}
cargo build --release -q -p ccrs -p ccrs-mock
BIN=$ROOT/target/release/ccrs
WORK=$(mktemp -d)
MOCK_PID=""
cleanup() { [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# Two Task calls (ccrs accepts the old name; Claude Code 2.1.197 knows only it), each subagent
# answers at once, then the parent's final answer; anything else (Claude Code's side requests,
# the -p runs) gets a short text.
cat > "$WORK/scenario.json" <<'JSON'
{"replies": [
  {"content": [
    {"type": "tool_use", "id": "toolu_b1", "name": "Task", "input": {"description": "alpha", "prompt": "TASK-ALPHA: report", "subagent_type": "general-purpose"}},
    {"type": "tool_use", "id": "toolu_b2", "name": "Task", "input": {"description": "beta", "prompt": "TASK-BETA: report", "subagent_type": "general-purpose"}}
  ], "match": {"body_contains": "use two agents", "model": "sonnet"}},
  {"text": "alpha report", "match": {"body_contains": "TASK-ALPHA"}, "delay_ms": 300},
  {"text": "beta report", "match": {"body_contains": "TASK-BETA"}, "delay_ms": 300}
 ],
 "fallback": {"text": "done"}}
JSON
"$ROOT/target/release/ccrs-mock" --port 0 --scenario "$WORK/scenario.json" > "$WORK/mock.out" 2>&1 &
MOCK_PID=$!
for _ in $(seq 50); do grep -q listening "$WORK/mock.out" && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on //p' "$WORK/mock.out")
mkdir -p "$WORK/home/.claude" "$WORK/proj"
cat > "$WORK/home/.claude.json" <<JSON
{"hasCompletedOnboarding": true, "projects": {"$WORK/proj": {"hasTrustDialogAccepted": true}}}
JSON
export HOME=$WORK/home ANTHROPIC_API_KEY=sk-ant-bench ANTHROPIC_BASE_URL=$URL
export DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 CLAUDE_AGENT_SDK_SKIP_VERSION_CHECK=1
cd "$WORK/proj"

sdk_session() { # $1 = CLI; prints its peak RSS in KB
  curl -s -X POST "$URL/_mock/reset" > /dev/null
  cat > "$WORK/wrap.sh" <<SH
#!/bin/sh
exec /usr/bin/time -f %M -o "$WORK/sdk_rss" "$1" "\$@"
SH
  chmod +x "$WORK/wrap.sh"
  "$PY" - "$WORK/wrap.sh" <<'PYEOF'
import anyio, sys
from claude_agent_sdk import ClaudeSDKClient, ClaudeAgentOptions
async def main():
    o = ClaudeAgentOptions(cli_path=sys.argv[1], model="sonnet", allowed_tools=["Task", "Agent"])
    async with ClaudeSDKClient(o) as c:
        await c.query("use two agents")
        async for m in c.receive_response():
            if type(m).__name__ == "ResultMessage":
                assert not m.is_error, m
anyio.run(main)
PYEOF
  cat "$WORK/sdk_rss"
}

many() { # $1 = CLI, $2 = count; prints the sum of the runs' peak RSS in KB
  local pids=()
  for i in $(seq "$2"); do
    /usr/bin/time -f %M -o "$WORK/rss.$i" "$1" -p "hello $i" > /dev/null 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  cat "$WORK"/rss.* | awk '{s+=$1} END {print s}'
  rm -f "$WORK"/rss.*
}

kb() { awk -v k="$1" 'BEGIN {printf "%.1f MB", k/1024}'; }
R=$(sdk_session "$BIN"); echo "ccrs   SDK session, two concurrent subagents: peak RSS $(kb "$R")"
R=$(many "$BIN" "$N"); echo "ccrs   $N concurrent -p agents: total of peak RSS $(kb "$R") ($(kb $((R / N))) each)"
if [ -n "$CLAUDE" ]; then
  R=$(sdk_session "$CLAUDE"); echo "claude SDK session, two concurrent subagents: peak RSS $(kb "$R")"
  R=$(many "$CLAUDE" "$CN"); echo "claude $CN concurrent -p agents: total of peak RSS $(kb "$R") ($(kb $((R / CN))) each; ×$N ≈ $(kb $((R / CN * N))))"
fi
