"""Bookkeeping of registry scans in meta.registry_scans and meta.scan_finds, and the scope query that keeps
their finds fresh."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from tracker import db
from tracker.errors import TrackerError
from tracker.scope import ScopeQuery, id_queries

if TYPE_CHECKING:
    from tracker.scan import ScanResult

# the query key of the studies a scan stores (meta.query_members), as a scope query's key marks what it returned
SCAN_KEY = "scan"
SCAN_QUERY_LABEL = "found by the registry scan"


def record_start(con: db.Connection, run_id: int, started_at: datetime, result: ScanResult) -> None:
    con.execute(
        "insert into meta.registry_scans (run_id, started_at, status, archive, archive_bytes, downloaded, "
        "data_timestamp, entries, total_studies) values (?, ?, 'running', ?, ?, ?, ?, ?, ?)",
        [run_id, started_at, str(result.archive), result.archive_bytes, result.downloaded, result.data_timestamp,
         result.entries, result.total_studies],
    )


def record_finds(con: db.Connection, run_id: int, evidence: pl.DataFrame) -> None:
    """Why the scan kept each study: its first evidence (sieve.EVIDENCE_SCHEMA)."""
    db.register(con, "scan_evidence", evidence)
    try:
        con.execute("insert into meta.scan_finds select ?, nct_id, reason, matched_field, matched_term, field_text "
                    "from scan_evidence", [run_id])
    finally:
        db.unregister(con, "scan_evidence")


def landscape_counts(con: db.Connection, run_id: int) -> tuple[int, int]:
    """Of the studies this scan kept: how many are in the landscape, and how many no search query returned."""
    row = con.execute(
        "select count(*) filter (t.in_landscape), count(*) filter (f.found_by = 'scan') "
        "from meta.scan_finds as s join main.trials as t using (nct_id) join main.trial_found_by as f using (nct_id) "
        "where s.run_id = ?", [run_id]).fetchall()[0]
    return int(row[0]), int(row[1])


def record_finish(con: db.Connection, run_id: int, finished_at: datetime, result: ScanResult) -> None:
    con.execute(
        "update meta.registry_scans set finished_at = ?, status = 'succeeded', studies_read = ?, unreadable = ?, "
        "candidates = ?, studies_kept = ?, studies_added = ?, studies_in_landscape = ?, scan_only = ?, seconds = ?, "
        "note = ? where run_id = ?",
        [finished_at, result.studies_read, len(result.unreadable), result.candidates, result.kept, result.added,
         result.in_landscape, result.scan_only, result.seconds, result.note, run_id],
    )


def scan_queries(db_path: Path) -> list[ScopeQuery]:
    """Id-list queries of the trials scans found that no search query returns, so refreshes keep them fresh
    (and a full refresh does not mark them out of scope); none when the database is new."""
    if not db_path.is_file() or db_path.stat().st_size == 0:
        return []
    try:
        found = db.read_frame(db_path, """
        select nct_id from meta.query_members where query_key = 'scan'
        except
        select m.nct_id from meta.query_members as m join meta.scope_queries as q using (query_key)
        where q.source <> 'scan'
        order by 1
        """)
    except TrackerError:
        return []  # not a tracker database (yet): the refresh says what is wrong with it
    ids = found["nct_id"].to_list()
    return [dataclasses.replace(q, source="scan") for q in id_queries(SCAN_QUERY_LABEL, ids)] if ids else []
