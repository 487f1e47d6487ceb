"""Logging setup: readable lines on a terminal, one JSON object per line for daemons and log shippers."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, message, and the exception if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # one line per HTTP request is noise at INFO; retries are logged by the client itself
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # APScheduler logs every job it runs at INFO ("Running job Daemon.beat …", "… executed successfully"),
    # the 10-second heartbeat included: that floods `tracker up` and `tracker daemon`. The tracker logs its own
    # run summaries; the scheduler's lines stay available with TRACKER_LOG_LEVEL=DEBUG.
    quiet = root.getEffectiveLevel() > logging.DEBUG
    logging.getLogger("apscheduler").setLevel(logging.WARNING if quiet else logging.NOTSET)
