"""The fetch stage of a refresh: each scope query paged to its end, a few pages at a time, and reconciled.

refresh.run_pipeline loads and normalizes each batch as it comes, so memory does not grow with the
corpus. A query whose distinct studies do not add up to CT.gov's totalCount is asked once more before
the run fails.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker import checks, db, loading
from tracker.ctgov import CtGov
from tracker.errors import ReconciliationError
from tracker.scope import ScopeQuery

log = logging.getLogger(__name__)

RECONCILE_ATTEMPTS = 2  # a query whose count does not add up is asked once more before the run fails
LOAD_BATCH = 4000  # studies per load transaction: about 60 MB of JSON at CT.gov's 15 KB mean


@dataclass
class Paging:
    """What the fetch stage saw of one pass over a query besides its studies."""

    pages: int = 0
    empty_pages: int = 0
    total_count: int | None = None


@dataclass
class Attempt:
    """One pass over a scope query: the parameters it sends, then what was fetched and stored."""

    number: int
    params: dict[str, str]
    paging: Paging = field(default_factory=Paging)
    rows: int = 0
    ids: set[str] = field(default_factory=set)
    stats: dict[str, Any] = field(default_factory=dict)  # for meta.run_queries, once the pass is over

    def add(self, stored: loading.StoredBatch) -> None:
        self.rows += stored.rows
        self.ids.update(stored.nct_ids)


def window_params(query: ScopeQuery, since: date | None) -> dict[str, str]:
    """The query's CT.gov parameters, limited to studies updated on or after `since` when given."""
    params = query.params_dict()
    if since is not None:
        window = f"AREA[LastUpdatePostDate]RANGE[{since.isoformat()},MAX]"
        params["filter.advanced"] = f"({params['filter.advanced']}) AND {window}" \
            if "filter.advanced" in params else window
    return params


def attempts(con: db.Connection, client: CtGov, query: ScopeQuery, since: date | None) -> Iterator[Attempt]:
    """The passes over a query: a second one when the first's distinct studies do not add up to totalCount.

    Once the caller has fetched and loaded a pass, its `stats` are filled in; after the last pass the
    query is reconciled (or CT.gov sent no count), else a ReconciliationError ends the run.
    """
    params = window_params(query, since)
    requests_before = client.requests
    for number in range(1, RECONCILE_ATTEMPTS + 1):
        attempt = Attempt(number, params)
        yield attempt
        ids, total_count = attempt.ids, attempt.paging.total_count
        notes = _notes(con, query, attempt)
        attempt.stats = {
            "query_key": query.key, "label": query.label, "mode": "incremental" if since else "full",
            "since": since, "attempts": number, "pages": attempt.paging.pages,
            "empty_pages": attempt.paging.empty_pages, "requests": client.requests - requests_before,
            "rows": attempt.rows, "distinct": len(ids), "total_count": total_count,
            "reconciled": None if total_count is None else len(ids) == total_count,
            "note": "; ".join(notes) or None,
        }
        if total_count is None:
            attempt.stats["note"] = "; ".join([*notes, "CT.gov sent no totalCount: count not reconciled"])
            log.warning("%s: CT.gov sent no totalCount; count not reconciled", query.label)
            return
        if len(ids) == total_count:
            return
        log.warning("%s: received %d studies but CT.gov counted %d (attempt %d)", query.label, len(ids),
                    total_count, number)
    raise ReconciliationError(
        f"query {query.label!r}: received {len(ids)} distinct studies but CT.gov's totalCount is {total_count} "
        f"after {RECONCILE_ATTEMPTS} attempts; nothing from this run was kept"
    )


def fetch(client: CtGov, query: ScopeQuery, attempt: Attempt, timings: dict[str, float]) -> Iterator[loading.Batch]:
    """Page one query to its end, checking each record, and yield its studies a few pages at a time."""
    paging = attempt.paging
    buffer: list[bytes] = []
    url = ""
    started = time.perf_counter()
    for page in client.iter_pages(attempt.params):
        timings["fetch"] += time.perf_counter() - started
        paging.pages += 1
        url = page.url
        if paging.pages == 1:
            paging.total_count = page.total_count
        checks.check_records(page.studies, label=query.label, page=paging.pages, url=page.url)
        if not page.studies:
            paging.empty_pages += 1
        buffer.extend(page.studies)
        # a few pages per transaction: fewer commits, and a buffer that does not grow with the corpus
        if len(buffer) >= LOAD_BATCH:
            yield loading.Batch(query.key, buffer, url)
            buffer = []
        started = time.perf_counter()
    if buffer:
        yield loading.Batch(query.key, buffer, url)


def _notes(con: db.Connection, query: ScopeQuery, attempt: Attempt) -> list[str]:
    """Duplicates across pages, and ids an id-list query asked for that did not come back."""
    notes = []
    ids = attempt.ids
    if attempt.rows > len(ids):
        notes.append(f"{attempt.rows - len(ids)} duplicate row(s) across pages")
    if query.is_id_list:
        requested = set(query.params_dict()["filter.ids"].split(","))
        missing = requested - ids
        if missing:
            missing -= _aliases_of(con, ids)
            if missing:
                notes.append(f"{len(missing)} requested id(s) not returned: {', '.join(sorted(missing)[:10])}")
    return notes


def _aliases_of(con: db.Connection, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    rows = con.execute(
        "select unnest(nct_id_aliases) from core.trials where list_contains(?, nct_id)", [sorted(ids)]
    ).fetchall()
    return {r[0] for r in rows}
