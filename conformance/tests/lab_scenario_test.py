#!/usr/bin/env python3
"""`mxconform lab scenario` end to end with real clients: it starts a
scenario's mocks, prints where they listen (text and one JSON line) and the
CA bundle; dig asks the DNS server, curl fetches the policy with the bundle,
`openssl s_client -starttls smtp` reaches the MX with SNI and verifies its
chain, every request is logged live, and Ctrl-C stops it with exit 0. A
host's `later` phases are listed with their starts and serve their own
settings.
A client that is not installed skips its part with a message; all three
missing is a skip (exit 77).

usage: lab_scenario_test.py MXCONFORM
"""
import email
import json
import os
import select
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from cli_harness import Harness, start_until_json  # noqa: E402

BIN = sys.argv[1]
H = Harness(BIN)
expect = H.expect
DIG, CURL, OPENSSL = shutil.which("dig"), shutil.which("curl"), shutil.which("openssl")
if not (DIG or CURL or OPENSSL):
    print("SKIPPED: none of dig, curl, openssl is installed")
    sys.exit(77)

rc, _, err = H.run(["lab", "scenario", "no/such/scenario"])
expect(rc == 2 and b"scenario.unreadable" in err, "unknown scenario: exit 2 (rc=%d, %r)" % (rc, err))

def curl_policy(info, addr, *extra):
    """curl for the policy at `addr` as mta-sts.example.test, trusting the
    lab's CA bundle; the finished process."""
    host, port = addr.split(":")
    return subprocess.run([CURL, "-sS", "--max-time", "10", "--cacert", info["ca_bundle"],
                           "--resolve", "mta-sts.example.test:%s:%s" % (port, host)] + list(extra)
                          + ["https://mta-sts.example.test:%s/.well-known/mta-sts.txt" % port],
                          capture_output=True, text=True, timeout=20)


def start_lab(scenario):
    """Starts `lab scenario`; returns the process, what it printed up to its
    JSON line, and that line read (None if none came within 20 s)."""
    return start_until_json([BIN, "lab", "scenario", scenario])


def stop_lab(proc, what):
    """Ctrl-C, then what it printed after; a lab that does not stop fails."""
    proc.send_signal(signal.SIGINT)
    try:
        rest, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, err = proc.communicate()
        expect(False, "Ctrl-C did not stop " + what)
    return rest, err


proc, out, info = start_lab("mta-sts/rfc8461-5/enforce-good-path")
if info is None:
    proc.kill()
    print("FAIL: no JSON line from lab scenario: %r %r" % (out, proc.stderr.read()))
    sys.exit(1)
expect(set(info["smtp"]) >= {"mx1.example.test", "mx2.example.test"}, "smtp addresses listed")
expect("mta-sts.example.test" in info["https"], "policy host listed")
expect(os.path.getsize(info["ca_bundle"]) > 0, "CA bundle written")
dns_host, dns_port = info["dns"].split(":")

if DIG:
    p = subprocess.run([DIG, "@" + dns_host, "-p", dns_port, "+short", "+tries=1", "+time=2",
                        "example.test", "MX"], capture_output=True, text=True, timeout=20)
    expect(sorted(p.stdout.split("\n")[:-1]) == ["10 mx1.example.test.", "20 mx2.example.test."],
           "dig MX: %r" % p.stdout)
else:
    print("SKIPPED part: dig not installed")
if CURL:
    p = curl_policy(info, info["https"]["mta-sts.example.test"])
    expect(p.returncode == 0 and "mode: enforce" in p.stdout,
           "curl --cacert fetches the policy (rc=%d, %r %r)" % (p.returncode, p.stdout, p.stderr))
else:
    print("SKIPPED part: curl not installed")
if OPENSSL:
    p = subprocess.run([OPENSSL, "s_client", "-starttls", "smtp", "-connect",
                        info["smtp"]["mx1.example.test"], "-servername", "mx1.example.test",
                        "-CAfile", info["ca_bundle"], "-verify_return_error",
                        "-verify_hostname", "mx1.example.test"],
                       input="QUIT\n", capture_output=True, text=True, timeout=20)
    expect("Verify return code: 0 (ok)" in p.stdout,
           "openssl s_client -starttls smtp verifies mx1 (rc=%d, %r)" % (p.returncode, p.stdout[-400:]))
    p = subprocess.run([OPENSSL, "s_client", "-starttls", "smtp", "-connect",
                        info["smtp"]["mx1.example.test"], "-servername", "mx1.example.test",
                        "-CAfile", info["ca_bundle"], "-verify_return_error",
                        "-verify_hostname", "mx2.example.test"],
                       input="QUIT\n", capture_output=True, text=True, timeout=20)
    expect(p.returncode != 0, "openssl refuses mx1's certificate for the name mx2.example.test")
else:
    print("SKIPPED part: openssl not installed")

time.sleep(0.6)  # one poll of the live logs
rest, err = stop_lab(proc, "lab scenario")
log = (out + rest).decode("utf-8", "replace")
expect(proc.returncode == 0, "Ctrl-C: exit 0 (rc=%s, %r)" % (proc.returncode, err))
expect("mxconform lab scenario: stopped" in log, "a closing line")
if DIG:
    expect("dns   " in log and "example.test MX -> NOERROR (zone)" in log, "DNS queries logged")
if CURL:
    expect("https mta-sts.example.test sni=mta-sts.example.test GET /.well-known/mta-sts.txt" in log,
           "HTTPS requests logged with the SNI")
if OPENSSL:
    expect("smtp  mx1.example.test session" in log and "STARTTLS" in log, "SMTP sessions logged")
# A policy host with a later phase: the lab lists where the phase listens
# and from when (it cannot move a client over at a scenario time), and the
# phase serves what the scenario gives it from the start.
proc, out, info = start_lab("mta-sts/rfc8461-3.3/policy-fetch-backoff")
if info is None:
    proc.kill()
    expect(False, "no JSON line from the phased scenario: %r" % out)
else:
    phases = info.get("https_later", {}).get("mta-sts.example.test", [])
    expect(len(phases) == 1 and phases[0]["from"] == 1800000400,
           "the later phase is listed with its start: %r" % phases)
    expect(b"as from 1800000400 (scenario start + 400 s) at " in out, "and printed: %r" % out)
    if CURL and phases:
        for addr, want in ((info["https"]["mta-sts.example.test"], "503"),
                           (phases[0]["address"], "200")):
            p = curl_policy(info, addr, "-o", "/dev/null", "-w", "%{http_code}")
            expect(p.stdout == want, "phase at %s answers %s (got %r %r)" % (addr, want, p.stdout,
                                                                               p.stderr))
    time.sleep(0.6)  # one poll of the live logs
    rest, _ = stop_lab(proc, "the phased lab scenario")
    if CURL:
        expect("https mta-sts.example.test (phase from 1800000400) sni=mta-sts.example.test GET"
               in (out + rest).decode("utf-8", "replace"), "a later phase's requests are logged")

# An MX with a later phase: listed the same way, and a mock of its own
# from the start. The MX's own address follows the scenario clock, which
# SIGUSR1 moves to the next change: then it strips STARTTLS like its
# phase, the _mta-sts TXT record is gone and the policy host is down (the
# attack after the policy was cached, against any MTA pointed at the lab).
# Python's smtplib speaks SMTP here, so no client needs installing.
def starttls_offered(addr):
    host, port = addr.rsplit(":", 1)
    with smtplib.SMTP(host, int(port), timeout=10) as c:
        c.ehlo("lab-test.example")
        return c.has_extn("starttls")


proc, out, info = start_lab("mta-sts/rfc8461-5/starttls-stripped-after-caching")
if info is None:
    proc.kill()
    expect(False, "no JSON line from the MX phase scenario: %r" % out)
else:
    phases = info.get("smtp_later", {}).get("mx1.example.test", [])
    expect(len(phases) == 1 and phases[0]["from"] == 1800001800 and not phases[0]["down"],
           "the MX's later phase is listed with its start: %r" % phases)
    expect(b"smtp  mx1.example.test as from 1800001800 (scenario start + 1800 s) at " in out,
           "and printed: %r" % out)
    policy_later = info.get("https_later", {}).get("mta-sts.example.test", [])
    expect(len(policy_later) == 1 and policy_later[0]["down"], "a down phase says so: %r"
           % policy_later)
    mx1 = info["smtp"]["mx1.example.test"]
    expect(starttls_offered(mx1), "before the change, mx1 offers STARTTLS")
    if phases:
        expect(not starttls_offered(phases[0]["address"]), "its phase's own port hides STARTTLS")
    # A session still open when the host switches: cut short, and logged.
    mx1_host, mx1_port = mx1.rsplit(":", 1)
    open_session = socket.create_connection((mx1_host, int(mx1_port)), timeout=10)
    open_session.sendall(b"EHLO open-at-the-switch.example\r\n")
    greeting = b""
    while b"250 " not in greeting:
        chunk = open_session.recv(4096)
        if not chunk:
            break
        greeting += chunk
    expect(b"250 " in greeting, "the session is open before the switch: %r" % greeting)
    os.kill(info["pid"], signal.SIGUSR1)
    moved, deadline = b"", time.time() + 10
    while time.time() < deadline and b"mx1.example.test switched" not in moved:
        r, _, _ = select.select([proc.stdout], [], [], 0.2)
        if r:
            moved += os.read(proc.stdout.fileno(), 65536)
    expect(b"lab   scenario clock moved to 1800001800 (scenario start + 1800 s)" in moved,
           "SIGUSR1 moves the clock to the next change: %r" % moved)
    expect(b"lab   mx1.example.test switched to its phase" in moved and
           b"lab   mta-sts.example.test switched to its phase" in moved,
           "and the hosts switch: %r" % moved)
    expect(not starttls_offered(mx1), "after the change, mx1's own address hides STARTTLS")
    if DIG:
        host, port = info["dns"].split(":")
        p = subprocess.run([DIG, "@" + host, "-p", port, "+tries=1", "+time=2",
                            "_mta-sts.example.test", "TXT"], capture_output=True, text=True,
                           timeout=20)
        expect("status: NXDOMAIN" in p.stdout, "after the change, the TXT record is gone: %r"
               % p.stdout[-300:])
    if CURL:
        p = curl_policy(info, info["https"]["mta-sts.example.test"])
        expect(p.returncode == 7, "after the change, the policy host refuses connections "
               "(curl rc=%d %r)" % (p.returncode, p.stderr))
    open_session.close()
    time.sleep(0.6)  # one poll of the live logs
    rest, _ = stop_lab(proc, "the MX phase lab scenario")
    log = (out + moved + rest).decode("utf-8", "replace")
    expect("smtp  mx1.example.test session 2 from" in log and
           "C: EHLO open-at-the-switch.example" in log and "(stopped)" in log,
           "the session open at the switch is logged, ended by it: %r" % log[-2000:])
    expect(log.count("smtp  mx1.example.test session 1 from") == 2,
           "both of mx1's sessions are logged, before and after the switch: %r" % log[-2000:])
    expect("smtp  mx1.example.test (phase from 1800001800) session" in log,
           "a later MX phase's own sessions are logged")
# A TLS-RPT reporter under test (RFC 8460): what it POSTs to an https rua
# and mails to a rua=mailto: address is read back as a Policy Domain reads
# it, and the lab says whether it is a report.
EML = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vectors", "tlsrpt-mail",
                   "gzip-base64.eml")
with open(EML, "rb") as f:
    report_mail = f.read()
gz_part = email.message_from_bytes(report_mail).get_payload()[1].get_payload(decode=True)
proc, out, info = start_lab("tls-rpt/rfc8460-3/https-rua-post")
if info is None:
    proc.kill()
    expect(False, "no JSON line from the https rua scenario: %r" % out)
else:
    expect("tlsrpt.example.test" in info["https"], "the https rua host is listed: %r" % info)
    if CURL:
        host, port = info["https"]["tlsrpt.example.test"].split(":")
        for body, ctype in ((gz_part, "application/tlsrpt+gzip"), (b"{}", "application/tlsrpt+json")):
            p = subprocess.run([CURL, "-sS", "--max-time", "10", "--cacert", info["ca_bundle"],
                                "--resolve", "tlsrpt.example.test:%s:%s" % (port, host),
                                "-H", "Content-Type: " + ctype, "--data-binary", "@-",
                                "-o", "/dev/null", "-w", "%{http_code}",
                                "https://tlsrpt.example.test:%s/v1/report" % port],
                               input=body, capture_output=True, timeout=20)
            expect(p.returncode == 0 and p.stdout == b"201",
                   "curl POSTs a report (rc=%d, %r %r)" % (p.returncode, p.stdout, p.stderr))
    else:
        print("SKIPPED part: curl not installed")
    mx_host, mx_port = info["smtp"]["mx1.example.test"].rsplit(":", 1)
    with smtplib.SMTP(mx_host, int(mx_port), timeout=10) as c:
        c.ehlo("reporter.example")
        c.sendmail("tlsrpt@mail.sndr.example.com", ["tlsrpt@company-y.example"], report_mail)
        c.sendmail("a@mail.sndr.example.com", ["b@company-y.example"],
                   b"Subject: not a report\r\n\r\nhello\r\n")
    time.sleep(0.6)  # one poll of the live logs
    rest, _ = stop_lab(proc, "the https rua lab scenario")
    log = (out + rest).decode("utf-8", "replace")
    if CURL:
        expect('report: an RFC 8460 report from "Company-X" on company-y.example' in log,
               "the POSTed gzip report is read back: %r" % log[-3000:])
        expect("report: not an RFC 8460 report: " in log,
               "a POSTed body that is no report is said to be none: %r" % log[-3000:])
    expect('report mail to tlsrpt@company-y.example: an RFC 8460 report from "Company-X" on '
           "company-y.example" in log, "the mailed report is read back: %r" % log[-3000:])
    expect(log.count("report mail to") == 1, "a message that is no report mail is not read as one")
H.finish()
