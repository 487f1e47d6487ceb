"""The working database's shape: tables, macros and public views, and the marts rebuilt after each change."""

from __future__ import annotations

from tracker import db, reference, runs, versions
from tracker.catalogue import load_vocabulary

# the materialized tables of sql/marts, in core
MARTS = ("trial_summary", "landscape_rows", "agent_summary", "landscape_options")


def prepare(con: db.Connection) -> None:
    """Create or update every table, macro and public view; safe to run on every start."""
    db.apply_sql(con, *db.SCHEMA_DIRS)
    if runs.get_state(con, "schema") != db.SCHEMA_MARKER:
        # marks the file as the tracker's, so that a later run can tell it from a foreign DuckDB file
        runs.set_state(con, "schema", db.SCHEMA_MARKER)
    # the macros that map codes are written from the vocabulary, with its ref tables, before anything reads them
    reference.write_vocabulary(con, load_vocabulary())
    # the view macros are needed by the marts, and the marts by the views reading them
    db.run_file(con, db.sql_file("views", "000_macros.sql"))
    db.run_file(con, db.sql_file("views", "005_as_of.sql"))
    if db.scalar(con, "select count(*) from duckdb_tables() where schema_name = 'core' "
                      "and list_contains(?, table_name)", [list(MARTS)]) < len(MARTS):
        build_marts(con)
    db.apply_sql(con, *db.VIEW_DIRS)


def build_marts(con: db.Connection) -> None:
    """Rebuild the materialized tables behind the public views (after loading or classifying).

    The marts read each trial's current version through its snapshot: a version stored without one (a
    database from before snapshots) gets it here.
    """
    versions.snapshot_current(con, versions.missing_current(con))
    db.apply_sql(con, "marts")
