"""The checks on CT.gov's answers: which study records may be stored, and when a full run's scope drop is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import sample_studies
from tests.standin.corpus import real_studies, synthetic_studies
from tracker.checks import SCOPE_DROP_MIN, check_records, check_scope_drop, record_problem
from tracker.errors import CtGovError, ScopeDropRefused


def record(nct_id: Any = "NCT01234567", **protocol: Any) -> bytes:
    section = {"identificationModule": {"nctId": nct_id}, "statusModule": {"overallStatus": "RECRUITING"}, **protocol}
    return json.dumps({"protocolSection": section}).encode()


def test_every_real_and_synthetic_record_passes() -> None:
    studies = [*sample_studies(), *real_studies(), *synthetic_studies(300, seed=1)]
    assert len(studies) >= 330
    assert [s for s in studies if record_problem(json.dumps(s).encode())] == []


@pytest.mark.parametrize("nct_id", [
    "NCT1234567", "NCT123456789", "nct01234567", "NCT01234567\n", " NCT01234567", "NCT0123456\u0667",
    "NCT0123456\uff17", "", "<script>alert(1)</script>", "../../etc/passwd", "NCT01234567' or 1=1--",
    "NCT" + "1" * 5000, "NCT-01234567",
])
def test_a_malformed_nct_id_is_refused(nct_id: str) -> None:
    problem = record_problem(record(nct_id))
    assert problem is not None and "is not NCT followed by 8 digits" in problem
    assert len(problem) < 120 and problem.isprintable()


@pytest.mark.parametrize(("raw", "expected"), [
    pytest.param(record(12345678), "Expected `str`, got `int`", id="id-number"),
    pytest.param(record(None), "Expected `str`, got `null`", id="id-null"),
    pytest.param(record(["NCT01234567"]), "Expected `str`, got `array`", id="id-list"),
    pytest.param(json.dumps({"protocolSection": {"statusModule": {}}}).encode(),
                 "missing required field `identificationModule`", id="no-identification"),
    pytest.param(json.dumps({"protocolSection": {"identificationModule": {"nctId": "NCT01234567"}}}).encode(),
                 "missing required field `statusModule`", id="no-status"),
    pytest.param(json.dumps({"derivedSection": {}}).encode(), "missing required field `protocolSection`",
                 id="no-protocol"),
    pytest.param(b'"NCT01234567"', "Expected `object`, got `str`", id="a-string"),
    pytest.param(b"[]", "Expected `object`, got `array`", id="a-list"),
    pytest.param(record(statusModule={"lastUpdatePostDateStruct": {"date": "<b>"}}), "lastUpdatePostDateStruct.date",
                 id="post-date-not-a-date"),
    pytest.param(record(statusModule={"lastUpdatePostDateStruct": "2026-01-01"}), "Expected `object | null`, got `str`",
                 id="post-date-not-a-struct"),
])
def test_a_record_without_what_identifies_it_is_refused(raw: bytes, expected: str) -> None:
    assert expected in (record_problem(raw) or "")


@pytest.mark.parametrize("raw", [
    record(), record(statusModule={}), record(statusModule={"lastUpdatePostDateStruct": {"date": "2026-01"}}),
    record(briefTitle="<script>alert(1)</script>"),
])
def test_a_sound_record_passes(raw: bytes) -> None:
    assert record_problem(raw) is None


def test_a_page_with_malformed_records_names_the_first_three() -> None:
    studies = [record(), record("x1"), record("x2"), record(), record("x3"), record("x4")]
    with pytest.raises(CtGovError) as caught:
        check_records(studies, label="agents: lirilumab", page=2, url="http://x/api/v2/studies")
    message = str(caught.value)
    assert message.startswith("CT.gov sent 4 malformed study record(s) on page 2 of query 'agents: lirilumab': "
                              "record 2: nctId 'x1' is not NCT followed by 8 digits; record 3:")
    assert "record 5: nctId 'x3'" in message and "'x4'" not in message and "(+1 more)" in message
    assert caught.value.url == "http://x/api/v2/studies"
    check_records([record(), record("NCT99999999")], label="ok", page=1, url="")


@pytest.mark.parametrize(("left", "before", "refused"), [
    (SCOPE_DROP_MIN, SCOPE_DROP_MIN, False),   # the whole of a small landscape: at most 50 moves freely
    (SCOPE_DROP_MIN + 1, 1000, False),         # 5 %
    (200, 1000, False),                        # exactly 20 %
    (201, 1000, True),
    (SCOPE_DROP_MIN + 1, SCOPE_DROP_MIN + 1, True),
    (5000, 5000, True),
    (0, 0, False),
])
def test_a_large_scope_drop_is_refused_unless_allowed(left: int, before: int, refused: bool) -> None:
    if refused:
        with pytest.raises(ScopeDropRefused, match="--allow-scope-drop"):
            check_scope_drop(left, before, allowed=False)
    else:
        check_scope_drop(left, before, allowed=False)
    check_scope_drop(left, before, allowed=True)
