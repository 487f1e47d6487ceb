"""The dashboard's global filters: what a user chose, parsed from and written to the URL.

Pure Python, no Streamlit and no SQL: filter_sql.py turns them into WHERE clauses whose values travel
as `?` parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

CHECKPOINT_MODES = {
    "all": "Show all trials",
    "hide": "Hide PD-1/PD-L1/CTLA-4-only trials",
    "with_nk": "Only PD-1/PD-L1/CTLA-4 trials that also test an NK-specific agent",
}
ONCOLOGY_MODES = {"all": "Oncology and non-oncology", "oncology": "Oncology only", "non_oncology": "Non-oncology only"}

# URL key → Filters field; lists are repeated keys (?mech=car_nk&mech=adoptive_nk)
URL_KEYS = {
    "mech": "mechanism_classes", "target": "targets", "agent": "agents", "phase": "phases",
    "status": "status_groups", "area": "indication_areas", "ind": "indications", "sponsor": "sponsor_classes",
    "start": "start_years", "onc": "oncology", "cpi": "checkpoint", "ids": "nct_ids",
}


@dataclass(frozen=True)
class Filters:
    mechanism_classes: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    phases: tuple[str, ...] = ()
    status_groups: tuple[str, ...] = ()
    indication_areas: tuple[str, ...] = ()
    indications: tuple[str, ...] = ()
    sponsor_classes: tuple[str, ...] = ()
    start_years: tuple[int, int] | None = None
    oncology: str = "all"
    checkpoint: str = "all"
    nct_ids: tuple[str, ...] = ()  # a chart selection narrows the list to these trials

    @classmethod
    def from_query_params(cls, params: Mapping[str, Sequence[str]]) -> Filters:
        """Read the filters from URL query parameters; unknown or malformed values are ignored."""
        values: dict[str, Any] = {}
        for key, name in URL_KEYS.items():
            raw = [v for v in params.get(key, []) if v]
            if not raw:
                continue
            if name == "start_years":
                values[name] = _year_range(raw[0])
            elif name == "oncology":
                values[name] = raw[0] if raw[0] in ONCOLOGY_MODES else "all"
            elif name == "checkpoint":
                values[name] = raw[0] if raw[0] in CHECKPOINT_MODES else "all"
            else:
                values[name] = tuple(dict.fromkeys(raw))
        return cls(**{k: v for k, v in values.items() if v is not None})

    def to_query_params(self) -> dict[str, list[str]]:
        """The filters as URL query parameters (only the ones that differ from the defaults)."""
        out: dict[str, list[str]] = {}
        for key, name in URL_KEYS.items():
            value = getattr(self, name)
            if name == "start_years":
                if value is not None:
                    out[key] = [f"{value[0]}-{value[1]}"]
            elif name in ("oncology", "checkpoint"):
                if value != "all":
                    out[key] = [value]
            elif value:
                out[key] = list(value)
        return out

    def describe(self) -> str:
        """A short human summary of the active filters."""
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value in ((), None, "all"):
                continue
            shown = ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)
            parts.append(f"{f.name.replace('_', ' ')}: {shown}")
        return "; ".join(parts) or "no filters"


def _year_range(raw: str) -> tuple[int, int] | None:
    try:
        low, high = (int(x) for x in raw.split("-", 1))
    except ValueError:
        return None
    return (min(low, high), max(low, high))
