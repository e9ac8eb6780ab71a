#!/usr/bin/env python3
"""End-to-end test of `mxconform check spf` and `mxconform eval spf`: exit
codes (0 valid / evaluated, 1 invalid input, 2 usage or I/O) and a located
diagnostic for every malformed record, zone file and command line.

usage: spf_cli_test.py MXCONFORM
"""
import json
import os
import re
import sys
import tempfile

from cli_harness import Harness

BIN = sys.argv[1]
LOCATED = re.compile(rb"^1:(\d+) (spf\.(record|macro)\.[a-z0-9_.]+) error: .+$", re.M)
H = Harness(BIN)
run, expect = H.run, H.expect


# Malformed records (requirements.md S7, S8, S10-S23), each with the
# 1-based column of the byte the first error must point at: the offending
# value, the second of a duplicate, or where a missing part should start.
BAD = [
    ("v=spf1 ip4:192.0.2.1/33 -all", 22),        # S13 cidr4-33
    ("v=spf1 ip4:192.0.2.1/032 -all", 22),       # S13 leading zero
    ("v=spf1 ip4:192.0.2 -all", 12),             # S13 short address
    ("v=spf1 ip4:192.0.02.1 -all", 12),          # leading zero octet
    ("v=spf1 ip6:::1/129 -all", 16),             # S14
    ("v=spf1 ip6 -all", 11),                      # S14 bare ip6
    ("v=spf1 a/33 -all", 10),                     # S15
    ("v=spf1 all:foo", 11),                       # S16
    ("v=spf1 include -all", 15),                  # S17
    ("v=spf1 include:x.example/24 -all", 25),     # S17
    ("v=spf1 exists -all", 14),                   # S18
    ("v=spf1 redirect:foo.example", 8),          # S19
    ("v=spf1 a:foo.1 -all", 14),                  # S20 numeric top label
    ("v=spf1 a:com -all", 10),                    # S20 single label
    ("v=spf1 exists:%(ir).example.com", 15),     # S22
    ("v=spf1 exists:%{q}.example.com", 17),      # S22 unknown letter
    ("v=spf1 exists:%{c}.example.com", 17),      # S23 exp-only letter
    ("v=spf1 exists:%{d0}.example.com", 18),     # SPF-7.3-02
    ("v=spf1 redirect=a.example redirect=b.example", 27),  # S11
    ("v=spf1 exp=a.example exp=b.example -all", 22),        # S11
    ("v=spf1 1x=y -all", 8),                     # S12 bad modifier name
    ("v=spf1 =bar -all", 8),                     # S12 empty modifier name
    ("v=spf1 -all foo", 13),                     # S10 error after all
    ("v=spf1\t-all", 7),                         # S7 TAB separator
    ("v=spf1 -all \xe2\x82\xac", 13),            # S8 non-ASCII
]
for rec, col in BAD:
    rc, out, err = run(["check", "spf", rec])
    m = LOCATED.search(out)
    expect(rc == 1 and m is not None, "%r: exit 1 with a located spf.* error (rc=%d, out=%r)"
           % (rec, rc, out))
    if m is not None:
        # Errors print in reading order; the first is the one we placed.
        expect(int(m.group(1)) == col,
               "%r: first error at column %s, expected %d" % (rec, m.group(1).decode(), col))

GOOD = [
    "v=spf1 -all",
    "V=SPF1 IP4:192.0.2.1 -ALL",                         # S4
    "v=spf1",                                            # S5
    "v=spf1  a  mx ",                                    # S6
    "v=spf1 a/24//64 mx:example.com//64 -all",           # S15
    "v=spf1 a:example.com. -all",                        # S20 trailing dot
    "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all",       # S21, S26
    "v=spf1 include::x.com -all",                        # ':' is a macro-literal
    "v=spf1 foo=bar -all",                               # S12 unknown modifier
    "v=spf1 ip6:2001:db8::/32 ip6:::ffff:192.0.2.1 ~all",
]
for rec in GOOD:
    rc, out, _ = run(["check", "spf", rec])
    expect(rc == 0 and b"valid (spf)" in out, "%r: exit 0 and valid (rc=%d, out=%r)"
           % (rec, rc, out))

# S3: not an SPF record at all; S2: two SPF records among the RRs.
rc, out, _ = run(["check", "spf", "-"], b"v=spf10 -all\n")
expect(rc == 1 and LOCATED.search(out), "v=spf10: not an SPF record, located")
rc, out, _ = run(["check", "spf", "-"], b"v=spf1 -all\nv=spf1 ~all\n")
expect(rc == 1 and b"spf.record.multiple" in out, "two SPF RRs: spf.record.multiple")
rc, out, _ = run(["check", "spf", "-"], b"other text\n\"v=spf1 ip4:192.0.2.1\" \" -all\"\n")
expect(rc == 0 and b"selected the record on line 2" in out, "S9: presentation form, selection")
rc, out, _ = run(["check", "spf", "--json", "v=spf1 include:a.example mx -all"])
expect(rc == 0 and b'"dns_terms": 2' in out, "--json carries the lookup estimate")
# Regression: a record with a non-UTF-8 byte given on the command line used
# to abort `check --json` (nlohmann::json refuses invalid UTF-8 in "file").
rc, out, _ = run(["check", "spf", "--json", b"v=spf1 a:\xff.com -all"])
expect(rc == 1 and b'"valid": false' in out and b"spf.record.non_ascii" in out,
       "--json with a non-UTF-8 record: exit 1 and JSON (%d, %r)" % (rc, out))
rc, _, err = run(["check", "spf", "/nonexistent/spf.txt"])
expect(rc == 2 and b"/nonexistent/spf.txt" in err, "missing file: exit 2 naming it")
# A mistyped file name with a space is a missing file, not a record refused
# for its version (review finding); a quoted presentation form is a record.
rc, out, err = run(["check", "spf", "/nonexistent/my spf.txt"])
expect(rc == 2 and b"/nonexistent/my spf.txt" in err and b"spf.record.version" not in out,
       "missing file with a space: exit 2 naming it (rc=%d, %r)" % (rc, out + err))
rc, out, _ = run(["check", "spf", '"v=spf1 ip4:192.0.2.1" " -all"'])
expect(rc == 0 and b"valid (spf)" in out, "a quoted record on the command line (rc=%d)" % rc)

# eval spf
with tempfile.TemporaryDirectory() as d:
    zone = os.path.join(d, "zone.yaml")
    with open(zone, "w") as f:
        f.write(
            "example.com:\n"
            "  - TXT: v=spf1 include:_spf.example.net mx -all exp=exp.example.com\n"
            "  - MX: [10, mx.example.com]\n"
            "_spf.example.net:\n"
            "  - TXT: [\"v=spf1 ip4:198.51.100.0/24\", \" ~all\"]\n"
            "mx.example.com:\n"
            "  - A: 192.0.2.10\n"
            "exp.example.com:\n"
            "  - TXT: \"%{i} is not allowed to send for %{d}\"\n")
    base = ["eval", "spf", "--zone", zone, "--sender", "a@example.com", "--helo", "mx.example.org"]
    rc, out, _ = run(base + ["--ip", "192.0.2.10"])
    expect(rc == 0 and out.startswith(b"pass (") and b"Received-SPF: pass" in out
           and b"mechanism=mx" in out and b"A mx.example.com" in out,
           "eval: pass through mx, header and lookup tree (%r)" % out)
    # SPF-9-01: the header eval prints reads back with check received-spf,
    # with nothing to warn about; a receiver's header in the wrong shape
    # gets a located error.
    header = [l for l in out.split(b"\n") if l.startswith(b"Received-SPF:")]
    rc2, back, _ = run(["check", "received-spf", "-"], header[0] + b"\r\n" if header else b"")
    expect(rc2 == 0 and back.startswith(b"valid (received-spf)") and b" warning: " not in back,
           "eval's Received-SPF reads back with check received-spf (%r)" % back)
    rc2, back, _ = run(["check", "received-spf", "-"],
                       b"Received-SPF: pass client-ip=2001:db8::1; helo=a.example\r\n")
    expect(rc2 == 1 and b"1:34 spf.received.value error" in back,
           "check received-spf: an unquoted IPv6 client-ip is located (%r)" % back)
    rc2, back, _ = run(["check", "received-spf", "--json", "-"], b"Received-SPF: neutral")
    j = json.loads(back) if rc2 == 0 else {}
    expect(j.get("valid") is True and j["value"]["result"] == "neutral"
           and [d["id"] for d in j["diagnostics"]] == ["spf.received.missing_key"] * 3,
           "check received-spf --json: erratum 5436 allows the result alone; §9.1 warnings")
    rc, out, _ = run(base + ["--ip", "198.51.100.7"])
    expect(rc == 0 and out.startswith(b"pass (") and b"include:_spf.example.net" in out,
           "eval: pass through the include (%r)" % out)
    rc, out, _ = run(base + ["--ip", "203.0.113.5"])
    expect(rc == 0 and out.startswith(b"fail (")
           and b"explanation: 203.0.113.5 is not allowed to send for example.com" in out,
           "eval: fail with the exp= explanation (%r)" % out)
    # RFC 7208 §8.4 (SPF-8-01): the receiver's 550 5.7.1, the explanation
    # after a line naming the domain; 5.7.23 with the RFC 7372 codes.
    expect(b"reply to MAIL FROM (reject):\n  550-5.7.1 SPF MAIL FROM check failed:\n"
           b"  550-5.7.1 The domain example.com explains:\n"
           b"  550 5.7.1 203.0.113.5 is not allowed to send for example.com\n" in out,
           "eval: the reply to MAIL FROM for fail (%r)" % out)
    rc, out, _ = run(base + ["--ip", "203.0.113.5", "--status-codes", "rfc7372", "--json"])
    reply = json.loads(out)["smtp_reply"] if rc == 0 else {}
    expect(reply.get("reply") == 550 and reply.get("enhanced") == "5.7.23"
           and reply.get("disposition") == "reject", "eval --json: RFC 7372 reply (%r)" % reply)
    rc, _, err = run(base + ["--ip", "203.0.113.5", "--status-codes", "rfc3463"])
    expect(rc == 2 and b"--status-codes" in err, "eval: bad --status-codes is a usage error")
    rc, out, _ = run(base + ["--ip", "2001:db8::1", "--json"])
    expect(rc == 0 and b'"result": "fail"' in out and b'"type": "AAAA"' in out
           and b'"type": "A"' not in out and b'"received_spf"' in out,
           "eval --json: an IPv6 client's mx hosts get AAAA lookups, never A")
    rc, out, _ = run(base + ["--ip", "192.0.2.10", "--max-lookups", "1"])
    expect(rc == 0 and out.startswith(b"permerror (spf.eval.lookup_limit"),
           "eval: --max-lookups 1 stops at the second term (%r)" % out)

    bad = os.path.join(d, "bad.yaml")
    with open(bad, "w") as f:
        f.write("example.com:\n  - A: 300.1.1.1\n  - FOO: x\n")
    rc, _, err = run(base[:3] + [bad, "--ip", "192.0.2.1", "--sender", "a@example.com"])
    expect(rc == 1 and re.search(rb"bad\.yaml:2:\d+ .*300\.1\.1\.1", err)
           and re.search(rb"bad\.yaml:3:\d+ .*FOO", err), "bad zone records: located, exit 1")
    with open(bad, "w") as f:
        f.write("example.com: [\n")
    rc, _, err = run(base[:3] + [bad, "--ip", "192.0.2.1"])
    expect(rc == 1 and re.search(rb"bad\.yaml:\d+:\d+: vectors\.openspf\.yaml", err),
           "YAML syntax error in the zone: located, exit 1")
    with open(bad, "w") as f:
        f.write("")
    rc, _, err = run(base[:3] + [bad, "--ip", "192.0.2.1"])
    expect(rc == 1 and b"bad.yaml:1:1: vectors.openspf.zonedata" in err,
           "empty zone file: located at 1:1 (was 0:0), exit 1 (%r)" % err)
    rc, _, err = run(base + ["--ip", "192.0.2"])
    expect(rc == 2 and b"--ip 192.0.2" in err, "bad --ip: exit 2")
    rc, _, err = run(["eval", "spf", "--zone", os.path.join(d, "missing.yaml"), "--ip", "1.2.3.4"])
    expect(rc == 2 and b"missing.yaml" in err, "missing zone file: exit 2 naming it")
    rc, _, _ = run(["eval", "spf", "--ip", "1.2.3.4"])
    expect(rc == 2, "eval without --zone: usage error")
    rc, _, _ = run(["eval", "spf", "--help"])
    expect(rc == 0, "eval spf --help")

H.finish()
