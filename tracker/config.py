"""Settings: one frozen object built at the edge from TRACKER_* environment variables."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.errors import ConfigError

DEFAULT_CTGOV_URL = "https://clinicaltrials.gov/api/v2"
# CT.gov posts weekdays by ~14:00 UTC; half an hour later the day's data is safely there
DEFAULT_SCHEDULE = "30 14 * * mon-fri"
INTERVAL = re.compile(r"every\s+(\d+(?:\.\d+)?)\s*([smh])")


def _setting(env: str, help: str, default: Any) -> Any:
    return field(default=default, metadata={"env": env, "help": help})


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every tunable of the tracker; the README's configuration table lists the same fields."""

    db_path: Path = _setting(
        "TRACKER_DB",
        "Published database: the file the dashboard, `tracker sql` and your own DuckDB client read. "
        "Refreshes write a working copy beside it and publish it atomically.",
        Path("data/tracker.duckdb"),
    )
    ctgov_url: str = _setting(
        "TRACKER_CTGOV_URL", "CT.gov API v2 base URL (a mirror or the offline stand-in also work).",
        DEFAULT_CTGOV_URL,
    )
    max_rpm: float = _setting(
        "TRACKER_MAX_RPM", "Client-side throttle in requests per minute; 0 turns it off.", 50.0
    )
    retries: int = _setting(
        "TRACKER_RETRIES", "Attempts per request before giving up (429, 5xx, timeouts, resets, bad bodies).", 8
    )
    backoff: float = _setting(
        "TRACKER_BACKOFF", "First retry wait in seconds; doubles per attempt with jitter, capped at 120 s.", 2.0
    )
    timeout: float = _setting("TRACKER_TIMEOUT", "Seconds before one HTTP request times out.", 60.0)
    overlap_days: int = _setting(
        "TRACKER_OVERLAP_DAYS",
        "Incremental window overlap: re-ask for studies posted this many days before the newest one held.",
        2,
    )
    full_every_days: float = _setting(
        "TRACKER_FULL_EVERY_DAYS",
        "Run a full reconciliation (finds trials that left the scope) when the last one is older than this.",
        7.0,
    )
    scope_file: Path | None = _setting(
        "TRACKER_SCOPE", "Optional TOML file with extra CT.gov queries and NCT ID lists to track.", None
    )
    catalogue_file: Path | None = _setting(
        "TRACKER_CATALOGUE", "Agent catalogue TOML; defaults to the bundled tracker/catalogue/agents.toml.", None
    )
    memory_limit: str = _setting(
        "TRACKER_DUCKDB_MEMORY", "DuckDB memory limit for refreshes and for `tracker sql` (DuckDB size syntax).",
        "1GB",
    )
    sql_timeout: float = _setting(
        "TRACKER_SQL_TIMEOUT", "Seconds an ad-hoc `tracker sql` statement may run before it is stopped.", 60.0
    )
    schedule: str = _setting(
        "TRACKER_SCHEDULE", "Daemon schedule: a 5-field cron expression in UTC, or an interval such as `every 6h`.",
        DEFAULT_SCHEDULE,
    )
    retry_after_failure_minutes: float = _setting(
        "TRACKER_RETRY_MINUTES", "After a failed scheduled run, the daemon tries again this many minutes later.",
        30.0,
    )
    host: str = _setting("TRACKER_HOST", "Address the dashboard binds to.", "127.0.0.1")
    port: int = _setting("TRACKER_PORT", "Dashboard port.", 8501)
    log_level: str = _setting("TRACKER_LOG_LEVEL", "Logging level (DEBUG, INFO, WARNING, ERROR).", "INFO")
    log_format: str = _setting(
        "TRACKER_LOG_FORMAT", "Log lines as `text`, or `json` (one object per line, for the daemon's log shipper).",
        "text",
    )

    @property
    def work_path(self) -> Path:
        """The private working database that refreshes write before publishing."""
        return self.db_path.with_name(self.db_path.stem + ".work" + self.db_path.suffix)

    @property
    def lock_path(self) -> Path:
        return self.db_path.with_name(self.db_path.stem + ".lock")

    @property
    def heartbeat_path(self) -> Path:
        return self.db_path.with_name(self.db_path.stem + ".daemon.json")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from TRACKER_* variables; a malformed value raises ConfigError naming it."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            env = f.metadata["env"]
            if env in environ and environ[env] != "":
                values[f.name] = _parse(env, environ[env], f.default)
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Reject values that parse but make no sense."""
        if self.max_rpm < 0:
            raise ConfigError("TRACKER_MAX_RPM", f"must be >= 0 (0 turns the throttle off), got {self.max_rpm:g}")
        if self.retries < 1:
            raise ConfigError("TRACKER_RETRIES", f"must be >= 1, got {self.retries}")
        if self.backoff < 0:
            raise ConfigError("TRACKER_BACKOFF", f"must be >= 0 seconds, got {self.backoff:g}")
        if self.timeout <= 0:
            raise ConfigError("TRACKER_TIMEOUT", f"must be > 0 seconds, got {self.timeout:g}")
        if self.overlap_days < 0:
            raise ConfigError("TRACKER_OVERLAP_DAYS", f"must be >= 0, got {self.overlap_days}")
        if self.full_every_days <= 0:
            raise ConfigError("TRACKER_FULL_EVERY_DAYS", f"must be > 0, got {self.full_every_days:g}")
        if not self.ctgov_url.startswith(("http://", "https://")):
            raise ConfigError("TRACKER_CTGOV_URL", f"must start with http:// or https://, got {self.ctgov_url!r}")
        if not 0 < self.port < 65536:
            raise ConfigError("TRACKER_PORT", f"must be a TCP port (1-65535), got {self.port}")
        if self.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError("TRACKER_LOG_LEVEL", f"must be DEBUG, INFO, WARNING or ERROR, got {self.log_level!r}")
        if self.log_format not in {"text", "json"}:
            raise ConfigError("TRACKER_LOG_FORMAT", f"must be text or json, got {self.log_format!r}")
        if self.db_path.suffix == "":
            raise ConfigError("TRACKER_DB", f"must be a file name such as tracker.duckdb, got {str(self.db_path)!r}")
        if len(self.schedule.split()) != 5 and not INTERVAL.fullmatch(self.schedule.strip()):
            raise ConfigError("TRACKER_SCHEDULE",
                              f"must be a 5-field cron expression or 'every <n>s|m|h', got {self.schedule!r}")


def settings_table() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting, in declaration order."""
    rows = []
    for f in dataclasses.fields(Settings):
        default = "(none)" if f.default is None else str(f.default)
        rows.append((f.metadata["env"], default, f.metadata["help"]))
    return rows


def _parse(env: str, raw: str, default: Any) -> Any:
    kind = type(default)
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path) or default is None:
            return Path(raw).expanduser()
        return raw
    except ValueError:
        raise ConfigError(env, f"expected a {kind.__name__}, got {raw!r}") from None
