"""`tracker sql`: ad-hoc SQL on the published database, limited to reads, time and memory.

The database is attached read-only, files and network are off and the settings are locked (db/adhoc.py);
on top of that only statements whose whole effect is a read are run. The check is an allow-list:

* SELECT in every form DuckDB parses as one (WITH, VALUES, TABLE, FROM-first, UNION, PIVOT with an IN
  list, DESCRIBE, SHOW, SUMMARIZE), checked on its parse tree: no INSERT/UPDATE/DELETE inside a WITH,
  only table functions that read, no scalar function that changes state (nextval, setseed, …);
* a statement with no parse tree — a PIVOT without an IN list, which DuckDB runs as several
  statements — checked on its words: none that writes, no table function but those that read;
* EXPLAIN [ANALYZE] of an allowed statement (EXPLAIN ANALYZE runs its statement, so it is checked too);
* PRAGMAs that only report, and CALL of a table function that reads.

Everything else — DDL, DML, SET/RESET/USE, ATTACH/DETACH, COPY, EXPORT/IMPORT, LOAD/INSTALL,
CHECKPOINT, transactions, PREPARE/EXECUTE — is refused before anything runs. The statements run in a
worker thread so that the main thread stays free to stop them: at TRACKER_SQL_TIMEOUT, or at Ctrl-C,
which Python cannot deliver to a thread blocked inside DuckDB.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tracker import db
from tracker.errors import ConfigError, QueryFailed, QueryInterrupted, QueryOutOfMemory, QueryRefused

log = logging.getLogger(__name__)
ALLOWED = "SELECT, WITH, VALUES, FROM, TABLE, PIVOT, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN of those, read-only PRAGMAs"
READ_PRAGMAS = frozenset({
    "collations", "database_list", "database_size", "extension_versions", "functions", "metadata_info",
    "platform", "show", "show_databases", "show_tables", "show_tables_expanded", "storage_info", "table_info",
    "user_agent", "version",
})
READ_TABLE_FUNCTIONS = READ_PRAGMAS | {
    "range", "generate_series", "unnest", "repeat", "repeat_row", "json_each", "json_tree", "summary",
    "histogram", "histogram_values", "test_all_types", "test_vector_types", "icu_calendar_names",
    "pg_timezone_names", "query_table",
}
READ_TABLE_FUNCTION_PREFIXES = ("duckdb_", "pragma_")  # catalog listings
STATEFUL_FUNCTIONS = frozenset({"nextval", "setval", "setseed", "write_log"})
# parse-tree query nodes of a read; INSERT_QUERY_NODE and the like are writes inside a WITH
READ_QUERY_NODES = frozenset({"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"})
WRITE_KEYWORDS = frozenset({
    "insert", "update", "delete", "merge", "create", "drop", "alter", "copy", "attach", "detach", "call",
    "pragma", "set", "reset", "use", "checkpoint", "vacuum", "load", "install", "export", "import", "returning",
    "truncate", "prepare", "execute",
})
STOP_GRACE_S = 5.0  # how long a stopped statement may take to notice


def run_readonly(path: Path, text: str, *, render: str = "text", timeout: float = 60.0,
                 memory_limit: str = "1GB") -> db.Rendered:
    """Run ad-hoc SQL on the published database; the last statement's result, rendered as text or JSON."""
    if not (math.isfinite(timeout) and timeout > 0):
        raise ConfigError("TRACKER_SQL_TIMEOUT", f"must be a number of seconds > 0, got {timeout!r}")
    con = db.connect_readonly_sandbox(path, memory_limit=memory_limit)
    runner: _Runner | None = None
    try:
        runner = _Runner(con, Checker(con).check(text), render)
        runner.run(timeout)
        return runner.result(timeout, memory_limit)
    finally:
        if runner is None or runner.done.is_set():  # a statement deaf to the interrupt still holds it
            con.close()


class Checker:
    """Refuses, with one line naming it, the first statement whose effect is not a read."""

    def __init__(self, con: db.Connection) -> None:
        self.con = con
        self._table_functions: frozenset[str] | None = None

    def check(self, text: str) -> list[str]:
        kinds = db.statement_kinds(self.con, text)
        if not kinds:
            raise QueryRefused("no SQL statement given")
        for kind, statement in kinds:
            self._check(kind, statement)
        return [statement for _, statement in kinds]

    def _check(self, kind: str, statement: str) -> None:
        words = db.tokens(statement)
        first = words[0][2].lower() if words else ""
        if kind == "SELECT":
            self._check_select(statement, words)
        elif kind == "EXPLAIN" and first == "explain":
            self._check_explain(statement, words)
        elif kind == "PRAGMA" and first == "pragma" and len(words) > 1 and _name(words[1][2]) in READ_PRAGMAS:
            return
        elif kind == "CALL" and first == "call" and len(words) > 1:
            as_select = "select * from " + statement[words[1][0]:]
            self._check_select(as_select, db.tokens(as_select))
        elif kind == "MULTI":  # a PIVOT without an IN list, which DuckDB runs as several statements
            self._check_words(words)
        else:
            raise QueryRefused(f"tracker sql is read-only: {(first or kind).upper()} statements are refused "
                               f"(allowed: {ALLOWED})")

    def _check_select(self, statement: str, words: list[tuple[int, str, str]]) -> None:
        tree = db.select_tree(self.con, statement)
        if tree is None or len(tree.get("statements", [])) != 1:
            self._check_words(words)
            return
        for node in _nodes(tree):
            kind = node.get("type")
            if isinstance(kind, str) and kind.endswith("_NODE") and kind not in READ_QUERY_NODES:
                raise QueryRefused(f"tracker sql is read-only: {kind.removesuffix('_QUERY_NODE')} inside a "
                                   "query is refused")
            if kind == "TABLE_FUNCTION" and isinstance(node.get("function"), dict):
                self._check_table_function(_name(str(node["function"].get("function_name", ""))))
            name = _name(str(node.get("function_name", "")))
            if name in STATEFUL_FUNCTIONS:
                raise QueryRefused(f"tracker sql is read-only: {name}() changes state and is refused")

    def _check_table_function(self, name: str) -> None:
        if name in READ_TABLE_FUNCTIONS or name.startswith(READ_TABLE_FUNCTION_PREFIXES):
            return
        if name in self.system_table_functions() or name in STATEFUL_FUNCTIONS:
            raise QueryRefused(f"tracker sql reads the database only: the table function {name}() is refused "
                               "(no files, network or side effects)")

    def _check_explain(self, statement: str, words: list[tuple[int, str, str]]) -> None:
        """EXPLAIN [ANALYZE] [(options)] <statement>: the statement it explains must be allowed too."""
        i, depth = 1, 0
        while i < len(words):
            word = words[i][2].lower()
            if depth:
                depth += word.count("(") - word.count(")")
            elif word in ("analyze", "analyse"):
                pass
            elif word.startswith("("):
                depth = word.count("(") - word.count(")")
            else:
                break
            i += 1
        if i >= len(words):
            raise QueryRefused("EXPLAIN needs a statement to explain")
        inner = db.statement_kinds(self.con, statement[words[i][0]:])
        if len(inner) != 1:
            raise QueryRefused("EXPLAIN explains one statement")
        self._check(*inner[0])

    def _check_words(self, words: list[tuple[int, str, str]]) -> None:
        """Without a parse tree (a PIVOT without an IN list, a tree too deep): refuse every word that could write."""
        for (_, kind, text), after in zip(words, [w[2] for w in words[1:]] + [""], strict=True):
            word = _name(text)
            if kind == "keyword" and word in WRITE_KEYWORDS:
                raise QueryRefused(f"tracker sql is read-only: {word.upper()} inside a query is refused")
            if kind in ("keyword", "identifier") and after.startswith("("):
                if word in STATEFUL_FUNCTIONS:
                    raise QueryRefused(f"tracker sql is read-only: {word}() changes state and is refused")
                self._check_table_function(word)

    def system_table_functions(self) -> frozenset[str]:
        if self._table_functions is None:
            rows = self.con.execute("select distinct function_name from duckdb_functions() "
                                    "where function_type = 'table' and database_name = 'system'").fetchall()
            self._table_functions = frozenset(row[0] for row in rows)
        return self._table_functions


class _Runner:
    """The statements in a worker thread; the calling thread watches the clock and Ctrl-C."""

    def __init__(self, con: db.Connection, statements: list[str], render: str) -> None:
        self.con = con
        self.statements = statements
        self.render = render
        self.done = threading.Event()
        self.stopping = threading.Event()
        self.timed_out = False
        self.outcome: db.Rendered | BaseException | None = None

    def run(self, timeout: float) -> None:
        """Wait for the statements, stopping them at the deadline or at Ctrl-C."""
        log.debug("running %d statement(s), at most %g s", len(self.statements), timeout)
        threading.Thread(target=self._work, name="tracker-sql", daemon=True).start()
        deadline = time.monotonic() + timeout
        try:
            while not self.done.wait(max(0.0, min(0.1, deadline - time.monotonic()))):
                if time.monotonic() >= deadline:
                    self.timed_out = True
                    self._stop()
                    return
        except KeyboardInterrupt:
            self._stop()
            raise

    def result(self, timeout: float, memory_limit: str) -> db.Rendered:
        if self.timed_out:
            raise QueryFailed(f"stopped after {timeout:g} s: the statement ran longer than TRACKER_SQL_TIMEOUT "
                              "allows (raise it for longer statements)")
        if isinstance(self.outcome, QueryOutOfMemory):
            raise QueryFailed(f"{self.outcome}: the statement needs more memory than TRACKER_DUCKDB_MEMORY "
                              f"({memory_limit}) allows") from None
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome if self.outcome is not None else db.Rendered([], [])

    def _work(self) -> None:
        try:
            for statement in self.statements:
                if self.stopping.is_set():
                    raise QueryInterrupted("interrupted")
                self.outcome = db.run_rendered(self.con, statement, self.render)
        except BaseException as exc:  # handed to the calling thread, which raises it
            self.outcome = exc
        finally:
            self.done.set()

    def _stop(self) -> None:
        """Interrupt until the worker ends: one interrupt can land between two statements."""
        self.stopping.set()
        give_up = time.monotonic() + STOP_GRACE_S
        while time.monotonic() < give_up:
            db.interrupt(self.con)
            if self.done.wait(0.05):
                return


def _nodes(tree: Any) -> Iterator[dict[str, Any]]:
    """Every object of a JSON parse tree."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _name(text: str) -> str:
    return text.strip().strip('"').lower()
