-- one row per trial of snapshot_records: its record part and labels as a versions.trial_snapshots row.
-- reads: snapshot_records (sql/versions/010_snapshot_records.sql), core.trial_agents, core.trial_mechanisms,
--        core.trial_indications, meta.state (catalogue_hash)
-- writes: temp new_snapshots (the caller inserts it into versions.trial_snapshots)
create or replace temp table new_snapshots as
with

records as (

    select * from snapshot_records

),

mechanisms as (

    select
        nct_id,
        bool_or(role = 'tracked') as has_tracked_mechanism,
        max(mechanism_class) filter (is_primary) as primary_mechanism_class,
        max(target) filter (is_primary) as primary_target,
        list_sort(list(distinct mechanism_class)) as mechanism_classes,
        list_transform(list_sort(list({
            'priority': priority, 'target_order': target_order, 'mechanism_class': mechanism_class, 'target': target,
            'row': {'mechanism_class': mechanism_class, 'target': target, 'role': role, 'is_primary': is_primary}
        })), lambda m: m.row) as mechanisms,
        bool_or(role = 'tracked' and mechanism_class not in ('immune_checkpoint', 'adcc_antibody', 'nk_modulator'))
            as has_nk_specific_agent,
        bool_or(mechanism_class = 'immune_checkpoint' and target in ('PD-1', 'PD-L1', 'CTLA-4'))
            as has_pd1_pdl1_ctla4
    from core.trial_mechanisms
    where nct_id in (select nct_id from records)
    group by nct_id

),

agents as (

    select
        nct_id,
        list_sort(list(distinct agent)) as agents,
        list_sort(list(distinct agent) filter (role = 'tracked')) as tracked_agents
    from core.trial_agents
    where nct_id in (select nct_id from records)
    group by nct_id

),

indications as (

    select
        nct_id,
        list_sort(list(distinct indication_area)) as indication_areas,
        list_sort(list(distinct indication)) as indications,
        list_sort(list({'indication': indication, 'indication_area': indication_area})) as indication_rows,
        bool_or(indication_area <> 'non_oncology') as is_oncology
    from core.trial_indications
    where nct_id in (select nct_id from records)
    group by nct_id

),

final as (

    select
        records.* exclude (input_hash),

        ----------  labels
        coalesce(mechanisms.has_tracked_mechanism, false) as has_tracked_mechanism,
        mechanisms.primary_mechanism_class,
        mechanisms.primary_target,
        coalesce(mechanisms.mechanism_classes, []) as mechanism_classes,
        coalesce(mechanisms.mechanisms, []) as mechanisms,
        coalesce(agents.agents, []) as agents,
        coalesce(agents.tracked_agents, []) as tracked_agents,
        coalesce(indications.indication_areas, []) as indication_areas,
        coalesce(indications.indications, []) as indications,
        coalesce(indications.indication_rows, []) as indication_rows,
        coalesce(indications.is_oncology, false) as is_oncology,
        coalesce(mechanisms.has_nk_specific_agent, false) as has_nk_specific_agent,
        coalesce(mechanisms.has_pd1_pdl1_ctla4, false) as has_pd1_pdl1_ctla4,
        records.input_hash,
        (select value from meta.state where key = 'catalogue_hash') as catalogue_hash
    from records
    left join mechanisms using (nct_id)
    left join agents using (nct_id)
    left join indications using (nct_id)

)

select * from final;
