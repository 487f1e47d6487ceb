"""`tracker export DIR`: every public view as Parquet, from one snapshot of the published database.

Each view is a folder `DIR/<view>/` of Parquet files, so Spark, Trino, BigQuery or DuckDB can point a
table at it; the history views are partitioned by the month CT.gov posted each row
(`posted_month=YYYY-MM/`, Hive layout). `DIR/manifest.json` lists the views with their row counts and
columns, the run the snapshot comes from and the tracker's version.

Nothing half-written is ever under a name a reader uses: the export is written into
`DIR/.export-<pid>.tmp/`, its row counts checked against the views, and only then swapped with the
previous export by renames (the manifest last). A failure before the swap leaves the previous export
as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracker import __version__, db, files
from tracker.config import Settings
from tracker.errors import ConfigError, ExportError, TrackerError

FORMAT = "nk-landscape-tracker-export/1"
MANIFEST = "manifest.json"
PARTITION = "posted_month"
# the history views: every version and every change, partitioned by the month CT.gov posted it, which
# is what a consumer of history filters on (and what keeps each month's files unchanged once written)
HISTORY = {"trial_versions": "last_update_post_date", "trial_changes": "posted_date",
           "completion_history": "posted_date"}
# Hive's name for the partition of rows without a date (DuckDB reads it back as NULL)
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
KEPT = "the previous export in {} is unchanged"
# a history view is copied this many rows at a time, by ranges of nct_id: trial_versions numbers each
# trial's versions with a window that holds every row it passes, JSON payload included, so at 100,000
# trials (1.6 GB of JSON) one copy failed at the 1 GB memory limit. A range of nct_id reaches the
# table scans under the window; a hash of it does not (each chunk then read everything, 40 s apiece).
CHUNK_ROWS = 10_000


@dataclass(frozen=True)
class ViewExport:
    name: str
    rows: int
    columns: list[tuple[str, str]]
    partitioned_from: str | None = None

    @property
    def files(self) -> str:
        return f"{self.name}/{PARTITION}=*/*.parquet" if self.partitioned_from else f"{self.name}/*.parquet"


@dataclass
class ExportResult:
    directory: Path
    views: list[ViewExport]
    snapshot: dict[str, Any]
    bytes_written: int = 0
    seconds: float = 0.0
    not_exported: list[str] = field(default_factory=list)

    def summary(self) -> str:
        rows = sum(v.rows for v in self.views)
        run = self.snapshot.get("run_id")
        data = self.snapshot.get("data_timestamp")
        source = f"run {run} (CT.gov data of {data})" if run else "a database with no run"
        return (f"exported {len(self.views)} views ({rows:,} rows, {self.bytes_written / 1e6:,.1f} MB of Parquet) "
                f"from {source} to {self.directory} in {self.seconds:.1f} s")


# ---------- pure: what to export and how it is described


def choose_views(available: Sequence[str], macros: Sequence[str], wanted: Sequence[str] | None) -> list[str]:
    """The views to export, in name order: all, or the ones asked for; a name that is none is a ConfigError."""
    if not wanted:
        return sorted(available)
    for name in wanted:
        if name in macros:
            raise ConfigError("--views", f"{name} is a table macro (a function of a date), which a file cannot hold; "
                                         "export its views and compute it where the data are read")
        if name not in available:
            raise ConfigError("--views", f"no public view named {name!r}; the views are {', '.join(sorted(available))}")
    return sorted(set(wanted))


def parse_views(text: str | None) -> list[str] | None:
    """`--views trials,trial_changes` as a list (None: every view)."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ConfigError("--views", "name at least one view, e.g. --views trials,trial_changes")
    return names


def export_query(view: str) -> tuple[str, str | None]:
    """The query one view is copied with, and the column it is partitioned by (None: one file)."""
    date_column = HISTORY.get(view)
    if date_column is None:
        return f'select * from main."{view}"', None
    return f"select *, strftime({date_column}, '%Y-%m') as {PARTITION} from main.\"{view}\"", PARTITION


def id_ranges(bounds: Sequence[str]) -> list[str]:
    """WHERE clauses that split a view into consecutive ranges of nct_id, together covering every row."""
    edges: list[str | None] = [None, *bounds, None]
    clauses = []
    for low, high in zip(edges, edges[1:], strict=False):
        parts = ([f"nct_id >= {_quoted(low)}"] if low else []) + ([f"nct_id < {_quoted(high)}"] if high else [])
        clauses.append(" and ".join(parts) or "true")
    return clauses


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def manifest(result: ExportResult, exported_at: datetime) -> dict[str, Any]:
    """What a consumer checks an export against: the views, their rows and columns, the snapshot."""
    return {
        "format": FORMAT,
        "tracker_version": __version__,
        "exported_at": exported_at.isoformat(timespec="seconds"),
        "snapshot": result.snapshot,
        "views": {
            v.name: {
                "path": f"{v.name}/", "files": v.files, "rows": v.rows,
                "partitioned_by": {"column": PARTITION, "month_of": v.partitioned_from} if v.partitioned_from else None,
                "columns": [{"name": name, "type": kind} for name, kind in v.columns],
            } for v in result.views
        },
        "not_exported": {name: "table macro: a function of a date, computed where the data are read"
                         for name in result.not_exported},
    }


def previous_views(text: str, path: Path) -> list[str]:
    """The view folders a previous export's manifest owns; a manifest not of an export is an ExportError."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError
        names = [str(name) for name in data["views"]]
    except (ValueError, KeyError, TypeError):
        raise ExportError(f"{path} is not the manifest of a tracker export; choose another directory") from None
    if any("/" in name or name.startswith(".") or not name for name in names):
        raise ExportError(f"{path} names a view that is not a folder of this directory; choose another directory")
    return names


# ---------- I/O: the directory, the snapshot, the swap


def run_export(settings: Settings, directory: Path, wanted: Sequence[str] | None = None) -> ExportResult:
    """Export the published database's public views into `directory` as Parquet, replacing any previous export."""
    started = time.monotonic()
    prepare_directory(directory)
    read_previous(directory)
    with _locked(directory):
        clean_stale(directory)
        previous = read_previous(directory)
        staging = directory / f".export-{os.getpid()}.tmp"
        try:
            _mkdir(staging, directory)
            result = write_snapshot(settings, directory, staging, wanted)
            check_collisions(directory, [v.name for v in result.views], previous)
            result.bytes_written = _size(staging)
            _write_manifest(staging / MANIFEST, manifest(result, datetime.now(UTC)), directory)
            swap(directory, staging, [v.name for v in result.views], previous)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    result.seconds = time.monotonic() - started
    return result


def write_snapshot(settings: Settings, directory: Path, staging: Path, wanted: Sequence[str] | None) -> ExportResult:
    """Copy the views from one read-only transaction on the published file: one snapshot across views."""
    con = db.connect(settings.db_path, read_only=True, memory_limit=settings.memory_limit)
    try:
        db.prepare_export(con, staging / ".spill")
        con.execute("begin transaction")
        available = db.public_views(con)
        macros = db.table_macros(con)
        names = choose_views(list(available), macros, wanted)
        views = [copy_view(con, staging, name, available[name]) for name in names]
        snapshot = read_snapshot(con)
        con.execute("commit")
    except TrackerError:
        raise
    except Exception as exc:
        if not db.is_duckdb_error(exc):
            raise
        raise db.error_for(exc, settings.db_path, doing="export", outcome=KEPT.format(directory)) from None
    finally:
        con.close()
    shutil.rmtree(staging / ".spill", ignore_errors=True)
    return ExportResult(directory, views, snapshot, not_exported=macros)


def copy_view(con: db.Connection, staging: Path, name: str, columns: list[tuple[str, str]]) -> ViewExport:
    """Copy one view and reconcile: the view's rows, the rows COPY wrote and the rows in the files must agree."""
    query, partition = export_query(name)
    expected = int(db.scalar(con, f'select count(*) from main."{name}"'))
    folder = staging / name
    if partition is None:
        _mkdir(folder, staging)
        written = db.copy_to_parquet(con, query, folder / "data_0.parquet")
    elif expected == 0:
        # a partitioned copy of no rows writes no file; one empty file keeps the columns readable
        empty = folder / f"{PARTITION}={NULL_PARTITION}"
        _mkdir(empty, staging)
        written = db.copy_to_parquet(con, f'select * from main."{name}" limit 0', empty / "data_0.parquet")
    else:
        written = sum(db.copy_to_parquet(con, f"{query} where {where}", folder, partition_by=partition, append=True)
                      for where in id_ranges(split_points(con, expected)))
    in_files = db.parquet_rows(con, sorted(folder.rglob("*.parquet")))
    if not expected == written == in_files:
        raise ExportError(f"the export of {name} does not add up: the view holds {expected:,} rows, {written:,} were "
                          f"written and the files hold {in_files:,}; the previous export is unchanged")
    return ViewExport(name, expected, columns, HISTORY.get(name))


def split_points(con: db.Connection, rows: int) -> list[str]:
    """nct_ids that cut a view of `rows` rows into chunks of about CHUNK_ROWS (none for a small view)."""
    chunks = rows // CHUNK_ROWS + 1
    if chunks < 2:
        return []
    cuts = [k / chunks for k in range(1, chunks)]
    points = db.scalar(con, "select list_distinct(quantile_disc(nct_id, ?)) from main.trials", [cuts]) or []
    return sorted(str(p) for p in points)


def read_snapshot(con: db.Connection) -> dict[str, Any]:
    """The run the published file ends with: its id, the CT.gov data date and when it finished."""
    rows = con.execute(
        "select run_id, status, data_timestamp, finished_at from main.refresh_runs "
        "where status in ('succeeded', 'skipped') order by run_id desc limit 1").fetchall()
    if not rows:
        return {"run_id": None, "status": None, "data_timestamp": None, "finished_at": None}
    run_id, status, data_timestamp, finished_at = rows[0]
    return {"run_id": run_id, "status": status, "data_timestamp": _iso(data_timestamp),
            "finished_at": _iso(finished_at)}


def prepare_directory(directory: Path) -> None:
    """Create DIR if needed; one line says why it cannot be used."""
    if directory.exists() and not directory.is_dir():
        raise ExportError(f"cannot export into {directory}: it is a file, not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise files.write_error(exc, directory, doing="create the export directory", outcome="") from None
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ExportError(f"cannot export into {directory}: the directory is not writable")


def read_previous(directory: Path) -> list[str]:
    """The views of the export in DIR; a directory holding anything else is refused, before anything is written."""
    path = directory / MANIFEST
    if not path.exists():
        if any(not entry.name.startswith(".export") for entry in directory.iterdir()):
            raise ExportError(f"{directory} is not empty and holds no previous export; export into a new or empty "
                              "directory")
        return []
    try:
        return previous_views(path.read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError):
        raise ExportError(f"{path} cannot be read as the manifest of a tracker export; choose another "
                          "directory") from None


def check_collisions(directory: Path, names: Sequence[str], previous: Sequence[str]) -> None:
    """Refuse to replace anything in DIR that a previous export did not write."""
    owned = set(previous)
    for name in names:
        if name not in owned and os.path.lexists(directory / name):
            raise ExportError(f"{directory / name} exists and is not part of a previous export; export into an "
                              "empty directory, or move it aside")


def swap(directory: Path, staging: Path, names: Sequence[str], previous: Sequence[str]) -> None:
    """Put the staged export in place of the previous one by renames, the manifest out first and in last.

    A reader that checks manifest.json sees the whole old export or the whole new one; a rename that
    fails puts everything back.
    """
    trash = directory / f".export-{os.getpid()}.old"
    out = [n for n in [MANIFEST, *previous] if os.path.lexists(directory / n)]
    incoming = [*names, MANIFEST]
    moved: list[str] = []
    placed: list[str] = []
    try:
        _mkdir(trash, directory)
        for name in out:
            os.replace(directory / name, trash / name)
            moved.append(name)
        for name in incoming:
            os.replace(staging / name, directory / name)
            placed.append(name)
    except BaseException as exc:  # Ctrl-C too: never leave half of each export in place
        _undo(directory, staging, trash, placed, moved)
        if isinstance(exc, OSError):
            raise files.write_error(exc, directory, doing="replace the export in",
                                    outcome=KEPT.format(directory)) from None
        raise
    finally:
        shutil.rmtree(trash, ignore_errors=True)
    files.fsync_dir(directory)


def _undo(directory: Path, staging: Path, trash: Path, placed: Sequence[str], moved: Sequence[str]) -> None:
    for name in reversed(placed):
        os.replace(directory / name, staging / name)
    for name in reversed(moved):
        os.replace(trash / name, directory / name)


def clean_stale(directory: Path) -> None:
    """Delete what an export killed half-way left (under the lock, no other export is running)."""
    for path in directory.glob(".export-*"):
        if path.is_dir() and path.suffix in (".tmp", ".old"):
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One export into a directory at a time."""
    import fcntl

    path = directory / ".export.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise files.write_error(exc, path, doing="create the export lock", outcome="") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExportError(f"another export into {directory} is running; try again when it ends") from None
        yield
    finally:
        os.close(fd)


def _mkdir(path: Path, directory: Path) -> None:
    try:
        path.mkdir(parents=True)
    except OSError as exc:
        raise files.write_error(exc, path, doing="create", outcome=KEPT.format(directory)) from None


def _write_manifest(path: Path, data: Mapping[str, Any], directory: Path) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        raise files.write_error(exc, path, outcome=KEPT.format(directory)) from None


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
