#!/usr/bin/env bash
# Session benchmarks (transcripts and resume), against crates/mock in a sandbox home:
#   1. resuming a 10,000-message session (2,500 exchanges of prompt, tool call, tool result,
#      answer; ~12 MB of JSONL in Claude Code's format): wall time and peak RSS of
#      `ccrs -p --resume <id> "…"`, beside a fresh `-p` run;
#   2. a 200-turn scripted `-p` session (200 Read calls, then an answer): peak RSS and wall time
#      with the transcript (each fsync policy) and with --no-session-persistence.
#
#   scripts/bench_sessions.sh                 # builds and measures the release binary
#   CCRS=target/debug/ccrs scripts/bench_sessions.sh
#
# Needs python3 and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
cargo build -q --release -p ccrs -p ccrs-mock
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
CCRS=${CCRS:-$TARGET/release/ccrs}
MOCK=$TARGET/release/ccrs-mock
WORK=$(mktemp -d)
MOCK_PID=""
trap '[ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
# shellcheck source=scripts/mock_sandbox.sh
source "$ROOT/scripts/mock_sandbox.sh"
cd "$WORK/proj"

measure() { # label command... : best wall time of 3 runs and the peak RSS of that run
  local best="" rss=""
  for _ in 1 2 3; do
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" || {
      cat "$WORK/err" >&2; exit 1; }
    read -r t m <"$WORK/time"
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(not $t < $best)"; then best=$t rss=$m; fi
  done
  printf '%-58s %6.2f s  %7.1f MB peak RSS\n' "$LABEL" "$best" "$(echo "$rss / 1024" | bc -l)"
}

# 1. The 10,000-message session.
SID=$(python3 - "$CLAUDE_CONFIG_DIR" "$WORK/proj" <<'PY'
import json, os, re, sys, uuid
config, cwd = sys.argv[1:]
sid = str(uuid.uuid4())
d = os.path.join(config, "projects", re.sub(r"[^a-zA-Z0-9]", "-", cwd))
os.makedirs(d, exist_ok=True)
ctx = {"userType": "external", "entrypoint": "cli", "cwd": cwd, "sessionId": sid,
       "version": "2.1.197", "gitBranch": "main"}
parent, n = None, 0
def line(kind, message, **extra):
    global parent, n
    u = str(uuid.uuid4())
    l = {"parentUuid": parent, "isSidechain": False, "type": kind, "message": message,
         "uuid": u, "timestamp": "2026-12-01T10:%02d:%02d.000Z" % (n // 60 % 60, n % 60)}
    l.update(ctx); l.update(extra)
    parent, n = u, n + 1
    return json.dumps(l)
para = "The function parses the header, then checks each field against the schema. " * 4
with open(os.path.join(d, sid + ".jsonl"), "w") as f:
    for i in range(2500):
        tid = "toolu_%024d" % i
        f.write(line("user", {"role": "user", "content": f"prompt {i}: look at src/file{i}.rs and fix the bug"}) + "\n")
        f.write(line("assistant", {"id": f"msg_{i:024d}a", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5", "content": [{"type": "tool_use", "id": tid, "name": "Read",
            "input": {"file_path": f"{cwd}/src/file{i}.rs"}}], "stop_reason": "tool_use",
            "stop_sequence": None, "usage": {"input_tokens": 100, "output_tokens": 20}}) + "\n")
        f.write(line("user", {"role": "user", "content": [{"tool_use_id": tid, "type": "tool_result",
            "content": "     1\tfn main() {\n" + para}]}, toolUseResult={"type": "text"}) + "\n")
        f.write(line("assistant", {"id": f"msg_{i:024d}b", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5", "content": [{"type": "text", "text": para}],
            "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 100, "output_tokens": 80}}) + "\n")
print(sid)
PY
)
FILE=$(ls "$CLAUDE_CONFIG_DIR"/projects/*/"$SID".jsonl)
echo "10,000-message transcript: $(du -h "$FILE" | cut -f1), $(wc -l <"$FILE") lines"
echo '{"replies":[],"fallback":{"text":"ok"}}' >"$WORK/ok.json"
start_mock "$WORK/ok.json"
LABEL="fresh -p run (baseline)" measure "$CCRS" -p "hi" --no-session-persistence
# Every resume appends two lines; the file is restored from a copy each time.
cp "$FILE" "$WORK/orig.jsonl"
resume() { cp "$WORK/orig.jsonl" "$FILE"; "$CCRS" -p --resume "$SID" "one more" --max-turns 1; }
export -f resume; export CCRS SID FILE WORK
LABEL="-p --resume of the 10,000-message session" measure bash -c resume

# 2. The 200-turn session.
head -c 2000 /dev/urandom | base64 >"$WORK/proj/notes.txt"
python3 - "$WORK/proj/notes.txt" >"$WORK/turns.json" <<'PY'
import json, sys
r = [{"tool_use": {"name": "Read", "input": {"file_path": sys.argv[1]}}} for _ in range(200)]
r.append({"text": "Read it 200 times."})
print(json.dumps({"replies": r, "repeat": True}))
PY
start_mock "$WORK/turns.json"
LABEL="200 turns, --no-session-persistence" \
  measure "$CCRS" -p "read notes.txt 200 times" --max-turns 250 --no-session-persistence
for p in background sync off; do
  LABEL="200 turns, transcript (CCRS_TRANSCRIPT_FSYNC=$p)" \
    measure env CCRS_TRANSCRIPT_FSYNC=$p "$CCRS" -p "read notes.txt 200 times" --max-turns 250
done
