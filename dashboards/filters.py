"""The dashboard's global filters: parsed from and written to the URL, turned into parameterized SQL.

Pure Python, no Streamlit: the SQL text is built from constant fragments only; every value a user
chose travels as a `?` parameter.
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

    def trial_where(self, alias: str = "t") -> tuple[str, list[Any]]:
        """A WHERE clause over the public `trials` view (aliased) and its parameters."""
        clauses = [f"{alias}.in_landscape"]
        params: list[Any] = []

        def add(clause: str, *values: Any) -> None:
            clauses.append(clause)
            params.extend(values)

        if self.mechanism_classes or self.targets:
            row = [f"m.nct_id = {alias}.nct_id"]
            row_params: list[Any] = []
            if self.mechanism_classes:
                row.append("list_contains(?, m.mechanism_class)")
                row_params.append(list(self.mechanism_classes))
            if self.targets:
                row.append("list_contains(?, m.target)")
                row_params.append(list(self.targets))
            add(f"exists (select 1 from trial_mechanisms m where {' and '.join(row)})", *row_params)
        if self.agents:
            add(f"list_has_any({alias}.agents, ?)", list(self.agents))
        if self.phases:
            add(f"list_contains(?, coalesce({alias}.phase, 'No phase'))", list(self.phases))
        if self.status_groups:
            add(f"list_contains(?, {alias}.status_group)", list(self.status_groups))
        if self.indication_areas:
            add(f"list_has_any({alias}.indication_areas, ?)", list(self.indication_areas))
        if self.indications:
            add(f"list_has_any({alias}.indications, ?)", list(self.indications))
        if self.sponsor_classes:
            add(f"list_contains(?, {alias}.sponsor_class)", list(self.sponsor_classes))
        if self.start_years is not None:
            add(f"year({alias}.start_date) between ? and ?", self.start_years[0], self.start_years[1])
        if self.oncology == "oncology":
            clauses.append(f"{alias}.is_oncology")
        elif self.oncology == "non_oncology":
            clauses.append(f"not {alias}.is_oncology")
        if self.checkpoint == "hide":
            clauses.append(
                f"exists (select 1 from trial_mechanisms m where m.nct_id = {alias}.nct_id and m.role = 'tracked' "
                "and not (m.mechanism_class = 'immune_checkpoint' and m.target in ('PD-1', 'PD-L1', 'CTLA-4')))"
            )
        elif self.checkpoint == "with_nk":
            clauses.append(f"{alias}.has_pd1_pdl1_ctla4 and {alias}.has_nk_specific_agent")
        if self.nct_ids:
            add(f"list_contains(?, {alias}.nct_id)", list(self.nct_ids))
        return " and ".join(clauses), params

    def mechanism_where(self, alias: str = "m") -> tuple[str, list[Any]]:
        """Which mechanism rows of the filtered trials the charts count."""
        clauses = ["true"]
        params: list[Any] = []
        if self.mechanism_classes:
            clauses.append(f"list_contains(?, {alias}.mechanism_class)")
            params.append(list(self.mechanism_classes))
        if self.targets:
            clauses.append(f"list_contains(?, {alias}.target)")
            params.append(list(self.targets))
        if self.checkpoint == "hide":
            clauses.append(f"not ({alias}.mechanism_class = 'immune_checkpoint' and "
                           f"{alias}.target in ('PD-1', 'PD-L1', 'CTLA-4'))")
        return " and ".join(clauses), params

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
