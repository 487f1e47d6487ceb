"""Hostile settings for the dashboard process: bad addresses, busy ports, signals, Streamlit dying.

`tracker dashboard` and `tracker up` each give a one-line error and a non-zero exit for a bad host or a
busy port (having started nothing), or start, warn when other machines can reach them, and stop their
Streamlit child on SIGTERM, SIGINT and SIGHUP.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.clirun import ROOT, assert_one_line_error, run_cli
from tests.test_browser import free_port
from tracker.config import Settings

# ---------------------------------------------------------------------------------------------- the CLI


def start_tracker(args: list[str], settings: dict[str, str]) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update({"TRACKER_LOG_LEVEL": "WARNING", "TRACKER_CTGOV_URL": "http://127.0.0.1:9/api/v2", **settings})
    return subprocess.Popen([sys.executable, "-m", "tracker", *args], env=env, text=True, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_dashboard(process: subprocess.Popen[str], port: int, timeout: float = 120) -> list[str]:
    """The lines printed up to `Dashboard: …`, once the health endpoint answers too."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while not any(line.startswith("Dashboard:") for line in lines):
        assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
        lines.append(process.stdout.readline())
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as response:
                assert response.status == 200
                return lines
        except OSError:
            assert time.monotonic() < deadline, "the dashboard never answered its health check"
            time.sleep(0.3)


# ---------------------------------------------------------------------------------------------- processes


def is_listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


EXPOSED = "is reachable from other machines and has no login"
SIGNAL_CASES = [
    pytest.param(["dashboard"], "127.0.0.1", signal.SIGTERM, False, id="dashboard-sigterm"),
    pytest.param(["dashboard"], "0.0.0.0", signal.SIGINT, True, id="dashboard-all-ipv4-sigint"),
    pytest.param(["dashboard"], "::", signal.SIGHUP, True, id="dashboard-all-ipv6-sighup"),
    pytest.param(["up"], "127.0.0.1", signal.SIGTERM, False, id="up-sigterm"),
    pytest.param(["up"], "localhost", signal.SIGHUP, False, id="up-localhost-sighup"),
    pytest.param(["up"], "0.0.0.0", signal.SIGINT, True, id="up-all-ipv4-sigint"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "host", "signum", "warns"), SIGNAL_CASES)
def test_a_signal_stops_the_dashboard_and_frees_its_port(tmp_path: Path, args: list[str], host: str,
                                                        signum: signal.Signals, warns: bool) -> None:
    if ":" in host and not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    port = free_port()
    process = start_tracker(args, {"TRACKER_DB": str(tmp_path / "tracker.duckdb"), "TRACKER_HOST": host,
                                   "TRACKER_PORT": str(port)})
    try:
        lines = wait_for_dashboard(process, port)
        children = psutil.Process(process.pid).children(recursive=True)
        assert children, "the dashboard runs in a child process"
        process.send_signal(signum)
        rest, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(lines) + rest
    assert process.returncode == 0, output + errors
    assert "Stopping" in output
    _, still_running = psutil.wait_procs(children, timeout=5)
    assert still_running == [], "the Streamlit child outlived the command"
    assert not is_listening(port)
    result_lines = [line for line in errors.splitlines() if line.strip()]
    assert result_lines == ([f"Warning: TRACKER_HOST={host} listens on every network interface: the dashboard "
                             f"{EXPOSED} (TRACKER_HOST=127.0.0.1 keeps it on this machine)."] if warns else [])
    if args == ["up"]:
        assert '"state": "stopped"' in (tmp_path / "tracker.daemon.json").read_text()


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something else already listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


BUSY = "{busy}"
ERROR_CASES = [
    pytest.param({"TRACKER_HOST": "999.1.1.1"}, ["TRACKER_HOST", "999.1.1.1", "not an IP address"], id="host-999"),
    pytest.param({"TRACKER_HOST": "no-such-host.invalid"}, ["no-such-host.invalid", "resolve"], id="host-unknown"),
    pytest.param({"TRACKER_HOST": "10.255.255.1"}, ["10.255.255.1", "not an address of this machine"],
                 id="host-not-here"),
    pytest.param({"TRACKER_HOST": "fe80::1"}, ["fe80::1", "not an address of this machine"], id="host-ipv6-not-here"),
    pytest.param({"TRACKER_HOST": "http://localhost"}, ["http://localhost", "not an IP address"], id="host-url"),
    pytest.param({"TRACKER_HOST": "local host"}, ["local host", "not an IP address"], id="host-with-space"),
    pytest.param({"TRACKER_HOST": "x" * 300}, ["TRACKER_HOST", "not an IP address"], id="host-too-long"),
    pytest.param({"TRACKER_PORT": BUSY}, ["port {busy}", "already in use", "TRACKER_PORT"], id="port-busy"),
    pytest.param({"TRACKER_PORT": BUSY, "TRACKER_HOST": "0.0.0.0"}, ["port {busy}", "already in use"],
                 id="port-busy-on-a-wildcard"),
    pytest.param({"TRACKER_PORT": "0"}, ["TRACKER_PORT"], id="port-0"),
    pytest.param({"TRACKER_PORT": "65536"}, ["TRACKER_PORT"], id="port-too-big"),
    pytest.param({"TRACKER_PORT": "http"}, ["TRACKER_PORT"], id="port-not-a-number"),
]


# every case runs `tracker dashboard`; the commands that start the daemon first run the main ones too
EVERY_COMMAND = {"host-999", "host-unknown", "host-not-here", "port-busy"}
ADDRESS_CASES = [
    pytest.param(command, *case.values, id=f"{' '.join(command)}-{case.id}")
    for case in ERROR_CASES
    for command in (["dashboard"], ["up"], ["up", "--demo"], ["demo"])
    if command == ["dashboard"] or case.id in EVERY_COMMAND
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "settings", "mentions"), ADDRESS_CASES)
def test_a_bad_address_is_one_line_and_starts_nothing(tmp_path: Path, busy_port: int, args: list[str],
                                                      settings: dict[str, str], mentions: list[str]) -> None:
    env = {k: v.replace(BUSY, str(busy_port)) for k, v in settings.items()}
    env.update({"TRACKER_DB": str(tmp_path / "tracker.duckdb"), "TRACKER_CTGOV_URL": "http://127.0.0.1:9/api/v2"})
    result = run_cli(args, env, timeout=60)
    assert_one_line_error(result, *[m.replace(BUSY, str(busy_port)) for m in mentions])
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == [], "nothing may start (no refresh, no daemon) before the address is checked"


@pytest.mark.slow
@pytest.mark.parametrize("args", [["dashboard"], ["up"]], ids=" ".join)
def test_streamlit_dying_at_start_is_one_line_and_stops_the_daemon(tmp_path: Path, args: list[str]) -> None:
    """Streamlit refuses a certificate without its key: the command must say so, not exit 0 or hang."""
    port = free_port()
    env = {"TRACKER_DB": str(tmp_path / "tracker.duckdb"), "TRACKER_PORT": str(port),
           "TRACKER_CTGOV_URL": "http://127.0.0.1:9/api/v2", "STREAMLIT_SERVER_SSL_CERT_FILE": "/nonexistent.pem"}
    result = run_cli(args, env, timeout=90)
    assert_one_line_error(result, "dashboard", f"port {port}", "exited with status 1", "sslKeyFile")
    assert not is_listening(port)
    if args == ["up"]:
        assert '"state": "stopped"' in (tmp_path / "tracker.daemon.json").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("args", [["dashboard"], ["up"]], ids=" ".join)
def test_streamlit_dying_later_is_one_line_and_stops_the_daemon(tmp_path: Path, args: list[str]) -> None:
    port = free_port()
    process = start_tracker(args, {"TRACKER_DB": str(tmp_path / "tracker.duckdb"), "TRACKER_PORT": str(port)})
    try:
        wait_for_dashboard(process, port)
        [streamlit] = psutil.Process(process.pid).children()
        streamlit.kill()
        _, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1
    assert [line for line in errors.splitlines() if line.strip()] == [
        f"Error: the dashboard (port {port} on 127.0.0.1) was killed by SIGKILL unexpectedly"]
    if args == ["up"]:
        assert '"state": "stopped"' in (tmp_path / "tracker.daemon.json").read_text()


def test_no_warning_on_loopback(tmp_path: Path) -> None:
    """127.0.0.2 is loopback too: the check binds it, and says nothing."""
    from tracker.serve import check_listen

    listen = check_listen(Settings(db_path=tmp_path / "t.duckdb", host="127.0.0.2", port=free_port()))
    assert listen.is_loopback and listen.warning is None
