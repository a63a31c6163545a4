"""Opens an HTML file in headless Chromium as a reader would, and says what it saw.

load_page() loads the file once and returns every console message (console.*
calls, uncaught exceptions, browser messages such as "Failed to load
resource"), every failed resource load, every <img> not shown (a corrupt
data: URI is neither of the others), and a PNG screenshot of the window.
judge_rendered() says whether a screenshot shows content or is blank.

Chromium is driven over the DevTools protocol on --remote-debugging-pipe
(NUL-separated JSON on fds 3 and 4): its --enable-logging=stderr output
prints console.* calls and uncaught exceptions all at one level, and says
nothing about an <img> whose file is missing.
"""

import base64
import dataclasses
import fcntl
import io
import json
import os
import pathlib
import select
import signal
import subprocess
import tempfile
import time

import matplotlib.image
import numpy as np

CHROMIUM = "/usr/bin/chromium"


class ChromiumError(RuntimeError):
    """Chromium could not be started, failed, or did not answer in time."""


@dataclasses.dataclass(frozen=True)
class ConsoleMessage:
    source: str  # "console" (a console.* call), "exception" (uncaught) or the browser's, e.g. "network"
    level: str  # "error", "warning", "info", "log", "debug", ...
    text: str
    location: str  # "url:line", or "" when Chromium gives none

    def __str__(self):
        where = f" at {self.location}" if self.location else ""
        return f"console {self.level} ({self.source}){where}: {self.text}"


@dataclasses.dataclass(frozen=True)
class FailedLoad:
    url: str
    error: str  # e.g. "net::ERR_FILE_NOT_FOUND"

    def __str__(self):
        return f"failed load: {self.url}: {self.error}"


@dataclasses.dataclass(frozen=True)
class PageLoad:
    console: list  # of ConsoleMessage, in the order Chromium sent them
    failed_loads: list  # of FailedLoad
    broken_images: list  # src (data: URIs shortened) of each <img> loaded but not decoded, or not loaded
    screenshot_png: bytes  # the window (width x height), after the load event
    seconds: float  # from starting Chromium to its exit

    def problems(self):
        """Every console message, of any level, every failed load and every
        broken image, one line each: a page without JavaScript that shows all
        it refers to produces none."""
        return ([str(message) for message in self.console] + [str(load) for load in self.failed_loads]
                + [f"image not shown: {src}" for src in self.broken_images])


def load_page(html_path, *, width=1280, height=900, timeout=60.0, settle=0.3):
    """Loads html_path in a fresh headless Chromium with a window of
    width x height CSS pixels (device scale 1), waits for the load event and
    then until Chromium has sent nothing for `settle` seconds, takes a
    screenshot and closes the browser. Raises ChromiumError when Chromium
    fails or the whole takes longer than `timeout` seconds."""
    url = pathlib.Path(html_path).resolve().as_uri()
    start = time.monotonic()
    deadline = start + timeout
    with tempfile.TemporaryDirectory(prefix="gradlab-chromium-") as scratch:
        with _Browser(pathlib.Path(scratch), width, height, deadline) as browser:
            session = browser.open_page()
            for method in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
                browser.call(method, session=session)
            browser.call("Page.setLifecycleEventsEnabled", {"enabled": True}, session=session)
            browser.call("Emulation.setDeviceMetricsOverride",
                         {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                         session=session)
            navigation = browser.call("Page.navigate", {"url": url}, session=session)
            if "errorText" in navigation:
                raise ChromiumError(f"cannot open {url}: {navigation['errorText']}")
            browser.wait_for(lambda event: event.get("method") == "Page.lifecycleEvent"
                             and event["params"]["name"] == "load"
                             and event["params"]["loaderId"] == navigation["loaderId"], "load event")
            browser.wait_until_quiet(settle)
            images = browser.call("Runtime.evaluate", {"expression": _BROKEN_IMAGES, "returnByValue": True},
                                  session=session)
            shot = browser.call("Page.captureScreenshot", {"format": "png"}, session=session)
            events = [e for e in browser.events if e.get("sessionId") == session]
        console, failed_loads = _messages_and_failed_loads(events)
    broken_images = [src if len(src) <= 80 else src[:60] + "..." for src in images["result"]["value"]]
    return PageLoad(console, failed_loads, broken_images, base64.b64decode(shot["data"]),
                    time.monotonic() - start)


# An <img> is shown when it is complete and has a size; an <img loading=lazy>
# outside the window has not loaded yet and counts as broken.
_BROKEN_IMAGES = """Array.from(document.images)
    .filter(image => !(image.complete && image.naturalWidth > 0))
    .map(image => image.currentSrc || image.src || "(no src)")"""


@dataclasses.dataclass(frozen=True)
class RenderJudgement:
    rendered: bool
    content_fraction: float  # of pixels differing from the background colour
    colours: int  # distinct RGB colours in the image
    background: tuple  # the most frequent RGB colour

    def __str__(self):
        verdict = "rendered" if self.rendered else "blank"
        return (f"{verdict}: {self.content_fraction:.2%} of pixels differ from background "
                f"{self.background}, {self.colours} distinct colours")


def judge_rendered(png, *, min_content_fraction=0.002, min_colours=16, tolerance=8):
    """Judges a PNG screenshot (bytes) rendered when at least
    min_content_fraction of its pixels differ from the most frequent colour
    (the background) by more than `tolerance` (of 255) in some channel, and
    it has at least min_colours distinct colours. A blank page, or one filled
    with a single colour, fails both; a few words alone (about 0.05% of a
    1280x900 window) fail the first, a paragraph and a figure pass both."""
    image = matplotlib.image.imread(io.BytesIO(png), format="png")
    rgb = np.round(image[..., :3] * 255).astype(np.int32).reshape(-1, 3)
    packed = (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    background = rgb[np.flatnonzero(packed == values[np.argmax(counts)])[0]]
    content = np.any(np.abs(rgb - background) > tolerance, axis=1)
    fraction = float(content.mean())
    return RenderJudgement(fraction >= min_content_fraction and len(values) >= min_colours,
                           fraction, len(values), tuple(int(c) for c in background))


def _messages_and_failed_loads(events):
    console, failed_loads, request_urls = [], [], {}
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            frames = params.get("stackTrace", {}).get("callFrames", [])
            location = _location(frames[0].get("url"), frames[0].get("lineNumber")) if frames else ""
            text = " ".join(_remote_object_text(arg) for arg in params.get("args", []))
            level = {"warning": "warning", "error": "error", "assert": "error"}.get(params["type"], params["type"])
            console.append(ConsoleMessage("console", level, text, location))
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]  # text is "Uncaught" or "Uncaught (in promise)"
            thrown = _remote_object_text(details["exception"]) if "exception" in details else ""
            text = " ".join([details.get("text", "Uncaught")] + thrown.splitlines()[:1])
            console.append(ConsoleMessage("exception", "error", text,
                                          _location(details.get("url"), details.get("lineNumber"))))
        elif method == "Log.entryAdded":
            entry = params["entry"]
            console.append(ConsoleMessage(entry["source"], entry["level"], entry["text"],
                                          _location(entry.get("url"), entry.get("lineNumber"))))
        elif method == "Network.requestWillBeSent":
            request_urls[params["requestId"]] = params["request"]["url"]
        elif method == "Network.loadingFailed":
            failed_loads.append(FailedLoad(request_urls.get(params["requestId"], "?"), params["errorText"]))
    return console, failed_loads


def _remote_object_text(obj):
    if "value" in obj:
        return obj["value"] if isinstance(obj["value"], str) else json.dumps(obj["value"])
    return obj.get("unserializableValue") or obj.get("description") or obj.get("type", "")


def _location(url, line):
    if not url:
        return ""
    # DevTools line numbers count from 0.
    return f"{url}:{line + 1}" if line is not None else url


class _Browser:
    """One headless Chromium with a fresh profile in `scratch`, spoken to
    over --remote-debugging-pipe; closed (or killed) on leaving the with."""

    def __init__(self, scratch, width, height, deadline):
        self.deadline = deadline
        self.events = []
        self._next_id = 0
        self._buffer = b""
        self._stderr_path = scratch / "chromium-stderr.txt"
        browser_reads, self._to_browser = os.pipe()
        self._from_browser, browser_writes = os.pipe()
        args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                f"--user-data-dir={scratch / 'profile'}", f"--window-size={width},{height}",
                "--hide-scrollbars", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--mute-audio", "about:blank"]
        # Chromium keeps crash reports and GTK settings under the XDG
        # directories whatever --user-data-dir says; they go to scratch too.
        env = dict(os.environ, HOME=str(scratch), XDG_CONFIG_HOME=str(scratch / "config"),
                   XDG_CACHE_HOME=str(scratch / "cache"))
        try:
            with open(self._stderr_path, "wb") as stderr:
                # A session of its own, so a kill reaches Chromium's helper
                # processes too; close_fds would close fds 3 and 4 after
                # preexec_fn (Python's own fds are not inheritable anyway).
                self._process = subprocess.Popen(
                    args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                    close_fds=False, start_new_session=True,
                    preexec_fn=_as_fds_3_and_4(browser_reads, browser_writes))
        except OSError as error:
            os.close(self._to_browser)
            os.close(self._from_browser)
            raise ChromiumError(f"cannot start {CHROMIUM}: {error}") from error
        finally:
            os.close(browser_reads)
            os.close(browser_writes)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            if self._process.poll() is None and exc[0] is None:
                self.call("Browser.close")
                self._process.wait(timeout=max(1.0, self.deadline - time.monotonic()))
        except (ChromiumError, subprocess.TimeoutExpired):
            pass
        finally:
            if self._process.poll() is None:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
            os.close(self._to_browser)
            os.close(self._from_browser)

    def open_page(self):
        """Opens a new tab and returns the DevTools session attached to it."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        return self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def call(self, method, params=None, session=None):
        """Sends one command and returns its result; events that arrive
        meanwhile are kept in self.events."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._write(json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(self.deadline)
            if reply is None:
                raise ChromiumError(f"no answer to {method} in time")
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise ChromiumError(f"{method} failed: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, is_awaited, what):
        """Reads events until one (or one already kept) satisfies is_awaited."""
        while not any(is_awaited(event) for event in self.events):
            event = self._read(self.deadline)
            if event is None:
                raise ChromiumError(f"no {what} in time")
            self.events.append(event)

    def wait_until_quiet(self, seconds):
        while True:
            event = self._read(min(self.deadline, time.monotonic() + seconds))
            if event is None:
                return
            self.events.append(event)

    def _write(self, data):
        while data:
            _, writable, _ = select.select([], [self._to_browser], [], self._remaining(self.deadline))
            if not writable:
                raise ChromiumError("Chromium stopped reading commands")
            try:
                data = data[os.write(self._to_browser, data):]
            except BrokenPipeError as error:
                raise ChromiumError(self._exit_description()) from error

    def _read(self, until):
        """The next message, or None when none arrived by `until`."""
        while b"\0" not in self._buffer:
            readable, _, _ = select.select([self._from_browser], [], [], self._remaining(until))
            if not readable:
                return None
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise ChromiumError(self._exit_description())
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    @staticmethod
    def _remaining(until):
        return max(0.0, until - time.monotonic())

    def _exit_description(self):
        try:
            status = self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            status = "still running"
        stderr = self._stderr_path.read_text(errors="replace").splitlines()
        return f"Chromium closed its DevTools pipe (exit status {status}); last stderr lines:\n" + \
            "\n".join(stderr[-15:])


def _as_fds_3_and_4(browser_reads, browser_writes):
    """A preexec_fn that puts the two pipe ends where --remote-debugging-pipe
    expects them: Chromium reads commands on fd 3 and writes on fd 4. Both
    are first moved above 4, so neither is overwritten by the other's dup2."""
    def move():
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (browser_reads, browser_writes)]
        for target, fd in zip((3, 4), high):
            os.dup2(fd, target)
            os.close(fd)
    return move
