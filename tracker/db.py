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

from tracker.errors import ConfigError, DatabaseError, QueryFailed, QueryInterrupted, QueryOutOfMemory

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


def sql_dir() -> Path:
    if not SQL_DIR.is_dir():
        raise DatabaseError(
            f"SQL files not found at {SQL_DIR}: install the tracker from its source tree (pip install -e .)"
        )
    return SQL_DIR


def connect(path: Path | str, *, read_only: bool = False, memory_limit: str | None = None) -> Connection:
    """Open a DuckDB file; a reader gets a clear DatabaseError when the file is missing or not DuckDB."""
    path = Path(path)
    config: dict[str, Any] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if memory_limit and not read_only:
        # a writer checkpoints at the end of a run; with the 16 MB default it would rewrite the file
        # after nearly every batch of pages
        config["checkpoint_threshold"] = "256MB"
    if read_only and not path.exists():
        raise DatabaseError(f"no database at {path}: run `tracker refresh` (or `tracker demo` offline) first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return _attach(path, read_only=read_only, config=config)


def connect_readonly_sandbox(path: Path | str, *, memory_limit: str) -> Connection:
    """A read-only connection for ad-hoc SQL: no writes, no files, no network, settings locked."""
    path = Path(path)
    if not path.exists():
        raise DatabaseError(f"no database at {path}: run `tracker refresh` (or `tracker demo` offline) first")
    # no temp_directory: a statement that outgrows the memory limit fails instead of filling the disk
    con = _attach(path, read_only=True, config={"autoload_known_extensions": False,
                                                  "autoinstall_known_extensions": False,
                                                  "memory_limit": memory_limit, "temp_directory": ""})
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return con


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
        raise DatabaseError(f"cannot open {path}: {_first_line(exc)}") from None
    return con


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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
