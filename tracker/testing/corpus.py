"""Corpora for the stand-in: the bundled real records, synthetic NK-cell/checkpoint trials, the demo.

* :func:`real_studies` — fresh copies of ``tracker/testing/data/real/*.json`` (real CT.gov records).
* :func:`synthetic_studies` / :func:`iter_synthetic_studies` — ``n`` synthetic trials, deterministic for
  ``(n, seed, start_id)``, ids ``NCT{start_id + i:08d}`` in the reserved ``NCT9…`` range that no real
  trial uses; their shapes are deep copies of the real records (see :mod:`.synthetic`).
* :func:`synthetic_labels` — per trial, what a correct classifier should find (:func:`.plans.labels_of`);
  it draws only the plans, so it is much faster than building the studies, and always consistent.
* :func:`demo_studies` / :func:`demo_registry` — the offline demo landscape (600 trials, seed 2026,
  start years 2008–2026), dated :data:`DEMO_TODAY`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from tracker.testing.plans import labels_of, plan_for
from tracker.testing.registry import DEFAULT_TODAY, Registry, Study, bulk_allocation, fresh
from tracker.testing.synthetic import StudyBuilder

__all__ = [
    "DEMO_SEED",
    "DEMO_SIZE",
    "DEMO_TODAY",
    "SYNTHETIC_START_ID",
    "demo_labels",
    "demo_registry",
    "demo_studies",
    "iter_synthetic_studies",
    "real_studies",
    "synthetic_labels",
    "synthetic_studies",
]

REAL_DIR: Final = Path(__file__).parent / "data" / "real"
DEMO_TODAY: Final[dt.date] = DEFAULT_TODAY  # date(2026, 11, 20): the demo's "today" and data date
DEMO_SIZE: Final = 600
DEMO_SEED: Final = 2026
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


def demo_studies() -> list[dict[str, Any]]:
    """The demo landscape: 600 trials of every mechanism class, phase and status (seed 2026)."""
    with bulk_allocation():
        return list(iter_synthetic_studies(DEMO_SIZE, DEMO_SEED, years=DEMO_YEARS))


def demo_labels() -> dict[str, dict[str, Any]]:
    """synthetic_labels of the demo corpus."""
    return synthetic_labels(DEMO_SIZE, DEMO_SEED)


def demo_registry() -> Registry:
    """A registry of the demo landscape whose data date is DEMO_TODAY."""
    return Registry(demo_studies(), today=DEMO_TODAY)
