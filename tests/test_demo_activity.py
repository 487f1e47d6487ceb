"""The offline demo's weeks of registry activity: `tracker up --demo` starts with real change history.

The demo database is built as `tracker up --demo` builds it: the stand-in serves the demo registry over
loopback HTTP, a first full refresh, then one incremental refresh per replayed week.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tracker.config import Settings
from tracker.demo.activity import DemoActivity
from tracker.demo.corpus import DEMO_TODAY
from tracker.demo.standin import StandIn
from tracker.up import first_refresh

pytestmark = pytest.mark.slow


def read(path: Path, query: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str], DemoActivity]]:
    activity = DemoActivity()
    lines: list[str] = []
    with StandIn(activity.registry) as standin:
        settings = Settings(db_path=tmp_path_factory.mktemp("demo") / "tracker.duckdb", ctgov_url=standin.url,
                            max_rpm=0, backoff=0.2)
        first_refresh(settings, demo=True, echo=lines.append, reporter=None, stop=threading.Event(),
                      activity=activity)
    yield settings.db_path, lines, activity


def test_the_demo_holds_weeks_of_detected_changes(demo: tuple[Path, list[str], DemoActivity]) -> None:
    path, lines, activity = demo
    assert activity.registry.today == DEMO_TODAY
    weeks = [line for line in lines if line.startswith("Demo: week")]
    assert len(weeks) == activity.weeks, lines
    runs = read(path, "select mode, count(*) from refresh_runs where status = 'succeeded' group by all")
    assert dict(runs) == {"full": 1, "incremental": activity.weeks}
    fields = {r[0] for r in read(path, "select distinct field from trial_changes")}
    assert {"overall_status", "primary_completion_date", "new_trial", "enrollment", "phase"} <= fields
    severities = {r[0] for r in read(path, "select distinct severity from trial_changes")}
    assert {"critical", "major"} <= severities
    dates = read(path, "select count(distinct posted_date) from trial_changes")[0][0]
    assert dates >= activity.weeks
    slips = read(path, "select count(distinct nct_id) from completion_history where shift_days > 0")[0][0]
    assert slips >= 3


def test_the_replay_is_deterministic_and_finish_reaches_the_same_registry(
        demo: tuple[Path, list[str], DemoActivity]) -> None:
    _, _, replayed = demo
    other = DemoActivity()
    other.finish()
    assert other.registry.today == DEMO_TODAY
    assert other.registry.ids() == replayed.registry.ids()
    assert [r.study for r in other.registry.snapshot()] == [r.study for r in replayed.registry.snapshot()]
