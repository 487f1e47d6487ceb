"""Publishing benchmark: what it costs to publish a run, against the size of the database.

    python bench/bench_publish.py [--sizes 20000,100000] [--changes 100] [--repeats 3]

For each size a database is built once through the real pipeline (the stand-in in a child process, one
scope query returning every study, a full refresh; cached in bench/.cache/publish-SIZE). Each repetition
(a day) moves the stand-in's registry a day with CHANGES studies edited and runs one incremental refresh
on it, timing inside the run what publishing costs beyond the run's own work: the whole copy of the
published file that becomes the working copy (publish.start_work_copy), and publish.publish (checkpoint,
check, fsync, rename). On the same file it also times the alternatives: ATTACH + COPY FROM DATABASE into
a new file (--logical, slow) and `cp --reflink=always` (reported as unsupported where the file system
cannot share blocks). The delta catch-up measured against these lives on branch i13-publish.
Medians are printed and written to bench/results/publish.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# the change benchmark's stand-in (same seed) and admin calls: this script runs beside it in bench/
from bench_changes import admin, start_standin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = ROOT / "bench" / ".cache"
RESULTS = ROOT / "bench" / "results"


def settings_for(path: Path, url: str) -> Any:
    from tracker.config import Settings

    return Settings(db_path=path, ctgov_url=url, max_rpm=0, timeout=600.0)


def everything() -> list[Any]:
    from tracker.scope import ScopeQuery

    return [ScopeQuery("every study", "user", ())]


def build(size: int, url: str) -> Path:
    """The SIZE-study database after one full refresh, built once and kept in bench/.cache."""
    from tracker import api

    base = CACHE / f"publish-{size}" / "base.duckdb"
    if base.exists():
        return base
    work = base.with_name("build")
    shutil.rmtree(work, ignore_errors=True)
    settings = settings_for(work / "tracker.duckdb", url)
    started = time.perf_counter()
    result = api.run_refresh(settings, full=True, scope=everything())
    assert result.status == "succeeded", result.error
    print(f"  built {size} studies in {time.perf_counter() - started:.0f} s", flush=True)
    os.replace(settings.db_path, base)
    shutil.rmtree(work)
    return base


def touch(url: str, ids: list[str], changes: int, rng: random.Random) -> None:
    """A CT.gov day on which CHANGES studies get a new status or enrollment."""
    admin(url, "advance?days=1")
    for nct_id in rng.sample(ids, changes):
        admin(url, f"update?nct={nct_id}", rng.choice([
            {"overallStatus": "ACTIVE_NOT_RECRUITING"},
            {"designModule": {"enrollmentInfo": {"count": rng.randint(10, 500), "type": "ESTIMATED"}}}]))


class Timed:
    """publish.start_work_copy and publish.publish, timed inside real refreshes."""

    def __init__(self) -> None:
        from tracker import publish

        self.seconds: dict[str, float] = {}
        start, finish = publish.start_work_copy, publish.publish

        def timed_start(work: Path, published: Path) -> None:
            began = time.perf_counter()
            start(work, published)
            self.seconds["start"] = time.perf_counter() - began

        def timed_publish(work: Path, published: Path) -> None:
            began = time.perf_counter()
            finish(work, published)
            self.seconds["publish"] = time.perf_counter() - began

        publish.start_work_copy, publish.publish = timed_start, timed_publish  # type: ignore[method-assign]


def alternatives(published: Path, logical: bool) -> dict[str, float | str]:
    """What the other ways of starting a working copy cost on the same file, after the run."""
    from tracker import db, files

    out: dict[str, float | str] = {}
    target = published.with_name("alternative.duckdb")
    began = time.perf_counter()
    files.copy_atomic(published, target)
    out["copy"] = time.perf_counter() - began
    target.unlink()
    if not logical:
        return out
    con = db.scratch()
    try:
        began = time.perf_counter()
        con.execute(f"attach '{published}' as p (read_only)")
        con.execute(f"attach '{target}' as t")
        con.execute("copy from database p to t")
        con.execute("detach t")
        out["logical_copy"] = time.perf_counter() - began
    finally:
        con.close()
    target.unlink()
    return out


def reflink(published: Path) -> str:
    """Whether the file system can share the file's blocks with a copy (ext4 cannot)."""
    target = published.with_name("alternative.duckdb")
    began = time.perf_counter()
    done = subprocess.run(["cp", "--reflink=always", str(published), str(target)], capture_output=True, text=True)
    target.unlink(missing_ok=True)
    return f"{time.perf_counter() - began:.3f} s" if done.returncode == 0 else "unsupported: " + done.stderr.strip()


def bench_size(size: int, changes: int, repeats: int, logical: bool) -> dict[str, Any]:
    from tracker import api, db

    process, url = start_standin(size)
    try:
        base = build(size, url)
        work = CACHE / f"publish-{size}" / "run"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        settings = settings_for(work / "tracker.duckdb", url)
        shutil.copyfile(base, settings.db_path)
        ids = db.read_frame(settings.db_path, "select nct_id from raw.studies")["nct_id"].to_list()
        rng = random.Random(11)
        timed = Timed()
        samples = []
        for day in range(repeats + 1):
            touch(url, ids, changes, rng)
            began = time.perf_counter()
            result = api.run_refresh(settings, scope=everything())
            wall = time.perf_counter() - began
            assert result.status == "succeeded", result.error
            sample = {"wall": wall, "studies_changed": result.studies_changed,
                      "db_bytes": settings.db_path.stat().st_size, **timed.seconds}
            sample["publish_total"] = sample["start"] + sample["publish"]
            if day:  # the first run after the build warms the page cache
                sample.update(alternatives(settings.db_path, logical and day == 1))
                samples.append(sample)
            print(f"  {size}: {json.dumps(sample)}", flush=True)
    finally:
        process.terminate()
        process.wait(60)

    def median(key: str) -> float:
        return statistics.median(float(s[key]) for s in samples)

    return {"size": size, "changes": changes, "db_mb": median("db_bytes") / 2**20, "refresh_s": median("wall"),
            "start_copy_s": median("start"), "publish_s": median("publish"), "total_s": median("publish_total"),
            "copy_again_s": median("copy"), "logical_copy_s": samples[0].get("logical_copy"),
            "reflink": reflink(settings.db_path), "runs": samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--logical", action="store_true", help="also time COPY FROM DATABASE (minutes at 100,000)")
    args = parser.parse_args()
    rows = [bench_size(int(n), args.changes, args.repeats, args.logical) for n in args.sizes.split(",")]
    print("\n| studies | database | refresh (incremental) | copy + publish | copy again | COPY FROM DATABASE "
          "| reflink |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        logical = f"{row['logical_copy_s']:.0f} s" if row["logical_copy_s"] is not None else "not run"
        print(f"| {row['size']:,} | {row['db_mb']:.0f} MiB | {row['refresh_s']:.1f} s | {row['total_s']:.2f} s "
              f"({row['start_copy_s']:.2f} + {row['publish_s']:.2f}) | {row['copy_again_s']:.2f} s | {logical} "
              f"| {row['reflink']} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "publish.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
