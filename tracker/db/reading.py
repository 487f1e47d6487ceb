"""Reading the published file: one short query, or a shared reader handing each query its own cursor."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from tracker.db.connection import CATALOG, connect, first_line
from tracker.db.statements import fetch_frame
from tracker.errors import DatabaseError

if TYPE_CHECKING:
    import polars as pl


def read_frame(path: Path | str, query: str, params: Sequence[Any] | None = None) -> pl.DataFrame:
    """One short read-only query on a database file; any DuckDB error becomes a DatabaseError."""
    con = connect(path, read_only=True)
    try:
        return fetch_frame(con, query, params)
    except duckdb.Error as exc:
        raise DatabaseError(f"query failed on {path}: {first_line(exc)}") from None
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
            raise DatabaseError(f"query failed on {self.path}: {first_line(exc)}") from None
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
