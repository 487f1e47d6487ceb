"""Readouts: upcoming primary completions and each trial's slip history, version by version."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import charts, queries, ui
from dashboards.theme import NO_PHASE

ctx = ui.page_context()
assert ctx.source is not None

st.subheader("Readout calendar")
today = ui.today()
upcoming = queries.upcoming_completions(ctx.source, ctx.filters, today.isoformat())
# CT.gov's status as its website words it, and "No phase" for a trial without one, as on the Trial page
upcoming = upcoming.with_columns(
    overall_status=pl.Series([ctx.labels.status(s) for s in upcoming["overall_status"]], dtype=pl.String),
    phase=pl.col("phase").fill_null(NO_PHASE))
st.caption(f"{upcoming.height} open or active trials with a primary completion in the next 12 months "
           f"(from {today:%Y-%m-%d}); ESTIMATED dates are the sponsor's forecast.")
st.dataframe(upcoming, hide_index=True, key="readouts_upcoming", column_config={
    "url": st.column_config.LinkColumn("NCT id", display_text=r"https://clinicaltrials\.gov/study/(.*)"),
    "nct_id": None,
    "brief_title": st.column_config.TextColumn("Title", width="large"),
    "agents": st.column_config.TextColumn("Agents"),
    "phase": st.column_config.TextColumn("Phase"),
    "overall_status": st.column_config.TextColumn("Status"),
    "primary_completion_date": st.column_config.DateColumn("Primary completion", format="YYYY-MM-DD"),
    "primary_completion_date_type": st.column_config.TextColumn("Date type"),
    "lead_sponsor": st.column_config.TextColumn("Lead sponsor"),
})

st.subheader("Slips")
st.caption("Trials whose primary completion date moved across the versions held (the tracker's refreshes "
           "and CT.gov's record history), most total slip first.")
slips = queries.slips(ctx.source, ctx.filters)
if slips.is_empty():
    st.info("No filtered trial's primary completion date has moved in the versions held.")
    st.stop()
st.dataframe(slips, hide_index=True, key="readouts_slips", column_config={
    "url": st.column_config.LinkColumn("NCT id", display_text=r"https://clinicaltrials\.gov/study/(.*)"),
    "nct_id": None,
    "brief_title": st.column_config.TextColumn("Title", width="large"),
    "moves": st.column_config.NumberColumn("Moves", help="versions that moved the date"),
    "total_shift_days": st.column_config.NumberColumn("Total slip (days)", format="%+d"),
    "first_date": st.column_config.DateColumn("First date", format="YYYY-MM-DD"),
    "latest_date": st.column_config.DateColumn("Latest date", format="YYYY-MM-DD"),
})
chosen = st.selectbox("Slip history of", slips["nct_id"].to_list(), key="readouts_trial")
if chosen:
    history = queries.completion_history(ctx.source, chosen)
    ui.chart(charts.slip_steps(history), "slip_steps")
    st.dataframe(history, hide_index=True, key="readouts_history", column_config={
        "version_number": st.column_config.NumberColumn("Version"),
        "posted_date": st.column_config.DateColumn("Posted", format="YYYY-MM-DD"),
        "primary_completion_date": st.column_config.DateColumn("Primary completion", format="YYYY-MM-DD"),
        "primary_completion_date_type": st.column_config.TextColumn("Type"),
        "shift_days": st.column_config.NumberColumn("Shift (days)", format="%+d"),
        "source": st.column_config.TextColumn("Seen by"),
    })
