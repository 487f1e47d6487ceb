"""One refresh, end to end: /version gate → fetch every scope query → load → commit → publish."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx

from tracker import __version__, checks, db, files, publish, recovery, store
from tracker.config import Settings
from tracker.ctgov import CtGov
from tracker.errors import Cancelled, CorruptDatabase, DatabaseError, DiskFull, ReconciliationError, TrackerError
from tracker.scope import ScopeQuery

log = logging.getLogger(__name__)

RECONCILE_ATTEMPTS = 2  # a query whose count does not add up is asked once more before the run fails
LOAD_BATCH = 4000  # studies per load transaction: about 60 MB of JSON at CT.gov's 15 KB mean


class Reporter(Protocol):
    """What a refresh tells its caller as it goes (the CLI draws a progress bar from it)."""

    def query_started(self, query: ScopeQuery, index: int, total: int, since: date | None) -> None: ...

    def page_loaded(self, query: ScopeQuery, received: int, total_count: int | None) -> None: ...

    def query_finished(self, query: ScopeQuery, stats: dict[str, Any]) -> None: ...


class LogReporter:
    """Quiet, one line per query: for daemons, pipes and CI logs."""

    def query_started(self, query: ScopeQuery, index: int, total: int, since: date | None) -> None:
        window = f" since {since}" if since else ""
        log.debug("query %d/%d %s%s", index, total, query.label, window)

    def page_loaded(self, query: ScopeQuery, received: int, total_count: int | None) -> None:
        pass

    def query_finished(self, query: ScopeQuery, stats: dict[str, Any]) -> None:
        log.info("%s: %d studies (%s of %s), %d page(s)", query.label, stats["distinct"], stats["mode"],
                 stats["total_count"], stats["pages"])


@dataclass
class RefreshResult:
    run_id: int
    status: str  # succeeded | skipped | failed
    mode: str
    trigger: str = "cli"
    started_at: datetime | None = None
    api_version: str | None = None
    dirty: bool = False  # the working database received data: a failure restores it from the published file
    requests: int = 0
    studies_fetched: int = 0
    studies_new: int = 0
    studies_changed: int = 0
    studies_unchanged: int = 0
    studies_left_scope: int = 0
    data_timestamp: str | None = None
    error: str | None = None
    queries: list[dict[str, Any]] = field(default_factory=list)
    changes_sent: int = 0  # changes of this run in the feed (at or above TRACKER_FEED_SEVERITY)
    # wall seconds by stage: fetch (HTTP and decoding), load (versions and normalized tables),
    # classify, publish; the benchmark reports them
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("fetch", "load", "classify",
                                                                                   "publish"), 0.0))

    def summary(self) -> str:
        if self.status == "skipped":
            return f"run {self.run_id}: CT.gov data unchanged since the last run ({self.data_timestamp}); nothing to do"
        if self.status == "failed":
            return f"run {self.run_id} failed, previous data kept: {self.error}"
        return (
            f"run {self.run_id} ({self.mode}): {self.studies_fetched} studies received, {self.studies_new} new, "
            f"{self.studies_changed} changed, {self.studies_left_scope} left the scope; "
            f"{self.requests} requests; data as of {self.data_timestamp}"
        )


# the classification and change-detection steps: (connection, nct ids whose content changed or None for
# all, run id) -> seconds by stage
PostLoadHook = Callable[[db.Connection, frozenset[str] | None, int], dict[str, float] | None]


def run_refresh(
    settings: Settings,
    scope: Sequence[ScopeQuery],
    *,
    full: bool = False,
    trigger: str = "cli",
    transport: httpx.BaseTransport | None = None,
    reporter: Reporter | None = None,
    post_load: PostLoadHook | None = None,
    cancel: threading.Event | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    allow_scope_drop: bool = False,
) -> RefreshResult:
    """Refresh the working database from CT.gov and publish it; a failure leaves published data as it was.

    A full run that would take more than checks.SCOPE_DROP_SHARE of the trials in scope out of it fails
    unless `allow_scope_drop` confirms it.
    """
    reporter = reporter or LogReporter()
    settings = recovery.resolved(settings)
    with recovery.refresh_lock(settings):
        has_published = recovery.recover(settings, now)
        try:
            with db.writer(settings.work_path, memory_limit=settings.memory_limit) as con:
                result = _run(settings, scope, con, full=full, trigger=trigger, transport=transport,
                              reporter=reporter, post_load=post_load, cancel=cancel, now=now,
                              allow_scope_drop=allow_scope_drop)
                db.checkpoint(con)
            if result.status == "failed" and result.dirty:
                # pages were committed as they came: the run is undone by going back to the published file
                recovery.restore(settings, [_failed_row(result, now)], has_published)
        except Exception:
            # a run that could not finish, nor record that it failed, leaves nothing that could be published
            recovery.discard_quietly(settings)
            raise
        started = time.perf_counter()
        publish.publish(settings.work_path, settings.db_path)
        result.timings["publish"] = time.perf_counter() - started
    if result.status in ("succeeded", "skipped"):
        from tracker.changes.notify import after_refresh

        result.changes_sent = after_refresh(settings, result.run_id)
    return result


T = TypeVar("T")


def _failed_row(result: RefreshResult, now: Callable[[], datetime]) -> dict[str, Any]:
    return {"run_id": result.run_id, "started_at": result.started_at, "finished_at": now(), "status": "failed",
            "mode": result.mode, "trigger": result.trigger, "api_version": result.api_version,
            "data_timestamp": result.data_timestamp, "requests": result.requests, "error": result.error,
            "tracker_version": __version__}


def run_locked(settings: Settings, work: Callable[[db.Connection], T]) -> T:
    """Run `work` in one transaction on the working database under the refresh lock, then publish."""
    settings = recovery.resolved(settings)
    with recovery.refresh_lock(settings):
        recovery.recover(settings)
        try:
            with db.writer(settings.work_path, memory_limit=settings.memory_limit) as con:
                store.prepare(con)
                with db.transaction(con):
                    value = work(con)
                    store.build_marts(con)
                db.checkpoint(con)
        except Exception:
            recovery.discard_quietly(settings)
            raise
        publish.publish(settings.work_path, settings.db_path)
        return value


def _run(settings: Settings, scope: Sequence[ScopeQuery], con: db.Connection, *, full: bool, trigger: str,
         transport: httpx.BaseTransport | None, reporter: Reporter, post_load: PostLoadHook | None,
         cancel: threading.Event | None, now: Callable[[], datetime], allow_scope_drop: bool) -> RefreshResult:
    store.prepare(con)
    mode = "full" if full or _full_due(con, settings, now()) else "incremental"
    started_at = now()
    run_id = store.start_run(con, mode=mode, trigger=trigger, now=started_at)
    result = RefreshResult(run_id=run_id, status="running", mode=mode, trigger=trigger, started_at=started_at)
    client = CtGov(settings, transport=transport, cancel=cancel)
    try:
        with client:
            _fetch_and_load(settings, scope, con, client, result, reporter, post_load, now, allow_scope_drop)
    except Exception as exc:
        error = _as_tracker_error(exc, settings.work_path)
        if isinstance(error, CorruptDatabase):
            # the working copy is the published file's copy: its damage is the published file's, and a run
            # recorded in it would only rewrite a file the user must restore
            raise db.error_for(exc, settings.db_path) from None
        _fail(con, settings, result, client.requests, str(error or f"{type(exc).__name__}: {exc}"), now)
        if error is None:
            raise
    return result


def _as_tracker_error(exc: Exception, work_path: Path) -> TrackerError | None:
    """What a run failed of, as the one line its record and the CLI show; None for a bug."""
    if isinstance(exc, TrackerError):
        return exc
    if isinstance(exc, OSError):
        return files.write_error(exc, exc.filename or work_path, doing="use", outcome="")
    if db.is_duckdb_error(exc):
        return db.error_for(exc, work_path, doing="write", outcome="")
    return None


def _fetch_and_load(settings: Settings, scope: Sequence[ScopeQuery], con: db.Connection, client: CtGov,
                    result: RefreshResult, reporter: Reporter, post_load: PostLoadHook | None,
                    now: Callable[[], datetime], allow_scope_drop: bool) -> None:
    version = client.fetch_version()
    result.data_timestamp = version.data_timestamp
    result.api_version = version.api_version
    con.execute("update meta.refresh_runs set api_version = ?, data_timestamp = ? where run_id = ?",
                [version.api_version, version.data_timestamp, result.run_id])
    known = store.known_query_keys(con)
    todo = list(scope)
    if result.mode == "incremental":
        previous = store.last_run(con, status="succeeded")
        unchanged = (previous is not None and version.data_timestamp is not None
                     and previous["data_timestamp"] == version.data_timestamp)
        if unchanged:
            # nothing was posted since the last run: only queries never run before need asking
            todo = [q for q in scope if q.key not in known]
            if not todo:
                result.status = "skipped"
                result.requests = client.requests
                with db.transaction(con):
                    if post_load is not None:
                        # no new data, but an edited catalogue still relabels what is stored; the stages
                        # read this run's (empty) run_seen
                        store.begin_loading(con)
                        post_load(con, frozenset(), result.run_id)
                    store.build_marts(con)
                    store.finish_run(con, result.run_id, status="skipped", now=now(),
                                     values={"requests": client.requests})
                return
    store.begin_loading(con)
    in_scope_before: int = db.scalar(con, "select count(*) from raw.studies where is_in_scope")
    # windows are fixed before anything loads: studies this run stores must not move a later query's window
    windows = store.query_windows(con, settings.overlap_days) if result.mode == "incremental" else {}
    for index, query in enumerate(todo, start=1):
        since = windows.get(query.key) if query.key in known else None
        if client.cancel is not None and client.cancel.is_set():
            raise Cancelled("refresh cancelled by shutdown; nothing it fetched was kept")
        stats = _fetch_query(con, client, query, since, result, index, len(todo), reporter, now)
        with db.transaction(con):
            store.record_query(con, run_id=result.run_id, query=query, mode=stats["mode"], since=since,
                               stats=stats)
        result.queries.append(stats)
        reporter.query_finished(query, stats)
    with db.transaction(con):
        left = 0
        if result.mode == "full":
            left = store.close_full_scope(con, run_id=result.run_id, now=now())
            checks.check_scope_drop(left, in_scope_before, allowed=allow_scope_drop)
            store.deactivate_other_queries(con, [q.key for q in scope])
        counts = store.run_counts(con)
        if post_load is not None:
            changed = frozenset(r[0] for r in con.execute(
                "select nct_id from run_seen where outcome <> 'unchanged'").fetchall())
            started = time.perf_counter()
            stages = post_load(con, changed if result.mode == "incremental" else None, result.run_id)
            result.timings["classify"] = time.perf_counter() - started
            result.timings.update(stages or {})
        store.build_marts(con)
        result.status = "succeeded"
        result.requests = client.requests
        result.studies_fetched = counts.fetched
        result.studies_new = counts.new
        result.studies_changed = counts.changed
        result.studies_unchanged = counts.unchanged
        result.studies_left_scope = left
        store.finish_run(con, result.run_id, status="succeeded", now=now(), values={
            "requests": client.requests,
            "rows_received": sum(q["rows"] for q in result.queries),
            "studies_fetched": counts.fetched,
            "studies_new": counts.new,
            "studies_changed": counts.changed,
            "studies_unchanged": counts.unchanged,
            "studies_left_scope": left,
            "studies_reentered_scope": counts.reentered,
            "queries": len(todo),
        })


def _fetch_query(con: db.Connection, client: CtGov, query: ScopeQuery, since: date | None, result: RefreshResult,
                 index: int, total: int, reporter: Reporter, now: Callable[[], datetime]) -> dict[str, Any]:
    params = query.params_dict()
    if since is not None:
        window = f"AREA[LastUpdatePostDate]RANGE[{since.isoformat()},MAX]"
        params["filter.advanced"] = f"({params['filter.advanced']}) AND {window}" \
            if "filter.advanced" in params else window
    reporter.query_started(query, index, total, since)
    requests_before = client.requests
    for attempt in range(1, RECONCILE_ATTEMPTS + 1):
        pages, empty, rows, ids, total_count = _fetch_attempt(con, client, query, params, result, reporter, now)
        notes = []
        if rows > len(ids):
            notes.append(f"{rows - len(ids)} duplicate row(s) across pages")
        if query.is_id_list:
            requested = set(query.params_dict()["filter.ids"].split(","))
            missing = requested - ids
            if missing:
                aliases = _aliases_of(con, ids)
                missing -= aliases
                if missing:
                    notes.append(f"{len(missing)} requested id(s) not returned: {', '.join(sorted(missing)[:10])}")
        stats = {
            "query_key": query.key, "label": query.label, "mode": "incremental" if since else "full",
            "since": since, "attempts": attempt, "pages": pages, "empty_pages": empty,
            "requests": client.requests - requests_before, "rows": rows, "distinct": len(ids),
            "total_count": total_count, "reconciled": None if total_count is None else len(ids) == total_count,
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


def _fetch_attempt(con: db.Connection, client: CtGov, query: ScopeQuery, params: dict[str, str],
                   result: RefreshResult, reporter: Reporter,
                   now: Callable[[], datetime]) -> tuple[int, int, int, set[str], int | None]:
    """Page one query to its end, loading a few pages per transaction: (pages, empty pages, rows, ids, total)."""
    pages = empty = rows = 0
    total_count: int | None = None
    ids: set[str] = set()
    buffer: list[bytes] = []
    url = ""

    def flush() -> None:
        nonlocal rows
        started = time.perf_counter()
        with db.transaction(con):
            loaded = store.load_page(con, run_id=result.run_id, query_key=query.key, studies=buffer, now=now(),
                                     url=url)
        result.dirty = True
        rows += loaded.rows
        ids.update(loaded.nct_ids)
        buffer.clear()
        result.timings["load"] += time.perf_counter() - started
        reporter.page_loaded(query, len(ids), total_count)

    fetch_started = time.perf_counter()
    for page in client.iter_pages(params):
        result.timings["fetch"] += time.perf_counter() - fetch_started
        pages += 1
        url = page.url
        if pages == 1:
            total_count = page.total_count
        checks.check_records(page.studies, label=query.label, page=pages, url=page.url)
        if not page.studies:
            empty += 1
        buffer.extend(page.studies)
        # a few pages per transaction: fewer commits, and a buffer that does not grow with the corpus
        if len(buffer) >= LOAD_BATCH:
            flush()
        fetch_started = time.perf_counter()
    if buffer:
        flush()
    return pages, empty, rows, ids, total_count


def _aliases_of(con: db.Connection, ids: set[str]) -> set[str]:
    if not ids:
        return set()
    rows = con.execute(
        "select unnest(nct_id_aliases) from core.trials where list_contains(?, nct_id)", [sorted(ids)]
    ).fetchall()
    return {r[0] for r in rows}


def _full_due(con: db.Connection, settings: Settings, now: datetime) -> bool:
    last_full = store.last_run(con, status="succeeded", mode="full")
    if last_full is None:
        return True
    started: datetime = last_full["started_at"]
    return now - started > timedelta(days=settings.full_every_days)


def _fail(con: db.Connection, settings: Settings, result: RefreshResult, requests: int, message: str,
          now: Callable[[], datetime]) -> None:
    result.status = "failed"
    result.error = message
    result.requests = requests
    log.error("run %d failed: %s", result.run_id, message)
    try:
        store.finish_run(con, result.run_id, status="failed", now=now(), error=message,
                         values={"requests": requests})
    except Exception as exc:
        if not db.is_duckdb_error(exc):
            raise
        error = db.error_for(exc, settings.work_path, doing="record the failed run in")
        if isinstance(error, DiskFull):
            raise error from None
        raise DatabaseError(f"run {result.run_id} failed ({message}) and could not be recorded: {error}; "
                            f"{files.UNCHANGED}") from None
