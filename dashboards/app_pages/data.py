"""Data: refresh runs, the completeness reconciliation of each query, and the curation queue."""

from __future__ import annotations

import streamlit as st

from dashboards import queries, ui

ctx = ui.context()
if ctx.source is None or not ctx.overview.get("runs"):
    ui.first_run(ctx)
    st.stop()

st.subheader("Refresh runs")
runs = queries.runs(ctx.source)
st.dataframe(runs, hide_index=True, key="runs")
failed = runs.filter(runs["status"] == "failed")
if failed.height:
    st.warning(f"{failed.height} of the last {runs.height} runs failed; each kept the previous data. "
               "The error column says why.")

st.subheader("Completeness: what CT.gov counted against what arrived (last run)")
reconciliation = queries.reconciliation(ctx.source)
st.dataframe(reconciliation, hide_index=True, key="reconciliation")
if reconciliation.height and not reconciliation["is_reconciled"].fill_null(True).all():
    st.error("Some queries did not reconcile with CT.gov's totalCount.")

st.subheader("Curation queue: intervention names nothing recognised")
st.caption("Add the real agents among them as aliases in tracker/catalogue/data/agents.toml, then run "
           "`tracker classify`.")
st.dataframe(queries.curation(ctx.source), hide_index=True, key="curation")
