"""Colours and labels: the same colour for a code on every page, colour-blind-safe (Paul Tol's sets)."""

from __future__ import annotations

import re

from tracker.catalogue import load_vocabulary

# code → colour in display order, from the tracker's vocabulary (tracker/catalogue/data/vocabulary.toml)
_VOCABULARY = load_vocabulary()
_PALETTE = _VOCABULARY.palette()
MECHANISM_COLORS = _PALETTE["mechanism_class"]
PHASE_COLORS = _PALETTE["phase"]
PHASE_ORDER = list(PHASE_COLORS)
# what stands for phase null (observational, expanded access) in filters, axes and legends
NO_PHASE = _VOCABULARY.no_phase.code
STATUS_COLORS = _PALETTE["status_group"]
STATUS_ORDER = list(STATUS_COLORS)
SEQUENTIAL = "Blues"


class Labels:
    """Code → label lookups built from the database's reference tables (vocabulary.toml)."""

    def __init__(self, mechanisms: dict[str, str], targets: dict[tuple[str, str], str], indications: dict[str, str],
                 areas: dict[str, str], status_groups: dict[str, str]) -> None:
        self.mechanisms = mechanisms
        self.targets = targets
        self.indications = indications
        self.areas = areas
        self.status_groups = status_groups

    def mechanism(self, code: str | None) -> str:
        return self.mechanisms.get(code or "", code or "—")

    def indication(self, code: str | None) -> str:
        return self.indications.get(code or "", code or "—")

    def area(self, code: str | None) -> str:
        return self.areas.get(code or "", code or "—")

    def status_group(self, code: str | None) -> str:
        return self.status_groups.get(code or "", code or "—")

    @staticmethod
    def status(code: str | None) -> str:
        """CT.gov's overall status as its website words it: NOT_YET_RECRUITING → "Not yet recruiting"."""
        if not code:
            return "—"
        # only a code shaped like CT.gov's (RECRUITING, NOT_YET_RECRUITING) is reworded; anything else as sent
        return code.replace("_", " ").capitalize() if re.fullmatch(r"[A-Z_]+", code) else code
