#!/usr/bin/env python3
"""pty_drive.py STEPS_JSON -- cmd args...  : runs cmd in a pty; STEPS: [["wait","regex"],["send","text"],["sleep",s]]"""
import os, pty, sys, json, time, re, select, signal
steps = json.loads(sys.argv[1]); cmd = sys.argv[sys.argv.index('--')+1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
import fcntl, termios, struct
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))
buf = b''
def pump(t):
    global buf
    end = time.time() + t
    while time.time() < end:
        r,_,_ = select.select([fd],[],[],0.05)
        if r:
            try: d = os.read(fd, 65536)
            except OSError: return False
            if not d: return False
            buf += d
            # answer device attribute queries
            if b'\x1b[c' in d: os.write(fd, b'\x1b[?62;22c')
    return True
def clean(b):
    return re.sub(rb'\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[=>]', b'', b).decode('utf8','replace')
for kind, arg in steps:
    if kind == 'wait':
        t0 = time.time(); mark = len(buf)
        while not re.search(arg, clean(buf[max(0,mark-2000):])):
            if not pump(0.2) or time.time()-t0 > 60:
                sys.stderr.write("TIMEOUT waiting for %r\n--- screen tail:\n%s\n" % (arg, clean(buf)[-3000:])); os.kill(pid, 9); sys.exit(1)
    elif kind == 'send':
        os.write(fd, arg.encode()); pump(0.3)
    elif kind == 'sleep':
        pump(float(arg))
    elif kind == 'kill9':
        os.kill(pid, 9); pump(0.5); break
pump(1.0)
try: os.kill(pid, signal.SIGTERM)
except ProcessLookupError: pass
open(os.environ.get('PTY_LOG','/dev/null'),'wb').write(buf)
