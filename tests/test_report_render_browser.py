"""The HTML report in a real headless Chromium, driven over the DevTools protocol (no extra packages).

Chromium is started with ``--remote-debugging-pipe``: it reads protocol commands from fd 3 and writes replies and
events to fd 4, each message a JSON object ended by a NUL byte (what Puppeteer's pipe transport does). The page
is loaded from a file; the test collects every console error, uncaught exception, log error (CSP violations and
failed loads land there) and network request, then checks in the DOM that every image decoded, that there is no
script, that the page does not scroll sideways on a phone, and that the Spanish headings are there. Screenshots
(and a PDF of the print layout) go to test-artifacts/ (git-ignored). Install Chromium with
scripts/install-browser.sh. The layout at 1280 and 390 px for 3, 10 and 100 classes: test_report_render_layout.py.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from multiclass.report import ReportConfig, build_report, render_html
from tests.test_report_build import XSS, sample

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
_TIMEOUT = 60.0  # seconds for any single protocol reply; Chromium starts in ~1 s, a loaded CI box is slower

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (run scripts/install-browser.sh)"),
]


def _above_4(fd: int) -> int:
    """Move `fd` to a number >= 10 (closing the original)."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class DevTools:
    """A headless Chromium and one page, spoken to over the DevTools pipe."""

    def __init__(self, profile: Path) -> None:
        commands_r, self._commands_w = os.pipe()  # we write, Chromium reads on its fd 3
        self._events_r, events_w = os.pipe()  # Chromium writes on its fd 4, we read
        commands_r, events_w = _above_4(commands_r), _above_4(events_w)  # so fds 3 and 4 can be set freely
        args = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                "--hide-scrollbars", "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"]
        # bash (dash cannot name fds >= 10) moves the pipe ends onto fds 3 and 4, then becomes Chromium
        wire = f'exec "$0" "$@" 3<&{commands_r} 4>&{events_w} {commands_r}<&- {events_w}>&-'
        self.process = subprocess.Popen(["bash", "-c", wire, *args], pass_fds=(commands_r, events_w),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(commands_r)
        os.close(events_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._events_r], [], [], left)[0]:
                raise TimeoutError("no DevTools message from Chromium in time")
            chunk = os.read(self._events_r, 1 << 20)
            if not chunk:
                raise ConnectionError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, *, session: bool = False, **params) -> dict:
        """Send a command and wait for its reply, keeping every event that arrives meanwhile."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._commands_w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + _TIMEOUT
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict:
        deadline = time.monotonic() + _TIMEOUT
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)
        return result["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, error log entries, dialogs and requests that left the page."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log: {params['entry'].get('text')}")
            elif method == "Page.javascriptDialogOpening":
                found.append(f"dialog: {params.get('message')}")
            elif method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                if not url.startswith(("file:", "data:", "about:")):
                    found.append(f"network request: {url}")
        return found

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (OSError, TimeoutError, ConnectionError, RuntimeError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands_w)
        os.close(self._events_r)


@pytest.fixture
def browser(tmp_path):
    devtools = DevTools(tmp_path / "profile")
    yield devtools
    devtools.close()


def _open(browser: DevTools, page: Path, width: int, mobile: bool) -> None:
    browser.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=900,
                 deviceScaleFactor=2 if mobile else 1, mobile=mobile)
    browser.call("Page.navigate", session=True, url=page.as_uri())
    browser.wait_for("Page.loadEventFired")


def _screenshot(browser: DevTools, name: str, width: int, mobile: bool) -> Path:
    height = min(int(browser.evaluate("document.documentElement.scrollHeight")), 16000)
    browser.call("Emulation.setDeviceMetricsOverride", session=True, width=width, height=height,
                 deviceScaleFactor=1, mobile=mobile)
    shot = browser.call("Page.captureScreenshot", session=True, format="png")["data"]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.write_bytes(base64.b64decode(shot))
    return path


def _full_report(names=None):
    y, y_pred, probs, classes = sample(n=900, k=5, names=names)
    history = [{"epoch": e, "train_loss": 1.5 / e, "val_loss": 1.4 / e + 0.02 * e, "val_macro_f1": 0.6 + 0.02 * e}
               for e in range(1, 16)]
    images = np.random.default_rng(1).random((len(y), 64))
    return build_report(y, y_pred, classes, probs=probs, history=history, best_epoch=6, stop_reason="early_stopping",
                        images=images, image_shape=(8, 8, 1), config=ReportConfig(bootstrap=200),
                        subject="digits.csv")


_PAGE_STATE = """(() => {
  const images = [...document.images];
  return {
    images: images.length,
    decoded: images.filter(img => img.complete && img.naturalWidth > 0).length,
    charts: document.querySelectorAll('svg.chart').length,
    scripts: document.querySelectorAll('script').length,
    headings: [...document.querySelectorAll('h1, h2, h3')].map(h => h.textContent.trim()),
    text: document.body.innerText,
    lang: document.documentElement.lang,
    pageWidth: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  };
})()"""


@pytest.mark.parametrize(("lang", "width", "mobile"), [("en", 1280, False), ("es", 390, True)],
                         ids=["en-laptop", "es-phone"])
def test_report_page_loads_cleanly_in_chromium(browser, tmp_path, lang, width, mobile):
    page = tmp_path / f"report-{lang}.html"
    report = _full_report()
    page.write_text(render_html(report, lang=lang), encoding="utf-8")
    _open(browser, page, width, mobile)
    state = browser.evaluate(_PAGE_STATE)
    assert browser.problems() == []
    assert state["charts"] == 3  # distribution, reliability, learning curves: inline SVG
    assert state["images"] == state["decoded"] == len(report.mistakes.rows)  # the confidently wrong images
    assert state["scripts"] == 0 and state["lang"] == lang
    assert state["pageWidth"] <= state["viewport"], "the page itself must not scroll sideways (tables scroll inside)"
    if lang == "es":
        for heading in ("Informe de evaluación", "Matriz de confusión", "Métricas por clase", "Calibración",
                        "Entrenamiento", "Errores cometidos con mayor confianza"):
            assert heading in state["headings"]
        for label in ("Exhaustividad", "Puntuación F1 macro", "Exactitud equilibrada", "Pérdida logarítmica",
                      "Curvas de aprendizaje", "Diagrama de fiabilidad"):
            assert label in state["text"]
        assert "Recall" not in state["text"] and "Confusion matrix" not in state["text"]
    else:
        assert "Confusion matrix" in state["headings"] and "Recall" in state["text"]
    shot = _screenshot(browser, f"report-{lang}-{'phone' if mobile else 'laptop'}.png", width, mobile)
    assert shot.stat().st_size > 10_000


def test_report_prints_to_pdf(browser, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render_html(_full_report(), lang="en"), encoding="utf-8")
    _open(browser, page, 1280, False)
    pdf = base64.b64decode(browser.call("Page.printToPDF", session=True, printBackground=True)["data"])
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report-en-print.pdf").write_bytes(pdf)
    assert browser.problems() == []


def test_class_named_script_renders_as_text_in_chromium(browser, tmp_path):
    report = _full_report(names=["ant", XSS, "cat", "dog", "elk"])
    page = tmp_path / "xss.html"
    page.write_text(render_html(report, lang="en"), encoding="utf-8")
    _open(browser, page, 1280, False)
    state = browser.evaluate(_PAGE_STATE)
    assert state["scripts"] == 0
    assert XSS in state["text"]  # shown as the literal class name
    assert browser.problems() == []  # no alert() dialog, no error


def test_devtools_driver_sees_errors(browser, tmp_path):
    """The checks above can fail: a page with a broken image and a blocked script is reported."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
                    '<img src="data:image/png;base64,AAAA"><script>alert(1)</script>', encoding="utf-8")
    _open(browser, page, 800, False)
    state = browser.evaluate(_PAGE_STATE)
    assert state["images"] == 1 and state["decoded"] == 0
    assert any("Content Security Policy" in problem or "script" in problem for problem in browser.problems())
