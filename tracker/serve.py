"""The dashboard process: check its address, start `streamlit run`, wait for it to answer, stop its process group."""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from tracker import integrity, resources
from tracker.config import Settings
from tracker.errors import TrackerError

APP = resources.APP
# Streamlit reads .streamlit/config.toml from its working directory: it runs from STREAMLIT_HOME
STREAMLIT_CONFIG = resources.STREAMLIT_HOME / ".streamlit" / "config.toml"
RESOLVE_TIMEOUT = 10.0
START_TIMEOUT = 60.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Streamlit's log lines start with a timestamp; the error shows only the message
LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\s+")

Echo = Callable[[str], None]
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Listen:
    """Where the dashboard will listen: TRACKER_HOST, the address it resolves to, and TRACKER_PORT."""

    host: str
    ip: IpAddress
    port: int

    @property
    def is_loopback(self) -> bool:
        ip = self.ip.ipv4_mapped if isinstance(self.ip, ipaddress.IPv6Address) and self.ip.ipv4_mapped else self.ip
        return ip.is_loopback

    @property
    def warning(self) -> str | None:
        """One line for an address other machines can reach, since the dashboard has no login."""
        if self.is_loopback:
            return None
        where = "listens on every network interface" if self.ip.is_unspecified else "is not a loopback address"
        return (f"Warning: TRACKER_HOST={self.host} {where}: the dashboard is reachable from other machines "
                "and has no login (TRACKER_HOST=127.0.0.1 keeps it on this machine).")

    @property
    def health_url(self) -> str:
        # Streamlit binds "::" dual-stack, so 127.0.0.1 reaches either wildcard
        host = "127.0.0.1" if self.ip.is_unspecified else _url_host(str(self.ip))
        return f"http://{host}:{self.port}/_stcore/health"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def dashboard_url(settings: Settings) -> str:
    host = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0", "::") else _url_host(settings.host)
    return f"http://{host}:{settings.port}/"


def check_listen(settings: Settings) -> Listen:
    """Resolve TRACKER_HOST and bind TRACKER_PORT as Streamlit will, so a bad address fails before anything starts."""
    host, port = settings.host, settings.port
    # Streamlit picks the family the same way: IPv6 when the address has a colon
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockaddr = _resolve(host, port, family)
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind(sockaddr)
            sock.listen(1)
    except OSError as exc:
        raise TrackerError(_bind_error(host, port, exc)) from None
    return Listen(host, ipaddress.ip_address(str(sockaddr[0]).split("%")[0]), port)


def _resolve(host: str, port: int, family: int) -> tuple[Any, ...]:
    """The first address of `host`; a name lookup that hangs (no DNS server answering) is given up after a while."""
    found: list[tuple[Any, ...] | Exception] = []

    def lookup() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)[0][4])
        except (OSError, UnicodeError, ValueError) as exc:
            found.append(exc)

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(RESOLVE_TIMEOUT)
    if not found:
        raise TrackerError(f"TRACKER_HOST={host} did not resolve within {RESOLVE_TIMEOUT:.0f} s: "
                           "use an IP address of this machine, such as 127.0.0.1")
    result = found[0]
    if isinstance(result, Exception):
        reason = result.strerror if isinstance(result, OSError) and result.strerror else str(result)
        raise TrackerError(f"TRACKER_HOST={host!r} is not an IP address or a host name this machine can "
                           f"resolve ({reason}): use an address such as 127.0.0.1")
    return result


def _bind_error(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is already in use: stop what listens there, "
                "or set TRACKER_PORT to a free port")
    if exc.errno in (errno.EADDRNOTAVAIL, errno.EINVAL):
        return (f"TRACKER_HOST={host} is not an address of this machine: use 127.0.0.1 (this machine only) "
                "or an address one of its network interfaces has")
    if exc.errno == errno.EACCES:
        return f"port {port} on {host} needs privileges this user lacks: set TRACKER_PORT to 1024 or above"
    return f"cannot listen on {host} port {port}: {exc.strerror or exc}"


def dashboard_command(settings: Settings) -> list[str]:
    """`streamlit run` with only what belongs to this run (address and port); the rest is in STREAMLIT_CONFIG."""
    for needed in (APP, STREAMLIT_CONFIG):
        if not needed.is_file():
            raise TrackerError(f"dashboard file not found at {needed}: the installation is incomplete "
                               "(reinstall the tracker)")
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", settings.host, "--server.port", str(settings.port),
    ]


def dashboard_env(settings: Settings) -> dict[str, str]:
    """The environment of the Streamlit child, which runs from STREAMLIT_HOME: paths the user gave are made absolute."""
    env = {**os.environ, "TRACKER_DB": str(settings.db_path.resolve())}
    for name, path in (("TRACKER_SCOPE", settings.scope_file), ("TRACKER_CATALOGUE", settings.catalogue_file)):
        if path is not None:
            env[name] = str(path.resolve())
    return env


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT, SIGTERM or SIGHUP, instead of dying with the Streamlit child still listening."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class Dashboard:
    """`streamlit run` in its own process group, so the terminal's Ctrl-C reaches only us and we stop it in order.

    Its output goes to an unlinked temporary file, not a pipe: a Streamlit whose stdout pipe has lost its
    reader (the tracker killed with SIGKILL) hangs on SIGTERM. The file's tail names the reason when
    Streamlit exits on its own; `tracker dashboard` also copies what it logs after start to stderr.
    """

    def __init__(self, settings: Settings, listen: Listen, *, quiet: bool = False) -> None:
        command = dashboard_command(settings)
        env = dashboard_env(settings)
        self.listen = listen
        self.quiet = quiet
        self._log = tempfile.TemporaryFile()
        self._stopping = threading.Event()
        self._follower: threading.Thread | None = None
        self._started_at = 0  # where the log stood when Streamlit first answered
        self.process = subprocess.Popen(command, env=env, cwd=resources.STREAMLIT_HOME, stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def _log_size(self) -> int:
        return os.fstat(self._log.fileno()).st_size

    def _follow(self, offset: int) -> None:
        """Copy what Streamlit logs from `offset` on to stderr, like `tail -f`."""
        while True:
            chunk = os.pread(self._log.fileno(), 65536, offset)
            if chunk:
                offset += len(chunk)
                sys.stderr.write(chunk.decode(errors="replace"))
                sys.stderr.flush()
            elif self._stopping.wait(0.3):
                return

    def _exit_error(self, when: str) -> TrackerError:
        size = self._log_size()
        start = max(self._started_at, size - 4096)
        tail = os.pread(self._log.fileno(), size - start, start).decode(errors="replace")
        last = next((LOG_PREFIX.sub("", line).strip() for line in reversed(tail.splitlines()) if line.strip()), "")
        return TrackerError(f"the dashboard (port {self.listen.port} on {self.listen.host}) "
                            f"{_how_it_ended(self.process.returncode)} {when}"
                            + (f": {last[:200]}" if last else ""))

    def wait_until_up(self, stop: threading.Event, timeout: float = START_TIMEOUT) -> bool:
        """True once Streamlit answers its health check, False if `stop` is set first; an error if it dies or hangs."""
        deadline = time.monotonic() + timeout
        while not stop.is_set():
            if self.process.poll() is not None:
                raise self._exit_error("before answering")
            try:
                with urllib.request.urlopen(self.listen.health_url, timeout=2) as response:
                    if response.status == 200:
                        self._start_following()
                        return True
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise TrackerError(f"the dashboard did not answer on {self.listen.health_url} within {timeout:.0f} s")
            stop.wait(0.3)
        return False

    def _start_following(self) -> None:
        # what Streamlit printed while starting (its own banner and URL) is left out: the caller prints the URL
        self._started_at = self._log_size()
        if not self.quiet:
            self._follower = threading.Thread(target=self._follow, args=(self._started_at,), daemon=True,
                                              name="dashboard-log")
            self._follower.start()

    def watch(self, stop: threading.Event) -> None:
        """Return when `stop` is set; an error if Streamlit exits on its own first."""
        while not stop.wait(0.5):
            if self.process.poll() is not None:
                raise self._exit_error("unexpectedly")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the dashboard's process group, then SIGKILL it if it does not go."""
        self._stopping.set()
        if self._follower is not None:
            self._follower.join(2.0)
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
            except ProcessLookupError:
                pass
        self._log.close()


def _how_it_ended(returncode: int) -> str:
    if returncode >= 0:
        return f"exited with status {returncode}"
    try:
        return f"was killed by {signal.Signals(-returncode).name}"
    except ValueError:
        return f"was killed by signal {-returncode}"


def run_dashboard(settings: Settings, *, echo: Echo = print, warn: Echo = to_stderr) -> None:
    """`tracker dashboard`: serve until SIGINT, SIGTERM or SIGHUP, then stop Streamlit; never leave it running."""
    # no database yet is fine (the dashboard says so); a file that is not one is an error now, not a blank page
    integrity.check_database(settings.db_path)
    listen = check_listen(settings)
    if listen.warning:
        warn(listen.warning)
    with stop_on_signals() as stop:
        dashboard = Dashboard(settings, listen)
        try:
            if dashboard.wait_until_up(stop):
                echo(f"Dashboard: {dashboard_url(settings)}   (Ctrl-C stops it)")
                dashboard.watch(stop)
            echo("Stopping…")
        finally:
            dashboard.stop()
