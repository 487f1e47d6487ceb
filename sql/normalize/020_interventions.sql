-- reads: parsed
-- writes: core.interventions
-- one row per study × intervention
insert into core.interventions by name
with

listed as (

    select
        nct_id,
        unnest(s.protocolSection.armsInterventionsModule.interventions) as item,
        generate_subscripts(s.protocolSection.armsInterventionsModule.interventions, 1) as intervention_idx
    from parsed

)

select
    nct_id,
    intervention_idx::integer as intervention_idx,
    item.type as intervention_type,
    item.name as name,
    item.description as description,
    coalesce(item.otherNames, []) as other_names,
    coalesce(item.armGroupLabels, []) as arm_group_labels
from listed;
