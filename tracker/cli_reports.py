"""The `tracker` commands that read the published database: status, sql, changes, diff, curate, export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from tracker import api, db
from tracker.cli_base import MANY, handle_errors, json_default, load_settings


@click.command()
@click.option("--runs", default=10, show_default=True, type=click.IntRange(0, MANY),
              help="How many recent runs to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@handle_errors
def status(runs: int, as_json: bool) -> None:
    """Show what the database holds, the last runs and the daemon's heartbeat.

    Example:

        tracker status --runs 5
    """
    from tracker.progress import print_table

    settings = load_settings()
    info = api.status(settings, runs=runs)
    if as_json:
        click.echo(json.dumps(info, default=json_default, indent=2))
        return
    click.echo(f"database: {info['database']}")
    click.echo(f"trials in scope: {info['trials_in_scope']}   out of scope (kept): {info['trials_out_of_scope']}   "
               f"stored versions: {info['versions_stored']}")
    ok = info["last_successful_run"]
    if ok:
        click.echo(f"last successful run: {ok['run_id']} ({ok['mode']}) finished "
                   f"{ok['finished_at']:%Y-%m-%d %H:%M} UTC, CT.gov data as of {ok['data_timestamp']}")
    else:
        click.echo("no successful run yet")
    if info["demo_corpus"]:
        click.echo(f"demo data: synthetic records ({info['demo_corpus']} trials with reserved NCT9xxxxxxx ids)")
    print_table(info["runs"], ["run_id", "started_at", "status", "mode", "requests", "studies_fetched",
                               "studies_new", "studies_changed", "studies_left_scope", "error"], title="recent runs")
    if info["last_queries"]:
        print_table(info["last_queries"], ["label", "mode", "since_date", "pages", "distinct_studies", "total_count",
                                           "is_reconciled", "note"], title="last successful run: queries")
    beat = info["daemon"]
    if beat and info["daemon_alive"]:
        click.echo(f"daemon: alive, {beat.get('state')} (pid {beat.get('pid')}), last beat {beat.get('beat_at')}, "
                   f"next run {beat.get('next_run_at')}, last outcome {beat.get('last_outcome')}")
    elif beat:
        click.echo(f"daemon: not running (last heartbeat {beat.get('beat_at')}, state {beat.get('state')}, "
                   f"last outcome {beat.get('last_outcome')})")
    else:
        click.echo("daemon: not running (no heartbeat file)")


@click.command()
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(0, MANY),
              help="Rows shown in table format (csv/json give all).")
@handle_errors
def sql(query: str, fmt: str, limit: int) -> None:
    """Run read-only SQL on the published database (no writes, files or network).

    A statement running longer than TRACKER_SQL_TIMEOUT is stopped, as is one at Ctrl-C; memory is
    limited by TRACKER_DUCKDB_MEMORY. Lists, structs and maps print as JSON text.

    Example:

        tracker sql "select phase, count(*) from trials group by all order by 2 desc"
        tracker sql "select * from refresh_runs" --format csv
    """
    from tracker import output

    settings = load_settings()
    result = api.run_sql(settings, query, render="json" if fmt == "json" else "text")
    if fmt == "csv":
        click.echo(output.to_csv(result), nl=False)
    elif fmt == "json":
        click.echo(output.to_json(result))
    else:
        _print_result(result, limit)


@click.command()
@click.option("--since", default="7d", show_default=True,
              help="Changes CT.gov posted since: a span (7d, 2w) or a date (YYYY-MM-DD).")
@click.option("--severity", type=click.Choice(["minor", "major", "critical"]), default="minor", show_default=True,
              help="Lowest severity shown.")
@click.option("--mechanism", help="Only trials whose primary mechanism_class is this code (e.g. car_nk).")
@click.option("--target", help="Only trials whose primary target is this code (e.g. NKG2A).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=1),
              help="Rows shown in table format (csv/json give all).")
@handle_errors
def changes(since: str, severity: str, mechanism: str | None, target: str | None, fmt: str, limit: int) -> None:
    """What moved in the landscape: field changes of tracked trials, rated critical, major or minor.

    Severity and reason come from the rules in tracker/changes/severity.toml (or TRACKER_SEVERITY_RULES).

    Example:

        tracker changes --since 7d --severity major
        tracker changes --since 2026-10-01 --mechanism nk_checkpoint --format csv
    """
    settings = load_settings()
    frame = api.changes(settings, since=api.since_date(since), severity=severity, mechanism=mechanism,
                        target=target)
    if fmt == "table":
        frame = frame.select("posted_date", "nct_id", "severity", "field", "old_value", "new_value", "reason",
                             "mechanism_class", "target", "source")
    _emit(frame, fmt, limit, empty=f"no changes at or above {severity} since {api.since_date(since)}")


@click.command()
@click.argument("date_from")
@click.argument("date_to")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@handle_errors
def diff(date_from: str, date_to: str, fmt: str) -> None:
    """Compare the landscape on two dates: trials that entered, left, or changed status group or phase.

    Each date's landscape is rebuilt from the versions held (the version current on a date is the
    newest one CT.gov had posted by then).

    Example:

        tracker diff 2026-01-01 2026-11-30
    """
    settings = load_settings()
    frame = api.diff(settings, api.since_date(date_from), api.since_date(date_to))
    if fmt == "table" and frame.height:
        from tracker.progress import print_table

        counts = frame.pivot(on="change", index="mechanism_class", values="nct_id", aggregate_function="len")
        print_table(counts.fill_null(0).sort("mechanism_class", nulls_last=True).to_dicts(), counts.columns,
                    title=f"landscape {date_from} -> {date_to}: trials by mechanism and change")
        frame = frame.select("nct_id", "change", "mechanism_class", "target", "value_before", "value_after",
                             "brief_title")
    _emit(frame, fmt, 1000, empty=f"the landscape did not move between {date_from} and {date_to}")


@click.command()
@click.option("--limit", default=50, show_default=True, type=click.IntRange(0, MANY), help="How many names to list.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@handle_errors
def curate(limit: int, fmt: str) -> None:
    """List intervention names no agent or rule recognised, most frequent first.

    Add the real agents among them as aliases in tracker/catalogue/data/agents.toml, then run
    `tracker classify`. The same list is the `curation_queue` view.

    Example:

        tracker curate --limit 20
    """
    from tracker import output
    from tracker.progress import print_rows

    settings = load_settings()
    result = api.curation_queue(settings, limit=limit)
    if fmt == "csv":
        click.echo(output.to_csv(result), nl=False)
        return
    print_rows(result.columns, result.rows, title="curation queue: unrecognised intervention names")


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--views", help="Only these public views, comma-separated (default: every one).")
@handle_errors
def export(directory: Path, views: str | None) -> None:
    """Write every public view as Parquet into DIRECTORY, for Spark, Trino, BigQuery or DuckDB.

    One folder per view, from one snapshot of the published database; trial_versions, trial_changes and
    completion_history are partitioned by posting month (posted_month=YYYY-MM). manifest.json lists the
    views, their row counts and the run. A previous export in DIRECTORY is replaced whole, and kept as
    it was if anything fails. Table macros (trials_as_of, …) are functions of a date and are not exported.

    Example:

        tracker export exports/
        tracker export exports/ --views trials,trial_changes
    """
    from tracker.export import parse_views

    settings = load_settings()
    result = api.export(settings, directory, views=parse_views(views))
    for view in result.views:
        layout = f"by posting month of {view.partitioned_from}" if view.partitioned_from else "one file"
        click.echo(f"  {view.name}: {view.rows:,} rows ({layout})")
    click.echo(result.summary())


def _emit(frame: Any, fmt: str, limit: int, *, empty: str) -> None:
    if fmt == "csv":
        click.echo(frame.write_csv(), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(frame.to_dicts(), default=json_default, indent=1))
    elif frame.height == 0:
        click.echo(empty)
    else:
        from tracker.progress import print_table

        print_table(frame.head(limit).to_dicts(), frame.columns)
        if frame.height > limit:
            click.echo(f"({frame.height} rows; {limit} shown — use --format csv for all)")


def _print_result(result: db.Rendered, limit: int) -> None:
    from tracker.progress import print_rows

    if not result.columns:
        click.echo("(the statement returned no columns)")
        return
    print_rows(result.columns, result.rows[:limit], null="NULL")
    if len(result.rows) > limit:
        click.echo(f"({len(result.rows)} rows; {limit} shown — use --format csv for all)")
    elif not result.rows:
        click.echo("(0 rows)")


COMMANDS = (status, sql, changes, diff, curate, export)
