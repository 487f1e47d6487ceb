"""The `tracker` command: each subcommand is a thin wrapper over one library call in tracker.api."""

from __future__ import annotations

import errno
import functools
import json
import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import click

from tracker import __version__, api, db, failures, logs
from tracker.config import Settings, settings_table
from tracker.errors import TrackerError

F = TypeVar("F", bound=Callable[..., Any])
# large enough for any real use, small enough for DuckDB's BIGINT LIMIT
MANY = 1_000_000_000


def failure(message: str, status: int) -> click.ClickException:
    """One line on stderr and an exit status (tracker.failures); click reads the status from the class."""
    kind: type[click.ClickException] = type(f"Failure{status}", (click.ClickException,), {"exit_code": status})
    return kind(message)


class TrackerGroup(click.Group):
    """The safety net: whatever a command raises ends as one line on stderr, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # a closed pipe (`tracker sql … | head`): click exits quietly
                raise
            raise failure(*failures.describe(exc)) from None
        except (Exception, KeyboardInterrupt) as exc:
            raise failure(*failures.describe(exc)) from None


def handle_errors(func: F) -> F:
    """Turn every TrackerError into a one-line message and exit status 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TrackerError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def load_settings() -> Settings:
    settings = Settings.from_env()
    logs.configure(settings.log_level, settings.log_format)
    return settings


@click.group(cls=TrackerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tracker")
def cli() -> None:
    """NK-cell immunotherapy trial landscape tracker: CT.gov API v2 → DuckDB → dashboard.

    Settings come from TRACKER_* environment variables (`tracker settings` lists them).
    """


@cli.command()
@click.option("--full", is_flag=True, help="Re-run every scope query without the date window and mark "
              "trials that left the scope.")
@click.option("--allow-scope-drop", is_flag=True, help="With --full: confirm that more than 20 % (and more than "
              "50) of the trials in scope really left it; without it such a run fails and keeps the previous data.")
@handle_errors
def refresh(full: bool, allow_scope_drop: bool) -> None:
    """Fetch what changed on CT.gov since the last run, load it, and publish the database.

    Incremental by default; a full reconciliation runs when asked or when the last one is older
    than TRACKER_FULL_EVERY_DAYS. A failed run changes nothing and is recorded with its reason.

    Example:

        tracker refresh
        tracker refresh --full
        tracker refresh --full --allow-scope-drop
    """
    from tracker.progress import reporter_for_terminal

    if allow_scope_drop and not full:
        raise click.ClickException("--allow-scope-drop confirms what a full run found: use it with --full")
    settings = load_settings()
    reporter, progress = reporter_for_terminal()
    if progress is not None:
        with progress:
            result = api.run_refresh(settings, full=full, reporter=reporter, allow_scope_drop=allow_scope_drop)
    else:
        result = api.run_refresh(settings, full=full, reporter=reporter, allow_scope_drop=allow_scope_drop)
    if result.status == "failed":
        raise click.ClickException(result.summary())
    click.echo(result.summary())


@cli.command()
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
        click.echo(json.dumps(info, default=_json_default, indent=2))
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


@cli.command()
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


@cli.command()
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


@cli.command()
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


def _emit(frame: Any, fmt: str, limit: int, *, empty: str) -> None:
    if fmt == "csv":
        click.echo(frame.write_csv(), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(frame.to_dicts(), default=_json_default, indent=1))
    elif frame.height == 0:
        click.echo(empty)
    else:
        from tracker.progress import print_table

        print_table(frame.head(limit).to_dicts(), frame.columns)
        if frame.height > limit:
            click.echo(f"({frame.height} rows; {limit} shown — use --format csv for all)")


@cli.command()
@click.argument("nct_ids", nargs=-1)
@click.option("--landscape", "landscape_limit", type=click.IntRange(min=1), default=None,
              help="Backfill the next N landscape trials whose history was never read (NK-specific first).")
@click.option("--redo", is_flag=True, help="Read the history again even of trials done before.")
@handle_errors
def history(nct_ids: tuple[str, ...], landscape_limit: int | None, redo: bool) -> None:
    """Backfill past versions of trials from CT.gov's own record history.

    Versions older than the oldest one a refresh fetched are stored (source = history) and compared
    as a refresh would have, so changes, slips and time travel reach back before the first refresh.
    Throttled like refreshes (TRACKER_MAX_RPM); a trial whose history cannot be read is skipped with
    its reason; a run killed half-way keeps the trials it finished.

    Example:

        tracker history NCT03841110 NCT04551885
        tracker history --landscape 50
    """
    from tracker import history as backfill

    if not nct_ids and landscape_limit is None:
        raise click.UsageError("name NCT ids, or ask for --landscape N")
    settings = load_settings()
    ids = [api.nct_id(x) for x in nct_ids]
    result = backfill.run_backfill(settings, ids, landscape_limit=landscape_limit or 0, redo=redo)
    click.echo(result.summary())
    for nct_id, why in list(result.skipped.items())[:20]:
        click.echo(f"  skipped {nct_id}: {why}")


@cli.command()
@handle_errors
def classify() -> None:
    """Re-classify every stored trial with the current catalogue (no fetching) and publish.

    Run it after editing tracker/catalogue/data/*.toml; it lists the trials whose labels changed.

    Example:

        tracker classify
    """
    settings = load_settings()
    result = api.classify(settings)
    click.echo(f"{result.trials_classified} trials classified with catalogue {result.catalogue_hash}; "
               f"labels changed for {result.trials_changed}")
    if result.changed_ids:
        shown = ", ".join(result.changed_ids[:30])
        more = f" (+{len(result.changed_ids) - 30} more)" if len(result.changed_ids) > 30 else ""
        click.echo(f"changed: {shown}{more}")


@cli.command()
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


@cli.command()
@handle_errors
def daemon() -> None:
    """Refresh on TRACKER_SCHEDULE until stopped (SIGINT/SIGTERM stop it cleanly).

    A run missed while the daemon was down is made up once at start; a failed run is retried after
    TRACKER_RETRY_MINUTES; a heartbeat file beside the database tells `tracker status` it is alive.

    Example:

        TRACKER_SCHEDULE="30 14 * * mon-fri" tracker daemon
    """
    from tracker.daemon import Daemon

    settings = load_settings()
    Daemon(settings).run_forever()


@cli.command()
@click.option("--demo", is_flag=True, help="Use the bundled synthetic demo corpus through the offline CT.gov "
              "stand-in (no network needed); its database is kept apart from the real one.")
@handle_errors
def up(demo: bool) -> None:
    """The main job: first refresh when the database is empty, then the daemon and the dashboard.

    The dashboard binds to TRACKER_HOST (127.0.0.1) on TRACKER_PORT; Ctrl-C, SIGTERM or SIGHUP stop both
    cleanly.

    Example:

        tracker up
        tracker up --demo
    """
    from tracker.progress import reporter_for_terminal
    from tracker.up import run_up

    settings = load_settings()
    reporter, progress = reporter_for_terminal()
    if progress is not None:
        progress.start()
    try:
        run_up(settings, demo=demo, echo=click.echo, reporter=reporter)
    finally:
        if progress is not None:
            progress.stop()


@cli.command()
@handle_errors
def demo() -> None:
    """Same as `tracker up --demo`: the offline demo on synthetic records (reserved NCT9xxxxxxx ids).

    Example:

        tracker demo
    """
    from tracker.up import run_up

    run_up(load_settings(), demo=True, echo=click.echo)


@cli.command()
@handle_errors
def dashboard() -> None:
    """Serve the dashboard alone (no refreshes), reading the published database.

    It binds to TRACKER_HOST (127.0.0.1) on TRACKER_PORT; Ctrl-C, SIGTERM or SIGHUP stop it.

    Example:

        TRACKER_PORT=8600 tracker dashboard
    """
    from tracker import serve

    serve.run_dashboard(load_settings(), echo=click.echo)


@cli.command("settings")
@handle_errors
def show_settings() -> None:
    """Check every setting, then list it with its environment variable, default and current value.

    Example:

        TRACKER_MAX_RPM=30 tracker settings
    """
    Settings.from_env()
    current = dict(os.environ)
    for env, default, help_text in settings_table():
        value = current.get(env)
        shown = f"{value} (from environment)" if value else default
        click.echo(f"{env} = {shown}\n    {help_text}")


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


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def main() -> None:
    """The console entry point (`tracker`, `python -m tracker`, `python -m tracker.cli`): every error is one line."""
    try:
        code = cli.main(prog_name="tracker", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        # one line like every other error; the usage is one --help away
        where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
        _fail(f"{exc.format_message()}{where}", exc.exit_code)
    except click.ClickException as exc:
        _fail(exc.format_message(), exc.exit_code)
    except click.Abort:  # click's name for a Ctrl-C outside a command
        _fail(*failures.INTERRUPTED)
    except (Exception, KeyboardInterrupt) as exc:
        _fail(*failures.describe(exc))
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, status: int) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
