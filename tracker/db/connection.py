"""Connections to the tracker's DuckDB file: open, check it is the tracker's and whole, and name its errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from tracker import files
from tracker.errors import ConfigError, CorruptDatabase, DatabaseError, DiskFull

Connection = duckdb.DuckDBPyConnection
# every connection attaches its file under this name (see attach)
CATALOG = "tracker"

# written into meta.state at creation (schema.prepare): what tells a tracker database from any other
SCHEMA_VERSION = 1
SCHEMA_MARKER = f"nk-landscape-tracker/{SCHEMA_VERSION}"
# DuckDB's main header and its two alternating database headers, before the first block
HEADER_BYTES = 3 * 4096
# rows per row group a writer makes: a load transaction appends thousands of rows to each table, so with
# groups this small DuckDB writes them compressed straight into the file instead of logging them in the
# WAL and compressing them again at the checkpoint (a 20,000-study refresh: 13 s instead of 18 s, for a
# file about 50 % larger)
WRITER_ROW_GROUP = 2048
_QUOTED_PATH = re.compile(r'"(/[^"]+)"')


def connect(path: Path | str, *, read_only: bool = False, memory_limit: str | None = None,
            allow_empty: bool = False) -> Connection:
    """Open the tracker's DuckDB file; a DatabaseError names the path and what is wrong with it.

    A reader needs an existing tracker database (`allow_empty`: or a DuckDB database without tables);
    a writer also accepts a new file or an empty DuckDB database, and refuses any other DuckDB database
    rather than writing the tracker's schema into it.
    """
    path = Path(path)
    config: dict[str, Any] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if memory_limit and not read_only:
        # a writer checkpoints at the end of a run; with the 16 MB default it would rewrite the file
        # after nearly every batch of pages
        config["checkpoint_threshold"] = "256MB"
    exists = files.check_database_path(path)
    if read_only:
        check_readable(path, exists)
    else:
        files.check_directory(path.parent)
        # DuckDB spills beside a database it opened directly; attached to :memory: it would spill into
        # ./.tmp of whatever directory the command runs in
        config["temp_directory"] = f"{path}.tmp"
    con = attach(path, read_only=read_only, config=config)
    try:
        check_tracker_database(con, path, read_only=read_only and not allow_empty)
        if read_only:
            check_complete(con, path)
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def writer(path: Path | str, *, memory_limit: str | None = None) -> Iterator[Connection]:
    """A read-write connection, closed at the end; a DuckDB error in the block becomes a one-line DatabaseError."""
    con = connect(path, memory_limit=memory_limit)
    with errors(path, doing="write"):
        try:
            yield con
        finally:
            con.close()


def scratch(memory_limit: str = "1GB") -> Connection:
    """A fresh, empty in-memory database (its own instance: nothing it writes touches a file)."""
    return duckdb.connect(":memory:", config={"memory_limit": memory_limit})


def check_readable(path: Path, exists: bool) -> None:
    if not exists:
        raise DatabaseError(f"no database at {path}: run `tracker refresh` (or `tracker demo` offline) first")
    if path.stat().st_size == 0:
        raise DatabaseError(f"{path} is an empty file, not a database yet: run `tracker refresh` first")


def attach(path: Path, *, read_only: bool, config: dict[str, Any]) -> Connection:
    """A fresh in-memory DuckDB instance with the file attached as the default catalog `tracker`.

    DuckDB names a file's catalog after its stem, so a file called ref.duckdb (or raw, core, meta)
    would clash with the schemas of the same name; an alias does not depend on the file name. A new
    instance per connection also means a reader opens the file now at `path`, never the one an
    earlier connection in this process still holds after a publish replaced it.
    """
    try:
        con = duckdb.connect(":memory:", config=config)
    except duckdb.Error as exc:
        if "memory_limit" in config:  # the one value of the configuration a user sets
            raise ConfigError("TRACKER_DUCKDB_MEMORY", f"not a DuckDB memory size: {config['memory_limit']!r} "
                              f"({first_line(exc)})") from None
        raise DatabaseError(f"cannot start DuckDB: {first_line(exc)}") from None
    literal = "'" + str(path).replace("'", "''") + "'"
    try:
        options = "read_only" if read_only else f"row_group_size {WRITER_ROW_GROUP}"
        con.execute(f"attach {literal} as {CATALOG} ({options})")
        con.execute(f"use {CATALOG}")
    except duckdb.Error as exc:
        con.close()
        raise error_for(exc, path, doing="open") from None
    return con


def second_connection(con: Connection) -> Connection:
    """Another connection to the same open database, for a thread of its own: it sees what is committed."""
    other = con.cursor()
    other.execute(f"use {CATALOG}")
    return other


def check_tracker_database(con: Connection, path: Path, *, read_only: bool) -> None:
    """Refuse a DuckDB database that is not the tracker's, or is from a newer tracker.

    A tracker database carries the marker row meta.state schema = SCHEMA_MARKER; one written before
    the marker existed is recognised by its meta.refresh_runs and raw.studies tables.
    """
    with errors(path):
        tables = {f"{s}.{t}" for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = ? union all "
            "select schema_name, view_name from duckdb_views() where database_name = ? and not internal",
            [CATALOG, CATALOG]).fetchall()}
        marker = con.execute("select max(value) from meta.state where key = 'schema'").fetchall()[0][0] \
            if "meta.state" in tables else None
    if marker is not None:
        version = marker.removeprefix(SCHEMA_MARKER.rsplit("/", 1)[0] + "/")
        if not version.isdigit():
            raise DatabaseError(f"{path} is marked as {marker!r}, not a tracker database; refusing to use it")
        if int(version) > SCHEMA_VERSION:
            raise DatabaseError(f"{path} was written by a newer tracker (schema {version}; this one reads "
                                f"{SCHEMA_VERSION}): upgrade the tracker")
        return
    if {"meta.refresh_runs", "raw.studies"} <= tables:
        return
    if not tables:
        if read_only:
            raise DatabaseError(f"{path} is an empty DuckDB database: run `tracker refresh` first")
        return
    shown = ", ".join(sorted(tables)[:3]) + (", …" if len(tables) > 3 else "")
    raise DatabaseError(f"{path} is a DuckDB database but not the tracker's (it holds {shown}); refusing to "
                        "use it: set TRACKER_DB to a new file or to a tracker database")


def check_complete(con: Connection, path: Path) -> None:
    """Refuse a file too short to hold the blocks its header says are in use: a copy cut short by a full disk.

    Such a file opens, and fails only when a missing block is read (`Could not read enough bytes`). The
    header's total block count is no bound: DuckDB cuts free blocks off the end of the file without
    lowering it.
    """
    with errors(path, doing="read"):
        block_size, used = con.execute(
            "select block_size, used_blocks from pragma_database_size() where database_name = ?", [CATALOG]
        ).fetchall()[0]
    expected = HEADER_BYTES + block_size * used
    size = path.stat().st_size
    if size < expected:
        raise DatabaseError(f"{path} is incomplete: {size} bytes, too short for the {used} blocks its header "
                            "says are in use (a copy cut short, e.g. by a full disk)")


def checkpoint(con: Connection) -> None:
    con.execute(f"checkpoint {CATALOG}")


def is_duckdb_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.Error)


@contextmanager
def errors(path: Path | str, *, doing: str = "use") -> Iterator[None]:
    """Turn any DuckDB error in the block into a one-line DatabaseError (DiskFull for a full disk)."""
    try:
        yield
    except duckdb.Error as exc:
        raise error_for(exc, Path(path), doing=doing) from None


def error_for(exc: BaseException, path: Path, *, doing: str = "use", outcome: str = files.UNCHANGED) -> DatabaseError:
    """The one-line error for a DuckDB failure on `path`: a full disk names the file DuckDB was writing."""
    text = describe(exc)
    if "No space left on device" in text or "Disk quota exceeded" in text:
        written = _QUOTED_PATH.search(text)
        suffix = f"; {outcome}" if outcome else ""
        return DiskFull(f"disk full writing {written.group(1) if written else path} (No space left on device)"
                        f"{suffix}")
    if "Corrupt database file" in text:
        return CorruptDatabase(f"{path} is corrupt ({text}); restore it from a backup, or move it aside and "
                               "run tracker refresh --full")
    return DatabaseError(f"cannot {doing} {path}: {text}")


def describe(exc: BaseException) -> str:
    """A DuckDB error as one line, without the "IO Error:" class prefix or the invalidation boilerplate."""
    text = first_line(exc)
    # a failed checkpoint wraps the cause: "... The database has been invalidated. Original error: <cause>"
    return text.rsplit("Original error: ", 1)[-1].removeprefix("IO Error: ")


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
