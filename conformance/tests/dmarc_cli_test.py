#!/usr/bin/env python3
"""End-to-end test of `mxconform check dmarc` and `mxconform eval dmarc`:
exit codes (0 valid / evaluated, 1 invalid input, 2 usage or I/O) and a
located diagnostic for every malformed record, zone file and command line.

usage: dmarc_cli_test.py MXCONFORM
"""
import json
import os
import re
import sys
import tempfile

from cli_harness import Harness

BIN = sys.argv[1]
LOCATED = re.compile(rb"^1:(\d+) (dmarc\.[a-z0-9_.]+) error: .+$", re.M)
H = Harness(BIN)
run, expect = H.run, H.expect

# Records no policy can come from (requirements.md D2, D3, D5, D8, D20,
# D27, D28), with the column the error must point at.
BAD = [
    ("v=dmarc1; p=reject", 3),          # D2: the version is case-sensitive
    ("V=DMARC1; p=reject", 1),          # D2: so is the tag name
    ("p=reject; v=DMARC1", 1),          # D3: v not first
    ("v=DMARC1p=reject", 9),            # D27: no separator
    ("v=spf1 -all", 3),                 # D28
    ("v=DMARC1", 9),                    # D5: no p and no rua
    ("v=DMARC1; p=bogus", 11),          # D7 without rua
    ("v=DMARC1; p=reject; sp=bogus", 21),  # D8
    ("v=DMARC1; p=none; p=reject", 19),    # D20 (D-A3: a syntax error in p)
]
for rec, col in BAD:
    for mode in ("bis", "7489"):
        rc, out, _ = run(["check", "dmarc", "--mode", mode, rec])
        m = LOCATED.search(out)
        expect(rc == 1 and m is not None,
               "%r (%s): exit 1 with a located dmarc.* error (rc=%d, out=%r)" % (rec, mode, rc, out))
        if m is not None:
            expect(int(m.group(1)) == col, "%r (%s): error at column %s, expected %d"
                   % (rec, mode, m.group(1).decode(), col))

GOOD = [
    ("v=DMARC1; p=reject", b'"request":"reject"'),                      # D1
    ("v=DMARC1;p=reject;", b'"request":"reject"'),                      # D1
    ("v = DMARC1 ; p = reject", b'"request":"reject"'),                 # D4
    ("v=DMARC1; rua=mailto:a@example.com", b'"request":"none"'),        # D6
    ("v=DMARC1; p=bogus; rua=mailto:a@example.com", b'"request":"none"'),  # D7
    ("v=DMARC1; p=REJECT", b'"request":"reject"'),                      # D22
    ("v=DMARC1; p=reject; foo=bar", b'"name":"foo"'),                   # D25
    ("v=DMARC1; p=reject; adkim=x", b'"adkim":"r"'),                    # D15
]
for rec, want in GOOD:
    rc, out, _ = run(["check", "dmarc", rec])
    expect(rc == 0 and b"valid (dmarc, bis)" in out and want in out,
           "%r: exit 0, valid, %r (rc=%d, out=%r)" % (rec, want, rc, out))

# Mode differences: t and psd only in bis; pct, ri and the size only in 7489.
rc, out, _ = run(["check", "dmarc", "--json", "v=DMARC1; p=reject; t=y; pct=50; "
                  "rua=mailto:r@example.com!10m"])
expect(rc == 0 and b'"t": true' in out and b'"pct": 50' not in out and b'"name": "pct"' in out
       and b'"max_size"' not in out and b"dmarc.uri.size_ignored" in out,
       "bis: t known, pct unknown, size ignored (%r)" % out)
rc, out, _ = run(["check", "dmarc", "--json", "--mode", "7489", "v=DMARC1; p=reject; t=y; "
                  "pct=50; rua=mailto:r@example.com!10m"])
expect(rc == 0 and b'"pct": 50' in out and b'"max_size": 10485760' in out
       and b'"t": true' not in out and b'"name": "t"' in out,
       "7489: pct and the size known, t unknown (%r)" % out)
# Publisher advice (RFC 9989 §7.4, DMB-5.1-01): p=reject stays valid and
# draws a located info note, in bis mode only.
ADVICE = re.compile(rb"^1:13 dmarc\.advice\.reject_indirect_flows info: .*7\.4", re.M)
rc, out, _ = run(["check", "dmarc", "v=DMARC1; p=reject"])
expect(rc == 0 and ADVICE.search(out) is not None and b"valid (dmarc, bis)" in out,
       "p=reject: valid, with the advice at 1:13 (rc=%d, out=%r)" % (rc, out))
rc, out, _ = run(["check", "dmarc", "--mode", "7489", "v=DMARC1; p=reject"])
expect(rc == 0 and b"dmarc.advice" not in out, "7489: no advice (%r)" % out)
rc, out, _ = run(["check", "dmarc", "v=DMARC1; p=quarantine"])
expect(rc == 0 and b"dmarc.advice" not in out, "p=quarantine: no advice (%r)" % out)
# D23 among the RRs of one name; D24 presentation form.
rc, out, _ = run(["check", "dmarc", "-"], b"v=DMARC1; p=none\nv=DMARC1; p=reject\n")
expect(rc == 1 and b"dmarc.record.multiple" in out, "two DMARC RRs: dmarc.record.multiple")
rc, out, _ = run(["check", "dmarc", "-"], b"v=spf1 -all\n\"v=DMARC1; \" \"p=quarantine\"\n")
expect(rc == 0 and b'"request":"quarantine"' in out, "other TXT ignored, strings joined")
rc, out, _ = run(["check", "dmarc", "--json", b"v=DMARC1; p=reject; rua=mailto:\xff@x.example"])
expect(rc == 0 and b'"valid": true' in out, "--json with a non-UTF-8 byte still prints JSON")
rc, _, err = run(["check", "dmarc", "/nonexistent/dmarc.txt"])
expect(rc == 2 and b"/nonexistent/dmarc.txt" in err, "missing file: exit 2 naming it")
rc, _, _ = run(["check", "dmarc", "--mode", "2026", "v=DMARC1; p=none"])
expect(rc == 2, "unknown --mode: usage error")

with tempfile.TemporaryDirectory() as d:
    zone = os.path.join(d, "zone.yaml")
    with open(zone, "w") as f:
        f.write(
            "_dmarc.example.com:\n"
            "  - TXT: \"v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.com,"
            "mailto:r@reports.example\"\n"
            "example.com._report._dmarc.reports.example:\n"
            "  - TXT: v=DMARC1\n"
            "a.example.com:\n"
            "  - A: 192.0.2.1\n")
    base = ["eval", "dmarc", "--zone", zone]
    rc, out, _ = run(base + ["--from", "a.example.com", "--spf", "pass:bounce.example.com"])
    expect(rc == 0 and out.startswith(b"pass (") and b"spf aligned" in out
           and b"TXT _dmarc.a.example.com" in out and b"TXT _dmarc.bounce.example.com" in out
           and b"Authentication-Results: dmarc=pass" in out,
           "eval: relaxed SPF alignment through the tree walk (%r)" % out)
    rc, out, _ = run(base + ["--from", "a.example.com", "--dkim", "fail:example.com"])
    expect(rc == 0 and out.startswith(b"fail (") and b"policy: quarantine (tag sp" in out
           and b"disposition: quarantine" in out, "eval: fail under sp (%r)" % out)
    # The np rule for a name that does not exist, with no np written: the
    # tag that gave the value is named (it used to say "tag np").
    rc, out, _ = run(base + ["--from", "nx.example.com", "--dkim", "fail:example.com"])
    expect(rc == 0 and b"policy: quarantine (tag sp of _dmarc.example.com, which has no np)"
           in out, "eval: np rule without np names sp (%r)" % out)
    # DM7-6.6.2-01, DMB-5.3.3-01: each identifier kept, with the DKIM selector.
    rc, out, _ = run(base + ["--from", "example.com", "--spf", "pass:bounce.example.com",
                             "--dkim", "pass:mail.example.com:s2026", "--dkim", "fail:example.com"])
    expect(rc == 0 and b"\n  spf pass bounce.example.com aligned\n" in out
           and b"\n  dkim pass mail.example.com s=s2026 aligned\n" in out
           and b"\n  dkim fail example.com unchecked\n" in out,
           "eval: the identifiers with their selectors (%r)" % out)
    rc, out, _ = run(base + ["--from", "example.com", "--dkim", "pass:other.example:esp",
                             "--json"])
    ids = json.loads(out)["identifiers"] if rc == 0 else []
    expect(ids == [{"method": "dkim", "result": "pass", "domain": "other.example",
                    "selector": "esp", "aligned": False, "checked": True}],
           "eval --json: identifiers (%r)" % ids)
    for bad_id in (["--dkim", "pass:example.com:"], ["--spf", "pass:example.com:sel"]):
        rc, _, err = run(base + ["--from", "example.com"] + bad_id)
        expect(rc == 2 and bad_id[1].encode() in err, "bad %s: exit 2 (%r)" % (bad_id, err))
    rc, out, _ = run(base + ["--from", "nx.example.com", "--json", "--check-reports"])
    expect(rc == 0 and b'"policy_source": "np"' in out and b'"A nx.example.com"' in out
           and b'"TXT example.com._report._dmarc.reports.example"' in out
           and b'"mailto:r@reports.example"' in out,
           "eval --json: np for NXDOMAIN, report destination authorized (%r)" % out)
    rc, out, _ = run(base + ["--from", "a.example.com", "--mode", "7489", "--json"])
    expect(rc == 0 and b'"mode": "7489"' in out and b'"org_domain": "example.com"' in out
           and b'"TXT _dmarc.com"' not in out, "eval 7489: PSL, two queries at most (%r)" % out)

    bad = os.path.join(d, "bad.yaml")
    with open(bad, "w") as f:
        f.write("example.com: [\n")
    rc, _, err = run(["eval", "dmarc", "--zone", bad, "--from", "example.com"])
    expect(rc == 1 and re.search(rb"bad\.yaml:\d+:\d+: vectors\.openspf\.yaml", err),
           "YAML syntax error in the zone: located, exit 1 (%r)" % err)
    with open(bad, "w") as f:
        f.write("_dmarc.example.com:\n  - TXT: v=DMARC1; p=none\n  - A: 300.1.1.1\n")
    rc, _, err = run(["eval", "dmarc", "--zone", bad, "--from", "example.com"])
    expect(rc == 1 and re.search(rb"bad\.yaml:3:\d+ .*300\.1\.1\.1", err),
           "bad record in the zone: located, exit 1 (%r)" % err)
    rc, _, err = run(base + ["--from", "example.com", "--spf", "maybe:example.com"])
    expect(rc == 2 and b"--spf maybe:example.com" in err, "bad --spf: exit 2")
    rc, _, err = run(base + ["--from", "example.com", "--dkim", "pass"])
    expect(rc == 2 and b"--dkim pass" in err, "bad --dkim: exit 2")
    rc, _, _ = run(base + ["--from", "example.com", "--tree-walk-labels", "6"])
    expect(rc == 2, "--tree-walk-labels other than 5 or 8: usage error")
    # The pct draw must be a number in [0, 1): nan passed CLI::Range (every
    # comparison with nan is false) and was taken as "not sampled".
    for draw in ("nan", "1", "-0.1", "x"):
        rc, _, err = run(base + ["--from", "example.com", "--mode", "7489", "--random", draw])
        expect(rc == 2 and b"--random: Value " + draw.encode() in err,
               "--random %s: usage error (%r)" % (draw, err))
    rc, _, err = run(["eval", "dmarc", "--zone", os.path.join(d, "missing.yaml"),
                      "--from", "example.com"])
    expect(rc == 2 and b"missing.yaml" in err, "missing zone file: exit 2 naming it")
    # A From field with several domains (DM7-6.6.1-02, DMB-5.3.1-02).
    with open(zone, "a") as f:
        f.write("_dmarc.other.example:\n  - TXT: v=DMARC1; p=none\n"
                "other.example:\n  - A: 192.0.2.2\n")
    several = base + ["--from", "other.example", "--from", "a.example.com"]
    rc, out, _ = run(several + ["--mode", "7489"])
    expect(rc == 0 and out.startswith(b"fail (") and b"decided by: a.example.com" in out
           and b"disposition: quarantine" in out and b"author other.example: fail" in out
           and b"header.from=other.example policy.dmarc=none; dmarc=fail" in out,
           "eval 7489, two From domains: the strictest failing policy (%r)" % out)
    rc, out, _ = run(several)
    expect(rc == 0 and out.startswith(b"none (") and b"exempt" in out and b"TXT" not in out,
           "eval bis, two From domains: exempt, nothing looked up (%r)" % out)
    rc, out, _ = run(several + ["--multi-from", "strictest", "--max-from-domains", "1", "--json"])
    expect(rc == 0 and b'"skipped": [\n    "a.example.com"' in out
           and b'"dmarc.from.incomplete"' in out and b'"result": "fail"' in out,
           "eval bis --multi-from strictest, capped at 1: the rest listed as skipped (%r)" % out)
    rc, _, _ = run(several + ["--multi-from", "most"])
    expect(rc == 2, "unknown --multi-from: usage error")
    rc, out, _ = run(base + ["--from", "not a domain"])
    expect(rc == 0 and out.startswith(b"none (") , "an unusable From domain: result none")
    # An empty From domain among several is named, not a gap ("author : ",
    # "decided by: ,": review finding).
    rc, out, _ = run(base + ["--from", "", "--from", "nothing.example", "--multi-from", "strictest"])
    expect(rc == 0 and b"author (empty): none" in out and b"the empty From domain" in out
           and b"author : " not in out and b"decided by: ," not in out,
           "an empty From domain among several is named (%r)" % out)

H.finish()
