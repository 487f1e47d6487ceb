"""Dashboard benchmark: server-side time of every page's script run, cold, and the landscape page's queries.

    python bench/bench_dashboard.py [--sizes 11000,110000] [--versions 10] [--repeats 3]

For each size a database is built once through the real pipeline (stand-in serving N synthetic trials,
full refresh with the catalogue's scope) and kept in bench/.cache; the default sizes give just over
10,000 and 100,000 landscape trials (about 92 % of a synthetic corpus is in the landscape). A copy then
gets VERSIONS versions of every trial (bench_changes.add_history: older snapshots 30 days apart with
moved status and phase), primary completion dates that slip from version to version, and a detected
change for every status move and slip, so the Changes, Readouts and Trial pages read real-sized history.
Each page is then run with Streamlit's AppTest and the default filters (Changes: every change since
2000), with Streamlit's caches cleared before every run (cold: what the first visitor after a refresh
waits for; one untimed run first imports the modules, as a running server has). The landscape page's
queries are also timed one by one, uncached.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
RESULTS = ROOT / "bench" / "results"
PAGES = ["landscape", "agents", "trials", "trial", "timeline", "readouts", "changes", "geography", "data"]
PARAMS: dict[str, dict[str, str]] = {"trial": {"nct": "NCT90000001"}, "changes": {"since": "2000-01-01"}}
# every page cold, by landscape trials: the targets
TARGETS = ((10_000, 1.0), (100_000, 3.0))
# older versions slip their primary completion date, and every status move and slip is a detected change
SLIPS_SQL = """
update versions.trial_snapshots as s
set primary_completion_date = s.primary_completion_date - cast(15 * o.older_by as integer)
from (select version_id, row_number() over (partition by nct_id order by posted_date desc, version_id desc) - 1
      as older_by from versions.trial_snapshots) as o
where o.version_id = s.version_id and o.older_by > 0 and s.primary_completion_date is not null;
insert into versions.trial_changes by name
with steps as (
    select nct_id, version_id as version_after, posted_date, primary_mechanism_class as mechanism_class,
           primary_target as target, overall_status, primary_completion_date,
           lag(version_id) over w as version_before, lag(overall_status) over w as status_before,
           lag(primary_completion_date) over w as date_before
    from versions.trial_snapshots
    window w as (partition by nct_id order by posted_date, version_id)
),
moves as (
    select *, 'overall_status' as field, status_before as old_value, overall_status as new_value,
           null::integer as shift_days, 'major' as severity
    from steps where status_before is distinct from overall_status and version_before is not null
    union all
    select *, 'primary_completion_date', cast(date_before as varchar), cast(primary_completion_date as varchar),
           datediff('day', date_before, primary_completion_date), 'minor'
    from steps where date_before is distinct from primary_completion_date and version_before is not null
)
select (select coalesce(max(change_id), 0) from versions.trial_changes) + row_number() over () as change_id,
       nct_id, 1 as run_id, now() as detected_at, posted_date, version_before, version_after, field, old_value,
       new_value, shift_days, severity, 'synthetic history for the benchmark' as reason, mechanism_class, target,
       false as is_nk_specific, 'history' as source
from moves;
"""


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


def with_history(path: Path, versions: int) -> Path:
    """A copy of the database with `versions` versions of every trial, slips and their detected changes."""
    from bench_changes import add_history, run_script

    from tracker import db

    copy = path.with_name(f"history-{versions}.duckdb")
    if copy.exists():
        return copy
    work = copy.with_suffix(".tmp")
    shutil.copyfile(path, work)
    add_history(work, versions)
    with db.writer(work) as con:
        run_script(con, SLIPS_SQL)
        db.checkpoint(con)
    work.rename(copy)
    return copy


def time_pages(db_path: Path, repeats: int) -> dict[str, float]:
    from page_timing import cold_runs

    return cold_runs(db_path, {page: (None if page == "landscape" else page, PARAMS.get(page, {})) for page in PAGES},
                     repeats, warm_up=True)


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


def holdings(db_path: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(db_path), read_only=True) as con:
        row = con.execute("select (select count(*) from trials), (select count(*) filter (in_landscape) from trials), "
                          "(select count(*) from trial_versions), (select count(*) from trial_changes)").fetchall()[0]
    return dict(zip(("trials", "landscape_trials", "versions", "changes"), row, strict=True))


def target_for(landscape_trials: int) -> float | None:
    """The issue's bound for a database of this many landscape trials (the largest size it reaches)."""
    reached = [seconds for size, seconds in TARGETS if landscape_trials >= size]
    return reached[-1] if reached else None


def table(rows: list[dict[str, Any]]) -> str:
    header = "| page | " + " | ".join(f"{r['landscape_trials']:,} landscape trials" for r in rows) + " |"
    lines = [header, "|---|" + "---:|" * len(rows)]
    for page in PAGES:
        lines.append(f"| {page} | " + " | ".join(f"{r['pages_s'][page]:.2f} s" for r in rows) + " |")
    lines.append("| slowest page (target) | " + " | ".join(
        f"{max(r['pages_s'].values()):.2f} s (≤ {r['target_s']:.0f} s)" if r["target_s"] else
        f"{max(r['pages_s'].values()):.2f} s" for r in rows) + " |")
    lines.append("| landscape page's queries, uncached | " +
                 " | ".join(f"{r['landscape_queries_s']['total'] * 1000:.0f} ms" for r in rows) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="11000,110000")
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    rows: list[dict[str, Any]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        started = time.perf_counter()
        db_path = with_history(build_db(size), args.versions)
        print(f"{size:,}: database ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        counts = holdings(db_path)
        pages = time_pages(db_path, args.repeats)
        target = target_for(counts["landscape_trials"])
        rows.append({"size": size, **counts, "versions_per_trial": args.versions, "pages_s": pages,
                     "target_s": target, "met": target is None or max(pages.values()) <= target,
                     "landscape_queries_s": time_landscape_queries(db_path, args.repeats)})
        print(json.dumps(rows[-1], indent=1), file=sys.stderr)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dashboard.json").write_text(json.dumps(rows, indent=1) + "\n")
    print(table(rows))
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    raise SystemExit(main())
