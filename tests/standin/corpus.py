"""Corpora for the stand-in: the bundled real records, synthetic NK-cell/checkpoint trials, the demo's source.

* :func:`real_studies` — fresh copies of ``tests/standin/data/real/*.json`` (real CT.gov records).
* :func:`synthetic_studies` / :func:`iter_synthetic_studies` — ``n`` synthetic trials, deterministic for
  ``(n, seed, start_id)``, ids ``NCT{start_id + i:08d}`` in the reserved ``NCT9…`` range that no real
  trial uses; their shapes are deep copies of the real records (see :mod:`.synthetic`).
* :func:`synthetic_labels` — per trial, what a correct classifier should find (:func:`.plans.labels_of`);
  it draws only the plans, so it is much faster than building the studies, and always consistent.
* :func:`generate_demo` — the offline demo landscape (600 trials, seed 2026, start years 2008–2026) as the
  generator makes it; the tracker ships it as ``tracker/demo/data`` (:mod:`tracker.demo.corpus`), written
  by :mod:`.make_demo`. :func:`demo_labels` are its labels.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from tests.standin.plans import labels_of, plan_for
from tests.standin.synthetic import StudyBuilder
from tracker.demo.corpus import DEMO_SEED, DemoCorpus
from tracker.demo.registry import Study, bulk_allocation, fresh

__all__ = [
    "DEMO_SIZE",
    "SYNTHETIC_START_ID",
    "demo_labels",
    "generate_demo",
    "iter_synthetic_studies",
    "real_studies",
    "synthetic_labels",
    "synthetic_studies",
]

REAL_DIR: Final = Path(__file__).parent / "data" / "real"
DEMO_SIZE: Final = 600
DEMO_YEARS: Final = (2008, 2026)
SYNTHETIC_YEARS: Final = (2005, 2027)
SYNTHETIC_START_ID: Final = 90000001
_MAX_ID: Final = 99_999_999


@functools.cache
def _real_records() -> tuple[Study, ...]:
    # parsed once per process; callers only ever get fresh copies
    return tuple(json.loads(path.read_text(encoding="utf-8")) for path in sorted(REAL_DIR.glob("*.json")))


def real_studies() -> list[dict[str, Any]]:
    """Fresh copies of the bundled real CT.gov records (one per NCT id), in NCT order."""
    return [fresh(study) for study in _real_records()]


def _check_range(n: int, start_id: int) -> None:
    if n < 0:
        raise ValueError("n must not be negative")
    if not 90_000_000 <= start_id or start_id + n - 1 > _MAX_ID:
        raise ValueError("synthetic NCT ids must stay in the reserved range NCT90000000-NCT99999999")


def iter_synthetic_studies(
    n: int, seed: int = 0, start_id: int = SYNTHETIC_START_ID, *, years: tuple[int, int] = SYNTHETIC_YEARS
) -> Iterator[dict[str, Any]]:
    """Yield n synthetic trials one by one (a 100,000-study corpus need not fit in memory twice)."""
    _check_range(n, start_id)
    builder = StudyBuilder(_real_records(), seed, start_id, years)
    for index in range(n):
        yield builder.build(plan_for(seed, index))


def synthetic_studies(n: int, seed: int = 0, start_id: int = SYNTHETIC_START_ID) -> list[dict[str, Any]]:
    """n synthetic NK-cell / checkpoint trials, deterministic for (n, seed, start_id)."""
    with bulk_allocation():
        return list(iter_synthetic_studies(n, seed, start_id))


def synthetic_labels(n: int, seed: int = 0, start_id: int = SYNTHETIC_START_ID) -> dict[str, dict[str, Any]]:
    """Per NCT id of synthetic_studies(n, seed, start_id): the intended classification of the trial.

    Keys: agents (canonical names, partners included, traps empty), mechanisms ([class, target] pairs),
    support_agents (e.g. IL-2 given after NK cells), is_trap, is_non_oncology, indications (vocabulary
    codes), scenario, variant, study_type, phases, overall_status.
    """
    _check_range(n, start_id)
    return {f"NCT{start_id + i:08d}": labels_of(plan_for(seed, i)) for i in range(n)}


def demo_labels() -> dict[str, dict[str, Any]]:
    """synthetic_labels of the demo corpus."""
    return synthetic_labels(DEMO_SIZE, DEMO_SEED)


def generate_demo() -> DemoCorpus:
    """The demo corpus as the generator makes it: what ``tracker/demo/data/demo-corpus.json.gz`` must hold."""
    with bulk_allocation():
        studies = list(iter_synthetic_studies(DEMO_SIZE, DEMO_SEED, years=DEMO_YEARS))
    # NK-cell or checkpoint cancer therapy: the trials the demo's weekly registry edits are posted on
    landscape = frozenset(
        nct for nct, label in demo_labels().items()
        if label["mechanisms"] and not label["is_trap"] and not label["is_non_oncology"]
        and label["study_type"] == "INTERVENTIONAL"
    )
    return DemoCorpus(studies, landscape)
