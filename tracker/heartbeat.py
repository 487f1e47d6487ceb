"""The daemon's heartbeat file: written atomically by the daemon, read by `tracker status` and the dashboard."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tracker import files

HEARTBEAT_SECONDS = 10.0


_write_lock = threading.Lock()


def write(path: Path, data: dict[str, Any]) -> None:
    """Replace the heartbeat in one rename, so a reader never sees half of it; a DatabaseError if it cannot be."""
    # one writer at a time (the daemon beats from its scheduler threads and its main thread), own temp file
    with _write_lock:
        tmp: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp",
                                             delete=False, encoding="utf-8") as handle:
                tmp = handle.name
                handle.write(json.dumps(data, indent=1))
            os.replace(tmp, path)
        except OSError as exc:
            if tmp is not None:
                # a full disk must not also be left holding half-written heartbeats
                Path(tmp).unlink(missing_ok=True)
            raise files.write_error(exc, path, outcome="") from None


def read(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def is_alive(data: dict[str, Any] | None, now: datetime | None = None) -> bool:
    """Alive means: not stopped, beat within three intervals, and its process still exists."""
    if not data or data.get("state") == "stopped":
        return False
    now = now or datetime.now(UTC)
    try:
        beat = datetime.fromisoformat(str(data["beat_at"]))
        pid = int(data["pid"])
    except (KeyError, ValueError):
        return False
    if now - beat > timedelta(seconds=3 * float(data.get("beat_every_seconds", HEARTBEAT_SECONDS))):
        return False
    return pid_alive(pid)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (it may belong to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
