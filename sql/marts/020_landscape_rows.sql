-- one row per landscape trial × (mechanism_class, target), with the trial columns the dashboard filters
-- and counts by: materialized so a chart is one scan of one table
create or replace table core.landscape_rows as
select
    ----------  ids
    summary.nct_id,
    mechanisms.mechanism_class,
    mechanisms.target,
    mechanisms.role,
    mechanisms.is_primary,
    -- one row per trial and class carries it, so a count per class needs no distinct
    row_number() over (partition by summary.nct_id, mechanisms.mechanism_class
                       order by mechanisms.target_order) = 1 as is_first_target_in_class,

    ----------  trial columns, as in the public trials view
    summary.in_landscape,
    summary.mechanism_classes,
    summary.agents,
    summary.phase,
    summary.phase_rank,
    summary.status_group,
    summary.overall_status,
    summary.indication_areas,
    summary.indications,
    summary.sponsor_class,
    summary.lead_sponsor,
    summary.start_date,
    summary.is_oncology,
    summary.has_nk_specific_agent,
    summary.has_pd1_pdl1_ctla4,
    summary.enrollment
from core.trial_summary as summary
join core.trial_mechanisms as mechanisms using (nct_id)
where summary.in_landscape
order by mechanisms.mechanism_class, summary.nct_id;
