"""DuckDB access: the only module that imports duckdb. Connections, SQL files, read-only queries."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from tracker import files
from tracker.errors import (
    ConfigError,
    CorruptDatabase,
    DatabaseError,
    DiskFull,
    QueryFailed,
    QueryInterrupted,
    QueryOutOfMemory,
)

if TYPE_CHECKING:
    # polars and pyarrow are imported where frames are made: `tracker sql` and `tracker status` need neither
    import polars as pl

Connection = duckdb.DuckDBPyConnection
# every connection attaches its file under this name (see _attach)
CATALOG = "tracker"
SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
SCHEMA_DIRS = ("schema",)
VIEW_DIRS = ("views",)
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")
# written into meta.state at creation (schema.prepare): what tells a tracker database from any other
SCHEMA_VERSION = 1
SCHEMA_MARKER = f"nk-landscape-tracker/{SCHEMA_VERSION}"
# DuckDB's main header and its two alternating database headers, before the first block
HEADER_BYTES = 3 * 4096
_QUOTED_PATH = re.compile(r'"(/[^"]+)"')


def sql_dir() -> Path:
    if not SQL_DIR.is_dir():
        raise DatabaseError(
            f"SQL files not found at {SQL_DIR}: install the tracker from its source tree (pip install -e .)"
        )
    return SQL_DIR


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
        _check_readable(path, exists)
    else:
        files.check_directory(path.parent)
        # DuckDB spills beside a database it opened directly; attached to :memory: it would spill into
        # ./.tmp of whatever directory the command runs in
        config["temp_directory"] = f"{path}.tmp"
    con = _attach(path, read_only=read_only, config=config)
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


def connect_readonly_sandbox(path: Path | str, *, memory_limit: str) -> Connection:
    """A read-only connection for ad-hoc SQL: no writes, no files, no network, settings locked."""
    path = Path(path)
    _check_readable(path, files.check_database_path(path))
    # no temp_directory: a statement that outgrows the memory limit fails instead of filling the disk
    con = _attach(path, read_only=True, config={"autoload_known_extensions": False,
                                                  "autoinstall_known_extensions": False,
                                                  "memory_limit": memory_limit, "temp_directory": ""})
    try:
        check_tracker_database(con, path, read_only=True)
        check_complete(con, path)
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def scratch(memory_limit: str = "1GB") -> Connection:
    """A fresh, empty in-memory database (its own instance: nothing it writes touches a file)."""
    return duckdb.connect(":memory:", config={"memory_limit": memory_limit})


def _check_readable(path: Path, exists: bool) -> None:
    if not exists:
        raise DatabaseError(f"no database at {path}: run `tracker refresh` (or `tracker demo` offline) first")
    if path.stat().st_size == 0:
        raise DatabaseError(f"{path} is an empty file, not a database yet: run `tracker refresh` first")


def _attach(path: Path, *, read_only: bool, config: dict[str, Any]) -> Connection:
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
                              f"({_first_line(exc)})") from None
        raise DatabaseError(f"cannot start DuckDB: {_first_line(exc)}") from None
    literal = "'" + str(path).replace("'", "''") + "'"
    try:
        con.execute(f"attach {literal} as {CATALOG}{' (read_only)' if read_only else ''}")
        con.execute(f"use {CATALOG}")
    except duckdb.Error as exc:
        con.close()
        raise error_for(exc, path, doing="open") from None
    return con


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
        marker = scalar(con, "select max(value) from meta.state where key = 'schema'") \
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


def apply_sql(con: Connection, *dirs: str) -> None:
    """Run every .sql file of the given sql/ subfolders in name order; each file is idempotent."""
    for name in dirs:
        for path in sorted((sql_dir() / name).glob("*.sql")):
            run_file(con, path)


def run_file(con: Connection, path: Path, params: Mapping[str, Any] | None = None) -> None:
    """Execute each statement of one SQL file, passing only the $parameters it names."""
    for statement in split_statements(con, path.read_text(encoding="utf-8")):
        execute(con, statement, params or {})


_split_cache: dict[str, list[str]] = {}


def split_statements(con: Connection, text: str) -> list[str]:
    if text not in _split_cache:
        _split_cache[text] = [s.query for s in con.extract_statements(text)]
    return _split_cache[text]


def execute(con: Connection, statement: str, params: Mapping[str, Any]) -> Connection:
    used = {name: params[name] for name in set(_PARAM.findall(statement)) if name in params}
    return con.execute(statement, used) if used else con.execute(statement)


def sql_file(*parts: str) -> Path:
    return sql_dir().joinpath(*parts)


def register(con: Connection, name: str, frame: pl.DataFrame, *, batches: int = 1) -> None:
    """Make a frame queryable by name; several Arrow batches let DuckDB scan it on several threads."""
    if batches > 1 and frame.height >= batches:
        import pyarrow as pa

        table = frame.to_arrow()
        size = -(-frame.height // batches)
        con.register(name, pa.Table.from_batches(table.to_batches(max_chunksize=size)))
    else:
        con.register(name, frame)


def fetch_frame(con: Connection, query: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> pl.DataFrame:
    import polars as pl

    relation = con.sql(query, params=params or None)
    frame: pl.DataFrame = relation.pl() if relation is not None else pl.DataFrame()
    return frame


def unregister(con: Connection, name: str) -> None:
    """Drop a registered frame; in a transaction an earlier error aborted, that error is the one to report."""
    try:
        con.unregister(name)
    except duckdb.TransactionException:
        pass


def read_frame(path: Path | str, query: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
    """One short read-only query on a database file; any DuckDB error becomes a DatabaseError."""
    con = connect(path, read_only=True)
    try:
        return fetch_frame(con, query, params)
    except duckdb.Error as exc:
        raise DatabaseError(f"query failed on {path}: {_first_line(exc)}") from None
    finally:
        con.close()


class Reader:
    """A long-lived read-only connection to one published file, handing each query its own cursor.

    The published file is never written in place (a refresh replaces it), so holding it open blocks
    nobody; cursors make the connection safe to share between the dashboard's session threads.
    close() waits for the queries in flight: the one that asked for a newer file must not break the
    rerun still reading this one.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._con = connect(self.path, read_only=True)
        self._lock = threading.Lock()
        self._users = 0
        self._retired = False
        self.closed = False

    def frame(self, query: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
        with self._lock:
            if self.closed:
                raise DatabaseError(f"{self.path} was replaced while this page was loading: reload the page")
            self._users += 1
        try:
            cursor = self._con.cursor()
            try:
                # a cursor is a new connection to the instance: it starts in the in-memory catalog
                cursor.execute(f"use {CATALOG}")
                return fetch_frame(cursor, query, params)
            finally:
                cursor.close()
        except duckdb.Error as exc:
            raise DatabaseError(f"query failed on {self.path}: {_first_line(exc)}") from None
        finally:
            with self._lock:
                self._users -= 1
                self._close_if_unused()

    def close(self) -> None:
        """Close now, or when the last query in flight ends."""
        with self._lock:
            self._retired = True
            self._close_if_unused()

    def _close_if_unused(self) -> None:
        if self._retired and self._users == 0 and not self.closed:
            self.closed = True
            self._con.close()


def scalar(con: Connection, query: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Any:
    # fetchall: DuckDB refuses new statements while an earlier result is only partly read
    rows = con.execute(query, params or []).fetchall()
    return rows[0][0] if rows else None


@contextmanager
def transaction(con: Connection) -> Iterator[Connection]:
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


@dataclass(frozen=True)
class Rendered:
    """A result as text: every value rendered by DuckDB itself, so every type prints (None is NULL)."""

    columns: list[str]
    rows: list[tuple[str | None, ...]]


NESTED_TYPES = {"list", "struct", "map", "array"}


def statement_kinds(con: Connection, text: str) -> list[tuple[str, str]]:
    """(statement type, statement text) for each statement of `text`, as DuckDB's parser sees them."""
    try:
        return [(s.type.name, s.query) for s in con.extract_statements(text)]
    except duckdb.Error as exc:
        raise QueryFailed(f"SQL error: {_first_line(exc)}") from None


def tokens(text: str) -> list[tuple[int, str, str]]:
    """(offset, token type, token text) of every token but comments."""
    found = [(int(offset), kind.name) for offset, kind in duckdb.tokenize(text)]
    ends = [offset for offset, _ in found[1:]] + [len(text)]
    return [(offset, kind, text[offset:end].strip()) for (offset, kind), end in zip(found, ends, strict=True)
            if kind != "comment"]


def select_tree(con: Connection, text: str) -> dict[str, Any] | None:
    """The parse tree of one SELECT statement as JSON, or None when DuckDB cannot serialize it."""
    try:
        tree: dict[str, Any] = json.loads(con.execute("select json_serialize_sql(?)", [text]).fetchall()[0][0])
    except (duckdb.Error, ValueError, RecursionError):  # a tree nested deeper than Python's json reads
        return None
    return None if tree.get("error") else tree


def interrupt(con: Connection) -> None:
    con.interrupt()


def run_rendered(con: Connection, text: str, render: str) -> Rendered:
    """Run one statement; render values as text (nested ones as JSON) or, with render="json", as JSON."""
    try:
        relation = con.sql(text)
        if relation is None or not relation.columns:
            return Rendered([], [])
        exprs = [f"to_json(#{i})::varchar" if render == "json" or kind.id in NESTED_TYPES else f"#{i}::varchar"
                 for i, kind in enumerate(relation.types, start=1)]
        return Rendered(list(relation.columns), relation.project(", ".join(exprs)).fetchall())
    except duckdb.InterruptException:
        raise QueryInterrupted("interrupted") from None
    except duckdb.OutOfMemoryException as exc:
        raise QueryOutOfMemory(_first_line(exc)) from None
    except duckdb.PermissionException as exc:
        raise QueryFailed(f"refused: {_first_line(exc)} (files and network are off in tracker sql)") from None
    except duckdb.Error as exc:
        raise QueryFailed(f"SQL error: {_first_line(exc)}") from None


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
    text = _first_line(exc)
    # a failed checkpoint wraps the cause: "... The database has been invalidated. Original error: <cause>"
    return text.rsplit("Original error: ", 1)[-1].removeprefix("IO Error: ")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
