#!/usr/bin/env python3
"""End-to-end test of `mxconform bench`, the column it adds to
../shared/bench/run_peers.sh: the RESULT line's counts, the per-record
verdicts the peers' differential reads, the decoding of sts-policy lines,
the MINOF line of --min-of, and exit 2 with one line for bad input.

usage: bench_cli_test.py MXCONFORM
"""
import os
import re
import sys
import tempfile

from cli_harness import Harness

H = Harness(sys.argv[1])
run, expect = H.run, H.expect
FAST = ["--runs", "1", "--min-time", "0"]

# Each kind: records, one per line, and whether the reference accepts each.
CORPORA = {
    "dmarc": [
        ("v=DMARC1; p=reject", 1),
        ("v=DMARC1; p=bogus", 0),  # invalid p, no rua: unusable (D8)
        ("not dmarc", 0),
        ("v=DMARC1; p=none; rua=mailto:a@example.com", 1),
    ],
    "spf": [
        ("v=spf1 -all", 1),
        ("v=spf1 foo", 0),  # unknown mechanism
        ("v=spf1 ip4:192.0.2.1 ~all", 1),
        ("spf1", 0),
    ],
    "sts-txt": [("v=STSv1; id=1", 1), ("v=STSv1;", 0)],
    "tlsrpt": [("v=TLSRPTv1; rua=mailto:a@example.com", 1), ("v=TLSRPTv1", 0)],
    # One line per policy with \r \n \\ escapes, decoded before timing.
    "sts-policy": [
        (r"version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n", 1),
        (r"version: STSv1\r\nmode: bogus\r\nmx: mx.example.com\r\nmax_age: 86400\r\n", 0),
        # Without decoding, the whole line would be one bad version value.
        (r"version: STSv1\nmode: none\nmax_age: 86400\n", 1),
    ],
}
RESULT = re.compile(rb"^RESULT peer=mxconform kind=(\S+) records=(\d+) ok=(\d+) bytes=(\d+) "
                    rb"runs=(\d+) passes=(\d+) median_rps=(\d+) .*ns_per_rec=([0-9.]+)$", re.M)
MINOF = re.compile(rb"^MINOF peer=mxconform kind=(\S+) records=(\d+) block=5000 reps=(\d+) "
                   rb"ns_per_rec=([0-9.]+)$", re.M)

with tempfile.TemporaryDirectory() as tmp:
    for kind, rows in CORPORA.items():
        corpus = os.path.join(tmp, kind + ".txt")
        with open(corpus, "w") as f:
            f.write("".join(r + "\n" for r, _ in rows))
        verdicts = os.path.join(tmp, kind + ".verdicts")
        rc, out, err = run(["bench", "--kind", kind, "--input", corpus, "--verdicts", verdicts]
                           + FAST)
        m = RESULT.search(out)
        expect(rc == 0 and m is not None, "%s: exit 0 and a RESULT line (%r %r)" % (kind, out, err))
        if m:
            want_ok = sum(v for _, v in rows)
            expect(m.group(1).decode() == kind and int(m.group(2)) == len(rows)
                   and int(m.group(3)) == want_ok,
                   "%s: records=%d ok=%d, got %r" % (kind, len(rows), want_ok, m.group(0)))
            expect(int(m.group(5)) == 1 and int(m.group(7)) > 0, kind + ": runs=1, a rate")
        with open(verdicts) as f:
            got = f.read()
        want = "".join("%d\n" % v for _, v in rows)
        expect(got == want, "%s: verdicts %r, want %r" % (kind, got, want))
        expect(MINOF.search(out) is None, kind + ": no MINOF line without --min-of")

    dmarc = os.path.join(tmp, "dmarc.txt")
    rc, out, _ = run(["bench", "--kind", "dmarc", "--input", dmarc, "--min-of", "3"] + FAST)
    m = MINOF.search(out)
    expect(rc == 0 and m is not None and RESULT.search(out) is not None,
           "--min-of: a MINOF line after the RESULT line (%r)" % out)
    if m:
        expect(m.group(1) == b"dmarc" and int(m.group(2)) == 4 and int(m.group(3)) == 3
               and float(m.group(4)) > 0, "--min-of 3: records=4 reps=3, a time (%r)" % m.group(0))

    # Bad input: exit 2 and one line saying what is wrong.
    empty = os.path.join(tmp, "empty.txt")
    open(empty, "w").close()
    rc, _, err = run(["bench", "--kind", "spf", "--input", empty] + FAST)
    expect(rc == 2 and b"no records" in err, "empty corpus: exit 2 (%r)" % err)
    rc, _, err = run(["bench", "--kind", "spf", "--input", os.path.join(tmp, "absent.txt")] + FAST)
    expect(rc == 2 and b"absent.txt" in err, "missing corpus: exit 2 naming it (%r)" % err)
    rc, _, err = run(["bench", "--kind", "dmarc", "--input", dmarc, "--verdicts", tmp] + FAST)
    expect(rc == 2 and b"cannot write" in err, "unwritable verdicts: exit 2 (%r)" % err)
    rc, _, _ = run(["bench", "--kind", "bogus", "--input", dmarc] + FAST)
    expect(rc == 2, "unknown kind: exit 2")
    rc, _, _ = run(["bench", "--kind", "dmarc", "--input", dmarc, "--min-of", "-1"] + FAST)
    expect(rc == 2, "--min-of -1: exit 2")
    for t in ("nan", "inf", "-1", "601"):  # nan once passed as a zero-length run
        rc, _, err = run(["bench", "--kind", "dmarc", "--input", dmarc, "--runs", "1",
                          "--min-time", t])
        expect(rc == 2 and b"--min-time: Value " + t.encode() in err,
               "--min-time %s: exit 2 (%r)" % (t, err))

H.finish()
