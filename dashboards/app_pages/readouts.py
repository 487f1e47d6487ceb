"""Readouts: upcoming primary completions and each trial's slip history, version by version."""

from __future__ import annotations

import streamlit as st

from dashboards import charts, queries, ui

ctx = ui.page_context()
assert ctx.source is not None

st.subheader("Readout calendar")
today = ui.today()
upcoming = queries.upcoming_completions(ctx.source, ctx.filters, today.isoformat())
st.caption(f"{upcoming.height} open or active trials with a primary completion in the next 12 months "
           f"(from {today:%Y-%m-%d}); ESTIMATED dates are the sponsor's forecast.")
st.dataframe(upcoming, hide_index=True, key="readouts_upcoming", column_config={
    "url": st.column_config.LinkColumn("NCT id", display_text=r"https://clinicaltrials\.gov/study/(.*)"),
    "nct_id": None,
    "brief_title": st.column_config.TextColumn("Title", width="large"),
    "primary_completion_date": st.column_config.DateColumn("Primary completion"),
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
})
chosen = st.selectbox("Slip history of", slips["nct_id"].to_list(), key="readouts_trial")
if chosen:
    history = queries.completion_history(ctx.source, chosen)
    ui.chart(charts.slip_steps(history), "slip_steps")
    st.dataframe(history, hide_index=True, key="readouts_history")
