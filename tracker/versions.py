"""Snapshots: every stored version of a trial as the landscape sees it (versions.trial_snapshots).

A refresh snapshots the current version of each trial it stored, from the normalized rows and labels
it has just written (sql/versions/). A version that is not current - one backfilled
from CT.gov's history, or an old version to relabel after a catalogue edit - is normalized and
classified in a scratch in-memory database with the same SQL and the same classifier, so every
snapshot, old or new, is computed the same way and a past landscape equals what a refresh on that
day would have shown.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import polars as pl

from tracker import db
from tracker.landscape import Domain, reclassify

SCRATCH_BATCH = 2000  # versions normalized at once in the scratch database
SNAPSHOT_CHUNK = 20_000  # current versions snapshotted at once
_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def snapshot_current(con: db.Connection, nct_ids: pl.DataFrame, source: str = "refresh") -> int:
    """Write (or rewrite) the snapshot of the current version of each trial in `nct_ids`."""
    return CurrentSnapshots(con, nct_ids, source).write()


class CurrentSnapshots:
    """The snapshots of the current version of some trials, made SNAPSHOT_CHUNK trials at a time.

    Chunks: a catalogue edit relabels every trial, and 100,000 snapshots built at once beside the old labels
    ran out of DuckDB's memory. A snapshot's record part (sql/versions/010_snapshot_records.sql) reads no
    label, so `prepare` can build the first chunk's before the labels are written: a refresh does it while
    its last batches are still being classified. The labels (020_snapshots.sql) are added by `write`.
    """

    def __init__(self, con: db.Connection, nct_ids: pl.DataFrame, source: str = "refresh") -> None:
        self._con = con
        self._scope = nct_ids.select("nct_id").unique().sort("nct_id").with_columns(source=pl.lit(source))
        self._prepared = False

    def prepare(self) -> None:
        """Build the first chunk's record part now, kept apart from what other snapshots build meanwhile."""
        if self._scope.is_empty():
            return
        self._records(0)
        # kept under its own name: snapshots made meanwhile (a catalogue edit's relabelling) reuse the other
        self._con.execute("drop table if exists snapshot_records_ready")
        self._con.execute("alter table snapshot_records rename to snapshot_records_ready")
        self._prepared = True

    def write(self) -> int:
        """Snapshot every trial, chunk by chunk; return how many snapshots were written."""
        written = 0
        for start in range(0, self._scope.height, SNAPSHOT_CHUNK):
            if start == 0 and self._prepared:
                self._con.execute("drop table if exists snapshot_records")
                self._con.execute("alter table snapshot_records_ready rename to snapshot_records")
                self._prepared = False
            else:
                self._records(start)
            db.run_file(self._con, db.sql_file("versions", "020_snapshots.sql"))
            _store_new_snapshots(self._con)
            written += int(db.scalar(self._con, "select count(*) from new_snapshots"))
        return written

    def _records(self, start: int) -> None:
        con = self._con
        db.register(con, "snapshot_scope_frame", self._scope.slice(start, SNAPSHOT_CHUNK))
        try:
            con.execute("create or replace temp table snapshot_scope as select * from snapshot_scope_frame")
        finally:
            db.unregister(con, "snapshot_scope_frame")
        db.run_file(con, db.sql_file("versions", "010_snapshot_records.sql"))


def _store_new_snapshots(con: db.Connection) -> None:
    con.execute("delete from versions.trial_snapshots where version_id in (select version_id from new_snapshots)")
    con.execute("insert into versions.trial_snapshots by name select * from new_snapshots")


def missing_current(con: db.Connection) -> pl.DataFrame:
    """Trials whose current version has no snapshot (a database from before snapshots existed)."""
    return db.fetch_frame(con, """
        select nct_id from raw.studies as studies
        where not exists (select 1 from versions.trial_snapshots s where s.version_id = studies.version_id)
    """)


def missing_past(con: db.Connection) -> pl.DataFrame:
    """Stored versions that are not current and have no snapshot."""
    return db.fetch_frame(con, """
        select v.version_id, v.nct_id, coalesce(v.source, 'refresh') as source
        from raw.study_versions as v
        join raw.studies as s using (nct_id)
        where v.version_id <> s.version_id
          and not exists (select 1 from versions.trial_snapshots t where t.version_id = v.version_id)
    """)


def snapshot_past(con: db.Connection, domain: Domain, versions: pl.DataFrame) -> int:
    """Snapshot versions that are not current (version_id, nct_id, source) in a scratch database."""
    written = 0
    for start in range(0, versions.height, SCRATCH_BATCH):
        batch = versions.slice(start, SCRATCH_BATCH)
        snapshots = _scratch_snapshots(domain, _payloads(con, batch))
        ids = batch.select("version_id", "nct_id", "source")
        frame = snapshots.drop("nct_id", "source").join(ids, on="version_id", how="inner")
        db.register(con, "scratch_snapshots", frame)
        try:
            con.execute("create or replace temp table new_snapshots as select * from scratch_snapshots")
        finally:
            db.unregister(con, "scratch_snapshots")
        _store_new_snapshots(con)
        written += frame.height
    return written


def _payloads(con: db.Connection, batch: pl.DataFrame) -> pl.DataFrame:
    """The batch's stored JSON, with a surrogate id per version so versions of one trial stay apart."""
    db.register(con, "scratch_ids", batch.select("version_id", "source"))
    try:
        frame = db.fetch_frame(con, """
            select ids.version_id, 'V' || ids.version_id as nct_id, ids.source, v.payload
            from scratch_ids as ids join raw.study_versions as v using (version_id)
            order by ids.version_id
        """)
    finally:
        db.unregister(con, "scratch_ids")
    history = frame["source"] == "history"
    texts = [plain_payload(p) if h else p for p, h in zip(frame["payload"], history, strict=True)]
    return frame.with_columns(payload=pl.Series(texts, dtype=pl.String), row_no=pl.int_range(frame.height))


def _scratch_snapshots(domain: Domain, payloads: pl.DataFrame) -> pl.DataFrame:
    """Normalize, classify and snapshot versions in a fresh in-memory database with the refresh's SQL.

    A separate database, because one DuckDB transaction may write to one database only, and the
    caller's transaction has written to the working database already.
    """
    scratch = db.scratch()
    try:
        db.apply_sql(scratch, *db.SCHEMA_DIRS)
        db.run_file(scratch, db.sql_file("views", "000_macros.sql"))
        db.register(scratch, "incoming_page", payloads.select("row_no", "nct_id", "payload"))
        db.register(scratch, "scratch_rows", payloads.select("row_no", "nct_id", "version_id"))
        scratch.execute("create or replace temp table page_changed as select * from scratch_rows")
        db.apply_sql(scratch, "normalize")
        reclassify(scratch, domain, None)
        scratch.execute("create or replace temp table snapshot_scope as "
                        "select nct_id, 'scratch' as source from core.trials")
        db.apply_sql(scratch, "versions")
        return db.fetch_frame(scratch, "select * from new_snapshots")
    finally:
        scratch.close()


def plain_payload(payload: str) -> str:
    """A history version's JSON with its HTML text turned into plain text, as the API would send it."""
    return json.dumps(_plain(json.loads(payload)), ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        # CT.gov's history escapes some text twice (&amp;#x2F;)
        text = html.unescape(html.unescape(_TAG.sub(" ", value)))
        return " ".join(text.split())
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
