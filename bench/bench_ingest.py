"""Ingest benchmark: a full refresh of an N-study synthetic corpus served by the stand-in, against a floor.

    python bench/bench_ingest.py [--sizes 20000,100000] [--repeats 3]

For each size the stand-in runs in its own process (throttle off). Each repetition runs, in fresh child
processes so peak RSS is the refresh's own:
  * tracker: `run_refresh(full=True)` of one scope query that returns every study, timed by stage
    (fetch = HTTP + decoding; normalize+load = versions and normalized tables; classify; publish);
  * floor: the same pages downloaded to files with httpx, then `duckdb read_json` of them into a table.
Medians are printed as a Markdown table and written to bench/results/ingest.json.
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

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def child_refresh(url: str, workdir: str) -> dict[str, Any]:
    from tracker import api
    from tracker.config import Settings
    from tracker.scope import ScopeQuery

    settings = Settings(db_path=Path(workdir) / "tracker.duckdb", ctgov_url=url, max_rpm=0, timeout=120.0)
    everything = [ScopeQuery("every study", "user", ())]
    started = time.perf_counter()
    result = api.run_refresh(settings, full=True, scope=everything)
    wall = time.perf_counter() - started
    if result.status != "succeeded":
        raise SystemExit(f"refresh failed: {result.error}")
    return {"wall": wall, **result.timings, "studies": result.studies_fetched,
            "db_bytes": settings.db_path.stat().st_size, "max_rss_mb": _max_rss_mb()}


def child_floor(url: str, workdir: str) -> dict[str, Any]:
    import duckdb
    import httpx
    import msgspec

    class Tail(msgspec.Struct):
        nextPageToken: str | None = None

    pages_dir = Path(workdir) / "pages"
    pages_dir.mkdir()
    started = time.perf_counter()
    params = {"pageSize": "1000", "countTotal": "true"}
    with httpx.Client(timeout=120) as client:
        for number in range(100_000):
            body = client.get(f"{url}/studies", params=params).content
            (pages_dir / f"{number:05d}.json").write_bytes(body)
            token = msgspec.json.decode(body, type=Tail).nextPageToken
            if not token:
                break
            params["pageToken"] = token
    downloaded = time.perf_counter()
    con = duckdb.connect(str(Path(workdir) / "floor.duckdb"))
    con.execute(f"create table pages as select * from read_json('{pages_dir}/*.json', "
                f"maximum_object_size=2000000000)")
    con.close()
    ended = time.perf_counter()
    return {"wall": ended - started, "download": downloaded - started, "read_json": ended - downloaded,
            "max_rss_mb": _max_rss_mb()}


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(kind: str, url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as workdir:
        done = subprocess.run([sys.executable, __file__, "--child", kind, url, workdir], capture_output=True,
                              text=True, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"{kind} child failed:\n{done.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result


def start_standin(size: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "tests.standin", "--corpus", f"synthetic:{size}",
                                "--seed", "1", "--port", "0"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        raise SystemExit(f"the stand-in did not start: {url!r}")
    return process, url


def median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def bench_size(size: int, repeats: int) -> dict[str, Any]:
    started = time.perf_counter()
    standin, url = start_standin(size)
    print(f"{size:,} studies: stand-in ready in {time.perf_counter() - started:.0f} s at {url}", file=sys.stderr)
    try:
        tracker_runs, floor_runs = [], []
        for repeat in range(repeats):
            floor_runs.append(run_child("floor", url))
            tracker_runs.append(run_child("refresh", url))
            print(f"  run {repeat + 1}: tracker {tracker_runs[-1]['wall']:.1f} s, "
                  f"floor {floor_runs[-1]['wall']:.1f} s", file=sys.stderr)
    finally:
        standin.terminate()
        standin.wait(30)
    studies = tracker_runs[0]["studies"]
    load = median(tracker_runs, "load")
    return {
        "size": size, "studies": studies, "repeats": repeats,
        "tracker_wall_s": median(tracker_runs, "wall"), "fetch_s": median(tracker_runs, "fetch"),
        "normalize_load_s": load, "classify_s": median(tracker_runs, "classify"),
        "publish_s": median(tracker_runs, "publish"), "normalize_load_studies_per_s": studies / load,
        "tracker_peak_rss_mb": max(r["max_rss_mb"] for r in tracker_runs),
        "db_mb": tracker_runs[0]["db_bytes"] / 2**20,
        "floor_wall_s": median(floor_runs, "wall"), "floor_download_s": median(floor_runs, "download"),
        "floor_read_json_s": median(floor_runs, "read_json"),
        "floor_peak_rss_mb": max(r["max_rss_mb"] for r in floor_runs),
        "ratio_to_floor": median(tracker_runs, "wall") / median(floor_runs, "wall"),
        "runs": {"tracker": tracker_runs, "floor": floor_runs},
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| studies | tracker wall | fetch | normalize+load | load rate | classify | publish | peak RSS | "
        "floor (download + read_json) | ratio to floor |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['studies']:,} | {r['tracker_wall_s']:.1f} s | {r['fetch_s']:.1f} s | "
            f"{r['normalize_load_s']:.1f} s | "
            f"{r['normalize_load_studies_per_s']:,.0f} /s | {r['classify_s']:.1f} s | {r['publish_s']:.1f} s | "
            f"{r['tracker_peak_rss_mb']:,.0f} MB | {r['floor_wall_s']:.1f} s ({r['floor_download_s']:.1f} + "
            f"{r['floor_read_json_s']:.1f}), {r['floor_peak_rss_mb']:,.0f} MB | {r['ratio_to_floor']:.2f}× |"
        )
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, url, workdir = sys.argv[2:5]
        result = child_refresh(url, workdir) if kind == "refresh" else child_floor(url, workdir)
        print(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows.append(bench_size(size, args.repeats if size <= 20_000 else 1))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps(rows, indent=1))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
