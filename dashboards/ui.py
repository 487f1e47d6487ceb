"""Pieces every page shares: the data source, labels, the sidebar filters synced with the URL, banners."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import streamlit as st

from dashboards import queries
from dashboards.filters import CHECKPOINT_MODES, ONCOLOGY_MODES, URL_KEYS, Filters
from dashboards.readers import Source
from dashboards.theme import PHASE_ORDER, STATUS_ORDER, Labels
from tracker.config import Settings
from tracker.errors import ConfigError, TrackerError

PAGE_KEYS = ("nct", "asof", "since", "sev", "field")  # belong to one page, kept when filters change
# Streamlit finds autolinks (http://…, www.…, a@b.c) in the text after backslash escapes are resolved, so
# escaping cannot stop them; an invisible word joiner after the start of the pattern does
_AUTOLINK_STARTS = re.compile(r"(?i)https?:|www(?=\.)|@")
WORD_JOINER = "\u2060"


def literal(value: object) -> str:
    """Text from CT.gov, the database or the URL for any Streamlit argument that renders Markdown.

    Labels, values, help, captions, headings, alerts and expander or tab labels all render Markdown
    (links, emphasis, LaTeX, :colour[…], emoji and icon shortcodes); every ASCII punctuation character is
    backslash-escaped, so the text shows exactly as written, on one line. Widget options, st.text,
    st.json and dataframe cells are shown as plain text by Streamlit and must not be escaped.
    """
    text = " ".join(("" if value is None else str(value)).split())
    text = _AUTOLINK_STARTS.sub(lambda match: match.group(0) + WORD_JOINER, text)
    return "".join("\\" + char if char in string.punctuation else char for char in text)


@dataclass(frozen=True)
class Context:
    source: Source | None
    db_path: Path
    filters: Filters
    labels: Labels
    overview: dict[str, Any]

    @property
    def has_data(self) -> bool:
        return self.source is not None and self.overview.get("trials_stored", 0) > 0


def settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        st.error(f"Configuration error: {literal(exc)}")
        st.stop()
        raise


def build_context() -> Context:
    """Read the source, labels and filters once per script run; pages get them from session state."""
    db_path = settings().db_path
    source = Source.of(db_path)
    overview = queries.overview(source) if source else {"trials_stored": 0, "runs": 0}
    labels = _labels(source) if source and "error" not in overview else Labels({}, {}, {}, {}, {})
    filters = sidebar(source, labels) if source and overview.get("trials_in_landscape") else Filters()
    context = Context(source, db_path, filters, labels, overview)
    st.session_state["context"] = context
    return context


def context() -> Context:
    found = st.session_state.get("context")
    return found if isinstance(found, Context) else build_context()


def page_context() -> Context:
    """The context of a page that needs data; without data the page shows what to run and stops."""
    ctx = context()
    if not ctx.has_data or ctx.source is None:
        first_run(ctx)
        st.stop()
    return ctx


def _labels(source: Source) -> Labels:
    try:
        ref = queries.reference(source)
    except TrackerError:
        # a database written before the reference tables existed still shows codes
        return Labels({}, {}, {}, {}, {})
    mechanisms = ref["mechanisms"]
    return Labels(
        mechanisms={r["mechanism_class"]: r["mechanism_label"] for r in mechanisms.to_dicts()},
        targets={(r["mechanism_class"], r["target"]): r["target_label"] for r in mechanisms.to_dicts()},
        indications={r["indication"]: r["indication_label"] for r in ref["indications"].to_dicts()},
        areas={r["indication_area"]: r["indication_area_label"] for r in ref["indications"].to_dicts()},
        status_groups={r["status_group"]: r["status_group_label"] for r in ref["status_groups"].to_dicts()},
    )


def sidebar(source: Source, labels: Labels) -> Filters:
    """The global filters; their state lives in the URL so a view can be shared as a link."""
    from_url = Filters.from_query_params({k: st.query_params.get_all(k) for k in URL_KEYS})
    options = queries.filter_options(source)
    mechanism_order = list(labels.mechanisms)
    with st.sidebar:
        st.header("Filters")
        checkpoint = st.radio("PD-1 / PD-L1 / CTLA-4 trials", list(CHECKPOINT_MODES), key="f_cpi",
                              index=list(CHECKPOINT_MODES).index(from_url.checkpoint),
                              format_func=CHECKPOINT_MODES.__getitem__)
        mechanisms = _multi("Mechanism class", "f_mech", sorted(
            options.get("mechanism_classes") or [], key=lambda c: (mechanism_order + [c]).index(c)),
            from_url.mechanism_classes, labels.mechanism)
        targets = _multi("Target", "f_target", sorted(options.get("targets") or []), from_url.targets)
        agents = _multi("Agent", "f_agent", options.get("agents") or [], from_url.agents)
        phases = _multi("Phase", "f_phase", [p for p in PHASE_ORDER if p in (options.get("phases") or [])],
                        from_url.phases)
        statuses = _multi("Status", "f_status", [s for s in STATUS_ORDER if s in (options.get("status_groups") or [])],
                          from_url.status_groups, labels.status_group)
        areas = _multi("Indication area", "f_area", sorted(options.get("indication_areas") or []),
                       from_url.indication_areas, labels.area)
        indications = _multi("Indication", "f_ind", sorted(options.get("indications") or [], key=labels.indication),
                             from_url.indications, labels.indication)
        sponsors = _multi("Sponsor class", "f_sponsor", sorted(options.get("sponsor_classes") or []),
                          from_url.sponsor_classes)
        oncology = st.radio("Oncology", list(ONCOLOGY_MODES), key="f_onc",
                            index=list(ONCOLOGY_MODES).index(from_url.oncology),
                            format_func=ONCOLOGY_MODES.__getitem__)
        years = _years(options, from_url.start_years)
        selection = from_url.nct_ids
        if selection:
            st.caption(f"Chart selection: {len(selection)} trial(s)")
            if st.button("Clear chart selection", key="f_clear_sel"):
                selection = ()
        if st.button("Reset all filters", key="f_reset"):
            reset()
    filters = Filters(
        mechanism_classes=tuple(mechanisms), targets=tuple(targets), agents=tuple(agents), phases=tuple(phases),
        status_groups=tuple(statuses), indication_areas=tuple(areas), indications=tuple(indications),
        sponsor_classes=tuple(sponsors), start_years=years, oncology=oncology, checkpoint=checkpoint,
        nct_ids=tuple(selection),
    )
    write_url(filters)
    return filters


def _multi(label: str, key: str, options: list[str], chosen: tuple[str, ...],
           format_func: Any = str) -> list[str]:
    if key not in st.session_state:
        st.session_state[key] = [c for c in chosen if c in options]
    else:
        st.session_state[key] = [c for c in st.session_state[key] if c in options]
    # options are shown as plain text (unlike radio options, which render Markdown): no escaping here
    value: list[str] = st.multiselect(label, options, key=key, format_func=format_func)
    return value


def _years(options: dict[str, Any], chosen: tuple[int, int] | None) -> tuple[int, int] | None:
    first, last = options.get("first_year"), options.get("last_year")
    if first is None or last is None or first >= last:
        return None
    if "f_start" not in st.session_state:
        low, high = chosen or (first, last)
        st.session_state["f_start"] = (max(first, low), min(last, high))
    chosen_range: Any = st.slider("Start year", min_value=int(first), max_value=int(last), key="f_start")
    low, high = chosen_range
    return None if (low, high) == (first, last) else (int(low), int(high))


def write_url(filters: Filters) -> None:
    params: dict[str, Any] = {k: st.query_params.get_all(k) for k in PAGE_KEYS if k in st.query_params}
    params.update(filters.to_query_params())
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    if current != params:
        st.query_params.from_dict(params)


def apply_selection(**changes: Any) -> None:
    """Narrow the global filters from a chart click, then rerun with the new filters in the widgets and URL."""
    keys = {"mechanism_classes": "f_mech", "phases": "f_phase", "status_groups": "f_status",
            "indications": "f_ind", "targets": "f_target", "agents": "f_agent"}
    for name, value in changes.items():
        if name == "nct_ids":
            current = {k: st.query_params.get_all(k) for k in st.query_params}
            current["ids"] = list(value)
            st.query_params.from_dict(current)
        elif name in keys:
            st.session_state[keys[name]] = list(value)
    st.rerun()


def reset() -> None:
    for key in [k for k in st.session_state if str(k).startswith("f_")]:
        del st.session_state[key]
    st.query_params.clear()
    st.rerun()


def banners(ctx: Context) -> None:
    """The demo banner, data freshness, and any error reading the database."""
    overview = ctx.overview
    if overview.get("error"):
        st.error(f"The database at {literal(ctx.db_path)} cannot be read: {literal(overview['error'])}")
    if overview.get("synthetic_trials"):
        st.warning("**Demo data: synthetic records.** These trials come from the bundled demo corpus "
                   "(reserved NCT9xxxxxxx ids), not from ClinicalTrials.gov.", icon=":material/science:")


def first_run(ctx: Context) -> None:
    """What to do when there is no data yet, instead of an exception."""
    st.info(
        f"No trial data yet at {literal(ctx.db_path)}.\n\n"
        "- `tracker up` fetches the landscape from ClinicalTrials.gov, then refreshes it on schedule;\n"
        "- `tracker up --demo` (or `tracker demo`) loads the bundled synthetic demo corpus, no network needed;\n"
        "- `tracker refresh` runs one refresh by hand.\n\nThis page updates within a minute of the first refresh.",
        icon=":material/database:",
    )


def data_as_of(ctx: Context) -> str:
    value = ctx.overview.get("data_as_of")
    return str(value).replace("T", " ") if value else "—"


def today() -> date:
    return date.today()


def chart(figure: Any, key: str, *, selectable: bool = False) -> Any:
    """A plotly chart with the offline map outlines; selectable charts rerun with the clicked points."""
    from dashboards.charts import PLOTLY_CONFIG

    if selectable:
        return st.plotly_chart(figure, key=key, config=PLOTLY_CONFIG, on_select="rerun", selection_mode="points")
    return st.plotly_chart(figure, key=key, config=PLOTLY_CONFIG)


def change_columns() -> dict[str, Any]:
    """Column labels of a table of `trial_changes` rows (the Changes page, the Trial page)."""
    return {
        "posted_date": st.column_config.DateColumn("Posted", format="YYYY-MM-DD"),
        "severity": st.column_config.TextColumn("Severity"),
        "url": st.column_config.LinkColumn("NCT id", display_text=r"https://clinicaltrials\.gov/study/(.*)"),
        "nct_id": None,
        "brief_title": st.column_config.TextColumn("Title", width="medium"),
        "field": st.column_config.TextColumn("Field"),
        "old_value": st.column_config.TextColumn("Before"),
        "new_value": st.column_config.TextColumn("After"),
        "shift_days": st.column_config.NumberColumn("Shift (days)", format="%+d"),
        "pct_change": st.column_config.NumberColumn("Change (%)", format="%+.0f%%"),
        "reason": st.column_config.TextColumn("Why it matters", width="medium"),
        "mechanism_class": st.column_config.TextColumn("Mechanism"),
        "target": st.column_config.TextColumn("Target"),
        "phase": st.column_config.TextColumn("Phase"),
        "source": st.column_config.TextColumn("Seen by", help="refresh, CT.gov record history, or a catalogue "
                                              "edit"),
    }
