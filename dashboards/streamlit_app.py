"""Entry point: page config, the shared sidebar filters, banners, and navigation between the pages."""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run dashboards/streamlit_app.py` puts dashboards/ on the path; the pages import the package
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboards import ui  # noqa: E402

APP_NAME = "NK-cell immunotherapy trial landscape"
st.set_page_config(page_title=APP_NAME, page_icon=":material/biotech:",
                   layout="wide", initial_sidebar_state="expanded")

PAGES = Path(__file__).parent / "app_pages"
navigation = st.navigation({
    "Landscape": [
        st.Page(PAGES / "landscape.py", title="Landscape", icon=":material/grid_view:", default=True),
        st.Page(PAGES / "agents.py", title="Agents", icon=":material/medication:"),
        st.Page(PAGES / "trials.py", title="Trials", icon=":material/table_rows:"),
        st.Page(PAGES / "trial.py", title="Trial", icon=":material/description:"),
        st.Page(PAGES / "timeline.py", title="Timeline", icon=":material/timeline:"),
        st.Page(PAGES / "readouts.py", title="Readouts", icon=":material/event:"),
        st.Page(PAGES / "geography.py", title="Geography", icon=":material/public:"),
    ],
    "Tracking": [st.Page(PAGES / "changes.py", title="Changes", icon=":material/change_history:")],
    "About the data": [st.Page(PAGES / "data.py", title="Data", icon=":material/database:")],
})

context = ui.build_context()
# each page is headed by its own name; the app's name goes in the caption and the browser tab
st.title(navigation.title)
st.caption(f"{APP_NAME} · ClinicalTrials.gov data as of {ui.literal(ui.data_as_of(context))} · "
           f"{ui.literal(context.filters.describe())}")
ui.banners(context)
navigation.run()
