"""`tracker up`: prepare the database, first refresh when empty, then the daemon and the dashboard until Ctrl-C."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tracker import api, db, files, integrity, serve
from tracker.config import Settings
from tracker.ctgov import CtGov
from tracker.daemon import Daemon
from tracker.errors import CtGovError, TrackerError
from tracker.refresh import Reporter

if TYPE_CHECKING:
    from tracker.demo.activity import DemoActivity

Echo = Callable[[str], None]
PROBE_TIMEOUT = 15.0


def demo_settings(settings: Settings, ctgov_url: str) -> Settings:
    """The demo keeps its own database beside the real one, so synthetic records never mix with real ones."""
    return replace(settings, db_path=demo_db_path(settings), ctgov_url=ctgov_url, max_rpm=0, backoff=0.2)


def demo_db_path(settings: Settings) -> Path:
    return settings.db_path.parent / "demo" / settings.db_path.name


def has_data(path: Path) -> bool:
    """Whether the database holds a successful run; a file there that is not a usable database is an error."""
    if not integrity.check_database(path):
        return False
    try:
        frame = db.read_frame(path, "select count(*) as n from refresh_runs where status = 'succeeded'")
    except TrackerError:
        return False
    return bool(frame["n"][0])


def probe(settings: Settings) -> str | None:
    """None when CT.gov answers /version, else the reason it does not."""
    try:
        with CtGov(replace(settings, timeout=PROBE_TIMEOUT)) as client:
            client.fetch_version(attempts=1)
    except CtGovError as exc:
        return str(exc)
    return None


def run_up(settings: Settings, *, demo: bool = False, echo: Echo = print, reporter: Reporter | None = None,
           warn: Echo = serve.to_stderr) -> None:
    """The main job: data, daemon and dashboard, stopped cleanly by Ctrl-C (SIGINT), SIGTERM or SIGHUP."""
    # a database file that is not one, a bad TRACKER_HOST or a busy port fails here, before a first refresh
    # or the daemon has started; the file first, as the more lasting fault
    path = demo_db_path(settings) if demo else settings.db_path
    integrity.check_database(path)
    if not demo:
        # the first refresh and the daemon write beside it; the demo's folder is made when it starts
        files.check_directory(path.parent)
        files.check_lock_creatable(settings.lock_path)
    listen = serve.check_listen(settings)
    if listen.warning:
        warn(listen.warning)
    with serve.stop_on_signals() as stop:
        standin = None
        activity = None
        if demo:
            from tracker.demo.activity import DemoActivity
            from tracker.demo.standin import StandIn

            activity = DemoActivity()
            standin = StandIn(activity.registry)
            standin.start()
            settings = demo_settings(settings, standin.url)
            echo(f"Offline demo: the bundled synthetic corpus is served by the CT.gov stand-in at {standin.url}")
            echo(f"Demo database: {settings.db_path}")
        daemon: Daemon | None = None
        dashboard: serve.Dashboard | None = None
        try:
            first_refresh(settings, demo=demo, echo=echo, reporter=reporter, stop=stop, activity=activity)
            if stop.is_set():
                return
            daemon = Daemon(settings)
            daemon.start(run_now=False)
            dashboard = serve.Dashboard(settings, listen, quiet=True)
            if dashboard.wait_until_up(stop):
                echo(f"Dashboard: {serve.dashboard_url(settings)}   (refreshes on schedule {settings.schedule!r}; "
                     "Ctrl-C stops everything)")
                dashboard.watch(stop)
            echo("Stopping…")
        finally:
            if daemon is not None:
                daemon.stop()
            if dashboard is not None:
                dashboard.stop()
            if standin is not None:
                standin.stop()


def first_refresh(settings: Settings, *, demo: bool, echo: Echo, reporter: Reporter | None,
                  stop: threading.Event, activity: DemoActivity | None = None) -> None:
    if has_data(settings.db_path):
        if activity is not None:
            activity.finish()  # serve the registry as the demo database last saw it, on DEMO_TODAY
        echo(f"Database: {settings.db_path} (the daemon keeps it fresh)")
        return
    reason = probe(settings)
    if reason is not None:
        echo(f"CT.gov cannot be reached from this machine: {reason}")
        echo("Starting the dashboard without data. For an offline look at the tracker, run `tracker up --demo`.")
        return
    echo(f"First refresh into {settings.db_path} …")
    result = api.run_refresh(settings, full=True, trigger="demo" if demo else "up", reporter=reporter, cancel=stop)
    echo(result.summary())
    if activity is not None and result.status == "succeeded":
        replay_activity(settings, activity, echo=echo, stop=stop)
    if activity is not None:
        activity.finish()


def replay_activity(settings: Settings, activity: DemoActivity, *, echo: Echo, stop: threading.Event) -> None:
    """The demo's weeks of registry activity, each picked up by an incremental refresh as the daemon would."""
    for week in activity.replay():
        if stop.is_set():
            return
        result = api.run_refresh(settings, trigger="demo", cancel=stop)
        if result.status not in ("succeeded", "skipped"):
            echo(f"Demo: week {week.number} of {activity.weeks}: {result.summary()}")
            return
        echo(f"Demo: week {week.number} of {activity.weeks} ({week.day}) replayed — "
             f"{week.edits} registry posts, {changes_of(settings, result.run_id)} changes detected")


def changes_of(settings: Settings, run_id: int) -> int:
    frame = db.read_frame(settings.db_path, "select count(*) as n from trial_changes where run_id = ?", [run_id])
    return int(frame["n"][0])
