"""The tracker's verbs as library calls; the CLI, the daemon and `tracker up` are thin wrappers over them."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker import db, heartbeat, sandbox
from tracker.config import Settings
from tracker.errors import ConfigError
from tracker.scope import ScopeQuery, build_scope

if TYPE_CHECKING:
    from pathlib import Path

    import httpx
    import polars as pl

    from tracker import landscape
    from tracker.export import ExportResult
    from tracker.reporting import RefreshResult, Reporter
    from tracker.scan import ScanResult

# the refresh, the classifier and the HTTP client are imported where they are used: `tracker sql` and
# `tracker status` start half a second sooner without them


def scope_for(settings: Settings) -> list[ScopeQuery]:
    """The scope of this installation: catalogue agents, generic searches, the user's TRACKER_SCOPE file."""
    from tracker.catalogue import load_catalogue

    catalogue = load_catalogue(settings.catalogue_file)
    agents = [(a.name, list(a.aliases)) for a in catalogue.agents if a.role == "tracked"]
    return build_scope(agents, scope_file=settings.scope_file)


def run_refresh(settings: Settings, *, full: bool = False, trigger: str = "cli",
                transport: httpx.BaseTransport | None = None, reporter: Reporter | None = None,
                scope: list[ScopeQuery] | None = None, cancel: threading.Event | None = None,
                allow_scope_drop: bool = False) -> RefreshResult:
    """Refresh from CT.gov (incremental unless a full reconciliation is asked for or due) and publish.

    `allow_scope_drop` confirms a full run that takes much of the landscape out of scope at once.
    """
    from tracker import refresh, scans

    queries = scope if scope is not None else scope_for(settings)
    # trials a registry scan found that no search returns are asked for by id, so they stay fresh and in scope
    queries = queries + scans.scan_queries(settings.db_path)
    return refresh.run_refresh(
        settings, queries, full=full, trigger=trigger,
        transport=transport, reporter=reporter, cancel=cancel, allow_scope_drop=allow_scope_drop,
    )


def scan(settings: Settings, *, archive: Path | None = None, transport: httpx.BaseTransport | None = None,
         reporter: Reporter | None = None, cancel: threading.Event | None = None,
         scope: list[ScopeQuery] | None = None) -> ScanResult:
    """Scan CT.gov's whole registry (its bulk archive, downloaded unless `archive` is given) and store the
    trials that belong to the landscape or the scope, as if a refresh had fetched them; publish."""
    from tracker import scan as registry_scan

    return registry_scan.run_scan(settings, scope if scope is not None else scope_for(settings), archive_file=archive,
                                  transport=transport, reporter=reporter, cancel=cancel)


def classify(settings: Settings) -> landscape.ClassifyResult:
    """Re-classify every stored trial with the current catalogue, without fetching; publish the result."""
    from tracker import landscape, recovery
    from tracker.changes.rules import load_rules
    from tracker.changes.stage import relabel

    domain = landscape.Domain.load(settings.catalogue_file)
    rules = load_rules(settings.severity_file)

    def work(con: db.Connection) -> landscape.ClassifyResult:
        result = landscape.reclassify(con, domain, None)
        relabel(con, domain, rules, run_id=None, now=datetime.now(UTC), record=True)
        return result

    return recovery.run_locked(settings, work)


def export(settings: Settings, directory: Path, *, views: list[str] | None = None) -> ExportResult:
    """Write the public views (all, or `views`) as Parquet into `directory`, from one snapshot of the published file.

    The history views are partitioned by posting month; the previous export there is replaced whole,
    and kept as it was if anything fails.
    """
    from tracker.export import run_export

    return run_export(settings, directory, views)


def curation_queue(settings: Settings, *, limit: int = 50) -> db.Rendered:
    """Unrecognised intervention names by frequency: candidates for new catalogue aliases."""
    return run_sql(
        settings,
        "select intervention_name, example_spelling, intervention_type, n_trials, n_trials_outside_landscape, "
        f"n_trials_in_landscape, example_nct_ids from curation_queue order by n_trials desc, intervention_name "
        f"limit {int(limit)}",
    )


def run_sql(settings: Settings, query: str, *, render: str = "text") -> db.Rendered:
    """Run read-only ad-hoc SQL on the published database, within TRACKER_SQL_TIMEOUT and TRACKER_DUCKDB_MEMORY.

    Values come back as text (nested values as JSON), or with render="json" as JSON literals.
    """
    return sandbox.run_readonly(settings.db_path, query, render=render, timeout=settings.sql_timeout,
                                memory_limit=settings.memory_limit)


def status(settings: Settings, *, runs: int = 10) -> dict[str, Any]:
    """What the published database holds and what the last runs did."""
    from tracker.runs import last_run

    con = db.connect(settings.db_path, read_only=True)
    try:
        with db.errors(settings.db_path, doing="read"):
            holdings = con.execute(
                "select count(*) filter (is_in_scope), count(*) filter (not is_in_scope), "
                "(select count(*) from raw.study_versions), max(last_update_post_date) from raw.studies"
            ).fetchall()[0]
            last_runs = db.fetch_frame(
                con, "select run_id, started_at, finished_at, status, mode, requests, studies_fetched, studies_new, "
                     "studies_changed, studies_left_scope, data_timestamp, error from main.refresh_runs "
                     "order by run_id desc limit ?", [runs],
            ).to_dicts()
            last_ok = last_run(con, status="succeeded")
            queries = db.fetch_frame(
                con, "select label, mode, since_date, pages, distinct_studies, total_count, is_reconciled, note "
                     "from main.refresh_queries where run_id = ? order by label",
                [last_ok["run_id"] if last_ok else -1],
            ).to_dicts()
            # synthetic records use the reserved NCT9xxxxxxx range, which no real trial will reach for decades
            demo = db.scalar(con, "select count(*) from raw.studies where nct_id like 'NCT9%'")
    finally:
        con.close()
    beat = heartbeat.read(settings.heartbeat_path)
    return {
        "database": str(settings.db_path),
        "trials_in_scope": holdings[0],
        "trials_out_of_scope": holdings[1],
        "versions_stored": holdings[2],
        "newest_update_post_date": holdings[3],
        "last_successful_run": last_ok,
        "runs": last_runs,
        "last_queries": queries,
        "demo_corpus": demo,
        "daemon": beat,
        "daemon_alive": heartbeat.is_alive(beat),
    }


SEVERITY_ORDER = ("minor", "major", "critical")


def changes(settings: Settings, *, since: date, severity: str = "minor", mechanism: str | None = None,
            target: str | None = None, limit: int | None = None) -> pl.DataFrame:
    """Detected changes posted on or after `since`, at or above a severity, newest first."""
    if severity not in SEVERITY_ORDER:
        raise ConfigError("--severity", f"must be one of {', '.join(SEVERITY_ORDER)}, got {severity!r}")
    levels = list(SEVERITY_ORDER[SEVERITY_ORDER.index(severity):])
    where = ["posted_date >= ?", "list_contains(?, severity)"]
    params: list[Any] = [since, levels]
    if mechanism:
        where.append("mechanism_class = ?")
        params.append(mechanism)
    if target:
        where.append("target = ?")
        params.append(target)
    sql = (
        "select posted_date, nct_id, severity, field, old_value, new_value, shift_days, pct_change, reason, "
        "mechanism_class, target, phase, is_nk_specific, source, brief_title, url, run_id, detected_at, "
        "version_before, version_after from trial_changes where " + " and ".join(where) +
        " order by posted_date desc, case severity when 'critical' then 0 when 'major' then 1 else 2 end, "
        "nct_id, field"
    )
    if limit is not None:
        sql += f" limit {int(limit)}"
    return db.read_frame(settings.db_path, sql, params)


def diff(settings: Settings, date_from: date, date_to: date) -> pl.DataFrame:
    """Trials that entered, left, or changed status group or phase in the landscape between two dates."""
    return db.read_frame(
        settings.db_path,
        "select * from landscape_diff(?, ?) order by mechanism_class nulls last, change, nct_id",
        [date_from, date_to],
    )


_SPAN = re.compile(r"^\s*(\d{1,5})\s*([dw])\s*$")


def since_date(text: str, today: date | None = None) -> date:
    """`7d`, `2w` (days or weeks before today) or an ISO date; anything else is a ConfigError."""
    today = today or datetime.now(UTC).date()
    match = _SPAN.match(text)
    if match:
        days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
        return today - timedelta(days=days)
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError("--since", f"expected a span such as 7d or 2w, or a date YYYY-MM-DD; got {text!r}") from None


def nct_id(text: str) -> str:
    """An NCT id as CT.gov writes it (NCT + 8 digits), or a ConfigError naming the text."""
    value = text.strip().upper()
    if not re.fullmatch(r"NCT\d{8}", value):
        raise ConfigError("NCT id", f"{text!r} is not an NCT id (NCT followed by 8 digits)")
    return value
