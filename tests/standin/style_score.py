"""Score a real refresh of the every-style registry from the public views (issue 12's three ratios).

:func:`refresh_and_read` serves the registry through the stand-in over loopback HTTP, runs a full
`tracker.api.run_refresh` with the installation's own scope (the bundled catalogue's agent queries and
generic searches) and reads `trials` and `trial_mechanisms`, as a user would. :func:`score` gives, per
style and overall: tracked trials fetched and in the landscape, tracked trials with exactly the expected
mechanism set, decoys kept out of the landscape; and one line per failing trial.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from tests.standin.style_specs import TrialSpec
from tracker import api
from tracker.config import Settings
from tracker.demo.registry import Registry, Study
from tracker.demo.standin import StandIn

__all__ = ["Found", "refresh_and_read", "score"]


@dataclass(frozen=True)
class Found:
    in_landscape: bool
    mechanisms: frozenset[tuple[str, str]]


def refresh_and_read(studies: list[Study], workdir: Path) -> dict[str, Found]:
    """A full refresh against the stand-in; per trial the tracker holds in scope, what the public views say."""
    with StandIn(Registry(studies)) as standin:
        settings = Settings(db_path=workdir / "tracker.duckdb", ctgov_url=standin.url, max_rpm=0, backoff=0.01,
                            retries=4, timeout=60.0)
        result = api.run_refresh(settings, full=True)
    if result.status != "succeeded":
        raise RuntimeError(f"refresh {result.status}: {result.error}")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{settings.db_path}' as t (read_only); use t")
        inside = dict(con.execute("select nct_id, in_landscape from trials where is_in_scope").fetchall())
        rows: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for nct, mechanism_class, target in con.execute(
                "select nct_id, mechanism_class, target from trial_mechanisms").fetchall():
            rows[nct].add((mechanism_class, target))
    finally:
        con.close()
    return {nct: Found(bool(flag), frozenset(rows.get(nct, ()))) for nct, flag in inside.items()}


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def score(specs: dict[str, TrialSpec], found: dict[str, Found]) -> tuple[dict[str, Any], list[str]]:
    """Per style and overall ratios, and one line per failure (style, subject, expected, found)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    failures: list[str] = []
    for nct, spec in sorted(specs.items()):
        got = found.get(nct)
        for key in (spec.style, "overall"):
            counts[key]["trials"] += 1
        if spec.kind == "filler":
            continue
        if spec.kind == "decoy":
            kept_out = got is None or not got.in_landscape
            for key in (spec.style, "overall"):
                counts[key]["decoys"] += 1
                counts[key]["kept_out"] += kept_out
            if not kept_out:
                assert got is not None
                failures.append(f"decoy let in   {nct} {spec.subject!r}: found {sorted(got.mechanisms)}")
            continue
        landed = got is not None and got.in_landscape
        exact = got is not None and got.mechanisms == spec.expected
        for key in (spec.style, "overall"):
            counts[key]["tracked"] += 1
            counts[key]["in_landscape"] += landed
            counts[key]["exact"] += exact
        if not exact:
            what = "not fetched" if got is None else "not in landscape" if not landed else "wrong mechanisms"
            shown = "-" if got is None else sorted(got.mechanisms)
            failures.append(f"{what:<16} {nct} [{spec.style}] {spec.subject!r} as "
                            f"{[i.name for i in spec.interventions]}: expected {sorted(spec.expected)}, found {shown}")
    figures = {key: {"trials": c["trials"], "tracked": c["tracked"], "decoys": c["decoys"],
                     "fetched_in_landscape": _ratio(c["in_landscape"], c["tracked"]),
                     "exact_mechanisms": _ratio(c["exact"], c["tracked"]),
                     "decoys_kept_out": _ratio(c["kept_out"], c["decoys"])}
               for key, c in counts.items()}
    return figures, failures
