"""DuckDB access: the only package that imports duckdb. Callers use `db.<name>` from here.

    connection   open the tracker's file, check it is the tracker's and whole, name DuckDB's errors
    statements   run the files of sql/ and single statements; frames in and out; transactions
    reading      short reads of the published file, and the dashboard's shared reader
    adhoc        `tracker sql`: a locked-down connection, statements as the parser sees them, text results
    exporting    `tracker export`: the public views and macros, Parquet copies and their row counts
"""

from __future__ import annotations

from tracker.db.adhoc import (
    Rendered,
    connect_readonly_sandbox,
    interrupt,
    run_rendered,
    select_tree,
    statement_kinds,
    tokens,
)
from tracker.db.connection import (
    CATALOG,
    SCHEMA_MARKER,
    Connection,
    checkpoint,
    connect,
    error_for,
    errors,
    is_duckdb_error,
    scratch,
    second_connection,
    writer,
)
from tracker.db.exporting import copy_to_parquet, parquet_rows, prepare_export, public_views, table_macros
from tracker.db.reading import Reader, read_frame
from tracker.db.statements import (
    SCHEMA_DIRS,
    VIEW_DIRS,
    apply_sql,
    fetch_frame,
    one_thread,
    register,
    run_file,
    scalar,
    sql_file,
    transaction,
    unregister,
)

__all__ = [
    "CATALOG", "SCHEMA_DIRS", "SCHEMA_MARKER", "VIEW_DIRS", "Connection", "Reader", "Rendered", "apply_sql",
    "checkpoint", "connect", "connect_readonly_sandbox", "copy_to_parquet", "error_for", "errors", "fetch_frame",
    "interrupt", "is_duckdb_error", "one_thread", "parquet_rows", "public_views", "read_frame", "register", "run_file",
    "run_rendered", "scalar", "scratch", "second_connection", "select_tree", "prepare_export", "sql_file",
    "statement_kinds", "table_macros", "tokens", "transaction", "unregister", "writer",
]
