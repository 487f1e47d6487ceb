"""Loading into the working database: runs, pages, versions, normalized tables, scope membership."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from tracker import __version__, db, reference
from tracker.catalogue import load_vocabulary
from tracker.ctgov import study_keys
from tracker.errors import CtGovError
from tracker.scope import ScopeQuery

NORMALIZE_DIR = "normalize"
PARSE_BATCHES = 4


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
    if get_state(con, "schema") != db.SCHEMA_MARKER:
        # marks the file as the tracker's, so that a later run can tell it from a foreign DuckDB file
        set_state(con, "schema", db.SCHEMA_MARKER)
    # the macros look codes up in the vocabulary's ref tables: they hold vocabulary.toml before anything reads them
    reference.write_vocabulary(con, load_vocabulary())
    # the view macros are needed by the marts, and the marts by the views reading them
    db.run_file(con, db.sql_file("views", "000_macros.sql"))
    db.run_file(con, db.sql_file("views", "005_as_of.sql"))
    if db.scalar(con, "select count(*) from duckdb_tables() where schema_name = 'core' "
                      "and table_name in ('trial_summary', 'landscape_rows', 'agent_summary', "
                      "'landscape_options')") < 4:
        build_marts(con)
    db.apply_sql(con, *db.VIEW_DIRS)


def build_marts(con: db.Connection) -> None:
    """Rebuild the materialized tables behind the public views (after loading or classifying).

    The marts read each trial's current version through its snapshot: a version stored without one (a
    database from before snapshots, a refresh run without the change stage) gets it here.
    """
    from tracker import versions

    versions.snapshot_current(con, versions.missing_current(con))
    db.apply_sql(con, "marts")


def start_run(con: db.Connection, *, mode: str, trigger: str, now: datetime) -> int:
    # max + 1 rather than a sequence: a restored working copy must hand out the failed run's id again
    run_id: int = db.scalar(con, "select coalesce(max(run_id), 0) + 1 from meta.refresh_runs")
    con.execute(
        "insert into meta.refresh_runs (run_id, started_at, status, mode, trigger, tracker_version) "
        "values (?, ?, 'running', ?, ?, ?)",
        [run_id, now, mode, trigger, __version__],
    )
    return run_id


def insert_run_row(con: db.Connection, row: dict[str, Any]) -> None:
    """Record a run from its values (a failed run written back after a restore)."""
    columns = [c for c in row if row[c] is not None]
    # a run a backfill had published while still running is already on record
    con.execute("delete from meta.refresh_runs where run_id = ?", [row["run_id"]])
    con.execute(f"insert into meta.refresh_runs ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})",
                [row[c] for c in columns])


def begin_loading(con: db.Connection) -> None:
    db.run_file(con, db.sql_file("load", "000_run_start.sql"))


# CT.gov rewrites versionHolder every day, so it is no part of a study's content
_VERSION_HOLDER = re.compile(rb'"versionHolder"\s*:\s*"[^"]*"')


def page_frame(studies: list[bytes], url: str) -> pl.DataFrame:
    """One row per study of a page: its keys, a content hash without versionHolder, and its JSON text."""
    keys = [study_keys(raw) for raw in studies]
    missing = sum(1 for k in keys if not k.nct_id)
    if missing:
        raise CtGovError(f"{missing} study record(s) in the page have no protocolSection.identificationModule.nctId",
                         url=url)
    return pl.DataFrame({
        "row_no": range(len(studies)),
        "nct_id": [k.nct_id for k in keys],
        "content_hash": [hashlib.md5(_VERSION_HOLDER.sub(b"", raw)).hexdigest() for raw in studies],
        "last_update_post_date": [k.last_update_post_date for k in keys],
        "last_update_post_date_type": [k.last_update_post_date_type for k in keys],
        "version_holder": [k.version_holder for k in keys],
        "payload": [raw.decode("utf-8") for raw in studies],
    }, schema={"row_no": pl.Int64, "nct_id": pl.String, "content_hash": pl.String, "last_update_post_date": pl.String,
               "last_update_post_date_type": pl.String, "version_holder": pl.String, "payload": pl.String})


def load_page(con: db.Connection, *, run_id: int, query_key: str, studies: list[bytes],
              now: datetime, url: str) -> PageLoad:
    """Store one page: new versions, current pointers, membership, and re-normalize what changed."""
    if not studies:
        return PageLoad(0, 0, 0, frozenset())
    frame = page_frame(studies, url)
    # several Arrow batches, so that DuckDB parses the JSON on every core
    db.register(con, "incoming_page", frame, batches=PARSE_BATCHES)
    params = {"run_id": run_id, "query_key": query_key, "now": now}
    try:
        db.run_file(con, db.sql_file("load", "010_page.sql"), params)
        db.run_file(con, db.sql_file("load", "020_versions.sql"), params)
        changed: int = db.scalar(con, "select count(*) from page_changed")
        if changed:
            normalize_changed(con)
    finally:
        db.unregister(con, "incoming_page")
    ids = frozenset(frame["nct_id"].to_list())
    return PageLoad(rows=len(studies), distinct=len(ids), changed=changed, nct_ids=ids)


def normalize_changed(con: db.Connection) -> None:
    """Replace the core rows of every study in page_changed with rows built from its new payload."""
    existing = db.scalar(con, "select count(*) from page_changed join core.trials using (nct_id)")
    if existing:
        for table in core_tables(con):
            con.execute(f"delete from core.{table} where nct_id in (select nct_id from page_changed)")
    db.apply_sql(con, NORMALIZE_DIR)


def core_tables(con: db.Connection) -> list[str]:
    # the normalized and label tables: every core table keyed by trial (marts are rebuilt, not patched)
    rows = con.execute(
        "select table_name from information_schema.columns where table_catalog = current_database() "
        "and table_schema = 'core' and column_name = 'nct_id' "
        "and table_name not in ('trial_summary', 'landscape_rows') order by table_name"
    ).fetchall()
    return [r[0] for r in rows]


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
