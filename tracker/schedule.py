"""TRACKER_SCHEDULE as an APScheduler trigger: a 5-field cron expression or `every <n>s|m|h`, in UTC.

The daemon runs it and config.py checks it with the same parser, so a schedule accepted at start is one
the daemon can run.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tracker.errors import ConfigError

INTERVAL = re.compile(r"every\s+(\d+(?:\.\d+)?)\s*([smh])", re.ASCII)
MIN_INTERVAL = timedelta(seconds=1)
MAX_INTERVAL = timedelta(days=366)


def make_trigger(schedule: str) -> BaseTrigger:
    """A cron trigger (5 fields, UTC) or an interval trigger for `every <n>s|m|h`; ConfigError if neither."""
    match = INTERVAL.fullmatch(schedule.strip())
    if match:
        seconds = float(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]
        # past a leap year it is a typo, and a huge one would overflow timedelta inside the scheduler
        if not MIN_INTERVAL.total_seconds() <= seconds <= MAX_INTERVAL.total_seconds():
            raise ConfigError("TRACKER_SCHEDULE", f"interval must be from 1 s to {MAX_INTERVAL.days} days, "
                                                  f"got {_shown(schedule)}")
        return IntervalTrigger(seconds=seconds, timezone=UTC)
    fields = schedule.split()
    if len(fields) != 5:
        raise ConfigError("TRACKER_SCHEDULE",
                          f"must be a 5-field cron expression or 'every <n>s|m|h', got {_shown(schedule)}")
    try:
        trigger = CronTrigger.from_crontab(" ".join([*fields[:4], crontab_weekdays(fields[4])]), timezone=UTC)
    except ValueError as exc:
        raise ConfigError("TRACKER_SCHEDULE",
                          f"not a valid cron expression ({str(exc)[:120]}): {_shown(schedule)}") from None
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise ConfigError("TRACKER_SCHEDULE", f"{_shown(schedule)} never fires (no such date)")
    return trigger


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NUMERIC_WEEKDAYS = re.compile(r"(\*|\d{1,2})(?:-(\d{1,2}))?(?:/(\d{1,2}))?", re.ASCII)


def crontab_weekdays(expr: str) -> str:
    """A day-of-week field with crontab's numbers (0 and 7 = Sunday) written as names.

    APScheduler reads 0 as Monday, so `1-5` would run Tuesday to Saturday; names mean the same to both.
    Anything that is not plain numbers is left for APScheduler to read or reject.
    """
    days: list[str] = []
    for part in expr.split(","):
        match = _NUMERIC_WEEKDAYS.fullmatch(part)
        if not match or part == "*":
            days.append(part)
            continue
        start, end, step = match.groups()
        low = 0 if start == "*" else int(start)
        high = 7 if start == "*" or (step and not end) else int(end or start)
        if start == "*" and end or high > 7 or low > high or step == "0" or (step and int(step) > 7):
            days.append(part)
            continue
        days.extend(_WEEKDAYS[day % 7] for day in range(low, high + 1, int(step or 1)))
    return ",".join(dict.fromkeys(days))


def _shown(value: str, limit: int = 80) -> str:
    return repr(value) if len(value) <= limit else f"{value[:limit]!r}… ({len(value)} characters)"
