-- one row per trial the tracker holds (in or out of scope), with the codes of vocabulary.md
create or replace view main.trials as
with

trials as (

    select * from core.trials

),

studies as (

    select * from raw.studies

),

final as (

    select
        ----------  ids
        trials.nct_id,
        trials.brief_title,
        trials.acronym,
        trials.official_title,

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

)

select * from final;
