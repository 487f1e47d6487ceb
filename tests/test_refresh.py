"""Refreshes against the CT.gov stand-in over real loopback HTTP: completeness, incremental, faults, kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from tests.standin.corpus import synthetic_studies
from tests.standin.faults import Faults
from tests.standin.server import FaultyStandIn
from tracker import api
from tracker.config import Settings
from tracker.demo.registry import Registry
from tracker.scope import ScopeQuery

CORPUS_SIZE = 2_600


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    return synthetic_studies(CORPUS_SIZE, seed=7)


@pytest.fixture
def standin(corpus: list[dict[str, Any]]) -> Iterator[FaultyStandIn]:
    with FaultyStandIn(Registry(corpus)) as server:
        yield server


def settings_for(tmp_path: Path, standin: FaultyStandIn, name: str = "tracker") -> Settings:
    return Settings(db_path=tmp_path / name / "tracker.duckdb", ctgov_url=standin.url, max_rpm=0, backoff=0.01,
                    retries=6, timeout=15.0)


def scope() -> list[ScopeQuery]:
    return api.scope_for(Settings())


def read(path: Path, query: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(query).fetchall()


def ids_by_paging(standin: FaultyStandIn, query: ScopeQuery) -> tuple[set[str], int]:
    """Page a query independently of the tracker's client: (distinct ids, totalCount)."""
    ids: set[str] = set()
    total = -1
    params: dict[str, str] = {**query.params_dict(), "pageSize": "1000", "countTotal": "true"}
    with httpx.Client(timeout=30) as client:
        while True:
            body = client.get(f"{standin.url}/studies", params=params).json()
            if total < 0:
                total = body["totalCount"]
            ids |= {s["protocolSection"]["identificationModule"]["nctId"] for s in body["studies"]}
            if not body.get("nextPageToken"):
                return ids, total
            params["pageToken"] = body["nextPageToken"]


def current_state(path: Path) -> list[tuple[Any, ...]]:
    """Each study's content and normalized row, without what differs by fetch date only."""
    return read(path, """
        select s.nct_id, s.content_hash, s.is_in_scope, t.* exclude (version_id, version_holder)
        from raw.studies s join core.trials t using (nct_id) order by s.nct_id""")


def test_full_refresh_stores_exactly_what_the_queries_return(tmp_path: Path, standin: FaultyStandIn,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # smaller pages than CT.gov's 1,000, so that every query of this corpus is read over several pages
    monkeypatch.setattr("tracker.ctgov.client.PAGE_SIZE", 250)
    settings = settings_for(tmp_path, standin)
    result = api.run_refresh(settings, full=True)
    assert result.status == "succeeded", result.error
    expected: set[str] = set()
    totals = {}
    for query in scope():
        ids, total = ids_by_paging(standin, query)
        expected |= ids
        totals[query.key] = (len(ids), total)
    stored = {r[0] for r in read(settings.db_path, "select nct_id from trials")}
    assert stored == expected
    assert len(expected) > 1_000, "the corpus must need several pages"
    recorded = {r[0]: (r[1], r[2], r[3]) for r in read(
        settings.db_path, f"select query_key, distinct_studies, total_count, is_reconciled from refresh_queries "
                          f"where run_id = {result.run_id}")}
    assert {k: v[:2] for k, v in recorded.items()} == totals
    assert all(v[2] for v in recorded.values())
    assert read(settings.db_path, "select status, mode, studies_fetched, studies_new from refresh_runs") == [
        ("succeeded", "full", len(expected), len(expected))]
    assert max(pages for (pages,) in read(settings.db_path, "select pages from refresh_queries")) >= 2


def move_registry(registry: Registry, corpus: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """A new CT.gov day: some studies updated, some new ones posted."""
    registry.advance(1)
    updated = [s["protocolSection"]["identificationModule"]["nctId"] for s in corpus[:1_200:40]]
    for nct_id in updated:
        registry.update(nct_id, {"overallStatus": "COMPLETED"})
    added = []
    for study in synthetic_studies(12, seed=99, start_id=95000001):
        added.append(registry.add(study))
    return updated, added


def test_incremental_refresh_ends_where_a_full_refresh_would(tmp_path: Path, standin: FaultyStandIn,
                                                             corpus: list[dict[str, Any]]) -> None:
    settings = settings_for(tmp_path, standin)
    assert api.run_refresh(settings, full=True).status == "succeeded"
    updated, added = move_registry(standin.registry, corpus)
    standin.clear_log()
    result = api.run_refresh(settings)
    assert result.status == "succeeded" and result.mode == "incremental", result.error
    queries = len(scope())
    # the /version check plus one page per query (fewer than 1,000 changes each)
    assert result.requests == 1 + queries == len(standin.requests)
    windows = [r["params"].get("filter.advanced", [""])[0] for r in standin.requests if r["path"].endswith("/studies")]
    assert all(w.startswith("AREA[LastUpdatePostDate]RANGE[") for w in windows)
    assert result.studies_new == len([a for a in added if a in {r[0] for r in read(
        settings.db_path, "select nct_id from trials")}])
    assert result.studies_changed >= len(updated) // 2

    fresh = settings_for(tmp_path, standin, "fresh")
    assert api.run_refresh(fresh, full=True).status == "succeeded"
    assert current_state(settings.db_path) == current_state(fresh.db_path)
    history = read(settings.db_path, f"select count(*) from trial_versions where nct_id = '{updated[0]}'")
    assert history == [(2,)]


def test_a_refresh_with_no_new_data_makes_exactly_one_request(tmp_path: Path, standin: FaultyStandIn) -> None:
    settings = settings_for(tmp_path, standin)
    assert api.run_refresh(settings, full=True).status == "succeeded"
    standin.clear_log()
    result = api.run_refresh(settings)
    assert (result.status, result.requests, len(standin.requests)) == ("skipped", 1, 1)
    assert standin.requests[0]["path"].endswith("/version")


def test_full_reconciliation_marks_trials_that_left_the_scope(tmp_path: Path, standin: FaultyStandIn,
                                                              corpus: list[dict[str, Any]]) -> None:
    settings = settings_for(tmp_path, standin)
    assert api.run_refresh(settings, full=True).status == "succeeded"
    stored = [r[0] for r in read(settings.db_path, "select nct_id from trials order by nct_id")]
    leaving = stored[0]

    def rename(study: dict[str, Any]) -> None:
        module = study["protocolSection"]["armsInterventionsModule"]
        module["interventions"] = [{"type": "OTHER", "name": "Observation"}]
        module["armGroups"] = [{"label": "Observation", "type": "OTHER"}]
        study.get("derivedSection", {}).pop("interventionBrowseModule", None)
        # the scope also searches titles for agent names: a trial that left names none there either
        identification = study["protocolSection"]["identificationModule"]
        identification["briefTitle"] = identification["officialTitle"] = "Observation of a disease"

    standin.registry.advance(1)
    standin.registry.update(leaving, rename)
    result = api.run_refresh(settings, full=True)
    assert result.studies_left_scope == 1
    assert read(settings.db_path, f"select is_in_scope, in_landscape from trials where nct_id = '{leaving}'") == [
        (False, False)]
    assert read(settings.db_path, "select count(*) from trials")[0][0] == len(stored)  # never deleted


def test_injected_faults_do_not_change_the_result(tmp_path: Path, standin: FaultyStandIn) -> None:
    clean = settings_for(tmp_path, standin, "clean")
    assert api.run_refresh(clean, full=True).status == "succeeded"
    # every kind of fault once, then 15 % of requests at random, and empty pages that carry a token
    kinds = ["429", "429ra", "503", "500", "reset", "truncate_close", "truncate_json"]
    standin.faults = replace(Faults.mixed(0.15, seed=3), p_empty_middle_page=0.3, retry_after_seconds=0.2,
                             script=[k for kind in kinds for k in ("ok", kind)])
    faulty = settings_for(tmp_path, standin, "faulty")
    result = api.run_refresh(faulty, full=True)
    assert result.status == "succeeded", result.error
    faulted = {r.get("fault") for r in standin.requests if r.get("fault")}
    assert faulted >= set(kinds), faulted
    assert current_state(faulty.db_path) == current_state(clean.db_path)


def test_persistent_failure_keeps_previous_data_and_records_the_run(tmp_path: Path, standin: FaultyStandIn,
                                                                    corpus: list[dict[str, Any]]) -> None:
    settings = settings_for(tmp_path, standin)
    assert api.run_refresh(settings, full=True).status == "succeeded"
    before = current_state(settings.db_path)
    move_registry(standin.registry, corpus)
    standin.faults = Faults(script=["ok", "ok"] + ["503"] * 40)
    result = api.run_refresh(replace(settings, retries=3))
    assert result.status == "failed"
    assert "HTTP 503" in (result.error or "")
    assert current_state(settings.db_path) == before
    runs = read(settings.db_path, "select status, error from refresh_runs order by run_id")
    assert [r[0] for r in runs] == ["succeeded", "failed"]
    assert "HTTP 503" in runs[1][1]
    standin.faults = Faults()
    assert api.run_refresh(settings).status == "succeeded"


def test_a_400_fails_the_run_with_the_api_message(tmp_path: Path, standin: FaultyStandIn) -> None:
    settings = settings_for(tmp_path, standin)
    bad = [ScopeQuery("bad", "user", (("filter.advanced", "AREA[NoSuchPiece]x"),))]
    result = api.run_refresh(settings, scope=bad)
    assert result.status == "failed"
    assert "HTTP 400" in (result.error or "") and "filter.advanced=" in (result.error or "")


def cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tracker", *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=timeout)


def test_kill_9_mid_refresh_leaves_the_previous_state_and_the_next_run_succeeds(
        tmp_path: Path, standin: FaultyStandIn, corpus: list[dict[str, Any]]) -> None:
    settings = settings_for(tmp_path, standin)
    assert api.run_refresh(settings, full=True).status == "succeeded"
    before = current_state(settings.db_path)
    move_registry(standin.registry, corpus)
    standin.faults = Faults(delay_s=0.4)
    env = {"TRACKER_DB": str(settings.db_path), "TRACKER_CTGOV_URL": standin.url, "TRACKER_MAX_RPM": "0",
           "TRACKER_LOG_LEVEL": "WARNING"}
    standin.clear_log()
    process = subprocess.Popen([sys.executable, "-m", "tracker", "refresh", "--full"], env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len([r for r in standin.requests if r["path"].endswith("/studies")]) < 3:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert current_state(settings.db_path) == before  # the published file never saw the run
    standin.faults = Faults()
    done = cli(env, "refresh")
    assert done.returncode == 0, done.stderr
    runs = read(settings.db_path, "select status, error from refresh_runs order by run_id")
    assert runs[1][0] == "failed" and "interrupted" in runs[1][1]
    assert runs[-1][0] == "succeeded"


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    env = {"TRACKER_DB": str(tmp_path / "t.duckdb"), "TRACKER_CTGOV_URL": "http://127.0.0.1:9/api/v2",
           "TRACKER_BACKOFF": "0.01"}
    done = cli(env, "refresh")
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and "cannot reach CT.gov at http://127.0.0.1:9/api/v2" in lines[0]
    assert "Traceback" not in done.stderr
    done = cli({"TRACKER_MAX_RPM": "lots"}, "refresh")
    assert done.returncode == 1 and done.stderr.strip() == "Error: TRACKER_MAX_RPM: expected a float, got 'lots'"


def test_batches_load_on_one_duckdb_thread_and_the_tail_runs_on_all(tmp_path: Path, standin: FaultyStandIn,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker import db, loading, refresh

    seen: dict[str, list[str]] = {"load": [], "changes": []}
    load_raw_versions, detect_changes = loading.load_raw_versions, refresh.detect_changes

    def threads(con: db.Connection) -> str:
        return str(db.scalar(con, "select current_setting('threads')"))

    def spy_load(con: db.Connection, *args: Any, **kwargs: Any) -> loading.StoredBatch:
        seen["load"].append(threads(con))
        return load_raw_versions(con, *args, **kwargs)

    def spy_changes(con: db.Connection, *args: Any, **kwargs: Any) -> Any:
        seen["changes"].append(threads(con))
        return detect_changes(con, *args, **kwargs)

    monkeypatch.setattr(loading, "load_raw_versions", spy_load)
    monkeypatch.setattr(refresh, "detect_changes", spy_changes)
    result = api.run_refresh(settings_for(tmp_path, standin), full=True)
    assert result.status == "succeeded", result.error
    assert seen["load"] and set(seen["load"]) == {"1"}
    with duckdb.connect() as fresh:  # DuckDB's own default: as many threads as it finds cores
        default = str(fresh.execute("select current_setting('threads')").fetchall()[0][0])
    assert seen["changes"] == [default]


def test_one_thread_gives_duckdb_its_threads_back_when_the_block_fails() -> None:
    from tracker import db

    con = duckdb.connect(config={"threads": 3})
    with pytest.raises(RuntimeError), db.one_thread(con):
        assert db.scalar(con, "select current_setting('threads')") == 1
        raise RuntimeError("the load failed")
    assert db.scalar(con, "select current_setting('threads')") == 3
