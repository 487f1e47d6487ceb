"""The ref.* tables: the vocabulary and the agent catalogue as tables.

The SQL macros look codes up in them (core.phase_code, core.phase_rank, core.status_group), the public
`agents` view reads the catalogue, the dashboard its labels. The vocabulary is copied at every start of
a writer (`schema.prepare`), the catalogue at every classification.
"""

from __future__ import annotations

import polars as pl

from tracker import db
from tracker.catalogue import Catalogue, Vocabulary


def vocabulary_frames(vocabulary: Vocabulary) -> dict[str, pl.DataFrame]:
    """ref table name → its rows, from the vocabulary."""
    areas = {a.code: a.label for a in vocabulary.indication_areas}
    return {
        "mechanisms": pl.DataFrame([
            {"mechanism_class": m.code, "mechanism_label": m.label, "priority": m.priority, "role": m.role,
             "target": t.code, "target_label": t.label, "target_order": order}
            for m in vocabulary.mechanisms for order, t in enumerate(m.targets)
        ]),
        "indications": pl.DataFrame([
            {"indication": i.code, "indication_label": i.label, "indication_area": i.area,
             "indication_area_label": areas[i.area]}
            for i in vocabulary.indications
        ]),
        "phases": pl.DataFrame([{"phase": p.code, "phase_label": p.label, "phase_rank": p.phase_rank,
                                 "ctgov": ",".join(p.ctgov)} for p in vocabulary.phases],
                               schema_overrides={"phase_rank": pl.Float64}),
        "status_groups": pl.DataFrame([
            {"status_group": g.code, "status_group_label": g.label, "overall_status": s}
            for g in vocabulary.status_groups for s in g.statuses
        ]),
    }


def agent_frame(catalogue: Catalogue) -> pl.DataFrame:
    """The rows of ref.agents, one per catalogue agent."""
    return pl.DataFrame([
        {"agent": a.name, "aliases": list(a.aliases), "mechanism_class": a.mechanism_class, "target": a.target,
         "also": [str(m) for m in a.also], "modality": a.modality, "role": a.role, "review": a.review,
         "evidence": a.evidence, "source": a.source, "note": a.note}
        for a in catalogue.agents
    ], schema_overrides={"aliases": pl.List(pl.String), "also": pl.List(pl.String)})


def write(con: db.Connection, frames: dict[str, pl.DataFrame]) -> None:
    """Replace the rows of each named ref table."""
    for name, frame in frames.items():
        db.register(con, f"new_ref_{name}", frame)
        con.execute(f"delete from ref.{name}")
        con.execute(f"insert into ref.{name} by name select * from new_ref_{name}")
        con.unregister(f"new_ref_{name}")


def write_vocabulary(con: db.Connection, vocabulary: Vocabulary) -> None:
    write(con, vocabulary_frames(vocabulary))
    con.execute(code_macros(vocabulary))


def code_macros(vocabulary: Vocabulary) -> str:
    """core.phase_code, core.phase_rank and core.status_group written out from the vocabulary as CASE
    expressions: a lookup in the ref tables inside a macro costs 3x more per row in the time-travel macros."""
    def quoted(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    phases = [(quoted(",".join(p.ctgov)), p) for p in vocabulary.phases if p.ctgov]
    code = " ".join(f"when {key} then {quoted(p.code)}" for key, p in phases)
    # decimal(2,1): the type the views have always given phase_rank (the vocabulary checks ranks fit it)
    rank = " ".join(f"when {key} then {p.phase_rank:.1f}::decimal(2, 1)" for key, p in phases
                    if p.phase_rank is not None)
    status = " ".join(f"when {quoted(s)} then {quoted(g.code)}" for g in vocabulary.status_groups
                      for s in g.statuses)
    return f"""
        create or replace macro core.phase_code(phases) as
            case array_to_string(list_sort(phases), ',') {code} end;
        create or replace macro core.phase_rank(phases) as
            case array_to_string(list_sort(phases), ',') {rank} end;
        create or replace macro core.status_group(status) as case status {status} end;
    """
