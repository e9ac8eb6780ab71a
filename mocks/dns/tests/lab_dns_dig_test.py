#!/usr/bin/env python3
"""`mxconform lab dns` end to end, asked by dig (Debian bind9-dnsutils):
A, AAAA, MX, multi-string TXT, CNAME chains, NXDOMAIN and NODATA over UDP
and TCP, each fault knob as dig sees it, unscripted names refused, every
query printed, a bad zone file refused with a located error, and Ctrl-C
stopping the server cleanly. Exits 77 (skipped) when dig is not installed.

usage: lab_dns_dig_test.py MXCONFORM
"""
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "conformance",
                                "tests"))
from cli_harness import Harness  # noqa: E402

BIN = sys.argv[1]
DIG = shutil.which("dig")
if DIG is None:
    print("SKIPPED: dig not installed (Debian bind9-dnsutils; scripts/deps.sh installs it)")
    sys.exit(77)

H = Harness(BIN)
expect = H.expect

ZONE = r"""
origins: [example.test]
zonedata:
  example.test:
    - MX: [20, mx2.example.test]
    - MX: [10, mx1.example.test]
    - TXT: ["v=spf1 ", "ip4:192.0.2.0/24 ", "-all"]
  mx1.example.test:
    - A: 192.0.2.1
    - AAAA: "2001:db8::1"
  mx2.example.test:
    - A: 192.0.2.2
  www.example.test:
    - CNAME: alias.example.test
  alias.example.test:
    - CNAME: mx1.example.test
  _dmarc.sub.example.test:
    - TXT: "v=DMARC1; p=reject"
  slow.example.test:
    - TIMEOUT
  big.example.test:
    - TXT: "%s"
faults:
  - {name: servfail.example.test, servfail: true}
  - {name: refused.example.test, refused: true}
  - {name: nx.example.test, nxdomain: true}
  - {name: mx1.example.test, type: MX, nodata: true}
  - {name: tc.example.test, truncate: true}
  - {name: late.example.test, delay_ms: 300, nodata: true}
  - {name: other-id.example.test, wrong_id: true}
  - {name: mx2.example.test, type: AAAA, spoof: [{AAAA: "2001:db8::bad"}]}
  - {name: garbage.example.test, malformed: "0000 8180 0001 0001"}
  - {name: flaky.example.test, drop_after: 1}
""" % ("x" * 2000)

tmp = tempfile.mkdtemp()
zone_path = os.path.join(tmp, "zone.yaml")
with open(zone_path, "w") as f:
    f.write(ZONE)

# A bad zone file: refused before serving, with the line and column.
bad_path = os.path.join(tmp, "bad.yaml")
with open(bad_path, "w") as f:
    f.write("zonedata:\n  a.example.test:\n    - A: 192.0.2.300\n")
rc, out, err = H.run(["lab", "dns", "--zone", bad_path, "--listen", "127.0.0.1:0"])
expect(rc == 1 and re.search(rb"3:\d+: A 192\.0\.2\.300", err) and b"zone.record" in err,
       "bad zone: exit 1 with a located zone.record error (rc=%d, err=%r)" % (rc, err))
rc, out, err = H.run(["lab", "dns", "--zone", zone_path, "--listen", "nonsense"])
expect(rc == 2, "bad --listen: exit 2 (rc=%d)" % rc)
# A wildcard: UDP replies could leave by another address, so it is refused.
for wildcard in ("0.0.0.0:0", "[::]:0"):
    rc, out, err = H.run(["lab", "dns", "--zone", zone_path, "--listen", wildcard])
    expect(rc == 2 and b"not a wildcard" in err,
           "--listen %s: exit 2, refused as a wildcard (rc=%d, err=%r)" % (wildcard, rc, err))

proc = subprocess.Popen([BIN, "lab", "dns", "--zone", zone_path, "--listen", "127.0.0.1:0"],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
lines = []


def read_line(deadline=10.0):
    end = time.time() + deadline
    buf = b""
    while time.time() < end:
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if r:
            c = proc.stdout.read1(1) if hasattr(proc.stdout, "read1") else proc.stdout.read(1)
            if not c:
                break
            if c == b"\n":
                line = buf.decode("utf-8", "replace")
                lines.append(line)
                return line
            buf += c
    return None


first = read_line()
m = re.search(r"listening on udp\+tcp 127\.0\.0\.1:(\d+)", first or "")
if not m:
    proc.kill()
    print("FAIL: no listening line from lab dns: %r, stderr %r" % (first, proc.stderr.read()))
    sys.exit(1)
port = m.group(1)


def dig(name, qtype, *extra):
    args = [DIG, "@127.0.0.1", "-p", port, "+tries=1", "+time=2", "+nocookie", name, qtype]
    p = subprocess.run(args + list(extra), capture_output=True, timeout=30, text=True)
    return p.stdout


def short(name, qtype, *extra):
    return dig(name, qtype, "+short", *extra).split("\n")[:-1]


def flags(out):
    m = re.search(r"flags: ([a-z ]+);", out)
    return m.group(1).split() if m else []


def status(out):
    m = re.search(r"status: (\w+)", out)
    return m.group(1) if m else None


for transport in ([], ["+tcp"]):
    t = "tcp" if transport else "udp"
    expect(short("mx1.example.test", "A", *transport) == ["192.0.2.1"], t + ": A")
    expect(short("MX1.Example.TEST", "AAAA", *transport) == ["2001:db8::1"], t + ": AAAA")
    mx = short("example.test", "MX", *transport)
    expect(sorted(mx) == ["10 mx1.example.test.", "20 mx2.example.test."], t + ": MX %r" % mx)
    txt = short("example.test", "TXT", *transport)
    expect(txt == ['"v=spf1 " "ip4:192.0.2.0/24 " "-all"'], t + ": TXT strings kept %r" % txt)
    chain = short("www.example.test", "A", *transport)
    expect(chain == ["alias.example.test.", "mx1.example.test.", "192.0.2.1"],
           t + ": CNAME chain %r" % chain)
    out = dig("nothere.example.test", "A", *transport)
    expect(status(out) == "NXDOMAIN" and "aa" in flags(out), t + ": NXDOMAIN, authoritative")
    # RFC 2308 section 3: a negative answer carries the zone's SOA.
    expect(re.search(r"^example\.test\.\s+300\s+IN\s+SOA\s+ns\.example\.test\. "
                     r"hostmaster\.example\.test\. 1 3600 600 604800 300$", out, re.M),
           t + ": NXDOMAIN with the origin's SOA (%r)" % out[:600])
    out = dig("mx2.example.test", "MX", *transport)
    expect(status(out) == "NOERROR" and "ANSWER: 0" in out and "AUTHORITY: 1" in out,
           t + ": NODATA, with the SOA")
    out = dig("sub.example.test", "A", *transport)
    expect(status(out) == "NOERROR" and "ANSWER: 0" in out, t + ": empty non-terminal")
    out = dig("www.example.org", "A", *transport)
    expect(status(out) == "REFUSED", t + ": outside the zone: REFUSED")

# Knobs.
expect(status(dig("servfail.example.test", "A")) == "SERVFAIL", "servfail")
expect(status(dig("refused.example.test", "A")) == "REFUSED", "refused")
expect(status(dig("nx.example.test", "A")) == "NXDOMAIN", "nxdomain")
out = dig("mx1.example.test", "MX")
expect(status(out) == "NOERROR" and "ANSWER: 0" in out, "nodata")
expect("timed out" in dig("slow.example.test", "A"), "TIMEOUT (timeout knob): no reply")
out = dig("tc.example.test", "A", "+ignore")
expect("tc" in flags(out) and "ANSWER: 0" in out, "truncate: TC over UDP (%r)" % out[:300])
out = dig("tc.example.test", "A")
expect("Truncated, retrying in TCP mode" in out and status(out) == "NXDOMAIN",
       "truncate: dig retries over TCP and gets the zone's answer")
out = dig("big.example.test", "TXT", "+noedns")
expect("Truncated, retrying in TCP mode" in out and "x" * 255 in out,
       "an answer over 512 octets without EDNS: TC, then the full answer over TCP")
t0 = time.time()
out = dig("late.example.test", "A")
expect(status(out) == "NOERROR" and time.time() - t0 >= 0.25, "delay_ms: answered late")
out = dig("other-id.example.test", "A")
expect("ID mismatch" in out and "timed out" in out, "wrong_id: dig refuses the reply")
expect(short("mx2.example.test", "AAAA") == ["2001:db8::bad"], "spoof: other data")
out = dig("garbage.example.test", "A")
expect("short (< header size) message received" in out and "timed out" in out,
       "malformed: dig cannot use the 8 bytes it got (%r)" % out[:300])
expect(status(dig("flaky.example.test", "A")) == "NXDOMAIN", "drop_after: the first answered")
expect("timed out" in dig("flaky.example.test", "A"), "drop_after: the second dropped")

# Every query was printed as it came.
proc.send_signal(signal.SIGINT)
try:
    rest, err = proc.communicate(timeout=10)
except subprocess.TimeoutExpired:
    proc.kill()
    rest, err = proc.communicate()
    expect(False, "Ctrl-C did not stop lab dns")
log = "\n".join(lines) + "\n" + rest.decode("utf-8", "replace")
expect(proc.returncode == 0, "Ctrl-C: exit 0 (rc=%s, stderr %r)" % (proc.returncode, err))
expect(re.search(r"stopped after \d+ queries", log) is not None, "Ctrl-C: a closing line")
expect(re.search(r"udp 127\.0\.0\.1:\d+ www\.example\.org A -> REFUSED \(unscripted\)", log),
       "the log marks unscripted queries")
expect(re.search(r"tcp 127\.0\.0\.1:\d+ mx1\.example\.test A -> NOERROR \(zone\)", log),
       "the log shows TCP queries")
expect(re.search(r"slow\.example\.test A -> no reply \(TIMEOUT slow\.example\.test\)", log),
       "the log says which rule answered")
H.finish()
