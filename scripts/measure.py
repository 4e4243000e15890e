#!/usr/bin/env python3
"""Runs a command N times and prints median wall time, CPU time and peak RSS.

usage: measure.py [--runs N] [--label L] [--setup CMD] -- command args...
--setup runs (through the shell) before each run, untimed (e.g. to restart a mock server).
Peak RSS is GNU time's %M for the measured process. (Python's own wait4() rusage would be
wrong: a child forked from Python starts with Python's ~15 MB resident, which ru_maxrss keeps.
GNU time's pre-exec footprint is ~2 MB, below anything measured here.)
"""
import os, sys, time, subprocess, statistics, argparse, tempfile

TIME = "/usr/bin/time"

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--label", default="")
    ap.add_argument("--setup", default=None)
    ap.add_argument("--stdin", default=None, help="file to feed on stdin")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    walls, cpus, rss = [], [], []
    for _ in range(a.runs):
        if a.setup:
            subprocess.run(a.setup, shell=True, check=True)
        stdin = open(a.stdin, "rb") if a.stdin else subprocess.DEVNULL
        fd, out = tempfile.mkstemp()
        os.close(fd)
        t0 = time.perf_counter()
        p = subprocess.Popen([TIME, "-o", out, "-f", "%M"] + cmd, stdin=stdin,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = p.stderr.read()
        # wait4() on GNU time: its rusage includes the measured child's CPU (µs resolution);
        # GNU time's own share is negligible.
        _, status, ru = os.wait4(p.pid, 0)
        t1 = time.perf_counter()
        rss_kb = int(open(out).read().split()[-1])
        os.unlink(out)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            print(f"{a.label}: command failed with exit {code}: {err.decode(errors='replace').strip()[:400]}", file=sys.stderr)
            sys.exit(1)
        walls.append((t1 - t0) * 1000)
        cpus.append((ru.ru_utime + ru.ru_stime) * 1000)
        rss.append(rss_kb / 1024)
    m = statistics.median
    print(f"{a.label:<44} wall {m(walls):8.1f} ms   cpu {m(cpus):8.1f} ms   peak RSS {m(rss):6.1f} MB   (median of {a.runs})")

if __name__ == "__main__":
    main()
