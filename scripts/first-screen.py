#!/usr/bin/env python3
"""Starts a Tauri app through tauri-driver (W3C WebDriver, classic) and waits for its first
interactive screen: an element matching --ready that is displayed and enabled. Used by
scripts/package-test.sh (the installed .deb reaches the Connect screen) and
scripts/bench-footprint.sh (start-up of CMEK Desk and of the bare app, the same method for both).

Prints one JSON line: {"ready_s": seconds from the new-session request (which launches the app)
until the element was found enabled, "steps": [...]}. Exits 1 (with the reason and, when a
session exists, a screenshot at --fail-shot) when the element does not appear within --timeout
seconds. No sleeps stand in for a check: every wait polls the window itself.

  first-screen.py --driver http://127.0.0.1:4444 --app /usr/bin/cmek-desk \
      --ready "[data-testid='connect-sandbox']" --shot target/package/connect.png \
      [--arg NAME=value]... [--click TESTID --then "CSS" --then-shot FILE] [--timeout 60]
"""

import argparse
import base64
import json
import sys
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def call(driver, method, path, body=None, timeout=120, idempotent=True):
    """One WebDriver request. tauri-driver sometimes drops a forwarded request (its pooled
    connection to WebKitWebDriver was closed): reads, finds and closes are sent again, up to 5
    times; a click or a new session is not (the caller decides)."""
    for attempt in range(5):
        try:
            return _call(driver, method, path, body, timeout)
        except OSError:
            if not idempotent or attempt == 4:
                raise
            time.sleep(0.2)


def _call(driver, method, path, body, timeout):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(driver + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}").get("value")
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read() or b"{}").get("value")
        except ValueError:
            return e.code, None


def wait_ready(driver, sid, css, deadline):
    """Polls until an element matching css is displayed and enabled; returns when it is."""
    last = "not found"
    while time.monotonic() < deadline:
        try:
            status, value = call(driver, "POST", f"/session/{sid}/element",
                                 {"using": "css selector", "value": css})
        except OSError as e:  # tauri-driver dropped one forwarded request: poll again
            last = f"request failed: {e}"
            time.sleep(0.1)
            continue
        if status == 200 and isinstance(value, dict) and ELEMENT in value:
            eid = value[ELEMENT]
            _, shown = call(driver, "GET", f"/session/{sid}/element/{eid}/displayed")
            _, enabled = call(driver, "GET", f"/session/{sid}/element/{eid}/enabled")
            if shown and enabled:
                return eid
            last = f"found, displayed={shown} enabled={enabled}"
        time.sleep(0.025)
    raise TimeoutError(f"{css}: {last}")


def screenshot(driver, sid, path):
    status, value = call(driver, "GET", f"/session/{sid}/screenshot")
    if status != 200 or not value:
        raise RuntimeError(f"screenshot failed: HTTP {status}")
    with open(path, "wb") as f:
        f.write(base64.b64decode(value))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--driver", required=True)
    p.add_argument("--app", required=True)
    p.add_argument("--arg", action="append", default=[])
    p.add_argument("--ready", required=True)
    p.add_argument("--shot")
    p.add_argument("--click")
    p.add_argument("--then")
    p.add_argument("--then-shot")
    p.add_argument("--fail-shot")
    p.add_argument("--timeout", type=float, default=60)
    a = p.parse_args()

    caps = {"capabilities": {"alwaysMatch": {
        "browserName": "wry",
        "tauri:options": {"application": a.app, "args": a.arg},
    }}}
    # The driver is ready for a new session (the previous one's browser may still be closing).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, value = call(a.driver, "GET", "/status", timeout=5)
            if status == 200 and isinstance(value, dict) and value.get("ready", True):
                break
        except OSError:
            pass
        time.sleep(0.1)
    # tauri-driver answers before its WebKitWebDriver listens: a refused or reset new-session
    # request launched nothing, so it is sent again (at most 10 times, timed from the last).
    for attempt in range(10):
        t0 = time.monotonic()
        try:
            status, value = call(a.driver, "POST", "/session", caps, timeout=a.timeout, idempotent=False)
            break
        except OSError as e:
            if attempt == 9:
                print(f"first-screen: no session for {a.app}: {e}", file=sys.stderr)
                return 1
            time.sleep(0.5)
    if status != 200 or not isinstance(value, dict) or "sessionId" not in value:
        print(f"first-screen: no session for {a.app}: HTTP {status} {value}", file=sys.stderr)
        return 1
    sid = value["sessionId"]
    steps = []
    try:
        wait_ready(a.driver, sid, a.ready, t0 + a.timeout)
        ready_s = time.monotonic() - t0
        steps.append(f"ready: {a.ready}")
        if a.shot:
            screenshot(a.driver, sid, a.shot)
            steps.append(f"screenshot {a.shot}")
        if a.click:
            eid = wait_ready(a.driver, sid, f"[data-testid='{a.click}']", time.monotonic() + a.timeout)
            status, _ = call(a.driver, "POST", f"/session/{sid}/element/{eid}/click", {}, idempotent=False)
            if status != 200:
                raise RuntimeError(f"click {a.click}: HTTP {status}")
            steps.append(f"clicked {a.click}")
            if a.then:
                wait_ready(a.driver, sid, a.then, time.monotonic() + a.timeout)
                steps.append(f"then: {a.then}")
            if a.then_shot:
                screenshot(a.driver, sid, a.then_shot)
                steps.append(f"screenshot {a.then_shot}")
        print(json.dumps({"ready_s": round(ready_s, 3), "steps": steps}))
        return 0
    except Exception as e:  # noqa: BLE001 - report what failed, with the window as evidence
        print(f"first-screen: {a.app}: {e} (after {steps})", file=sys.stderr)
        if a.fail_shot:
            try:
                screenshot(a.driver, sid, a.fail_shot)
                print(f"first-screen: window saved to {a.fail_shot}", file=sys.stderr)
            except Exception as shot_error:  # noqa: BLE001
                print(f"first-screen: no screenshot: {shot_error}", file=sys.stderr)
        return 1
    finally:
        # Closed for sure before the next session (one at a time): a dropped answer is retried
        # until the driver says closed (200) or unknown (404).
        for _ in range(20):
            try:
                status, _ = call(a.driver, "DELETE", f"/session/{sid}")
                if status in (200, 404):
                    break
            except OSError as e:
                print(f"first-screen: closing the session again: {e}", file=sys.stderr)
            time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
