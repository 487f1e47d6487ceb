"""The change-detection stage: snapshot what a run stored, compare each new version with the one
before it, rate every change, and append the rows to versions.trial_changes.

Order within a refresh, after classification:
  1. a catalogue edit relabels every snapshot made with another catalogue; the labels that moved on
     each trial's current version are recorded as source = 'catalogue' changes;
  2. the versions this run stored (and, once, those of a database from before snapshots) are
     snapshotted;
  3. consecutive versions are compared over the fields of fields.toml, and the events the tracker
     derives itself (new_trial, entered_scope, left_scope) are added;
  4. each change gets its severity and reason from severity.toml.
The first successful run of a database is its baseline: it records no changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from tracker import db, versions
from tracker.changes.detect import COLUMNS, detected_sql
from tracker.changes.rules import Rules
from tracker.changes.severity import assess
from tracker.landscape import Domain

log = logging.getLogger(__name__)

# snapshot columns a change carries as its context: the trial's labels at the new version
CONTEXT_SQL = """
    select detected.*,
           after.primary_mechanism_class as mechanism_class,
           after.primary_target as target,
           core.phase_code(after.phases) as phase,
           core.phase_rank(after.phases) as phase_rank,
           coalesce(after.has_nk_specific_agent, false) as is_nk_specific
    from detected
    left join versions.trial_snapshots as after on after.version_id = detected.version_after
"""


STORED_SQL = "select nct_id from run_seen where outcome <> 'unchanged'"


@dataclass(frozen=True)
class StageResult:
    snapshots: int
    relabelled: int
    changes: int


def stored_snapshots(con: db.Connection) -> versions.CurrentSnapshots:
    """The snapshots of what this refresh stored (run_seen), to prepare before the labels are in."""
    return versions.CurrentSnapshots(con, db.fetch_frame(con, STORED_SQL))


def run_stage(con: db.Connection, domain: Domain, rules: Rules, *, run_id: int, now: datetime,
              overlap_days: int, stored: versions.CurrentSnapshots | None = None) -> StageResult:
    """Snapshot, compare and rate what this refresh stored (run_seen) and what a catalogue edit moved.

    `stored`: stored_snapshots(), prepared while the run was being classified.
    """
    baseline = _is_baseline(con, run_id)
    relabelled = relabel(con, domain, rules, run_id=run_id, now=now, record=not baseline)
    written = (stored or stored_snapshots(con)).write()
    # after this run's versions: before them, each of a first run's trials lacks a snapshot and would be
    # snapshotted twice
    migrated = _migrate(con, domain)
    con.execute("""
        create or replace temp table new_versions as
        select version_id from raw.studies where nct_id in (""" + STORED_SQL + """)
    """)
    if migrated.height:
        db.register(con, "migrated_versions", migrated.select("version_id"))
        con.execute("insert into new_versions select version_id from migrated_versions")
        db.unregister(con, "migrated_versions")
    count = 0
    if not baseline:
        since = _registrations_since(con, run_id, overlap_days)
        count = detect(con, rules, run_id=run_id, now=now, events=True, registered_since=since)
    return StageResult(snapshots=written + migrated.height, relabelled=relabelled, changes=count)


def detect(con: db.Connection, rules: Rules, *, run_id: int | None, now: datetime, events: bool,
           registered_since: str | None = None) -> int:
    """Compare every version in temp table new_versions with its neighbours in its trial's chain."""
    con.execute("""
        create or replace temp table change_pairs as
        with chain as (
            select nct_id, version_id, posted_date, source,
                   lag(version_id) over by_version as previous,
                   lag(source) over by_version as previous_source
            from versions.trial_snapshots
            where nct_id in (select s.nct_id from versions.trial_snapshots s
                             join new_versions using (version_id))
            window by_version as (partition by nct_id order by posted_date nulls first, version_id)
        )
        -- a pair with a version read from CT.gov's history is history, whichever side it is on
        select nct_id, previous as version_before, version_id as version_after, posted_date,
               case when 'history' in (source, previous_source) then 'history' else source end as source
        from chain
        where previous is not null
          and (version_id in (select version_id from new_versions) or previous in (select version_id from new_versions))
    """)
    # the pairs' snapshots first: some thirty field queries each joining the whole snapshot table twice ran
    # out of DuckDB's memory at 100,000 trials, for a run of 100 changes
    con.execute("""
        create or replace temp table pair_snapshots as
        select * from versions.trial_snapshots
        where version_id in (select version_before from change_pairs union select version_after from change_pairs)
    """)
    con.execute(detected_sql(rules.fields, before_table="pair_snapshots", after_table="pair_snapshots"))
    if events:
        _derive_events(con, run_id, registered_since)
    _drop_known(con)
    return rate_and_store(con, rules, run_id=run_id, now=now)


def relabel(con: db.Connection, domain: Domain, rules: Rules, *, run_id: int | None, now: datetime,
            record: bool) -> int:
    """Relabel snapshots made with another catalogue; record what moved on each trial's latest one."""
    stale = db.fetch_frame(con, """
        select version_id, nct_id, source from versions.trial_snapshots
        where catalogue_hash is distinct from ?
    """, [domain.hash])
    if stale.is_empty():
        return 0
    log.info("catalogue changed: relabelling %d stored version(s)", stale.height)
    # each trial's latest stale snapshot only: what the changes are recorded from (past versions are
    # relabelled in versions.snapshot_past, and a copy of them all would not fit in DuckDB's memory)
    con.execute("""
        create or replace temp table old_labels as
        select * from versions.trial_snapshots
        where catalogue_hash is distinct from ?
        qualify row_number() over (partition by nct_id order by posted_date desc nulls last, version_id desc) = 1
    """, [domain.hash])
    current = db.fetch_frame(con, "select nct_id, version_id from raw.studies")
    is_current = stale.join(current, on=["nct_id", "version_id"], how="semi")
    versions.snapshot_current(con, is_current.select("nct_id"))
    past = stale.join(current, on=["nct_id", "version_id"], how="anti")
    versions.snapshot_past(con, domain, past)
    if record:
        con.execute("""
            create or replace temp table change_pairs as
            select nct_id, version_id as version_before, version_id as version_after, posted_date,
                   'catalogue' as source
            from old_labels
            qualify row_number() over (partition by nct_id order by posted_date desc nulls last, version_id desc) = 1
        """)
        con.execute(detected_sql(rules.fields, before_table="old_labels", labels_only=True))
        rate_and_store(con, rules, run_id=run_id, now=now)
    return stale.height


def _migrate(con: db.Connection, domain: Domain) -> pl.DataFrame:
    """Snapshot the versions of a database from before snapshots; returns the past versions done."""
    missing = versions.missing_current(con)
    if missing.height:
        log.info("snapshotting %d current version(s) stored before snapshots existed", missing.height)
        versions.snapshot_current(con, missing)
    past = versions.missing_past(con)
    if past.height:
        log.info("snapshotting %d past version(s) stored before snapshots existed", past.height)
        versions.snapshot_past(con, domain, past)
    return past


def _is_baseline(con: db.Connection, run_id: int) -> bool:
    """The first successful run of a database records no changes: there is nothing to compare with."""
    earlier = db.scalar(con, "select count(*) from meta.refresh_runs where status = 'succeeded' and run_id < ?",
                        [run_id])
    return not earlier


def _registrations_since(con: db.Connection, run_id: int, overlap_days: int) -> str | None:
    """A trial first posted on or after this date, seen for the first time, is a new registration."""
    last = db.scalar(con, """
        select max(try_cast(left(data_timestamp, 10) as date)) from meta.refresh_runs
        where status = 'succeeded' and run_id < ?
    """, [run_id])
    return None if last is None else (last - timedelta(days=overlap_days)).isoformat()


def _derive_events(con: db.Connection, run_id: int | None, registered_since: str | None) -> None:
    """new_trial, entered_scope and left_scope: what the tracker knows about a trial besides its fields."""
    con.execute("""
        insert into detected by name
        with first_seen as (
            select seen.nct_id, seen.outcome, seen.was_in_scope, snap.version_id, snap.posted_date,
                   snap.study_first_post_date, snap.overall_status
            from run_seen as seen
            join raw.studies as studies using (nct_id)
            join versions.trial_snapshots as snap on snap.version_id = studies.version_id
            where seen.outcome = 'new' or seen.was_in_scope = false
        )
        select nct_id, null::bigint as version_before, version_id as version_after, posted_date,
               'refresh' as source,
               case when outcome = 'new' and study_first_post_date >= cast(? as date) then 'new_trial'
                    else 'entered_scope' end as field,
               null as old_value, overall_status as new_value
        from first_seen
    """, [registered_since])
    con.execute("""
        insert into detected by name
        select studies.nct_id, studies.version_id as version_before, studies.version_id as version_after,
               try_cast(left(runs.data_timestamp, 10) as date) as posted_date, 'refresh' as source,
               'left_scope' as field, null as old_value, null as new_value
        from raw.studies as studies
        join meta.refresh_runs as runs on runs.run_id = studies.left_scope_run_id
        where studies.left_scope_run_id = ?
    """, [run_id])


def _drop_known(con: db.Connection) -> None:
    """A pair compared before (a history backfill run twice) adds nothing new."""
    con.execute("""
        delete from detected where exists (
            select 1 from versions.trial_changes as known
            where known.nct_id = detected.nct_id and known.field = detected.field
              and known.version_before is not distinct from detected.version_before
              and known.version_after = detected.version_after
              and known.old_value is not distinct from detected.old_value
              and known.new_value is not distinct from detected.new_value
              and known.source <> 'catalogue'
        ) and detected.source <> 'catalogue'
    """)


def rate_and_store(con: db.Connection, rules: Rules, *, run_id: int | None, now: datetime) -> int:
    frame = db.fetch_frame(con, CONTEXT_SQL)
    if frame.is_empty():
        return 0
    phase_ranks = dict(db.fetch_frame(con, "select phase, phase_rank from ref.phases "
                                           "where phase_rank is not null").iter_rows())
    frame = frame.with_columns(
        mechanism=pl.when(pl.col("mechanism_class").is_not_null())
        .then(pl.concat_str("mechanism_class", pl.lit("/"), "target")).otherwise(None))
    rated = assess(frame, rules, phase_ranks).select(
        *COLUMNS, "severity", "reason", "rule_id", "mechanism_class", "target", "phase", "is_nk_specific")
    db.register(con, "rated_changes", rated)
    try:
        con.execute("""
            insert into versions.trial_changes by name
            select nextval('versions.change_id_seq') as change_id, ? as run_id, ? as detected_at, *
            from rated_changes
            order by nct_id, posted_date, field
        """, [run_id, now])
    finally:
        db.unregister(con, "rated_changes")
    return rated.height
