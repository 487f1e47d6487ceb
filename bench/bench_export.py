"""Export benchmark: `tracker export DIR` of every public view, time, size and peak memory.

    python bench/bench_export.py [--sizes 20000,110000] [--repeats 3]

Each size's database is the dashboard benchmark's (bench_dashboard.build_db: the stand-in serving N
synthetic trials, one full refresh, cached in bench/.cache), so every trial has one version with its
whole JSON. Each export runs as `tracker export` in a fresh child process under /usr/bin/time into the
same directory (so from the second run on it also replaces the previous export); the median wall time
and the peak RSS are kept, with the database's size and the export's.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run_export(db_path: Path, target: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one `tracker export` in a child process."""
    env = {**os.environ, "TRACKER_DB": str(db_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "tracker.cli", "export", str(target)],
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"export failed: {done.stderr.strip()}")
    wall, rss_kb = done.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss_kb) / 1024


def bench(size: int, repeats: int) -> dict[str, Any]:
    from bench_dashboard import build_db

    db_path = build_db(size)
    target = db_path.parent / "export"
    samples = [run_export(db_path, target) for _ in range(repeats)]
    manifest = json.loads((target / "manifest.json").read_text())
    views = {name: {"rows": entry["rows"], "bytes": folder_bytes(target / name)}
             for name, entry in manifest["views"].items()}
    months = sum(1 for _ in (target / "trial_versions").iterdir())
    return {"size": size, "trials": views["trials"]["rows"], "db_bytes": db_path.stat().st_size,
            "export_bytes": folder_bytes(target), "rows": sum(v["rows"] for v in views.values()),
            "seconds": statistics.median(s[0] for s in samples), "peak_rss_mb": max(s[1] for s in samples),
            "trial_versions_months": months, "views": views}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000,110000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows.append(bench(size, args.repeats))
        print(json.dumps({k: v for k, v in rows[-1].items() if k != "views"}, indent=1), file=sys.stderr)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "export.json").write_text(json.dumps(rows, indent=1) + "\n")
    print("| trials | database | export (Parquet) | rows | time | peak RSS |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['trials']:,} | {r['db_bytes'] / 1e6:,.0f} MB | {r['export_bytes'] / 1e6:,.0f} MB | "
              f"{r['rows']:,} | {r['seconds']:.1f} s | {r['peak_rss_mb']:,.0f} MB |")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    raise SystemExit(main())
