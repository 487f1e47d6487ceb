"""Changes: what moved since a date and whether it matters, and the landscape on two dates compared."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from dashboards import queries, ui

ctx = ui.page_context()
assert ctx.source is not None

st.subheader("What changed")
st.caption("Field-level changes between stored versions of each trial, rated critical / major / minor by "
           "the severity rules (tracker/changes/severity.toml or TRACKER_SEVERITY_RULES). The sidebar "
           "filters narrow the trials; trials that left the landscape are always shown.")

today = ui.today()
since_text = st.query_params.get("since", "")
try:
    since_default = date.fromisoformat(since_text)
except ValueError:
    since_default = today - timedelta(days=30)
severity_url = [s for s in st.query_params.get_all("sev") if s in queries.SEVERITIES]
left, middle, right = st.columns([1, 2, 3])
since = left.date_input("Posted since", since_default, key="changes_since")
severities = middle.multiselect("Severity", queries.SEVERITIES, severity_url or ["critical", "major"],
                                key="changes_severity")
fields = right.multiselect("Fields", queries.change_fields(ctx.source), st.query_params.get_all("field") or [],
                           key="changes_fields", placeholder="every field")
st.query_params["since"] = since.isoformat()
st.query_params["sev"] = list(severities)
st.query_params["field"] = list(fields)

frame = queries.changes(ctx.source, ctx.filters, since.isoformat(), tuple(severities), tuple(fields))
counts = {s: frame.filter(frame["severity"] == s).height for s in queries.SEVERITIES}
cols = st.columns(len(counts))
for col, (severity, n) in zip(cols, counts.items(), strict=True):
    col.metric(severity.capitalize(), f"{n:,}")
if frame.is_empty():
    st.info("No change of these severities was posted since that date. A first refresh records no changes: "
            "it is the baseline the next refreshes are compared with; `tracker history` reaches further back.")
else:
    st.dataframe(frame, hide_index=True, key="changes_table", column_config=ui.change_columns())

st.subheader("The landscape on two dates")
st.caption("Each trial as its newest version posted on or before each date: trials that entered or left "
           "the landscape, or changed status group or phase.")
one, two = st.columns(2)
date_from = one.date_input("From", today - timedelta(days=365), key="diff_from")
date_to = two.date_input("To", today, key="diff_to")
diff = queries.landscape_diff(ctx.source, date_from.isoformat(), date_to.isoformat())
if diff.is_empty():
    st.info("No trial entered, left or changed status group or phase between these dates.")
else:
    summary = diff.group_by("change").len(name="trials").sort("change")
    st.dataframe(summary, hide_index=True, key="diff_summary", column_config={
        "change": st.column_config.TextColumn("Change"), "trials": st.column_config.NumberColumn("Trials")})
    st.dataframe(diff, hide_index=True, key="diff_table", column_config={
        "change": st.column_config.TextColumn("Change"),
        "mechanism_class": st.column_config.TextColumn("Mechanism"),
        "target": st.column_config.TextColumn("Target"),
        "nct_id": st.column_config.TextColumn("NCT id"),
        "brief_title": st.column_config.TextColumn("Title", width="large"),
        "value_before": st.column_config.TextColumn("Before"),
        "value_after": st.column_config.TextColumn("After"),
    })
