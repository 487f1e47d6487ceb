"""The fetch stage of a refresh, and one scope query taken through fetch → load raw versions → normalize.

Fetching and loading alternate: a few pages are fetched, then loaded and normalized in one transaction,
so memory does not grow with the corpus. A query whose distinct studies do not add up to CT.gov's
totalCount is asked once more before the run fails.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from tracker import checks, db, loading
from tracker.ctgov import CtGov
from tracker.errors import ReconciliationError
from tracker.scope import ScopeQuery

log = logging.getLogger(__name__)

RECONCILE_ATTEMPTS = 2  # a query whose count does not add up is asked once more before the run fails
LOAD_BATCH = 4000  # studies per load transaction: about 60 MB of JSON at CT.gov's 15 KB mean


class Progress(Protocol):
    """Where a query's progress goes (refresh.Reporter is one)."""

    def page_loaded(self, query: ScopeQuery, received: int, total_count: int | None) -> None: ...


@dataclass
class Paging:
    """What the fetch stage saw of one query besides its studies."""

    pages: int = 0
    empty_pages: int = 0
    total_count: int | None = None


@dataclass
class Received:
    """What the load stage stored of one attempt at a query."""

    rows: int = 0
    ids: set[str] = field(default_factory=set)
    paging: Paging = field(default_factory=Paging)


@dataclass
class Ingest:
    """The run a query is ingested into: its id and clock, and what the ingest reports back to it."""

    run_id: int
    now: Callable[[], datetime]
    progress: Progress
    timings: dict[str, float]
    dirty: bool = False  # a batch was committed to the working database


def window_params(query: ScopeQuery, since: date | None) -> dict[str, str]:
    """The query's CT.gov parameters, limited to studies updated on or after `since` when given."""
    params = query.params_dict()
    if since is not None:
        window = f"AREA[LastUpdatePostDate]RANGE[{since.isoformat()},MAX]"
        params["filter.advanced"] = f"({params['filter.advanced']}) AND {window}" \
            if "filter.advanced" in params else window
    return params


def fetch(client: CtGov, query: ScopeQuery, params: dict[str, str], paging: Paging,
          timings: dict[str, float]) -> Iterator[loading.Batch]:
    """Page one query to its end, checking each record, and yield its studies a few pages at a time."""
    buffer: list[bytes] = []
    url = ""
    started = time.perf_counter()
    for page in client.iter_pages(params):
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


def ingest_attempt(con: db.Connection, client: CtGov, query: ScopeQuery, params: dict[str, str],
                   run: Ingest) -> Received:
    """fetch → load raw versions → normalize, one transaction per batch, for one pass over a query."""
    received = Received()
    for batch in fetch(client, query, params, received.paging, run.timings):
        started = time.perf_counter()
        with db.transaction(con), loading.incoming(con, batch) as frame:
            stored = loading.load_raw_versions(con, frame, run_id=run.run_id, query_key=query.key, now=run.now())
            loading.normalize(con, stored)
        run.dirty = True
        received.rows += stored.rows
        received.ids.update(stored.nct_ids)
        run.timings["load"] += time.perf_counter() - started
        run.progress.page_loaded(query, len(received.ids), received.paging.total_count)
    return received


def ingest_query(con: db.Connection, client: CtGov, query: ScopeQuery, since: date | None,
                 run: Ingest) -> dict[str, Any]:
    """Ingest one query until its distinct studies add up to totalCount; its statistics for meta.run_queries."""
    params = window_params(query, since)
    requests_before = client.requests
    for attempt in range(1, RECONCILE_ATTEMPTS + 1):
        received = ingest_attempt(con, client, query, params, run)
        ids, total_count = received.ids, received.paging.total_count
        notes = _notes(con, query, received)
        stats = {
            "query_key": query.key, "label": query.label, "mode": "incremental" if since else "full",
            "since": since, "attempts": attempt, "pages": received.paging.pages,
            "empty_pages": received.paging.empty_pages, "requests": client.requests - requests_before,
            "rows": received.rows, "distinct": len(ids), "total_count": total_count,
            "reconciled": None if total_count is None else len(ids) == total_count,
            "note": "; ".join(notes) or None,
        }
        if total_count is None:
            stats["note"] = "; ".join([*notes, "CT.gov sent no totalCount: count not reconciled"])
            log.warning("%s: CT.gov sent no totalCount; count not reconciled", query.label)
            return stats
        if len(ids) == total_count:
            return stats
        log.warning("%s: received %d studies but CT.gov counted %d (attempt %d)", query.label, len(ids),
                    total_count, attempt)
    raise ReconciliationError(
        f"query {query.label!r}: received {len(ids)} distinct studies but CT.gov's totalCount is {total_count} "
        f"after {RECONCILE_ATTEMPTS} attempts; nothing from this run was kept"
    )


def _notes(con: db.Connection, query: ScopeQuery, received: Received) -> list[str]:
    """Duplicates across pages, and ids an id-list query asked for that did not come back."""
    notes = []
    ids = received.ids
    if received.rows > len(ids):
        notes.append(f"{received.rows - len(ids)} duplicate row(s) across pages")
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
