#!/usr/bin/env python3
"""`mxconform lab receiver` end to end: it serves a zone and the reference
receiver, prints where (text and one JSON line), and answers MAIL FROM by
the SPF result for the address the client connected from (RFC 7208 §2.5,
SPF-2.5-01): smtplib clients bound to 127.0.0.2 and 127.0.0.3 send the
same MAIL FROM and get 250 and 550 5.7.1; each decision is printed live;
Ctrl-C stops it with exit 0. Bad arguments are usage errors.

usage: lab_receiver_test.py MXCONFORM
"""
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from cli_harness import Harness, start_until_json  # noqa: E402

BIN = sys.argv[1]
H = Harness(BIN)
expect = H.expect

rc, _, err = H.run(["lab", "receiver", "--zone", "/nonexistent/zone.yaml"])
expect(rc == 2 and b"zone.yaml" in err and b"[zone.unreadable]" in err,
       "missing zone: exit 2 naming it, as eval does (rc=%d, %r)" % (rc, err))

with tempfile.TemporaryDirectory() as d:
    zone = os.path.join(d, "zone.yaml")
    with open(zone, "w") as f:
        f.write("example.test:\n"
                "  - TXT: \"v=spf1 ip4:127.0.0.2 -all\"\n"
                "nullmx.example.test:\n"
                "  - MX: [0, \".\"]\n")
    rc, _, err = H.run(["lab", "receiver", "--zone", zone, "--listen", "nowhere"])
    expect(rc == 2 and b"--listen" in err, "bad --listen: usage error (rc=%d, %r)" % (rc, err))
    rc, _, _ = H.run(["lab", "receiver", "--zone", zone, "--status-codes", "rfc1"])
    expect(rc == 2, "bad --status-codes: usage error")

    proc, out, info = start_until_json(
        [BIN, "lab", "receiver", "--zone", zone, "--listen", "127.0.0.1:0"])
    expect(info is not None and b"mxconform lab receiver: SMTP on" in out,
           "lab receiver prints where it listens (%r)" % out)

    def mail_from(source, sender, helo="client.example.test"):
        """(code, text) of the reply to MAIL FROM:<sender> from `source`."""
        host, port = info["smtp"].rsplit(":", 1)
        with smtplib.SMTP(host, int(port), local_hostname=helo, timeout=10,
                          source_address=(source, 0)) as s:
            s.ehlo()
            code, text = s.mail(sender)
            s.quit()
            return code, text

    if info is not None:
        code, text = mail_from("127.0.0.2", "a@example.test")
        expect(code == 250, "allowed address: 250 (%d %r)" % (code, text))
        code, text = mail_from("127.0.0.3", "a@example.test")
        expect(code == 550 and text.startswith(b"5.7.1 SPF MAIL FROM check failed")
               and b"127.0.0.3" in text, "other address: 550 5.7.1 (%d %r)" % (code, text))
        code, text = mail_from("127.0.0.2", "a@nullmx.example.test")
        expect(code == 550 and text.startswith(b"5.7.27"), "null MX: 550 5.7.27 (%d %r)" % (code, text))
    proc.send_signal(signal.SIGINT)
    try:
        rest, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        rest, err = proc.communicate()
    out += rest
    expect(proc.returncode == 0, "Ctrl-C: exit 0 (rc=%s, %r)" % (proc.returncode, err))
    expect(b"MAIL FROM:<a@example.test> from 127.0.0.3 (HELO client.example.test): 550 5.7.1"
           in out, "each decision printed (%r)" % out)
    expect(b"mxconform lab receiver: stopped" in out, "stopped line")

# Ctrl-C while the zone is still being read (a FIFO nobody writes): the
# lab stops. The stop signals were blocked before the zone was read, so it
# waited for a writer whatever the user pressed.
with tempfile.TemporaryDirectory() as d:
    fifo = os.path.join(d, "zone.fifo")
    os.mkfifo(fifo)
    for sub in (["lab", "receiver", "--zone", fifo, "--listen", "127.0.0.1:0",
                 "--dns-listen", "127.0.0.1:0"],
                ["lab", "dns", "--zone", fifo, "--listen", "127.0.0.1:0"]):
        proc = subprocess.Popen([BIN] + sub, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=10)
            stopped = True
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            stopped = False
        expect(stopped, "%s: Ctrl-C while reading the zone stops it" % " ".join(sub[:2]))

sys.exit(H.finish())
