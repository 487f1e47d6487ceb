"""Ingest benchmark: a full refresh of an N-study synthetic corpus served by the stand-in, against the floor.

    python bench/bench_ingest.py [--sizes 20000,100000] [--repeats 3]

For each size the stand-in runs in its own process (throttle off). Each repetition runs, in fresh child
processes so peak RSS is each one's own:
  * tracker: `run_refresh(full=True)` of one scope query that returns every study, timed by stage
    (fetch = HTTP, checks and framing, in its own thread; load = raw versions and normalized tables;
    classify = labels and change detection; publish);
  * floor (issue 13's definition): the very /studies requests the refresh made, read back from the
    stand-in's request log (every page, same parameters and page tokens), downloaded to files with
    httpx, then ONE DuckDB statement: `read_json_objects(files)` with
    `unnest(json_extract(json, '$.studies[*]'))` into a table of (nct_id, raw JSON).
The ratio is the refresh's wall time over the floor's (download + load) in the same repetition; every size
runs --repeats repetitions (the floor moves by up to 1.4x between them: take several).
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


def child_floor(url: str, workdir: str, requests_file: str) -> dict[str, Any]:
    import duckdb
    import httpx

    origin = url.split("/api/v2", 1)[0]
    requests: list[dict[str, Any]] = json.loads(Path(requests_file).read_text())
    pages_dir = Path(workdir) / "pages"
    pages_dir.mkdir()
    files = []
    started = time.perf_counter()
    with httpx.Client(timeout=120) as client:
        for number, request in enumerate(requests):
            params = [(name, value) for name, values in request["params"].items() for value in values]
            response = client.get(origin + request["path"], params=params)
            response.raise_for_status()
            path = pages_dir / f"{number:05d}.json"
            path.write_bytes(response.content)
            files.append(str(path))
    downloaded = time.perf_counter()
    con = duckdb.connect(str(Path(workdir) / "floor.duckdb"))
    listed = ", ".join(f"'{f}'" for f in files)
    con.execute(f"""
        create table floor as
        select json_extract_string(study, '$.protocolSection.identificationModule.nctId') as nct_id, study as raw
        from (select unnest(json_extract(json, '$.studies[*]')) as study
              from read_json_objects([{listed}], format = 'auto', maximum_object_size = 1000000000))
    """)
    rows = con.execute("select count(*) from floor").fetchall()[0][0]
    con.close()
    ended = time.perf_counter()
    return {"wall": ended - started, "download": downloaded - started, "load": ended - downloaded,
            "requests": len(requests), "rows": rows, "max_rss_mb": _max_rss_mb()}


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(kind: str, url: str, *extra: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{kind}-") as workdir:
        done = subprocess.run([sys.executable, __file__, "--child", kind, url, workdir, *extra], capture_output=True,
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


def studies_requests(origin: str) -> list[dict[str, Any]]:
    """The /studies requests in the stand-in's log: what the floor downloads again, page tokens included."""
    import httpx

    log = httpx.get(f"{origin}/_admin/log", timeout=60).json()
    return [{"path": e["path"], "params": e["params"]} for e in log if e["path"].endswith("/studies")]


def one_repeat(url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A refresh, then the floor over the requests it made (the stand-in keeps page tokens for an hour)."""
    import httpx

    origin = url.split("/api/v2", 1)[0]
    httpx.post(f"{origin}/_admin/log/clear", timeout=60).raise_for_status()
    tracker = run_child("refresh", url)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as listed:
        json.dump(studies_requests(origin), listed)
    try:
        floor = run_child("floor", url, listed.name)
    finally:
        Path(listed.name).unlink()
    tracker["ratio"] = tracker["wall"] / floor["wall"]
    return tracker, floor


def bench_size(size: int, repeats: int, url: str | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    standin = None
    if url is None:
        standin, url = start_standin(size)
        print(f"{size:,} studies: stand-in ready in {time.perf_counter() - started:.0f} s at {url}", file=sys.stderr)
    try:
        tracker_runs, floor_runs = [], []
        for repeat in range(repeats):
            tracker, floor = one_repeat(url)
            tracker_runs.append(tracker)
            floor_runs.append(floor)
            print(f"  run {repeat + 1}: tracker {tracker['wall']:.1f} s, floor {floor['wall']:.1f} s "
                  f"({floor['download']:.1f} + {floor['load']:.1f}), ratio {tracker['ratio']:.2f}", file=sys.stderr)
    finally:
        if standin is not None:
            standin.terminate()
            standin.wait(30)
    studies = tracker_runs[0]["studies"]
    return {
        "size": size, "studies": studies, "repeats": repeats, "floor_requests": floor_runs[0]["requests"],
        "floor_rows": floor_runs[0]["rows"],
        "tracker_wall_s": median(tracker_runs, "wall"), "fetch_s": median(tracker_runs, "fetch"),
        "normalize_load_s": median(tracker_runs, "load"), "labels_s": median(tracker_runs, "labels"),
        "changes_s": median(tracker_runs, "changes"), "classify_s": median(tracker_runs, "classify"),
        "publish_s": median(tracker_runs, "publish"),
        "tracker_peak_rss_mb": max(r["max_rss_mb"] for r in tracker_runs),
        "db_mb": tracker_runs[0]["db_bytes"] / 2**20,
        "floor_wall_s": median(floor_runs, "wall"), "floor_download_s": median(floor_runs, "download"),
        "floor_load_s": median(floor_runs, "load"),
        "floor_peak_rss_mb": max(r["max_rss_mb"] for r in floor_runs),
        # each repetition's refresh over its own floor, measured back to back: the machine is shared
        "ratio_to_floor": median(tracker_runs, "ratio"),
        "runs": {"tracker": tracker_runs, "floor": floor_runs},
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| studies | floor: download + load = total | floor peak RSS | refresh | fetch (own thread) | load | "
        "classify + changes | publish | refresh peak RSS | ratio to floor |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['studies']:,} | {r['floor_download_s']:.1f} + {r['floor_load_s']:.1f} = {r['floor_wall_s']:.1f} s | "
            f"{r['floor_peak_rss_mb']:,.0f} MB | {r['tracker_wall_s']:.1f} s | {r['fetch_s']:.1f} s | "
            f"{r['normalize_load_s']:.1f} s | {r['labels_s']:.1f} + {r['changes_s']:.1f} s | {r['publish_s']:.1f} s | "
            f"{r['tracker_peak_rss_mb']:,.0f} MB | {r['ratio_to_floor']:.2f}× |"
        )
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, url, workdir = sys.argv[2:5]
        result = child_refresh(url, workdir) if kind == "refresh" else child_floor(url, workdir, sys.argv[5])
        print(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--url", help="a running stand-in (python -m tests.standin) to use, for one size")
    parser.add_argument("--out", default=str(RESULTS / "ingest.json"))
    args = parser.parse_args()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows.append(bench_size(size, args.repeats, args.url))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=1))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
