"""The labelled case table (tests/cases/classification.toml) through the classifier and indication mapper."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from tracker.classify import Classifier
from tracker.indications import IndicationMapper
from tracker.landscape import Domain

CASES = tomllib.loads((Path(__file__).parent / "cases" / "classification.toml").read_text())["case"]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load()


@pytest.fixture(scope="module")
def classifier(domain: Domain) -> Classifier:
    return Classifier(domain.catalogue, domain.rules)


@pytest.fixture(scope="module")
def mapper(domain: Domain) -> IndicationMapper:
    return IndicationMapper(domain.indications, domain.vocabulary)


Frames = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]


def frames(case: dict[str, Any], nct: str = "NCT99999999") -> Frames:
    """interventions, arm groups, conditions, condition MeSH, trials (titles), intervention MeSH of one case."""
    interventions = pl.DataFrame(
        [{"nct_id": nct, "intervention_idx": i, "intervention_type": x.get("type"), "name": x.get("name"),
          "description": x.get("description") or None, "other_names": x.get("other_names", []),
          "arm_group_labels": []} for i, x in enumerate(case["interventions"], start=1)],
        schema={"nct_id": pl.String, "intervention_idx": pl.Int32, "intervention_type": pl.String, "name": pl.String,
                "description": pl.String, "other_names": pl.List(pl.String), "arm_group_labels": pl.List(pl.String)},
    )
    arms = pl.DataFrame(
        [{"nct_id": nct, "arm_group_idx": i, "label": a.get("label"), "arm_group_type": a.get("type"),
          "description": a.get("description"), "intervention_names": a.get("intervention_names", [])}
         for i, a in enumerate(case.get("arm_groups", []), start=1)],
        schema={"nct_id": pl.String, "arm_group_idx": pl.Int32, "label": pl.String, "arm_group_type": pl.String,
                "description": pl.String, "intervention_names": pl.List(pl.String)},
    )
    conditions = pl.DataFrame({"nct_id": [nct] * len(case["conditions"]), "condition": case["conditions"]},
                              schema={"nct_id": pl.String, "condition": pl.String})
    mesh_rows = [(nct, "mesh", None, t) for t in case.get("condition_mesh", [])]
    mesh_rows += [(nct, "ancestor", None, t) for t in case.get("condition_ancestors", [])]
    mesh = pl.DataFrame(mesh_rows, schema={"nct_id": pl.String, "kind": pl.String, "mesh_id": pl.String,
                                           "term": pl.String}, orient="row")
    trials = pl.DataFrame({"nct_id": [nct], "brief_title": [case.get("brief_title")],
                           "official_title": [case.get("official_title")]},
                          schema={"nct_id": pl.String, "brief_title": pl.String, "official_title": pl.String})
    intervention_mesh = pl.DataFrame({"nct_id": [nct] * len(case.get("intervention_mesh", [])), "kind": "mesh",
                                      "term": case.get("intervention_mesh", [])},
                                     schema={"nct_id": pl.String, "kind": pl.String, "term": pl.String})
    return interventions, arms, conditions, mesh, trials, intervention_mesh


@dataclass(frozen=True)
class Labels:
    agents: pl.DataFrame
    mechanisms: pl.DataFrame
    indications: pl.DataFrame


@pytest.fixture(scope="module")
def labels(classifier: Classifier, mapper: IndicationMapper) -> Labels:
    """Every case classified in one batch (as a refresh does), one NCT id per case."""
    parts = [frames(case, f"NCT9{n:07d}") for n, case in enumerate(CASES)]
    interventions, arms, conditions, mesh, trials, intervention_mesh = (pl.concat([p[i] for p in parts])
                                                                        for i in range(6))
    result = classifier.classify(interventions, arms, trials, intervention_mesh)
    return Labels(result.trial_agents, result.trial_mechanisms, mapper.map(conditions, mesh))


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c["id"] for c in CASES])
def test_case(labels: Labels, index: int) -> None:
    case, nct = CASES[index], f"NCT9{index:07d}"
    agents_rows = labels.agents.filter(pl.col("nct_id") == nct)
    mechanism_rows = labels.mechanisms.filter(pl.col("nct_id") == nct).to_dicts()
    agents = set(agents_rows.filter(pl.col("is_named"))["agent"].to_list())
    mechanisms = {(r["mechanism_class"], r["target"]) for r in mechanism_rows}
    primary = [(r["mechanism_class"], r["target"]) for r in mechanism_rows if r["is_primary"]]
    in_landscape = any(r["role"] == "tracked" for r in mechanism_rows)
    indications = set(labels.indications.filter(pl.col("nct_id") == nct)["indication"].to_list())
    assert agents == set(case["expect_agents"]), "agents"
    assert mechanisms == {tuple(m) for m in case["expect_mechanisms"]}, "mechanisms"
    assert primary == ([tuple(case["expect_primary"])] if case["expect_primary"] else []), "primary"
    assert in_landscape == case["expect_in_landscape"], "in_landscape"
    assert indications == set(case["expect_indications"]), "indications"
    evidence = {r["agent"]: r["matched_field"] for r in agents_rows.to_dicts()}
    for agent, field in case.get("expect_evidence", {}).items():
        assert evidence.get(agent) == field, f"evidence of {agent}: {agents_rows.to_dicts()}"
    for row in agents_rows.to_dicts():
        assert row["matched_field"] in {"name", "other_name", "description", "arm_group", "title",
                                        "intervention_mesh"}
        assert row["matched_text"], row
        assert row["matched_text"].lower().replace(" ", "") in row["field_text"].lower().replace(" ", "")


def test_one_trial_alone_gets_the_same_labels_as_in_a_batch(classifier: Classifier, labels: Labels) -> None:
    index = next(i for i, c in enumerate(CASES) if len(c["expect_mechanisms"]) > 1)
    interventions, arms, _, _, trials, intervention_mesh = frames(CASES[index], f"NCT9{index:07d}")
    alone = classifier.classify(interventions, arms, trials, intervention_mesh)
    batch = labels.mechanisms.filter(pl.col("nct_id") == f"NCT9{index:07d}")
    assert alone.trial_mechanisms.equals(batch)


def test_blind_case_set_meets_the_precision_and_recall_floor() -> None:
    """tests/cases/heldout.toml was written blind to the rules; the floors are the issue's (0.95, 0.95, 0.90)."""
    import subprocess
    import sys

    scorer = Path(__file__).resolve().parent.parent / "bench" / "eval_classifier.py"
    done = subprocess.run([sys.executable, str(scorer)], capture_output=True, text=True, check=True)
    scores = {line.split()[0]: (float(line.split()[2]), float(line.split()[4]))
              for line in done.stdout.splitlines()[1:]}
    assert min(scores["agent"]) >= 0.95 and min(scores["mechanism"]) >= 0.95, done.stdout
    assert min(scores["indication"]) >= 0.90, done.stdout


def test_indication_evidence_does_not_depend_on_row_order(mapper: IndicationMapper) -> None:
    # two MeSH terms and two conditions name the same indication: the evidence shown is the same every run
    mesh = pl.DataFrame({
        "nct_id": ["NCT90000001"] * 2, "kind": ["mesh"] * 2, "mesh_id": [None, None],
        "term": ["Pancreatic Neoplasms", "Carcinoma, Pancreatic Ductal"]}, schema_overrides={"mesh_id": pl.String})
    conditions = pl.DataFrame({"nct_id": ["NCT90000002"] * 2,
                               "condition": ["Pancreatic Cancer", "Adenocarcinoma of the Pancreas"]})
    shown = {tuple(mapper.map(conditions[order], mesh[order]).select("nct_id", "indication", "evidence").rows())
             for order in ([0, 1], [1, 0])}
    assert shown == {(("NCT90000001", "pancreatic", "Carcinoma, Pancreatic Ductal"),
                      ("NCT90000002", "pancreatic", "Adenocarcinoma of the Pancreas"))}
