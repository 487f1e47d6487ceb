-- reads: core.interventions, parsed
-- writes: core.intervention_other_names
-- one row per study × intervention × other name
insert into core.intervention_other_names by name
with

listed as (

    select
        nct_id,
        intervention_idx,
        unnest(other_names) as other_name,
        generate_subscripts(other_names, 1) as other_name_idx
    from core.interventions
    where nct_id in (select nct_id from parsed)

)

select nct_id, intervention_idx, other_name_idx::integer as other_name_idx, other_name from listed;
