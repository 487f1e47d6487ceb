"""NK-cell immunotherapy trial landscape tracker: CT.gov API v2 → DuckDB → dashboard.

Start with the library's verbs in `tracker.api`; every CLI command, the daemon and `tracker up` call one:

    from tracker import api
    from tracker.config import Settings

    settings = Settings.from_env()            # the TRACKER_* variables, checked
    api.run_refresh(settings)                 # fetch what changed, load, classify, detect changes, publish
    api.classify(settings)                    # re-label every stored trial with the current catalogue
    api.status(settings)                      # what the database holds, the last runs, the daemon
    api.run_sql(settings, "select …")         # read-only ad-hoc SQL on the published database
    api.changes(settings, since=...)          # detected changes at or above a severity
    api.diff(settings, date_from, date_to)    # the landscape on two dates compared
    api.curation_queue(settings)              # intervention names no agent or rule recognised
    api.export(settings, Path("exports"))     # every public view as Parquet, history by posting month

`tracker.history.run_backfill` reads older versions from CT.gov's record history. A refresh is the
pipeline of tracker/refresh.py (its stages are named there); what users query is the public views of
sql/README.md.
"""

from __future__ import annotations

__version__ = "0.1.0"
