"""Publishing: the working database becomes the read-only published file in one atomic rename.

Readers (dashboard, `tracker sql`, a user's own DuckDB client) only ever open the published file.
A run starts from a fresh copy of it (written under a temporary name, fsynced, then renamed), writes
only that private working copy, and when it ends, the working copy is checked and renamed over the
published file with os.replace: a reader sees the previous snapshot or the new one, never half of a
refresh, and a reader that still has the old file open keeps reading it undisturbed. A working copy
that is cut short, unreadable or holds an unfinished run is never published.
"""

from __future__ import annotations

import os
from pathlib import Path

from tracker import files
from tracker.errors import DatabaseError, DiskFull
from tracker.heartbeat import pid_alive
from tracker.integrity import FINISHED, inspect


def publish(work_path: Path, db_path: Path) -> None:
    """Rename the (closed, checkpointed) working copy over the published file, once it is shown to be whole."""
    if wal_of(work_path).exists():
        raise DatabaseError(f"{work_path} was not checkpointed (its write-ahead log {wal_of(work_path)} is still "
                            f"there); not published, {files.UNCHANGED}")
    try:
        files.fsync(work_path)
    except OSError as exc:
        raise files.write_error(exc, work_path) from None
    try:
        snapshot = inspect(work_path)
    except DiskFull:
        raise
    except DatabaseError as exc:
        discard(work_path)
        raise DatabaseError(f"the working copy is not published: {exc}; {files.UNCHANGED}") from None
    if snapshot.newest_status not in (*FINISHED, "failed", None):
        discard(work_path)
        raise DatabaseError(f"the working copy is not published: its newest run {snapshot.newest_run} is "
                            f"{snapshot.newest_status}, not finished; {files.UNCHANGED}")
    try:
        os.replace(work_path, db_path)
    except OSError as exc:
        raise files.write_error(exc, db_path, doing="replace") from None
    files.fsync_dir(db_path.parent)


def start_work_copy(work_path: Path, db_path: Path) -> None:
    """Start the working copy afresh from the published file; without one, DuckDB starts an empty database."""
    discard(work_path)
    files.copy_atomic(db_path, work_path)


def discard(work_path: Path) -> None:
    """Throw a working copy away with its write-ahead log: nothing in it may be published."""
    files.remove(work_path, wal_of(work_path))


def wal_of(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def remove_stale_temps(*paths: Path) -> None:
    """Delete the temporary copies of processes that died mid-copy: on a full disk they are what fills it."""
    for path in paths:
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            pid = stale.name.split(".")[-2]
            if pid.isdigit() and not pid_alive(int(pid)):
                files.remove(stale)
