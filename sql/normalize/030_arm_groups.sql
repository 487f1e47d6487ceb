-- reads: parsed
-- writes: core.arm_groups
-- one row per study × arm group
insert into core.arm_groups by name
with

listed as (

    select
        nct_id,
        unnest(s.protocolSection.armsInterventionsModule.armGroups) as item,
        generate_subscripts(s.protocolSection.armsInterventionsModule.armGroups, 1) as arm_group_idx
    from parsed

)

select
    nct_id,
    arm_group_idx::integer as arm_group_idx,
    item.label as label,
    item.type as arm_group_type,
    item.description as description,
    coalesce(item.interventionNames, []) as intervention_names
from listed;
