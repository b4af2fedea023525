"""Headless Chromium (Debian's `chromium`), driven over the DevTools protocol.

The hub does not accept tokens in URLs (JupyterHub's default, rightly), so the page gets the
user's token the way an API client sends it: an Authorization header that Chromium adds to
every request of the page, JupyterLab's own API calls included.
"""
import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request

import websocket  # websocket-client, a dependency of jupyter_server

from tests.hub.harness import free_port


def chromium_path():
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    def __init__(self):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="tinytorch-chromium-")
        self.process = subprocess.Popen(
            [chromium_path(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--remote-debugging-port={self.port}", "--remote-debugging-address=127.0.0.1",
             f"--user-data-dir={self.profile}", "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.socket = websocket.create_connection(self._page_socket(), timeout=30)
        self.next_id = 0

    def _page_socket(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=5) as r:
                    pages = [t for t in json.load(r) if t.get("type") == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("chromium did not open its DevTools port")

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def open(self, url, headers):
        self.call("Network.enable")
        self.call("Network.setExtraHTTPHeaders", headers=headers)
        self.call("Page.enable")
        self.call("Page.navigate", url=url)

    def wait_for_text(self, text, timeout=90) -> bool:
        deadline = time.monotonic() + timeout
        script = f"document.body ? document.body.innerText.includes({json.dumps(text)}) : false"
        while time.monotonic() < deadline:
            if self.call("Runtime.evaluate", expression=script).get("result", {}).get("value"):
                return True
            time.sleep(0.5)
        return False

    def text(self) -> str:
        result = self.call("Runtime.evaluate", expression="document.body ? document.body.innerText : ''")
        return result.get("result", {}).get("value", "")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self):
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)
