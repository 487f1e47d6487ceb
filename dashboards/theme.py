"""Colours and labels: the same colour for a mechanism on every page, colour-blind-safe (Paul Tol's muted set)."""

from __future__ import annotations

import re

MECHANISM_COLORS = {
    "car_nk": "#CC6677",
    "adoptive_nk": "#882255",
    "nk_engager": "#AA4499",
    "nk_checkpoint": "#332288",
    "immune_checkpoint": "#88CCEE",
    "nkg2d_axis": "#44AA99",
    "cytokine": "#117733",
    "innate_checkpoint": "#999933",
    "adcc_antibody": "#DDCC77",
    "nk_modulator": "#BBBBBB",
}
PHASE_ORDER = ["Early Phase 1", "Phase 1", "Phase 1/2", "Phase 2", "Phase 2/3", "Phase 3", "Phase 4",
               "Not applicable", "No phase"]
PHASE_COLORS = {
    "Early Phase 1": "#DDDDDD", "Phase 1": "#BBCCEE", "Phase 1/2": "#99DDFF", "Phase 2": "#44BB99",
    "Phase 2/3": "#BBCC33", "Phase 3": "#EEDD88", "Phase 4": "#EE8866", "Not applicable": "#AAAA00",
    "No phase": "#888888",
}
STATUS_ORDER = ["open", "active", "completed", "stopped", "unknown", "other"]
STATUS_COLORS = {"open": "#117733", "active": "#88CCEE", "completed": "#332288", "stopped": "#CC6677",
                 "unknown": "#BBBBBB", "other": "#DDCC77"}
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
