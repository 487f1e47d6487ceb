"""`tracker export DIR`: every public view as Parquet, read back equal to the view; a failure keeps the last export."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from tests.clirun import run_cli
from tests.fake_ctgov import FakeCtGov
from tests.synthetic import landscape_corpus
from tracker import api
from tracker import export as exporting
from tracker.cli import cli
from tracker.config import Settings
from tracker.errors import DiskFull
from tracker.scope import ScopeQuery

SCOPE = [ScopeQuery("everything", "user", (("query.term", "x"),))]
HISTORY = {"trial_versions", "trial_changes", "completion_history"}


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two refreshes a month apart: versions and changes posted in two months."""
    settings = Settings(db_path=tmp_path_factory.mktemp("export") / "tracker.duckdb", max_rpm=0)
    studies = landscape_corpus()
    first = FakeCtGov(studies, data_timestamp="2026-11-20T09:00:05")
    assert api.run_refresh(settings, scope=SCOPE, transport=first.transport()).status == "succeeded"
    moved = copy.deepcopy(studies)
    status = moved[0]["protocolSection"]["statusModule"]
    status["overallStatus"] = "COMPLETED"
    status["lastUpdatePostDateStruct"] = {"date": "2026-12-01", "type": "ACTUAL"}
    second = FakeCtGov(moved, data_timestamp="2026-12-02T09:00:05")
    assert api.run_refresh(settings, scope=SCOPE, transport=second.transport()).status == "succeeded"
    return settings.db_path


@pytest.fixture
def env(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRACKER_DB", str(db_path))
    return db_path


def export(target: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["export", str(target), *args])


def views_of(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [r[0] for r in con.execute("select view_name from duckdb_views() where schema_name = 'main' "
                                          "and not internal order by 1").fetchall()]


def read_back(con: duckdb.DuckDBPyConnection, target: Path, view: str) -> tuple[list[Any], list[Any]]:
    """The view's columns and sorted rows, and the same of its Parquet files (the partition column left out)."""
    files = f"'{target / view}/**/*.parquet'"
    parquet = con.execute(f"describe select * exclude ({exporting.PARTITION}) from read_parquet({files}, "
                          "hive_partitioning = true)" if view in HISTORY else
                          f"describe select * from read_parquet({files})").fetchall()
    columns = [(r[0], r[1]) for r in parquet]
    listed = ", ".join(f'"{name}"' for name, _ in columns)
    rows = con.execute(f"select {listed} from read_parquet({files}, hive_partitioning = true) order by all").fetchall()
    return [columns, rows], [[(r[0], r[1]) for r in con.execute(f"describe {view}").fetchall()],
                             con.execute(f"select {listed} from {view} order by all").fetchall()]


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".export.lock"}


def test_every_view_reads_back_equal_with_its_types(env: Path, tmp_path: Path) -> None:
    before = env.stat()
    result = export(tmp_path / "out")
    assert result.exit_code == 0, result.output
    views = views_of(env)
    assert result.output.splitlines()[-1].startswith(f"exported {len(views)} views")
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach '{env}' as t (read_only); use t")
        for view in views:
            exported, original = read_back(con, tmp_path / "out", view)
            assert exported == original, view
    after = env.stat()
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size), "the export wrote the database"


def test_history_views_are_partitioned_by_posting_month(env: Path, tmp_path: Path) -> None:
    assert export(tmp_path).exit_code == 0
    months = sorted(p.name for p in (tmp_path / "trial_versions").iterdir())
    assert months == ["posted_month=2026-11", "posted_month=2026-12"]
    assert [p.name for p in (tmp_path / "trial_changes").iterdir()] == ["posted_month=2026-12"]
    assert (tmp_path / "completion_history" / "posted_month=2026-11").is_dir()
    assert [p.name for p in (tmp_path / "trials").iterdir()] == ["data_0.parquet"]
    with duckdb.connect(":memory:") as con:
        month = con.execute(f"select distinct posted_month from read_parquet('{tmp_path}/trial_changes/**/*.parquet',"
                            " hive_partitioning = true)").fetchall()
    assert month == [("2026-12",)]


def test_the_manifest_lists_views_rows_and_the_snapshot(env: Path, tmp_path: Path) -> None:
    assert export(tmp_path).exit_code == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["format"] == exporting.FORMAT and manifest["tracker_version"]
    assert manifest["snapshot"]["run_id"] == 2 and manifest["snapshot"]["data_timestamp"].startswith("2026-12-02")
    assert sorted(manifest["views"]) == views_of(env)
    assert sorted(manifest["not_exported"]) == ["landscape_as_of", "landscape_diff", "landscape_rows_as_of",
                                                "trials_as_of"]
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach '{env}' as t (read_only); use t")
        for view, entry in manifest["views"].items():
            assert entry["rows"] == con.execute(f"select count(*) from {view}").fetchall()[0][0], view
            assert con.execute(f"select count(*) from read_parquet('{tmp_path}/{entry['files']}')").fetchall()[0][0] \
                == entry["rows"], view
    assert manifest["views"]["trial_changes"]["partitioned_by"] == {"column": "posted_month", "month_of": "posted_date"}
    assert manifest["views"]["trials"]["partitioned_by"] is None


def test_a_directory_name_with_glob_characters(env: Path, tmp_path: Path) -> None:
    target = tmp_path / "exports [v1] *"
    result = export(target, "--views", "trials,trial_versions")
    assert result.exit_code == 0, result.output
    assert (target / "trial_versions" / "posted_month=2026-12").is_dir()


def test_a_new_export_replaces_the_previous_one_whole(env: Path, tmp_path: Path) -> None:
    assert export(tmp_path).exit_code == 0
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / f".export-{999999}.tmp").mkdir()  # left by an export that was killed
    result = export(tmp_path, "--views", "trials,trial_changes")
    assert result.exit_code == 0, result.output
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert kept == [".export.lock", "manifest.json", "notes.txt", "trial_changes", "trials"]
    assert sorted(json.loads((tmp_path / "manifest.json").read_text())["views"]) == ["trial_changes", "trials"]


@pytest.mark.parametrize(("views", "message"), [
    ("trials_as_of", "trials_as_of is a table macro"),
    ("trials,nope", "no public view named 'nope'"),
    (",", "name at least one view"),
])
def test_views_option_errors_are_one_line(env: Path, tmp_path: Path, views: str, message: str) -> None:
    result = export(tmp_path / "out", "--views", views)
    assert result.exit_code == 1 and message in result.output and result.output.count("\n") == 1, result.output
    assert not any((tmp_path / "out").glob("*/"))


def test_bad_directories_are_one_line_errors(env: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "foreign" / "trials").mkdir(parents=True)
    (tmp_path / "foreign" / "trials" / "mine.csv").write_text("x")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "manifest.json").write_text("{}")
    (tmp_path / "claimed").mkdir()
    (tmp_path / "claimed" / "trials").mkdir()
    (tmp_path / "claimed" / "manifest.json").write_text(json.dumps({"format": exporting.FORMAT, "views": {}}))
    cases = {tmp_path / "file": "is a file, not a directory",
             tmp_path / "file" / "below": "Not a directory",
             tmp_path / "foreign": "is not empty and holds no previous export",
             tmp_path / "other": "is not the manifest of a tracker export",
             tmp_path / "claimed": "trials exists and is not part of a previous export"}
    for target, message in cases.items():
        result = export(target)
        assert result.exit_code == 1 and message in result.output and result.output.count("\n") == 1, result.output
    assert (tmp_path / "foreign" / "trials" / "mine.csv").read_text() == "x"
    assert sorted(p.name for p in (tmp_path / "foreign").iterdir()) == ["trials"], "it wrote into a foreign folder"
    assert sorted(p.name for p in (tmp_path / "claimed").iterdir()) == [".export.lock", "manifest.json", "trials"]


def test_an_unwritable_directory_is_a_one_line_error(env: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("root writes everywhere, and setpriv is not here to take that away")
    target = tmp_path / "locked"
    target.mkdir()
    target.chmod(0o555)
    prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--") if os.geteuid() == 0 else ()
    result = run_cli(["export", str(target)], {"TRACKER_DB": str(env)}, prefix=prefix)
    assert result.returncode == 1, result.describe()
    assert result.error_lines[0].startswith("Error: ") and len(result.error_lines) == 1, result.describe()
    assert "Permission denied" in result.stderr or "not writable" in result.stderr, result.describe()


def test_a_failed_export_leaves_the_previous_one_intact(env: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(db_path=env)
    api.export(settings, tmp_path)
    before = digest(tmp_path)
    calls = {"n": 0}
    real = exporting.db.copy_to_parquet

    def fill_the_disk(*args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 5:
            raise DiskFull(f"disk full writing {args[2]} (No space left on device)")
        return real(*args, **kwargs)

    monkeypatch.setattr(exporting.db, "copy_to_parquet", fill_the_disk)
    with pytest.raises(DiskFull):
        api.export(settings, tmp_path)
    assert digest(tmp_path) == before
    assert not list(tmp_path.glob(".export-*"))


def test_a_failed_swap_puts_the_previous_export_back(env: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(db_path=env)
    api.export(settings, tmp_path)
    before = digest(tmp_path)
    real = os.replace
    calls = {"n": 0}

    def rename(src: Any, dst: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 30:  # after the previous export is moved out, while the new one moves in
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr(exporting.os, "replace", rename)
    with pytest.raises(DiskFull, match="the previous export in .* is unchanged"):
        api.export(settings, tmp_path)
    monkeypatch.setattr(exporting.os, "replace", real)
    assert digest(tmp_path) == before
    assert not list(tmp_path.glob(".export-*"))


def test_export_without_a_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "none.duckdb"))
    result = export(tmp_path / "out")
    assert result.exit_code == 1 and "run `tracker refresh`" in result.output and result.output.count("\n") == 1


def test_a_publish_during_the_export_does_not_mix_snapshots(db_path: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The export reads the file it opened: a refresh that publishes meanwhile is the next export's."""
    published = tmp_path / "tracker.duckdb"
    shutil.copyfile(db_path, published)
    newer = Settings(db_path=tmp_path / "newer" / "tracker.duckdb", max_rpm=0)
    newer.db_path.parent.mkdir()
    shutil.copyfile(db_path, newer.db_path)
    studies = landscape_corpus()[:3]
    for study in studies:
        study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {"date": "2027-01-05", "type": "ACTUAL"}
    fake = FakeCtGov(studies, data_timestamp="2027-01-06T09:00:05")
    assert api.run_refresh(newer, scope=SCOPE, transport=fake.transport()).status == "succeeded"
    with duckdb.connect(str(newer.db_path), read_only=True) as con:
        assert con.execute("select count(*) from trial_versions where last_update_post_date >= '2027-01-01'"
                           ).fetchall() == [(3,)]
    real = exporting.db.copy_to_parquet
    calls = {"n": 0}

    def publish_midway(*args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            os.replace(newer.db_path, published)
        return real(*args, **kwargs)

    monkeypatch.setattr(exporting.db, "copy_to_parquet", publish_midway)
    api.export(Settings(db_path=published), tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["snapshot"]["run_id"] == 2
    assert not (tmp_path / "out" / "trial_versions" / "posted_month=2027-01").exists()
    assert manifest["views"]["refresh_runs"]["rows"] == 2


def test_id_ranges_cover_every_id_once() -> None:
    assert exporting.id_ranges([]) == ["true"]
    assert exporting.id_ranges(["NCT90000103", "NCT90000106"]) == [
        "nct_id < 'NCT90000103'", "nct_id >= 'NCT90000103' and nct_id < 'NCT90000106'", "nct_id >= 'NCT90000106'"]


def test_history_views_copied_in_chunks_read_back_whole(env: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A large history view is copied by ranges of nct_id (the window under trial_versions holds all it reads)."""
    monkeypatch.setattr(exporting, "CHUNK_ROWS", 3)
    api.export(Settings(db_path=env), tmp_path, views=sorted(HISTORY))
    assert len(list((tmp_path / "trial_versions" / "posted_month=2026-11").glob("*.parquet"))) > 1
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach '{env}' as t (read_only); use t")
        for view in sorted(HISTORY):
            exported, original = read_back(con, tmp_path, view)
            assert exported == original, view
