"""Registry-scan benchmark: `tracker scan --archive` of an N-study bulk archive, and the whole registry extrapolated.

    python bench/bench_scan.py [--sizes 20000,100000] [--landscape-share 0.03]

Each archive is built once (cached in the temp folder) in CT.gov's layout from the stand-in's corpora: a
landscape share of synthetic NK-cell and checkpoint trials (tests/standin/corpus.py) and background trials
of everyday medicine (tests/standin/background.py), as the real registry is mostly the latter. The scan
runs in a fresh child process on an empty database (every kept trial is new: the most loading a scan
does), with the bundled catalogue and scope. Studies/s is entries read over the scan's wall time
(verify, sieve, classify, load, label, publish); the whole-registry time is 600,000 studies at the
largest size's rate. Results go to bench/results/scan.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
REGISTRY = 600_000


def build_archive(size: int, share: float) -> Path:
    import msgspec

    from tests.standin.background import iter_background_studies
    from tests.standin.bulk import write_archive
    from tests.standin.corpus import iter_synthetic_studies

    path = Path(tempfile.gettempdir()) / f"bench-scan-{size}-{share:g}.zip"
    if path.exists():
        return path
    landscape = round(size * share)
    every = max(1, size // max(1, landscape))
    tracked = iter_synthetic_studies(landscape, seed=5)
    background = iter_background_studies(size - landscape, seed=5)

    def entries() -> Any:
        for index in range(size):
            source = tracked if index % every == 0 else background
            study = next(source, None) or next(background, None) or next(tracked)
            yield study["protocolSection"]["identificationModule"]["nctId"], msgspec.json.encode(study)

    partial = path.with_suffix(".part")
    write_archive(entries(), partial)
    partial.rename(path)
    return path


def child_scan(archive: str, workdir: str) -> dict[str, Any]:
    from tracker import api, scan
    from tracker.config import Settings

    settings = Settings(db_path=Path(workdir) / "tracker.duckdb", max_rpm=0)
    started = time.perf_counter()
    result = scan.run_scan(settings, api.scope_for(settings), archive_file=Path(archive))
    wall = time.perf_counter() - started
    if result.status != "succeeded":
        raise SystemExit(f"scan failed: {result.error}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "load_average": os.getloadavg()[0], "studies_read": result.studies_read,
            "candidates": result.candidates,
            "kept": result.kept, "in_landscape": result.in_landscape, "added": result.added,
            "archive_bytes": result.archive_bytes, "max_rss_mb": usage.ru_maxrss / 1024}


def measure(size: int, share: float) -> dict[str, Any]:
    started = time.perf_counter()
    archive = build_archive(size, share)
    built = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as workdir:
        out = subprocess.run([sys.executable, __file__, "--child", str(archive), workdir], check=True,
                             capture_output=True, text=True, cwd=ROOT)
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    figures.update(size=size, landscape_share=share, archive_build_s=round(built, 1),
                   studies_per_s=figures["studies_read"] / figures["wall_s"],
                   mean_entry_kb=figures["archive_bytes"] / size / 1024)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--landscape-share", type=float, default=0.03)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))  # this checkout's tracker and tests, whatever the environment installed
    if args.child:
        print(json.dumps(child_scan(*args.child)))
        return
    rows = [measure(int(size), args.landscape_share) for size in args.sizes.split(",")]
    rate = rows[-1]["studies_per_s"]
    summary = {"rows": rows, "registry": REGISTRY, "extrapolated_registry_s": REGISTRY / rate,
               "machine": "2-core build machine"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scan.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print("| studies | wall | studies/s | CPU | load avg | candidates | kept (in landscape) | peak RSS | archive |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['size']:,} | {r['wall_s']:.1f} s | {r['studies_per_s']:,.0f} | {r['cpu_s']:.1f} s | "
              f"{r['load_average']:.1f} | {r['candidates']:,} | "
              f"{r['kept']:,} ({r['in_landscape']:,}) | {r['max_rss_mb']:,.0f} MB | "
              f"{r['archive_bytes'] / 2**20:,.0f} MB |")
    print(f"\nwhole registry ({REGISTRY:,} studies) at {rate:,.0f}/s: {REGISTRY / rate / 60:.1f} min")


if __name__ == "__main__":
    main()
