"""The fetch stage of a refresh: each scope query paged to its end, a few pages at a time, and reconciled.

refresh.run_pipeline loads and normalizes each batch as it comes while the next one is fetched in a
thread of its own, so memory does not grow with the corpus. A query whose distinct studies do not add
up to CT.gov's totalCount is asked once more before the run fails.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Generator, Iterator
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
QUEUED_BATCHES = 1  # batches made ready while the one before loads: enough to keep both sides busy


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

    def one_batch_left(self) -> bool:
        """Whether the studies CT.gov counted and this pass has not stored yet fit in one more batch."""
        total = self.paging.total_count
        return total is not None and total - len(self.ids) <= LOAD_BATCH


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


def fetch(client: CtGov, query: ScopeQuery, attempt: Attempt,
          timings: dict[str, float]) -> Generator[loading.Batch, None, None]:
    """Page one query to its end and yield its studies a few pages at a time, checked and made into frames.

    The pages are fetched, checked and framed in a thread of their own while the caller loads the batch
    before: the network and the Python work do not wait for DuckDB, nor DuckDB for them. At most
    QUEUED_BATCHES wait, so memory stays bounded; when the caller stops early (its load failed), the
    thread stops after the request in flight.
    """
    batches: queue.Queue[loading.Batch | BaseException | None] = queue.Queue(maxsize=QUEUED_BATCHES)
    stop = threading.Event()
    worker = threading.Thread(target=_produce, args=(client, query, attempt, timings, batches, stop),
                              name=f"fetch {query.key}", daemon=True)
    worker.start()
    try:
        while (item := batches.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def _produce(client: CtGov, query: ScopeQuery, attempt: Attempt, timings: dict[str, float],
             batches: queue.Queue[loading.Batch | BaseException | None], stop: threading.Event) -> None:
    """fetch's thread: every batch of the query, then None; or the error that ended the paging."""
    try:
        started = time.perf_counter()
        for batch in _paged(client, query, attempt):
            timings["fetch"] += time.perf_counter() - started
            if not _put(batches, batch, stop):
                return
            started = time.perf_counter()
        timings["fetch"] += time.perf_counter() - started
        _put(batches, None, stop)
    except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which raises it
        _put(batches, exc, stop)


def _put(batches: queue.Queue[loading.Batch | BaseException | None], item: loading.Batch | BaseException | None,
         stop: threading.Event) -> bool:
    """Wait for room in the queue, unless the caller has stopped taking batches."""
    while not stop.is_set():
        try:
            batches.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _paged(client: CtGov, query: ScopeQuery, attempt: Attempt) -> Iterator[loading.Batch]:
    """The pages of one pass over a query, each record checked once, as batches of about LOAD_BATCH studies."""
    paging = attempt.paging
    studies: list[bytes] = []
    keys: list[checks.RecordKeys] = []
    # hashed page by page as they come: the first batch of a query, which the loading waits for, is then
    # ready as soon as its last page is
    hashes: list[str] = []
    url = ""
    for page in client.iter_pages(attempt.params):
        url = page.url
        paging.pages += 1
        if paging.pages == 1:
            paging.total_count = page.total_count
        keys.extend(checks.check_records(page.studies, label=query.label, page=paging.pages, url=page.url))
        if not page.studies:
            paging.empty_pages += 1
        studies.extend(page.studies)
        hashes.extend(loading.content_hash(raw) for raw in page.studies)
        # a few pages per transaction: fewer commits, and a buffer that does not grow with the corpus
        if len(studies) >= LOAD_BATCH:
            batch = loading.Batch(query.key, loading.page_frame(studies, url, keys, hashes), url)
            # the records' bytes are in the frame now: not held twice while the batch waits for the loader
            studies, keys, hashes = [], [], []
            yield batch
    if studies:
        yield loading.Batch(query.key, loading.page_frame(studies, url, keys, hashes), url)


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
