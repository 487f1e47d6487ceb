"""Every query the dashboard runs: short read-only connections to the published database, public views only.

The SQL of each chart and table is here; the global filters add a WHERE clause built by filter_sql.py,
their values passed as parameters.

Each function is cached by Streamlit and keyed by the published file's identity (`Source`), so a new
refresh (a new file, atomically renamed into place) is read on the next script run; dashboards/readers.py
holds the connections.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import streamlit as st

from dashboards.filter_sql import filtered, per_class_count
from dashboards.filters import Filters
from dashboards.readers import ReaderPool, Source
from tracker.errors import TrackerError

TTL = "10m"
READERS = ReaderPool()


def _frame(source: Source, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
    return READERS.get(source).frame(sql, params or [])


@st.cache_data(ttl=TTL, show_spinner=False)
def overview(source: Source) -> dict[str, Any]:
    """Does the database hold data, what runs happened, is it the demo corpus."""
    try:
        counts = _frame(source, """
            select
                count(*) as trials_stored,
                count(*) filter (in_landscape) as trials_in_landscape,
                count(*) filter (nct_id like 'NCT9%') as synthetic_trials,
                (select max(data_timestamp) from refresh_runs where status in ('succeeded', 'skipped')) as data_as_of,
                (select max(finished_at) from refresh_runs where status in ('succeeded', 'skipped')) as refreshed_at,
                (select count(*) from refresh_runs) as runs
            from trials
        """).to_dicts()[0]
    except TrackerError as exc:
        return {"error": str(exc), "trials_stored": 0, "trials_in_landscape": 0, "runs": 0, "synthetic_trials": 0}
    return counts


@st.cache_data(ttl=TTL, show_spinner=False)
def reference(source: Source) -> dict[str, pl.DataFrame]:
    """Codes and labels (vocabulary) plus the catalogue, for widgets and chart labels."""
    return {
        "mechanisms": _frame(source, "select * from mechanisms order by priority, target_order"),
        "indications": _frame(source, "select * from indications"),
        "phases": _frame(source, "select * from phases order by phase_rank nulls last"),
        "status_groups": _frame(source, "select distinct status_group, status_group_label from status_groups"),
    }


@st.cache_data(ttl=TTL, show_spinner=False)
def filter_options(source: Source) -> dict[str, list[Any]]:
    """What the sidebar can offer: only values present among landscape trials."""
    frame = _frame(source, "select * from landscape_options")
    return frame.to_dicts()[0] if frame.height else {}


@st.cache_data(ttl=TTL, show_spinner=False)
def kpis(source: Source, f: Filters, as_of: str | None = None) -> dict[str, Any]:
    sql, params = filtered(f, """
        select
            count(*) as trials,
            count(*) filter (status_group = 'open') as open_trials,
            count(distinct lead_sponsor) as sponsors,
            sum(enrollment) filter (status_group = 'open') as open_enrollment
        from filtered
    """, columns="t.nct_id, t.status_group, t.lead_sponsor, t.enrollment", as_of=as_of)
    counts = _frame(source, sql, params).to_dicts()[0]
    # a second query rather than a subquery: read twice, `filtered` would be materialized whole
    sql, params = filtered(f, """
        select count(distinct named.agent) as agents
        from (select unnest(agents) as agent from filtered) as seen
        join agents as named on named.agent = seen.agent and named.role = 'tracked'
    """, columns="t.agents", as_of=as_of)
    counts["agents"] = _frame(source, sql, params)["agents"][0]
    return counts


@st.cache_data(ttl=TTL, show_spinner=False)
def mechanism_phase(source: Source, f: Filters, as_of: str | None = None) -> pl.DataFrame:
    sql, params = filtered(f, f"""
        select mechanism_class, phase, {per_class_count(f)} as trials
        from mech
        group by all
    """, with_mechanisms=True, as_of=as_of)
    return _frame(source, sql, params)


@st.cache_data(ttl=TTL, show_spinner=False)
def status_mix(source: Source, f: Filters, as_of: str | None = None) -> pl.DataFrame:
    sql, params = filtered(f, f"""
        select mechanism_class, status_group, {per_class_count(f)} as trials
        from mech
        group by all
    """, with_mechanisms=True, as_of=as_of)
    return _frame(source, sql, params)


@st.cache_data(ttl=TTL, show_spinner=False)
def indication_matrix(source: Source, f: Filters, as_of: str | None = None) -> pl.DataFrame:
    sql, params = filtered(f, f"""
        select mechanism_class, indication, {per_class_count(f)} as trials
        from (select mechanism_class, nct_id, is_first_target_in_class, unnest(indications) as indication
              from mech)
        group by all
    """, with_mechanisms=True, as_of=as_of)
    return _frame(source, sql, params)


@st.cache_data(ttl=TTL, show_spinner=False)
def start_years(source: Source, f: Filters, as_of: str | None = None) -> pl.DataFrame:
    sql, params = filtered(f, f"""
        select mechanism_class, year(start_date) as start_year, {per_class_count(f)} as trials
        from mech
        where start_date is not null
        group by all
        order by start_year
    """, with_mechanisms=True, as_of=as_of)
    return _frame(source, sql, params)


@st.cache_data(ttl=TTL, show_spinner=False)
def agents_table(source: Source, f: Filters) -> pl.DataFrame:
    sql, params = filtered(f, """
        , agent_trials as (
            select a.agent, a.mechanism_class, a.target, a.is_named, t.*
            from trial_agents a join filtered t using (nct_id)
            where a.role = 'tracked'
        )
        select
            agent,
            any_value(mechanism_class) as mechanism_class,
            any_value(target) as target,
            bool_or(is_named) as is_named,
            max(phase_rank) as highest_phase_rank,
            arg_max(phase, phase_rank) as highest_phase,
            count(distinct nct_id) as trials,
            count(distinct nct_id) filter (status_group = 'open') as open,
            count(distinct nct_id) filter (status_group = 'active') as active,
            count(distinct nct_id) filter (status_group = 'completed') as completed,
            count(distinct nct_id) filter (status_group = 'stopped') as stopped,
            list_sort(list_distinct(flatten(list(indications)))) as indications,
            list_sort(list_distinct(list(lead_sponsor)))[1:5] as lead_sponsors
        from agent_trials
        group by agent
        order by trials desc, agent
    """)
    return _frame(source, sql, params)


TRIAL_COLUMNS = """
    t.nct_id, t.url, t.brief_title, array_to_string(t.agents, '; ') as agents, t.primary_mechanism_class,
    t.primary_target, array_to_string(t.mechanism_classes, ', ') as mechanism_classes, t.phase, t.phase_rank,
    t.overall_status, t.status_group, array_to_string(t.indications, ', ') as indications, t.lead_sponsor,
    t.sponsor_class, t.start_date, t.primary_completion_date, t.enrollment, t.enrollment_type,
    t.last_update_post_date
"""


@st.cache_data(ttl=TTL, show_spinner=False)
def trials_table(source: Source, f: Filters, limit: int | None = None) -> pl.DataFrame:
    sql, params = filtered(f, f"""
        select {TRIAL_COLUMNS}
        from filtered t
        order by t.phase_rank desc nulls last, t.start_date desc nulls last, t.nct_id
        {"limit ?" if limit else ""}
    """)
    return _frame(source, sql, params + ([limit] if limit else []))


@st.cache_data(ttl=TTL, show_spinner=False)
def timeline(source: Source, f: Filters, limit: int) -> pl.DataFrame:
    sql, params = filtered(f, """
        select t.nct_id, t.brief_title, coalesce(t.phase, 'No phase') as phase, t.status_group,
               t.primary_mechanism_class, t.start_date, t.primary_completion_date,
               t.primary_completion_date_type
        from filtered t
        where t.start_date is not null and t.primary_completion_date is not null
        order by t.primary_completion_date desc
        limit ?
    """)
    return _frame(source, sql, params + [limit])


@st.cache_data(ttl=TTL, show_spinner=False)
def upcoming_completions(source: Source, f: Filters, today: str) -> pl.DataFrame:
    sql, params = filtered(f, """
        select t.nct_id, t.url, t.brief_title, array_to_string(t.agents, '; ') as agents, t.phase,
               t.overall_status, t.primary_completion_date, t.primary_completion_date_type, t.lead_sponsor
        from filtered t
        where t.primary_completion_date between cast(? as date) and cast(? as date) + interval 12 month
          and t.status_group in ('open', 'active')
        order by t.primary_completion_date
    """)
    return _frame(source, sql, params + [today, today])


@st.cache_data(ttl=TTL, show_spinner=False)
def sites_by_country(source: Source, f: Filters) -> pl.DataFrame:
    sql, params = filtered(f, """
        select s.country, count(*) as sites, count(*) filter (s.site_status = 'RECRUITING') as recruiting_sites,
               count(distinct s.nct_id) as trials
        from trial_sites s join filtered using (nct_id)
        where s.country is not null
        group by s.country
        order by sites desc
    """)
    return _frame(source, sql, params)


@st.cache_data(ttl=TTL, show_spinner=False)
def open_sites(source: Source, f: Filters, limit: int = 5000) -> pl.DataFrame:
    sql, params = filtered(f, """
        select s.nct_id, t.brief_title, s.facility, s.city, s.state, s.country, s.site_status, s.lat, s.lon
        from trial_sites s join filtered t using (nct_id)
        where s.site_status in ('RECRUITING', 'NOT_YET_RECRUITING', 'ENROLLING_BY_INVITATION')
        order by s.country, s.city
        limit ?
    """)
    return _frame(source, sql, params + [limit])


@st.cache_data(ttl=TTL, show_spinner=False)
def trial(source: Source, nct_id: str) -> dict[str, Any] | None:
    rows = _frame(source, "select * from trials where nct_id = ?", [nct_id]).to_dicts()
    if not rows:
        return None
    detail: dict[str, Any] = {"trial": rows[0]}
    detail["agents"] = _frame(source, "select agent, mechanism_class, target, role, matched_text, matched_field, "
                                      "field_text, source from trial_agents where nct_id = ? order by role desc, agent",
                              [nct_id])
    detail["mechanisms"] = _frame(source, "select mechanism_class, target, is_primary, role, agents "
                                          "from trial_mechanisms where nct_id = ?", [nct_id])
    detail["indications"] = _frame(source, "select indication, indication_area, source, evidence "
                                           "from trial_indications where nct_id = ?", [nct_id])
    detail["interventions"] = _frame(source, "select intervention_type, name, other_names, description "
                                             "from trial_interventions where nct_id = ? order by intervention_idx",
                                     [nct_id])
    detail["arms"] = _frame(source, "select label, arm_group_type, description, intervention_names "
                                    "from trial_arm_groups where nct_id = ? order by arm_group_idx", [nct_id])
    detail["sites"] = _frame(source, "select facility, city, state, country, site_status, lat, lon "
                                     "from trial_sites where nct_id = ? order by location_idx", [nct_id])
    detail["versions"] = _frame(source, "select version_number, last_update_post_date, last_update_post_date_type, "
                                        "version_holder, fetched_at, run_id, is_current from trial_versions "
                                        "where nct_id = ? order by version_number desc", [nct_id])
    detail["changes"] = _frame(source, "select posted_date, severity, field, old_value, new_value, shift_days, "
                                       "reason, source from trial_changes where nct_id = ? "
                                       "order by posted_date desc, change_id desc", [nct_id])
    raw = _frame(source, "select payload from trial_versions where nct_id = ? and is_current", [nct_id])
    detail["raw"] = json.loads(raw["payload"][0]) if raw.height else None
    return detail


@st.cache_data(ttl=TTL, show_spinner=False)
def runs(source: Source, limit: int = 50) -> pl.DataFrame:
    return _frame(source, "select * from refresh_runs order by run_id desc limit ?", [limit])


@st.cache_data(ttl=TTL, show_spinner=False)
def reconciliation(source: Source) -> pl.DataFrame:
    return _frame(source, """
        select q.run_id, q.label, q.source, q.mode, q.since_date, q.pages, q.empty_pages, q.requests,
               q.rows_received, q.distinct_studies, q.total_count, q.is_reconciled, q.note
        from refresh_queries q
        where q.run_id = (select max(run_id) from refresh_queries)
        order by q.label
    """)


@st.cache_data(ttl=TTL, show_spinner=False)
def curation(source: Source, limit: int = 200) -> pl.DataFrame:
    return _frame(source, "select * from curation_queue order by n_trials desc, intervention_name limit ?", [limit])


SEVERITIES = ("critical", "major", "minor")


@st.cache_data(ttl=TTL, show_spinner=False)
def changes(source: Source, f: Filters, since: str, severities: tuple[str, ...], fields: tuple[str, ...],
            limit: int = 5000) -> pl.DataFrame:
    """Detected changes posted since a date, for the filtered trials (and trials that left the landscape)."""
    sql, params = filtered(f, """
        select c.posted_date, c.severity, c.nct_id, c.url, c.brief_title, c.field, c.reason, c.old_value,
               c.new_value, c.shift_days, c.pct_change, c.mechanism_class, c.target, c.phase, c.source
        from trial_changes c
        where c.posted_date >= cast(? as date) and list_contains(?, c.severity)
          and (len(?) = 0 or list_contains(?, c.field))
          and (c.nct_id in (select nct_id from filtered) or c.field in ('left_landscape', 'left_scope'))
        order by c.posted_date desc, case c.severity when 'critical' then 0 when 'major' then 1 else 2 end,
                 c.nct_id, c.field
        limit ?
    """, columns="t.nct_id")
    return _frame(source, sql, params + [since, list(severities), list(fields), list(fields), limit])


@st.cache_data(ttl=TTL, show_spinner=False)
def change_fields(source: Source) -> list[str]:
    return _frame(source, "select distinct field from trial_changes order by field")["field"].to_list()


@st.cache_data(ttl=TTL, show_spinner=False)
def landscape_diff(source: Source, date_from: str, date_to: str) -> pl.DataFrame:
    return _frame(source, "select change, mechanism_class, target, nct_id, brief_title, value_before, "
                          "value_after from landscape_diff(cast(? as date), cast(? as date)) "
                          "order by change, mechanism_class nulls last, nct_id",
                  [date_from, date_to])


@st.cache_data(ttl=TTL, show_spinner=False)
def slips(source: Source, f: Filters, limit: int = 500) -> pl.DataFrame:
    """Filtered trials whose primary completion date moved, most total slip first."""
    sql, params = filtered(f, """
        select h.nct_id, any_value(t.brief_title) as brief_title, any_value(t.url) as url,
               count(*) filter (h.version_number > 1) as moves,
               sum(h.shift_days) filter (h.version_number > 1) as total_shift_days,
               arg_min(h.primary_completion_date, h.version_number) as first_date,
               arg_max(h.primary_completion_date, h.version_number) as latest_date
        from completion_history h join filtered t using (nct_id)
        group by h.nct_id
        having count(*) filter (h.version_number > 1) > 0
        order by total_shift_days desc nulls last, h.nct_id
        limit ?
    """, columns="t.nct_id, t.brief_title, t.url")
    return _frame(source, sql, params + [limit])


@st.cache_data(ttl=TTL, show_spinner=False)
def completion_history(source: Source, nct_id: str) -> pl.DataFrame:
    return _frame(source, "select version_number, posted_date, primary_completion_date, "
                          "primary_completion_date_type, shift_days, source from completion_history "
                          "where nct_id = ? order by version_number", [nct_id])
