#!/usr/bin/env bash
# Idle cost of an interactive ccrs session: starts `ccrs` in a pseudo-terminal against the mock
# API, has one exchange, then leaves it idle for IDLE_SECS (default 30) and reports the CPU time
# it used while idle (utime+stime from /proc/<pid>/stat, all threads; goal 0.00 s), the wakeups
# (context switches of all its threads) and its memory (VmRSS / VmHWM; goal <= 10 MB).
#
#   scripts/bench_idle.sh               # release build (built if missing)
#   PROFILE=dev scripts/bench_idle.sh   # debug build
#   IDLE_SECS=60 scripts/bench_idle.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-release}
IDLE_SECS=${IDLE_SECS:-30}
if [ "$PROFILE" = dev ]; then dir=debug; else dir=$PROFILE; fi
BIN=target/$dir/ccrs
MOCK=target/$dir/ccrs-mock
if [ ! -x "$BIN" ] || [ ! -x "$MOCK" ]; then
  cargo build --profile "$PROFILE" -p ccrs -p ccrs-mock
fi

python3 - "$BIN" "$MOCK" "$IDLE_SECS" <<'PY'
import fcntl, os, pty, select, shutil, signal, struct, subprocess, sys, tempfile, termios, time

bin_, mock_bin, idle = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), float(sys.argv[3])
tick = os.sysconf("SC_CLK_TCK")
tmp = tempfile.mkdtemp(prefix="ccrs-idle-")
home, proj = os.path.join(tmp, "home"), os.path.join(tmp, "project")
os.makedirs(home); os.makedirs(proj)

mock = subprocess.Popen([mock_bin], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
line = mock.stdout.readline().strip()
if "listening on" not in line:
    sys.exit(f"mock did not start: {line!r}")
base = line.split()[-1]

env = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": home,
    "TERM": "xterm-256color",
    "CLAUDE_CONFIG_DIR": os.path.join(home, ".claude"),
    "XDG_CONFIG_HOME": os.path.join(home, ".config"),
    "CCRS_MANAGED_SETTINGS_PATH": os.path.join(home, "none.json"),
    "ANTHROPIC_API_KEY": "sk-ant-bench",
    "ANTHROPIC_BASE_URL": base,
}
pid, fd = pty.fork()
if pid == 0:
    os.chdir(proj)
    os.execve(bin_, [bin_], env)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))

seen = bytearray()
def pump(timeout):
    """Reads what ccrs printed for up to `timeout` s, answering terminal queries."""
    end = time.time() + timeout
    while True:
        left = end - time.time()
        if left <= 0:
            return
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            return
        try:
            data = os.read(fd, 65536)
        except OSError:
            return
        if not data:
            return
        seen.extend(data)
        for _ in range(data.count(b"\x1b[c")):
            os.write(fd, b"\x1b[?62;22c")

def wait_for(text, timeout=20):
    end = time.time() + timeout
    while text.encode() not in seen:
        if time.time() > end:
            sys.exit(f"timed out waiting for {text!r}")
        pump(0.05)

def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick  # utime, stime (fields 14, 15)

def switches():
    n = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        for l in open(f"/proc/{pid}/task/{t}/status"):
            if l.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                n += int(l.split()[1])
    return n

def mem(key):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith(key + ":"):
            return int(l.split()[1]) / 1024
    return 0.0

try:
    wait_for("shift+tab: accept")
    os.write(fd, b"hello\r")
    wait_for("You said: hello")
    pump(0.5)  # let the last frame settle
    threads = len(os.listdir(f"/proc/{pid}/task"))
    c0, s0 = cpu(), switches()
    pump(idle)  # idle: nothing typed, nothing streamed
    c1, s1 = cpu(), switches()
    rss, hwm = mem("VmRSS"), mem("VmHWM")
    print(f"binary:          {bin_} ({os.path.getsize(bin_) / 1e6:.2f} MB)")
    print(f"threads:         {threads}")
    print(f"idle time:       {idle:.0f} s")
    print(f"idle CPU time:   {c1 - c0:.2f} s (utime+stime, all threads)")
    print(f"idle wakeups:    {s1 - s0} context switches ({(s1 - s0) / idle:.2f}/s)")
    print(f"RSS:             {rss:.1f} MB (VmRSS)")
    print(f"peak RSS:        {hwm:.1f} MB (VmHWM)")
    os.write(fd, b"\x04")  # Ctrl-D: exit
    deadline = time.time() + 10
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        pump(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        sys.exit("ccrs did not exit on Ctrl-D")
finally:
    mock.terminate()
    shutil.rmtree(tmp, ignore_errors=True)
PY
