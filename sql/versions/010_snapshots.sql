-- one row per trial of snapshot_scope: its normalized rows and labels as a versions.trial_snapshots row.
-- reads: snapshot_scope (nct_id, source), core.trials, core.sponsors, core.interventions, core.arm_groups,
--        core.conditions, core.condition_mesh, core.intervention_mesh, core.primary_outcomes, core.locations, core.trial_agents,
--        core.trial_mechanisms, core.trial_indications, meta.state (catalogue_hash)
-- writes: temp new_snapshots (the caller inserts it into versions.trial_snapshots)
-- Runs on the working database and on the scratch database of tracker/versions.py alike: every name is
-- resolved in the current catalog. Lists in a set order are sorted lists of structs, key fields first
-- (nested NULLs sort last, as in ORDER BY), not ordered aggregates: those took half the query's time.
create or replace temp table new_snapshots as
with

scope as (

    select nct_id, source from snapshot_scope

),

trials as (

    select trials.*, scope.source
    from core.trials as trials
    join scope using (nct_id)

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
    where nct_id in (select nct_id from scope)
    group by nct_id

),

agents as (

    select
        nct_id,
        list_sort(list(distinct agent)) as agents,
        list_sort(list(distinct agent) filter (role = 'tracked')) as tracked_agents
    from core.trial_agents
    where nct_id in (select nct_id from scope)
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
    where nct_id in (select nct_id from scope)
    group by nct_id

),

collaborators as (

    select nct_id, list_transform(list_sort(list({'idx': sponsor_idx, 'name': name})), lambda s: s.name)
        as collaborators
    from core.sponsors
    where role = 'collaborator' and nct_id in (select nct_id from scope)
    group by nct_id

),

interventions as (

    select
        nct_id,
        list_transform(listed, lambda i: i.shown) as interventions,
        list_aggr(list_transform(listed, lambda i: i.input), 'string_agg', '~') as input_text
    from (
        select nct_id, list_sort(list({
            'idx': intervention_idx,
            'shown': coalesce(intervention_type, 'OTHER') || ': ' || coalesce(name, ''),
            'input': concat_ws('|', intervention_type, name, description, array_to_string(other_names, '^'),
                               array_to_string(arm_group_labels, '^'))
        })) as listed
        from core.interventions
        where nct_id in (select nct_id from scope)
        group by nct_id
    )

),

arm_groups as (

    select
        nct_id,
        list_transform(listed, lambda a: a.label) as arm_groups,
        list_aggr(list_transform(listed, lambda a: a.input), 'string_agg', '~') as input_text
    from (
        select nct_id, list_sort(list({
            'idx': arm_group_idx,
            'label': label,
            'input': concat_ws('|', label, arm_group_type, description, array_to_string(intervention_names, '^'))
        })) as listed
        from core.arm_groups
        where nct_id in (select nct_id from scope)
        group by nct_id
    )

),

intervention_mesh_inputs as (

    select nct_id, list_aggr(list_transform(list_sort(list({'kind': kind, 'mesh_id': mesh_id, 'term': term})),
                                            lambda m: concat_ws('|', m.kind, m.mesh_id, m.term)), 'string_agg', '~')
        as input_text
    from core.intervention_mesh
    where nct_id in (select nct_id from scope)
    group by nct_id

),

condition_inputs as (

    select nct_id, list_aggr(list_transform(list_sort(list({'idx': condition_idx, 'condition': condition})),
                                            lambda c: c.condition), 'string_agg', '~') as input_text
    from core.conditions
    where nct_id in (select nct_id from scope)
    group by nct_id

),

mesh_inputs as (

    select nct_id, list_aggr(list_transform(list_sort(list({'kind': kind, 'mesh_id': mesh_id, 'term': term})),
                                            lambda m: concat_ws('|', m.kind, m.mesh_id, m.term)), 'string_agg', '~')
        as input_text
    from core.condition_mesh
    where nct_id in (select nct_id from scope)
    group by nct_id

),

outcomes as (

    select nct_id, list_transform(list_sort(list({'idx': outcome_idx, 'measure': measure})), lambda o: o.measure)
        as primary_outcomes
    from core.primary_outcomes
    where nct_id in (select nct_id from scope)
    group by nct_id

),

sites as (

    select nct_id, list_sort(list(distinct country) filter (country is not null)) as countries
    from core.locations
    where nct_id in (select nct_id from scope)
    group by nct_id

),

final as (

    select
        ----------  ids
        trials.version_id,
        trials.nct_id,
        trials.last_update_post_date as posted_date,
        trials.source,

        ----------  record
        trials.brief_title,
        trials.acronym,
        trials.official_title,
        trials.overall_status,
        trials.last_known_status,
        trials.why_stopped,
        trials.phases,
        trials.study_type,
        trials.primary_purpose,
        trials.allocation,
        trials.start_date_raw,
        trials.start_date,
        trials.start_date_precision,
        trials.start_date_type,
        trials.primary_completion_date_raw,
        trials.primary_completion_date,
        trials.primary_completion_date_precision,
        trials.primary_completion_date_type,
        trials.completion_date_raw,
        trials.completion_date,
        trials.completion_date_precision,
        trials.completion_date_type,
        trials.study_first_post_date,
        trials.last_update_post_date,
        trials.last_update_post_date_type,
        trials.results_first_post_date,
        trials.enrollment,
        trials.enrollment_type,
        trials.lead_sponsor,
        trials.lead_sponsor_class,
        trials.location_count,
        trials.conditions,
        trials.has_results,

        ----------  lists
        coalesce(collaborators.collaborators, []) as collaborators,
        coalesce(interventions.interventions, []) as interventions,
        coalesce(arm_groups.arm_groups, []) as arm_groups,
        coalesce(outcomes.primary_outcomes, []) as primary_outcomes,
        coalesce(sites.countries, []) as countries,

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
        md5(to_json([trials.brief_title, trials.official_title, interventions.input_text, arm_groups.input_text,
                     condition_inputs.input_text, mesh_inputs.input_text,
                     intervention_mesh_inputs.input_text])::varchar) as input_hash,
        (select value from meta.state where key = 'catalogue_hash') as catalogue_hash
    from trials
    left join mechanisms using (nct_id)
    left join agents using (nct_id)
    left join indications using (nct_id)
    left join collaborators using (nct_id)
    left join interventions using (nct_id)
    left join arm_groups using (nct_id)
    left join condition_inputs using (nct_id)
    left join mesh_inputs using (nct_id)
    left join intervention_mesh_inputs using (nct_id)
    left join outcomes using (nct_id)
    left join sites using (nct_id)

)

select * from final;
