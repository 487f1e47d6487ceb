"""Starting the dashboard process (`streamlit run`), waiting for it to answer, and stopping it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tracker import integrity
from tracker.config import Settings
from tracker.errors import TrackerError

APP = Path(__file__).resolve().parent.parent / "dashboards" / "streamlit_app.py"


def dashboard_url(settings: Settings) -> str:
    host = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0", "::") else settings.host
    return f"http://{host}:{settings.port}/"


def dashboard_command(settings: Settings) -> list[str]:
    if not APP.is_file():
        raise TrackerError(f"dashboard not found at {APP}: install the tracker from its source tree (pip install -e .)")
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", settings.host, "--server.port", str(settings.port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--global.developmentMode", "false", "--client.toolbarMode", "viewer",
        # the world map's outlines are served from dashboards/static: plotly's CDN is not reachable offline
        "--server.enableStaticServing", "true",
    ]


def start_dashboard(settings: Settings, *, quiet: bool = False) -> subprocess.Popen[bytes]:
    """Start Streamlit on settings.host:settings.port, reading settings.db_path."""
    # no database yet is fine (the dashboard says so); a file that is not one is an error now, not a blank page
    integrity.check_database(settings.db_path)
    env = {**os.environ, "TRACKER_DB": str(settings.db_path.resolve())}
    output = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(dashboard_command(settings), env=env, stdout=output, stderr=output,
                            start_new_session=True)


def wait_until_up(settings: Settings, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Wait for Streamlit's health endpoint; a clear error if the process dies or never answers."""
    url = f"http://{settings.host}:{settings.port}/_stcore/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise TrackerError(f"the dashboard exited with status {process.returncode} before answering "
                               f"(is port {settings.port} already in use? set TRACKER_PORT)")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise TrackerError(f"the dashboard did not answer on {url} within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM the dashboard's process group, then SIGKILL it if it does not go."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout)
    except ProcessLookupError:
        pass
