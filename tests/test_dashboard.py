"""The dashboard through Streamlit's AppTest: every page, empty and loaded databases, filters, hostile text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.ui import literal
from tests.fake_ctgov import FakeCtGov
from tests.synthetic import landscape_corpus, trial
from tracker import api
from tracker.config import Settings
from tracker.scope import ScopeQuery

APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "streamlit_app.py")
PAGES = ["landscape", "agents", "trials", "trial", "timeline", "readouts", "changes", "geography", "data"]
HOSTILE_TITLE = "<script>alert('x')</script> **bold** [link](javascript:alert(1)) # heading _under_ " + "ش" * 40
LONG_TITLE = "Long " + "title " * 1_700


def hostile_corpus() -> list[dict[str, Any]]:
    studies = landscape_corpus()
    studies.append(trial("NCT90000201", interventions=[("DRUG", "<img src=x onerror=alert(1)> Monalizumab")],
                         conditions=["<b>Melanoma</b>"], title=HOSTILE_TITLE))
    studies.append(trial("NCT90000202", interventions=[("DRUG", "Lirilumab")], conditions=["Melanoma"],
                         title=LONG_TITLE))
    studies.append(trial("NCT90000203", interventions=[("BIOLOGICAL", "NKX019")], conditions=["Lupus Nephritis"],
                         status="COMPLETED", start="2021-06", sponsor=("Nkarta, Inc.", "INDUSTRY")))
    return studies


@pytest.fixture(scope="module")
def loaded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings(db_path=tmp_path_factory.mktemp("dash") / "tracker.duckdb", max_rpm=0)
    scope = [ScopeQuery("everything", "user", (("query.term", "x"),))]
    result = api.run_refresh(settings, scope=scope, transport=FakeCtGov(hostile_corpus()).transport())
    assert result.status == "succeeded", result.error
    return settings.db_path


def run_page(monkeypatch: pytest.MonkeyPatch, db_path: Path, page: str,
             params: dict[str, list[str]] | None = None) -> AppTest:
    monkeypatch.setenv("TRACKER_DB", str(db_path))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, values in (params or {}).items():
        at.query_params[key] = values
    at.run()
    if page != "landscape":
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_pages_on_a_missing_database_show_what_to_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                      page: str) -> None:
    at = run_page(monkeypatch, tmp_path / "none.duckdb", page)
    assert any("tracker up" in info.value for info in at.info)


@pytest.mark.parametrize("page", PAGES)
def test_pages_render_on_the_fixture_database(monkeypatch: pytest.MonkeyPatch, loaded_db: Path, page: str) -> None:
    at = run_page(monkeypatch, loaded_db, page)
    assert not at.error, [e.value for e in at.error]
    assert any("synthetic records" in w.value for w in at.warning), "demo banner"


def test_each_page_has_its_own_heading(monkeypatch: pytest.MonkeyPatch, loaded_db: Path) -> None:
    headings = {page: [t.value for t in run_page(monkeypatch, loaded_db, page).title] for page in PAGES}
    assert headings["trial"] == ["Trial"] and headings["landscape"] == ["Landscape"], headings
    assert len({tuple(h) for h in headings.values()}) == len(PAGES), headings


def test_trial_page_shows_labels_not_codes(monkeypatch: pytest.MonkeyPatch, loaded_db: Path) -> None:
    nct_id = next(s["protocolSection"]["identificationModule"]["nctId"] for s in hostile_corpus()
                  if s["protocolSection"]["statusModule"]["overallStatus"] == "NOT_YET_RECRUITING")
    at = run_page(monkeypatch, loaded_db, "trial", {"nct": [nct_id]})
    shown = " ".join(m.value for m in at.markdown)
    assert "Not yet recruiting" in shown, shown
    assert "NOT\\_YET" not in shown and "NOT_YET" not in shown, shown
    with duckdb.connect(str(loaded_db), read_only=True) as con:
        code = con.execute("select primary_mechanism_class from trials where nct_id = ?", [nct_id]).fetchall()[0][0]
        label = con.execute("select mechanism_label from ref.mechanisms where mechanism_class = ?",
                            [code]).fetchall()[0][0]
    assert literal(label) in shown and code not in shown, shown
    assert not at.metric, "st.metric cuts long values short"


def trial_count(at: AppTest) -> int:
    [table] = at.dataframe  # the Trials page shows one table
    return len(table.value)


def sql_count(db_path: Path, where: str) -> int:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return int(con.execute(f"select count(*) from trials t where t.in_landscape and ({where})").fetchall()[0][0])


FILTER_CASES = [
    pytest.param({"mech": ["car_nk"]}, "list_contains(t.mechanism_classes, 'car_nk')", id="mechanism"),
    pytest.param({"target": ["PD-1"]}, "exists (select 1 from trial_mechanisms m where m.nct_id = t.nct_id "
                                       "and m.target = 'PD-1')", id="target"),
    pytest.param({"agent": ["monalizumab"]}, "list_contains(t.agents, 'monalizumab')", id="agent"),
    pytest.param({"phase": ["Phase 1"]}, "t.phase = 'Phase 1'", id="phase"),
    pytest.param({"status": ["open"]}, "t.overall_status in ('RECRUITING', 'NOT_YET_RECRUITING', "
                                       "'ENROLLING_BY_INVITATION')", id="status"),
    pytest.param({"area": ["hematologic"]}, "list_contains(t.indication_areas, 'hematologic')", id="area"),
    pytest.param({"ind": ["melanoma"]}, "list_contains(t.indications, 'melanoma')", id="indication"),
    pytest.param({"sponsor": ["OTHER"]}, "t.sponsor_class = 'OTHER'", id="sponsor-class"),
    pytest.param({"start": ["2024-2024"]}, "year(t.start_date) = 2024", id="start-year"),
    pytest.param({"onc": ["oncology"]}, "t.is_oncology", id="oncology"),
    pytest.param({"cpi": ["with_nk"]}, "t.has_pd1_pdl1_ctla4 and t.has_nk_specific_agent", id="checkpoint-with-nk"),
    pytest.param({"cpi": ["hide"]}, "exists (select 1 from trial_mechanisms m where m.nct_id = t.nct_id and "
                                    "m.role = 'tracked' and m.target not in ('PD-1', 'PD-L1', 'CTLA-4'))",
                 id="checkpoint-hide"),
    pytest.param({"mech": ["nk_checkpoint"], "phase": ["Phase 2/3"]},
                 "list_contains(t.mechanism_classes, 'nk_checkpoint') and t.phase = 'Phase 2/3'", id="combined"),
]


@pytest.mark.parametrize(("params", "where"), FILTER_CASES)
def test_each_filter_narrows_like_the_equivalent_sql(monkeypatch: pytest.MonkeyPatch, loaded_db: Path,
                                                     params: dict[str, list[str]], where: str) -> None:
    everything = trial_count(run_page(monkeypatch, loaded_db, "trials"))
    expected = sql_count(loaded_db, where)
    assert expected < everything, "the fixture must make each filter narrow something"
    assert trial_count(run_page(monkeypatch, loaded_db, "trials", params)) == expected


def test_hostile_text_is_never_markdown(monkeypatch: pytest.MonkeyPatch, loaded_db: Path) -> None:
    at = run_page(monkeypatch, loaded_db, "trial", {"nct": ["NCT90000201"]})
    rendered_as_markdown = [m.value for m in at.markdown if "script" in m.value or "bold" in m.value]
    assert rendered_as_markdown == []
    assert any(HOSTILE_TITLE in t.value for t in at.text)


def test_long_titles_render(monkeypatch: pytest.MonkeyPatch, loaded_db: Path) -> None:
    at = run_page(monkeypatch, loaded_db, "trial", {"nct": ["NCT90000202"]})
    assert any(t.value == LONG_TITLE.strip() or t.value == LONG_TITLE for t in at.text)


@pytest.mark.parametrize("filters", [
    pytest.param({}, id="default"),
    pytest.param({"targets": ("PD-1",)}, id="target"),
    pytest.param({"checkpoint": "hide"}, id="checkpoint-hide"),
])
def test_chart_counts_are_distinct_trials(loaded_db: Path, filters: dict[str, Any]) -> None:
    """Counts per class skip `distinct` with a first-target flag; they must equal distinct counts."""
    from dashboards import queries
    from dashboards.filter_sql import mechanism_where, trial_where
    from dashboards.filters import Filters

    source = queries.Source.of(loaded_db)
    assert source is not None
    f = Filters(**filters)
    got = {(r["mechanism_class"], r["phase"]): r["trials"] for r in queries.mechanism_phase(source, f).to_dicts()}
    where, params = trial_where(f, "t")
    mech_where, mech_params = mechanism_where(f, "m")
    with duckdb.connect(str(loaded_db), read_only=True) as con:
        rows = con.execute(
            f"select m.mechanism_class, coalesce(t.phase, 'No phase'), count(distinct t.nct_id) from trials t "
            f"join trial_mechanisms m using (nct_id) where {where} and {mech_where} group by all",
            params + mech_params).fetchall()
    assert got == {(c, p): n for c, p, n in rows}
    assert any(n > 1 for n in got.values()) or filters, "the fixture should have classes with several trials"
