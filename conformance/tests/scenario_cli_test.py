#!/usr/bin/env python3
"""`mxconform run --scenarios` options end to end: --strict turns a miss of
SHOULD-only requirements from non-strict (the run passes) into a failure,
--filter takes a glob and selects before anything runs, --report names
the report folder, --jobs runs
scenarios at once with the same results, --target refuses what it does
not know, a scenario error exits non-zero, and `lint FILE` lints a
scenario file as a scenario.

usage: scenario_cli_test.py MXCONFORM SCENARIOS_ROOT
"""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from cli_harness import Harness  # noqa: E402

BIN, ROOT = sys.argv[1], sys.argv[2]
H = Harness(BIN)
expect = H.expect
tmp = tempfile.mkdtemp()
root = os.path.join(tmp, "scenarios")
os.makedirs(os.path.join(root, "t"))
shutil.copytree(os.path.join(ROOT, "_base"), os.path.join(root, "_base"))


def scenario(name, level, expect_yaml):
    with open(os.path.join(root, "t", name + ".yaml"), "w") as f:
        f.write("base: ../_base/world.yaml\nid: t/%s\ntitle: \"t\"\n"
                "requirements: [{id: STS-5-05, level: %s}]\ntags: [control]\n"
                "steps:\n  - deliver: {to: user@example.test}\n  - expect: %s\n"
                % (name, level, expect_yaml))


def outcomes(report):
    with open(os.path.join(report, "index.json")) as f:
        return sorted(c["outcome"] for c in json.load(f)["cases"])


scenario("should-miss", "SHOULD", "{verdict: deferred}")
base = ["run", "--quiet", "--scenarios", "t", "--scenarios-root", root, "--mode", "in-process"]
rep = os.path.join(tmp, "r1")
rc, _, _ = H.run(base + ["--report", rep])
expect(rc == 0 and outcomes(rep) == ["non-strict"], "a SHOULD miss is non-strict (rc=%d)" % rc)
rc, _, _ = H.run(base + ["--report", rep, "--strict"])
expect(rc == 1 and outcomes(rep) == ["fail"], "--strict: a SHOULD miss fails (rc=%d)" % rc)
scenario("should-miss", "MUST", "{verdict: deferred}")
# A fresh report folder: the run before left ["fail"] in `rep`, so a run
# that stopped before writing its report would have passed this check.
rep_must = os.path.join(tmp, "r1-must")
rc, _, _ = H.run(base + ["--report", rep_must])
expect(rc == 1 and outcomes(rep_must) == ["fail"],
       "a MUST miss fails without --strict (rc=%d)" % rc)

rep2 = os.path.join(tmp, "r2")
rc, _, _ = H.run(["run", "--quiet", "--scenarios", "mta-sts", "--mode", "in-process",
                  "--filter", "*wildcard*", "--report", rep2])
# As many as the catalog has files with "wildcard" in their name.
wildcard = sum("wildcard" in f for _, _, files in os.walk(os.path.join(ROOT, "mta-sts"))
               for f in files)
with open(os.path.join(rep2, "index.json")) as f:
    ids = [c["id"] for c in json.load(f)["cases"]]
expect(rc == 0 and wildcard >= 3 and len(ids) == wildcard
       and all("wildcard" in i for i in ids),
       "--filter glob selects the %d wildcard scenarios: %s" % (wildcard, ids))
rc, _, err = H.run(["run", "--quiet", "--scenarios", "mta-sts", "--mode", "in-process",
                    "--filter", "*no-such-scenario*", "--report", os.path.join(tmp, "r4")])
expect(rc == 1 and b"nothing ran: no case or scenario matches --filter '*no-such-scenario*'" in err,
       "--filter matching nothing: exit 1 and says so (rc=%d, %r)" % (rc, err))
rep3 = os.path.join(tmp, "r3")
rc, _, _ = H.run(["run", "--quiet", "--scenarios", "mta-sts/rfc8461-4.2", "--mode", "wire",
                  "--jobs", "4", "--report", rep3])
expect(rc == 0 and set(outcomes(rep3)) == {"pass"}, "--jobs 4 on the wire: all pass (rc=%d)" % rc)
rc, _, _ = H.run(["run", "--scenarios", "mta-sts", "--target", "postfix"])
expect(rc == 2, "--target postfix: exit 2 (rc=%d)" % rc)
rc, _, err = H.run(["run", "--scenarios", "mta-sts", "--target", "reference:sloppy"])
expect(rc == 2 and b"reference:PROFILE" in err, "--target reference:sloppy: exit 2 (rc=%d)" % rc)
rep4 = os.path.join(tmp, "r4")
rc, _, _ = H.run(["run", "--quiet", "--scenarios", "mta-sts/rfc8461-5/starttls-stripped-enforce",
                  "--mode", "in-process", "--target", "reference:opportunistic", "--report", rep4])
with open(os.path.join(rep4, "index.json")) as f:
    doc = json.load(f)
expect(rc == 1 and outcomes(rep4) == ["fail"], "the opportunistic profile fails a stripped "
       "STARTTLS under enforce (rc=%d)" % rc)
expect(doc.get("implementation") == "mxconform-reference:opportunistic",
       "the report names the profile (%s)" % doc.get("implementation"))
os.remove(os.path.join(root, "t", "should-miss.yaml"))
with open(os.path.join(root, "t", "unscripted.yaml"), "w") as f:
    f.write("base: ../_base/world.yaml\nid: t/unscripted\ntitle: \"t\"\n"
            "requirements: [{id: STS-5-01, level: MUST}]\ntags: [control]\n"
            "dns:\n  origins: [example.test]\n  zonedata:\n"
            "    example.test: [{MX: [10, mx9.example.test]}]\n"
            "    mx9.example.test: [{A: 127.0.0.1}]\n"
            "steps:\n  - deliver: {to: user@example.test}\n  - expect: {verdict: deferred}\n")
rc, _, _ = H.run(base + ["--report", rep])
expect(rc == 1 and outcomes(rep) == ["error"], "an unscripted request: error (rc=%d)" % rc)

# --filter selects before anything runs: a run whose filter leaves no wire
# case does not start the wire sanity check (here a sanity scenario that
# fails on the wire), and one that leaves a wire case still does. Before,
# every scenario ran and the filter only trimmed the report.
os.remove(os.path.join(root, "t", "unscripted.yaml"))
scenario("good", "MUST", "{verdict: delivered}")
sanity_dir = os.path.join(root, "mta-sts", "rfc8461-5")
os.makedirs(sanity_dir)
with open(os.path.join(sanity_dir, "enforce-good-path.yaml"), "w") as f:
    f.write("base: ../../_base/world.yaml\nid: mta-sts/rfc8461-5/enforce-good-path\n"
            "title: \"t\"\nrequirements: [{id: STS-5-01, level: MUST}]\ntags: [control]\n"
            "steps:\n  - deliver: {to: user@example.test}\n  - expect: {verdict: bounced}\n")
both = ["run", "--quiet", "--scenarios", "t", "--scenarios", "mta-sts", "--scenarios-root", root,
        "--mode", "both", "--report", rep]
rc, _, err = H.run(both + ["--filter", "t/good/in-process"])
expect(rc == 0 and outcomes(rep) == ["pass"],
       "--filter of one in-process case runs nothing on the wire (rc=%d): %r" % (rc, err))
rc, _, err = H.run(both + ["--filter", "t/good/wire"])
expect(rc == 2 and b"setup error: the sanity scenario" in err,
       "--filter of a wire case still runs the sanity check first (rc=%d): %r" % (rc, err))
shutil.rmtree(os.path.join(root, "mta-sts"))

# `lint FILE` takes a file under --scenarios-root as a scenario (it used to
# read it as a case file: "unknown kind ''").
path = os.path.join(root, "t", "good.yaml")
rc, out, _ = H.run(["lint", "--scenarios-root", root, path])
expect(rc == 0 and b"0 files, 0 cases, 1 scenarios, 0 problems" in out,
       "lint of a scenario file (rc=%d): %r" % (rc, out))
with open(path) as f:
    text = f.read()
with open(path, "w") as f:
    f.write(text.replace("id: t/good", "id: t/elsewhere"))
rc, out, _ = H.run(["lint", "--scenarios-root", root, path])
expect(rc == 1 and b"1 scenarios, 1 problems" in out,
       "lint of a scenario file with a wrong id (rc=%d): %r" % (rc, out))
H.finish()
