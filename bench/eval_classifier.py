"""Precision and recall of the classifier on a labelled case file (default: the blind held-out set).

    python bench/eval_classifier.py [tests/cases/heldout.toml] [--show-errors] [--out PATH]

Interventions level (every case file): counts (trial, agent), (trial, mechanism_class, target) and
(trial, indication) pairs over all cases, classifying the case's intervention and condition strings.

Record level (case files whose cases name a `record`, such as tests/cases/real/cases.toml): serves the
verbatim CT.gov records through the stand-in, runs a full `tracker.api.run_refresh` with the installation's
own scope into a temporary database, and reads the public views `trials` and `trial_mechanisms`, the way
a user would. A record reaches `trials` only if a scope query fetched it, so scope and classification are
scored apart: "fetched by scope" first, then landscape membership, exact mechanism set, phase and status
of the fetched records. The figures go to `--out` (default bench/results/eval_real.json for such files).
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_classify import frames  # noqa: E402
from tracker import api  # noqa: E402
from tracker.classify import Classifier  # noqa: E402
from tracker.config import Settings  # noqa: E402
from tracker.demo.registry import Registry  # noqa: E402
from tracker.demo.standin import StandIn  # noqa: E402
from tracker.indications import IndicationMapper  # noqa: E402
from tracker.landscape import Domain  # noqa: E402
from tracker.scope import ScopeQuery, id_queries  # noqa: E402

KINDS = ("agent", "mechanism", "indication")
Case = dict[str, Any]
Pairs = set[tuple[str, ...]]


def score(expected: set[tuple[str, ...]], found: set[tuple[str, ...]]) -> tuple[float, float, int, int]:
    hits = len(expected & found)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(expected) if expected else 1.0
    return precision, recall, len(found - expected), len(expected - found)


def unlabelled(case: Case) -> set[str]:
    """Products the curator could not label as agents (not catalogue agents then, `unnamed_tracked`).

    Their leading code ("COM902 (anti-TIGIT, Compugen)" -> COM902): once the catalogue holds one, finding it
    is neither a hit nor a false positive, since the label could not name it (its mechanism rows still count).
    """
    return {entry.split(" (")[0].strip().lower() for entry in case.get("unnamed_tracked", [])}


def interventions_level(cases: list[Case]) -> tuple[dict[str, Pairs], dict[str, Pairs], dict[str, Case]]:
    """Expected and found (trial, label) pairs of every kind, classifying each case's strings alone."""
    domain = Domain.load()
    parts = [frames(case, f"NCT9{n:07d}") for n, case in enumerate(cases)]
    interventions, arms, conditions, mesh, trials, intervention_mesh = (pl.concat([p[i] for p in parts])
                                                                        for i in range(6))
    result = Classifier(domain.catalogue, domain.rules).classify(interventions, arms, trials, intervention_mesh)
    indications = IndicationMapper(domain.indications, domain.vocabulary).map(conditions, mesh)
    ids = {f"NCT9{n:07d}": case for n, case in enumerate(cases)}
    expected: dict[str, Pairs] = {kind: set() for kind in KINDS}
    for nct, case in ids.items():
        expected["agent"] |= {(nct, a) for a in case["expect_agents"]}
        expected["mechanism"] |= {(nct, *m) for m in case["expect_mechanisms"]}
        expected["indication"] |= {(nct, i) for i in case["expect_indications"]}
    found: dict[str, Pairs] = {
        "agent": {(r["nct_id"], r["agent"]) for r in result.trial_agents.filter(pl.col("is_named")).to_dicts()
                  if r["agent"].lower() not in unlabelled(ids[r["nct_id"]])},
        "mechanism": {(r["nct_id"], r["mechanism_class"], r["target"]) for r in result.trial_mechanisms.to_dicts()},
        "indication": {(r["nct_id"], r["indication"]) for r in indications.to_dicts()},
    }
    return expected, found, ids


def read_record(base: Path, case: Case) -> dict[str, Any]:
    path = base / case["record"]
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    study: dict[str, Any] = json.loads(data)
    return study


def refresh_views(studies: list[dict[str, Any]], workdir: Path,
                  scope: list[ScopeQuery] | None = None) -> dict[str, dict[str, Any]]:
    """A full refresh against the stand-in serving `studies` (installation scope unless `scope` is given);
    per trial in scope, what the public views say."""
    with StandIn(Registry(studies)) as standin:
        settings = Settings(db_path=workdir / "tracker.duckdb", ctgov_url=standin.url, max_rpm=0, backoff=0.01,
                            retries=4, timeout=60.0)
        result = api.run_refresh(settings, full=True, scope=scope)
    if result.status != "succeeded":
        raise RuntimeError(f"refresh {result.status}: {result.error}")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{settings.db_path}' as t (read_only); use t")
        trials = {nct: {"in_landscape": bool(inside), "phase": phase, "status": status, "mechanisms": set(),
                        "agents": set()}
                  for nct, inside, phase, status in con.execute(
                      "select nct_id, in_landscape, phase, overall_status from trials where is_in_scope").fetchall()}
        for nct, mechanism_class, target in con.execute(
                "select nct_id, mechanism_class, target from trial_mechanisms").fetchall():
            if nct in trials:
                trials[nct]["mechanisms"].add((mechanism_class, target))
        for nct, agent in con.execute("select nct_id, agent from trial_agents where is_named").fetchall():
            if nct in trials:
                trials[nct]["agents"].add(agent)
    finally:
        con.close()
    return trials


def ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def classification_scores(cases: list[Case], views: dict[str, dict[str, Any]],
                          errors: list[str] | None = None) -> dict[str, Any]:
    """Membership, exact mechanism set, phase, status and label pairs of `cases`, all present in `views`."""
    counts = {"membership": 0, "mechanisms": 0, "mechanisms_in": 0, "kept_out": 0, "phase": 0, "status": 0}
    expected: dict[str, Pairs] = {"agent": set(), "mechanism": set()}
    found: dict[str, Pairs] = {"agent": set(), "mechanism": set()}
    for case in cases:
        nct, got = case["nct_id"], views[case["nct_id"]]
        want = {tuple(m) for m in case["expect_mechanisms"]}
        expected["agent"] |= {(nct, a) for a in case["expect_agents"]}
        expected["mechanism"] |= {(nct, *m) for m in want}
        found["agent"] |= {(nct, a) for a in got["agents"] if a.lower() not in unlabelled(case)}
        found["mechanism"] |= {(nct, *m) for m in got["mechanisms"]}
        checks = {
            "membership": (got["in_landscape"] == case["expect_in_landscape"],
                           f"in_landscape {got['in_landscape']}, expected {case['expect_in_landscape']}"),
            "mechanisms": (got["mechanisms"] == want,
                           f"+ {sorted(got['mechanisms'] - want)} - {sorted(want - got['mechanisms'])}"),
            "phase": (got["phase"] == case.get("phase"), f"{got['phase']!r}, expected {case.get('phase')!r}"),
            "status": (got["status"] == case.get("status"), f"{got['status']!r}, expected {case.get('status')!r}"),
        }
        for name, (ok, why) in checks.items():
            counts[name] += ok
            if not ok and errors is not None:
                errors.append(f"  {name:<12} {case['id']}: {why}")
        counts["mechanisms_in"] += case["expect_in_landscape"] and got["mechanisms"] == want
        counts["kept_out"] += not case["expect_in_landscape"] and not got["in_landscape"]
    n_in = sum(c["expect_in_landscape"] for c in cases)
    pairs = {kind: dict(zip(("precision", "recall", "false_positives", "misses"),
                            [round(x, 4) for x in score(expected[kind], found[kind])], strict=True))
             for kind in ("agent", "mechanism")}
    return {"records": len(cases), "expected_in": n_in,
            "membership_accuracy": ratio(counts["membership"], len(cases)),
            "exact_mechanism_set": ratio(counts["mechanisms"], len(cases)),
            "exact_mechanism_set_expected_in": ratio(counts["mechanisms_in"], n_in),
            "expected_out_kept_out": ratio(counts["kept_out"], len(cases) - n_in),
            "phase_exact": ratio(counts["phase"], len(cases)), "status_exact": ratio(counts["status"], len(cases)),
            "pairs": pairs}


def record_level(cases: list[Case], base: Path) -> tuple[dict[str, Any], list[str]]:
    """Scores of the refresh path over the cases that carry a record, and one line per miss.

    Two full refreshes of the same stand-in registry: one with the installation's scope (what a user's
    refresh would fetch: scope recall and the end-to-end landscape), one fetching every record by id
    (classification of every record, whether or not the scope reached it).
    """
    cases = [c for c in cases if c.get("record")]
    studies = [read_record(base, c) for c in cases]
    with tempfile.TemporaryDirectory(prefix="eval-real-") as tmp:
        scoped = refresh_views(studies, Path(tmp) / "scope")
        every = refresh_views(studies, Path(tmp) / "ids", id_queries("real records", [c["nct_id"] for c in cases]))
    missing = [c["id"] for c in cases if c["nct_id"] not in every]
    if missing:
        raise RuntimeError(f"records the stand-in did not serve by id: {missing}")
    errors: list[str] = []
    want_in = [c for c in cases if c["expect_in_landscape"]]
    want_out = [c for c in cases if not c["expect_in_landscape"]]
    fetched = [c for c in cases if c["nct_id"] in scoped]
    errors += [f"  not fetched  {c['id']}: expected in with {sorted(map(tuple, c['expect_mechanisms']))}"
               for c in want_in if c["nct_id"] not in scoped]
    all_records = classification_scores(cases, every, errors)
    # a record the scope did not fetch is out of the landscape
    end_to_end = [scoped.get(c["nct_id"], {}).get("in_landscape", False) == c["expect_in_landscape"] for c in cases]
    figures = {
        "records": len(cases), "expected_in": len(want_in), "expected_out": len(want_out),
        "fetched_by_scope": {"expected_in": sum(c["nct_id"] in scoped for c in want_in),
                             "expected_out": sum(c["nct_id"] in scoped for c in want_out),
                             "scope_recall": ratio(sum(c["nct_id"] in scoped for c in want_in), len(want_in))},
        "classified_given_fetched_by_scope": classification_scores(fetched, scoped),
        "classified_all_records_by_id": all_records,
        "end_to_end": {"membership_accuracy": ratio(sum(end_to_end), len(cases)),
                       "in_landscape_recall": ratio(sum(scoped.get(c["nct_id"], {}).get("in_landscape", False)
                                                        for c in want_in), len(want_in)),
                       "out_kept_out": ratio(sum(not scoped.get(c["nct_id"], {}).get("in_landscape", False)
                                                 for c in want_out), len(want_out))},
    }
    return figures, errors


def main() -> int:
    args = sys.argv[1:]
    out_arg = args[args.index("--out") + 1] if "--out" in args else None
    positional = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or args[i - 1] != "--out")]
    path = Path(positional[0] if positional else ROOT / "tests/cases/heldout.toml")
    cases = tomllib.loads(path.read_text())["case"]
    expected, found, ids = interventions_level(cases)
    figures: dict[str, Any] = {"case_file": os.path.relpath(path.resolve(), ROOT), "cases": len(cases),
                               "interventions_level": {}}
    print(f"{path.name}: {len(cases)} cases")
    for kind in KINDS:
        precision, recall, false_pos, false_neg = score(expected[kind], found[kind])
        figures["interventions_level"][kind] = {"precision": round(precision, 4), "recall": round(recall, 4),
                                                "false_positives": false_pos, "misses": false_neg}
        print(f"  {kind:<10} precision {precision:.3f}  recall {recall:.3f}  "
              f"({false_pos} false positives, {false_neg} misses)")
    if "--show-errors" in args:
        for kind in KINDS:
            for item in sorted(found[kind] - expected[kind]):
                print(f"  + {kind} {ids[item[0]]['id']}: {item[1:]}")
            for item in sorted(expected[kind] - found[kind]):
                print(f"  - {kind} {ids[item[0]]['id']}: {item[1:]}")
    if not any(c.get("record") for c in cases):
        return 0
    records, errors = record_level(cases, path.parent)
    figures["record_level"] = records
    print_records(records)
    if "--show-errors" in args:
        print("\n".join(errors))
    out = Path(out_arg) if out_arg else ROOT / "bench/results/eval_real.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


def print_records(records: dict[str, Any]) -> None:
    scope, end = records["fetched_by_scope"], records["end_to_end"]
    print(f"record level (full refresh through the stand-in): {records['records']} records, "
          f"{records['expected_in']} expected in the landscape, {records['expected_out']} out")
    print(f"  fetched by scope: {scope['expected_in']} / {records['expected_in']} expected in "
          f"(scope recall {scope['scope_recall']}), {scope['expected_out']} / {records['expected_out']} expected out")
    given, every = records["classified_given_fetched_by_scope"], records["classified_all_records_by_id"]
    print(f"  {'classified':<28} {'fetched by scope':>17} {'every record by id':>19}")
    print(f"  {'records':<28} {given['records']:>17} {every['records']:>19}")
    for label, key in (("landscape membership", "membership_accuracy"), ("exact mechanism set", "exact_mechanism_set"),
                       ("  of those expected in", "exact_mechanism_set_expected_in"),
                       ("expected out kept out", "expected_out_kept_out"),
                       ("phase exact", "phase_exact"), ("status exact", "status_exact")):
        print(f"  {label:<28} {given[key]!s:>17} {every[key]!s:>19}")
    for kind in ("agent", "mechanism"):
        for part in ("precision", "recall"):
            print(f"  {kind + ' ' + part:<28} {given['pairs'][kind][part]:>17} {every['pairs'][kind][part]:>19}")
    print(f"  end to end: membership {end['membership_accuracy']}, in-landscape recall {end['in_landscape_recall']}, "
          f"expected out kept out {end['out_kept_out']}")


if __name__ == "__main__":
    raise SystemExit(main())
