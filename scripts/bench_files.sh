#!/usr/bin/env bash
# Pathological files through the real binary against the mock: the wall time of a `-p` run that
# Reads a file of 20 KB of text followed by a 5 GB hole, and the peak RSS of a `-p` session that
# Writes a file of MB megabytes (default 50) and Edits it twice.
#
#   scripts/bench_files.sh [MB]        # BIN=path/to/ccrs to measure another build
#
# Needs: python3, GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MB=${1:-50}
if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p ccrs -p ccrs-mock
  BIN=$ROOT/target/release/ccrs
fi
cargo build --release -q -p ccrs-mock
MOCK=$ROOT/target/release/ccrs-mock

WORK=$(mktemp -d)
MOCK_PID=""
cleanup() { [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
. "$ROOT/scripts/mock_sandbox.sh"

cd "$WORK/proj"

# Read of a sparse file: 20 KB of text lines, then a 5 GB hole.
python3 - "$WORK/proj/sparse.log" <<'PY'
import sys
line = "some text line of the head\n"
with open(sys.argv[1], "w") as f:
    f.write((line * 800)[:20000])
    f.truncate(20000 + 5 * 1024**3)
PY
printf '{"replies": [{"tool_use": {"name": "Read", "input": {"file_path": "%s"}}}, {"text": "done"}]}' \
  "$WORK/proj/sparse.log" > "$WORK/read.json"
start_mock "$WORK/read.json"
/usr/bin/time -f '%e %M' -o "$WORK/read.time" "$BIN" -p "read it" --allowedTools Read >/dev/null
read -r secs kb < "$WORK/read.time"
printf '%-44s %s s (peak RSS %s kB)\n' "Read of 20 KB text + 5 GB hole (-p run)" "$secs" "$kb"

# Write of an MB-sized file, then two Edits, in one session.
python3 - "$WORK/proj/big.txt" "$MB" > "$WORK/write.json" <<'PY'
import json, sys
path, mb = sys.argv[1], int(sys.argv[2])
line = "the quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnopq\n"
body = "HEADER-LINE\n" + line * (mb * 1000 * 1000 // len(line)) + "TAIL-LINE\n"
print(json.dumps({"replies": [
  {"tool_use": {"name": "Write", "input": {"file_path": path, "content": body}}},
  {"tool_use": {"name": "Edit", "input": {"file_path": path, "old_string": "HEADER-LINE", "new_string": "HEADER-EDITED"}}},
  {"tool_use": {"name": "Edit", "input": {"file_path": path, "old_string": "TAIL-LINE", "new_string": "TAIL-EDITED"}}},
  {"text": "done"}]}))
PY
start_mock "$WORK/write.json"
# A 50 MB Write is ~12M tokens: auto-compaction would spend the scripted replies on summaries.
export DISABLE_AUTO_COMPACT=1
/usr/bin/time -f '%e %M' -o "$WORK/write.time" "$BIN" -p "write and edit" --allowedTools Write Edit --max-turns 10 >/dev/null
read -r secs kb < "$WORK/write.time"
head -c 13 big.txt | grep -q HEADER-EDITED || { echo "the edits did not land" >&2; exit 1; }
printf '%-44s %s kB (%s s; the file is %s MB)\n' "-p Write + 2 Edits of a ${MB} MB file, peak RSS" "$kb" "$secs" "$MB"
