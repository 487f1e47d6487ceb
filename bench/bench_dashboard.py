"""Dashboard benchmark: server-side time of each page's script run, and the landscape page's queries.

    python bench/bench_dashboard.py [--sizes 10000,100000] [--repeats 3]

For each size a database is built once through the real pipeline (stand-in serving N synthetic trials,
full refresh with the catalogue's scope) and kept in bench/.cache. Each page is then run with Streamlit's
AppTest and the default filters, with Streamlit's caches cleared before every run (cold: what the first
visitor after a refresh waits for). The landscape page's queries are also timed one by one, uncached.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
RESULTS = ROOT / "bench" / "results"
PAGES = ["landscape", "agents", "trials", "trial", "timeline", "geography", "data"]


def build_db(size: int) -> Path:
    path = CACHE / f"dashboard-{size}" / "tracker.duckdb"
    if path.exists():
        return path
    from tracker import api
    from tracker.config import Settings

    standin = subprocess.Popen([sys.executable, "-m", "tests.standin", "--corpus", f"synthetic:{size}",
                                "--seed", "3", "--port", "0"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert standin.stdout is not None
    url = standin.stdout.readline().strip()
    try:
        settings = Settings(db_path=path, ctgov_url=url, max_rpm=0, timeout=300.0)
        result = api.run_refresh(settings, full=True)
        if result.status != "succeeded":
            raise SystemExit(f"building the {size:,}-trial database failed: {result.error}")
    finally:
        standin.terminate()
        standin.wait(30)
    return path


def time_pages(db_path: Path, repeats: int) -> dict[str, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["TRACKER_DB"] = str(db_path)
    app = str(ROOT / "dashboards" / "streamlit_app.py")
    results: dict[str, float] = {}
    for page in PAGES:
        samples = []
        for _ in range(repeats):
            at = AppTest.from_file(app, default_timeout=120)
            if page == "trial":
                at.query_params["nct"] = "NCT90000001"
            if page != "landscape":
                at.run()  # AppTest starts on the default page; only the run of the page itself is timed
                at.switch_page(f"app_pages/{page}.py")
            st.cache_data.clear()
            started = time.perf_counter()
            at.run()
            samples.append(time.perf_counter() - started)
            if at.exception:
                raise SystemExit(f"page {page} raised: {at.exception[0].value}")
        results[page] = statistics.median(samples)
    return results


def time_landscape_queries(db_path: Path, repeats: int) -> dict[str, float]:
    import streamlit as st

    from dashboards import queries
    from dashboards.filters import Filters

    source = queries.Source.of(db_path)
    assert source is not None
    calls = {
        "overview": lambda: queries.overview(source),
        "filter_options": lambda: queries.filter_options(source),
        "kpis": lambda: queries.kpis(source, Filters()),
        "mechanism_phase": lambda: queries.mechanism_phase(source, Filters()),
        "status_mix": lambda: queries.status_mix(source, Filters()),
        "start_years": lambda: queries.start_years(source, Filters()),
        "indication_matrix": lambda: queries.indication_matrix(source, Filters()),
    }
    timings = {}
    for name, call in calls.items():
        samples = []
        for _ in range(repeats):
            st.cache_data.clear()
            started = time.perf_counter()
            call()
            samples.append(time.perf_counter() - started)
        timings[name] = statistics.median(samples)
    timings["total"] = sum(timings.values())
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    rows: list[dict[str, Any]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        db_path = build_db(size)
        print(f"{size:,}: database ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        import duckdb

        with duckdb.connect(str(db_path), read_only=True) as con:
            trials, landscape = con.execute("select count(*), count(*) filter (in_landscape) from trials").fetchall()[0]
        rows.append({"size": size, "trials": trials, "landscape_trials": landscape,
                     "pages_s": time_pages(db_path, args.repeats),
                     "landscape_queries_s": time_landscape_queries(db_path, args.repeats)})
        print(json.dumps(rows[-1], indent=1), file=sys.stderr)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dashboard.json").write_text(json.dumps(rows, indent=1))
    header = "| page | " + " | ".join(f"{r['trials']:,} trials" for r in rows) + " |"
    lines = [header, "|---|" + "---:|" * len(rows)]
    for page in PAGES:
        lines.append(f"| {page} | " + " | ".join(f"{r['pages_s'][page]:.2f} s" for r in rows) + " |")
    lines.append("| landscape queries (sum, uncached) | " +
                 " | ".join(f"{r['landscape_queries_s']['total'] * 1000:.0f} ms" for r in rows) + " |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
