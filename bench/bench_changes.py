"""Change-intelligence benchmark: the change-detection stage, time travel, and the Changes page.

    python bench/bench_changes.py [--size 100000] [--days 3] [--touched 0.02] [--repeats 5]

1. Stage: a database of SIZE synthetic trials is built through the real pipeline (the stand-in in a
   child process, a full refresh; cached in bench/.cache). Then, day after day, the stand-in's
   registry moves (TOUCHED of the trials get a status, completion-date or enrollment change through its
   admin API) and one incremental refresh runs; its wall time and the change-detection stage's time
   (snapshots, comparison, rating) are recorded. Medians over the days.
2. Time travel: a copy of the database gets nine older versions of every trial (synthetic snapshots,
   30 days apart, with moved status and phase), so SIZE trials carry 10 versions each; then
   landscape_as_of(d), trials_as_of(d) and landscape_diff(d1, d2) are timed. Medians of REPEATS.
3. Pages (Streamlit AppTest, caches cleared, the page's own script run timed): Changes (every change since
   2000), Readouts, and Landscape as of 120 days back, on the 10-version database of step 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "bench" / ".cache"
RESULTS = ROOT / "bench" / "results"


def start_standin(size: int) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "tests.standin", "--corpus", f"synthetic:{size}",
                                "--seed", "3", "--port", "0"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def admin(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    origin = url.rsplit("/api/v2", 1)[0]
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(f"{origin}/_admin/{path}", data=data, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def touch(url: str, ids: list[str], share: float, rng: random.Random) -> int:
    """Move the registry one day and change `share` of the trials as a day of CT.gov postings would."""
    admin(url, "advance?days=1")
    chosen = rng.sample(ids, max(1, int(len(ids) * share)))
    edits = [{"overallStatus": "ACTIVE_NOT_RECRUITING"}, {"overallStatus": "TERMINATED", "whyStopped": "Sponsor"},
             {"statusModule": {"primaryCompletionDateStruct": {"date": "2029-06-30", "type": "ESTIMATED"}}},
             {"designModule": {"enrollmentInfo": {"count": rng.randint(10, 500), "type": "ESTIMATED"}}}]
    for nct_id in chosen:
        admin(url, f"update?nct={nct_id}", rng.choice(edits))
    return len(chosen)


def bench_stage(size: int, days: int, share: float) -> dict[str, Any]:
    from tracker import api, db
    from tracker.config import Settings

    work = CACHE / f"changes-{size}"
    shutil.rmtree(work, ignore_errors=True)
    process, url = start_standin(size)
    try:
        settings = Settings(db_path=work / "tracker.duckdb", ctgov_url=url, max_rpm=0, timeout=600.0)
        started = time.perf_counter()
        first = api.run_refresh(settings, full=True)
        full_seconds = time.perf_counter() - started
        assert first.status == "succeeded", first.error
        ids = db.read_frame(settings.db_path, "select nct_id from trials where is_in_scope")["nct_id"].to_list()
        rng = random.Random(7)
        samples = []
        for _ in range(days):
            touched = touch(url, ids, share, rng)
            started = time.perf_counter()
            result = api.run_refresh(settings)
            wall = time.perf_counter() - started
            assert result.status == "succeeded", result.error
            changes = db.read_frame(settings.db_path, "select count(*) as n from trial_changes where run_id = ?",
                                    [result.run_id])["n"][0]
            samples.append({"touched": touched, "wall": wall, "stage": result.timings.get("changes", 0.0),
                            "labels": result.timings.get("labels", 0.0), "changes": int(changes),
                            "studies_changed": result.studies_changed, "timings": dict(result.timings)})
            print(f"  day: {touched} touched, refresh {wall:.1f} s, change stage "
                  f"{samples[-1]['stage']:.2f} s, {changes} changes", flush=True)
    finally:
        process.terminate()
        process.wait(60)
    stage = statistics.median(s["stage"] for s in samples)
    wall = statistics.median(s["wall"] for s in samples)
    return {"size": size, "trials_in_scope": len(ids), "full_refresh_seconds": full_seconds, "days": samples,
            "stage_seconds": stage, "refresh_seconds": wall, "stage_share": stage / wall, "db": str(settings.db_path)}


HISTORY_SQL = """
insert into raw.study_versions (version_id, nct_id, content_hash, last_update_post_date,
    last_update_post_date_type, version_holder, fetched_at, run_id, payload, source)
select version_id, nct_id, 'synthetic', posted_date, 'ACTUAL', null, now(), 1, '{}', 'refresh' from older;
insert into versions.trial_snapshots by name
select * replace (older.version_id as version_id, older.posted_date as posted_date,
                  older.posted_date as last_update_post_date, older.overall_status as overall_status,
                  older.phases as phases)
from versions.trial_snapshots as s join older using (nct_id)
where s.version_id = (select version_id from raw.studies r where r.nct_id = s.nct_id);
"""


def run_script(con: Any, sql: str) -> None:
    """Each statement of a block of SQL in turn."""
    for statement in sql.split(";"):
        if statement.strip():
            con.execute(statement)


def add_history(path: Path, versions: int) -> None:
    from tracker import db

    con = db.connect(path)
    try:
        con.execute("""
            create temp table older as
            select s.nct_id, nextval('raw.version_id_seq') as version_id,
                   s.posted_date - interval (30 * k) day as posted_date,
                   (['RECRUITING', 'NOT_YET_RECRUITING', 'ACTIVE_NOT_RECRUITING'])[1 + k % 3] as overall_status,
                   case when k % 2 = 0 then ['PHASE1'] else s.phases end as phases
            from versions.trial_snapshots as s join raw.studies as r using (version_id),
                 range(1, ?) as t(k)
        """, [versions])
        run_script(con, HISTORY_SQL)
        db.checkpoint(con)
    finally:
        con.close()


def bench_as_of(path: Path, versions: int, repeats: int) -> dict[str, Any]:
    from tracker import db

    copy = path.with_name("history.duckdb")
    shutil.copyfile(path, copy)
    add_history(copy, versions)
    con = db.connect(copy, read_only=True)
    try:
        count = con.execute("select count(*), count(distinct nct_id) from versions.trial_snapshots").fetchall()[0]
        newest = con.execute("select max(posted_date) from versions.trial_snapshots").fetchall()[0][0]
        middle = newest - dt.timedelta(days=120)
        queries = {
            "landscape_as_of": ("select count(*) from landscape_as_of(?)", [middle]),
            "trials_as_of": ("select count(*) filter (in_landscape) from trials_as_of(?)", [middle]),
            "landscape_diff": ("select change, count(*) from landscape_diff(?, ?) group by all", [middle, newest]),
            "landscape (today)": ("select count(*) from landscape", []),
        }
        timings = {}
        for name, (sql, params) in queries.items():
            samples = []
            for _ in range(repeats):
                started = time.perf_counter()
                con.execute(sql, params).fetchall()
                samples.append(time.perf_counter() - started)
            timings[name] = statistics.median(samples)
            print(f"  {name}: {timings[name] * 1000:.0f} ms", flush=True)
    finally:
        con.close()
    return {"snapshots": count[0], "trials": count[1], "versions_per_trial": versions, "seconds": timings}


def time_pages(path: Path, repeats: int) -> dict[str, float]:
    """Server-side time of a cold script run (caches cleared) of each change-intelligence page."""
    from page_timing import cold_runs

    middle = (dt.date.today() - dt.timedelta(days=120)).isoformat()
    pages: dict[str, tuple[str | None, dict[str, str]]] = {
        "changes": ("changes", {"since": "2000-01-01"}), "readouts": ("readouts", {}),
        "landscape (as of 120 days back)": (None, {"asof": middle})}
    return cold_runs(path, pages, repeats, timeout=300)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--touched", type=float, default=0.02)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    print(f"change detection on {args.size:,} trials, {args.touched:.0%} touched per day", flush=True)
    stage = bench_stage(args.size, args.days, args.touched)
    print(f"as-of queries on {args.size:,} trials × {args.versions} versions", flush=True)
    as_of = bench_as_of(Path(stage["db"]), args.versions, args.repeats)
    print(f"pages on {args.size:,} trials × {args.versions} versions", flush=True)
    pages = time_pages(Path(stage["db"]).with_name("history.duckdb"), args.repeats)
    report = {"stage": stage, "as_of": as_of, "pages": pages}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "changes.json").write_text(json.dumps(report, indent=1, default=str) + "\n", encoding="utf-8")
    print(json.dumps({"stage_seconds": stage["stage_seconds"], "refresh_seconds": stage["refresh_seconds"],
                      "stage_share": stage["stage_share"], "as_of": as_of["seconds"], "pages": pages}, indent=1))


if __name__ == "__main__":
    main()
