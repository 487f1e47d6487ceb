"""What the command line says about an exception no command turned into a TrackerError: one line, a status.

A DuckDB or operating-system error (a full disk, a permission) is about the environment: exit status 1
like every TrackerError. Anything else is a bug: exit status 2, and the traceback is logged at DEBUG.
"""

from __future__ import annotations

import logging

from tracker import db

log = logging.getLogger("tracker.cli")
INTERRUPTED = ("interrupted", 130)  # the shell's status for a process ended by SIGINT


def describe(exc: BaseException) -> tuple[str, int]:
    """(message, exit status) for an exception that reached the command line."""
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED
    if db.is_duckdb_error(exc):
        # e.g. IO Error: No space left on device, from a statement no command expected to fail
        return f"database error: {first_line(exc)}", 1
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or first_line(exc)}{where}", 1
    log.debug("unexpected error", exc_info=exc)
    return (f"unexpected {type(exc).__name__}: {first_line(exc)} (this is a bug; run with TRACKER_LOG_LEVEL=DEBUG "
            "for the traceback)", 2)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
