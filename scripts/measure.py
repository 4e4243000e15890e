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
        p = subprocess.run([TIME, "-o", out, "-f", "%U %S %M"] + cmd, stdin=stdin,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        t1 = time.perf_counter()
        fields = open(out).read().split()[-3:]
        os.unlink(out)
        if p.returncode != 0:
            err = p.stderr.decode(errors="replace")
            print(f"{a.label}: command failed with exit {p.returncode}: {err.strip()[:400]}", file=sys.stderr)
            sys.exit(1)
        walls.append((t1 - t0) * 1000)
        cpus.append((float(fields[0]) + float(fields[1])) * 1000)
        rss.append(int(fields[2]) / 1024)
    m = statistics.median
    print(f"{a.label:<44} wall {m(walls):8.1f} ms   cpu {m(cpus):8.1f} ms   peak RSS {m(rss):6.1f} MB   (median of {a.runs})")

if __name__ == "__main__":
    main()
