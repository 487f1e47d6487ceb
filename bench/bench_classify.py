"""Classification benchmark: agents, mechanisms and indications of N synthetic trials, in a fresh process.

    python bench/bench_classify.py [--size 100000] [--repeats 3]

The setup (not timed) turns N synthetic CT.gov records into the interventions, arm groups, conditions
and condition-MeSH frames the classifier reads, and stores them as Parquet. Each repetition is a child
process that loads them, then times Classifier.classify + IndicationMapper.map (catalogue loading
included) and reports its peak RSS. Results go to bench/results/classify.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def build_frames(size: int, directory: Path) -> None:
    from tests.standin.corpus import iter_synthetic_studies

    interventions: list[dict[str, Any]] = []
    arms: list[dict[str, Any]] = []
    conditions: list[dict[str, Any]] = []
    mesh: list[dict[str, Any]] = []
    for study in iter_synthetic_studies(size, seed=4):
        protocol = study["protocolSection"]
        nct = protocol["identificationModule"]["nctId"]
        module = protocol.get("armsInterventionsModule", {})
        for i, x in enumerate(module.get("interventions", []), start=1):
            interventions.append({"nct_id": nct, "intervention_idx": i, "intervention_type": x.get("type"),
                                  "name": x.get("name"), "description": x.get("description"),
                                  "other_names": x.get("otherNames", []),
                                  "arm_group_labels": x.get("armGroupLabels", [])})
        for i, a in enumerate(module.get("armGroups", []), start=1):
            arms.append({"nct_id": nct, "arm_group_idx": i, "label": a.get("label"), "arm_group_type": a.get("type"),
                         "description": a.get("description"), "intervention_names": a.get("interventionNames", [])})
        for c in protocol.get("conditionsModule", {}).get("conditions", []):
            conditions.append({"nct_id": nct, "condition": c})
        browse = study.get("derivedSection", {}).get("conditionBrowseModule", {})
        for kind, key in (("mesh", "meshes"), ("ancestor", "ancestors")):
            for m in browse.get(key, []):
                mesh.append({"nct_id": nct, "kind": kind, "mesh_id": m.get("id"), "term": m.get("term")})
    list_str = pl.List(pl.String)
    pl.DataFrame(interventions, schema_overrides={"other_names": list_str, "arm_group_labels": list_str,
                                                  "intervention_idx": pl.Int32}).write_parquet(
        directory / "interventions.parquet")
    pl.DataFrame(arms, schema_overrides={"intervention_names": list_str, "arm_group_idx": pl.Int32}).write_parquet(
        directory / "arm_groups.parquet")
    pl.DataFrame(conditions).write_parquet(directory / "conditions.parquet")
    pl.DataFrame(mesh, schema_overrides={"mesh_id": pl.String}).write_parquet(directory / "mesh.parquet")


def child(directory: Path) -> dict[str, Any]:
    from tracker.classify import Classifier
    from tracker.indications import IndicationMapper
    from tracker.landscape import Domain

    frames = {name: pl.read_parquet(directory / f"{name}.parquet")
              for name in ("interventions", "arm_groups", "conditions", "mesh")}
    rss_inputs = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    domain = Domain.load()
    result = Classifier(domain.catalogue, domain.rules).classify(frames["interventions"], frames["arm_groups"])
    classified = time.perf_counter()
    indications = IndicationMapper(domain.indications, domain.vocabulary).map(frames["conditions"], frames["mesh"])
    ended = time.perf_counter()
    return {
        "wall_s": ended - started, "classify_s": classified - started, "indications_s": ended - classified,
        "trials": frames["interventions"]["nct_id"].n_unique(), "agent_rows": result.trial_agents.height,
        "mechanism_rows": result.trial_mechanisms.height, "indication_rows": indications.height,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "inputs_rss_mb": rss_inputs,
    }


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child(Path(sys.argv[2]))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-classify-") as tmp:
        started = time.perf_counter()
        build_frames(args.size, Path(tmp))
        print(f"setup: {args.size:,} trials in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        runs = []
        for _ in range(args.repeats):
            done = subprocess.run([sys.executable, __file__, "--child", tmp], capture_output=True, text=True,
                                  cwd=ROOT, check=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"  {runs[-1]['wall_s']:.2f} s, {runs[-1]['peak_rss_mb']:.0f} MB", file=sys.stderr)
    summary = {
        "trials": runs[0]["trials"], "repeats": len(runs),
        "wall_s": statistics.median(r["wall_s"] for r in runs),
        "classify_s": statistics.median(r["classify_s"] for r in runs),
        "indications_s": statistics.median(r["indications_s"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs), "inputs_rss_mb": runs[0]["inputs_rss_mb"],
        "agent_rows": runs[0]["agent_rows"], "mechanism_rows": runs[0]["mechanism_rows"],
        "indication_rows": runs[0]["indication_rows"], "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "classify.json").write_text(json.dumps(summary, indent=1))
    print(f"| trials | classify + indications (median) | agents / indications | peak RSS |\n|---:|---:|---:|---:|\n"
          f"| {summary['trials']:,} | {summary['wall_s']:.2f} s | {summary['classify_s']:.2f} s / "
          f"{summary['indications_s']:.2f} s | {summary['peak_rss_mb']:,.0f} MB |")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
