# Sourced by the benchmark scripts (needs $WORK, $MOCK and MOCK_PID=""): a sandbox home so no
# real settings or credentials are touched (the toolchain stays where it is), a free port for
# the mock, and start_mock.
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup} CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
export HOME=$WORK/home CLAUDE_CONFIG_DIR=$WORK/home/.claude XDG_CONFIG_HOME=$WORK/home/.config
mkdir -p "$HOME" "$WORK/proj"
export ANTHROPIC_API_KEY=sk-ant-bench
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export ANTHROPIC_BASE_URL=http://127.0.0.1:$PORT

start_mock() { # $1 = scenario file or empty for the demo brain
  [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null && wait "$MOCK_PID" 2>/dev/null || true
  if [ -n "${1:-}" ]; then "$MOCK" --port "$PORT" --scenario "$1" >"$WORK/mock.out" & else "$MOCK" --port "$PORT" >"$WORK/mock.out" & fi
  MOCK_PID=$!
  for _ in $(seq 200); do grep -q listening "$WORK/mock.out" 2>/dev/null && return 0; sleep 0.02; done
  echo "mock did not start" >&2; exit 1
}
