"""`tracker up` without CT.gov: it says so plainly, still serves the dashboard, and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_browser import free_port

pytestmark = pytest.mark.slow


def test_up_without_ctgov_starts_the_dashboard_and_points_to_the_demo(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "TRACKER_DB": str(tmp_path / "tracker.duckdb"), "TRACKER_PORT": str(port),
           "TRACKER_CTGOV_URL": "http://127.0.0.1:9/api/v2", "TRACKER_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "tracker", "up"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines: list[str] = []
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    while not any(line.startswith("Dashboard:") for line in lines):
        assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
        lines.append(process.stdout.readline())
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as response:
        assert response.status == 200
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=60)
    output = "".join(lines) + rest
    assert process.returncode == 0, output
    assert "CT.gov cannot be reached from this machine: cannot reach CT.gov at http://127.0.0.1:9/api/v2" in output
    assert "tracker up --demo" in output
    assert "Traceback" not in output


def test_up_demo_is_silent_for_a_minute_after_the_dashboard_line(tmp_path: Path) -> None:
    """What a person running `tracker up --demo` sees: the start-up lines, the URL, then nothing until
    something happens (no scheduler heartbeat, no per-job chatter) — at the default log level."""
    import threading

    port = free_port()
    env = {**os.environ, "TRACKER_DB": str(tmp_path / "tracker.duckdb"), "TRACKER_PORT": str(port)}
    env.pop("TRACKER_LOG_LEVEL", None)
    process = subprocess.Popen([sys.executable, "-m", "tracker", "up", "--demo"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen: list[tuple[float, str]] = []
    assert process.stdout is not None
    stream = process.stdout
    reader = threading.Thread(target=lambda: seen.extend((time.monotonic(), line) for line in stream), daemon=True)
    reader.start()
    deadline = time.monotonic() + 300
    while not any(line.startswith("Dashboard:") for _, line in list(seen)):
        assert time.monotonic() < deadline and process.poll() is None, "".join(line for _, line in seen)
        time.sleep(0.5)
    url_at = next(at for at, line in list(seen) if line.startswith("Dashboard:"))
    time.sleep(max(0.0, url_at + 60 - time.monotonic()))
    after = [line for at, line in list(seen) if at > url_at]
    process.send_signal(signal.SIGINT)
    assert process.wait(60) == 0
    reader.join(10)
    stream.close()
    assert after == [], "".join(line for _, line in seen)
