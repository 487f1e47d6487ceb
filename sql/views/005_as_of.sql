-- time travel: the trials and the landscape as they stood on a date, from the versions held.
-- The version current on date d is the newest stored version with last_update_post_date <= d; a null
-- date means today's current versions. `trials` (through core.trial_summary) and `landscape` are these
-- same macros called with null, so a past landscape is computed exactly as today's.

-- orders a trial's versions (or changes) newest last as one number: a list key [posted, id] is 4x slower in
-- arg_max; ids stay below 2^40 and days since 1970 below 2^23, so the product fits a bigint
create or replace macro versions.recency(posted_date, id) as
    date_diff('day', date '1970-01-01', posted_date) * 1099511627776 + id;

-- one row per trial held on as_of: the version then current, whether it was in scope, and how many
-- versions it had by then (scope events are those the change-detection stage recorded)
create or replace macro versions.picked_versions(as_of) as table
with

chain as (

    select
        nct_id,
        version_id,
        row_number() over (partition by nct_id order by posted_date nulls first, version_id) as version_number
    from versions.trial_snapshots

),

current_versions as (

    select studies.nct_id, studies.version_id, studies.is_in_scope, chain.version_number as version_count
    from raw.studies as studies
    join chain using (nct_id, version_id)
    where as_of is null

),

past_versions as (

    select
        nct_id,
        arg_max(version_id, versions.recency(posted_date, version_id)) as version_id,
        count(*) as version_count
    from versions.trial_snapshots
    where as_of is not null and posted_date <= cast(as_of as date)
    group by nct_id

),

scope_events as (

    select
        nct_id,
        arg_max(field, versions.recency(posted_date, change_id)) filter (posted_date <= cast(as_of as date)) as last_event,
        arg_min(field, versions.recency(posted_date, change_id)) as first_event
    from versions.trial_changes
    where as_of is not null and field in ('entered_scope', 'left_scope')
    group by nct_id

),

past_scope as (

    select
        past_versions.*,
        case
            when scope_events.last_event is not null then scope_events.last_event = 'entered_scope'
            -- a trial whose first scope event is an entry was not tracked before it
            else coalesce(scope_events.first_event <> 'entered_scope', true)
        end as is_in_scope
    from past_versions
    left join scope_events using (nct_id)

)

select nct_id, version_id, is_in_scope, version_count from current_versions
union all
select nct_id, version_id, is_in_scope, version_count from past_scope;

-- one row per trial held on as_of, with the columns of the public `trials` view
create or replace macro main.trials_as_of(as_of) as table
with

picked as (

    select * from versions.picked_versions(as_of)

),

final as (

    select
        ----------  ids
        snapshots.nct_id,
        snapshots.brief_title,
        snapshots.acronym,
        snapshots.official_title,

        ----------  landscape
        coalesce(picked.is_in_scope and snapshots.has_tracked_mechanism, false) as in_landscape,
        snapshots.primary_mechanism_class,
        snapshots.primary_target,
        snapshots.mechanism_classes,
        snapshots.agents,
        snapshots.indication_areas,
        snapshots.indications,
        snapshots.is_oncology,
        snapshots.has_nk_specific_agent,
        snapshots.has_pd1_pdl1_ctla4,

        ----------  status
        snapshots.overall_status,
        core.status_group(snapshots.overall_status) as status_group,
        snapshots.last_known_status,
        snapshots.why_stopped,

        ----------  phase and design
        snapshots.phases,
        core.phase_code(snapshots.phases) as phase,
        core.phase_rank(snapshots.phases) as phase_rank,
        snapshots.study_type,
        snapshots.primary_purpose,
        snapshots.allocation,

        ----------  dates
        snapshots.start_date,
        snapshots.start_date_precision,
        snapshots.start_date_type,
        snapshots.primary_completion_date,
        snapshots.primary_completion_date_precision,
        snapshots.primary_completion_date_type,
        snapshots.completion_date,
        snapshots.completion_date_precision,
        snapshots.completion_date_type,
        snapshots.study_first_post_date,
        snapshots.last_update_post_date,
        snapshots.last_update_post_date_type,

        ----------  size and sponsor
        snapshots.enrollment,
        snapshots.enrollment_type,
        snapshots.lead_sponsor,
        snapshots.lead_sponsor_class as sponsor_class,
        snapshots.location_count,
        snapshots.conditions,
        snapshots.has_results,

        ----------  tracking
        picked.is_in_scope,
        studies.first_seen_at,
        versions.fetched_at as last_changed_at,
        picked.version_count,
        'https://clinicaltrials.gov/study/' || snapshots.nct_id as url
    from picked
    join versions.trial_snapshots as snapshots using (version_id)
    join raw.studies as studies on studies.nct_id = picked.nct_id
    join raw.study_versions as versions on versions.version_id = picked.version_id

)

select * from final;

-- one row per mechanism_class × target × phase × status_group × indication of the trials in the
-- landscape on as_of, with the columns of the public `landscape` view
create or replace macro main.landscape_as_of(as_of) as table
with

picked as (

    select * from versions.picked_versions(as_of)

),

trials as (

    select
        snapshots.nct_id,
        core.phase_code(snapshots.phases) as phase,
        core.phase_rank(snapshots.phases) as phase_rank,
        core.status_group(snapshots.overall_status) as status_group,
        snapshots.mechanisms,
        snapshots.indication_rows
    from picked
    join versions.trial_snapshots as snapshots using (version_id)
    where picked.is_in_scope and snapshots.has_tracked_mechanism

),

mechanisms as (

    select nct_id, phase, phase_rank, status_group, indication_rows, unnest(mechanisms, recursive := true)
    from trials

),

rows as (

    select
        nct_id, phase, phase_rank, status_group, mechanism_class, target, role,
        unnest(case when len(indication_rows) = 0 then [null] else indication_rows end, recursive := true)
    from mechanisms

),

final as (

    select
        mechanism_class,
        target,
        phase,
        status_group,
        indication,
        any_value(indication_area) as indication_area,
        any_value(role) as role,
        any_value(phase_rank) as phase_rank,
        count(distinct nct_id) as n_trials,
        list(distinct nct_id order by nct_id) as nct_ids
    from rows
    group by all

)

select * from final;

-- one row per trial × what moved between two dates, for the trials in the landscape on either date:
-- change = entered | left | status_group | phase, with the primary mechanism of the later date when the
-- trial is in the landscape then (else of the earlier date)
create or replace macro main.landscape_diff(date_from, date_to) as table
with

before as (

    select nct_id, in_landscape, status_group, phase, primary_mechanism_class, primary_target, brief_title
    from main.trials_as_of(date_from)

),

after as (

    select nct_id, in_landscape, status_group, phase, primary_mechanism_class, primary_target, brief_title
    from main.trials_as_of(date_to)

),

paired as (

    select
        coalesce(after.nct_id, before.nct_id) as nct_id,
        coalesce(after.brief_title, before.brief_title) as brief_title,
        coalesce(before.in_landscape, false) as was_in,
        coalesce(after.in_landscape, false) as is_in,
        before.status_group as status_before,
        after.status_group as status_after,
        before.phase as phase_before,
        after.phase as phase_after,
        case when after.in_landscape then after.primary_mechanism_class else before.primary_mechanism_class end
            as mechanism_class,
        case when after.in_landscape then after.primary_target else before.primary_target end as target
    from before
    full outer join after using (nct_id)
    where coalesce(before.in_landscape, false) or coalesce(after.in_landscape, false)

),

changes as (

    select nct_id, brief_title, mechanism_class, target, 'entered' as change, null as value_before,
           status_after as value_after
    from paired where is_in and not was_in
    union all
    select nct_id, brief_title, mechanism_class, target, 'left', status_before, status_after
    from paired where was_in and not is_in
    union all
    select nct_id, brief_title, mechanism_class, target, 'status_group', status_before, status_after
    from paired where was_in and is_in and status_before is distinct from status_after
    union all
    select nct_id, brief_title, mechanism_class, target, 'phase', phase_before, phase_after
    from paired where was_in and is_in and phase_before is distinct from phase_after

)

select
    nct_id,
    change,
    mechanism_class,
    target,
    value_before,
    value_after,
    cast(date_from as date) as date_from,
    cast(date_to as date) as date_to,
    brief_title,
    'https://clinicaltrials.gov/study/' || nct_id as url
from changes;

-- one row per landscape trial × (mechanism_class, target) on as_of, with the columns of `landscape_rows`:
-- the dashboard's Landscape page drawn as it stood on a past date
create or replace macro main.landscape_rows_as_of(as_of) as table
with

trials as (

    select * from main.trials_as_of(as_of) where in_landscape

),

mechanisms as (

    -- is_first_target_in_class within the list, not by a window over every row: 10x faster
    select
        picked.nct_id,
        unnest(list_transform(snapshots.mechanisms, lambda mechanism, position: {
            'mechanism': mechanism,
            'is_first_target_in_class': list_position(
                list_transform(snapshots.mechanisms, lambda other: other.mechanism_class),
                mechanism.mechanism_class) = position
        }), recursive := true)
    from versions.picked_versions(as_of) as picked
    join versions.trial_snapshots as snapshots using (version_id)
    where picked.nct_id in (select nct_id from trials)

)

select
    ----------  ids
    mechanisms.nct_id,
    mechanisms.mechanism_class,
    mechanisms.target,
    mechanisms.role,
    mechanisms.is_primary,
    mechanisms.is_first_target_in_class,

    ----------  trial columns, as in `trials_as_of`
    trials.in_landscape,
    trials.mechanism_classes,
    trials.agents,
    trials.phase,
    trials.phase_rank,
    trials.status_group,
    trials.overall_status,
    trials.indication_areas,
    trials.indications,
    trials.sponsor_class,
    trials.lead_sponsor,
    trials.start_date,
    trials.is_oncology,
    trials.has_nk_specific_agent,
    trials.has_pd1_pdl1_ctla4,
    trials.enrollment
from mechanisms
join trials using (nct_id);
