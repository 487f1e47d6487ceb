"""Every public view's key is unique and not null on a refreshed database (sql/README.md lists them)."""

from __future__ import annotations

import duckdb
import pytest

from tests.fake_ctgov import FakeCtGov
from tests.synthetic import landscape_corpus
from tracker import api
from tracker.config import Settings
from tracker.scope import ScopeQuery

KEYS = {
    "trials": ["nct_id"],
    "trial_agents": ["nct_id", "agent"],
    "trial_mechanisms": ["nct_id", "mechanism_class", "target"],
    "trial_indications": ["nct_id", "indication"],
    "landscape": ["mechanism_class", "target", "phase", "status_group", "indication"],
    "agents": ["agent"],
    "trial_versions": ["nct_id", "version_id"],
    "trial_interventions": ["nct_id", "intervention_idx"],
    "trial_arm_groups": ["nct_id", "arm_group_idx"],
    "trial_conditions": ["nct_id", "condition_idx"],
    "trial_sponsors": ["nct_id", "role", "sponsor_idx"],
    "trial_sites": ["nct_id", "location_idx"],
    "refresh_runs": ["run_id"],
    "refresh_queries": ["run_id", "query_key"],
    "curation_queue": ["intervention_name"],
    "landscape_rows": ["nct_id", "mechanism_class", "target"],
    "trial_changes": ["change_id"],
    "completion_history": ["nct_id", "version_id"],
    "trial_outcomes": ["nct_id", "outcome_idx"],
    "mechanisms": ["mechanism_class", "target"],
    "indications": ["indication"],
    "phases": ["phase"],
    "status_groups": ["overall_status"],
    "trial_found_by": ["nct_id"],
}
# registry_scans and scan_only_trials are empty without a scan: tests/test_scan.py checks their keys
NULLABLE = {"landscape": {"phase", "indication"}}  # observational trials have no phase; some no indication


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    settings = Settings(db_path=tmp_path_factory.mktemp("shape") / "tracker.duckdb", max_rpm=0)
    scope = [ScopeQuery("everything", "user", (("query.term", "x"),))]
    for day, studies in enumerate([landscape_corpus(), landscape_corpus()[:5]], start=1):
        transport = FakeCtGov(studies, data_timestamp=f"2026-11-2{day}T09:00:05").transport()
        assert api.run_refresh(settings, scope=scope, transport=transport, full=True).status == "succeeded"
    return duckdb.connect(str(settings.db_path), read_only=True)


@pytest.mark.parametrize("view", sorted(KEYS))
def test_key_is_unique_and_not_null(con: duckdb.DuckDBPyConnection, view: str) -> None:
    key = KEYS[view]
    columns = ", ".join(key)
    total, distinct = con.execute(f"select count(*), count(distinct ({columns})) from {view}").fetchall()[0]
    assert total > 0, f"{view} is empty"
    assert total == distinct, f"{view}: duplicate keys"
    for column in key:
        if column in NULLABLE.get(view, set()):
            continue
        assert con.execute(f"select count(*) from {view} where {column} is null").fetchall() == [(0,)], column


def test_a_change_is_recorded_once(con: duckdb.DuckDBPyConnection) -> None:
    key = "nct_id, version_before, version_after, field, old_value, new_value, source"
    total, distinct = con.execute(f"select count(*), count(distinct ({key})) from trial_changes").fetchall()[0]
    assert total == distinct > 0
