-- reads: parsed
-- writes: core.primary_outcomes
-- one row per study × primary outcome measure
-- reads: parsed; writes: core.primary_outcomes
insert into core.primary_outcomes by name
with

listed as (

    select
        nct_id,
        unnest(s.protocolSection.outcomesModule.primaryOutcomes) as item,
        generate_subscripts(s.protocolSection.outcomesModule.primaryOutcomes, 1) as outcome_idx
    from parsed

)

select
    nct_id,
    outcome_idx::integer as outcome_idx,
    item.measure as measure,
    item.description as description,
    item.timeFrame as time_frame
from listed;
