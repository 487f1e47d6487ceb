"""Where the files that are not Python modules of the library live: the SQL files and the dashboard.

A source checkout (and an editable install) keeps ``sql/``, ``dashboards/`` and ``.streamlit/`` at the top
of the repository, beside ``tracker/``. The wheel (see pyproject.toml) puts the SQL files inside the package
as ``tracker/sql``, installs ``dashboards`` beside ``tracker`` and carries the Streamlit settings in
``dashboards/.streamlit``. Each name here is right in both layouts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

__all__ = ["APP", "DASHBOARDS", "SQL_DIR", "STREAMLIT_HOME"]

PACKAGE: Final = Path(__file__).resolve().parent
# the repository root in a checkout; the site-packages folder (which also holds dashboards/) when installed
BESIDE: Final = PACKAGE.parent


def _first_dir(*candidates: Path) -> Path:
    return next((path for path in candidates if path.is_dir()), candidates[-1])


SQL_DIR: Final = _first_dir(PACKAGE / "sql", BESIDE / "sql")
DASHBOARDS: Final = BESIDE / "dashboards"
APP: Final = DASHBOARDS / "streamlit_app.py"
# Streamlit reads .streamlit/config.toml from its working directory: in a checkout that is the repository
# root, so `streamlit run dashboards/streamlit_app.py` from there (the Streamlit convention) gets the same
# settings as `tracker dashboard`; installed, it is the dashboards folder
STREAMLIT_HOME: Final = _first_dir(BESIDE / ".streamlit", DASHBOARDS / ".streamlit").parent
