"""The `tracker` command: each subcommand is a thin wrapper over one library call in tracker.api.

The commands that only read the published database are in cli_reports.py, what they all share in cli_base.py.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from tracker import __version__, api, cli_reports, failures
from tracker.cli_base import TrackerGroup, handle_errors, load_settings
from tracker.config import Settings, settings_table


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
@click.option("--archive", "archive", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Scan this already downloaded archive (ctg-studies.json.zip) instead of downloading it.")
@handle_errors
def scan(archive: Path | None) -> None:
    """Scan CT.gov's whole registry for the trials search alone misses, store them, and publish.

    Downloads the bulk archive beside the database (resumable; ~2.7 GB), checks it is whole and
    reconciles its entry count with /stats/size, classifies every study, and stores the trials in the
    landscape or matching the scope as if a refresh had fetched them. A failed scan changes nothing.
    `tracker sql "select * from scan_only_trials"` lists what only the scan found.

    Example:

        tracker scan
        tracker scan --archive data/ctg-studies.json.zip
    """
    result = api.scan(load_settings(), archive=archive)
    if result.status == "failed":
        raise click.ClickException(result.summary())
    click.echo(result.summary())


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


for command in cli_reports.COMMANDS:
    cli.add_command(command)


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
