"""The classifier on real CT.gov registrations (tests/cases/real): the blind set stays scored, and no worse.

bench/eval_classifier.py serves the verbatim records through the stand-in and runs two full refreshes
(the installation's scope; every record by id), then reads the public views. The floors are the figures
measured on main before the long-tail catalogue and rules merges (README, Benchmarks): they catch a
regression, and are raised as those merges lift the figures. The cases are blind: nothing is tuned on them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases" / "real" / "cases.toml"

# interventions level: (trial, label) pairs from the registered strings alone
INTERVENTION_FLOORS = {"agent": (0.99, 0.975), "mechanism": (0.99, 0.971), "indication": (0.953, 0.967)}
# record level, each record classified after a refresh that fetched it by id
CLASSIFIED_FLOORS = {"membership_accuracy": 0.996, "exact_mechanism_set": 0.973,
                     "exact_mechanism_set_expected_in": 0.951, "phase_exact": 1.0, "status_exact": 1.0}
SCOPE_RECALL_FLOOR = 0.944
END_TO_END_MEMBERSHIP_FLOOR = 0.965


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("eval") / "eval_real.json"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "eval_classifier.py"), str(CASES), "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(out.read_text())
    return result


@pytest.mark.slow
def test_every_case_with_a_record_is_scored(figures: dict[str, Any]) -> None:
    records = figures["record_level"]
    assert figures["cases"] == 279 and records["records"] == 261
    assert records["classified_all_records_by_id"]["records"] == records["records"]


@pytest.mark.slow
def test_interventions_level_stays_at_or_above_the_measured_figures(figures: dict[str, Any]) -> None:
    for kind, (precision, recall) in INTERVENTION_FLOORS.items():
        got = figures["interventions_level"][kind]
        assert got["precision"] >= precision and got["recall"] >= recall, (kind, got)


@pytest.mark.slow
def test_record_level_stays_at_or_above_the_measured_figures(figures: dict[str, Any]) -> None:
    records = figures["record_level"]
    classified = records["classified_all_records_by_id"]
    for key, floor in CLASSIFIED_FLOORS.items():
        assert classified[key] >= floor, (key, classified)
    assert records["fetched_by_scope"]["scope_recall"] >= SCOPE_RECALL_FLOOR, records["fetched_by_scope"]
    assert records["end_to_end"]["membership_accuracy"] >= END_TO_END_MEMBERSHIP_FLOOR, records["end_to_end"]
    # a record outside the landscape never enters it, through the scope or fetched by id
    assert records["end_to_end"]["out_kept_out"] == 1.0
    assert classified["expected_out_kept_out"] == 1.0
    assert classified["pairs"]["mechanism"]["precision"] >= 0.99, classified["pairs"]
