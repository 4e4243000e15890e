#!/usr/bin/env bash
# First-request size with MCP servers, tool search off and on: the input tokens the mock counts
# (request bytes / 4) for `ccrs -p hi`. Needs the test server (cargo build --example
# mcp_test_server) and, for the filesystem row, the reference server (.ci/run installs it in
# .ci/node; or set CCRS_MCP_FS_SERVER). Usage: scripts/bench_mcp.sh [target/debug|target/release]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-target/debug}
ccrs=$PWD/$dir/ccrs
srv=$PWD/target/debug/examples/mcp_test_server
fs=${CCRS_MCP_FS_SERVER:-$PWD/.ci/node/node_modules/.bin/mcp-server-filesystem}
tmp=$(mktemp -d)
trap 'kill $mock_pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$PWD/$dir/ccrs-mock" --port 0 >"$tmp/mock.out" 2>&1 &
mock_pid=$!
for _ in $(seq 100); do grep -q listening "$tmp/mock.out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on //p' "$tmp/mock.out")
mkdir -p "$tmp/home" "$tmp/proj"
run() { # label, search, config
  local tokens
  tokens=$(cd "$tmp/proj" && env -i PATH="$PATH" HOME="$tmp/home" ANTHROPIC_API_KEY=x \
    ANTHROPIC_BASE_URL="$url" ENABLE_TOOL_SEARCH="$2" \
    "$ccrs" -p hi --output-format json --mcp-config "$3" |
    sed -n 's/.*"input_tokens":\([0-9]*\).*/\1/p' | head -1)
  printf '%-34s tool search %-5s first request: %6s tokens\n' "$1" "$2" "$tokens"
}
none='{"mcpServers":{}}'
hundred="{\"mcpServers\":{\"t\":{\"command\":\"$srv\",\"args\":[\"--tools\",\"95\"]}}}"
for s in false true; do run "no MCP server" $s "$none"; done
if [ -x "$fs" ]; then
  fsc="{\"mcpServers\":{\"fs\":{\"command\":\"$fs\",\"args\":[\"$tmp/proj\"]}}}"
  for s in false true; do run "server-filesystem (14 tools)" $s "$fsc"; done
else
  echo "server-filesystem: not installed ($fs), skipped"
fi
for s in false true; do run "test server, 100 tools" $s "$hundred"; done
