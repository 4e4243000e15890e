#!/usr/bin/env bash
# Grep/Glob speed against ripgrep: builds `toolbench` (release), generates a deterministic tree
# of small source files, then times ccrs's Grep and `rg` with equivalent flags on it (warm
# cache, median of several runs, both timed the same way: whole process, output to a file).
# Prints one line per case with the ccrs/rg ratio (goal ≤ 1.3×).
#
#   scripts/bench_search.sh              # 50,000 files, 7 runs
#   FILES=10000 RUNS=3 scripts/bench_search.sh
#   BENCH_TREE=/tmp/tree scripts/bench_search.sh   # keep/reuse the generated tree
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FILES=${FILES:-50000}
RUNS=${RUNS:-7}

echo "== building toolbench (release)" >&2
cargo build --release -q -p ccrs-core --example toolbench
BIN=$ROOT/target/release/examples/toolbench

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
TREE=${BENCH_TREE:-$WORK/tree}
if [ ! -f "$TREE/.bench-$FILES" ]; then
  rm -rf "$TREE"
  "$BIN" gen "$TREE" --files "$FILES" >&2
  touch "$TREE/.bench-$FILES"
fi

HAVE_RG=1
command -v rg >/dev/null || { HAVE_RG=0; echo "NOTICE: rg not installed; ccrs timings only" >&2; }
THREADS=$(nproc)
echo "tree: $FILES files ($(du -sh "$TREE" | cut -f1)), $THREADS cores, $(rg --version 2>/dev/null | head -1 || echo 'no rg')"

# rg flags equivalent to Grep's: hidden files, no VCS dirs, --max-columns 500.
RG_COMMON=(--no-config --no-messages --color never --hidden --max-columns 500
  --glob '!.git' --glob '!.svn' --glob '!.hg' --glob '!.bzr' --glob '!.jj' --glob '!.sl')

cd "$TREE"
# One run of "$@" (stdout to $WORK/out): "<wall µs> <cpu µs>". CPU time (user+sys, from GNU
# time when installed) is steadier than wall time on a busy machine.
time_us() {
  local s e cpu=0
  s=$(date +%s%N)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%U %S' -o "$WORK/time" "$@" >"$WORK/out" 2>/dev/null || true
  else
    "$@" >"$WORK/out" 2>/dev/null || true
  fi
  e=$(date +%s%N)
  [ -s "$WORK/time" ] && cpu=$(tail -1 "$WORK/time" | awk '{printf "%d", ($1 + $2) * 1000000}')
  echo "$(((e - s) / 1000)) $cpu"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# bench <label> <toolbench field to compare with rg's output line count, or none> -- <ccrs cmd...>
#       -- <rg cmd...>
bench() {
  local label=$1 field=$2; shift 3
  local ccrs=() rgc=()
  while [ "$1" != "--" ]; do ccrs+=("$1"); shift; done; shift
  rgc=("$@")
  # Warm the cache and check both find the same number of results.
  "${ccrs[@]}" >"$WORK/ccrs.out"
  local n_ccrs
  n_ccrs=-
  [ "$field" != none ] && n_ccrs=$(head -1 "$WORK/ccrs.out" | sed -E "s/.* ${field}=([0-9]+).*/\\1/")
  local n_rg=-
  if [ $HAVE_RG = 1 ]; then "${rgc[@]}" >"$WORK/rg.out" 2>/dev/null || true; n_rg=$(wc -l <"$WORK/rg.out"); fi
  : >"$WORK/tc"; : >"$WORK/tr"
  # Interleaved, so load from elsewhere hits both alike.
  for _ in $(seq "$RUNS"); do
    time_us "${ccrs[@]}" >>"$WORK/tc"
    [ $HAVE_RG = 1 ] && time_us "${rgc[@]}" >>"$WORK/tr"
  done
  local mc cc mr cr
  mc=$(cut -d' ' -f1 "$WORK/tc" | median); cc=$(cut -d' ' -f2 "$WORK/tc" | median)
  if [ $HAVE_RG = 1 ]; then
    mr=$(cut -d' ' -f1 "$WORK/tr" | median); cr=$(cut -d' ' -f2 "$WORK/tr" | median)
    local flag="" cratio="-"
    [ "$field" != none ] && [ "$n_ccrs" != "$n_rg" ] && flag="  RESULT COUNTS DIFFER"
    [ "$cr" -gt 0 ] && cratio=$(printf '%.2fx' "$(echo "$cc/$cr" | bc -l)")
    printf '%-36s wall: ccrs %6.1f ms  rg %6.1f ms  ratio %.2fx | cpu: ccrs %6.1f ms  rg %6.1f ms  ratio %s | results %s / %s%s\n' \
      "$label" "$(echo "$mc/1000" | bc -l)" "$(echo "$mr/1000" | bc -l)" "$(echo "$mc/$mr" | bc -l)" \
      "$(echo "$cc/1000" | bc -l)" "$(echo "$cr/1000" | bc -l)" "$cratio" "$n_ccrs" "$n_rg" "$flag"
  else
    printf '%-36s wall: ccrs %6.1f ms  cpu %6.1f ms | results %s\n' "$label" \
      "$(echo "$mc/1000" | bc -l)" "$(echo "$cc/1000" | bc -l)" "$n_ccrs"
  fi
}

bench "grep files_with_matches TODO" results -- "$BIN" grep . TODO --mode files \
  -- rg "${RG_COMMON[@]}" -l -e TODO
bench "grep content -n TODO" results -- "$BIN" grep . TODO --mode content \
  -- rg "${RG_COMMON[@]}" -n -H --no-heading -e TODO
bench "grep files regex fn \\w+_handler\\(" results -- "$BIN" grep . 'fn \w+_handler\(' --mode files \
  -- rg "${RG_COMMON[@]}" -l -e 'fn \w+_handler\('
bench "grep content -i needle" results -- "$BIN" grep . needle --mode content -i \
  -- rg "${RG_COMMON[@]}" -n -H --no-heading -i -e needle
bench "grep count 'let'" files -- "$BIN" grep . let --mode count \
  -- rg "${RG_COMMON[@]}" -c -e let
bench "grep content -n let (all lines)" results -- "$BIN" grep . let --mode content \
  -- rg "${RG_COMMON[@]}" -n -H --no-heading -e let
# The default page (head_limit 250) lets Grep skip files that sort after it; rg prints everything.
bench "grep content let head_limit=250" none -- "$BIN" grep . let --mode content --head-limit 250 \
  -- rg "${RG_COMMON[@]}" -n -H --no-heading -e let
# Glob also stats every match for its newest-first order; rg --files does not sort.
bench "glob **/*.rs (vs rg --files)" none -- "$BIN" glob . '**/*.rs' \
  -- rg --no-config --files --hidden --glob '**/*.rs' --glob '!.git'
