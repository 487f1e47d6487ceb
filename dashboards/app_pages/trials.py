"""Trials: the filterable trial table, linked to CT.gov, downloadable as exactly what is shown."""

from __future__ import annotations

import io

import polars as pl
import streamlit as st

from dashboards import queries, ui

ctx = ui.page_context()
assert ctx.source is not None
labels = ctx.labels
frame = queries.trials_table(ctx.source, ctx.filters)
search = st.text_input("Search titles, agents, sponsors and NCT ids", key="trials_search",
                       placeholder="e.g. monalizumab, NCT0…, head and neck")
if search:
    needle = search.strip().lower()
    frame = frame.filter(pl.any_horizontal(
        pl.col(c).cast(pl.String).str.to_lowercase().str.contains(needle, literal=True)
        for c in ("nct_id", "brief_title", "agents", "lead_sponsor", "indications")))
# one label per distinct code, not one Python call per row (100,000 rows at scale)
mechanisms = frame["primary_mechanism_class"].unique().to_list()
shown = frame.with_columns(
    mechanism=pl.col("primary_mechanism_class").replace_strict(
        {code: labels.mechanism(code) for code in mechanisms if code is not None}, default=None,
        return_dtype=pl.String),
).select("url", "brief_title", "agents", "mechanism", "primary_target", "phase", "overall_status", "indications",
         "lead_sponsor", "start_date", "primary_completion_date", "enrollment")
st.caption(f"{shown.height:,} trials · {ui.literal(ctx.filters.describe())}")
st.dataframe(shown, hide_index=True, key="trials_table", column_config={
    "url": st.column_config.LinkColumn("NCT id", display_text=r"https://clinicaltrials\.gov/study/(.*)",
                                       help="opens the study on ClinicalTrials.gov"),
    "brief_title": st.column_config.TextColumn("Title", width="large"),
    "primary_target": st.column_config.TextColumn("Target"),
    "overall_status": st.column_config.TextColumn("Status"),
    "start_date": st.column_config.DateColumn("Start"),
    "primary_completion_date": st.column_config.DateColumn("Primary completion"),
})

export = shown.rename({"url": "ctgov_url"}).with_columns(nct_id=pl.col("ctgov_url").str.extract(r"(NCT\d+)$"))


def as_parquet() -> bytes:
    buffer = io.BytesIO()
    export.write_parquet(buffer)
    return buffer.getvalue()


# the files are written when a button is clicked, not on every run: at 100,000 trials writing them (a 25 MB
# CSV) took 0.9 s of each run
left, right, _ = st.columns([1, 1, 4])
left.download_button("Download CSV", export.write_csv, file_name="nk_landscape_trials.csv", mime="text/csv",
                     key="download_csv")
right.download_button("Download Parquet", as_parquet, file_name="nk_landscape_trials.parquet",
                      mime="application/vnd.apache.parquet", key="download_parquet")
