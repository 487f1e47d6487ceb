"""The command line: help for every command, read-only SQL, status, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.fake_ctgov import FakeCtGov
from tests.synthetic import landscape_corpus
from tracker import api
from tracker.cli import cli
from tracker.config import Settings
from tracker.scope import ScopeQuery


@pytest.fixture
def db_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings = Settings(db_path=tmp_path / "tracker.duckdb", max_rpm=0)
    scope = [ScopeQuery("everything", "user", (("query.term", "x"),))]
    assert api.run_refresh(settings, scope=scope, transport=FakeCtGov(landscape_corpus()).transport()).status == \
        "succeeded"
    monkeypatch.setenv("TRACKER_DB", str(settings.db_path))
    return settings.db_path


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output


def test_sql_reads_the_public_views(db_env: Path) -> None:
    result = CliRunner().invoke(cli, ["sql", "select nct_id, phase from trials where in_landscape order by nct_id",
                                      "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "nct_id,phase" and lines[1].startswith("NCT90000101,")
    result = CliRunner().invoke(cli, ["sql", "select count(*) as n from refresh_runs", "--format", "json"])
    assert json.loads(result.output) == [{"n": 1}]


@pytest.mark.parametrize("statement", [
    pytest.param("insert into meta.state values ('x', 'y')", id="insert"),
    pytest.param("delete from core.trials", id="delete"),
    pytest.param("create table x as select 1", id="create"),
    pytest.param("drop view trials", id="drop"),
    pytest.param("copy (select 1) to '/tmp/tracker-out.csv'", id="copy-to-file"),
    pytest.param("attach '/tmp/other.duckdb' as other", id="attach"),
    pytest.param("install httpfs", id="install"),
    pytest.param("set enable_external_access = true", id="set"),
    pytest.param("select * from read_csv('/etc/passwd')", id="read-file"),
    pytest.param("select * from read_json('https://clinicaltrials.gov/api/v2/version')", id="read-network"),
    pytest.param("select 1; delete from core.trials", id="second-statement"),
])
def test_sql_refuses_writes_files_and_network(db_env: Path, statement: str) -> None:
    result = CliRunner().invoke(cli, ["sql", statement])
    assert result.exit_code == 1
    message = result.output.strip()
    assert message.startswith("Error: ") and "\n" not in message
    assert "read-only" in message or "refused" in message or "disabled" in message.lower(), message
    assert not Path("/tmp/tracker-out.csv").exists()


def test_sql_errors_are_one_line(db_env: Path) -> None:
    result = CliRunner().invoke(cli, ["sql", "select no_such_column from trials"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: SQL error:") and result.output.count("\n") == 1


def test_sql_without_a_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "none.duckdb"))
    result = CliRunner().invoke(cli, ["sql", "select 1"])
    assert result.exit_code == 1 and "run `tracker refresh`" in result.output


def test_status_reports_holdings_and_runs(db_env: Path) -> None:
    result = CliRunner().invoke(cli, ["status"])
    assert result.exit_code == 0, result.output
    assert "trials in scope: 9" in result.output
    assert "last successful run: 1 (full)" in result.output
    assert "demo data: synthetic records" in result.output
    assert "daemon: not running" in result.output
    data = json.loads(CliRunner().invoke(cli, ["status", "--json"]).output)
    assert data["trials_in_scope"] == 9 and data["runs"][0]["status"] == "succeeded"


def test_settings_lists_every_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_MAX_RPM", "30")
    result = CliRunner().invoke(cli, ["settings"])
    assert "TRACKER_MAX_RPM = 30 (from environment)" in result.output
    assert "TRACKER_SCHEDULE = 30 14 * * mon-fri" in result.output


def test_json_logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    import logging

    from tracker import logs

    logs.configure("INFO", "json")
    logging.getLogger("tracker.test").info("hello %s", "world")
    line = capfd.readouterr().err.strip().splitlines()[-1]
    assert json.loads(line)["message"] == "hello world"
    logs.configure("WARNING", "text")
