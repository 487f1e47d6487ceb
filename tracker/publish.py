"""Publishing: the working database becomes the read-only published file in one atomic rename.

Readers (dashboard, `tracker sql`, a user's own DuckDB client) only ever open the published file.
A refresh writes the private working file; when it ends, a copy replaces the published file with
os.replace, so a reader sees the previous snapshot or the new one, never half of a refresh, and a
reader that still has the old file open keeps reading it undisturbed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tracker.heartbeat import pid_alive


def publish(work_path: Path, db_path: Path) -> None:
    """Copy the (closed, checkpointed) working database over the published one, atomically."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = db_path.with_name(f".{db_path.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(work_path, tmp)
        _fsync(tmp)
        os.replace(tmp, db_path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(db_path.parent)


def restore_work_copy(work_path: Path, db_path: Path) -> None:
    """Throw the working copy away and start again from the published file (or from nothing)."""
    for path in (work_path, work_path.with_name(work_path.name + ".wal")):
        path.unlink(missing_ok=True)
    if db_path.exists():
        tmp = work_path.with_name(f".{work_path.name}.{os.getpid()}.tmp")
        shutil.copyfile(db_path, tmp)
        os.replace(tmp, work_path)


def ensure_work_copy(work_path: Path, db_path: Path) -> None:
    """Start the working copy from the published file when only the published one exists (a restore)."""
    if not work_path.exists() and db_path.exists():
        shutil.copyfile(db_path, work_path)
    for stale in db_path.parent.glob(f".{db_path.name}.*.tmp"):
        # a publish killed between copy and rename leaves its temporary file behind
        pid = stale.name.split(".")[-2]
        if pid.isdigit() and not pid_alive(int(pid)):
            stale.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
