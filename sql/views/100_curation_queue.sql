-- one row per intervention name (lowercased) that no agent or rule recognised, by how often it occurs:
-- names in trials the search returned but that are not in the landscape, and names inside landscape trials
create or replace view main.curation_queue as
with

unmatched as (

    select
        interventions.nct_id,
        lower(trim(interventions.name)) as intervention_name,
        interventions.name as written,
        interventions.intervention_type,
        interventions.other_names,
        trials.in_landscape,
        -- the most frequent type of the name (ties: the first in name order), so the view is deterministic
        count(*) over (partition by lower(trim(interventions.name)), interventions.intervention_type)
            + 1.0 / (1 + rank() over (partition by lower(trim(interventions.name))
                                      order by interventions.intervention_type)) as type_count
    from core.interventions
    join core.intervention_matches using (nct_id, intervention_idx)
    join main.trials using (nct_id)
    where not intervention_matches.is_matched and trials.is_in_scope

),

final as (

    select
        intervention_name,
        min(written) as example_spelling,
        arg_max(intervention_type, type_count) as intervention_type,
        count(distinct nct_id) as n_trials,
        count(distinct nct_id) filter (not in_landscape) as n_trials_outside_landscape,
        count(distinct nct_id) filter (in_landscape) as n_trials_in_landscape,
        list(distinct nct_id order by nct_id)[1:20] as example_nct_ids,
        list_sort(list_distinct(flatten(list(other_names))))[1:10] as other_names
    from unmatched
    group by intervention_name

)

select * from final;
