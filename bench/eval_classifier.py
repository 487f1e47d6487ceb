"""Precision and recall of the classifier on a labelled case file (default: the blind held-out set).

    python bench/eval_classifier.py [tests/cases/heldout.toml] [--show-errors]

Counts (trial, agent), (trial, mechanism_class, target) and (trial, indication) pairs over all cases.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_classify import frames  # noqa: E402
from tracker.classify import Classifier  # noqa: E402
from tracker.indications import IndicationMapper  # noqa: E402
from tracker.landscape import Domain  # noqa: E402


def score(expected: set[tuple[str, ...]], found: set[tuple[str, ...]]) -> tuple[float, float, int, int]:
    hits = len(expected & found)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(expected) if expected else 1.0
    return precision, recall, len(found - expected), len(expected - found)


def main() -> int:
    path = Path(next((a for a in sys.argv[1:] if not a.startswith("--")), ROOT / "tests/cases/heldout.toml"))
    cases = tomllib.loads(path.read_text())["case"]
    domain = Domain.load()
    parts = [frames(case, f"NCT9{n:07d}") for n, case in enumerate(cases)]
    interventions, arms, conditions, mesh = (pl.concat([p[i] for p in parts]) for i in range(4))
    result = Classifier(domain.catalogue, domain.rules).classify(interventions, arms)
    indications = IndicationMapper(domain.indications, domain.vocabulary).map(conditions, mesh)
    ids = {f"NCT9{n:07d}": case for n, case in enumerate(cases)}
    expected: dict[str, set[tuple[str, ...]]] = {"agent": set(), "mechanism": set(), "indication": set()}
    found: dict[str, set[tuple[str, ...]]] = {"agent": set(), "mechanism": set(), "indication": set()}
    for nct, case in ids.items():
        expected["agent"] |= {(nct, a) for a in case["expect_agents"]}
        expected["mechanism"] |= {(nct, *m) for m in case["expect_mechanisms"]}
        expected["indication"] |= {(nct, i) for i in case["expect_indications"]}
    found["agent"] = {(r["nct_id"], r["agent"]) for r in result.trial_agents.filter(pl.col("is_named")).to_dicts()}
    found["mechanism"] = {(r["nct_id"], r["mechanism_class"], r["target"]) for r in result.trial_mechanisms.to_dicts()}
    found["indication"] = {(r["nct_id"], r["indication"]) for r in indications.to_dicts()}
    print(f"{path.name}: {len(cases)} cases")
    for kind in ("agent", "mechanism", "indication"):
        precision, recall, false_pos, false_neg = score(expected[kind], found[kind])
        print(f"  {kind:<10} precision {precision:.3f}  recall {recall:.3f}  "
              f"({false_pos} false positives, {false_neg} misses)")
    if "--show-errors" in sys.argv:
        for kind in ("agent", "mechanism", "indication"):
            for item in sorted(found[kind] - expected[kind]):
                print(f"  + {kind} {ids[item[0]]['id']}: {item[1:]}")
            for item in sorted(expected[kind] - found[kind]):
                print(f"  - {kind} {ids[item[0]]['id']}: {item[1:]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
