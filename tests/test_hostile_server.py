"""Refreshes against servers that lie or stall, over real loopback HTTP: the published landscape never changes.

A hostile or broken answer (a malformed record, a wrong envelope, an answer that empties the landscape)
fails the run with one clear reason and leaves the published database exactly as it was; the next honest
run succeeds. A server that drips its answer is cut off after TRACKER_TIMEOUT seconds per attempt.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.clirun import assert_clean, assert_one_line_error, run_cli
from tests.standin.corpus import synthetic_studies
from tests.standin.hostile import HOSTILE_TEXT, DripServer, HostileStandIn, Hostility
from tracker import api
from tracker.checks import SCOPE_DROP_MIN
from tracker.config import Settings
from tracker.ctgov import CtGov
from tracker.demo.registry import Registry
from tracker.errors import ConfigError, CtGovUnavailable

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[HostileStandIn]:
    with HostileStandIn(Registry(synthetic_studies(500, seed=23))) as standin:
        yield standin


@pytest.fixture(scope="module")
def good_database(server: HostileStandIn, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published database of one honest full run, built once and copied for each test."""
    settings = settings_for(tmp_path_factory.mktemp("good"), server)
    result = api.run_refresh(settings, full=True)
    assert result.status == "succeeded", result.error
    return settings.db_path


@pytest.fixture
def settings(tmp_path: Path, server: HostileStandIn, good_database: Path) -> Iterator[Settings]:
    settings = settings_for(tmp_path, server)
    settings.db_path.parent.mkdir(parents=True)
    shutil.copyfile(good_database, settings.db_path)
    yield settings
    server.hostility = None


def settings_for(root: Path, server: HostileStandIn) -> Settings:
    return Settings(db_path=root / "data" / "tracker.duckdb", ctgov_url=server.url, max_rpm=0, backoff=0.01,
                    retries=2, timeout=15.0)


def read(path: Path, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(query, params).fetchall()


def published(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """What a reader of the published database sees of the landscape (runs excluded: a failed run is recorded)."""
    return {view: read(path, f"select * from {view} order by all") for view in
            ("trials", "trial_agents", "landscape", "trial_versions")}


FAILING = [
    pytest.param(Hostility("script_id"), "record 1: nctId '<script>alert(1)</script>' is not NCT followed by 8 digits",
                 id="script-as-the-only-study"),
    pytest.param(Hostility("bad_id", "NCT1234567"), "nctId 'NCT1234567' is not NCT", id="seven-digits"),
    pytest.param(Hostility("id_not_string"), "Expected `str`, got `int` - at `$.protocolSection.identificationModule",
                 id="id-not-string"),
    pytest.param(Hostility("missing_status"), "missing required field `statusModule`", id="no-status-module"),
    pytest.param(Hostility("missing_ident"), "missing required field `identificationModule`", id="no-id-module"),
    pytest.param(Hostility("no_protocol"), "missing required field `protocolSection`", id="no-protocol-section"),
    pytest.param(Hostility("study_not_object"), "Expected `object`, got `str`", id="study-not-object"),
    pytest.param(Hostility("bad_date"), "lastUpdatePostDateStruct.date", id="post-date-not-a-date"),
    pytest.param(Hostility("studies_not_list"), "unusable body", id="studies-not-a-list"),
    pytest.param(Hostility("count_as_text"), "unusable body", id="total-count-as-text"),
    pytest.param(Hostility("negative_count"), "unusable body", id="negative-total-count"),
    pytest.param(Hostility("huge_count"), "unusable body", id="huge-total-count"),
    pytest.param(Hostility("token_not_string"), "unusable body", id="page-token-not-a-string"),
    pytest.param(Hostility("empty"), "--allow-scope-drop", id="empty-answer-for-every-query"),
]


@pytest.mark.parametrize(("hostility", "reason"), FAILING)
def test_a_hostile_answer_fails_the_run_and_leaves_the_landscape_unchanged(
        settings: Settings, server: HostileStandIn, hostility: Hostility, reason: str) -> None:
    before = published(settings.db_path)
    server.hostility = hostility
    result = api.run_refresh(settings, full=True)
    assert result.status == "failed"
    assert reason in (result.error or ""), result.error
    assert "\n" not in (result.error or "")
    assert published(settings.db_path) == before
    runs = read(settings.db_path, "select status, error from refresh_runs order by run_id")
    assert runs[-1] == ("failed", result.error)
    assert not read(settings.db_path, "select nct_id from raw.studies where not regexp_full_match(nct_id, "
                                      "'NCT[0-9]{8}')")


def test_the_next_honest_run_succeeds(settings: Settings, server: HostileStandIn) -> None:
    server.hostility = Hostility("script_id")
    assert api.run_refresh(settings, full=True).status == "failed"
    server.hostility = None
    result = api.run_refresh(settings, full=True)
    assert (result.status, result.studies_left_scope) == ("succeeded", 0), result.error


def test_the_failure_names_the_query_and_the_scope_drop_names_its_size(settings: Settings,
                                                                       server: HostileStandIn) -> None:
    in_scope = read(settings.db_path, "select count(*) from trials where is_in_scope")[0][0]
    assert in_scope > SCOPE_DROP_MIN / 0.2, "the corpus must be large enough for the guard to apply"
    server.hostility = Hostility("empty")
    result = api.run_refresh(settings, full=True)
    assert f"would mark {in_scope:,} of the {in_scope:,} trials in scope (100%)" in (result.error or "")
    server.hostility = Hostility("script_id")
    result = api.run_refresh(settings, full=True)
    assert "malformed study record(s) on page 1 of query 'agents: " in (result.error or ""), result.error


def test_a_confirmed_scope_drop_is_committed_and_nothing_is_deleted(settings: Settings,
                                                                     server: HostileStandIn) -> None:
    held = read(settings.db_path, "select count(*) from trials")[0][0]
    server.hostility = Hostility("empty")
    result = api.run_refresh(settings, full=True, allow_scope_drop=True)
    assert result.status == "succeeded", result.error
    assert result.studies_left_scope == held
    assert read(settings.db_path, "select count(*), count(*) filter (is_in_scope) from trials") == [(held, 0)]


def test_an_incremental_run_that_sees_nothing_changes_nothing(settings: Settings, server: HostileStandIn) -> None:
    before = published(settings.db_path)
    server.registry.advance(1)  # a new CT.gov day, or the run would stop after /version
    try:
        server.hostility = Hostility("empty")
        result = api.run_refresh(settings)
    finally:
        server.registry.advance(-1)
    assert (result.status, result.mode) == ("succeeded", "incremental"), result.error
    assert published(settings.db_path) == before


def test_duplicated_studies_are_stored_once_and_noted(settings: Settings, server: HostileStandIn) -> None:
    before = published(settings.db_path)
    server.hostility = Hostility("duplicates")
    result = api.run_refresh(settings, full=True)
    assert result.status == "succeeded", result.error
    assert published(settings.db_path) == before
    notes = [n for (n,) in read(settings.db_path, f"select note from refresh_queries where run_id = {result.run_id}")]
    assert notes and all(n and "duplicate row(s)" in n for n in notes if n), notes
    assert any(n and "duplicate row(s)" in n for n in notes)


def test_hostile_text_is_stored_as_text(settings: Settings, server: HostileStandIn) -> None:
    server.hostility = Hostility("hostile_text")
    result = api.run_refresh(settings, full=True)
    assert result.status == "succeeded", result.error
    rows = read(settings.db_path, "select brief_title, lead_sponsor from trials where is_in_scope")
    assert rows and all(row == (HOSTILE_TEXT, HOSTILE_TEXT) for row in rows)
    conditions = read(settings.db_path, "select count(*) from trial_conditions where condition = ?", [HOSTILE_TEXT])
    assert conditions[0][0] == len(rows)


@pytest.mark.parametrize("part", ["body", "headers"])
def test_a_dripping_server_is_cut_off_after_the_timeout(part: str) -> None:
    with DripServer(interval=0.25, part=part) as drip:
        settings = Settings(ctgov_url=drip.url, timeout=2.0, retries=2, backoff=0.01, max_rpm=0)
        started = time.monotonic()
        with CtGov(settings) as client, pytest.raises(CtGovUnavailable) as caught:
            client.fetch_version()
        elapsed = time.monotonic() - started
    # two attempts of 2 s each, not the 500 s the answer would take to drip
    assert 3.9 < elapsed < 8, elapsed
    assert "no complete answer within 2 s (TRACKER_TIMEOUT)" in str(caught.value)
    assert drip.connections == 2


def test_a_slow_but_steady_answer_within_the_timeout_is_accepted() -> None:
    with DripServer(interval=0.002, size=300) as drip:
        with CtGov(Settings(ctgov_url=drip.url, timeout=5.0, retries=1, max_rpm=0)) as client:
            assert client.fetch_version().api_version == "2.0.5"


def test_a_url_httpx_cannot_use_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="TRACKER_CTGOV_URL: is not a usable URL"):
        CtGov(Settings(ctgov_url="http://[::1"))


def cli_env(settings: Settings) -> dict[str, str]:
    return {"TRACKER_DB": str(settings.db_path), "TRACKER_CTGOV_URL": settings.ctgov_url, "TRACKER_MAX_RPM": "0",
            "TRACKER_BACKOFF": "0.01", "TRACKER_RETRIES": "2", "TRACKER_LOG_LEVEL": "WARNING"}


def test_the_cli_refuses_a_scope_drop_until_confirmed(settings: Settings, server: HostileStandIn) -> None:
    env = cli_env(settings)
    server.hostility = Hostility("empty")
    refused = run_cli(["refresh", "--full"], env, timeout=120)
    assert_one_line_error(refused, "previous data kept", "as out of scope at once", "--allow-scope-drop")
    alone = run_cli(["refresh", "--allow-scope-drop"], env)
    assert_one_line_error(alone, "--allow-scope-drop", "--full")
    confirmed = run_cli(["refresh", "--full", "--allow-scope-drop"], env, timeout=120)
    assert_clean(confirmed)
    assert confirmed.returncode == 0, confirmed.describe()
    assert read(settings.db_path, "select count(*) filter (is_in_scope) from trials") == [(0,)]
