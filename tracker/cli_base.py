"""What every `tracker` command shares: one-line errors with their exit status, the settings, option bounds."""

from __future__ import annotations

import errno
import functools
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import click

from tracker import failures, logs
from tracker.config import Settings
from tracker.errors import TrackerError

F = TypeVar("F", bound=Callable[..., Any])
# large enough for any real use, small enough for DuckDB's BIGINT LIMIT
MANY = 1_000_000_000


def failure(message: str, status: int) -> click.ClickException:
    """One line on stderr and an exit status (tracker.failures); click reads the status from the class."""
    kind: type[click.ClickException] = type(f"Failure{status}", (click.ClickException,), {"exit_code": status})
    return kind(message)


class TrackerGroup(click.Group):
    """The safety net: whatever a command raises ends as one line on stderr, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # a closed pipe (`tracker sql … | head`): click exits quietly
                raise
            raise failure(*failures.describe(exc)) from None
        except (Exception, KeyboardInterrupt) as exc:
            raise failure(*failures.describe(exc)) from None


def handle_errors(func: F) -> F:
    """Turn every TrackerError into a one-line message and exit status 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TrackerError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def load_settings() -> Settings:
    settings = Settings.from_env()
    logs.configure(settings.log_level, settings.log_format)
    return settings


def json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
