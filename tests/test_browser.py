"""A real browser on the offline demo: `tracker up --demo` on loopback, every page in headless Chromium.

Needs Debian's chromium (installed by .ci/run); Playwright drives it, no browser download. Without a
browser the test is skipped, unless TRACKER_REQUIRE_BROWSER=1 (as in CI), which makes it fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SETTLED = """() => document.querySelectorAll('[data-testid="stSkeleton"]').length === 0
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => c.querySelector('.main-svg'))"""
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
PAGES = {
    "landscape": "Mechanism × phase",
    "landscape-as-of": "Landscape as of",
    "agents": "Pipeline: agents by the highest phase reached",
    "trials": "Download CSV",
    "trial": "Agents and the evidence for each label",
    "timeline": "Primary completions expected in the next 12 months",
    "readouts": "Readout calendar",
    "changes": "The landscape on two dates",
    "geography": "Open sites",
    "data": "Refresh runs",
}
LAUNCH_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage"]

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("TRACKER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"no Chromium at {CHROMIUM}: install Debian's chromium (see .ci/run)")
    pytest.skip("Chromium is not installed")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    """`tracker up --demo` as a user starts it, on a free port, until the test stops it with SIGINT."""
    require_browser()
    data = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = {**os.environ, "TRACKER_DB": str(data / "tracker.duckdb"), "TRACKER_PORT": str(port),
           "TRACKER_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "tracker", "up", "--demo"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        assert time.monotonic() < deadline, "the demo dashboard never answered"
        time.sleep(0.5)
    yield url, process, data
    if process.poll() is None:
        process.kill()


def test_every_page_renders_the_demo_in_chromium(demo: tuple[str, subprocess.Popen[str], Path]) -> None:
    from playwright.sync_api import sync_playwright

    url, _, _ = demo
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        for name, marker in PAGES.items():
            path = "" if name.startswith("landscape") else name
            # the demo's registry moves from six weeks before its "today" (2026-11-20)
            query = {"trial": "?nct=NCT90000001", "landscape-as-of": "?asof=2026-10-20"}.get(name, "")
            page.goto(url + path + query, wait_until="domcontentloaded")
            page.get_by_text(marker, exact=False).first.wait_for(timeout=60_000)
            page.get_by_text("Demo data: synthetic records").first.wait_for(timeout=30_000)
            # the screenshot waits for the page to settle: no loading skeleton, every chart drawn
            page.wait_for_function(SETTLED, timeout=60_000)
            page.wait_for_timeout(500)
            assert page.locator('[data-testid="stException"]').count() == 0, name
            assert page.locator('[data-testid="stAlertContentError"]').count() == 0, name
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        browser.close()
    assert errors == []


def test_sigint_stops_the_demo_cleanly(demo: tuple[str, subprocess.Popen[str], Path]) -> None:
    url, process, data = demo
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "Stopping" in output
    with pytest.raises(OSError):
        urllib.request.urlopen(url + "_stcore/health", timeout=2)
    heartbeat = (data / "demo" / "tracker.daemon.json").read_text()
    assert '"state": "stopped"' in heartbeat
