#!/usr/bin/env bash
# Read of a 100 MB file with `limit: 10` (and at a far offset): wall time and peak RSS of a
# process that calls the Read tool directly, against the same process reading a tiny file.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-7}
cargo build --release -q -p ccrs-core --example toolbench
BIN=$ROOT/target/release/examples/toolbench
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$BIN" genfile "$WORK/big.txt" 100 >&2
printf 'one\ntwo\n' > "$WORK/small.txt"
M="python3 $ROOT/scripts/measure.py --runs $RUNS"
$M --label "Read tiny file (baseline process)" -- "$BIN" read "$WORK/small.txt"
$M --label "Read 100 MB file, limit 10" -- "$BIN" read "$WORK/big.txt" --limit 10
$M --label "Read 100 MB file, offset 1,000,000 limit 10" -- "$BIN" read "$WORK/big.txt" --offset 1000000 --limit 10
