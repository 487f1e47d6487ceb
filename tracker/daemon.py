"""The refresh daemon: APScheduler around api.run_refresh, a heartbeat file, clean shutdown.

Only this module and tracker/schedule.py (TRACKER_SCHEDULE as a trigger) import apscheduler. Scheduling,
retry-after-failure and the heartbeat live here; everything a refresh does is the same call `tracker
refresh` makes.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tracker import __version__, api, db, heartbeat, runs
from tracker.config import Settings
from tracker.errors import RefreshLocked, TrackerError
from tracker.reporting import RefreshResult
from tracker.schedule import make_trigger

log = logging.getLogger(__name__)

BUSY_RETRY = timedelta(minutes=1)  # another process holds the refresh lock: look again soon
SHUTDOWN_GRACE_SECONDS = 60.0

RefreshFn = Callable[..., RefreshResult]


class Daemon:
    """Runs refreshes on a schedule; never two at once, missed runs coalesced, a failed run retried sooner."""

    def __init__(self, settings: Settings, *, refresh: RefreshFn | None = None,
                 refresh_kwargs: dict[str, Any] | None = None) -> None:
        self.settings = settings
        self.trigger = make_trigger(settings.schedule)
        self.refresh = refresh or api.run_refresh
        self.refresh_kwargs = refresh_kwargs or {}
        self.cancel = threading.Event()
        self.stopped = threading.Event()
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self.state = "starting"
        self.started_at = datetime.now(UTC)
        self.last_outcome: str | None = None
        self.last_run_id: int | None = None
        self.last_error: str | None = None
        self.runs = 0
        self._lock = threading.Lock()
        self._beat_error: str | None = None

    def start(self, *, run_now: bool | None = None) -> None:
        """Start scheduling in background threads; `run_now` None means: only if a run was missed."""
        self.scheduler.add_job(
            self._refresh_job, self.trigger, id="refresh", coalesce=True, max_instances=1,
            misfire_grace_time=None, replace_existing=True,
        )
        self.scheduler.add_job(self.beat, IntervalTrigger(seconds=heartbeat.HEARTBEAT_SECONDS, timezone=UTC),
                               id="heartbeat", coalesce=True, max_instances=1)
        if run_now is None:
            run_now = self._missed_a_run()
        if run_now:
            self._schedule_once(datetime.now(UTC), "catch-up")
        self.scheduler.start()
        self.state = "idle"
        self.beat()
        log.info("daemon started (schedule %r, next run %s)", self.settings.schedule, self.next_run_at())

    def stop(self) -> None:
        """Cancel a running refresh at its next request, wait for it, and stop; the published data stays whole."""
        if self.stopped.is_set():
            return
        self.cancel.set()
        self.state = "stopping"
        self.beat()
        worker = threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True}, daemon=True)
        worker.start()
        worker.join(SHUTDOWN_GRACE_SECONDS)
        self.state = "stopped"
        self.beat()
        self.stopped.set()
        log.info("daemon stopped")

    def run_forever(self) -> None:
        """Block until SIGINT or SIGTERM, then stop cleanly."""
        stop_requested = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            log.info("signal %s received: stopping", signal.Signals(signum).name)
            stop_requested.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            while not stop_requested.wait(1.0):
                pass
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def next_run_at(self) -> datetime | None:
        times = [job.next_run_time for job in self.scheduler.get_jobs()
                 if job.id.startswith("refresh") and job.next_run_time is not None]
        return min(times) if times else None

    def _schedule_once(self, when: datetime, reason: str) -> None:
        job_id = f"refresh-{reason}"
        self.scheduler.add_job(self._refresh_job, DateTrigger(run_date=when, timezone=UTC), id=job_id,
                               replace_existing=True, misfire_grace_time=None, coalesce=True, max_instances=1)

    def _refresh_job(self) -> None:
        # one refresh at a time inside this process; the file lock in run_refresh guards across processes
        if not self._lock.acquire(blocking=False):
            log.info("a refresh is already running in this daemon; this trigger is coalesced into it")
            return
        try:
            self._run_once()
        finally:
            self._lock.release()

    def _run_once(self) -> None:
        if self.cancel.is_set():
            return
        self.state = "running"
        self.beat()
        log.info("scheduled refresh starting")
        try:
            result = self.refresh(self.settings, trigger="daemon", cancel=self.cancel, **self.refresh_kwargs)
        except RefreshLocked as exc:
            self._record("busy", None, str(exc))
            self._retry_at(datetime.now(UTC) + BUSY_RETRY, "busy")
            return
        except TrackerError as exc:
            self._record("failed", None, str(exc))
            self._retry_at(datetime.now(UTC) + timedelta(minutes=self.settings.retry_after_failure_minutes),
                           "failed")
            return
        finally:
            self.state = "idle" if not self.cancel.is_set() else "stopping"
        self._record(result.status, result.run_id, result.error)
        if result.status == "succeeded" and self.settings.history_per_run and not self.cancel.is_set():
            self._backfill_history()
        if result.status == "failed" and not self.cancel.is_set():
            self._retry_at(datetime.now(UTC) + timedelta(minutes=self.settings.retry_after_failure_minutes),
                           "failed")
        log.info("scheduled refresh: %s", result.summary())

    def _backfill_history(self) -> None:
        """A few more landscape trials' CT.gov history after each refresh (TRACKER_HISTORY_PER_RUN)."""
        from tracker.history import run_backfill

        try:
            result = run_backfill(self.settings, landscape_limit=self.settings.history_per_run, trigger="daemon",
                                  cancel=self.cancel)
        except TrackerError as exc:
            log.warning("history backfill stopped: %s (the next run goes on)", exc)
            return
        log.info("%s", result.summary())

    def _retry_at(self, when: datetime, reason: str) -> None:
        upcoming = self.next_run_at()
        if upcoming is None or when < upcoming:
            log.info("retrying at %s (%s)", when.isoformat(timespec="seconds"), reason)
            self._schedule_once(when, "retry")

    def _record(self, outcome: str, run_id: int | None, error: str | None) -> None:
        self.runs += 1
        self.last_outcome = outcome
        self.last_run_id = run_id
        self.last_error = error
        self.beat()

    def _missed_a_run(self) -> bool:
        """True when the schedule fired since the last run began (the daemon was down): one catch-up run."""
        try:
            con = db.connect(self.settings.db_path, read_only=True)
        except TrackerError:
            return True
        try:
            with db.errors(self.settings.db_path, doing="read"):
                last = runs.last_run(con)
        except TrackerError:
            return True  # the catch-up run reports what is wrong with the database
        finally:
            con.close()
        if last is None:
            return True
        started: datetime = last["started_at"]
        due = self.trigger.get_next_fire_time(None, started)
        return due is not None and due <= datetime.now(UTC)

    def beat(self) -> None:
        """Write the heartbeat file `tracker status` reads (atomically, so a reader never sees half of it)."""
        next_run = self.next_run_at() if self.scheduler.running else None
        try:
            self._write_beat(next_run)
        except TrackerError as exc:
            # refreshes go on without a heartbeat (a full disk, a read-only directory); said once, not every beat
            if str(exc) != self._beat_error:
                log.warning("heartbeat not written: %s", exc)
            self._beat_error = str(exc)
        else:
            self._beat_error = None

    def _write_beat(self, next_run: datetime | None) -> None:
        heartbeat.write(self.settings.heartbeat_path, {
            "pid": os.getpid(),
            "state": self.state,
            "schedule": self.settings.schedule,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "beat_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "beat_every_seconds": heartbeat.HEARTBEAT_SECONDS,
            "next_run_at": next_run.isoformat(timespec="seconds") if next_run else None,
            "runs": self.runs,
            "last_outcome": self.last_outcome,
            "last_run_id": self.last_run_id,
            "last_error": self.last_error,
            "tracker_version": __version__,
        })
