"""Geography: sites by country and the open sites of the filtered trials."""

from __future__ import annotations

import streamlit as st

from dashboards import charts, queries, ui

ctx = ui.page_context()
assert ctx.source is not None

countries = queries.sites_by_country(ctx.source, ctx.filters)
if countries.is_empty():
    st.info("The filtered trials list no sites.")
    st.stop()
cols = st.columns(3)
cols[0].metric("Countries", f"{countries.height:,}")
cols[1].metric("Sites", f"{countries['sites'].sum():,}")
cols[2].metric("Recruiting sites", f"{countries['recruiting_sites'].sum():,}")
ui.chart(charts.country_map(countries), "country_map")
st.dataframe(countries, hide_index=True, key="countries")

st.subheader("Open sites")
sites = queries.open_sites(ctx.source, ctx.filters)
st.caption(f"{sites.height:,} recruiting, not-yet-recruiting or by-invitation sites (geocoded by NLM)")
if sites.height:
    ui.chart(charts.site_map(sites), "open_sites_map")
st.dataframe(sites, hide_index=True, key="open_sites")
