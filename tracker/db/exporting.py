"""`tracker export`'s DuckDB side: list the public views and macros, copy a query to Parquet, count what was written."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tracker.db.connection import CATALOG, Connection

# zstd: about a third smaller than snappy on the JSON payloads of trial_versions, read by every engine
_OPTIONS = "format parquet, compression zstd"


def public_views(con: Connection) -> dict[str, list[tuple[str, str]]]:
    """Every public view (the `main` schema) with its columns and their DuckDB types, in column order."""
    rows = con.execute(
        "select table_name, column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = 'main' and table_name in "
        "(select view_name from duckdb_views() where database_name = ? and schema_name = 'main' and not internal) "
        "order by table_name, column_index", [CATALOG, CATALOG]).fetchall()
    views: dict[str, list[tuple[str, str]]] = {}
    for view, column, kind in rows:
        views.setdefault(view, []).append((column, kind))
    return views


def table_macros(con: Connection) -> list[str]:
    """The public table macros (trials_as_of, …): functions of a date, which no file can hold."""
    rows = con.execute(
        "select distinct function_name from duckdb_functions() where database_name = ? and schema_name = 'main' "
        "and function_type = 'table_macro' order by 1", [CATALOG]).fetchall()
    return [r[0] for r in rows]


def prepare_export(con: Connection, spill: Path) -> None:
    """Keep a large copy within the memory limit: spill into the export's staging folder, write rows as they come.

    A partitioned copy holds each partition's rows until 524,288 have gathered; flushed every 4,096 rows, a
    partition may be written as several files.
    """
    con.execute(f"set temp_directory = {_literal(spill)}")
    con.execute("set preserve_insertion_order = false")
    con.execute("set partitioned_write_flush_threshold = 4096")


def copy_to_parquet(con: Connection, query: str, target: Path, *, partition_by: str | None = None,
                    append: bool = False) -> int:
    """Write the rows of `query` as Parquet: one file at `target`, or a Hive-partitioned folder; the rows written.

    `append` adds files (named by UUID) to a partitioned folder that earlier copies wrote.
    """
    options = _OPTIONS + (f", partition_by ({partition_by})" if partition_by else "") + (", append" if append else "")
    rows = con.execute(f"copy ({query}) to {_literal(target)} ({options})").fetchall()
    return int(rows[0][0]) if rows else 0


def parquet_rows(con: Connection, paths: Sequence[Path]) -> int:
    """Rows in these Parquet files, from their footers (no data is read).

    Named one by one, not by a pattern: a directory name with `[` or `*` in it is no glob.
    """
    if not paths:
        return 0
    rows = con.execute("select coalesce(sum(num_rows), 0) from parquet_file_metadata(?)",
                       [[str(p) for p in paths]]).fetchall()
    return int(rows[0][0])


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
