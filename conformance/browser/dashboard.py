"""The mock's dashboard in a real headless Chromium, driven over the DevTools protocol.

Starts gemini-image-mock ($GEMINI_MOCK_BIN), makes a request, and checks in the browser that
the dashboard lists it, that its thumbnail <img> decodes (naturalWidth > 0), that the page's
own script ran under its Content-Security-Policy, and that queueing a scenario from the page's
form (typed and clicked) changes the next answer. Saves a screenshot to
$CONFORMANCE_WORK/dashboard.png. Chromium: $CHROMIUM (default `chromium`).
"""

import asyncio
import base64
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import websockets

MODEL = "gemini-3.1-flash-image"
DEADLINE = 30  # seconds for any one wait


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate(base, prompt):
    body = json.dumps({"contents": [{"parts": [{"text": prompt}]}]}).encode()
    request = urllib.request.Request(
        f"{base}/v1beta/models/{MODEL}:generateContent",
        data=body,
        headers={"x-goog-api-key": "browser-test-key", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=DEADLINE) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_http(base):
    until = time.monotonic() + DEADLINE
    while time.monotonic() < until:
        try:
            urllib.request.urlopen(f"{base}/__mock/health", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the mock did not start")


def start_chromium(profile):
    browser = subprocess.Popen(
        [
            os.environ.get("CHROMIUM", "chromium"),
            "--headless=new",
            "--no-sandbox",  # CI containers run as root
            "--disable-gpu",
            "--no-first-run",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "--window-size=1400,1000",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        # Its own process group, so that stopping it stops its helpers (renderer, GPU, crash
        # handler) too, before its profile is removed.
        start_new_session=True,
    )
    until = time.monotonic() + DEADLINE
    for line in browser.stderr:
        found = re.search(r"DevTools listening on (ws://\S+)", line)
        if found:
            return browser, found.group(1)
        if time.monotonic() > until:
            break
    browser.kill()
    raise SystemExit("chromium did not announce its DevTools endpoint")


class Page:
    """One tab, through a flattened CDP session."""

    def __init__(self, socket_, session):
        self.socket = socket_
        self.session = session
        self.ids = itertools.count(1)

    async def send(self, method, **params):
        message_id = next(self.ids)
        message = {"id": message_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        await self.socket.send(json.dumps(message))
        while True:
            reply = json.loads(await asyncio.wait_for(self.socket.recv(), DEADLINE))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    async def eval(self, expression):
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def until(self, expression, what):
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            try:
                if await self.eval(expression):
                    return
            except RuntimeError:
                pass  # the page is navigating
            await asyncio.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what}")


async def run(base, endpoint, shots):
    async with websockets.connect(endpoint, max_size=64 * 1024 * 1024) as socket_:
        browser = Page(socket_, None)
        target = await browser.send("Target.createTarget", url="about:blank")
        attached = await browser.send(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        page = Page(socket_, attached["sessionId"])
        await page.send("Page.enable")
        await page.send("Runtime.enable")

        await page.send("Page.navigate", url=f"{base}/__mock/")
        await page.until("document.readyState === 'complete'", "the dashboard to load")
        await page.until(
            "!!document.querySelector('a[href=\"/__mock/requests/1\"]')",
            "the request made by the test in the journal",
        )
        # The live refresh brings the thumbnail in once it is made; it must decode.
        await page.until(
            "Array.from(document.querySelectorAll('#journal img'))"
            ".some(i => i.complete && i.naturalWidth > 0)",
            "a thumbnail that decodes",
        )
        assert await page.eval("document.getElementById('live').hidden === false"), (
            "the page's script did not run (Content-Security-Policy?)"
        )
        assert await page.eval("!document.body.innerHTML.includes('<script>alert')"), (
            "a prompt was rendered as markup"
        )
        shot = await page.send("Page.captureScreenshot", format="png")
        with open(shots, "wb") as out:
            out.write(base64.b64decode(shot["data"]))

        # Queue a scenario the way a person would: type it, click the button.
        await page.eval(
            "document.querySelector('form.add input[name=scenario]').value = 'overloaded'"
        )
        await page.eval("document.querySelector('form.add button[type=submit]').click()")
        await page.until(
            "document.readyState === 'complete' && "
            "!!document.querySelector('#queue code') && "
            "document.querySelector('#queue code').textContent === 'overloaded'",
            "the queued scenario on the page",
        )
    status = generate(base, "after the form")
    assert status == 503, f"the queued scenario did not answer: {status}"


def main():
    mock = os.environ.get("GEMINI_MOCK_BIN", "target/debug/gemini-image-mock")
    work = os.environ.get("CONFORMANCE_WORK", "target/conformance")
    os.makedirs(work, exist_ok=True)
    shots = os.path.join(work, "dashboard.png")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([mock, "--addr", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL)
    browser = None
    try:
        wait_http(base)
        status = generate(base, "<script>alert('x')</script> a lighthouse at dusk")
        assert status == 200, status
        # A helper of Chromium's may still be writing in the profile for a moment after the
        # group is killed: what it leaves behind is no failure of the dashboard.
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
            browser, endpoint = start_chromium(profile)
            try:
                asyncio.run(run(base, endpoint, shots))
            finally:
                try:
                    os.killpg(browser.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                browser.wait()
    finally:
        server.kill()
        server.wait()
    print(f"dashboard: ok (screenshot {shots})")


if __name__ == "__main__":
    sys.exit(main())
