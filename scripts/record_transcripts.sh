#!/usr/bin/env bash
# Records the transcript fixtures the tests read: Claude Code runs against crates/mock and the
# session files it writes are copied, with the machine's paths made neutral, into
# crates/cli/tests/fixtures/transcripts/. A developer script (needs Claude Code from npm); CI
# only reads the committed fixtures.
#
#   scripts/record_transcripts.sh
#   CLAUDE=/path/to/claude CLAUDE_NEW=/path/to/newer/claude scripts/record_transcripts.sh
#   scripts/record_transcripts.sh reverse   # records nothing: checks that Claude Code resumes
#                                           # a session ccrs wrote (exit 1 if not)
#
# Defaults: the shared installs of 2.1.197 and 2.1.332 under /work/tools (install with
# `npm install --prefix DIR @anthropic-ai/claude-code@2.1.197`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CLAUDE=${CLAUDE:-/work/tools/claude-code/node_modules/.bin/claude}
CLAUDE_NEW=${CLAUDE_NEW:-/work/tools/claude-code-new/node_modules/.bin/claude}
OUT=$ROOT/crates/cli/tests/fixtures/transcripts
FIXTURE_CWD=/__FIXTURE__/project
FIXTURE_HOME=/__FIXTURE__/home

cargo build -q -p ccrs-mock
MOCK=$ROOT/target/debug/ccrs-mock
WORK=$(mktemp -d)
MOCK_PID=""
cleanup() { [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p "$OUT"

start_mock() { # scenario file
  [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null
  "$MOCK" --scenario "$1" >"$WORK/mock.log" 2>&1 &
  MOCK_PID=$!
  for _ in $(seq 200); do grep -q listening "$WORK/mock.log" && break; sleep 0.05; done
  MOCK_URL=$(grep -o 'http://[0-9.:]*' "$WORK/mock.log")
}

fresh() { # name -> $W with home and a git project, Claude Code's onboarding done
  W=$WORK/$1
  mkdir -p "$W/home" "$W/project"
  git -C "$W/project" init -q -b main
  printf '{"hasCompletedOnboarding":true,"theme":"dark","customApiKeyResponses":{"approved":["sk-ant-test"],"rejected":[]},"projects":{"%s":{"hasTrustDialogAccepted":true}}}' \
    "$W/project" >"$W/home/.claude.json"
}

cc() { # claude-binary args... (in $W)
  local bin=$1; shift
  (cd "$W/project" && env -i PATH="$PATH" TERM=xterm-256color HOME="$W/home" \
    ANTHROPIC_BASE_URL="$MOCK_URL" ANTHROPIC_API_KEY=sk-ant-test DISABLE_TELEMETRY=1 \
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 timeout 120 "$bin" "$@")
}

session_files() { ls -t "$W"/home/.claude/projects/*/*.jsonl; }

save() { # source-file fixture-name
  python3 - "$1" "$OUT/$2" "$W/project" "$W/home" "$FIXTURE_CWD" "$FIXTURE_HOME" <<'PY'
import re, sys
src, dst, cwd, home, fcwd, fhome = sys.argv[1:]
slug = lambda p: re.sub(r'[^a-zA-Z0-9]', '-', p)
text = open(src, encoding='utf-8').read()
for a, b in ((cwd, fcwd), (home, fhome), (slug(cwd), slug(fcwd))):
    text = text.replace(a, b)
open(dst, 'w', encoding='utf-8').write(text)
PY
  echo "recorded $2 ($(wc -l <"$OUT/$2") lines)"
}

scenario() { sed "s#PROJ#$W/project#g" >"$WORK/scenario.json"; start_mock "$WORK/scenario.json"; }

record_tools() { # claude-binary version
  fresh "tools-$2"
  scenario <<'J'
{"replies":[
 {"content":[{"type":"thinking","thinking":"I will write then edit.","signature":"sig1"},{"type":"text","text":"Writing the file."},{"type":"tool_use","name":"Write","input":{"file_path":"PROJ/notes.txt","content":"one\ntwo\n"}}]},
 {"tool_use":{"name":"Edit","input":{"file_path":"PROJ/notes.txt","old_string":"two","new_string":"three"}}},
 {"content":[{"type":"tool_use","name":"Bash","input":{"command":"echo a"}},{"type":"tool_use","name":"Bash","input":{"command":"echo b"}}]},
 {"text":"Done: notes.txt says one, three."}
]}
J
  cc "$1" -p "write notes" --permission-mode acceptEdits --allowedTools Bash >/dev/null
  save "$(session_files | head -1)" "$2-tools.jsonl"
}

record_compacted() {
  fresh compacted
  scenario <<'J'
{"replies":[
 {"text":"Hello! First answer."},
 {"text":"Second answer, resumed."},
 {"text":"<summary>The user said hi twice.</summary>","match":{"body_contains":"create a detailed summary"}},
 {"text":"Third answer after compaction."},
 {"text":"Fourth answer in a fork."}
]}
J
  local sid
  sid=$(cc "$CLAUDE" -p "hi" --output-format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["session_id"])')
  cc "$CLAUDE" -p --resume "$sid" "hi again" >/dev/null
  cc "$CLAUDE" -p --continue "/compact" >/dev/null
  cc "$CLAUDE" -p --continue "after compact" >/dev/null
  save "$(ls "$W"/home/.claude/projects/*/"$sid".jsonl)" "2.1.197-compacted.jsonl"
  cc "$CLAUDE" -p --continue --fork-session "forked" >/dev/null
  save "$(session_files | head -1)" "2.1.197-forked.jsonl"
}

record_subagent() {
  fresh subagent
  scenario <<'J'
{"replies":[
 {"tool_use":{"name":"Agent","input":{"description":"List files","prompt":"SUBTASK: run ls","subagent_type":"general-purpose"}}},
 {"tool_use":{"name":"Bash","input":{"command":"echo from-sub"}},"match":{"body_contains":"SUBTASK: run ls"}},
 {"text":"Sub agent finished: from-sub","match":{"body_contains":"from-sub"}},
 {"text":"All done."}
]}
J
  cc "$CLAUDE" -p "delegate" --allowedTools Bash >/dev/null
  save "$(session_files | head -1)" "2.1.197-subagent.jsonl"
  save "$(ls "$W"/home/.claude/projects/*/*/subagents/agent-*.jsonl | head -1)" "2.1.197-subagent.sidechain.jsonl"
}

kill_tree() { # pid: it and everything it started, with SIGKILL
  local c
  for c in $(pgrep -P "$1"); do kill_tree "$c"; done
  kill -9 "$1" 2>/dev/null || true
}

record_killed() { # killed while its tool runs: a tool_use without a result
  fresh killed
  scenario <<'J'
{"replies":[{"text":"Starting.","tool_use":{"name":"Bash","input":{"command":"sleep 30"}}}],"fallback":{"hang":true}}
J
  (cd "$W/project" && exec env -i PATH="$PATH" HOME="$W/home" ANTHROPIC_BASE_URL="$MOCK_URL" \
    ANTHROPIC_API_KEY=sk-ant-test DISABLE_TELEMETRY=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
    DISABLE_AUTOUPDATER=1 "$CLAUDE" -p "run the slow thing" --allowedTools Bash) >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 400); do
    grep -qs '"tool_use"' "$W"/home/.claude/projects/*/*.jsonl && break
    sleep 0.05
  done
  sleep 0.5
  kill_tree "$pid"
  wait "$pid" 2>/dev/null || true
  save "$(session_files | head -1)" "2.1.197-killed-in-tool.jsonl"
}

record_interactive() { # the terminal UI: checkpoints, titles, turn durations, /exit
  fresh interactive
  scenario <<'J'
{"replies":[
 {"text":"{\"title\": \"Write notes\"}","match":{"body_contains":"Write the title"}},
 {"text":"{\"title\": \"Second\"}","match":{"body_contains":"Write the title"}},
 {"tool_use":{"name":"Write","input":{"file_path":"PROJ/notes.txt","content":"one\ntwo\n"}}},
 {"tool_use":{"name":"Edit","input":{"file_path":"PROJ/notes.txt","old_string":"two","new_string":"three"}}},
 {"text":"Done editing."},
 {"text":"Second prompt answered."}
]}
J
  cc "$CLAUDE" --version >/dev/null
  (cd "$W/project" && env -i PATH="$PATH" TERM=xterm-256color HOME="$W/home" \
    ANTHROPIC_BASE_URL="$MOCK_URL" ANTHROPIC_API_KEY=sk-ant-test DISABLE_TELEMETRY=1 \
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 timeout 120 \
    python3 "$ROOT/scripts/pty_drive.py" \
    '[["wait","shift\\+tab"],["sleep",1],["send","write notes"],["sleep",0.5],["send","\r"],["wait","Done\\s*editing"],["sleep",1],["send","second prompt"],["sleep",0.5],["send","\r"],["wait","Second\\s*prompt\\s*answered"],["sleep",1],["send","/exit"],["sleep",0.5],["send","\r"],["sleep",2]]' \
    -- "$CLAUDE" --permission-mode acceptEdits)
  save "$(session_files | head -1)" "2.1.197-interactive.jsonl"
}

# The other direction: ccrs writes a session (a prompt, a Bash call, an answer), then Claude Code
# `--resume`s it. The mock answers Claude Code with CC-SAW-HISTORY only if its request carries
# ccrs's tool output; Claude Code's new prompt must chain (parentUuid) to ccrs's last line.
check_reverse() { # claude-binary
  fresh "reverse-$(basename "$(dirname "$(dirname "$(dirname "$1")")")")"
  cargo build -q -p ccrs
  scenario <<'J'
{"replies":[
 {"tool_use":{"name":"Bash","input":{"command":"echo ccrs-tool-output-42"}}},
 {"text":"ccrs answered."}
]}
J
  local sid out
  sid=$(cd "$W/project" && env -i PATH="$PATH" HOME="$W/home" ANTHROPIC_BASE_URL="$MOCK_URL" \
    ANTHROPIC_API_KEY=sk-ant-test "$ROOT/target/debug/ccrs" -p "ccrs prompt" \
    --allowedTools Bash --output-format json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["session_id"])')
  scenario <<'J'
{"replies":[{"text":"CC-SAW-HISTORY","match":{"body_contains":"ccrs-tool-output-42"}}],
 "fallback":{"text":"NO-HISTORY"}}
J
  out=$(cc "$1" -p --resume "$sid" "cc prompt")
  echo "$("$1" --version) answered: $out"
  python3 - "$W"/home/.claude/projects/*/"$sid".jsonl <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {l["uuid"]: l for l in lines if "uuid" in l}
cc = [l for l in lines if l.get("type") == "user" and "cc prompt" in json.dumps(l.get("message"))]
assert cc, "Claude Code wrote no prompt line into the session"
chain, u = [], cc[-1]["uuid"]
while u in by:
    chain.append(by[u]); u = by[u].get("parentUuid")
texts = json.dumps([c.get("message") for c in chain])
for t in ("ccrs prompt", "ccrs-tool-output-42", "ccrs answered.", "cc prompt"):
    assert t in texts, t + " is not in Claude Code's chain"
print(f"chain of {len(chain)} lines from Claude Code's prompt back to ccrs's first: ok")
PY
  [ "$out" = "CC-SAW-HISTORY" ]
}

if [ "${1:-}" = reverse ]; then
  check_reverse "$CLAUDE"
  [ -x "$CLAUDE_NEW" ] && check_reverse "$CLAUDE_NEW"
  exit 0
fi

record_tools "$CLAUDE" 2.1.197
record_compacted
record_subagent
record_killed
record_interactive
if [ -x "$CLAUDE_NEW" ]; then
  record_tools "$CLAUDE_NEW" "$("$CLAUDE_NEW" --version | cut -d' ' -f1)"
fi
