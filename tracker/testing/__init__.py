"""Test and demo support: an offline CT.gov API v2 stand-in and the corpora it serves.

``StandIn`` is imported lazily so that ``python -m tracker.testing.standin`` does not import the module
it is about to run (which would make Python warn about a module found in sys.modules twice).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tracker.testing.corpus import (
    DEMO_TODAY,
    demo_labels,
    demo_registry,
    demo_studies,
    iter_synthetic_studies,
    real_studies,
    synthetic_labels,
    synthetic_studies,
)
from tracker.testing.faults import Faults
from tracker.testing.registry import Registry

if TYPE_CHECKING:
    from tracker.testing.standin import StandIn

__all__ = [
    "DEMO_TODAY",
    "Faults",
    "Registry",
    "StandIn",
    "demo_labels",
    "demo_registry",
    "demo_studies",
    "iter_synthetic_studies",
    "real_studies",
    "synthetic_labels",
    "synthetic_studies",
]


def __getattr__(name: str) -> Any:
    if name == "StandIn":
        from tracker.testing.standin import StandIn

        return StandIn
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
