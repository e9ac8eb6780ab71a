#!/usr/bin/env python3
"""report.html in headless Chromium, driven over the Chrome DevTools Protocol.

A real run: the scenarios copied to a temporary folder, one expectation
edited so that its scenario fails, `mxconform run` writing the report. Then
the page, opened from file://, must show the same counts as the run's
index.json; the failing case's row must be there, its transcript hidden until
a real mouse click on its <summary> and then showing the SMTP dialogue;
typing in the filter box must hide the rows that do not match; and the page
must not make a single network request.

usage: report_browser_test.py MXCONFORM SCENARIOS_ROOT [--screenshot PATH]

Exits 77 (skipped) when no chromium binary is found; everything else that
goes wrong is a failure. Every wait has a deadline: the whole test stays
under a minute.
"""
import argparse
import base64
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
DEADLINE = time.monotonic() + 55
FAILING = "mta-sts/rfc8461-5/starttls-stripped-enforce"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def remaining(cap=None):
    left = DEADLINE - time.monotonic()
    if left <= 0:
        raise TimeoutError("the test ran out of time")
    return min(left, cap) if cap else left


class Checks:
    def __init__(self):
        self.failures = []
        self.checked = 0

    def expect(self, cond, what):
        self.checked += 1
        if not cond:
            self.failures.append(what)
        return cond


class DevTools:
    """One websocket to the browser; commands to the page go through a
    flattened session. Events are kept until read."""

    def __init__(self, url):
        import websocket  # python3-websocket (scripts/deps.sh)
        self.ws = websocket.create_connection(url, timeout=remaining(10), suppress_origin=True)
        self.next_id = 0
        self.events = []
        self.session = None

    def close(self):
        self.ws.close()

    def _read(self):
        self.ws.settimeout(remaining(15))
        return json.loads(self.ws.recv())

    def call(self, method, params=None, browser=False):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not browser:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        while True:
            m = self._read()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def wait_event(self, method):
        while True:
            for i, e in enumerate(self.events):
                if e["method"] == method:
                    return self.events.pop(i)
            m = self._read()
            if "method" in m:
                self.events.append(m)

    def js(self, expression):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError("%s: %s" % (expression, r["exceptionDetails"]))
        return r["result"].get("value")


def find_chromium():
    for name in [os.environ.get("CHROMIUM", "")] + list(CHROMIUM_NAMES):
        path = name and shutil.which(name)
        if path:
            return path
    return None


def stop_chromium(p):
    """Kills Chromium with its helper processes (its own process group)."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def start_chromium(binary, profile):
    p = subprocess.Popen(
        [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
         "--user-data-dir=" + profile, "--no-first-run", "--no-default-browser-check",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--window-size=1280,900", "about:blank"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        errors="replace", start_new_session=True)
    lines = queue.Queue()

    def drain():  # keeps reading so that Chromium never blocks on a full pipe
        for line in p.stderr:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    seen = []
    end = time.monotonic() + remaining(20)
    while time.monotonic() < end:
        try:
            line = lines.get(timeout=max(0.1, end - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        m = re.search(r"DevTools listening on (ws://\S+)", line)
        if m:
            return p, m.group(1)
    stop_chromium(p)
    raise RuntimeError("no 'DevTools listening on' line from chromium; stderr:\n" +
                       "".join(seen[-20:]))


def make_report(binary, scenarios, tmp, c):
    root = os.path.join(tmp, "scenarios")
    shutil.copytree(scenarios, root)
    path = os.path.join(root, "mta-sts", "rfc8461-5", "starttls-stripped-enforce.yaml")
    with open(path) as f:
        text = f.read()
    edited = text.replace("verdict: deferred", "verdict: delivered", 1)
    if not c.expect(edited != text, "the scenario to break has a 'verdict: deferred' line"):
        return None
    with open(path, "w") as f:
        f.write(edited)
    report = os.path.join(tmp, "report")
    p = subprocess.run([binary, "run", "--quiet", "--scenarios", "mta-sts", "--scenarios-root",
                        root, "--mode", "in-process", "--report", report],
                       capture_output=True, text=True, timeout=remaining(30))
    c.expect(p.returncode == 1, "the run with a broken expectation exits 1 (rc=%d): %s%s"
             % (p.returncode, p.stdout[-500:], p.stderr[-500:]))
    if not c.expect(os.path.exists(os.path.join(report, "report.html")), "report.html written"):
        return None
    return report


def browse(chromium, report, tmp, c, screenshot):
    with open(os.path.join(report, "index.json")) as f:
        index = json.load(f)
    chrome, url = start_chromium(chromium, os.path.join(tmp, "profile"))
    dt = None
    try:
        dt = DevTools(url)
        target = dt.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        dt.session = dt.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                             browser=True)["sessionId"]
        dt.call("Emulation.setDeviceMetricsOverride",
                {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        dt.call("Network.enable")
        dt.call("Page.enable")
        page = "file://" + os.path.abspath(os.path.join(report, "report.html"))
        dt.call("Page.navigate", {"url": page})
        dt.wait_event("Page.loadEventFired")

        # The summary counts against the same run's index.json.
        counts = dt.js("Object.fromEntries([...document.querySelectorAll('[id^=count-]')]"
                       ".map(e => [e.id.slice(6), +e.textContent]))")
        totals, outcomes = index["totals"], index["outcomes"]
        c.expect(counts.get("total") == totals["total"] == len(index["cases"]),
                 "count-total %s, index.json %s" % (counts.get("total"), totals["total"]))
        c.expect(counts.get("pass") == totals["pass"],
                 "count-pass %s, index.json %s" % (counts.get("pass"), totals["pass"]))
        # index.json's totals.fail also counts xpass; its outcomes do not.
        c.expect(counts.get("fail") == outcomes.get("fail", 0) >= 1 and
                 counts.get("fail", 0) + counts.get("xpass", 0) == totals["fail"],
                 "count-fail %s, index.json %s" % (counts.get("fail"), totals["fail"]))
        for name, n in outcomes.items():
            c.expect(counts.get(name) == n, "count-%s %s, index.json %s"
                     % (name, counts.get(name), n))
        c.expect(sum(v for k, v in counts.items() if k != "total") == totals["total"],
                 "the per-outcome counts add up to the total")

        # The failing row (its id gets the mode appended), and its evidence
        # behind a click.
        failing = [x["id"] for x in index["cases"] if x["outcome"] == "fail"]
        if not c.expect(len(failing) == 1 and failing[0].startswith(FAILING),
                        "index.json: one failure, %s: %s" % (FAILING, failing)):
            return
        row = "document.querySelector('tr.case[data-case-id=%s]')" % json.dumps(failing[0])
        details = row + ".nextElementSibling.querySelector('details')"
        transcript = details + ".querySelector('.transcript')"
        if not c.expect(dt.js(row + "?.dataset.outcome") == "fail",
                        "a row for %s, outcome fail" % failing[0]):
            return
        # A closed <details> keeps its content laid out (content-visibility:
        # hidden), so offsetHeight alone says nothing; checkVisibility() does.
        seen = "({open: %s.open, visible: %s.checkVisibility(), h: %s.offsetHeight})" % (
            details, transcript, transcript)
        before = dt.js(seen)
        c.expect(not before["open"] and not before["visible"],
                 "the transcript is hidden at first: %s" % before)
        box = dt.js("(() => { const s = %s.querySelector('summary'); s.scrollIntoView({block: "
                    "'center'}); const r = s.getBoundingClientRect(); return {x: r.left + "
                    "Math.min(r.width / 2, 30), y: r.top + r.height / 2}; })()" % details)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            dt.call("Input.dispatchMouseEvent", {"type": kind, "x": box["x"], "y": box["y"],
                                                 "button": "left", "clickCount": 1})
        after = dt.js(seen)
        c.expect(after["open"] and after["visible"] and after["h"] > 0,
                 "the transcript shows after a click on its summary: %s" % after)
        text = dt.js(transcript + ".innerText") or ""
        c.expect(re.search(r"EHLO|STARTTLS", text) is not None,
                 "the transcript has the SMTP dialogue: %r" % text[:300])

        # Typing in the filter box hides the rows that do not match.
        query = "stripped-enforce"
        dt.js("document.getElementById('filter').focus()")
        dt.call("Input.insertText", {"text": query})
        shown = dt.js("[...document.querySelectorAll('#cases tr.case')].filter(r => "
                      "r.checkVisibility()).map(r => r.dataset.caseId)")
        total_rows = dt.js("document.querySelectorAll('#cases tr.case').length")
        c.expect(dt.js("document.getElementById('filter').value") == query, "typed in the filter")
        c.expect(failing[0] in shown and len(shown) < total_rows and
                 all(query in s for s in shown),
                 "the filter %r shows only matching rows: %s of %d" % (query, shown, total_rows))

        if screenshot:
            dt.js("window.scrollTo(0, 0)")
            metrics = dt.call("Page.getLayoutMetrics")["cssContentSize"]
            shot = dt.call("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": 1280,
                         "height": min(metrics["height"], 1800), "scale": 1}})
            with open(screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            print("screenshot: %s" % screenshot)

        # Nothing but the file itself was loaded.
        dt.js("new Promise(r => setTimeout(r, 200))")
        urls = [e["params"]["request"]["url"] for e in dt.events
                if e["method"] == "Network.requestWillBeSent"]
        net = [u for u in urls if re.match(r"(https?|wss?|ftp):", u, re.I)]
        c.expect(not net, "no network request: %s" % net)
        c.expect(all(u.startswith(("file:", "data:", "about:")) for u in urls),
                 "only the file itself was loaded: %s" % urls)
    finally:
        if dt:
            try:
                dt.close()
            except Exception:  # noqa: BLE001 (the browser goes away next)
                pass
        stop_chromium(chrome)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mxconform")
    ap.add_argument("scenarios")
    ap.add_argument("--screenshot", help="save a screenshot of the page here (PNG)")
    args = ap.parse_args()
    chromium = find_chromium()
    if not chromium:
        print("SKIPPED: no chromium binary on PATH (tried %s; scripts/deps.sh installs "
              "chromium)" % ", ".join(CHROMIUM_NAMES))
        return SKIP
    c = Checks()
    tmp = tempfile.mkdtemp(prefix="mxconform-browser-")
    try:
        report = make_report(args.mxconform, args.scenarios, tmp, c)
        if report:
            browse(chromium, report, tmp, c, args.screenshot)
    except Exception as e:  # noqa: BLE001 (any error is a failure, reported)
        c.failures.append("%s: %s" % (type(e).__name__, e))
    finally:
        for _ in range(10):  # helpers may still be exiting
            shutil.rmtree(tmp, ignore_errors=True)
            if not os.path.exists(tmp):
                break
            time.sleep(0.1)
    for f in c.failures:
        print("FAIL:", f)
    print("%d passed, %d failed" % (c.checked - len(c.failures), len(c.failures)))
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
