"""Trial: one trial's fields, agents with evidence, arms, conditions, sites, changes, versions, raw JSON."""

from __future__ import annotations

import re

import streamlit as st

from dashboards import charts, queries, ui

ctx = ui.page_context()
assert ctx.source is not None

requested = st.query_params.get("nct", "")
nct_id = st.text_input("NCT id", value=requested, key="trial_nct", placeholder="NCT01234567").strip().upper()
if not nct_id:
    choices = queries.trials_table(ctx.source, ctx.filters, limit=500)["nct_id"].to_list()
    if not choices:
        st.info("No trial matches the filters.")
        st.stop()
    nct_id = st.selectbox("or pick one of the filtered trials", choices, key="trial_pick")
if not re.fullmatch(r"NCT\d{8}", nct_id or ""):
    st.warning("An NCT id is NCT followed by 8 digits.")
    st.stop()
if st.query_params.get("nct") != nct_id:
    st.query_params["nct"] = nct_id
detail = queries.trial(ctx.source, nct_id)
if detail is None:
    st.warning(f"{nct_id} is not in the database.")
    st.stop()

trial = detail["trial"]
# CT.gov text is shown as text, never as Markdown or HTML: st.text, or ui.literal where Streamlit renders Markdown
st.text(trial["brief_title"] or "(no title)")
st.link_button("Open on ClinicalTrials.gov", trial["url"])
# labels, not codes, on one line of text: st.metric cuts long values ("NOT_YET_RE…") to its column's width
enrollment = f"{trial['enrollment']:,}" if trial["enrollment"] is not None else "—"
if trial["enrollment"] is not None and trial["enrollment_type"]:
    kind = trial["enrollment_type"]
    enrollment += f" ({kind.lower() if kind in ('ACTUAL', 'ESTIMATED') else kind})"
mechanism = ctx.labels.mechanism(trial["primary_mechanism_class"])
if trial["primary_target"]:
    mechanism += f" ({trial['primary_target']})"
st.markdown("  \n".join(f"**{name}:** {ui.literal(value)}" for name, value in (
    ("Phase", trial["phase"] or "—"),
    ("Status", ctx.labels.status(trial["overall_status"])),
    ("Enrollment", enrollment),
    ("Primary mechanism", mechanism),
)))
fields = {k: trial[k] for k in ("nct_id", "acronym", "official_title", "lead_sponsor", "sponsor_class", "study_type",
                                 "start_date", "start_date_type", "primary_completion_date",
                                 "primary_completion_date_type", "completion_date", "last_update_post_date",
                                 "has_results", "in_landscape", "is_in_scope", "why_stopped")}
st.dataframe([{"field": k, "value": "" if v is None else str(v)} for k, v in fields.items()], hide_index=True,
             key="trial_fields")

st.subheader("Agents and the evidence for each label")
st.dataframe(detail["agents"], hide_index=True, key="trial_agents")
st.dataframe(detail["mechanisms"], hide_index=True, key="trial_mechanisms")
st.subheader("Interventions and arms")
st.dataframe(detail["interventions"], hide_index=True, key="trial_interventions")
st.dataframe(detail["arms"], hide_index=True, key="trial_arms")
st.subheader("Conditions and indications")
st.dataframe(detail["indications"], hide_index=True, key="trial_indications")
st.subheader(f"Sites ({detail['sites'].height})")
if detail["sites"].height:
    ui.chart(charts.site_map(detail["sites"]), "trial_sites_map")
    st.dataframe(detail["sites"], hide_index=True, key="trial_sites")
st.subheader(f"Changes detected ({detail['changes'].height})")
if detail["changes"].height:
    st.dataframe(detail["changes"], hide_index=True, key="trial_changes", column_config=ui.change_columns())
else:
    st.caption("No change between the versions held: the first version a refresh stores is the baseline.")
st.subheader(f"Stored versions ({detail['versions'].height})")
st.dataframe(detail["versions"], hide_index=True, key="trial_versions")
with st.expander("Raw JSON of the current version"):
    st.json(detail["raw"], expanded=False)
