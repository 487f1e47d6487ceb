"""Settings from the environment: defaults, parsing, bounds, and one-line errors naming the variable."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import httpx
import pytest

from tracker.config import DEFAULT_CTGOV_URL, Settings, settings_table
from tracker.errors import ConfigError
from tracker.schedule import make_trigger


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.db_path == Path("data/tracker.duckdb")
    assert settings.ctgov_url == DEFAULT_CTGOV_URL == "https://clinicaltrials.gov/api/v2"
    assert settings.max_rpm == 50
    assert settings.work_path == Path("data/tracker.work.duckdb")


def test_values_are_parsed() -> None:
    settings = Settings.from_env({"TRACKER_MAX_RPM": "0", "TRACKER_DB": "/tmp/x/t.duckdb",
                                  "TRACKER_CTGOV_URL": "http://127.0.0.1:9/api/v2", "TRACKER_RETRIES": "3"})
    assert settings.max_rpm == 0
    assert settings.db_path == Path("/tmp/x/t.duckdb")
    assert settings.retries == 3


@pytest.mark.parametrize(("env", "value", "expected"), [
    pytest.param("TRACKER_MAX_RPM", "fast", "TRACKER_MAX_RPM: expected a float, got 'fast'", id="rpm-not-number"),
    pytest.param("TRACKER_MAX_RPM", "-5", "TRACKER_MAX_RPM: must be between 0.01 and 10000", id="rpm-negative"),
    pytest.param("TRACKER_MAX_RPM", "1e-300", "TRACKER_MAX_RPM: must be between 0.01 and 10000", id="rpm-tiny"),
    pytest.param("TRACKER_MAX_RPM", "nan", "TRACKER_MAX_RPM: must be a finite number", id="rpm-nan"),
    pytest.param("TRACKER_RETRIES", "2.5", "TRACKER_RETRIES: expected an integer", id="retries-not-int"),
    pytest.param("TRACKER_RETRIES", "0", "TRACKER_RETRIES: must be between 1 and 100", id="retries-zero"),
    pytest.param("TRACKER_RETRIES", "9" * 5000, "TRACKER_RETRIES: expected an integer", id="retries-5000-digits"),
    pytest.param("TRACKER_RETRIES", "9" * 300, "TRACKER_RETRIES: must be between 1 and 100, got a 300-digit",
                 id="retries-300-digits"),
    pytest.param("TRACKER_BACKOFF", "nan", "TRACKER_BACKOFF: must be a finite number", id="backoff-nan"),
    pytest.param("TRACKER_BACKOFF", "inf", "TRACKER_BACKOFF: must be a finite number", id="backoff-inf"),
    pytest.param("TRACKER_BACKOFF", "121", "TRACKER_BACKOFF: must be between 0 and 120 s", id="backoff-huge"),
    pytest.param("TRACKER_TIMEOUT", "nan", "TRACKER_TIMEOUT: must be a finite number", id="timeout-nan"),
    pytest.param("TRACKER_TIMEOUT", "inf", "TRACKER_TIMEOUT: must be a finite number", id="timeout-inf"),
    pytest.param("TRACKER_TIMEOUT", "0", "TRACKER_TIMEOUT: must be between 0.1 and 3600 s", id="timeout-zero"),
    pytest.param("TRACKER_OVERLAP_DAYS", "366", "TRACKER_OVERLAP_DAYS: must be between 0 and 365", id="overlap"),
    pytest.param("TRACKER_FULL_EVERY_DAYS", "1e10", "TRACKER_FULL_EVERY_DAYS: must be between", id="full-huge"),
    pytest.param("TRACKER_SQL_TIMEOUT", "-inf", "TRACKER_SQL_TIMEOUT: must be a finite number", id="sql-timeout"),
    pytest.param("TRACKER_RETRY_MINUTES", "-1", "TRACKER_RETRY_MINUTES: must be between 1 and 10080",
                 id="retry-minutes-negative"),
    pytest.param("TRACKER_CTGOV_URL", "clinicaltrials.gov", "TRACKER_CTGOV_URL: must start with http", id="url"),
    pytest.param("TRACKER_CTGOV_URL", "http://[::1", "TRACKER_CTGOV_URL: is not a valid URL", id="url-ipv6"),
    pytest.param("TRACKER_CTGOV_URL", "http://", "TRACKER_CTGOV_URL: must name a host", id="url-no-host"),
    pytest.param("TRACKER_CTGOV_URL", "http:// x/api", "TRACKER_CTGOV_URL: must not contain spaces", id="url-space"),
    pytest.param("TRACKER_CTGOV_URL", "ftp://x/api", "TRACKER_CTGOV_URL: must start with http", id="url-ftp"),
    pytest.param("TRACKER_CTGOV_URL", "gopher://x", "TRACKER_CTGOV_URL: must start with http", id="url-scheme"),
    pytest.param("TRACKER_CTGOV_URL", "http://x:99999/", "TRACKER_CTGOV_URL: is not a valid URL", id="url-port"),
    pytest.param("TRACKER_CTGOV_URL", "http://x/api?a=1", "TRACKER_CTGOV_URL: must be a base URL", id="url-query"),
    pytest.param("TRACKER_CTGOV_URL", "http://exämple.org/", "TRACKER_CTGOV_URL: must name a host", id="url-idn"),
    pytest.param("TRACKER_PORT", "99999", "TRACKER_PORT: must be between 1 and 65535", id="port"),
    pytest.param("TRACKER_HOST", "a host", "TRACKER_HOST: must be an IP address or a host name", id="host"),
    pytest.param("TRACKER_SCHEDULE", "daily", "TRACKER_SCHEDULE: must be a 5-field cron", id="cron"),
    pytest.param("TRACKER_SCHEDULE", "every 5 days", "TRACKER_SCHEDULE: must be a 5-field cron", id="interval-unit"),
    pytest.param("TRACKER_SCHEDULE", "every 99999999999999999999h", "TRACKER_SCHEDULE: interval must be from 1 s",
                 id="interval-overflow"),
    pytest.param("TRACKER_SCHEDULE", "every 0s", "TRACKER_SCHEDULE: interval must be from 1 s", id="interval-zero"),
    pytest.param("TRACKER_SCHEDULE", "61 * * * *", "TRACKER_SCHEDULE: not a valid cron expression", id="cron-61"),
    pytest.param("TRACKER_SCHEDULE", "0 0 31 2 *", "TRACKER_SCHEDULE: '0 0 31 2 *' never fires", id="cron-feb-31"),
    pytest.param("TRACKER_LOG_LEVEL", "LOUD", "TRACKER_LOG_LEVEL: must be one of DEBUG", id="log-level"),
    pytest.param("TRACKER_LOG_FORMAT", "xml", "TRACKER_LOG_FORMAT: must be text or json", id="log-format"),
    pytest.param("TRACKER_DB", "data/", "TRACKER_DB: must be a file name", id="db-dir"),
    pytest.param("TRACKER_DB", "x" * 250 + ".duckdb", "TRACKER_DB: file name too long", id="db-long-name"),
    pytest.param("TRACKER_DB", "data/t\n.duckdb", "TRACKER_DB: must not contain control characters", id="db-newline"),
    pytest.param("TRACKER_DB", "~nosuchuser9/t.duckdb", "TRACKER_DB: cannot expand", id="db-unknown-home"),
    pytest.param("TRACKER_DUCKDB_MEMORY", "lots", "TRACKER_DUCKDB_MEMORY: must be a size", id="memory-word"),
    pytest.param("TRACKER_DUCKDB_MEMORY", "1PB", "TRACKER_DUCKDB_MEMORY: must be a size", id="memory-unit"),
    pytest.param("TRACKER_DUCKDB_MEMORY", "1KB", "TRACKER_DUCKDB_MEMORY: must be between 64MB", id="memory-tiny"),
    pytest.param("TRACKER_DUCKDB_MEMORY", "-1", "TRACKER_DUCKDB_MEMORY: must be a size", id="memory-unlimited"),
    pytest.param("TRACKER_DUCKDB_MEMORY", "150%", "TRACKER_DUCKDB_MEMORY: a share of RAM must be", id="memory-150%"),
    pytest.param("TRACKER_SCOPE", "/nonexistent/scope.toml", "TRACKER_SCOPE: cannot read", id="scope-missing"),
    pytest.param("TRACKER_SCOPE", "/", "TRACKER_SCOPE: '/' is a directory", id="scope-directory"),
    pytest.param("TRACKER_CATALOGUE", "/dev/zero", "TRACKER_CATALOGUE: '/dev/zero' is not a regular file",
                 id="catalogue-device"),
])
def test_bad_values_name_the_variable(env: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({env: value})
    assert str(caught.value).startswith(expected), str(caught.value)
    assert "\n" not in str(caught.value)
    assert len(str(caught.value)) < 400


@pytest.mark.parametrize(("env", "value"), [
    ("TRACKER_MAX_RPM", "0"), ("TRACKER_MAX_RPM", "0.01"), ("TRACKER_MAX_RPM", " 10000 "),
    ("TRACKER_RETRIES", "100"), ("TRACKER_BACKOFF", "0"), ("TRACKER_TIMEOUT", "3600"),
    ("TRACKER_OVERLAP_DAYS", "0"), ("TRACKER_FULL_EVERY_DAYS", "0.5"), ("TRACKER_SQL_TIMEOUT", "86400"),
    ("TRACKER_RETRY_MINUTES", "1"), ("TRACKER_PORT", "1"), ("TRACKER_HOST", "::1"), ("TRACKER_HOST", "localhost"),
    ("TRACKER_HOST", "0.0.0.0"), ("TRACKER_CTGOV_URL", "http://[::1]:8080/api/v2"),
    ("TRACKER_CTGOV_URL", "https://user:pw@mirror.example.org:8443/ctgov/api/v2/"),
    ("TRACKER_SCHEDULE", "every 8784h"), ("TRACKER_SCHEDULE", "*/5 * * * *"), ("TRACKER_SCHEDULE", "0 0 29 2 *"),
    ("TRACKER_DUCKDB_MEMORY", "64MB"), ("TRACKER_DUCKDB_MEMORY", " 2 GiB "), ("TRACKER_DUCKDB_MEMORY", "50%"),
    ("TRACKER_DB", "données/essai.duckdb"), ("TRACKER_LOG_LEVEL", "debug"),
])
def test_sane_values_are_accepted(env: str, value: str) -> None:
    Settings.from_env({env: value})


@pytest.mark.parametrize("value", ["1GB", "64MB", "0.5 GB", ".5GB", "1.GB", "512MiB", " 2 GiB ", "1tb", "1000TB",
                                   "1%", "100%"])
def test_every_accepted_memory_limit_is_one_duckdb_accepts(value: str) -> None:
    Settings.from_env({"TRACKER_DUCKDB_MEMORY": value})
    duckdb.connect(config={"memory_limit": value}).close()


@pytest.mark.parametrize("url", ["http://[::1]:8080/api/v2", "https://clinicaltrials.gov/api/v2",
                                 "http://127.0.0.1:9/api/v2", "http://mirror_1.local./ctgov/", "http://X-Y.example:1/"])
def test_every_accepted_url_is_one_httpx_accepts(url: str) -> None:
    Settings.from_env({"TRACKER_CTGOV_URL": url})
    with httpx.Client(base_url=url) as client:
        request = client.build_request("GET", "/version")
    assert request.url.host and request.url.path.endswith("/version")


def test_a_binary_scope_or_catalogue_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    binary = tmp_path / "scope.toml"
    binary.write_bytes(bytes(range(256)) * 4)
    for env in ("TRACKER_SCOPE", "TRACKER_CATALOGUE"):
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({env: str(binary)})
        assert str(caught.value).startswith(f"{env}: '{binary}' is not UTF-8 text (byte 0x80 at offset 128)")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_scope_file_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "scope.toml"
    path.write_text("")
    path.chmod(0)
    with pytest.raises(ConfigError, match="TRACKER_SCOPE: cannot read .*Permission denied"):
        Settings.from_env({"TRACKER_SCOPE": str(path)})


def next_weekdays(schedule: str, count: int = 7) -> list[str]:
    trigger = make_trigger(schedule)
    when = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday
    days = []
    for _ in range(count):
        when = trigger.get_next_fire_time(None, when)
        days.append(when.strftime("%a"))
        when = when.replace(hour=23, minute=59)
    return days


@pytest.mark.parametrize(("schedule", "days"), [
    ("0 12 * * 1-5", ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon", "Tue"]),
    ("0 12 * * mon-fri", ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon", "Tue"]),
    ("0 12 * * 0", ["Sun"] * 3),
    ("0 12 * * 7", ["Sun"] * 3),
    ("0 12 * * */3", ["Wed", "Sat", "Sun", "Wed"]),
    ("0 12 * * 5-7", ["Fri", "Sat", "Sun", "Fri"]),
])
def test_day_of_week_numbers_mean_what_they_mean_in_crontab(schedule: str, days: list[str]) -> None:
    # APScheduler alone reads 0 as Monday: `1-5` would run Tuesday to Saturday
    assert next_weekdays(schedule, len(days)) == days


def test_every_setting_has_an_environment_variable_and_help() -> None:
    rows = settings_table()
    assert len({env for env, _, _ in rows}) == len(rows)
    assert all(env.startswith("TRACKER_") and text for env, _, text in rows)
