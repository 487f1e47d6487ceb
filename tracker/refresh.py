"""One refresh as a pipeline of stages, on a private working copy that is published at the end.

`run_pipeline` names the stages in order:

    plan            /version gate and date windows                      (runs.py: meta.*)
    fetch           CT.gov pages of each scope query, a few at a time   (ingest.py)
    load            raw versions of what changed                         (loading.py, sql/load/)
    normalize       core rows of the new versions                        (loading.py, sql/normalize/)
    classify        agents, mechanisms and indications                   (landscape.py, early_labels.py)
    detect changes  snapshots, compared and rated                        (changes/stage.py)

and `run_refresh` publishes what they leave (publish.py), under the lock and recovery of recovery.py.
Fetch runs in its own thread one batch ahead of load and normalize (ingest.fetch), so the network and
DuckDB work at once; batches are bounded, so memory does not grow with the corpus. Each batch's new
versions are labelled in a third thread while the next batch loads (early_labels.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker import __version__, checks, db, files, ingest, landscape, loading, publish, recovery, runs, schema
from tracker.changes.rules import Rules, load_rules
from tracker.changes.stage import StageResult, run_stage, stored_snapshots
from tracker.config import Settings, refresh_memory_limit
from tracker.ctgov import CtGov
from tracker.early_labels import EarlyLabels
from tracker.errors import Cancelled, CorruptDatabase, DatabaseError, DiskFull, TrackerError
from tracker.reporting import LogReporter, RefreshResult, Reporter
from tracker.scope import ScopeQuery
from tracker.versions import CurrentSnapshots

if TYPE_CHECKING:
    import httpx

# RefreshResult and Reporter (reporting.py) are the refresh's own types: its callers import them from here
__all__ = ["Labelling", "Pipeline", "Plan", "RefreshResult", "Reporter", "Run", "Stored", "classify", "close_scope",
           "detect_changes", "plan_queries", "run_pipeline", "run_refresh"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Labelling:
    """What the classify and detect-changes stages read: the catalogue and the severity rules."""

    domain: landscape.Domain
    rules: Rules

    @classmethod
    def load(cls, settings: Settings) -> Labelling:
        return cls(landscape.Domain.load(settings.catalogue_file), load_rules(settings.severity_file))


@dataclass(frozen=True)
class Plan:
    """The plan stage's output: the queries to ask, each one's date window, the scope before the run."""

    queries: list[ScopeQuery]
    windows: dict[str, date]  # query key -> lower bound of LastUpdatePostDate; absent: the whole query
    in_scope_before: int


@dataclass(frozen=True)
class Stored:
    """What the run stored once every query is in: the counts, and the trials classify must look at."""

    counts: runs.RunCounts
    left_scope: int
    changed: frozenset[str] | None  # None: every trial (a full run)


@dataclass
class Run:
    """One refresh as its stages see it: what was asked for, and the result they fill in."""

    settings: Settings
    scope: Sequence[ScopeQuery]
    labelling: Labelling
    reporter: Reporter
    now: Callable[[], datetime]
    allow_scope_drop: bool
    result: RefreshResult


# the stages between the run's start and its end: the scope queries (run_pipeline) or the registry scan
Pipeline = Callable[[db.Connection, CtGov, "Run"], None]


def run_refresh(
    settings: Settings,
    scope: Sequence[ScopeQuery],
    *,
    full: bool = False,
    trigger: str = "cli",
    transport: httpx.BaseTransport | None = None,
    reporter: Reporter | None = None,
    cancel: threading.Event | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    allow_scope_drop: bool = False,
    pipeline: Pipeline | None = None,
    mode: str | None = None,
) -> RefreshResult:
    """Refresh the working database from CT.gov and publish it; a failure leaves published data as it was.

    A full run that would take more than checks.SCOPE_DROP_SHARE of the trials in scope out of it fails
    unless `allow_scope_drop` confirms it. `pipeline` and `mode` let another source of studies (the
    registry scan's archive) run under the same lock, working copy, run bookkeeping and publish.
    """
    reporter = reporter or LogReporter()
    labelling = Labelling.load(settings)
    settings = recovery.resolved(settings)
    with recovery.refresh_lock(settings):
        has_published = recovery.recover(settings, now)
        try:
            with db.writer(settings.work_path, memory_limit=refresh_memory_limit(settings.memory_limit)) as con:
                run = _start(con, settings, scope, labelling, full=full, trigger=trigger, reporter=reporter,
                             now=now, allow_scope_drop=allow_scope_drop, mode=mode)
                _run(con, run, CtGov(settings, transport=transport, cancel=cancel), pipeline or run_pipeline)
                db.checkpoint(con)
            result = run.result
            if result.status == "failed" and result.dirty:
                # pages were committed as they came: the run is undone by going back to the published file
                recovery.restore(settings, [_failed_row(result, now)], has_published)
        except Exception:
            # a run that could not finish, nor record that it failed, leaves nothing that could be published
            recovery.discard_quietly(settings)
            raise
        with _timed(result.timings, "publish"):
            publish.publish(settings.work_path, settings.db_path)
    if result.status in ("succeeded", "skipped"):
        from tracker.changes.notify import after_refresh

        result.changes_sent = after_refresh(settings, result.run_id)
    return result


def run_pipeline(con: db.Connection, client: CtGov, run: Run) -> None:
    """The stages of one refresh in order, on the working database; run_refresh then publishes.

    Fetch (in its own thread, a batch ahead), load raw versions and normalize go a batch of pages at a
    time, each batch in its own transaction; classify and detect changes run once every query is in, in
    the transaction that ends the run.
    """
    plan = plan_queries(con, client, run)
    if plan is None:
        return _skip(con, client, run)
    loading.begin(con)
    timings = run.result.timings
    early = EarlyLabels(run.labelling.domain, con)
    try:
        with db.one_thread(con):
            for index, query in enumerate(plan.queries, start=1):
                _load_query(con, client, run, query, (index, len(plan.queries)), plan.windows.get(query.key), early)
        early.flush()
        with db.transaction(con):
            stored = close_scope(con, run, plan)
            # the snapshots' record part reads no label: built while the last batches are still classified
            with _timed(timings, "changes"):
                snapshots = stored_snapshots(con)
                snapshots.prepare()
            classify(con, run, stored.changed, early)
            detect_changes(con, run, snapshots)
            schema.build_marts(con)
            _finish(con, client, run, plan, stored)
    finally:
        early.close()


def _load_query(con: db.Connection, client: CtGov, run: Run, query: ScopeQuery, position: tuple[int, int],
                since: date | None, early: EarlyLabels) -> None:
    """Fetch one scope query and load it a batch at a time (asked again when its count does not add up)."""
    _start_query(client, run, query, since, *position)
    for attempt in ingest.attempts(con, client, query, since):
        # closing: a failed load ends the fetching thread now, not when the generator is collected
        with closing(ingest.fetch(client, query, attempt, run.result.timings)) as batches:
            for batch in batches:
                _load(con, run, query, attempt, batch, early)
    _record_query(con, run, query, since, attempt.stats)


def _load(con: db.Connection, run: Run, query: ScopeQuery, attempt: ingest.Attempt, batch: loading.Batch,
          early: EarlyLabels) -> None:
    """Load raw versions and normalize one batch, in a transaction of its own; its new versions go to be labelled."""
    with _timed(run.result.timings, "load"):
        with db.transaction(con), loading.incoming(con, batch) as frame:
            loaded = loading.load_raw_versions(con, frame, run_id=run.result.run_id, query_key=query.key,
                                               now=run.now())
            loading.normalize(con, loaded)
        attempt.add(loaded)
        run.result.dirty = True
        if loaded.changed:
            # committed: the labelling thread reads it. The query's last batch is left alone for the run's
            # tail: the one before it does not wait there with it
            early.submit(loaded.changed_ids, flush=attempt.one_batch_left())
    run.reporter.page_loaded(query, len(attempt.ids), attempt.paging.total_count)


def plan_queries(con: db.Connection, client: CtGov, run: Run) -> Plan | None:
    """Ask /version; the queries to run and their windows, or None when CT.gov posted nothing to ask for."""
    result = run.result
    version = client.fetch_version()
    result.data_timestamp = version.data_timestamp
    result.api_version = version.api_version
    runs.record_api_version(con, result.run_id, api_version=version.api_version,
                            data_timestamp=version.data_timestamp)
    known = runs.known_query_keys(con)
    todo = list(run.scope)
    if result.mode == "incremental":
        previous = runs.last_run(con, status="succeeded")
        if (previous is not None and version.data_timestamp is not None
                and previous["data_timestamp"] == version.data_timestamp):
            # nothing was posted since the last run: only queries never run before need asking
            todo = [q for q in run.scope if q.key not in known]
            if not todo:
                return None
    in_scope_before: int = db.scalar(con, "select count(*) from raw.studies where is_in_scope")
    # windows are fixed before anything loads: studies this run stores must not move a later query's window
    windows = runs.query_windows(con, run.settings.overlap_days) if result.mode == "incremental" else {}
    return Plan(todo, {key: since for key, since in windows.items() if key in known}, in_scope_before)


def close_scope(con: db.Connection, run: Run, plan: Plan) -> Stored:
    """After a full run, mark what no query returned as out of scope; count what the run stored."""
    left = 0
    if run.result.mode == "full":
        left = loading.close_full_scope(con, run_id=run.result.run_id, now=run.now())
        checks.check_scope_drop(left, plan.in_scope_before, allowed=run.allow_scope_drop)
        runs.deactivate_other_queries(con, [q.key for q in run.scope])
    counts = runs.run_counts(con)
    rows = con.execute("select nct_id from run_seen where outcome <> 'unchanged'").fetchall()
    changed = frozenset(r[0] for r in rows)
    return Stored(counts, left, changed if run.result.mode == "incremental" else None)


def classify(con: db.Connection, run: Run, changed: frozenset[str] | None,
             early: EarlyLabels | None = None) -> landscape.ClassifyResult:
    """Label the given trials (every one when None, or when the catalogue changed since the last run).

    `early`: the labels computed while the run loaded, for the trials whose content it changed.
    """
    with _timed(run.result.timings, "labels"):
        computed = early.result() if early is not None else None
        return landscape.classify_stage(con, run.labelling.domain, changed, run_id=run.result.run_id,
                                        now=run.now(), computed=computed)


def detect_changes(con: db.Connection, run: Run, stored: CurrentSnapshots | None = None) -> StageResult:
    """Snapshot what the run stored, compare each new version with the one before, rate the changes.

    `stored`: the snapshots of what the run stored, when their record part was prepared already.
    """
    with _timed(run.result.timings, "changes"):
        staged = run_stage(con, run.labelling.domain, run.labelling.rules, run_id=run.result.run_id,
                           now=run.now(), overlap_days=run.settings.overlap_days, stored=stored)
    log.info("%d version(s) snapshotted, %d change(s) detected", staged.snapshots, staged.changes)
    return staged


def _start(con: db.Connection, settings: Settings, scope: Sequence[ScopeQuery], labelling: Labelling, *,
           full: bool, trigger: str, reporter: Reporter, now: Callable[[], datetime],
           allow_scope_drop: bool, mode: str | None) -> Run:
    with db.transaction(con):  # one commit for the schema's hundred statements
        schema.prepare(con)
    mode = mode or ("full" if full or _full_due(con, settings, now()) else "incremental")
    started_at = now()
    run_id = runs.start_run(con, mode=mode, trigger=trigger, now=started_at)
    result = RefreshResult(run_id=run_id, status="running", mode=mode, trigger=trigger, started_at=started_at)
    return Run(settings, scope, labelling, reporter, now, allow_scope_drop, result)


def _run(con: db.Connection, run: Run, client: CtGov, pipeline: Pipeline) -> None:
    """Run the pipeline; a failure is recorded in the run's row, a bug is recorded and raised."""
    try:
        with client:
            pipeline(con, client, run)
    except Exception as exc:
        error = _as_tracker_error(exc, run.settings.work_path)
        if isinstance(error, CorruptDatabase):
            # the working copy is the published file's copy: its damage is the published file's, and a run
            # recorded in it would only rewrite a file the user must restore
            raise db.error_for(exc, run.settings.db_path) from None
        _fail(con, run, client.requests, str(error or f"{type(exc).__name__}: {exc}"))
        if error is None:
            raise


def _skip(con: db.Connection, client: CtGov, run: Run) -> None:
    """No new data, but an edited catalogue still relabels what is stored (from this run's empty run_seen)."""
    result = run.result
    result.status = "skipped"
    result.requests = client.requests
    with db.transaction(con):
        loading.begin(con)
        classify(con, run, frozenset())
        detect_changes(con, run)
        schema.build_marts(con)
        runs.finish_run(con, result.run_id, status="skipped", now=run.now(), values={"requests": client.requests})


def _start_query(client: CtGov, run: Run, query: ScopeQuery, since: date | None, index: int, total: int) -> None:
    if client.cancel is not None and client.cancel.is_set():
        raise Cancelled("refresh cancelled by shutdown; nothing it fetched was kept")
    run.reporter.query_started(query, index, total, since)


def _record_query(con: db.Connection, run: Run, query: ScopeQuery, since: date | None,
                  stats: dict[str, Any]) -> None:
    with db.transaction(con):
        runs.record_query(con, run_id=run.result.run_id, query=query, mode=stats["mode"], since=since, stats=stats)
    run.result.queries.append(stats)
    run.reporter.query_finished(query, stats)


def _finish(con: db.Connection, client: CtGov, run: Run, plan: Plan, stored: Stored) -> None:
    result, counts = run.result, stored.counts
    result.timings["classify"] = result.timings.get("labels", 0.0) + result.timings.get("changes", 0.0)
    result.status = "succeeded"
    result.requests = client.requests
    result.studies_fetched = counts.fetched
    result.studies_new = counts.new
    result.studies_changed = counts.changed
    result.studies_unchanged = counts.unchanged
    result.studies_left_scope = stored.left_scope
    runs.finish_run(con, result.run_id, status="succeeded", now=run.now(), values={
        "requests": client.requests,
        "rows_received": sum(q["rows"] for q in result.queries),
        "studies_fetched": counts.fetched,
        "studies_new": counts.new,
        "studies_changed": counts.changed,
        "studies_unchanged": counts.unchanged,
        "studies_left_scope": stored.left_scope,
        "studies_reentered_scope": counts.reentered,
        "queries": len(plan.queries),
    })


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - started


def _failed_row(result: RefreshResult, now: Callable[[], datetime]) -> dict[str, Any]:
    return {"run_id": result.run_id, "started_at": result.started_at, "finished_at": now(), "status": "failed",
            "mode": result.mode, "trigger": result.trigger, "api_version": result.api_version,
            "data_timestamp": result.data_timestamp, "requests": result.requests, "error": result.error,
            "tracker_version": __version__}


def _as_tracker_error(exc: Exception, work_path: Path) -> TrackerError | None:
    """What a run failed of, as the one line its record and the CLI show; None for a bug."""
    if isinstance(exc, TrackerError):
        return exc
    if isinstance(exc, OSError):
        return files.write_error(exc, exc.filename or work_path, doing="use", outcome="")
    if db.is_duckdb_error(exc):
        return db.error_for(exc, work_path, doing="write", outcome="")
    return None


def _full_due(con: db.Connection, settings: Settings, now: datetime) -> bool:
    last_full = runs.last_run(con, status="succeeded", mode="full")
    if last_full is None:
        return True
    started: datetime = last_full["started_at"]
    return now - started > timedelta(days=settings.full_every_days)


def _fail(con: db.Connection, run: Run, requests: int, message: str) -> None:
    result = run.result
    result.status = "failed"
    result.error = message
    result.requests = requests
    log.error("run %d failed: %s", result.run_id, message)
    try:
        runs.finish_run(con, result.run_id, status="failed", now=run.now(), error=message,
                        values={"requests": requests})
    except Exception as exc:
        if not db.is_duckdb_error(exc):
            raise
        error = db.error_for(exc, run.settings.work_path, doing="record the failed run in")
        if isinstance(error, DiskFull):
            raise error from None
        raise DatabaseError(f"run {result.run_id} failed ({message}) and could not be recorded: {error}; "
                            f"{files.UNCHANGED}") from None
