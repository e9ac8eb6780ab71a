"""What the end-to-end CLI tests share: run the binary with a deadline,
count checks, collect failures and report them with the exit status."""
import subprocess
import sys


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
