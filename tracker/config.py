"""Settings: one frozen object built at the edge from TRACKER_* environment variables."""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tracker.errors import ConfigError

DEFAULT_CTGOV_URL = "https://clinicaltrials.gov/api/v2"
DEFAULT_HISTORY_URL = "https://clinicaltrials.gov/api/int"
# CT.gov posts weekdays by ~14:00 UTC; half an hour later the day's data is safely there
DEFAULT_SCHEDULE = "30 14 * * mon-fri"
# the base URL is part of every request's URL, whose whole length must stay near 2,000 characters
MAX_URL_CHARS = 200
MAX_INPUT_FILE_BYTES = 16 * 1024 * 1024  # a scope file or catalogue is a few KB; more is a wrong file
MAX_FILE_NAME_BYTES = 255  # one path component on every common filesystem
MEMORY = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(kb|mb|gb|tb|kib|mib|gib|tib|%)\s*", re.ASCII | re.IGNORECASE)
MEMORY_UNITS = {"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 2.0**10, "mib": 2.0**20, "gib": 2.0**30,
                "tib": 2.0**40}
# below this a refresh cannot hold one batch of pages; above it DuckDB refuses the value
MIN_MEMORY_BYTES = 64e6
MAX_MEMORY_BYTES = 1e15
# what a refresh holds outside DuckDB at its peak (a batch of pages queued beside the one loading, a chunk
# of classification frames, the interpreter): DuckDB gets the rest of TRACKER_DUCKDB_MEMORY, so the
# process stays near the setting at any corpus size (with all of it, 100,000 studies peaked at 1.78 GB)
REFRESH_HELD_BYTES = 400e6
HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
                      r"(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?", re.ASCII)


@dataclass(frozen=True)
class Bounds:
    """The sane range of a number setting; `off` is one more value accepted outside it (0 = throttle off)."""

    low: float
    high: float
    unit: str = ""
    off: float | None = None

    def problem(self, value: float) -> str | None:
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be a finite number, got {value}"
        if value == self.off or self.low <= value <= self.high:
            return None
        also = f" (or {self.off:g} to turn it off)" if self.off is not None else ""
        return f"must be between {self.low:g} and {self.high:g}{self.unit}{also}, got {_shown(value)}"


def _setting(env: str, help: str, default: Any, bounds: Bounds | None = None) -> Any:
    return field(default=default, metadata={"env": env, "help": help, "bounds": bounds})


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
    ctgov_history_url: str = _setting(
        "TRACKER_CTGOV_HISTORY_URL",
        "Base URL of CT.gov's per-study version history (the website's own endpoints, used by `tracker history`).",
        DEFAULT_HISTORY_URL,
    )
    max_rpm: float = _setting(
        "TRACKER_MAX_RPM", "Client-side throttle in requests per minute (0.01-10000); 0 turns it off.", 50.0,
        Bounds(0.01, 10_000, off=0.0),
    )
    retries: int = _setting(
        "TRACKER_RETRIES", "Attempts per request before giving up (429, 5xx, timeouts, resets, bad bodies); 1-100.",
        8, Bounds(1, 100),
    )
    backoff: float = _setting(
        "TRACKER_BACKOFF",
        "First retry wait in seconds (0-120); doubles per attempt with jitter, capped at 120 s.", 2.0,
        Bounds(0, 120, " s"),
    )
    timeout: float = _setting(
        "TRACKER_TIMEOUT",
        "Seconds one HTTP request may take in all, however slowly the server sends (0.1-3600).", 60.0,
        Bounds(0.1, 3600, " s"),
    )
    overlap_days: int = _setting(
        "TRACKER_OVERLAP_DAYS",
        "Incremental window overlap: re-ask for studies posted this many days before the newest one held (0-365).",
        2, Bounds(0, 365, " days"),
    )
    full_every_days: float = _setting(
        "TRACKER_FULL_EVERY_DAYS",
        "Run a full reconciliation (finds trials that left the scope) when the last one is older than this "
        "(0.01-3650 days).",
        7.0, Bounds(0.01, 3650, " days"),
    )
    scope_file: Path | None = _setting(
        "TRACKER_SCOPE", "Optional TOML file with extra CT.gov queries and NCT ID lists to track.", None
    )
    catalogue_file: Path | None = _setting(
        "TRACKER_CATALOGUE", "Agent catalogue TOML; defaults to the bundled tracker/catalogue/data/agents.toml.", None
    )
    severity_file: Path | None = _setting(
        "TRACKER_SEVERITY_RULES",
        "Severity rules TOML for detected changes; defaults to the bundled tracker/changes/severity.toml.", None
    )
    memory_limit: str = _setting(
        "TRACKER_DUCKDB_MEMORY",
        "DuckDB memory limit for `tracker sql`, and a refresh's memory: DuckDB gets it less 400MB for what the "
        "refresh holds outside it; relabelling 100,000 trials after a catalogue edit needs 2GB. A size such as "
        "`1GB`, `512MiB` (at least 64MB), or `1%`-`100%` of RAM.",
        "1GB",
    )
    sql_timeout: float = _setting(
        "TRACKER_SQL_TIMEOUT", "Seconds an ad-hoc `tracker sql` statement may run before it is stopped (0.01-86400).",
        60.0, Bounds(0.01, 86_400, " s"),
    )
    history_per_run: int = _setting(
        "TRACKER_HISTORY_PER_RUN",
        "The daemon backfills CT.gov's record history of this many landscape trials after each refresh; "
        "0 turns it off.",
        0,
    )
    feed_severity: str = _setting(
        "TRACKER_FEED_SEVERITY", "Lowest severity of the changes written to the Atom feed and sent to the hook.",
        "major",
    )
    changes_hook: str | None = _setting(
        "TRACKER_CHANGES_HOOK",
        "Shell command run after each refresh with its new changes (at or above TRACKER_FEED_SEVERITY) as JSON "
        "on stdin; a failing hook is logged, never fails the refresh.",
        None,
    )
    schedule: str = _setting(
        "TRACKER_SCHEDULE",
        "Daemon schedule: a 5-field cron expression in UTC (day-of-week numbers as in crontab, 0 or 7 = Sunday), "
        "or an interval from `every 1s` to `every 8784h`.",
        DEFAULT_SCHEDULE,
    )
    retry_after_failure_minutes: float = _setting(
        "TRACKER_RETRY_MINUTES",
        "After a failed scheduled run, the daemon tries again this many minutes later (1-10080).", 30.0,
        Bounds(1, 10_080, " minutes"),
    )
    host: str = _setting("TRACKER_HOST", "Address the dashboard binds to (an IP address or a host name).",
                         "127.0.0.1")
    port: int = _setting("TRACKER_PORT", "Dashboard port (1-65535).", 8501, Bounds(1, 65_535))
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
    def feed_path(self) -> Path:
        """The Atom feed of changes, written beside the database after every successful refresh."""
        return self.db_path.with_name(self.db_path.stem + ".changes.atom")

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
                values[f.name] = _parse(env, environ[env], f.default, str(f.type))
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Reject values that parse but make no sense, so that every command fails early with one line."""
        for f in dataclasses.fields(self):
            bounds: Bounds | None = f.metadata["bounds"]
            problem = bounds.problem(getattr(self, f.name)) if bounds is not None else None
            if problem:
                raise ConfigError(f.metadata["env"], problem)
        _check_url(self.ctgov_url)
        _check_host(self.host)
        _check_memory(self.memory_limit)
        _check_db_path(self)
        for env, path in (("TRACKER_SCOPE", self.scope_file), ("TRACKER_CATALOGUE", self.catalogue_file),
                          ("TRACKER_SEVERITY_RULES", self.severity_file)):
            if path is not None:
                check_input_file(env, path)
        if self.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError("TRACKER_LOG_LEVEL",
                              f"must be one of DEBUG, INFO, WARNING, ERROR, got {_shown(self.log_level)}")
        if self.feed_severity not in {"critical", "major", "minor"}:
            raise ConfigError("TRACKER_FEED_SEVERITY", f"must be critical, major or minor, got {self.feed_severity!r}")
        if not 0 <= self.history_per_run <= 10_000:
            raise ConfigError("TRACKER_HISTORY_PER_RUN", f"must be between 0 and 10000, got {self.history_per_run}")
        if not self.ctgov_history_url.startswith(("http://", "https://")):
            raise ConfigError("TRACKER_CTGOV_HISTORY_URL",
                              f"must start with http:// or https://, got {self.ctgov_history_url!r}")
        if self.log_format not in {"text", "json"}:
            raise ConfigError("TRACKER_LOG_FORMAT", f"must be text or json, got {_shown(self.log_format)}")
        # the daemon's own parser, so that a schedule accepted here is one the daemon can run (imported
        # here: apscheduler is slow to import, and only a check of the settings needs it)
        from tracker.schedule import make_trigger

        make_trigger(self.schedule)


def settings_table() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting, in declaration order."""
    rows = []
    for f in dataclasses.fields(Settings):
        default = "(none)" if f.default is None else str(f.default)
        rows.append((f.metadata["env"], default, f.metadata["help"]))
    return rows


def check_input_file(name: str, path: Path) -> None:
    """A TOML input must be a readable regular UTF-8 file of sane size; else one line naming it and why."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ConfigError(name, f"{_shown(str(path))} is a directory, not a TOML file")
        if not stat.S_ISREG(info.st_mode):
            # a FIFO or a device such as /dev/zero would block or never end
            raise ConfigError(name, f"{_shown(str(path))} is not a regular file")
        if info.st_size > MAX_INPUT_FILE_BYTES:
            raise ConfigError(name, f"{_shown(str(path))} is {info.st_size:,} bytes, more than the "
                                    f"{MAX_INPUT_FILE_BYTES // 2**20} MiB a TOML input may have")
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(name, f"cannot read {_shown(str(path))}: {exc.strerror or exc}") from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(name, f"{_shown(str(path))} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                                f"{exc.start}); it must be a TOML file") from None


def _check_url(url: str) -> None:
    name = "TRACKER_CTGOV_URL"
    if len(url) > MAX_URL_CHARS:
        raise ConfigError(name, f"must be at most {MAX_URL_CHARS} characters (it starts every request URL), "
                                f"got {len(url)}")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise ConfigError(name, f"must not contain spaces or control characters, got {_shown(url)}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(name, f"is not a valid URL ({exc}): {_shown(url)}") from None
    if parts.scheme not in {"http", "https"}:
        raise ConfigError(name, f"must start with http:// or https://, got {_shown(url)}")
    if not parts.hostname or not _valid_host(parts.hostname):
        raise ConfigError(name, f"must name a host (ASCII name or IP address) after {parts.scheme}://, "
                                f"got {_shown(url)}")
    if port == 0:
        raise ConfigError(name, f"port must be 1-65535, got {_shown(url)}")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ConfigError(name, f"must be a base URL without ?query or #fragment, got {_shown(url)}")


def _check_host(host: str) -> None:
    if not _valid_host(host.removeprefix("[").removesuffix("]")):
        raise ConfigError("TRACKER_HOST", f"must be an IP address or a host name (ASCII letters, digits, '-', '.'), "
                                          f"got {_shown(host)}")


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    # all-numeric names are malformed IPv4 addresses (127.0.0.1.5), not host names
    return bool(HOSTNAME.fullmatch(host)) and not re.fullmatch(r"[0-9.]+", host)


def refresh_memory_limit(value: str) -> str:
    """DuckDB's memory limit in a refresh: the setting less REFRESH_HELD_BYTES, and at least half of it."""
    match = MEMORY.fullmatch(value)
    if not match:
        return value  # Settings checked it; a value it let through unparsed is DuckDB's to read as is
    number, unit = float(match.group(1)), match.group(2).lower()
    if unit == "%":
        size = number / 100 * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    else:
        size = number * MEMORY_UNITS[unit]
    return f"{max(size - REFRESH_HELD_BYTES, size / 2, MIN_MEMORY_BYTES) / 1e6:.0f}MB"


def _check_memory(value: str) -> None:
    name = "TRACKER_DUCKDB_MEMORY"
    match = MEMORY.fullmatch(value)
    if not match:
        raise ConfigError(name, f"must be a size such as 1GB, 512MB or 2GiB (units KB, MB, GB, TB, KiB, MiB, GiB, "
                                f"TiB) or a share of RAM such as 50%, got {_shown(value)}")
    number, unit = float(match.group(1)), match.group(2).lower()
    if unit == "%":
        if not 1 <= number <= 100:
            raise ConfigError(name, f"a share of RAM must be 1%-100%, got {_shown(value)}")
        return
    size = number * MEMORY_UNITS[unit]
    if not MIN_MEMORY_BYTES <= size <= MAX_MEMORY_BYTES:
        raise ConfigError(name, f"must be between 64MB (a refresh needs that much) and 1000TB, got {_shown(value)}")


def _check_db_path(settings: Settings) -> None:
    text = str(settings.db_path)
    if any(not c.isprintable() for c in text):
        raise ConfigError("TRACKER_DB", f"must not contain control characters, got {_shown(text)}")
    if settings.db_path.suffix == "":
        raise ConfigError("TRACKER_DB", f"must be a file name such as tracker.duckdb, got {_shown(text)}")
    # the longest name the tracker derives from it is the heartbeat file's
    longest = len(os.fsencode(settings.heartbeat_path.name))
    if longest > MAX_FILE_NAME_BYTES or any(len(os.fsencode(p)) > MAX_FILE_NAME_BYTES for p in settings.db_path.parts):
        raise ConfigError("TRACKER_DB", f"file name too long: with the names derived from it "
                                        f"({settings.heartbeat_path.name[-20:]!r}) it must stay within "
                                        f"{MAX_FILE_NAME_BYTES} bytes, got {_shown(settings.db_path.name)}")


def _parse(env: str, raw: str, default: Any, annotation: str = "") -> Any:
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path) or (default is None and "Path" in annotation):
            if any(not c.isprintable() for c in raw):
                raise ConfigError(env, f"must not contain control characters, got {_shown(raw)}")
            return Path(raw).expanduser()
        return raw
    except ValueError:
        kind = "an integer" if isinstance(default, int) else "a float"
        raise ConfigError(env, f"expected {kind}, got {_shown(raw)}") from None
    except RuntimeError as exc:  # ~unknownuser/… : expanduser cannot find that home directory
        raise ConfigError(env, f"cannot expand {_shown(raw)}: {exc}") from None


def _shown(value: object, limit: int = 80) -> str:
    """A value as it goes into a one-line message: quoted if text, cut when long."""
    if isinstance(value, int) and abs(value) >= 10**limit:
        return f"a {len(str(abs(value)))}-digit number"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"
