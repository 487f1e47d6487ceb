"""Landscape: KPIs, mechanism × phase, status mix, indication × mechanism, growth by start year."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import streamlit as st

from dashboards import charts, queries, ui
from dashboards.theme import MECHANISM_COLORS, NO_PHASE, PHASE_ORDER

ctx = ui.page_context()
assert ctx.source is not None
source, filters, labels = ctx.source, ctx.filters, ctx.labels
mechanism_order = list(MECHANISM_COLORS)


def clicked(event: Any) -> list[list[str]]:
    """The customdata of the points a chart click selected."""
    try:
        points = event.selection.points
    except AttributeError:
        return []
    return [p.get("customdata") for p in points if p.get("customdata")]


def chosen_date() -> str | None:
    """The landscape's date from the URL (`?asof=2025-06-30`); None (today's landscape) for today or later."""
    today = ui.today()
    try:
        default = min(date.fromisoformat(st.query_params.get("asof", "")), today)
    except ValueError:
        default = today
    picked = st.columns([1, 3])[0].date_input(
        "Landscape as of", default, min_value=date(2000, 1, 1), max_value=today, key="landscape_as_of",
        help="Each trial as its newest version posted on or before this date (versions held by the tracker, "
             "and by `tracker history`).")
    if picked >= today:
        st.query_params.pop("asof", None)
        return None
    st.query_params["asof"] = picked.isoformat()
    return picked.isoformat()


as_of = chosen_date()
kpi = queries.kpis(source, filters, as_of)
cols = st.columns(5)
cols[0].metric("Trials", f"{kpi['trials']:,}")
cols[1].metric("Open trials", f"{kpi['open_trials']:,}", help="recruiting, not yet recruiting or by invitation")
cols[2].metric("Named agents", f"{kpi['agents']:,}", help="catalogue agents of tracked classes in these trials")
cols[3].metric("Lead sponsors", f"{kpi['sponsors']:,}")
if as_of is None:
    cols[4].metric("Data as of", ui.literal(ui.data_as_of(ctx)[:10]))
else:
    cols[4].metric("Landscape as of", as_of, help="the versions posted on or before this date")
if kpi["trials"] == 0:
    st.info("No landscape trial matches these filters" + (f" on {as_of}." if as_of else "."))
    st.stop()

st.subheader("Mechanism × phase")
st.caption("Trials per mechanism class and phase (a combination trial counts once in each of its classes). "
           "Click a square to narrow every page to it.")
matrix = queries.mechanism_phase(source, filters, as_of)
figure = charts.bubble_matrix(matrix, x="phase", y="mechanism_class", value="trials", x_order=PHASE_ORDER,
                              y_order=mechanism_order, x_label=lambda v: v or NO_PHASE,
                              y_label=labels.mechanism, color_of=lambda c: MECHANISM_COLORS.get(c, "#777777"))
for mechanism, phase in clicked(ui.chart(figure, "mechanism_phase", selectable=True))[:1]:
    ui.apply_selection(mechanism_classes=[mechanism], phases=[phase])

left, right = st.columns(2)
with left:
    st.subheader("Status by mechanism")
    mix = queries.status_mix(source, filters, as_of)
    event = ui.chart(charts.status_bars(mix, mechanism_order, labels.mechanism, labels.status_group),
                     "status_mix", selectable=True)
    for mechanism, status in clicked(event)[:1]:
        ui.apply_selection(mechanism_classes=[mechanism], status_groups=[status])
with right:
    st.subheader("Trials started per year")
    growth = queries.start_years(source, filters, as_of)
    ui.chart(charts.growth_lines(growth, mechanism_order, labels.mechanism), "growth")

st.subheader("Indication × mechanism")
indications = queries.indication_matrix(source, filters, as_of)
top = indications.group_by("indication").agg(total=pl.col("trials").sum()).sort(
    "total", descending=True).head(25)["indication"].to_list()
shown = indications.filter(indications["indication"].is_in(top))
figure = charts.bubble_matrix(shown, x="mechanism_class", y="indication", value="trials",
                              x_order=mechanism_order, y_order=top, x_label=labels.mechanism,
                              y_label=labels.indication, color_of=lambda c: "#4477AA", height=160 + 26 * len(top))
st.caption(f"The {len(top)} indications with most trials. Click a square to narrow every page to it.")
for indication, mechanism in clicked(ui.chart(figure, "indication_matrix", selectable=True))[:1]:
    ui.apply_selection(mechanism_classes=[mechanism], indications=[indication])
