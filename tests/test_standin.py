"""The offline CT.gov stand-in over real loopback HTTP: API semantics, faults, admin, corpora, CLI."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from tests.standin import (
    DEMO_TODAY,
    Faults,
    FaultyStandIn,
    Registry,
    demo_labels,
    demo_studies,
    real_studies,
    synthetic_labels,
    synthetic_studies,
)
from tests.standin.corpus import iter_synthetic_studies

ROOT = Path(__file__).resolve().parent.parent
MECHANISM_CLASSES = {
    "car_nk", "adoptive_nk", "nk_engager", "nk_checkpoint", "immune_checkpoint", "nkg2d_axis", "cytokine",
    "innate_checkpoint", "adcc_antibody", "nk_modulator",
}
ALL_STATUSES = {
    "ACTIVE_NOT_RECRUITING", "COMPLETED", "ENROLLING_BY_INVITATION", "NOT_YET_RECRUITING", "RECRUITING", "SUSPENDED",
    "TERMINATED", "WITHDRAWN", "AVAILABLE", "NO_LONGER_AVAILABLE", "TEMPORARILY_NOT_AVAILABLE",
    "APPROVED_FOR_MARKETING", "WITHHELD", "UNKNOWN",
}


# ------------------------------------------------------------------------------------------ helpers

def make_study(number: int, *names: str, other_names: tuple[str, ...] = (), status: str = "RECRUITING",
               updated: str = "2026-01-15", phases: tuple[str, ...] = ("PHASE2",),
               aliases: tuple[str, ...] = ()) -> dict[str, Any]:
    """A minimal valid study: the fields the tests search on, nothing else."""
    ident: dict[str, Any] = {"nctId": f"NCT{91_000_000 + number:08d}", "briefTitle": f"Study {number}"}
    if aliases:
        ident["nctIdAliases"] = list(aliases)
    interventions: list[dict[str, Any]] = [{"type": "DRUG", "name": name} for name in names]
    if other_names and interventions:
        interventions[0]["otherNames"] = list(other_names)
    return {
        "protocolSection": {
            "identificationModule": ident,
            "statusModule": {"overallStatus": status, "lastUpdatePostDateStruct": {"date": updated, "type": "ACTUAL"}},
            "designModule": {"studyType": "INTERVENTIONAL", "phases": list(phases)},
            "armsInterventionsModule": {"interventions": interventions},
        },
        "hasResults": False,
    }


def nct(number: int) -> str:
    return f"NCT{91_000_000 + number:08d}"


@contextmanager
def serve(studies: list[dict[str, Any]], faults: Faults | None = None, **registry: Any) -> Iterator[FaultyStandIn]:
    with FaultyStandIn(Registry(studies, **registry), faults) as standin:
        yield standin


@contextmanager
def client(standin: FaultyStandIn) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=standin.url, timeout=30) as http:
        yield http


def ids_of(body: dict[str, Any]) -> list[str]:
    return [s["protocolSection"]["identificationModule"]["nctId"] for s in body["studies"]]


def read_all(http: httpx.Client, params: dict[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Follow nextPageToken to the end; return the page bodies and every id seen."""
    pages, ids, token = [], [], None
    while True:
        response = http.get("/studies", params=params if token is None else {**params, "pageToken": token})
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        ids += ids_of(body)
        token = body.get("nextPageToken")
        if not token:
            return pages, ids


ESSIE_STUDIES = [
    make_study(1, "Pembrolizumab", other_names=("MK-3475", "Keytruda")),
    make_study(2, "MK3475"),
    make_study(3, "MK 3475 200 mg IV"),
    make_study(4, "Nivolumab"),
    make_study(5, "Monalizumab", "Durvalumab"),
    make_study(6, "Anti-NKG2A Monoclonal Antibody IPH2201"),
]


@pytest.fixture(scope="module")
def essie_standin() -> Iterator[FaultyStandIn]:
    with serve(ESSIE_STUDIES) as standin:
        yield standin


@pytest.fixture(scope="module")
def real_standin() -> Iterator[FaultyStandIn]:
    with serve(real_studies()) as standin:
        yield standin


# ------------------------------------------------------------------------------------------ basics

def test_version_reports_api_version_and_data_timestamp(real_standin: FaultyStandIn) -> None:
    with client(real_standin) as http:
        body = http.get("/version").json()
    assert body == {"apiVersion": "2.0.5", "dataTimestamp": "2026-11-20T09:00:05"}


@pytest.mark.parametrize("name", ["filter.phase", "query.bogus", "pagesize"])
def test_unknown_parameter_is_400_text_plain(real_standin: FaultyStandIn, name: str) -> None:
    with client(real_standin) as http:
        response = http.get("/studies", params={name: "PHASE3"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == f"`{name}` is unknown parameter"


@pytest.mark.parametrize("path", ["/api/query/full_studies", "/nothing", "/api/v2/studies/NCT00184067/extra"])
def test_unknown_path_is_nginx_html_404(real_standin: FaultyStandIn, path: str) -> None:
    with httpx.Client(base_url=real_standin.origin) as http:
        response = http.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html"
    assert "<center>nginx</center>" in response.text


def test_single_study_alias_redirects_unknown_is_404_malformed_is_400() -> None:
    with serve([make_study(1, "Pembrolizumab", aliases=(nct(99),))]) as standin, client(standin) as http:
        moved = http.get(f"/studies/{nct(99)}")
        followed = http.get(f"/studies/{nct(99)}", follow_redirects=True)
        missing = http.get(f"/studies/{nct(50)}")
        malformed = http.get("/studies/NCT12X")
    assert moved.status_code == 301
    assert moved.headers["location"] == f"/api/v2/studies/{nct(1)}"
    assert followed.json()["protocolSection"]["identificationModule"]["nctId"] == nct(1)
    assert (missing.status_code, missing.headers["content-type"][:10]) == (404, "text/plain")
    assert missing.text == f"NCT number {nct(50)} not found"
    assert malformed.status_code == 400


def test_every_served_study_carries_the_data_date_as_version_holder(real_standin: FaultyStandIn) -> None:
    with client(real_standin) as http:
        page = http.get("/studies", params={"pageSize": 100}).json()
        single = http.get("/studies/NCT00184067").json()
    holders = {s["derivedSection"]["miscInfoModule"]["versionHolder"] for s in page["studies"]}
    assert holders == {"2026-11-20"}
    assert single["derivedSection"]["miscInfoModule"]["versionHolder"] == "2026-11-20"


# ------------------------------------------------------------------------------------------ paging

def test_page_size_defaults_to_10_and_is_clamped_to_1000() -> None:
    with serve([make_study(i) for i in range(1200)]) as standin, client(standin) as http:
        default = http.get("/studies").json()
        clamped = http.get("/studies", params={"pageSize": 5000}).json()
    assert len(default["studies"]) == 10
    assert len(clamped["studies"]) == 1000


def test_tokens_lead_to_the_end_and_total_count_is_on_the_first_page_only(real_standin: FaultyStandIn) -> None:
    with client(real_standin) as http:
        pages, ids = read_all(http, {"pageSize": "7", "countTotal": "true"})
    assert pages[0]["totalCount"] == 30
    assert all("totalCount" not in page for page in pages[1:])
    assert len(ids) == len(set(ids)) == 30
    tokens = [page["nextPageToken"] for page in pages[:-1]]
    assert len(set(tokens)) == len(tokens) and all(len(t) == 48 for t in tokens)


def test_later_pages_must_repeat_the_first_pages_parameters(real_standin: FaultyStandIn) -> None:
    params = {"pageSize": "5", "query.cond": "cancer OR leukemia OR lymphoma OR neoplasms", "countTotal": "true"}
    with client(real_standin) as http:
        token = http.get("/studies", params=params).json()["nextPageToken"]
        changed = http.get("/studies", params={**params, "query.cond": "cancer", "pageToken": token})
        paging_only = http.get("/studies", params={"query.cond": params["query.cond"], "pageSize": "2",
                                                   "pageToken": token})
    assert changed.status_code == 400
    assert changed.headers["content-type"].startswith("text/plain")
    assert paging_only.status_code == 200
    assert "totalCount" not in paging_only.json()


@pytest.mark.parametrize("spurious", [True, False], ids=["quirk-on", "quirk-off"])
def test_exactly_full_last_page(spurious: bool) -> None:
    faults = Faults(spurious_last_token=spurious)
    with serve([make_study(i) for i in range(20)], faults) as standin, client(standin) as http:
        pages, ids = read_all(http, {"pageSize": "10"})
    assert len(ids) == 20
    if spurious:
        # the real API's quirk: a token after the full last page, then an empty page without token
        assert [len(p["studies"]) for p in pages] == [10, 10, 0]
        assert pages[-1] == {"studies": []}
    else:
        assert [len(p["studies"]) for p in pages] == [10, 10]


def test_empty_middle_page_still_carries_a_token() -> None:
    faults = Faults(script=["ok", "empty_page"])
    with serve([make_study(i) for i in range(25)], faults) as standin, client(standin) as http:
        pages, ids = read_all(http, {"pageSize": "10"})
        log = standin.request_log()
    assert [len(p["studies"]) for p in pages] == [10, 0, 10, 5]
    assert "nextPageToken" in pages[1]
    assert sorted(ids) == [nct(i) for i in range(25)]
    assert [entry["fault"] for entry in log] == [None, "empty_page", None, None]


def test_default_order_is_stable_and_not_nct_order(real_standin: FaultyStandIn) -> None:
    with client(real_standin) as http:
        first = ids_of(http.get("/studies", params={"pageSize": 100}).json())
        again = ids_of(http.get("/studies", params={"pageSize": 100}).json())
    assert first == again
    assert first != sorted(first)


# ------------------------------------------------------------------------------------------ search

@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("pembrolizumab", {1}),
        ("PEMBROLIZUMAB", {1}),
        ("MK-3475", {1, 3}),  # hyphen = space: "MK 3475" matches, "MK3475" is another token
        ('"MK 3475"', {1, 3}),
        ("MK3475", {2}),
        ("pembrolizumab OR nivolumab", {1, 4}),
        ("monalizumab AND durvalumab", {5}),
        ("monalizumab durvalumab", {5}),
        ("monalizumab AND nivolumab", set()),
        ("NOT nivolumab", {1, 2, 3, 5, 6}),
        ("(MK-3475 OR MK3475) AND NOT keytruda", {2, 3}),
        ('"anti NKG2A"', {6}),
        ('"NKG2A anti"', set()),
        ("AREA[InterventionOtherName]keytruda", {1}),
        ("AREA[InterventionName]MK-3475", {3}),
    ],
)
def test_essie_over_query_intr(essie_standin: FaultyStandIn, expression: str, expected: set[int]) -> None:
    with client(essie_standin) as http:
        response = http.get("/studies", params={"query.intr": expression, "pageSize": 100})
    assert response.status_code == 200, response.text
    assert set(ids_of(response.json())) == {nct(i) for i in expected}


@pytest.mark.parametrize("expression", ['"unterminated', "(pembrolizumab", "SEARCH[Location](Paris)", "AREA[Nope]x"])
def test_malformed_essie_is_400(essie_standin: FaultyStandIn, expression: str) -> None:
    with client(essie_standin) as http:
        response = http.get("/studies", params={"query.intr": expression})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")


def test_a_query_of_only_nct_ids_switches_every_filter_off(essie_standin: FaultyStandIn) -> None:
    filters = {"filter.overallStatus": "COMPLETED", "postFilter.advanced": "AREA[Phase]PHASE3"}
    with client(essie_standin) as http:
        only_ids = http.get("/studies", params={"query.term": f"{nct(1)}, {nct(4)}", **filters}).json()
        with_terms = http.get("/studies", params={"query.intr": "pembrolizumab OR nivolumab", **filters}).json()
    assert set(ids_of(only_ids)) == {nct(1), nct(4)}
    assert ids_of(with_terms) == []


RANGE_STUDIES = [
    make_study(1, updated="2026-01-09"), make_study(2, updated="2026-01-10"), make_study(3, updated="2026-01-15"),
    make_study(4, updated="2026-01-20", phases=("PHASE3",)), make_study(5, updated="2026-01-21"),
]


@pytest.mark.parametrize(
    ("advanced", "expected"),
    [
        ("AREA[LastUpdatePostDate]RANGE[2026-01-10,2026-01-20]", {2, 3, 4}),
        ("AREA[LastUpdatePostDate]RANGE[2026-01-20,MAX]", {4, 5}),
        ("AREA[LastUpdatePostDate]RANGE[MIN,2026-01-10]", {1, 2}),
        ("AREA[LastUpdatePostDate]RANGE[2026-01,MAX]", {1, 2, 3, 4, 5}),
        ("AREA[LastUpdatePostDate]RANGE[2026-01-10,MAX] AND AREA[Phase]PHASE3", {4}),
        ("AREA[LastUpdatePostDate]RANGE[2026-01-22,MAX]", set()),
    ],
)
def test_filter_advanced_range_is_inclusive(advanced: str, expected: set[int]) -> None:
    with serve(RANGE_STUDIES) as standin, client(standin) as http:
        response = http.get("/studies", params={"filter.advanced": advanced, "pageSize": 100})
    assert response.status_code == 200, response.text
    assert set(ids_of(response.json())) == {nct(i) for i in expected}


def test_filter_ids_matches_nct_ids_and_aliases() -> None:
    studies = [make_study(1, aliases=(nct(77),)), make_study(2), make_study(3)]
    with serve(studies) as standin, client(standin) as http:
        body = http.get("/studies", params={"filter.ids": f"{nct(77)}|{nct(3)}|NCT00000001"}).json()
    assert set(ids_of(body)) == {nct(1), nct(3)}


def test_update_and_advance_move_studies_in_and_out_of_a_delta_range() -> None:
    registry = Registry(RANGE_STUDIES, today=DEMO_TODAY)
    delta = {"filter.advanced": "AREA[LastUpdatePostDate]RANGE[2026-11-20,MAX]", "pageSize": "100"}
    with FaultyStandIn(registry) as standin, client(standin) as http:
        before = ids_of(http.get("/studies", params=delta).json())
        registry.update(nct(2), {"overallStatus": "COMPLETED"})
        after_update = http.get("/studies", params=delta).json()
        registry.advance(1)
        next_day = ids_of(http.get("/studies", params=delta).json())
        version = http.get("/version").json()
    assert before == []
    assert ids_of(after_update) == [nct(2)]
    updated = after_update["studies"][0]["protocolSection"]["statusModule"]
    assert updated["overallStatus"] == "COMPLETED"
    assert updated["lastUpdatePostDateStruct"] == {"date": "2026-11-20", "type": "ACTUAL"}
    assert next_day == [nct(2)]  # RANGE is inclusive: yesterday's update is still inside [2026-11-20, MAX]
    assert version["dataTimestamp"].startswith("2026-11-21")


# ------------------------------------------------------------------------------------------ faults

@pytest.mark.parametrize("endpoint", ["/version", "/studies"])
@pytest.mark.parametrize(
    ("fault", "status", "retry_after"),
    [("429", 429, None), ("429ra", 429, "1"), ("500", 500, None), ("503", 503, None)],
)
def test_status_faults(endpoint: str, fault: str, status: int, retry_after: str | None) -> None:
    with serve([make_study(1)], Faults(script=[fault])) as standin, client(standin) as http:
        faulty = http.get(endpoint)
        healthy = http.get(endpoint)
    assert faulty.status_code == status
    assert faulty.headers.get("retry-after") == retry_after
    assert faulty.headers["content-type"].startswith("text/plain")
    assert healthy.status_code == 200


def test_reset_raises_a_transport_error() -> None:
    with serve([make_study(1)], Faults(script=["reset"])) as standin, client(standin) as http:
        with pytest.raises(httpx.TransportError):
            http.get("/studies")
        assert http.get("/studies").status_code == 200
        assert [e["status"] for e in standin.request_log()] == [0, 200]


def test_truncate_close_raises_an_httpx_error() -> None:
    with serve([make_study(1)], Faults(script=["truncate_close"])) as standin, client(standin) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/studies")
        assert http.get("/studies").status_code == 200


def test_truncate_json_is_a_complete_response_with_invalid_json() -> None:
    with serve([make_study(1)], Faults(script=["truncate_json"])) as standin, client(standin) as http:
        response = http.get("/studies")
    assert response.status_code == 200
    assert len(response.content) == int(response.headers["content-length"])
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_faults_never_apply_to_admin_endpoints() -> None:
    with serve([make_study(1)], Faults(script=["500"])) as standin, client(standin) as http:
        admin = httpx.get(f"{standin.admin_url}/stats")
        api = http.get("/version")
    assert admin.status_code == 200
    assert api.status_code == 500


def test_random_faults_replay_identically_for_a_seed() -> None:
    def run(standin: FaultyStandIn) -> list[str | None]:
        standin.faults = Faults.mixed(0.6, seed=11)  # a new profile restarts the RNG
        standin.clear_log()
        with client(standin) as http:
            for _ in range(40):
                try:
                    http.get("/version")
                except httpx.TransportError:
                    pass
        return [entry["fault"] for entry in standin.request_log()]

    with serve([make_study(1)]) as standin:
        first, second = run(standin), run(standin)
    assert first == second
    assert len({f for f in first if f}) >= 4


def test_script_is_consumed_one_per_request_then_random() -> None:
    script = ["500", "ok", "503", "429"]
    with serve([make_study(1)], Faults(script=script)) as standin, client(standin) as http:
        statuses = [http.get("/version").status_code for _ in range(6)]
    assert statuses == [500, 200, 503, 429, 200, 200]


def test_faults_validate_their_fields() -> None:
    with pytest.raises(ValueError):
        Faults(script=["teapot"])
    with pytest.raises(ValueError):
        Faults(p_500=0.7, p_503=0.7)
    mixed = Faults.mixed(0.2, seed=1)
    assert sum(mixed.probabilities()) == pytest.approx(0.2)


# ------------------------------------------------------------------------------------------ admin

def test_admin_endpoints() -> None:
    studies = [make_study(1, "Pembrolizumab"), make_study(2, "Nivolumab")]
    with serve(studies, today=DEMO_TODAY) as standin, client(standin) as http, httpx.Client() as control:
        admin = standin.admin_url
        http.get("/version")
        assert [e["path"] for e in control.get(f"{admin}/log").json()] == ["/api/v2/version"]
        assert control.post(f"{admin}/log/clear").json() == {"cleared": True}
        assert control.get(f"{admin}/log").json() == []
        advanced = control.post(f"{admin}/advance", params={"days": 3}).json()
        assert advanced["today"] == "2026-11-23"
        update = control.post(f"{admin}/update", params={"nct": nct(1)},
                            json={"statusModule": {"overallStatus": "TERMINATED", "whyStopped": "Sponsor decision"}})
        assert update.json() == {"nctId": nct(1), "lastUpdatePostDate": "2026-11-23"}
        status = http.get(f"/studies/{nct(1)}").json()["protocolSection"]["statusModule"]
        assert (status["overallStatus"], status["whyStopped"]) == ("TERMINATED", "Sponsor decision")
        added = control.post(f"{admin}/add", json=make_study(3, "Monalizumab"))
        assert (added.status_code, added.json()) == (201, {"nctId": nct(3)})
        assert control.post(f"{admin}/remove", params={"nct": nct(2)}).json() == {"removed": nct(2)}
        assert control.post(f"{admin}/remove", params={"nct": nct(2)}).status_code == 404
        found = http.get("/studies", params={"filter.advanced": "AREA[LastUpdatePostDate]RANGE[2026-11-23,MAX]"})
        assert set(ids_of(found.json())) == {nct(1), nct(3)}
        assert control.post(f"{admin}/faults", json={"script": ["503"]}).json()["script"] == ["503"]
        assert control.get(f"{admin}/faults").json()["script"] == ["503"]
        assert http.get("/version").status_code == 503
        assert control.post(f"{admin}/faults", json={"p_teapot": 1}).status_code == 400
        stats = control.get(f"{admin}/stats").json()
    assert stats["studies"] == 2
    assert stats["today"] == "2026-11-23"
    assert stats["byFault"] == {"503": 1}


# ------------------------------------------------------------------------------------------ corpora

def test_real_corpus_is_fresh_copies_of_the_bundled_records() -> None:
    first, second = real_studies(), real_studies()
    assert len(first) == 30
    first[0]["protocolSection"]["identificationModule"]["briefTitle"] = "changed"
    assert second[0]["protocolSection"]["identificationModule"]["briefTitle"] != "changed"


def test_synthetic_corpus_is_deterministic_and_uses_reserved_ids() -> None:
    first = synthetic_studies(60, seed=3)
    assert first == synthetic_studies(60, seed=3)
    assert first != synthetic_studies(60, seed=4)
    ids = [s["protocolSection"]["identificationModule"]["nctId"] for s in first]
    assert ids == [f"NCT{90000001 + i:08d}" for i in range(60)]
    assert all(i.startswith("NCT9") for i in ids)
    shifted = synthetic_studies(3, seed=3, start_id=95000000)
    assert [s["protocolSection"]["identificationModule"]["nctId"] for s in shifted][0] == "NCT95000000"
    with pytest.raises(ValueError):
        synthetic_studies(3, start_id=1)


def test_synthetic_studies_are_consistent_records() -> None:
    for study in synthetic_studies(300, seed=5):
        protocol = study["protocolSection"]
        arms = {a["label"] for a in protocol["armsInterventionsModule"].get("armGroups", [])}
        for intervention in protocol["armsInterventionsModule"]["interventions"]:
            assert set(intervention.get("armGroupLabels", [])) <= arms
        status = protocol["statusModule"]
        assert status["studyFirstPostDateStruct"]["date"] <= status["lastUpdatePostDateStruct"]["date"] <= "2026-11-19"
        assert status["lastUpdatePostDateStruct"]["date"] >= "2015-01-01"
        if status["overallStatus"] == "UNKNOWN":
            assert "lastKnownStatus" in status
        if status["overallStatus"] in ("TERMINATED", "WITHDRAWN"):
            assert "whyStopped" in status
        assert ("phases" in protocol["designModule"]) == (protocol["designModule"]["studyType"] == "INTERVENTIONAL")


def test_synthetic_average_size_is_in_the_real_band() -> None:
    sizes = [len(json.dumps(s, separators=(",", ":"))) for s in iter_synthetic_studies(400, seed=9)]
    assert 12_000 <= sum(sizes) / len(sizes) <= 20_000


def test_labels_follow_the_studies() -> None:
    labels = synthetic_labels(200, seed=8)
    studies = synthetic_studies(200, seed=8)
    assert list(labels) == [s["protocolSection"]["identificationModule"]["nctId"] for s in studies]
    for study in studies:
        label = labels[study["protocolSection"]["identificationModule"]["nctId"]]
        assert label["overall_status"] == study["protocolSection"]["statusModule"]["overallStatus"]
        assert label["phases"] == study["protocolSection"]["designModule"].get("phases")
        assert label["is_trap"] == (label["agents"] == [] and label["mechanisms"] == [])


def test_demo_corpus_covers_every_class_status_and_the_traps() -> None:
    labels = demo_labels()
    studies = demo_studies()
    assert len(studies) == len(labels) == 600
    classes = {m[0] for label in labels.values() for m in label["mechanisms"]}
    assert classes == MECHANISM_CLASSES
    assert {label["overall_status"] for label in labels.values()} == ALL_STATUSES
    share = sum(label["is_trap"] for label in labels.values()) / len(labels)
    assert 0.04 <= share <= 0.12
    assert any(label["is_non_oncology"] for label in labels.values())
    assert any(label["support_agents"] == ["aldesleukin"] for label in labels.values())
    statuses = [s["protocolSection"]["statusModule"] for s in studies]
    starts = {status["startDateStruct"]["date"][:4] for status in statuses if "startDateStruct" in status}
    assert min(starts) == "2008" and max(starts) == "2026"
    due_soon = [status for status in statuses if status["overallStatus"] in ("RECRUITING", "ACTIVE_NOT_RECRUITING")
                and "2026-11-20" < status.get("primaryCompletionDateStruct", {}).get("date", "") <= "2027-11-20"]
    assert len(due_soon) >= 20
    phases = {tuple(label["phases"] or ()) for label in labels.values()}
    assert phases == {(), ("EARLY_PHASE1",), ("PHASE1",), ("PHASE1", "PHASE2"), ("PHASE2",), ("PHASE2", "PHASE3"),
                      ("PHASE3",), ("PHASE4",), ("NA",)}


# ------------------------------------------------------------------------------------------ scale, CLI

class _Ident(msgspec.Struct):
    nctId: str


class _Protocol(msgspec.Struct):
    identificationModule: _Ident


class _Study(msgspec.Struct):
    protocolSection: _Protocol


class _Page(msgspec.Struct):
    studies: list[_Study]
    nextPageToken: str | None = None
    totalCount: int | None = None


def test_five_thousand_studies_read_completely_over_paging() -> None:
    # typed decoding (as the tracker's client does) keeps 85 MB of pages from dominating the test
    decoder = msgspec.json.Decoder(_Page)
    with serve(synthetic_studies(5000, seed=21)) as standin, client(standin) as http:
        params = {"pageSize": "1000", "countTotal": "true"}
        pages = [decoder.decode(http.get("/studies", params=params).content)]
        while pages[-1].nextPageToken:
            response = http.get("/studies", params={**params, "pageToken": pages[-1].nextPageToken})
            pages.append(decoder.decode(response.content))
    assert pages[0].totalCount == 5000
    assert [len(p.studies) for p in pages] == [1000] * 5 + [0]
    ids = [s.protocolSection.identificationModule.nctId for p in pages for s in p.studies]
    assert sorted(ids) == [f"NCT{90000001 + i:08d}" for i in range(5000)]


def test_command_line_prints_its_url_and_exits_0_on_sigterm() -> None:
    command = [sys.executable, "-m", "tests.standin", "--corpus", "real", "--port", "0", "--seed", "1"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:") and url.endswith("/api/v2")
            assert httpx.get(f"{url}/version").json()["apiVersion"] == "2.0.5"
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
            assert time.monotonic() - started < 5
            assert proc.stderr is not None and proc.stderr.read() == ""
        finally:
            if proc.poll() is None:
                proc.kill()
