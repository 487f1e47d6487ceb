"""Ad-hoc read-only SQL (`tracker sql`): a locked-down connection, the parser's view of a statement, results as text."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from tracker import files
from tracker.db.connection import (
    Connection,
    attach,
    check_complete,
    check_readable,
    check_tracker_database,
    first_line,
)
from tracker.errors import QueryFailed, QueryInterrupted, QueryOutOfMemory


def connect_readonly_sandbox(path: Path | str, *, memory_limit: str) -> Connection:
    """A read-only connection for ad-hoc SQL: no writes, no files, no network, settings locked."""
    path = Path(path)
    check_readable(path, files.check_database_path(path))
    # no temp_directory: a statement that outgrows the memory limit fails instead of filling the disk
    con = attach(path, read_only=True, config={"autoload_known_extensions": False,
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
        raise QueryFailed(f"SQL error: {first_line(exc)}") from None


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
        raise QueryOutOfMemory(first_line(exc)) from None
    except duckdb.PermissionException as exc:
        raise QueryFailed(f"refused: {first_line(exc)} (files and network are off in tracker sql)") from None
    except duckdb.Error as exc:
        raise QueryFailed(f"SQL error: {first_line(exc)}") from None
