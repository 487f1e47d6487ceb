"""Settings from the environment: defaults, parsing, and one-line errors naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.config import DEFAULT_CTGOV_URL, Settings, settings_table
from tracker.errors import ConfigError


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
    pytest.param("TRACKER_MAX_RPM", "-5", "TRACKER_MAX_RPM: must be >= 0", id="rpm-negative"),
    pytest.param("TRACKER_RETRIES", "2.5", "TRACKER_RETRIES: expected a int", id="retries-not-int"),
    pytest.param("TRACKER_RETRIES", "0", "TRACKER_RETRIES: must be >= 1", id="retries-zero"),
    pytest.param("TRACKER_CTGOV_URL", "clinicaltrials.gov", "TRACKER_CTGOV_URL: must start with http", id="url"),
    pytest.param("TRACKER_PORT", "99999", "TRACKER_PORT: must be a TCP port", id="port"),
    pytest.param("TRACKER_SCHEDULE", "daily", "TRACKER_SCHEDULE: must be a 5-field cron", id="cron"),
    pytest.param("TRACKER_SCHEDULE", "every 5 days", "TRACKER_SCHEDULE: must be a 5-field cron", id="interval-unit"),
    pytest.param("TRACKER_LOG_LEVEL", "LOUD", "TRACKER_LOG_LEVEL: must be DEBUG", id="log-level"),
    pytest.param("TRACKER_DB", "data/", "TRACKER_DB: must be a file name", id="db-dir"),
])
def test_bad_values_name_the_variable(env: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({env: value})
    assert str(caught.value).startswith(expected)
    assert "\n" not in str(caught.value)


def test_every_setting_has_an_environment_variable_and_help() -> None:
    rows = settings_table()
    assert len({env for env, _, _ in rows}) == len(rows)
    assert all(env.startswith("TRACKER_") and text for env, _, text in rows)
