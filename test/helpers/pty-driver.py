#!/usr/bin/env python3
"""Runs a command in a pseudo-terminal and types into it as a person would.

argv: a JSON file holding {"command": [...], "env": {...}, "steps": [{"wait": REGEX, "send": TEXT}, ...]}.
Each step waits (up to 20 s) until the output so far matches REGEX after the previous step's
match, then types TEXT. Prints the whole output (bytes as received, UTF-8) and exits with the
command's exit status; 124 when a wait timed out (the output so far is printed first).
"""
import json, os, pty, re, select, sys, time

spec = json.load(open(sys.argv[1]))
pid, fd = pty.fork()
if pid == 0:
    env = dict(os.environ)
    env.update(spec.get("env", {}))
    os.execvpe(spec["command"][0], spec["command"], env)

out = b""
def read_some(timeout):
    global out
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return True
    try:
        data = os.read(fd, 65536)
    except OSError:
        return False
    if not data:
        return False
    out += data
    return True

position = 0
for step in spec["steps"]:
    pattern = re.compile(step["wait"].encode())
    deadline = time.time() + 20
    match = pattern.search(out, position)
    while match is None and time.time() < deadline:
        if not read_some(0.05):
            break
        match = pattern.search(out, position)
    if match is None:
        sys.stdout.write(out.decode("utf8", "replace"))
        sys.stdout.write("\n[pty-driver: timed out waiting for %r]\n" % step["wait"])
        os.kill(pid, 9)
        sys.exit(124)
    position = match.end()
    time.sleep(step.get("pause", 0.05))
    os.write(fd, step["send"].encode())

deadline = time.time() + 20
while time.time() < deadline and read_some(0.05):
    finished, status = os.waitpid(pid, os.WNOHANG)
    if finished:
        while read_some(0.05):
            pass
        sys.stdout.write(out.decode("utf8", "replace"))
        sys.exit(os.waitstatus_to_exitcode(status))
for _ in range(100):
    finished, status = os.waitpid(pid, os.WNOHANG)
    if finished:
        sys.stdout.write(out.decode("utf8", "replace"))
        sys.exit(os.waitstatus_to_exitcode(status))
    time.sleep(0.1)
sys.stdout.write(out.decode("utf8", "replace"))
sys.stdout.write("\n[pty-driver: the command did not exit]\n")
os.kill(pid, 9)
sys.exit(124)
