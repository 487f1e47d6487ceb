-- one row per trial × intervention as registered (name, type, other names, description)
create or replace view main.trial_interventions as
select
    interventions.nct_id,
    interventions.intervention_idx,
    interventions.intervention_type,
    interventions.name,
    interventions.other_names,
    interventions.description,
    interventions.arm_group_labels,
    coalesce(matches.is_matched, false) as is_recognised
from core.interventions as interventions
left join core.intervention_matches as matches using (nct_id, intervention_idx);
