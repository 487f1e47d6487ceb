"""Bookkeeping of runs in meta.*: each run's row, its scope queries and their windows, and meta.state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tracker import __version__, db
from tracker.scope import ScopeQuery


@dataclass(frozen=True)
class RunCounts:
    fetched: int
    new: int
    changed: int
    unchanged: int
    reentered: int


def start_run(con: db.Connection, *, mode: str, trigger: str, now: datetime) -> int:
    # max + 1 rather than a sequence: a restored working copy must hand out the failed run's id again
    run_id: int = db.scalar(con, "select coalesce(max(run_id), 0) + 1 from meta.refresh_runs")
    con.execute(
        "insert into meta.refresh_runs (run_id, started_at, status, mode, trigger, tracker_version) "
        "values (?, ?, 'running', ?, ?, ?)",
        [run_id, now, mode, trigger, __version__],
    )
    return run_id


def record_api_version(con: db.Connection, run_id: int, *, api_version: str, data_timestamp: str | None) -> None:
    """What CT.gov's /version said at the start of the run."""
    con.execute("update meta.refresh_runs set api_version = ?, data_timestamp = ? where run_id = ?",
                [api_version, data_timestamp, run_id])


def insert_run_row(con: db.Connection, row: dict[str, Any]) -> None:
    """Record a run from its values (a failed run written back after a restore)."""
    columns = [c for c in row if row[c] is not None]
    # a run a backfill had published while still running is already on record
    con.execute("delete from meta.refresh_runs where run_id = ?", [row["run_id"]])
    con.execute(f"insert into meta.refresh_runs ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})",
                [row[c] for c in columns])


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


def run_counts(con: db.Connection) -> RunCounts:
    """What this run's pages did to the studies it saw (temp table run_seen)."""
    row = con.execute(
        "select count(*), count(*) filter (outcome = 'new'), count(*) filter (outcome = 'changed'), "
        "count(*) filter (outcome = 'unchanged'), count(*) filter (was_in_scope = false) from run_seen"
    ).fetchall()[0]
    return RunCounts(*row)


def known_query_keys(con: db.Connection) -> set[str]:
    return {r[0] for r in con.execute(
        "select query_key from meta.scope_queries where last_full_run_id is not null").fetchall()}


def query_windows(con: db.Connection, overlap_days: int) -> dict[str, date]:
    """Per query that has run in full, the lower bound of its LastUpdatePostDate window.

    The newest update among the studies the query returned, but never later than the data date of the
    last successful run (after a long pause, everything posted since then is asked for), minus the overlap.
    """
    rows = con.execute("""
        with last_data as (
            select max(try_cast(left(data_timestamp, 10) as date)) as data_date
            from meta.refresh_runs where status = 'succeeded'
        )
        select q.query_key, least(max(s.last_update_post_date), any_value(last_data.data_date)) as watermark
        from meta.scope_queries q
        cross join last_data
        left join meta.query_members m using (query_key)
        left join raw.studies s using (nct_id)
        where q.last_full_run_id is not null
        group by q.query_key
    """).fetchall()
    return {key: watermark - timedelta(days=overlap_days) for key, watermark in rows if watermark is not None}


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


def set_state(con: db.Connection, key: str, value: str | None) -> None:
    con.execute("delete from meta.state where key = ?", [key])
    con.execute("insert into meta.state values (?, ?)", [key, value])


def get_state(con: db.Connection, key: str) -> str | None:
    value: str | None = db.scalar(con, "select value from meta.state where key = ?", [key])
    return value
