#!/usr/bin/env python3
"""The negative controls have teeth: each sender profile (`--target
reference:PROFILE`, a realistic corner cut) fails exactly the scenarios
that conformance/README.md lists for it, in both modes, with no error and
no other failure; the reference fails none.

usage: profiles_test.py MXCONFORM SCENARIOS_ROOT README [--print-table]
  --print-table  print the table as the current catalog makes it (to paste
                 into the README after adding scenarios), and exit
"""
import json
import os
import re
import subprocess
import sys
import tempfile

BIN, ROOT, README = sys.argv[1], sys.argv[2], sys.argv[3]
PROFILES = ["opportunistic", "no-cache", "follow-redirects", "cleartext-fallback", "no-name-check",
            "no-shuffle"]
BEGIN, END = "<!-- profiles:begin -->", "<!-- profiles:end -->"


def run(target, mode, out):
    """{scenario id: set of (mode, outcome)} for one target."""
    p = subprocess.run([BIN, "run", "--scenarios", ROOT, "--scenarios-root", ROOT,
                        "--mode", mode, "--strict", "--jobs", "2", "--target", target,
                        "--expectations", "", "--out", out, "-q"],
                       capture_output=True, text=True, timeout=600)
    if p.returncode not in (0, 1):
        sys.exit("run --target %s: exit %d\n%s%s" % (target, p.returncode, p.stdout, p.stderr))
    with open(os.path.join(out, "index.json")) as f:
        cases = json.load(f)["cases"]
    got = {}
    for c in cases:
        if c.get("kind") != "scenario":
            continue
        sid, _, m = c["id"].rpartition("/")
        got.setdefault(sid, set()).add((m, c["outcome"], c.get("message", "")))
    return got


def table_from_readme():
    text = open(README, encoding="utf-8").read()
    if BEGIN not in text or END not in text:
        sys.exit("%s: no %s ... %s table" % (README, BEGIN, END))
    body = text[text.index(BEGIN) + len(BEGIN):text.index(END)]
    want = {p: set() for p in PROFILES}
    header = None
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.strip().startswith("|") or set("".join(cells)) <= set("-: "):
            continue
        if header is None:
            header = cells
            if header[1:] != PROFILES:
                sys.exit("README profile table: columns must be scenario, %s; got %s"
                         % (", ".join(PROFILES), header))
            continue
        sid = re.sub(r"[`\[\]]|\(.*\)", "", cells[0]).strip()
        for p, cell in zip(PROFILES, cells[1:]):
            if cell == "fails":
                want[p].add(sid)
            elif cell not in ("", "·"):
                sys.exit("README profile table: %s/%s: want 'fails' or '·', got %r" % (sid, p, cell))
    return want


tmp = tempfile.mkdtemp()
failures = []
actual = {}
for p in ["reference"] + ["reference:" + x for x in PROFILES]:
    got = run(p, "both", os.path.join(tmp, p.replace(":", "-")))
    failed = set()
    for sid, results in sorted(got.items()):
        # In-process, a scenario whose every check passed but which holds
        # what only the wire run exercises is "partial": it agrees with a
        # pass on the wire. The wire run is never partial.
        for m, o, _ in results:
            if o == "partial" and m != "in-process":
                failures.append("%s: %s: a %s run cannot be partial" % (p, sid, m))
        outcomes = {"pass" if o == "partial" else o for _, o, _ in results}
        if "error" in outcomes:
            failures.append("%s: %s ended in error: %s" % (p, sid, sorted(results)))
        if len(outcomes) > 1:
            failures.append("%s: %s: the modes disagree: %s" % (p, sid, sorted(results)))
        if outcomes & {"fail", "error"}:
            failed.add(sid)
    actual[p] = failed

if "--print-table" in sys.argv:
    rows = sorted(set().union(*[actual["reference:" + p] for p in PROFILES]))
    print(BEGIN)
    print("| scenario | " + " | ".join(PROFILES) + " |")
    print("|---|" + "---|" * len(PROFILES))
    for sid in rows:
        print("| `%s` | " % sid + " | ".join(
            "fails" if sid in actual["reference:" + p] else "·" for p in PROFILES) + " |")
    print(END)
    for f in failures:
        print("NOTE:", f, file=sys.stderr)
    sys.exit(0)

want = table_from_readme()
if actual["reference"]:
    failures.append("the reference fails %s" % sorted(actual["reference"]))
checked = 1
for p in PROFILES:
    checked += 1
    got = actual["reference:" + p]
    if not want[p]:
        failures.append("%s: the README lists no scenario it must fail" % p)
    for sid in sorted(want[p] - got):
        failures.append("%s: passes %s, which the README says it must fail" % (p, sid))
    for sid in sorted(got - want[p]):
        failures.append("%s: fails %s, which the README does not list" % (p, sid))
for f in failures:
    print("FAIL:", f)
print("%d profiles checked, %d problems" % (checked, len(failures)))
sys.exit(1 if failures else 0)
