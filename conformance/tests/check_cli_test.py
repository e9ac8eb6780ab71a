#!/usr/bin/env python3
"""End-to-end test of `mxconform check`: exit codes (0 valid, 1 invalid,
2 usage or I/O) and a located diagnostic (`line:col id severity: message`)
for every malformed vector of the kinds `check` reads.

usage: check_cli_test.py MXCONFORM VECTORS_DIR
"""
import base64
import gzip
import json
import os
import re
import shutil
import sys
import tempfile

import yaml

from cli_harness import Harness

BIN, VECTORS = sys.argv[1], sys.argv[2]
KINDS = {"sts-txt", "sts-policy", "tlsrpt-txt", "tlsrpt-report", "tlsrpt-mail", "received-spf"}
LOCATED = re.compile(rb"^(\d+):(\d+) ([a-z0-9_.]+) (error|warning|info): .+$", re.M)
H = Harness(BIN)
run, expect = H.run, H.expect


def unescape(s):
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n in "rnt\\":
                out += {"r": b"\r", "n": b"\n", "t": b"\t", "\\": b"\\"}[n]
                i += 2
                continue
            if n == "x":
                out.append(int(s[i + 2:i + 4], 16))
                i += 4
                continue
        out += c.encode()
        i += 1
    return bytes(out)


# Exit codes and messages outside the vectors.
rc, out, _ = run(["check", "sts-txt", "-"], b"v=STSv1; id=abc\n")
expect(rc == 0 and b"valid (sts-txt, strict)" in out, "valid record: exit 0")
rc, out, _ = run(["check", "sts-txt", "-"], b"v=STSv1; id=ab_c\n")
expect(rc == 1 and LOCATED.search(out), "invalid record: exit 1 with a located diagnostic")
rc, _, err = run(["check", "sts-policy", "/nonexistent/policy.txt"])
expect(rc == 2 and b"/nonexistent/policy.txt" in err and err.count(b"\n") == 1,
       "missing file: exit 2, one line naming the file")
for kind in ("sts-policy", "spf"):
    rc, _, err = run(["check", kind, ""])
    expect(rc == 2 and err == b"mxconform: an empty argument names no file (give a path, or - "
           b"for standard input)\n", "an empty argument (" + kind + "): exit 2, said so")
rc, _, err = run(["check", "sts-policy", "/nonexistent/\x1b[31mred"])
expect(rc == 2 and b"\x1b" not in err and b"/nonexistent/\\x1b[31mred" in err,
       "a file name's control bytes are escaped in the error")
# A raw line is the record whole: a leading blank is part of it, as in the
# quoted form (it used to be skipped, so " v=STSv1; id=1" read as valid).
rc, out, _ = run(["check", "sts-txt", "-"], b" v=STSv1; id=1\n")
expect(rc == 1 and out.startswith(b"1:1 mtasts.txt.version error"),
       "a raw record with a leading blank does not start with v=STSv1 (%r)" % out)
rc, out, _ = run(["check", "sts-txt", "-"], b'  "v=STSv1; id=1"\n')
expect(rc == 0, "blanks before a quoted record are not part of it (%r)" % out)
rc, _, err = run(["check", "sts-policy", "/"])
expect(rc == 2 and b"mxconform: /:" in err, "a directory: exit 2")
rc, _, _ = run(["check", "no-such-kind", "-"], b"")
expect(rc == 2, "unknown kind: exit 2")
rc, _, _ = run(["check"])
expect(rc == 2, "missing kind: exit 2")
rc, out, _ = run(["check", "--help"])
expect(rc == 0 and b"--profile" in out, "--help: exit 0")
for cmd in ("run", "lint", "bench"):
    rc, out, _ = run([cmd, "--help"])
    expect(rc == 0 and b"Usage" in out, cmd + " --help: exit 0")
rc, out, _ = run(["check", "tlsrpt-report", "-"], b'{"a": \xff}')
expect(rc == 1 and b"tlsrpt.report.invalid_utf8" in out and LOCATED.search(out),
       "non-UTF-8 report: exit 1, located")
rc, out, _ = run(["check", "tlsrpt-report", "-"], b'{"a": ')
expect(rc == 1 and b"1:7 tlsrpt.report.invalid_json" in out, "truncated JSON: exit 1 at 1:7")
rc, out, _ = run(["check", "sts-policy", "-"], b"a" * (64 * 1024 + 1))
expect(rc == 1 and b"mtasts.policy.too_large" in out, "oversized policy: its own diagnostic")
rc, out, _ = run(["check", "sts-txt", "--json", "-"], b"v=STSv1; id=1\n")
expect(rc == 0 and b'"valid": true' in out, "--json valid")

# Broken case files for `lint` and `run --suite`: a located problem and
# exit 1 or 2, never an exception (each of these once aborted the process).
BROKEN = {
    "list.yaml": (b"- a\n- b\n", 1, b"top level must be a map"),
    "dmarc/list.yaml": (b"- a\n", 1, b"no `suite`"),
    "float.yaml": (b"suite: mta-sts/x\nkind: sts-txt\ndescription: 1.0e999\ncases: []\n", 1,
                   b"cases must be a non-empty list"),
    "type.yaml": (b"suite: mta-sts/x\nkind: sts-txt\ndescription: d\ncases:\n  - id: mta-sts/x/a\n"
                  b"    requirements: [P1]\n    summary: s\n    input_escaped: 5\n"
                  b"    expect: {valid: true}\n", 1, b"[mta-sts/x/a]: input_escaped must be a string"),
    "device.yaml": (b"suite: mta-sts/x\nkind: sts-policy\ndescription: d\ncases:\n  - id: mta-sts/x/a\n"
                    b"    requirements: [P1]\n    summary: s\n    input_file: /dev/zero\n"
                    b"    expect: {valid: true}\n", 1, b"input_file must be a relative path"),
    "dmarc/utf8.yaml": (b"suite: dmarc/x\nzonedata:\n  _dmarc.a.example:\n"
                        b"    - TXT: \"v=DMARC1; p=none\xff\"\ntests: []\n", 2,
                        b"utf8.yaml:4:12: vectors.file.yaml"),
}
with tempfile.TemporaryDirectory() as tmp:
    os.mkdir(os.path.join(tmp, "dmarc"))
    for name, (text, code, why) in BROKEN.items():
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(text)
        for cmd in (["lint", path], ["run", "--quiet", "--suite", path, "--out", os.path.join(tmp, "o")]):
            rc, out, err = run(cmd)
            expect(rc == code and why in out + err,
                   "%s %s: exit %d (want %d), output %r" % (cmd[0], name, rc, code, (out + err)[-300:]))

# `run --suite` tells an openspf suite by its contents when the name does
# not end in .yml (the file is read once for both): here one test passes and
# one expects the wrong result, so both ran as SPF tests.
SUITE = b"""description: named without .yml
tests:
  right: {helo: mx.x.example, host: 192.0.2.1, mailfrom: a@x.example, result: fail}
  wrong: {helo: mx.x.example, host: 192.0.2.1, mailfrom: a@x.example, result: pass}
zonedata:
  x.example:
    - SPF: v=spf1 -all
"""
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "suite.txt")
    with open(path, "wb") as f:
        f.write(SUITE)
    rc, out, err = run(["run", "--quiet", "--suite", path, "--out", os.path.join(tmp, "o")])
    expect(rc == 1 and b"1 passed, 1 failed" in out,
           "openspf suite named .txt: exit %d, output %r" % (rc, (out + err)[-300:]))
    # A run that stops before writing its reports leaves none behind: the
    # last run's junit.xml would read as this one's (review finding).
    junit = os.path.join(tmp, "o", "junit.xml")
    expect(os.path.exists(junit), "the run above wrote junit.xml")
    rc, out, err = run(["run", "--quiet", "--suite", os.path.join(tmp, "absent.yml"),
                        "--out", os.path.join(tmp, "o")])
    expect(rc == 2 and not os.path.exists(junit)
           and not os.path.exists(os.path.join(tmp, "o", "index.json")),
           "an early exit removes the stale reports: exit %d, %r" % (rc, err[-200:]))

# A requirements catalogue named on the command line that cannot be read is
# an I/O error, not a lint that passes without checking ids (exit 0 once).
with tempfile.TemporaryDirectory() as tmp:
    missing = os.path.join(tmp, "requirements.md")
    suite = os.path.join(VECTORS, "spf-macro.yml")
    for cmd in (["lint", "--requirements", missing, suite],
                ["run", "--quiet", "--requirements", missing, "--suite", suite,
                 "--out", os.path.join(tmp, "o")]):
        rc, out, err = run(cmd)
        expect(rc == 2 and b"--requirements " + missing.encode() + b": unreadable" in err,
               "%s --requirements MISSING: exit %d (want 2), %r" % (cmd[0], rc, err[-300:]))
    # The same for the third-party SPF suite, read when no --suite is given.
    vectors = os.path.join(tmp, "vectors")
    os.mkdir(vectors)
    shutil.copy(suite, vectors)  # lint-clean: only the named file is wrong
    rc, out, err = run(["run", "--quiet", "--vectors", vectors, "--openspf", missing + ".yml",
                        "--scenarios-root", vectors, "--out", os.path.join(tmp, "o")])
    expect(rc == 2 and b"--openspf " + missing.encode() + b".yml: not a readable file" in err,
           "run --openspf MISSING: exit %d (want 2), %r" % (rc, err[-300:]))
    # And a --scenarios-root that is not a folder: no scenario would run.
    for cmd in (["run", "--quiet", "--out", os.path.join(tmp, "o")], ["lint"]):
        rc, out, err = run(cmd + ["--vectors", vectors, "--openspf", "", "--scenarios-root", missing])
        expect(rc == 2 and missing.encode() + b": not a folder of scenarios" in err,
               "%s --scenarios-root MISSING: exit %d (want 2), %r" % (cmd[0], rc, err[-300:]))
    # An expectation no case answers to is stale: a warning when everything
    # ran (with --suite or --filter, other cases simply did not run).
    stale = os.path.join(tmp, "expect.yaml")
    with open(stale, "w") as f:
        f.write("xfail:\n  - id: no/such/case\n    reason: renamed long ago\n")
    warning = b"lists no/such/case, but no case of that id ran"
    for extra, want in (([], True), (["--suite", suite], False)):
        rc, out, err = run(["run", "--quiet", "--vectors", vectors, "--openspf", "",
                            "--scenarios-root", vectors, "--expectations", stale,
                            "--out", os.path.join(tmp, "o")] + extra)
        expect(rc == 0 and (warning in err) == want,
               "stale expectation %s: exit %d, %r" % (extra, rc, err[-300:]))

# A file that never ends, given where a case file, suite or zone goes: the
# read stops at the size limit with exit 2 (I/O), for a lab zone as for
# eval's. Each of these once read /dev/zero until memory ran out and
# aborted on std::bad_alloc.
with tempfile.TemporaryDirectory() as tmp:
    for cmd, code, why in (
            (["lint", "/dev/zero"], 2, b"/dev/zero: more than 16777216 bytes"),
            (["run", "--quiet", "--suite", "/dev/zero", "--out", os.path.join(tmp, "o")], 2,
             b"/dev/zero: more than 16777216 bytes"),
            (["lab", "dns", "--zone", "/dev/zero", "--listen", "127.0.0.1:0"], 2,
             b"[zone.too_large]"),
            (["eval", "spf", "--zone", "/dev/zero", "--ip", "192.0.2.1", "--sender", "a@b.example"],
             2, b"/dev/zero: larger than")):
        rc, out, err = run(cmd)
        expect(rc == code and why in out + err,
               "%s /dev/zero: exit %d (want %d), output %r" % (" ".join(cmd[:2]), rc, code,
                                                             (out + err)[-300:]))

# Every malformed vector: exit 1 and its first error located.
for name in sorted(os.listdir(VECTORS)):
    if not name.endswith(".yaml"):
        continue
    doc = yaml.safe_load(open(os.path.join(VECTORS, name), encoding="utf-8"))
    kind = doc["kind"]
    if kind not in KINDS:
        continue
    for case in doc["cases"]:
        exp = case["expect"]
        if exp.get("valid", True):
            continue
        if "input" in case:
            data = case["input"].encode()
        elif "input_escaped" in case:
            data = unescape(case["input_escaped"])
        elif "input_rrs" in case:
            data = b"\n".join(unescape(r) for r in case["input_rrs"]) + b"\n"
        elif "input_presentation" in case:
            data = case["input_presentation"].encode() + b"\n"
        elif "input_file" in case:
            with open(os.path.join(VECTORS, case["input_file"]), "rb") as g:
                data = g.read()
        else:
            continue
        if kind.endswith("-txt") and "input" in case and re.search(rb"[\r\n]", data):
            continue  # one RR with a line break inside cannot be one line of a file
        with tempfile.NamedTemporaryFile(suffix=".in") as f:
            f.write(data)
            f.flush()
            rc, out, _ = run(["check", kind, f.name])
        expect(rc == 1, "%s: exit %d, expected 1" % (case["id"], rc))
        located = LOCATED.findall(out)
        want = exp.get("error")
        ok = any(m[3] == b"error" and (want is None or m[2].decode() == want) for m in located)
        expect(ok, "%s: no located error%s in output:\n%s" % (
            case["id"], "" if want is None else " " + want, out.decode(errors="replace")))


# check mx: every mx-rrset case through the command line, with its policy
# and --sends-mail: exit 0 when the case is valid, else 1 with the error
# located; findings of every severity are printed located.
with tempfile.TemporaryDirectory() as tmp:
    doc = yaml.safe_load(open(os.path.join(VECTORS, "mx-rrset.yaml"), encoding="utf-8"))
    for case in doc["cases"]:
        inp, exp = case["input"], case["expect"]
        rrset = os.path.join(tmp, "rrset.txt")
        with open(rrset, "wb") as f:
            f.write(inp["rrset"].encode())
        args = ["check", "mx", rrset]
        if "policy" in inp:
            pol = os.path.join(tmp, "policy.txt")
            with open(pol, "wb") as f:
                f.write(inp["policy"].encode())
            args += ["--policy", pol]
        if inp.get("sends_mail"):
            args.append("--sends-mail")
        rc, out, _ = run(args)
        valid = exp["valid"]
        expect(rc == (0 if valid else 1), "%s: exit %d" % (case["id"], rc))
        located = LOCATED.findall(out)
        for sev, key in (("error", "errors"), ("warning", "warnings"), ("info", "info")):
            if key in exp:
                got = sorted(m[2].decode() for m in located if m[3].decode() == sev)
                expect(got == sorted(exp[key]), "%s: %s %r, want %r" % (case["id"], key, got, exp[key]))
        if "error" in exp:
            expect(any(m[2].decode() == exp["error"] for m in located),
                   "%s: %s not located in %r" % (case["id"], exp["error"], out))
    with open(os.path.join(tmp, "bad-policy.txt"), "wb") as f:
        f.write(b"version: STSv1\nmode: sometimes\nmax_age: 60\n")
    rc, out, err = run(["check", "mx", "-", "--policy", os.path.join(tmp, "bad-policy.txt")],
                       b"10 mx.example.com.\n")
    expect(rc == 2 and b"bad-policy.txt:2:7 mtasts.policy.bad_mode error" in err,
           "check mx with an invalid --policy: exit 2, the policy's error located in it: %r" % err)
    rc, _, err = run(["check", "mx", "-", "--policy", "/nonexistent/p.txt"], b"10 a.example.\n")
    expect(rc == 2 and b"/nonexistent/p.txt" in err, "check mx, missing --policy file: exit 2")
    with open(os.path.join(tmp, "policy.txt"), "wb") as f:
        f.write(b"version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 60\n")
    rc, out, _ = run(["check", "mx", "--json", "-", "--policy", os.path.join(tmp, "policy.txt")],
                     b"example.com. MX 10 a.example.com.\nexample.com. MX 20 b.example.net.\n")
    j = json.loads(out)
    expect(rc == 1 and j["valid"] is False and j["value"]["owner"] == "example.com"
           and j["value"]["policy_mode"] == "enforce"
           and [r["policy_match"] for r in j["value"]["rrs"]] == [True, False]
           and [d["id"] for d in j["diagnostics"]] == ["mx.policy.unmatched"]
           and j["diagnostics"][0]["line"] == 2 and j["diagnostics"][0]["column"] == 20,
           "check mx --json: the RRset, which exchange the policy matches, located findings")
    rc, _, err = run(["check", "spf", "-", "--policy", os.path.join(tmp, "policy.txt")],
                     b"v=spf1 -all")
    expect(rc == 2 and b"--policy" in err, "--policy with another kind: a usage error")
    rc, _, err = run(["check", "dmarc", "-", "--sends-mail"], b"v=DMARC1; p=none")
    expect(rc == 2 and b"--sends-mail" in err, "--sends-mail with another kind: a usage error")
    rc, out, _ = run(["check", "mx", "-"], b"")
    expect(rc == 1 and b"1:1 mx.rrset.empty error" in out, "check mx on nothing: exit 1, located")

# tlsrpt-mail: a report mail as a Policy Domain receives it (RFC 8460 §5.3).
REPORT = {
    "organization-name": "Company-X",
    "date-range": {"start-datetime": "2026-11-28T00:00:00Z",
                   "end-datetime": "2026-11-28T23:59:59Z"},
    "contact-info": "tlsrpt@mail.sndr.example.com",
    "report-id": "2026-11-28.company-y.example@mail.sndr.example.com",
    "policies": [{
        "policy": {"policy-type": "sts", "policy-string": ["version: STSv1", "mode: enforce"],
                   "policy-domain": "company-y.example"},
        "summary": {"total-successful-session-count": 3, "total-failure-session-count": 0}}]}


def report_mail(domain_header=True):
    att = base64.encodebytes(gzip.compress(json.dumps(REPORT).encode(), mtime=0)).decode()
    lines = [
        "From: <tlsrpt@mail.sndr.example.com>",
        "Subject: Report Domain: company-y.example Submitter: mail.sndr.example.com "
        "Report-ID: <2026-11-28.company-y.example@mail.sndr.example.com>",
        "TLS-Report-Domain: company-y.example" if domain_header else "X-Other: 1",
        "TLS-Report-Submitter: mail.sndr.example.com",
        "MIME-Version: 1.0",
        'Content-Type: multipart/report; report-type="tlsrpt"; boundary="b"',
        "", "--b", "Content-Type: application/tlsrpt+gzip",
        "Content-Transfer-Encoding: base64",
        'Content-Disposition: attachment; filename="mail.sndr.example.com!company-y.example!'
        '1795824000!1795910399.json.gz"', "", att.rstrip("\n"), "--b--", ""]
    return "\r\n".join(lines).encode()


rc, out, _ = run(["check", "tlsrpt-mail", "-"], report_mail())
expect(rc == 0 and out.startswith(b"valid (tlsrpt-mail"), "report mail: exit 0, valid")
rc, out, _ = run(["check", "tlsrpt-mail", "--json", "-"], report_mail())
j = json.loads(out)
expect(rc == 0 and j["valid"] and j["value"]["tls_report_domain"] == "company-y.example"
       and j["value"]["gzip"] is True
       and j["value"]["report"]["policies"][0]["summary"]["total-successful-session-count"] == 3,
       "report mail --json: the report and the envelope")
rc, out, _ = run(["check", "tlsrpt-mail", "-"], report_mail(domain_header=False))
m = LOCATED.search(out)
expect(rc == 1 and m and m.group(3) == b"tlsrpt.submission.missing_header",
       "report mail without TLS-Report-Domain: exit 1, located missing_header")
rc, out, _ = run(["check", "tlsrpt-mail", "-"], b"just text, no header\r\n")
expect(rc == 1 and LOCATED.search(out), "not a mail: exit 1 with a located diagnostic")

# A diagnostic in a presentation-form line points at the byte as written:
# the '_' of "id=a_b" is at column 17, after the quotes (it was reported at
# 1:13, the line's first column plus the offset in the decoded text).
rc, out, _ = run(["check", "sts-txt", "-"], b'"v=STSv1;" "id=a_b"\n')
m = LOCATED.search(out)
expect(rc == 1 and m and m.group(1) == b"1" and m.group(2) == b"17",
       "presentation form: located at the byte as written (%r)" % out)

# A symlink loop where a scenario or case file is listed: an error naming
# it, not std::terminate (is_regular_file() threw from the directory scan
# and the program aborted with exit 134).
with tempfile.TemporaryDirectory() as tmp:
    os.makedirs(os.path.join(tmp, "s", "t"))
    os.makedirs(os.path.join(tmp, "v"))
    os.symlink("loop.yaml", os.path.join(tmp, "s", "t", "loop.yaml"))
    os.symlink("loop.yaml", os.path.join(tmp, "v", "loop.yaml"))
    for cmd in (["list", "--scenarios-root", os.path.join(tmp, "s")],
                ["lint", "--vectors", os.path.join(tmp, "v")]):
        rc, out, err = run(cmd)
        expect(rc in (1, 2) and b"loop.yaml" in out + err and b"terminate" not in err,
               "%s over a symlink loop: an error naming it (rc=%d, %r)" % (cmd[0], rc,
                                                                            (out + err)[:300]))

# Text from a scenario reaches the terminal escaped: list printed a title's
# ESC and CR raw, and lint its problems, which quote the file (review
# finding). A scenario that does not load exits 2 in list as in run (list
# said 1).
with tempfile.TemporaryDirectory() as tmp:
    root = os.path.join(tmp, "s")
    shutil.copytree(os.path.join(os.path.dirname(os.path.abspath(VECTORS)), "scenarios", "_base"),
                    os.path.join(root, "_base"))
    os.makedirs(os.path.join(root, "t"))
    with open(os.path.join(root, "t", "x.yaml"), "w") as f:
        f.write('base: ../_base/world.yaml\nid: t/x\ntitle: "red \\x1b[31m over \\r it"\n'
                'requirements: [{id: STS-5-01, level: MUST}]\ntags: ["\\x1b[2Jwiped"]\n'
                'steps:\n  - deliver: {to: a@example.test}\n  - expect: {verdict: delivered}\n')
    rc, out, err = run(["list", "--scenarios-root", root])
    expect(rc == 0 and b"red \\x1b[31m over \\x0d it" in out and b"\x1b" not in out
           and b"\r" not in out, "list: a title's control bytes escaped (rc=%d, %r)" % (rc, out))
    rc, out, err = run(["lint", "--scenarios-root", root, os.path.join(root, "t", "x.yaml")])
    expect(rc == 1 and b"\\x1b[2Jwiped" in out and b"\x1b" not in out + err,
           "lint: a problem quoting a tag's ESC escaped (rc=%d, %r)" % (rc, out))
    with open(os.path.join(root, "t", "y.yaml"), "w") as f:
        f.write("id: [\n")
    rc, out, err = run(["list", "--scenarios-root", root])
    expect(rc == 2 and b"y.yaml" in err and b"scenario.yaml" in err,
           "list: a scenario that does not load: exit 2, as run (rc=%d, %r)" % (rc, err))
    rc, out, err = run(["run", "--scenarios-root", root, "--scenarios", root, "--out",
                        os.path.join(tmp, "r"), "-q"])
    expect(rc == 2 and b"y.yaml" in err, "run: the same scenario: exit 2 (rc=%d)" % rc)

# An option that needs another is a usage error alone, not silently
# ignored (review finding).
rc, _, err = run(["run", "--wire-tcp", "--suite", "none.yml"])
expect(rc == 2 and b"--wire-tcp requires --wire" in err,
       "run --wire-tcp without --wire: exit 2 (rc=%d, %r)" % (rc, err))

H.finish()
