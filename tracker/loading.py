"""The load stages of a refresh: a batch of fetched studies into raw versions, then into normalized core rows.

Both run in SQL (sql/load/, sql/normalize/) inside the transaction of their batch; the temporary tables
they hand each other are declared in tracker/scratch.py.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import polars as pl

from tracker import db, schema
from tracker.ctgov import study_keys
from tracker.errors import CtGovError

NORMALIZE_DIR = "normalize"
PARSE_BATCHES = 4


class Keys(Protocol):
    """A study's keys as the record checks (checks.RecordKeys) or ctgov.study_keys read them."""

    @property
    def nct_id(self) -> str | None: ...
    @property
    def last_update_post_date(self) -> str | None: ...
    @property
    def last_update_post_date_type(self) -> str | None: ...
    @property
    def version_holder(self) -> str | None: ...


@dataclass(frozen=True)
class Batch:
    """What the fetch stage hands the load: a few pages of one scope query, made into page_frame's frame."""

    query_key: str
    frame: pl.DataFrame
    url: str  # the last page's, for errors


@dataclass(frozen=True)
class StoredBatch:
    """What the load stage stored of a batch; its new versions are in temp table page_changed."""

    rows: int
    nct_ids: frozenset[str]
    changed_ids: pl.DataFrame  # nct_id of each study that got a new version

    @property
    def changed(self) -> int:
        return self.changed_ids.height


def begin(con: db.Connection) -> None:
    """Start the run's scratch tables (run_seen: every study the run has seen, and what it was)."""
    db.run_file(con, db.sql_file("load", "000_run_start.sql"))


# CT.gov rewrites versionHolder every day, so it is no part of a study's content
_VERSION_HOLDER = re.compile(rb'"versionHolder"\s*:\s*"[^"]*"')
_HOLDER_NAME = b'"versionHolder"'


def content_hash(raw: bytes) -> str:
    """md5 of the study's JSON without versionHolder: the digest of `_VERSION_HOLDER.sub(b"", raw)`, unchanged.

    The regex starts at the name's first occurrence (a fast byte search) rather than scanning the whole
    record, and the parts around each match are hashed in place instead of copied into a new string.
    """
    digest = hashlib.md5()
    view = memoryview(raw)
    start = 0
    first = raw.find(_HOLDER_NAME)
    if first >= 0:
        for match in _VERSION_HOLDER.finditer(raw, first):
            digest.update(view[start:match.start()])
            start = match.end()
    digest.update(view[start:])
    return digest.hexdigest()


def page_frame(studies: list[bytes], url: str, keys: Sequence[Keys] | None = None,
               hashes: Sequence[str] | None = None) -> pl.DataFrame:
    """One row per study of a page: its keys, a content hash without versionHolder, and its JSON text.

    `keys` are the studies' keys when the record checks have read them already, `hashes` their content
    hashes when computed already.
    """
    if keys is None:
        keys = [study_keys(raw) for raw in studies]
    missing = sum(1 for k in keys if not k.nct_id)
    if missing:
        raise CtGovError(f"{missing} study record(s) in the page have no protocolSection.identificationModule.nctId",
                         url=url)
    return pl.DataFrame({
        "row_no": range(len(studies)),
        "nct_id": [k.nct_id for k in keys],
        "content_hash": hashes if hashes is not None else [content_hash(raw) for raw in studies],
        "last_update_post_date": [k.last_update_post_date for k in keys],
        "last_update_post_date_type": [k.last_update_post_date_type for k in keys],
        "version_holder": [k.version_holder for k in keys],
        # the pages were checked as UTF-8 when they arrived: polars makes the text without a Python str each
        "payload": pl.Series(studies, dtype=pl.Binary).cast(pl.String),
    }, schema={"row_no": pl.Int64, "nct_id": pl.String, "content_hash": pl.String, "last_update_post_date": pl.String,
               "last_update_post_date_type": pl.String, "version_holder": pl.String, "payload": pl.String})


@contextmanager
def incoming(con: db.Connection, batch: Batch) -> Iterator[pl.DataFrame]:
    """The batch as the frame incoming_page, which both load stages read, for the length of the block."""
    # several Arrow batches, so that DuckDB parses the JSON on every core
    db.register(con, "incoming_page", batch.frame, batches=PARSE_BATCHES)
    try:
        yield batch.frame
    finally:
        db.unregister(con, "incoming_page")


def load_raw_versions(con: db.Connection, frame: pl.DataFrame, *, run_id: int, query_key: str,
                      now: datetime) -> StoredBatch:
    """Store a batch (incoming_page): new versions, current pointers, query membership, run_seen."""
    if frame.is_empty():
        return StoredBatch(0, frozenset(), pl.DataFrame(schema={"nct_id": pl.String}))
    params = {"run_id": run_id, "query_key": query_key, "now": now}
    db.run_file(con, db.sql_file("load", "010_page.sql"), params)
    db.run_file(con, db.sql_file("load", "020_versions.sql"), params)
    changed = db.fetch_frame(con, "select nct_id from page_changed")
    ids = frozenset(frame["nct_id"].to_list())
    return StoredBatch(rows=frame.height, nct_ids=ids, changed_ids=changed)


def normalize(con: db.Connection, stored: StoredBatch) -> None:
    """Replace the core rows of every study in page_changed with rows built from its new payload."""
    if not stored.changed:
        return
    existing = db.scalar(con, "select count(*) from page_changed join core.trials using (nct_id)")
    if existing:
        for table in core_tables(con):
            con.execute(f"delete from core.{table} where nct_id in (select nct_id from page_changed)")
    db.apply_sql(con, NORMALIZE_DIR)


def core_tables(con: db.Connection) -> list[str]:
    """The normalized and label tables: every core table keyed by trial (marts are rebuilt, not patched)."""
    rows = con.execute(
        "select table_name from information_schema.columns where table_catalog = current_database() "
        "and table_schema = 'core' and column_name = 'nct_id' "
        "and not list_contains(?, table_name) order by table_name", [list(schema.MARTS)]
    ).fetchall()
    return [r[0] for r in rows]


def close_full_scope(con: db.Connection, *, run_id: int, now: datetime) -> int:
    """After a full run, mark the studies no query returned as out of scope; return how many."""
    before: int = db.scalar(con, "select count(*) from raw.studies where is_in_scope")
    db.run_file(con, db.sql_file("load", "090_full_scope.sql"), {"run_id": run_id, "now": now})
    after: int = db.scalar(con, "select count(*) from raw.studies where is_in_scope")
    return before - after
