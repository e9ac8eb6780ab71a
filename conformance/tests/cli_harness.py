"""What the end-to-end CLI tests share: run the binary with a deadline,
count checks, collect failures and report them with the exit status."""
import json
import os
import select
import subprocess
import sys
import time


class Harness:
    def __init__(self, binary):
        self.binary = binary
        self.failures = []
        self.checked = 0

    def run(self, args, data=None):
        p = subprocess.run([self.binary] + args, input=data, capture_output=True, timeout=30)
        return p.returncode, p.stdout, p.stderr

    def expect(self, cond, what):
        self.checked += 1
        if not cond:
            self.failures.append(what)

    def finish(self):
        for f in self.failures:
            print("FAIL:", f)
        print("%d passed, %d failed" % (self.checked - len(self.failures), len(self.failures)))
        sys.exit(1 if self.failures else 0)


def start_until_json(argv, seconds=20):
    """Starts a long-running command (a lab); returns the process, what it
    printed up to its first JSON line, and that line read (None if none
    came within `seconds`)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, info = b"", None
    deadline = time.time() + seconds
    while time.time() < deadline and info is None:
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if r:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
            for line in out.decode("utf-8", "replace").split("\n"):
                if line.startswith("{"):
                    info = json.loads(line)
                    break
    return proc, out, info
