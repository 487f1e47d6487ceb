"""The daemon against the stand-in: scheduled incremental runs that never overlap, kill -9, concurrent readers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.standin.corpus import synthetic_studies
from tests.standin.faults import Faults
from tests.standin.server import FaultyStandIn
from tracker import api
from tracker.config import Settings
from tracker.demo.registry import Registry

pytestmark = pytest.mark.slow


@pytest.fixture
def standin() -> Iterator[FaultyStandIn]:
    with FaultyStandIn(Registry(synthetic_studies(900, seed=11))) as server:
        yield server


def env_for(tmp_path: Path, standin: FaultyStandIn, **extra: str) -> dict[str, str]:
    return {**os.environ, "TRACKER_DB": str(tmp_path / "tracker.duckdb"), "TRACKER_CTGOV_URL": standin.url,
            "TRACKER_MAX_RPM": "0", "TRACKER_BACKOFF": "0.05", "TRACKER_LOG_LEVEL": "INFO", **extra}


def runs(db_path: Path) -> list[dict[str, Any]]:
    try:
        with duckdb.connect(str(db_path), read_only=True) as con:
            cursor = con.execute("select run_id, status, mode, started_at, finished_at, requests, studies_changed, "
                                 "error from refresh_runs order by run_id")
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except duckdb.Error:
        return []


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def start_daemon(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([sys.executable, "-m", "tracker", "daemon"], env=env, stdout=output,
                                stderr=subprocess.STDOUT)


def test_scheduled_runs_are_incremental_and_never_overlap(tmp_path: Path, standin: FaultyStandIn) -> None:
    env = env_for(tmp_path, standin, TRACKER_SCHEDULE="every 2s")
    db_path = tmp_path / "tracker.duckdb"
    daemon = start_daemon(env, tmp_path / "daemon.log")
    try:
        wait_for(lambda: any(r["status"] == "succeeded" for r in runs(db_path)), 120, "the first run")
        for day in range(3):
            standin.registry.advance(1)
            for nct_id in standin.registry.ids()[day * 50: day * 50 + 20]:
                standin.registry.update(nct_id, {"overallStatus": "ACTIVE_NOT_RECRUITING"})
            count = len(runs(db_path))
            wait_for(lambda n=count: any(r["status"] == "succeeded" and r["studies_changed"] > 0
                                         for r in runs(db_path)[n:]), 60, f"the run after day {day + 1}")
        status = subprocess.run([sys.executable, "-m", "tracker", "status"], env=env, capture_output=True, text=True)
        assert "daemon: alive" in status.stdout, status.stdout
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(60) == 0, (tmp_path / "daemon.log").read_text()
    history = runs(db_path)
    if history[-1]["status"] == "failed":
        # SIGTERM arrived while a run was in flight: it was cancelled, and nothing it fetched was kept
        assert "cancelled by shutdown" in history[-1]["error"], history[-1]
        history = history[:-1]
    assert history[0]["mode"] == "full"
    succeeded = [r for r in history[1:] if r["status"] == "succeeded"]
    assert len(succeeded) >= 3 and all(r["mode"] == "incremental" for r in succeeded)
    assert {r["status"] for r in history} <= {"succeeded", "skipped"}, history
    skipped = [r for r in history if r["status"] == "skipped"]
    assert all(r["requests"] == 1 for r in skipped)
    for earlier, later in zip(history, history[1:], strict=False):
        assert earlier["finished_at"] <= later["started_at"], "two refreshes overlapped"
    beat = json.loads((tmp_path / "tracker.daemon.json").read_text())
    assert beat["state"] == "stopped"


def test_kill_9_during_a_refresh_then_restart(tmp_path: Path, standin: FaultyStandIn) -> None:
    env = env_for(tmp_path, standin, TRACKER_SCHEDULE="every 3s")
    db_path = tmp_path / "tracker.duckdb"
    settings = Settings(db_path=db_path, ctgov_url=standin.url, max_rpm=0)
    assert api.run_refresh(settings, full=True).status == "succeeded"
    before = runs(db_path)
    with duckdb.connect(str(db_path), read_only=True) as con:
        trials_before = con.execute("select count(*) from trials").fetchall()
    standin.registry.advance(1)
    standin.faults = Faults(delay_s=0.5)
    standin.clear_log()
    daemon = start_daemon(env, tmp_path / "daemon1.log")
    wait_for(lambda: len([r for r in standin.requests if r["path"].endswith("/studies")]) >= 2, 60,
             "a refresh in progress")
    os.kill(daemon.pid, signal.SIGKILL)
    daemon.wait()
    assert runs(db_path) == before  # the published data did not see the killed run
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("select count(*) from trials").fetchall() == trials_before
    standin.faults = Faults()
    daemon = start_daemon(env, tmp_path / "daemon2.log")
    try:
        wait_for(lambda: any(r["status"] == "succeeded" for r in runs(db_path)[len(before):]), 90,
                 "a successful run after the restart")
    finally:
        daemon.send_signal(signal.SIGINT)
        assert daemon.wait(60) == 0
    after = runs(db_path)[len(before):]
    assert after[0]["status"] == "failed"  # the killed run, recorded as interrupted


READER = textwrap.dedent("""
    import json, os, sys, time, duckdb
    # read until the test says stop (a file appears), whatever the machine's load made the refreshes take
    path, stop = sys.argv[1], sys.argv[2]
    seen, errors, end = [], [], time.monotonic() + 600
    while not os.path.exists(stop) and time.monotonic() < end:
        try:
            con = duckdb.connect(path, read_only=True)
            row = con.execute(
                "select (select max(run_id) from refresh_runs where status = 'succeeded'), "
                "(select count(*) from trials), (select count(*) from trial_versions), "
                "(select coalesce(sum(n_trials), 0) from landscape)").fetchall()[0]
            con.close()
            seen.append(list(row))
        except Exception as exc:
            errors.append(repr(exc))
    print(json.dumps({"seen": seen, "errors": errors}))
""")


def test_readers_never_fail_and_always_see_one_snapshot(tmp_path: Path, standin: FaultyStandIn) -> None:
    settings = Settings(db_path=tmp_path / "tracker.duckdb", ctgov_url=standin.url, max_rpm=0)
    assert api.run_refresh(settings, full=True).status == "succeeded"

    def snapshot() -> tuple[int, list[Any]]:
        with duckdb.connect(str(settings.db_path), read_only=True) as con:
            row = con.execute("select (select max(run_id) from refresh_runs where status = 'succeeded'), "
                              "(select count(*) from trials), (select count(*) from trial_versions), "
                              "(select coalesce(sum(n_trials), 0) from landscape)").fetchall()[0]
        return row[0], list(row)

    expected = dict([snapshot()])
    stop = tmp_path / "stop-reading"
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(settings.db_path), str(stop)],
                                stdout=subprocess.PIPE, text=True) for _ in range(4)]
    started = time.monotonic()
    day = 0
    # at least three refreshes, however slow a loaded machine makes them, and readers busy for 20 s
    while day < 3 or time.monotonic() - started < 20:
        day += 1
        standin.registry.advance(1)
        for study in synthetic_studies(15, seed=day, start_id=96000000 + 100 * day):
            standin.registry.add(study)
        for nct_id in standin.registry.ids()[day * 7: day * 7 + 25]:
            standin.registry.update(nct_id, {"overallStatus": "COMPLETED"})
        result = api.run_refresh(settings)
        assert result.status == "succeeded", result.error
        run_id, row = snapshot()
        expected[run_id] = row
    stop.touch()
    reports = [json.loads(reader.communicate(timeout=60)[0]) for reader in readers]
    for report in reports:
        assert report["errors"] == []
        assert len(report["seen"]) > 10
        for row in report["seen"]:
            assert expected[row[0]] == row, "a reader saw a mix of two refreshes"
    assert len({row[0] for report in reports for row in report["seen"]}) >= 2, "readers saw several refreshes"


def test_heartbeat_is_read_by_status(tmp_path: Path) -> None:
    from tracker import heartbeat

    path = tmp_path / "tracker.daemon.json"
    heartbeat.write(path, {"pid": os.getpid(), "state": "idle", "beat_at": datetime.now().astimezone().isoformat()})
    assert heartbeat.is_alive(heartbeat.read(path))
    heartbeat.write(path, {"pid": os.getpid(), "state": "stopped", "beat_at": datetime.now().astimezone().isoformat()})
    assert not heartbeat.is_alive(heartbeat.read(path))
    heartbeat.write(path, {"pid": 2**22 + 12345, "state": "idle", "beat_at": datetime.now().astimezone().isoformat()})
    assert not heartbeat.is_alive(heartbeat.read(path))


@pytest.mark.parametrize("level", [None, "DEBUG"])
def test_scheduler_chatter_is_left_out_unless_debugging(tmp_path: Path, level: str | None) -> None:
    """APScheduler's "Running job …" / "… executed successfully" for every job (the 10 s heartbeat included)
    flooded `tracker up` and `tracker daemon`; at the default level only the tracker's own lines remain."""
    with FaultyStandIn(Registry(synthetic_studies(40, seed=5))) as server:
        env = env_for(tmp_path, server, TRACKER_SCHEDULE="every 1s")
        if level is None:
            del env["TRACKER_LOG_LEVEL"]  # the default a person running `tracker up` gets
        else:
            env["TRACKER_LOG_LEVEL"] = level
        db_path = tmp_path / "tracker.duckdb"
        log = tmp_path / "daemon.log"
        daemon = start_daemon(env, log)
        try:
            # later runs find nothing new and are recorded as skipped: any two finished runs will do
            wait_for(lambda: sum(r["status"] in ("succeeded", "skipped") for r in runs(db_path)) >= 2, 60,
                     "two runs")
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(60) == 0, log.read_text()
    output = log.read_text()
    assert "scheduled refresh: " in output, output  # the run summaries still show
    if level is None:
        assert "Running job" not in output, output
        assert "executed successfully" not in output, output  # its warnings (a missed run) would still show
    else:
        assert "Running job" in output, output
