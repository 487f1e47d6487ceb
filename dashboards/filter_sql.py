"""The dashboard's global filters as SQL: WHERE clauses over the public views, every chosen value a `?` parameter.

Filters (filters.py) holds what a user chose; the SQL text here is built from constant fragments only.
"""

from __future__ import annotations

from typing import Any

from dashboards.filters import Filters


def per_class_count(f: Filters) -> str:
    """Trials per mechanism class: a count of first-target rows, unless the filters drop some targets."""
    if f.targets or f.checkpoint == "hide":
        return "count(distinct nct_id)"
    return "count(*) filter (is_first_target_in_class)"


# each filter that is set adds its clause over the public `trials` view; the values travel as parameters
TRIAL_CLAUSES = {
    "agents": "list_has_any({t}.agents, ?)",
    "phases": "list_contains(?, coalesce({t}.phase, 'No phase'))",
    "status_groups": "list_contains(?, {t}.status_group)",
    "indication_areas": "list_has_any({t}.indication_areas, ?)",
    "indications": "list_has_any({t}.indications, ?)",
    "sponsor_classes": "list_contains(?, {t}.sponsor_class)",
}
CLASSIC_CHECKPOINT_ROW = "{m}.mechanism_class = 'immune_checkpoint' and {m}.target in ('PD-1', 'PD-L1', 'CTLA-4')"
ONCOLOGY_CLAUSES = {"oncology": "{t}.is_oncology", "non_oncology": "not {t}.is_oncology"}
CHECKPOINT_CLAUSES = {
    "hide": "exists (select 1 from trial_mechanisms m where m.nct_id = {t}.nct_id and m.role = 'tracked' "
            f"and not ({CLASSIC_CHECKPOINT_ROW.format(m='m')}))",
    "with_nk": "{t}.has_pd1_pdl1_ctla4 and {t}.has_nk_specific_agent",
}


def trial_where(f: Filters, alias: str = "t") -> tuple[str, list[Any]]:
    """The trials the filters select: a WHERE clause over `trials` (aliased) and its parameters."""
    clauses, params = [f"{alias}.in_landscape"], []
    if f.mechanism_classes or f.targets:
        rows, row_params = _mechanism_clauses(f, "m")
        clauses.append(f"exists (select 1 from trial_mechanisms m where m.nct_id = {alias}.nct_id and "
                       f"{' and '.join(rows)})")
        params += row_params
    for name, clause in TRIAL_CLAUSES.items():
        if getattr(f, name):
            clauses.append(clause.format(t=alias))
            params.append(list(getattr(f, name)))
    if f.start_years is not None:
        clauses.append(f"year({alias}.start_date) between ? and ?")
        params += list(f.start_years)
    for mode_clause in (ONCOLOGY_CLAUSES.get(f.oncology), CHECKPOINT_CLAUSES.get(f.checkpoint)):
        if mode_clause:
            clauses.append(mode_clause.format(t=alias))
    if f.nct_ids:
        clauses.append(f"list_contains(?, {alias}.nct_id)")
        params.append(list(f.nct_ids))
    return " and ".join(clauses), params


def mechanism_where(f: Filters, alias: str = "m") -> tuple[str, list[Any]]:
    """Which mechanism rows (`trial_mechanisms` or `landscape_rows`, aliased) of the filtered trials charts count."""
    clauses, params = _mechanism_clauses(f, alias)
    if f.checkpoint == "hide":
        clauses.append(f"not ({CLASSIC_CHECKPOINT_ROW.format(m=alias)})")
    return " and ".join(["true", *clauses]), params


def _mechanism_clauses(f: Filters, alias: str) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if f.mechanism_classes:
        clauses.append(f"list_contains(?, {alias}.mechanism_class)")
        params.append(list(f.mechanism_classes))
    if f.targets:
        clauses.append(f"list_contains(?, {alias}.target)")
        params.append(list(f.targets))
    return clauses, params


def filtered(f: Filters, body: str, *, with_mechanisms: bool = False, columns: str = "t.*",
              as_of: str | None = None) -> tuple[str, list[Any]]:
    """`filtered`: the trials the filters select; `mech`: their mechanism rows the charts count.

    With `as_of` (an ISO date) both are read from the landscape as it stood on that date.
    """
    where, params = trial_where(f, "t")
    trials, rows, dated = ("trials", "landscape_rows", []) if as_of is None else \
        ("trials_as_of(?::date)", "landscape_rows_as_of(?::date)", [as_of])
    sql = f"with filtered as (select {columns} from {trials} t where {where})"
    if with_mechanisms:
        # landscape_rows carries the trial columns, so charts scan one table instead of joining
        mech_where, mech_params = mechanism_where(f, "t")
        sql += f", mech as (select t.* from {rows} t where {where} and {mech_where})"
        return sql + "\n" + body, dated + params + dated + params + mech_params
    return sql + "\n" + body, dated + params
