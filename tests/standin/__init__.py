"""The test rig: the demo's CT.gov stand-in with faults, a request log and an admin API, and the corpora.

Beside the tests, not in the shipped package: :class:`FaultyStandIn` (:mod:`.server`, with :mod:`.faults`,
:mod:`.admin` and :mod:`.hostile`), the synthetic trial generator (:mod:`.corpus`, :mod:`.synthetic`,
:mod:`.plans` and their tables) and the real CT.gov records it starts from (``data/real``). Run a stand-in
from the shell with ``python -m tests.standin`` (from the repository root).
"""

from __future__ import annotations

from tests.standin.corpus import (
    demo_labels,
    generate_demo,
    iter_synthetic_studies,
    real_studies,
    synthetic_labels,
    synthetic_studies,
)
from tests.standin.faults import Faults
from tests.standin.server import FaultyStandIn
from tracker.demo.corpus import DEMO_TODAY, demo_registry, demo_studies
from tracker.demo.registry import Registry

__all__ = [
    "DEMO_TODAY",
    "FaultyStandIn",
    "Faults",
    "Registry",
    "demo_labels",
    "demo_registry",
    "demo_studies",
    "generate_demo",
    "iter_synthetic_studies",
    "real_studies",
    "synthetic_labels",
    "synthetic_studies",
]
