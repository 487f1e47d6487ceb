"""Loading into the working database: runs, pages, versions, normalized tables, scope membership."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl

from tracker import __version__, db
from tracker.errors import CtGovError
from tracker.scope import ScopeQuery

NORMALIZE_DIR = "normalize"


@dataclass(frozen=True)
class PageLoad:
    rows: int
    distinct: int
    changed: int
    nct_ids: frozenset[str]


@dataclass(frozen=True)
class RunCounts:
    fetched: int
    new: int
    changed: int
    unchanged: int
    reentered: int


def prepare(con: db.Connection) -> None:
    """Create or update every table, macro and public view; safe to run on every start."""
    db.apply_sql(con, *db.SCHEMA_DIRS)
    db.apply_sql(con, *db.VIEW_DIRS)


def mark_interrupted(con: db.Connection, now: datetime) -> int:
    """Runs still marked running belong to a process that died: record them as failed."""
    count: int = db.scalar(con, "select count(*) from meta.refresh_runs where status = 'running'")
    con.execute(
        "update meta.refresh_runs set status = 'failed', finished_at = ?, "
        "error = 'interrupted: the process ended during the run; nothing it fetched was committed' "
        "where status = 'running'",
        [now],
    )
    return count


def start_run(con: db.Connection, *, mode: str, trigger: str, now: datetime) -> int:
    run_id: int = db.scalar(con, "select nextval('meta.run_id_seq')")
    con.execute(
        "insert into meta.refresh_runs (run_id, started_at, status, mode, trigger, tracker_version) "
        "values (?, ?, 'running', ?, ?, ?)",
        [run_id, now, mode, trigger, __version__],
    )
    return run_id


def begin_loading(con: db.Connection) -> None:
    db.run_file(con, db.sql_file("load", "000_run_start.sql"))


def load_page(con: db.Connection, *, run_id: int, query_key: str, studies: list[bytes],
              now: datetime, url: str) -> PageLoad:
    """Store one page: new versions, current pointers, membership, and re-normalize what changed."""
    if not studies:
        return PageLoad(0, 0, 0, frozenset())
    frame = pl.DataFrame({"payload": [s.decode("utf-8") for s in studies]}, schema={"payload": pl.String})
    db.register(con, "incoming_page", frame)
    params = {"run_id": run_id, "query_key": query_key, "now": now}
    try:
        db.run_file(con, db.sql_file("load", "010_page.sql"), params)
    finally:
        con.unregister("incoming_page")
    missing = db.scalar(con, "select count(*) from page where nct_id is null")
    if missing:
        raise CtGovError("a study in the page has no protocolSection.identificationModule.nctId", url=url)
    db.run_file(con, db.sql_file("load", "020_versions.sql"), params)
    changed: int = db.scalar(con, "select count(*) from page_changed")
    if changed:
        normalize_changed(con)
    ids = frozenset(r[0] for r in con.execute("select nct_id from page").fetchall())
    return PageLoad(rows=len(studies), distinct=len(ids), changed=changed, nct_ids=ids)


def normalize_changed(con: db.Connection) -> None:
    """Replace the core rows of every study in page_changed with rows built from its new payload."""
    for table in core_tables(con):
        con.execute(f"delete from core.{table} where nct_id in (select nct_id from page_changed)")
    db.apply_sql(con, NORMALIZE_DIR)


def core_tables(con: db.Connection) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_schema = 'core' and table_type = 'BASE TABLE' order by table_name"
    ).fetchall()
    return [r[0] for r in rows]


def rebuild_core(con: db.Connection) -> int:
    """Rebuild every normalized table from the current raw versions (after a field-map change)."""
    for table in core_tables(con):
        con.execute(f"delete from core.{table}")
    con.execute(
        "create or replace temp table page_changed as "
        "select v.nct_id, v.version_id, v.payload from raw.studies s "
        "join raw.study_versions v using (version_id)"
    )
    db.apply_sql(con, NORMALIZE_DIR)
    count: int = db.scalar(con, "select count(*) from page_changed")
    return count


def close_full_scope(con: db.Connection, *, run_id: int, now: datetime) -> int:
    """After a full run, mark the studies no query returned as out of scope; return how many."""
    before: int = db.scalar(con, "select count(*) from raw.studies where is_in_scope")
    db.run_file(con, db.sql_file("load", "090_full_scope.sql"), {"run_id": run_id, "now": now})
    after: int = db.scalar(con, "select count(*) from raw.studies where is_in_scope")
    return before - after


def run_counts(con: db.Connection) -> RunCounts:
    row = con.execute(
        "select count(*), count(*) filter (outcome = 'new'), count(*) filter (outcome = 'changed'), "
        "count(*) filter (outcome = 'unchanged'), count(*) filter (was_in_scope = false) from run_seen"
    ).fetchall()[0]
    return RunCounts(*row)


def query_watermark(con: db.Connection, query_key: str) -> date | None:
    """The newest LastUpdatePostDate among the studies this query has returned, if it has run in full."""
    full: Any = db.scalar(
        con, "select last_full_run_id from meta.scope_queries where query_key = ?", [query_key]
    )
    if full is None:
        return None
    value: date | None = db.scalar(
        con,
        "select max(s.last_update_post_date) from meta.query_members m "
        "join raw.studies s using (nct_id) where m.query_key = ?",
        [query_key],
    )
    return value


def record_query(con: db.Connection, *, run_id: int, query: ScopeQuery, mode: str, since: date | None,
                 stats: dict[str, Any]) -> None:
    con.execute(
        "insert into meta.run_queries (run_id, query_key, label, source, params, mode, since_date, attempts, "
        "pages, empty_pages, requests, rows_received, distinct_studies, total_count, is_reconciled, note) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, query.key, query.label, query.source, json.dumps(query.params_dict()), mode, since,
         stats["attempts"], stats["pages"], stats["empty_pages"], stats["requests"], stats["rows"],
         stats["distinct"], stats["total_count"], stats["reconciled"], stats.get("note")],
    )
    exists = db.scalar(con, "select count(*) from meta.scope_queries where query_key = ?", [query.key])
    full_run = run_id if mode == "full" else None
    if exists:
        con.execute(
            "update meta.scope_queries set label = ?, last_run_id = ?, is_active = true, "
            "last_full_run_id = coalesce(?, last_full_run_id) where query_key = ?",
            [query.label, run_id, full_run, query.key],
        )
    else:
        con.execute(
            "insert into meta.scope_queries values (?, ?, ?, ?, ?, ?, ?, true)",
            [query.key, query.label, query.source, json.dumps(query.params_dict()), run_id, run_id, full_run],
        )


def deactivate_other_queries(con: db.Connection, active_keys: list[str]) -> None:
    """Queries no longer in the scope stay on record but are marked inactive."""
    con.execute("update meta.scope_queries set is_active = list_contains(?, query_key)", [active_keys])


def finish_run(con: db.Connection, run_id: int, *, status: str, now: datetime,
               values: dict[str, Any] | None = None, error: str | None = None) -> None:
    values = dict(values or {})
    values.update(status=status, finished_at=now, error=error)
    assignments = ", ".join(f"{name} = ?" for name in values)
    con.execute(f"update meta.refresh_runs set {assignments} where run_id = ?", [*values.values(), run_id])


def last_run(con: db.Connection, *, status: str | None = None, mode: str | None = None) -> dict[str, Any] | None:
    clauses, params = [], []
    if status:
        clauses.append("status = ?")
        params.append(status)
    if mode:
        clauses.append("mode = ?")
        params.append(mode)
    where = f"where {' and '.join(clauses)}" if clauses else ""
    cursor = con.execute(f"select * from meta.refresh_runs {where} order by run_id desc limit 1", params)
    rows = cursor.fetchall()
    if not rows:
        return None
    return dict(zip([d[0] for d in cursor.description], rows[0], strict=True))


def known_query_keys(con: db.Connection) -> set[str]:
    return {r[0] for r in con.execute(
        "select query_key from meta.scope_queries where last_full_run_id is not null").fetchall()}


def set_state(con: db.Connection, key: str, value: str | None) -> None:
    con.execute("delete from meta.state where key = ?", [key])
    con.execute("insert into meta.state values (?, ?)", [key, value])


def get_state(con: db.Connection, key: str) -> str | None:
    value: str | None = db.scalar(con, "select value from meta.state where key = ?", [key])
    return value
