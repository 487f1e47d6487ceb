"""A full disk, made the way it was found: a real small tmpfs, the real CLI in a child process, the stand-in
over loopback HTTP. Whatever fills up, the published database stays whole and every error is one line.

Also the working copies an earlier process can leave behind (cut short, one run ahead, corrupt, two runs
ahead): recovery publishes one only when it is whole and exactly one finished run ahead.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.clirun import CliResult, assert_one_line_error, run_cli
from tests.mounts import free_bytes, leave_free, remount, tmpfs
from tests.standin.corpus import synthetic_studies
from tracker import api, heartbeat
from tracker.config import Settings
from tracker.daemon import Daemon
from tracker.demo.registry import Registry
from tracker.demo.standin import StandIn
from tracker.errors import DiskFull

pytestmark = pytest.mark.slow

CORPUS_SIZE = 300
ROOMY = "size=96m"
# the Atom feed of changes (Settings.feed_path) is written beside the database after each successful run
EXPECTED_FILES = {"tracker.duckdb", "tracker.lock", "filler", "tracker.changes.atom"}


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with StandIn(Registry(synthetic_studies(CORPUS_SIZE, seed=11))) as server:
        yield server


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with tmpfs(tmp_path / "disk", ROOMY) as mount_point:
        yield mount_point


def env_for(db_path: Path, standin: StandIn) -> dict[str, str]:
    return {"TRACKER_DB": str(db_path), "TRACKER_CTGOV_URL": standin.url, "TRACKER_MAX_RPM": "0",
            "TRACKER_BACKOFF": "0.01", "TRACKER_LOG_LEVEL": "WARNING"}


def settings_for(db_path: Path, standin: StandIn) -> Settings:
    return Settings(db_path=db_path, ctgov_url=standin.url, max_rpm=0, backoff=0.01, retries=4, timeout=15.0)


def data_state(path: Path) -> list[tuple[Any, ...]]:
    """Every table read in full (a missing or corrupt block fails here), then each study's current content."""
    with duckdb.connect(str(path), read_only=True) as con:
        for schema, table in con.execute("select schema_name, table_name from duckdb_tables()").fetchall():
            con.execute(f'select bit_xor(hash(t)) from "{schema}"."{table}" as t').fetchall()
        return con.execute("select s.nct_id, s.content_hash, s.is_in_scope, t.overall_status "
                           "from raw.studies s join core.trials t using (nct_id) order by nct_id").fetchall()


def runs(path: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select run_id, status, trigger, error from meta.refresh_runs order by run_id").fetchall()


def leftovers(directory: Path) -> list[str]:
    """Files a failed run must not leave behind: working copies, write-ahead logs, temporary copies."""
    return sorted(p.name for p in directory.iterdir() if p.name not in EXPECTED_FILES)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def move_registry(standin: StandIn) -> None:
    """A new CT.gov day with changes, so that the next run has pages to write."""
    standin.registry.advance(1)
    for nct_id in standin.registry.ids()[:120]:
        standin.registry.update(nct_id, {"overallStatus": "COMPLETED"})
    for study in synthetic_studies(40, seed=12, start_id=96000001):
        standin.registry.add(study)


def assert_disk_full(result: CliResult) -> None:
    assert_one_line_error(result, "disk full", "No space left on device")


def test_the_reported_sequence_ends_with_the_good_database_published(disk: Path, standin: StandIn) -> None:
    """Fill the disk during `refresh`, grow the file system, `refresh --full`, `refresh` (issue 9, finding 1)."""
    db_path = disk / "data" / "tracker.duckdb"
    env = env_for(db_path, standin)
    first = run_cli(["refresh"], env, timeout=180)
    assert first.returncode == 0, first.describe()
    good, size = data_state(db_path), db_path.stat().st_size

    # room for the published file and a quarter of a working copy, as when it was found
    used = int(subprocess.run(["df", "--output=used", "-B1", str(disk)], capture_output=True, text=True,
                              check=True).stdout.split()[-1])
    remount(disk, f"size={used + size // 4}")
    full = run_cli(["refresh"], env, timeout=120)
    assert_disk_full(full)
    assert "published database is unchanged" in full.stderr
    assert data_state(db_path) == good and db_path.stat().st_size == size
    assert leftovers(db_path.parent) == []

    remount(disk, ROOMY)
    move_registry(standin)
    again = run_cli(["refresh", "--full"], env, timeout=180)
    assert again.returncode == 0, again.describe()
    last = run_cli(["refresh"], env, timeout=180)
    assert last.returncode == 0, last.describe()
    assert db_path.stat().st_size >= size
    reference = settings_for(disk / "reference" / "tracker.duckdb", standin)
    assert api.run_refresh(reference, full=True).status == "succeeded"
    assert data_state(db_path) == data_state(reference.db_path)
    for args in (["status"], ["sql", "select count(*) from trials"]):
        read = run_cli(args, env)
        assert read.returncode == 0, read.describe()


def stage_of(result: CliResult) -> str:
    """Which write hit the full disk, from the file the error names."""
    line = result.error_lines[0]
    if ".tracker.work.duckdb." in line:
        return "working copy"
    if "tracker.work.duckdb" in line:
        return "database write"
    return line


def test_a_full_disk_at_any_point_keeps_the_published_data(disk: Path, standin: StandIn) -> None:
    db_path = disk / "data" / "tracker.duckdb"
    env = env_for(db_path, standin)
    assert api.run_refresh(settings_for(db_path, standin), full=True).status == "succeeded"
    good, size = data_state(db_path), db_path.stat().st_size
    succeeded = [r for r in runs(db_path) if r[1] == "succeeded"]
    move_registry(standin)
    stages = []
    # from no room for a working copy, through room for it but not for the run's pages, to enough
    for fraction in (0.05, 0.5, 0.99, 1.02, 1.1, 1.3, 1.6, 2.0, 3.0):
        leave_free(disk, int(size * fraction))
        result = run_cli(["refresh", "--full"], env, timeout=180)
        if result.returncode == 0:
            break
        assert_disk_full(result)
        stages.append(stage_of(result))
        assert data_state(db_path) == good, f"published data changed after: {result.describe()}"
        assert [r for r in runs(db_path) if r[1] == "succeeded"] == succeeded
        assert leftovers(db_path.parent) == [], result.describe()
    else:
        pytest.fail(f"no run succeeded even with {free_bytes(disk)} bytes free")
    assert {"working copy", "database write"} <= set(stages), stages
    (disk / "filler").unlink()
    reference = settings_for(disk / "reference" / "tracker.duckdb", standin)
    assert api.run_refresh(reference, full=True).status == "succeeded"
    assert data_state(db_path) == data_state(reference.db_path)
    failed = [r for r in runs(db_path) if r[1] == "failed"]
    assert all("disk full" in r[3] for r in failed), failed


def test_the_heartbeat_on_a_full_disk_is_one_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with tmpfs(tmp_path / "disk", "size=1m") as disk:
        leave_free(disk, 0)
        path = disk / "tracker.daemon.json"
        with pytest.raises(DiskFull, match=r"^disk full writing .*tracker\.daemon\.json \(No space left on device\)$"):
            heartbeat.write(path, {"pid": os.getpid(), "state": "idle"})
        daemon = Daemon(Settings(db_path=disk / "tracker.duckdb"))
        with caplog.at_level(logging.WARNING, logger="tracker.daemon"):
            daemon.beat()
            daemon.beat()
        warnings = [r.getMessage() for r in caplog.records if "heartbeat not written" in r.getMessage()]
        assert len(warnings) == 1 and "disk full" in warnings[0]  # said once, not at every beat
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]  # no half-written heartbeat left


def test_no_room_for_the_lock_file_is_a_full_disk_not_a_busy_lock(tmp_path: Path, standin: StandIn) -> None:
    # inodes run out before blocks do: the lock file, empty as it is, cannot be created
    with tmpfs(tmp_path / "disk", "size=8m,nr_inodes=16") as disk:
        data = disk / "data"
        data.mkdir()
        for n in range(100):
            try:
                (disk / f"f{n}").touch()
            except OSError:
                break
        result = run_cli(["refresh"], env_for(data / "tracker.duckdb", standin))
        assert_one_line_error(result, "disk full writing", "tracker.lock", "No space left on device")
        assert "another refresh is running" not in result.stderr


GHOST_RUN = textwrap.dedent("""
    import os, sys, duckdb
    path, runs, leave = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    con = duckdb.connect(path)
    for _ in range(runs):
        con.execute("insert into meta.refresh_runs (run_id, started_at, finished_at, status, mode, trigger) "
                    "select max(run_id) + 1, now(), now(), 'succeeded', 'full', 'ghost' from meta.refresh_runs")
    if leave == "wal":
        os._exit(0)  # as a killed process would: the rows are only in the write-ahead log
    con.close()
""")


def leave_working_copy(settings: Settings, *, runs_ahead: int, leave: str) -> Path:
    """A working copy as a dead process leaves it: the published file plus finished runs of its own."""
    work = settings.work_path
    work.write_bytes(settings.db_path.read_bytes())
    subprocess.run([sys.executable, "-c", GHOST_RUN, str(work), str(runs_ahead), leave], check=True)
    assert Path(f"{work}.wal").exists() == (leave == "wal")
    return work


@pytest.fixture
def published(tmp_path: Path, standin: StandIn) -> Settings:
    settings = settings_for(tmp_path / "data" / "tracker.duckdb", standin)
    assert api.run_refresh(settings, full=True, trigger="api").status == "succeeded"
    assert not settings.work_path.exists()  # the working copy only lives during a run
    return settings


def test_a_working_copy_cut_short_is_never_published(published: Settings, standin: StandIn) -> None:
    """The state the full disk left: a truncated working copy whose write-ahead log holds a newer run."""
    good, size = data_state(published.db_path), published.db_path.stat().st_size
    work = leave_working_copy(published, runs_ahead=1, leave="wal")
    os.truncate(work, work.stat().st_size // 4)
    result = run_cli(["refresh"], env_for(published.db_path, standin))
    assert result.returncode == 0, result.describe()
    assert "cannot be used and is discarded" in result.stderr
    assert data_state(published.db_path) == good and published.db_path.stat().st_size >= size
    assert [r[2] for r in runs(published.db_path)] == ["api", "cli"]  # the ghost run never reached it


def test_a_finished_run_left_unpublished_is_published(published: Settings, standin: StandIn) -> None:
    leave_working_copy(published, runs_ahead=1, leave="wal")
    result = run_cli(["refresh"], env_for(published.db_path, standin))
    assert result.returncode == 0, result.describe()
    assert [r[2] for r in runs(published.db_path)] == ["api", "ghost", "cli"]


def test_a_corrupt_working_copy_one_run_ahead_is_discarded(published: Settings, standin: StandIn) -> None:
    good = data_state(published.db_path)
    work = leave_working_copy(published, runs_ahead=1, leave="checkpointed")
    with duckdb.connect(str(work), read_only=True) as con:
        block_size = con.execute("select block_size from pragma_database_size()").fetchall()[0][0]
        block = con.execute("select max(block_id) from pragma_storage_info('raw.study_versions') "
                            "where column_name = 'payload'").fetchall()[0][0]
    with open(work, "r+b") as handle:  # one bit of a block of study JSON: the runs table still reads
        handle.seek(3 * 4096 + block * block_size + 1000)
        byte = handle.read(1)[0]
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte ^ 0x04]))
    result = run_cli(["refresh"], env_for(published.db_path, standin))
    assert result.returncode == 0, result.describe()
    assert "cannot be read: it is discarded" in result.stderr
    assert data_state(published.db_path) == good
    assert [r[2] for r in runs(published.db_path)] == ["api", "cli"]


def test_a_working_copy_two_runs_ahead_is_taken_for_a_restore(published: Settings, standin: StandIn) -> None:
    """One publish can be missing, never two: the published file was put back from a backup; keep it."""
    before = digest(published.db_path)
    leave_working_copy(published, runs_ahead=2, leave="checkpointed")
    result = run_cli(["refresh"], env_for(published.db_path, standin))
    assert result.returncode == 0, result.describe()
    assert "restored from a backup?" in result.stderr
    assert digest(published.db_path) != before  # the run published, on top of the restored file
    assert [r[2] for r in runs(published.db_path)] == ["api", "cli"]
