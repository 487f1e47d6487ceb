"""Agents: one row per agent with its highest phase, trial counts by status, indications and sponsors."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import charts, queries, ui

ctx = ui.page_context()
assert ctx.source is not None
labels = ctx.labels
frame = queries.agents_table(ctx.source, ctx.filters)
if frame.is_empty():
    st.info("No agent in the trials these filters select.")
    st.stop()

named = st.toggle("Named catalogue agents only", value=False, key="agents_named",
                  help="Hide unnamed products found by generic rules (e.g. 'CAR-NK cells (unnamed product), CD19')")
if named:
    frame = frame.filter(pl.col("is_named"))
st.subheader("Pipeline: agents by the highest phase reached")
ui.chart(charts.pipeline(frame, labels.mechanism), "pipeline")

st.subheader(f"{frame.height} agents")
table = frame.with_columns(
    mechanism=pl.col("mechanism_class").map_elements(labels.mechanism, return_dtype=pl.String),
    indications=pl.col("indications").list.eval(
        pl.element().map_elements(labels.indication, return_dtype=pl.String)).list.join(", "),
    lead_sponsors=pl.col("lead_sponsors").list.join("; "),
).select("agent", "mechanism", "target", "highest_phase", "trials", "open", "active", "completed", "stopped",
         "indications", "lead_sponsors")
st.dataframe(table, hide_index=True, key="agents_table", column_config={
    "agent": st.column_config.TextColumn("Agent", width="medium"),
    "highest_phase": st.column_config.TextColumn("Highest phase"),
    "open": st.column_config.NumberColumn("Open", help="recruiting, not yet recruiting or by invitation"),
    "indications": st.column_config.TextColumn("Indications", width="large"),
})
