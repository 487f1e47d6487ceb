"""Before a run writes anything: the lock, a check of the published file, and what an earlier process left behind.

A working copy found at the start belongs to a run that did not end normally. It is published only when
it is whole (every block reads back) and holds exactly one finished run the published file lacks (a
publish that did not happen); in every other case it is thrown away and the run starts again from the
published file, with the unfinished runs recorded as failed. A full disk at any step is one line and
leaves the published file as it was. `run_locked` gives any other change of the database (a
re-classification) the same lock, recovery and publish.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import filelock

from tracker import db, files, publish, runs, schema
from tracker.config import Settings
from tracker.errors import DatabaseError, DiskFull, RefreshLocked, TrackerError
from tracker.integrity import FINISHED, Snapshot, inspect

log = logging.getLogger(__name__)

T = TypeVar("T")

INTERRUPTED = "interrupted: the process ended during the run; nothing it fetched was kept"


def resolved(settings: Settings) -> Settings:
    """Follow a symlinked TRACKER_DB, so that publishing replaces the file it points to, not the link."""
    path = settings.db_path
    files.check_database_path(path)
    return replace(settings, db_path=path.resolve()) if path.is_symlink() else settings


@contextmanager
def refresh_lock(settings: Settings) -> Iterator[None]:
    """One writer at a time across processes; a path where no lock can be made is said to be that."""
    files.check_database_path(settings.db_path)
    files.check_directory(settings.lock_path.parent)
    files.probe_lock_file(settings.lock_path)
    lock = filelock.FileLock(str(settings.lock_path), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise RefreshLocked(
            f"another refresh is running (lock {settings.lock_path} is held); try again when it ends"
        ) from None
    except OSError as exc:
        raise DatabaseError(f"cannot lock {settings.lock_path}: {exc.strerror}") from None
    try:
        yield
    finally:
        lock.release()


def recover(settings: Settings, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> bool:
    """Check the published file, settle a working copy left behind, and start a fresh working copy.

    Returns whether a published database exists, so that a failed run can be undone by copying it again.
    """
    publish.remove_stale_temps(settings.db_path, settings.work_path)
    published = _published(settings)
    if files.check_database_path(settings.work_path):
        _settle_leftover(settings, published, now)
        published = _published(settings)
    # a write-ahead log left without its database would be replayed into a new one
    publish.discard(settings.work_path)
    if published is not None:
        publish.start_work_copy(settings.work_path, settings.db_path)
    return published is not None


def restore(settings: Settings, failed_runs: list[dict[str, Any]], has_published: bool) -> None:
    """Make the working copy the published file again, then record the failed runs in it."""
    publish.discard(settings.work_path)
    if has_published:
        publish.start_work_copy(settings.work_path, settings.db_path)
    with db.writer(settings.work_path, memory_limit=settings.memory_limit) as con:
        schema.prepare(con)
        for row in failed_runs:
            runs.insert_run_row(con, row)
        db.checkpoint(con)


def run_locked(settings: Settings, work: Callable[[db.Connection], T]) -> T:
    """Run `work` in one transaction on the working database under the refresh lock, then publish."""
    settings = resolved(settings)
    with refresh_lock(settings):
        recover(settings)
        try:
            with db.writer(settings.work_path, memory_limit=settings.memory_limit) as con:
                schema.prepare(con)
                with db.transaction(con):
                    value = work(con)
                    schema.build_marts(con)
                db.checkpoint(con)
        except Exception:
            discard_quietly(settings)
            raise
        publish.publish(settings.work_path, settings.db_path)
        return value

def discard_quietly(settings: Settings) -> None:
    """Free the space of a working copy that must not be published; if that fails too, recovery copes later."""
    with contextlib.suppress(TrackerError):
        publish.discard(settings.work_path)


def _published(settings: Settings) -> Snapshot | None:
    """The published file's runs; None when there is no database yet (no file, or an empty one)."""
    path = settings.db_path
    if not files.check_database_path(path) or path.stat().st_size == 0:
        return None
    return inspect(path)


def _settle_leftover(settings: Settings, published: Snapshot | None, now: Callable[[], datetime]) -> None:
    try:
        leftover = inspect(settings.work_path)
    except DiskFull:
        raise
    except DatabaseError as exc:
        log.warning("the working copy left by an earlier run cannot be used and is discarded: %s", exc)
        publish.discard(settings.work_path)
        return
    base = published.newest_run if published is not None else 0
    newer = [row for row in leftover.runs if row["run_id"] > base]
    if len(newer) == 1 and newer[0]["status"] in FINISHED:
        # a run finished but its publish did not happen (a full disk, a kill): publish it now
        _finish_publish(settings, newer[0]["run_id"])
        return
    finished = [row["run_id"] for row in newer if row["status"] in FINISHED]
    if finished:
        # one publish can be missing, never two: the published file was put back (a restore from backup)
        log.warning("the working copy holds runs %s that the published file %s does not; the published file "
                    "is kept as it is (restored from a backup?) and the working copy discarded",
                    ", ".join(map(str, finished)), settings.db_path)
    unfinished = [row for row in newer if row["status"] not in FINISHED]
    publish.discard(settings.work_path)
    if not unfinished:
        return
    interrupted = [row for row in unfinished if row["status"] == "running"]
    if interrupted:
        log.warning("run(s) %s were interrupted; their partial data is discarded",
                    ", ".join(str(row["run_id"]) for row in interrupted))
    for row in interrupted:
        row.update(status="failed", finished_at=now(), error=INTERRUPTED)
    restore(settings, unfinished, published is not None)
    publish.publish(settings.work_path, settings.db_path)


def _finish_publish(settings: Settings, run_id: int) -> None:
    try:
        # a dead process may have left committed pages in the write-ahead log: merge it before the file moves
        with db.writer(settings.work_path, memory_limit=settings.memory_limit) as con:
            db.checkpoint(con)
        # this process did not write the copy: every block is read back before it may replace anything
        inspect(settings.work_path, thorough=True)
    except DiskFull:
        raise
    except DatabaseError as exc:
        log.warning("run %d finished but was not published, and its working copy cannot be read: it is "
                    "discarded (%s)", run_id, exc)
        publish.discard(settings.work_path)
        return
    log.warning("publishing run %d, which the previous process finished but did not publish", run_id)
    publish.publish(settings.work_path, settings.db_path)
