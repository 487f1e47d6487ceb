"""History backfill: the past versions of a trial from CT.gov's own record history.

The public API v2 serves only a study's current version. The website's history endpoints
(TRACKER_CTGOV_HISTORY_URL, see ctgov-history.md) serve every version CT.gov kept. A backfill stores
the versions older than the oldest one a refresh fetched, as versions with source = 'history', then
snapshots and compares them exactly as a refresh would have, so the change feed, slips and time travel
reach back before the tracker's first refresh. The endpoints are undocumented: a trial whose history
cannot be read (404, 403, another shape) is skipped with its reason, never a failed run.

Resumable and bounded: a trial done is not asked again, a run publishes what it has every few minutes
(a kill loses at most that), and each trial costs one index request plus one request per missing
version, under the same throttle as refreshes.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import polars as pl

from tracker import db, versions
from tracker.changes.rules import Rules, load_rules
from tracker.changes.stage import detect, rate_and_store
from tracker.config import Settings
from tracker.ctgov import CtGov, study_keys
from tracker.errors import Cancelled, CtGovBadRequest, CtGovError, CtGovUnavailable
from tracker.landscape import Domain

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

PUBLISH_EVERY_SECONDS = 120.0


@dataclass
class BackfillResult:
    run_id: int
    trials_done: int = 0
    versions_stored: int = 0
    changes: int = 0
    requests: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # nct_id → why

    def summary(self) -> str:
        text = (f"history run {self.run_id}: {self.trials_done} trial(s) backfilled, {self.versions_stored} past "
                f"version(s) stored, {self.changes} change(s) found; {self.requests} requests")
        if self.skipped:
            text += f"; {len(self.skipped)} skipped"
        return text


def pending_landscape(con: db.Connection, limit: int) -> list[str]:
    """Landscape trials whose history was never read: NK-specific first, then by phase, newest first."""
    rows = con.execute("""
        select t.nct_id from main.trials as t
        where t.in_landscape
          and not exists (select 1 from meta.history_backfill b where b.nct_id = t.nct_id and b.status = 'done')
        order by t.has_nk_specific_agent desc, t.phase_rank desc nulls last, t.last_update_post_date desc, t.nct_id
        limit ?
    """, [limit]).fetchall()
    return [r[0] for r in rows]


def backfill(settings: Settings, nct_ids: Sequence[str], *, con: db.Connection, run_id: int,
             transport: httpx.BaseTransport | None = None, cancel: threading.Event | None = None,
             publish_now: Callable[[], db.Connection] | None = None, redo: bool = False) -> BackfillResult:
    """Backfill the history of each trial in turn, on the working database `con`."""
    domain = Domain.load(settings.catalogue_file)
    rules = load_rules(settings.severity_file)
    result = BackfillResult(run_id)
    last_publish = time.monotonic()
    with CtGov(settings, transport=transport, cancel=cancel) as client:
        for nct_id in nct_ids:
            if cancel is not None and cancel.is_set():
                raise Cancelled("history backfill cancelled by shutdown; trials done so far are kept")
            if not redo and _done(con, nct_id):
                continue
            try:
                stored = _one_trial(con, client, domain, rules, nct_id, result)
            except (CtGovBadRequest, CtGovUnavailable):
                raise
            except CtGovError as exc:
                result.skipped[nct_id] = str(exc)
                log.warning("history of %s skipped: %s", nct_id, exc)
                _record(con, nct_id, "skipped", 0, 0, str(exc))
                continue
            result.trials_done += 1
            result.versions_stored += stored
            result.requests = client.requests
            if publish_now is not None and time.monotonic() - last_publish > PUBLISH_EVERY_SECONDS:
                con = publish_now()
                last_publish = time.monotonic()
        result.requests = client.requests
    return result


def _one_trial(con: db.Connection, client: CtGov, domain: Domain, rules: Rules, nct_id: str,
               result: BackfillResult) -> int:
    """Fetch and store the versions CT.gov has of one trial that are older than what a refresh stored."""
    oldest = db.scalar(con, "select min(last_update_post_date) from raw.study_versions "
                            "where nct_id = ? and coalesce(source, 'refresh') = 'refresh'", [nct_id])
    if oldest is None:
        raise CtGovError(f"{nct_id} is not held by the tracker: refresh it first", url="")
    known = {r[0] for r in con.execute("select history_version from raw.study_versions where nct_id = ? "
                                       "and history_version is not null", [nct_id]).fetchall()}
    entries = client.fetch_history_index(nct_id)
    rows = []
    for entry in entries:
        if entry.version in known or (entry.submitted is not None and entry.submitted >= oldest.isoformat()):
            continue
        raw = client.fetch_history_version(nct_id, entry.version)
        keys = study_keys(raw)
        if keys.last_update_post_date is not None and keys.last_update_post_date >= oldest.isoformat():
            continue  # the version a refresh already holds (or a newer one), as the API sent it
        rows.append({"nct_id": nct_id, "history_version": entry.version, "submitted_date": entry.submitted,
                     "content_hash": hashlib.md5(raw).hexdigest(), "last_update_post_date": keys.last_update_post_date,
                     "last_update_post_date_type": keys.last_update_post_date_type, "payload": raw.decode("utf-8")})
    with db.transaction(con):
        if rows:
            _store_versions(con, rows, result.run_id)
            result.changes += _compare(con, domain, rules, result.run_id)
        _record(con, nct_id, "done", len(entries), len(rows), None)
    return len(rows)


def _store_versions(con: db.Connection, rows: list[dict[str, object]], run_id: int) -> None:
    frame = pl.DataFrame(rows, schema={"nct_id": pl.String, "history_version": pl.Int32, "submitted_date": pl.String,
                                       "content_hash": pl.String, "last_update_post_date": pl.String,
                                       "last_update_post_date_type": pl.String, "payload": pl.String})
    db.register(con, "history_rows", frame)
    try:
        con.execute("""
            create or replace temp table new_versions as
            select nextval('raw.version_id_seq') as version_id, * from history_rows
        """)
        con.execute("""
            insert into raw.study_versions (version_id, nct_id, content_hash, last_update_post_date,
                last_update_post_date_type, version_holder, fetched_at, run_id, payload, source, history_version,
                submitted_date)
            select version_id, nct_id, content_hash, core.partial_date(last_update_post_date),
                   last_update_post_date_type, null, ?, ?, payload, 'history', history_version,
                   try_cast(submitted_date as date)
            from new_versions
        """, [datetime.now(UTC), run_id])
        con.execute("update raw.studies set version_count = version_count + (select count(*) from new_versions) "
                    "where nct_id in (select nct_id from new_versions)")
    finally:
        db.unregister(con, "history_rows")


def _compare(con: db.Connection, domain: Domain, rules: Rules, run_id: int) -> int:
    """Snapshot the new past versions, then compare them and their neighbours as a refresh would have."""
    stored = db.fetch_frame(con, "select version_id, nct_id, 'history' as source from new_versions")
    versions.snapshot_past(con, domain, stored)
    con.execute("create or replace temp table new_versions as select version_id from new_versions")
    found = detect(con, rules, run_id=run_id, now=datetime.now(UTC), events=False)
    return found + _first_registration(con, rules, run_id)


def _first_registration(con: db.Connection, rules: Rules, run_id: int) -> int:
    """Version 0 of CT.gov's history is the registration itself: a new_trial, as a refresh would have seen it."""
    con.execute("""
        create or replace temp table detected as
        select s.nct_id, null::bigint as version_before, s.version_id as version_after, s.posted_date,
               'history' as source, 'new_trial' as field, null::varchar as old_value,
               s.overall_status::varchar as new_value, null::varchar as old_type, null::varchar as new_type,
               null::integer as shift_days, null::double as pct_change
        from versions.trial_snapshots as s
        join raw.study_versions as v using (version_id)
        where v.history_version = 0 and s.version_id in (select version_id from new_versions)
          and not exists (select 1 from versions.trial_changes c where c.nct_id = s.nct_id and c.field = 'new_trial')
    """)
    return rate_and_store(con, rules, run_id=run_id, now=datetime.now(UTC))


def _done(con: db.Connection, nct_id: str) -> bool:
    return bool(db.scalar(con, "select count(*) from meta.history_backfill where nct_id = ? and status = 'done'",
                          [nct_id]))


def _record(con: db.Connection, nct_id: str, status: str, listed: int, stored: int, note: str | None) -> None:
    con.execute("delete from meta.history_backfill where nct_id = ?", [nct_id])
    con.execute("insert into meta.history_backfill values (?, ?, ?, ?, ?, ?)",
                [nct_id, status, listed, stored, datetime.now(UTC), note])



def run_backfill(settings: Settings, nct_ids: Sequence[str] | None = None, *, landscape_limit: int = 0,
                 trigger: str = "cli", transport: httpx.BaseTransport | None = None,
                 cancel: threading.Event | None = None, redo: bool = False) -> BackfillResult:
    """A history run under the refresh lock: the given trials (or the next landscape trials), published.

    Each trial is committed on its own, and what is done is published every PUBLISH_EVERY_SECONDS, so
    what a failed or cancelled run did is kept.
    """
    from tracker import publish, recovery, runs, schema

    settings = recovery.resolved(settings)
    with recovery.refresh_lock(settings):
        recovery.recover(settings)
        current = [db.connect(settings.work_path, memory_limit=settings.memory_limit)]

        def publish_now() -> db.Connection:
            # publishing renames the working copy over the published file: the run goes on in a fresh copy
            schema.build_marts(current[0])
            db.checkpoint(current[0])
            current[0].close()
            publish.publish(settings.work_path, settings.db_path)
            publish.start_work_copy(settings.work_path, settings.db_path)
            current[0] = db.connect(settings.work_path, memory_limit=settings.memory_limit)
            return current[0]

        try:
            schema.prepare(current[0])
            run_id = runs.start_run(current[0], mode="history", trigger=trigger, now=datetime.now(UTC))
            ids = list(nct_ids) if nct_ids else pending_landscape(current[0], landscape_limit)
            outcome: BackfillResult | BaseException
            try:
                outcome = backfill(settings, ids, con=current[0], run_id=run_id, transport=transport,
                                   cancel=cancel, publish_now=publish_now, redo=redo)
            except (Exception, KeyboardInterrupt) as exc:
                outcome = exc
            _finish(current[0], run_id, outcome)
            current[0].close()
        except BaseException:
            current[0].close()
            recovery.discard_quietly(settings)
            raise
        publish.publish(settings.work_path, settings.db_path)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def _finish(con: db.Connection, run_id: int, outcome: BackfillResult | BaseException) -> None:
    from tracker import runs, schema

    now = datetime.now(UTC)
    if isinstance(outcome, BaseException):
        text = str(outcome).splitlines()[0] if str(outcome) else type(outcome).__name__
        runs.finish_run(con, run_id, status="failed", now=now, error=text)
    else:
        skipped = "; ".join(f"{k}: {v}" for k, v in list(outcome.skipped.items())[:5]) or None
        runs.finish_run(con, run_id, status="succeeded", now=now, error=skipped, values={
            "requests": outcome.requests, "studies_fetched": outcome.trials_done,
            "studies_changed": outcome.versions_stored})
    schema.build_marts(con)
    db.checkpoint(con)
