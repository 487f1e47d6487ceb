"""Every real CT.gov record loads, and its normalized rows match its JSON (one test per quirk too)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import sample_studies
from tests.fake_ctgov import FakeCtGov
from tracker.config import Settings
from tracker.refresh import run_refresh
from tracker.scope import ScopeQuery

SCOPE = [ScopeQuery("everything", "user", (("query.term", "samples"),))]
STUDIES = sample_studies()


def nct(study: dict[str, Any]) -> str:
    return str(study["protocolSection"]["identificationModule"]["nctId"])


def get(study: dict[str, Any], path: str) -> Any:
    value: Any = study
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def load(tmp_path: Path, studies: list[dict[str, Any]]) -> duckdb.DuckDBPyConnection:
    settings = Settings(db_path=tmp_path / "t.duckdb", max_rpm=0, backoff=0.01)
    result = run_refresh(settings, SCOPE, transport=FakeCtGov(studies, page_size=7).transport())
    assert result.status == "succeeded", result.error
    return duckdb.connect(str(settings.db_path), read_only=True)


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = load(tmp_path_factory.mktemp("samples"), STUDIES)
    yield connection
    connection.close()


def row(con: duckdb.DuckDBPyConnection, query: str, params: list[Any]) -> dict[str, Any]:
    cursor = con.execute(query, params)
    values = cursor.fetchone()
    assert values is not None
    return dict(zip([d[0] for d in cursor.description], values, strict=True))


def test_every_sample_record_is_stored(con: duckdb.DuckDBPyConnection) -> None:
    assert len(STUDIES) >= 30
    stored = {r[0] for r in con.execute("select nct_id from trials").fetchall()}
    assert stored == {nct(s) for s in STUDIES}
    assert con.execute("select count(*) from raw.study_versions").fetchone() == (len(STUDIES),)


def expected_precision(raw: str | None) -> str | None:
    return None if raw is None else {4: "year", 7: "month", 10: "day"}[len(raw[:10])]


def expected_date(raw: str | None) -> date | None:
    if raw is None:
        return None
    parts = [int(p) for p in raw[:10].split("-")] + [1, 1]
    return date(parts[0], parts[1], parts[2])


@pytest.mark.parametrize("study", STUDIES, ids=nct)
def test_trial_fields_match_the_json(con: duckdb.DuckDBPyConnection, study: dict[str, Any]) -> None:
    got = row(con, "select * from core.trials where nct_id = ?", [nct(study)])
    status = "protocolSection.statusModule"
    assert got["brief_title"] == get(study, "protocolSection.identificationModule.briefTitle")
    assert got["official_title"] == get(study, "protocolSection.identificationModule.officialTitle")
    assert got["acronym"] == get(study, "protocolSection.identificationModule.acronym")
    assert got["overall_status"] == get(study, f"{status}.overallStatus")
    assert got["last_known_status"] == get(study, f"{status}.lastKnownStatus")
    assert got["why_stopped"] == get(study, f"{status}.whyStopped")
    for column, struct in [("start_date", "startDateStruct"),
                           ("primary_completion_date", "primaryCompletionDateStruct"),
                           ("completion_date", "completionDateStruct")]:
        raw = get(study, f"{status}.{struct}.date")
        assert got[f"{column}_raw"] == raw
        assert got[column] == expected_date(raw)
        assert got[f"{column}_precision"] == expected_precision(raw)
        assert got[f"{column}_type"] == get(study, f"{status}.{struct}.type")
    assert got["last_update_post_date"] == expected_date(get(study, f"{status}.lastUpdatePostDateStruct.date"))
    assert got["last_update_post_date_type"] == get(study, f"{status}.lastUpdatePostDateStruct.type")
    assert got["study_first_post_date_type"] == get(study, f"{status}.studyFirstPostDateStruct.type")
    assert got["study_type"] == get(study, "protocolSection.designModule.studyType")
    assert got["phases"] == get(study, "protocolSection.designModule.phases")
    assert got["enrollment"] == get(study, "protocolSection.designModule.enrollmentInfo.count")
    assert got["enrollment_type"] == get(study, "protocolSection.designModule.enrollmentInfo.type")
    assert got["lead_sponsor"] == get(study, "protocolSection.sponsorCollaboratorsModule.leadSponsor.name")
    assert got["lead_sponsor_class"] == get(study, "protocolSection.sponsorCollaboratorsModule.leadSponsor.class")
    assert got["has_results"] == bool(study.get("hasResults", False))
    assert got["conditions"] == get(study, "protocolSection.conditionsModule.conditions")
    assert got["keywords"] == get(study, "protocolSection.conditionsModule.keywords")
    assert got["version_holder"] == expected_date(get(study, "derivedSection.miscInfoModule.versionHolder"))
    assert got["nct_id_aliases"] == get(study, "protocolSection.identificationModule.nctIdAliases")


def rows(con: duckdb.DuckDBPyConnection, query: str, nct_id: str) -> list[tuple[Any, ...]]:
    return con.execute(query, [nct_id]).fetchall()


@pytest.mark.parametrize("study", STUDIES, ids=nct)
def test_child_tables_match_the_json(con: duckdb.DuckDBPyConnection, study: dict[str, Any]) -> None:
    key = nct(study)
    interventions = get(study, "protocolSection.armsInterventionsModule.interventions") or []
    assert rows(con, "select intervention_type, name, description, other_names, arm_group_labels "
                     "from core.interventions where nct_id = ? order by intervention_idx", key) == [
        (i.get("type"), i.get("name"), i.get("description"), i.get("otherNames", []), i.get("armGroupLabels", []))
        for i in interventions
    ]
    assert [r[0] for r in rows(con, "select other_name from core.intervention_other_names where nct_id = ? "
                                    "order by intervention_idx, other_name_idx", key)] == [
        name for i in interventions for name in i.get("otherNames", [])
    ]
    arms = get(study, "protocolSection.armsInterventionsModule.armGroups") or []
    assert rows(con, "select label, arm_group_type, description, intervention_names from core.arm_groups "
                     "where nct_id = ? order by arm_group_idx", key) == [
        (a.get("label"), a.get("type"), a.get("description"), a.get("interventionNames", [])) for a in arms
    ]
    assert [r[0] for r in rows(con, "select condition from core.conditions where nct_id = ? order by condition_idx",
                               key)] == (get(study, "protocolSection.conditionsModule.conditions") or [])
    for table, module in [("condition_mesh", "conditionBrowseModule"),
                          ("intervention_mesh", "interventionBrowseModule")]:
        for kind, field in [("mesh", "meshes"), ("ancestor", "ancestors")]:
            listed = get(study, f"derivedSection.{module}.{field}") or []
            expected = sorted((m.get("id"), m.get("term")) for m in listed)
            query = f"select mesh_id, term from core.{table} where nct_id = ? and kind = '{kind}'"
            assert sorted(rows(con, query, key)) == expected
    sponsors = get(study, "protocolSection.sponsorCollaboratorsModule") or {}
    expected_sponsors = ([("lead", sponsors["leadSponsor"].get("name"), sponsors["leadSponsor"].get("class"))]
                         if "leadSponsor" in sponsors else [])
    expected_sponsors += [("collaborator", c.get("name"), c.get("class")) for c in sponsors.get("collaborators", [])]
    assert rows(con, "select role, name, sponsor_class from core.sponsors where nct_id = ? "
                     "order by role = 'collaborator', sponsor_idx", key) == expected_sponsors
    locations = get(study, "protocolSection.contactsLocationsModule.locations") or []
    assert rows(con, "select facility, site_status, city, state, zip, country, lat, lon from core.locations "
                     "where nct_id = ? order by location_idx", key) == [
        (x.get("facility"), x.get("status"), x.get("city"), x.get("state"), x.get("zip"), x.get("country"),
         (x.get("geoPoint") or {}).get("lat"), (x.get("geoPoint") or {}).get("lon")) for x in locations
    ]
    secondary = get(study, "protocolSection.identificationModule.secondaryIdInfos") or []
    assert rows(con, "select secondary_id, id_type, domain from core.secondary_ids where nct_id = ? and "
                     "kind = 'secondary' order by id_idx", key) == [
        (s.get("id"), s.get("type"), s.get("domain")) for s in secondary
    ]


@pytest.mark.parametrize("study", STUDIES, ids=nct)
def test_public_trials_view_codes(con: duckdb.DuckDBPyConnection, study: dict[str, Any]) -> None:
    got = row(con, "select phase, phase_rank, status_group, url from trials where nct_id = ?", [nct(study)])
    phases = get(study, "protocolSection.designModule.phases")
    expected = {
        None: (None, None), ("EARLY_PHASE1",): ("Early Phase 1", 0), ("PHASE1",): ("Phase 1", 1),
        ("PHASE1", "PHASE2"): ("Phase 1/2", 1.5), ("PHASE2",): ("Phase 2", 2), ("PHASE2", "PHASE3"): ("Phase 2/3", 2.5),
        ("PHASE3",): ("Phase 3", 3), ("PHASE4",): ("Phase 4", 4), ("NA",): ("Not applicable", None),
    }[None if phases is None else tuple(sorted(phases))]
    assert (got["phase"], got["phase_rank"]) == expected
    assert got["status_group"] in {"open", "active", "completed", "stopped", "unknown", "other"}
    assert got["url"] == f"https://clinicaltrials.gov/study/{nct(study)}"


# --- one test per quirk, on records built from a real shape -------------------------------------------

def template() -> dict[str, Any]:
    return copy.deepcopy(next(s for s in STUDIES if get(s, "protocolSection.contactsLocationsModule.locations")))


def with_id(study: dict[str, Any], nct_id: str) -> dict[str, Any]:
    study["protocolSection"]["identificationModule"]["nctId"] = nct_id
    return study


def test_month_precision_dates_parse_to_the_first_day(tmp_path: Path) -> None:
    study = with_id(template(), "NCT90000001")
    study["protocolSection"]["statusModule"]["startDateStruct"] = {"date": "2024-06", "type": "ACTUAL"}
    study["protocolSection"]["statusModule"]["completionDateStruct"] = {"date": "2027", "type": "ESTIMATED"}
    got = row(load(tmp_path, [study]), "select * from core.trials", [])
    assert (got["start_date_raw"], got["start_date"], got["start_date_precision"]) == ("2024-06", date(2024, 6, 1),
                                                                                      "month")
    assert (got["completion_date"], got["completion_date_precision"], got["completion_date_type"]) == (
        date(2027, 1, 1), "year", "ESTIMATED")


def test_missing_date_type_stays_null(tmp_path: Path) -> None:
    study = with_id(template(), "NCT90000002")
    study["protocolSection"]["statusModule"]["startDateStruct"] = {"date": "2009-03"}
    got = row(load(tmp_path, [study]), "select start_date_type, start_date from trials", [])
    assert got == {"start_date_type": None, "start_date": date(2009, 3, 1)}


def test_estimated_post_dates_keep_their_type(tmp_path: Path) -> None:
    study = with_id(template(), "NCT90000003")
    study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {"date": "2025-09-10", "type": "ESTIMATED"}
    got = row(load(tmp_path, [study]), "select last_update_post_date, last_update_post_date_type from trials", [])
    assert got == {"last_update_post_date": date(2025, 9, 10), "last_update_post_date_type": "ESTIMATED"}


@pytest.mark.parametrize(("phases", "phase", "rank"), [
    pytest.param(["PHASE2", "PHASE1"], "Phase 1/2", 1.5, id="combined-unsorted"),
    pytest.param(["PHASE2", "PHASE3"], "Phase 2/3", 2.5, id="combined-2-3"),
    pytest.param(["NA"], "Not applicable", None, id="not-applicable"),
    pytest.param(None, None, None, id="absent"),
    pytest.param(["EARLY_PHASE1"], "Early Phase 1", 0.0, id="early-phase-1"),
])
def test_phase_codes(tmp_path: Path, phases: list[str] | None, phase: str | None, rank: float | None) -> None:
    study = with_id(template(), "NCT90000004")
    design = study["protocolSection"]["designModule"]
    design.pop("phases", None)
    if phases is not None:
        design["phases"] = phases
    got = row(load(tmp_path, [study]), "select phases, phase, phase_rank from trials", [])
    assert got == {"phases": phases, "phase": phase, "phase_rank": rank}


def test_absent_modules_load(tmp_path: Path) -> None:
    study = with_id(template(), "NCT90000005")
    for module in ["armsInterventionsModule", "contactsLocationsModule", "conditionsModule", "designModule",
                   "sponsorCollaboratorsModule"]:
        study["protocolSection"].pop(module, None)
    study.pop("derivedSection", None)
    study.pop("resultsSection", None)
    study.pop("hasResults", None)
    con = load(tmp_path, [study])
    got = row(con, "select nct_id, phase, has_results, location_count, lead_sponsor from trials", [])
    assert got == {"nct_id": "NCT90000005", "phase": None, "has_results": False, "location_count": 0,
                   "lead_sponsor": None}
    for table in ["interventions", "arm_groups", "conditions", "locations", "condition_mesh", "sponsors"]:
        assert con.execute(f"select count(*) from core.{table}").fetchone() == (0,)


def test_more_than_a_thousand_locations(tmp_path: Path) -> None:
    study = with_id(template(), "NCT90000006")
    site = study["protocolSection"]["contactsLocationsModule"]["locations"][0]
    study["protocolSection"]["contactsLocationsModule"]["locations"] = [
        {**site, "facility": f"Site {i}", "geoPoint": {"lat": i / 100, "lon": -i / 100}} for i in range(1_148)
    ]
    con = load(tmp_path, [study])
    assert con.execute("select count(*), count(distinct facility), max(location_idx) from core.locations").fetchone() \
        == (1_148, 1_148, 1_148)
    assert con.execute("select location_count from trials").fetchone() == (1_148,)
    assert con.execute("select lat, lon from core.locations where facility = 'Site 1147'").fetchone() == (11.47, -11.47)


def test_unknown_fields_are_tolerated_and_kept_in_raw(tmp_path: Path) -> None:
    study = with_id(template(), "NCT90000007")
    study["derivedSection"] = {**study.get("derivedSection", {}), "futureModule": {"x": [1, 2]}}
    study["protocolSection"]["designModule"]["phases"] = "PHASE2"  # a type the field map does not expect
    con = load(tmp_path, [study])
    assert con.execute("select phases from trials").fetchone() == (None,)
    assert con.execute("select payload->'$.derivedSection.futureModule.x' from raw.study_versions").fetchone() == (
        "[1,2]",)
