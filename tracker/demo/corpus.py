"""The offline demo's corpus: 600 synthetic NK-cell and checkpoint trials, shipped as a data file.

``data/demo-corpus.json.gz`` is written once by the synthetic generator of the test rig
(``python -m tests.standin.make_demo``; seed :data:`DEMO_SEED`, start years 2008–2026) and a test checks
that it still equals what the generator produces. The demo reads the file instead of running the generator:
the generator, its tables of agents and conditions and the real records it dresses trials in are test code.

Beside the studies the file names the ``landscape_trials``: the trials the generator built as NK-cell or
checkpoint cancer therapy (what the tracker has to find out for itself), among which the demo's weekly
registry edits are posted (:mod:`.activity`).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from tracker.demo.registry import DEFAULT_TODAY, Registry, Study, bulk_allocation

__all__ = [
    "DEMO_FILE", "DEMO_SEED", "DEMO_TODAY", "DemoCorpus", "demo_registry", "demo_studies", "encode_demo", "load_demo",
]

DEMO_FILE: Final = Path(__file__).parent / "data" / "demo-corpus.json.gz"
DEMO_TODAY: Final[dt.date] = DEFAULT_TODAY  # date(2026, 11, 20): the demo's "today" and data date
DEMO_SEED: Final = 2026  # of the generator that wrote the corpus, and of the demo's weekly edits


@dataclass(frozen=True)
class DemoCorpus:
    studies: list[Study]
    landscape_trials: frozenset[str]


def encode_demo(corpus: DemoCorpus) -> bytes:
    """The bytes of the demo file: compact JSON, gzip without a timestamp, so the same corpus gives the same file."""
    data = {"studies": corpus.studies, "landscape_trials": sorted(corpus.landscape_trials)}
    return gzip.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), 9, mtime=0)


def load_demo(path: Path = DEMO_FILE) -> DemoCorpus:
    """A fresh copy of the demo corpus (the caller may change its studies)."""
    with bulk_allocation():
        data: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes()))
    return DemoCorpus(data["studies"], frozenset(data["landscape_trials"]))


def demo_studies() -> list[Study]:
    """The demo landscape: 600 trials of every mechanism class, phase and status."""
    return load_demo().studies


def demo_registry() -> Registry:
    """A registry of the demo landscape whose data date is DEMO_TODAY."""
    return Registry(demo_studies(), today=DEMO_TODAY)
