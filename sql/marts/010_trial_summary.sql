-- one row per trial the tracker holds, with every label the public `trials` view shows: materialized at
-- the end of each refresh and classification, because the dashboard reads it on every page
create or replace table core.trial_summary as
with

trials as (

    select * from core.trials

),

studies as (

    select * from raw.studies

),

mechanisms as (

    select
        nct_id,
        bool_or(role = 'tracked') as has_tracked_mechanism,
        max(mechanism_class) filter (is_primary) as primary_mechanism_class,
        max(target) filter (is_primary) as primary_target,
        list(distinct mechanism_class order by mechanism_class) as mechanism_classes,
        list(distinct target order by target) filter (mechanism_class = 'immune_checkpoint')
            as checkpoint_targets,
        bool_or(role = 'tracked' and mechanism_class not in ('immune_checkpoint', 'adcc_antibody', 'nk_modulator'))
            as has_nk_specific_agent,
        bool_or(mechanism_class = 'immune_checkpoint' and target in ('PD-1', 'PD-L1', 'CTLA-4'))
            as has_pd1_pdl1_ctla4
    from core.trial_mechanisms
    group by nct_id

),

agents as (

    select nct_id, list(distinct agent order by agent) as agents
    from core.trial_agents
    group by nct_id

),

indications as (

    select
        nct_id,
        list(distinct indication_area order by indication_area) as indication_areas,
        list(distinct indication order by indication) as indications,
        bool_or(indication_area <> 'non_oncology') as is_oncology
    from core.trial_indications
    group by nct_id

),

final as (

    select
        ----------  ids
        trials.nct_id,
        trials.brief_title,
        trials.acronym,
        trials.official_title,

        ----------  landscape
        coalesce(studies.is_in_scope and mechanisms.has_tracked_mechanism, false) as in_landscape,
        mechanisms.primary_mechanism_class,
        mechanisms.primary_target,
        coalesce(mechanisms.mechanism_classes, []) as mechanism_classes,
        coalesce(agents.agents, []) as agents,
        coalesce(indications.indication_areas, []) as indication_areas,
        coalesce(indications.indications, []) as indications,
        coalesce(indications.is_oncology, false) as is_oncology,
        coalesce(mechanisms.has_nk_specific_agent, false) as has_nk_specific_agent,
        coalesce(mechanisms.has_pd1_pdl1_ctla4, false) as has_pd1_pdl1_ctla4,

        ----------  status
        trials.overall_status,
        core.status_group(trials.overall_status) as status_group,
        trials.last_known_status,
        trials.why_stopped,

        ----------  phase and design
        trials.phases,
        core.phase_code(trials.phases) as phase,
        core.phase_rank(trials.phases) as phase_rank,
        trials.study_type,
        trials.primary_purpose,
        trials.allocation,

        ----------  dates
        trials.start_date,
        trials.start_date_precision,
        trials.start_date_type,
        trials.primary_completion_date,
        trials.primary_completion_date_precision,
        trials.primary_completion_date_type,
        trials.completion_date,
        trials.completion_date_precision,
        trials.completion_date_type,
        trials.study_first_post_date,
        trials.last_update_post_date,
        trials.last_update_post_date_type,

        ----------  size and sponsor
        trials.enrollment,
        trials.enrollment_type,
        trials.lead_sponsor,
        trials.lead_sponsor_class as sponsor_class,
        trials.location_count,
        trials.conditions,
        trials.has_results,

        ----------  tracking
        studies.is_in_scope,
        studies.first_seen_at,
        studies.last_changed_at,
        studies.version_count,
        'https://clinicaltrials.gov/study/' || trials.nct_id as url
    from trials
    join studies using (nct_id)
    left join mechanisms using (nct_id)
    left join agents using (nct_id)
    left join indications using (nct_id)

)

select * from final;
