"""Timeline: start → primary completion per trial, and primary completions expected in the next 12 months."""

from __future__ import annotations

import streamlit as st

from dashboards import charts, queries, ui

ctx = ui.page_context()
assert ctx.source is not None

limit = st.slider("Trials drawn (latest primary completion first)", 20, 500, 120, step=20, key="timeline_limit")
frame = queries.timeline(ctx.source, ctx.filters, limit)
if frame.is_empty():
    st.info("No filtered trial has both a start and a primary completion date.")
else:
    ui.chart(charts.gantt(frame), "gantt")

today = ui.today()
st.subheader(f"Primary completions expected in the next 12 months (from {today:%Y-%m-%d})")
upcoming = queries.upcoming_completions(ctx.source, ctx.filters, today.isoformat())
st.caption(f"{upcoming.height} open or active trials; dates marked ESTIMATED are the sponsor's forecast.")
st.dataframe(upcoming, hide_index=True, key="upcoming", column_config={
    "url": st.column_config.LinkColumn("NCT id", display_text=r"https://clinicaltrials\.gov/study/(.*)"),
    "nct_id": None,
    "brief_title": st.column_config.TextColumn("Title", width="large"),
    "primary_completion_date": st.column_config.DateColumn("Primary completion"),
})
