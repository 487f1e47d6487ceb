"""Running SQL: the files of sql/ in name order, statements with $parameters, frames in and out."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from tracker import resources
from tracker.db.connection import Connection
from tracker.errors import DatabaseError

if TYPE_CHECKING:
    # polars and pyarrow are imported where frames are made: `tracker sql` and `tracker status` need neither
    import polars as pl

SQL_DIR = resources.SQL_DIR
SCHEMA_DIRS = ("schema",)
VIEW_DIRS = ("views",)
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


def sql_dir() -> Path:
    if not SQL_DIR.is_dir():
        raise DatabaseError(
            f"SQL files not found at {SQL_DIR}: the installation is incomplete (reinstall the tracker)"
        )
    return SQL_DIR


def sql_file(*parts: str) -> Path:
    return sql_dir().joinpath(*parts)


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


def register(con: Connection, name: str, frame: pl.DataFrame, *, batches: int = 1) -> None:
    """Make a frame queryable by name; several Arrow batches let DuckDB scan it on several threads."""
    if batches > 1 and frame.height >= batches:
        import pyarrow as pa

        table = frame.to_arrow()
        size = -(-frame.height // batches)
        con.register(name, pa.Table.from_batches(table.to_batches(max_chunksize=size)))
    else:
        con.register(name, frame)


def unregister(con: Connection, name: str) -> None:
    """Drop a registered frame; in a transaction an earlier error aborted, that error is the one to report."""
    try:
        con.unregister(name)
    except duckdb.TransactionException:
        pass


def fetch_frame(con: Connection, query: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> pl.DataFrame:
    import polars as pl

    relation = con.sql(query, params=params or None)
    frame: pl.DataFrame = relation.pl() if relation is not None else pl.DataFrame()
    return frame


def scalar(con: Connection, query: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Any:
    # fetchall: DuckDB refuses new statements while an earlier result is only partly read
    rows = con.execute(query, params or []).fetchall()
    return rows[0][0] if rows else None


@contextmanager
def one_thread(con: Connection) -> Iterator[Connection]:
    """DuckDB on one thread for the length of the block, then as many as before (for every connection of its
    instance).

    While a refresh loads, its fetching and labelling threads keep the other core busy: a statement split
    across both cores only adds the cost of splitting it (a 20,000-study refresh spent 0.7 CPU-s less).
    """
    before = scalar(con, "select current_setting('threads')")
    con.execute("set threads = 1")
    try:
        yield con
    finally:
        con.execute(f"set threads = {int(before)}")


@contextmanager
def transaction(con: Connection) -> Iterator[Connection]:
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")
