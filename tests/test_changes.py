"""Change intelligence end to end: a registry that moves day by day, one incremental refresh per day.

Over real loopback HTTP to the CT.gov stand-in, the tracker must list every change the registry made
to the trials in scope and nothing else, add nothing on a quiet day, rate each change by the rules,
and rebuild any past day's landscape exactly as a separate full refresh on that day saw it.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.standin.corpus import synthetic_studies
from tracker import api
from tracker.config import Settings
from tracker.demo.registry import Registry
from tracker.demo.standin import StandIn

TRACKING = {"is_in_scope", "first_seen_at", "last_changed_at", "version_count"}


def read(path: Path, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(":memory:")
    con.execute(f"attach '{path}' as t (read_only); use t")
    try:
        return con.execute(query, params or []).fetchall()
    finally:
        con.close()


class World:
    """A stand-in registry, the tracker's settings, and the day-by-day log of what the registry did."""

    def __init__(self, tmp_path: Path, studies: list[dict[str, Any]]) -> None:
        self.registry = Registry(studies)
        self.standin = StandIn(self.registry).start()
        self.settings = Settings(db_path=tmp_path / "tracker" / "tracker.duckdb", ctgov_url=self.standin.url,
                                 max_rpm=0, backoff=0.01, retries=4, timeout=15.0)
        self.tmp_path = tmp_path
        self.made: set[tuple[str, str]] = set()  # (nct_id, field) the registry changed
        self.days: dict[dt.date, list[dict[str, Any]]] = {}

    def refresh(self, *, full: bool = False) -> None:
        result = api.run_refresh(self.settings, full=full)
        assert result.status in ("succeeded", "skipped"), result.error
        self.days[self.registry.today] = [copy.deepcopy(r.study) for r in self.registry.snapshot()]

    def next_day(self) -> None:
        self.registry.advance(1)

    def change(self, nct_id: str, fields: set[str], edit: Any) -> None:
        self.registry.update(nct_id, edit)
        self.made |= {(nct_id, f) for f in fields}

    def in_scope(self) -> list[str]:
        return [r[0] for r in read(self.settings.db_path, "select nct_id from trials where is_in_scope order by 1")]

    def changes(self, *fields: str) -> set[tuple[str, str]]:
        rows = read(self.settings.db_path, "select nct_id, field from trial_changes where list_contains(?, field)",
                    [list(fields)])
        return {(r[0], r[1]) for r in rows}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path, synthetic_studies(400, seed=5))
    try:
        yield w
    finally:
        w.standin.stop()


def status(value: str, why: str | None = None) -> Any:
    def edit(study: dict[str, Any]) -> None:
        module = study["protocolSection"]["statusModule"]
        module["overallStatus"] = value
        if why:
            module["whyStopped"] = why
    return edit


def completion(days: int) -> Any:
    def edit(study: dict[str, Any]) -> None:
        struct = study["protocolSection"]["statusModule"].setdefault("primaryCompletionDateStruct", {})
        old = dt.date.fromisoformat((struct.get("date") or "2027-01-01")[:7] + "-01")
        struct["date"] = (old + dt.timedelta(days=days)).isoformat()
        struct["type"] = "ESTIMATED"
    return edit


def enrollment(factor: float) -> Any:
    def edit(study: dict[str, Any]) -> None:
        info = study["protocolSection"]["designModule"].setdefault("enrollmentInfo", {"type": "ESTIMATED"})
        info["count"] = int((info.get("count") or 20) * factor) + 1
    return edit


def phase(phases: list[str]) -> Any:
    def edit(study: dict[str, Any]) -> None:
        study["protocolSection"]["designModule"]["phases"] = phases
    return edit


def new_trial(template: dict[str, Any], nct_id: str) -> dict[str, Any]:
    study = copy.deepcopy(template)
    study["protocolSection"]["identificationModule"]["nctId"] = nct_id
    study["protocolSection"]["identificationModule"].pop("nctIdAliases", None)
    return study


def test_every_registry_change_is_listed_and_nothing_else(world: World) -> None:
    world.refresh(full=True)
    assert world.changes("overall_status", "new_trial", "phase", "enrollment", "primary_completion_date") == set()
    ids = world.in_scope()
    assert len(ids) > 50

    world.next_day()
    world.change(ids[0], {"overall_status", "why_stopped"}, status("TERMINATED", "Sponsor decision"))
    world.change(ids[1], {"primary_completion_date"}, completion(200))
    world.change(ids[2], {"enrollment"}, enrollment(1.5))
    world.change(ids[3], {"phase"}, phase(["PHASE3"]))
    world.registry.add(new_trial(world.registry.get(ids[4]) or {}, "NCT99990001"))
    world.made.add(("NCT99990001", "new_trial"))
    world.refresh()

    world.next_day()
    before = read(world.settings.db_path, "select count(*) from trial_changes")[0][0]
    world.refresh()
    assert read(world.settings.db_path, "select count(*) from trial_changes")[0][0] == before, "a quiet day added rows"

    world.next_day()
    world.change(ids[5], {"overall_status"}, status("ACTIVE_NOT_RECRUITING"))
    world.change(ids[1], {"primary_completion_date"}, completion(40))
    world.change(ids[6], set(), lambda s: s["protocolSection"]["descriptionModule"].update(briefSummary="edited"))
    world.refresh()

    fields = ("overall_status", "why_stopped", "phase", "enrollment", "primary_completion_date", "new_trial")
    assert world.changes(*fields) == world.made


def test_a_run_with_nothing_new_is_skipped_and_adds_no_changes(world: World) -> None:
    world.refresh(full=True)
    world.next_day()
    world.change(world.in_scope()[0], {"overall_status"}, status("TERMINATED", "Funding"))
    world.refresh()
    before = read(world.settings.db_path, "select count(*) from trial_changes")[0][0]
    result = api.run_refresh(world.settings)  # same data timestamp: one /version request, nothing fetched
    assert result.status == "skipped", result.error
    assert read(world.settings.db_path, "select count(*) from trial_changes")[0][0] == before > 0


def test_severity_follows_the_rules(world: World) -> None:
    world.refresh(full=True)
    ids = world.in_scope()
    world.next_day()
    world.change(ids[0], {"overall_status"}, status("TERMINATED", "Funding"))
    world.change(ids[1], {"primary_completion_date"}, completion(120))
    world.change(ids[2], {"enrollment"}, enrollment(1.05))
    world.refresh()
    rows = {(r[0], r[1]): r[2:] for r in read(world.settings.db_path,
            "select nct_id, field, severity, reason, shift_days, pct_change from trial_changes")}
    assert rows[(ids[0], "overall_status")][0] == "critical"
    assert "TERMINATED" in rows[(ids[0], "overall_status")][1]
    assert rows[(ids[0], "why_stopped")][0] == "critical"
    assert rows[(ids[1], "primary_completion_date")][0] == "major"
    assert rows[(ids[1], "primary_completion_date")][2] >= 90
    enrolment = rows[(ids[2], "enrollment")]
    assert enrolment[3] is not None and abs(enrolment[3]) < 20


def test_a_past_day_equals_a_full_refresh_taken_that_day(world: World, tmp_path: Path) -> None:
    world.refresh(full=True)
    ids = world.in_scope()
    for day in range(3):
        world.next_day()
        world.change(ids[day], {"overall_status"}, status("COMPLETED"))
        world.change(ids[10 + day], {"phase"}, phase(["PHASE2", "PHASE3"]))
        world.refresh()
    target = sorted(world.days)[1]
    with StandIn(Registry(world.days[target], today=target)) as other:
        settings = replace(world.settings, db_path=tmp_path / "other" / "tracker.duckdb", ctgov_url=other.url)
        assert api.run_refresh(settings, full=True).status == "succeeded"
    columns = [r[0] for r in read(settings.db_path, "describe trials") if r[0] not in TRACKING]
    listed = ", ".join(columns)
    as_of = read(world.settings.db_path, f"select {listed} from trials_as_of(?) where is_in_scope order by nct_id",
                 [target])
    fresh = read(settings.db_path, f"select {listed} from trials order by nct_id")
    assert as_of == fresh
    landscape_as_of = read(world.settings.db_path, "select * from landscape_as_of(?) order by all", [target])
    assert landscape_as_of == read(settings.db_path, "select * from landscape order by all")
    assert read(world.settings.db_path, "select * from landscape_as_of(null) order by all") == \
        read(world.settings.db_path, "select * from landscape order by all")
    ordered = "order by nct_id, mechanism_class, target"
    assert read(world.settings.db_path, f"select * from landscape_rows_as_of(?) {ordered}", [target]) == \
        read(settings.db_path, f"select * from landscape_rows {ordered}")
    assert read(world.settings.db_path, f"select * from landscape_rows_as_of(null) {ordered}") == \
        read(world.settings.db_path, f"select * from landscape_rows {ordered}")


def without_agent(source: Path, target: Path, name: str) -> None:
    """A copy of the catalogue without one [[agent]] table."""
    text = source.read_text(encoding="utf-8")
    blocks = text.split("[[agent]]")
    kept = [b for b in blocks[1:] if f'name = "{name}"' not in b]
    assert len(kept) == len(blocks) - 2, name
    target.write_text("[[agent]]".join([blocks[0], *kept]), encoding="utf-8")


def test_a_catalogue_edit_is_reported_as_such(world: World, tmp_path: Path) -> None:
    world.refresh(full=True)
    agent = read(world.settings.db_path, """
        select agent from trial_agents join trials using (nct_id)
        where is_in_scope and role = 'tracked' and is_named group by agent order by count(*) desc limit 1""")[0][0]
    holders = {r[0] for r in read(world.settings.db_path, "select nct_id from trial_agents where agent = ?", [agent])}
    catalogue = tmp_path / "agents.toml"
    without_agent(Path(api.__file__).parent / "catalogue" / "data" / "agents.toml", catalogue, agent)
    world.settings = replace(world.settings, catalogue_file=catalogue)
    api.classify(world.settings)
    rows = read(world.settings.db_path, "select nct_id, field, old_value, source from trial_changes")
    assert rows, "the catalogue edit recorded nothing"
    assert {r[3] for r in rows} == {"catalogue"}
    assert {r[0] for r in rows if r[1] == "agent_removed" and r[2] == agent} == holders
    # a refresh after the edit reports no registry change for what the catalogue moved
    world.next_day()
    world.refresh()
    assert {r[0] for r in read(world.settings.db_path, "select source from trial_changes")} == {"catalogue"}


def test_history_backfill_gives_the_changes_a_daily_refresh_saw(world: World, tmp_path: Path) -> None:
    world.refresh(full=True)
    template = world.registry.get(world.in_scope()[0]) or {}
    world.next_day()
    world.registry.add(new_trial(template, "NCT99990002"))
    world.refresh()
    edits = [status("ACTIVE_NOT_RECRUITING"), completion(150), enrollment(2.0), phase(["PHASE3"]),
             lambda s: s["protocolSection"]["identificationModule"].update(briefTitle="A renamed trial / v2")]
    for edit in edits:
        world.next_day()
        world.registry.update("NCT99990002", edit)
        world.refresh()
    columns = "field, old_value, new_value, posted_date, shift_days, pct_change, severity, reason"
    daily = read(world.settings.db_path, f"select {columns} from trial_changes where nct_id = 'NCT99990002' "
                                         "order by all")
    assert len(daily) >= len(edits) + 1

    # a second tracker that starts today and reads the trial's history instead
    late = replace(world.settings, db_path=tmp_path / "late" / "tracker.duckdb",
                   ctgov_history_url=world.standin.history_url)
    assert api.run_refresh(late, full=True).status == "succeeded"
    from tracker.history import run_backfill

    result = run_backfill(late, ["NCT99990002"])
    assert result.versions_stored == len(edits), result
    backfilled = read(late.db_path, f"select {columns} from trial_changes where nct_id = 'NCT99990002' order by all")
    assert backfilled == daily
    assert {r[0] for r in read(late.db_path, "select source from trial_changes")} == {"history"}
    stored = read(late.db_path, "select count(*) from trial_versions where nct_id = 'NCT99990002'")[0][0]
    assert stored == len(edits) + 1
    # read twice, nothing new
    again = run_backfill(late, ["NCT99990002"], redo=True)
    assert again.versions_stored == 0
    assert read(late.db_path, "select count(*) from trial_changes")[0][0] == len(backfilled)


def test_the_feed_holds_the_last_run_and_the_hook_gets_it(world: World, tmp_path: Path) -> None:
    import json

    import feedparser

    received = tmp_path / "hook.json"
    world.settings = replace(world.settings, feed_severity="major", changes_hook=f"cat > {received}")
    world.refresh(full=True)
    ids = world.in_scope()
    world.next_day()
    world.change(ids[0], {"overall_status"}, status("TERMINATED", "Safety"))
    world.change(ids[1], {"enrollment"}, enrollment(1.02))
    world.refresh()
    wanted = read(world.settings.db_path, """
        select nct_id, field from trial_changes
        where run_id = (select max(run_id) from refresh_runs) and severity in ('major', 'critical')""")
    parsed = feedparser.parse(world.settings.feed_path.read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    assert len(parsed.entries) == len(wanted) >= 2
    assert all(e.link == f"https://clinicaltrials.gov/study/{e.title.split()[1].rstrip(':')}" for e in parsed.entries)
    assert {(c["nct_id"], c["field"]) for c in json.loads(received.read_text())} == set(wanted)
    # a quiet day: the feed is empty but valid; a broken hook fails nothing
    world.settings = replace(world.settings, changes_hook="exit 3")
    world.next_day()
    world.refresh()
    parsed = feedparser.parse(world.settings.feed_path.read_bytes())
    assert not parsed.bozo and parsed.entries == []


def test_a_catalogue_edit_relabels_the_past_too(world: World, tmp_path: Path) -> None:
    world.refresh(full=True)
    agent = read(world.settings.db_path, """
        select agent from trial_agents join trials using (nct_id)
        where is_in_scope and role = 'tracked' and is_named group by agent order by count(*) desc limit 1""")[0][0]
    holder = read(world.settings.db_path, "select min(nct_id) from trial_agents where agent = ?", [agent])[0][0]
    first_day = world.registry.today
    world.next_day()
    world.change(holder, {"overall_status"}, status("ACTIVE_NOT_RECRUITING"))
    world.refresh()
    assert agent in read(world.settings.db_path, "select agents from trials_as_of(?) where nct_id = ?",
                         [first_day, holder])[0][0]
    catalogue = tmp_path / "agents.toml"
    without_agent(Path(api.__file__).parent / "catalogue" / "data" / "agents.toml", catalogue, agent)
    world.settings = replace(world.settings, catalogue_file=catalogue)
    world.next_day()
    world.refresh()
    past = read(world.settings.db_path, "select agents from trials_as_of(?) where nct_id = ?", [first_day, holder])
    assert agent not in past[0][0]
    hashes = read(world.settings.db_path, "select count(distinct catalogue_hash) from versions.trial_snapshots")
    assert hashes == [(1,)]
    moved = read(world.settings.db_path, "select source, field from trial_changes where nct_id = ? and "
                                          "field = 'agent_removed'", [holder])
    assert moved == [("catalogue", "agent_removed")]


APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "streamlit_app.py")


def frame_with(at: Any, *columns: str) -> Any:
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def test_the_changes_and_readouts_pages_show_what_moved(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    world.refresh(full=True)
    ids = world.in_scope()
    world.next_day()
    world.change(ids[0], {"overall_status"}, status("TERMINATED", "Funding"))
    world.change(ids[1], {"primary_completion_date"}, completion(200))
    world.refresh()
    monkeypatch.setenv("TRACKER_DB", str(world.settings.db_path))

    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["since"] = "2000-01-01"
    at.query_params["sev"] = ["critical", "major"]
    at.run()
    at.switch_page("app_pages/changes.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    table = frame_with(at, "field", "reason")
    shown = set(zip(table["nct_id"], table["field"], strict=True))
    assert (ids[0], "overall_status") in shown and (ids[1], "primary_completion_date") in shown
    assert set(table["severity"]) <= {"critical", "major"}
    assert next(m for m in at.metric if m.label == "Critical").value != "0"

    at.switch_page("app_pages/readouts.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    slips = frame_with(at, "total_shift_days")
    assert ids[1] in set(slips["nct_id"])
    at.selectbox(key="readouts_trial").set_value(ids[1]).run()
    history = frame_with(at, "version_number")
    assert len(history) == 2 and history["shift_days"].iloc[1] > 150

    at.query_params["nct"] = ids[0]
    at.switch_page("app_pages/trial.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    on_trial = frame_with(at, "field", "reason")
    assert "overall_status" in set(on_trial["field"]) and "critical" in set(on_trial["severity"])

    first_day = sorted(world.days)[0]
    at = AppTest.from_file(APP, default_timeout=90)  # a shared link to the landscape of a past day
    at.query_params["asof"] = first_day.isoformat()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics.get("Landscape as of") == first_day.isoformat(), metrics
    then = read(world.settings.db_path, "select count(*), count(*) filter (status_group = 'open') "
                                        "from trials_as_of(?) where in_landscape", [first_day])[0]
    now = read(world.settings.db_path, "select count(*) filter (status_group = 'open') from trials "
                                       "where in_landscape")[0]
    assert (metrics["Trials"], metrics["Open trials"]) == (f"{then[0]:,}", f"{then[1]:,}")
    assert then[1] != now[0]  # ids[0] was terminated the next day: the page shows the earlier landscape
