"""A real headless Chromium driven by Selenium, and a real ``creg ui`` server on 127.0.0.1.

The browser is the system's (Debian's ``chromium`` and ``chromium-driver``): Selenium is given
the driver's path so Selenium Manager never downloads anything.  Without a browser the tests
skip visibly, except in CI (``CI=true``), where ``.ci/run`` installs one and a missing browser
is a failure.  Every request the browser makes is recorded from its performance log, so a test
can assert that nothing failed and nothing left the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from registry.ui.routes import App, Site
from registry.ui.server import make_server, url_of

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1400,1000")


def browser_paths() -> tuple[str, str] | None:
    chromium = next((p for p in (shutil.which(n) for n in CHROMIUM_NAMES) if p), None)
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    return (chromium, driver) if chromium and driver else None


def need_browser() -> tuple[str, str]:
    found = browser_paths()
    try:
        import selenium  # noqa: F401
    except ImportError:
        found = None
    if found is None:
        message = "no Chromium + chromedriver + selenium here: browser tests skipped (apt-get install chromium chromium-driver)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message.replace("skipped", "required in CI"))
        pytest.skip(message)
    return found


def start_browser(profile: Path) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = need_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


@dataclass
class Traffic:
    """What the browser asked for and what it got, read from its performance log."""

    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # network errors and HTTP statuses >= 400
    console_errors: list[str] = field(default_factory=list)


def traffic(driver: Any) -> Traffic:
    """Everything since the last call (the logs are drained as they are read)."""
    seen = Traffic()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            seen.requests.append(params["request"]["url"])
        elif message["method"] == "Network.loadingFailed" and not params.get("canceled"):
            seen.failed.append(f"{params.get('errorText')} ({params.get('type')})")
        elif message["method"] == "Network.responseReceived" and params["response"]["status"] >= 400:
            seen.failed.append(f"{params['response']['status']} {params['response']['url']}")
    seen.console_errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    return seen


def assert_clean(driver: Any, base_url: str) -> Traffic:
    """No console error, no failed request, and every request went to the UI itself."""
    seen = traffic(driver)
    assert seen.console_errors == [], seen.console_errors
    assert seen.failed == [], seen.failed
    outside = [u for u in seen.requests if not u.startswith((base_url, "data:"))]
    assert outside == [], outside
    return seen


class Served:
    """A ``creg ui`` server in a thread of the test process, on a free loopback port."""

    def __init__(self, site: Site) -> None:
        self.server = make_server(App(site), "127.0.0.1", 0)
        self.url = url_of(self.server)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve(site: Site) -> Iterator[Served]:
    served = Served(site)
    try:
        yield served
    finally:
        served.close()


def colours(png: bytes) -> int:
    """How many distinct colours a screenshot has (a blank page has one): the PNG decoded here."""
    import struct
    import zlib

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, kind = struct.unpack(">IIBB", png[16:26])
    assert depth == 8 and kind in (2, 6), (depth, kind)
    channels = 3 if kind == 2 else 4
    raw = zlib.decompress(b"".join(_chunks(png, b"IDAT")))
    stride = width * channels
    previous = bytearray(stride)
    seen: set[bytes] = set()
    for row in range(height):
        line = _unfilter(raw[row * (stride + 1)], bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)]),
                         previous, channels)
        if row % 4 == 0:
            seen.update(bytes(line[i:i + 3]) for i in range(0, stride, channels * 3))
        previous = line
    return len(seen)


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int) -> bytearray:
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up, corner = prev[i], (prev[i - bpp] if i >= bpp else 0)
        if kind == 1:
            line[i] = (line[i] + left) & 255
        elif kind == 2:
            line[i] = (line[i] + up) & 255
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 255
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
    return line


def _chunks(png: bytes, kind: bytes) -> Iterator[bytes]:
    import struct

    at = 8
    while at < len(png):
        length = struct.unpack(">I", png[at:at + 4])[0]
        if png[at + 4:at + 8] == kind:
            yield png[at + 8:at + 8 + length]
        at += 12 + length
