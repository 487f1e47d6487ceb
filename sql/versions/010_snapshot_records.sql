-- one row per trial of snapshot_scope: its normalized rows as the record part of a versions.trial_snapshots row
-- (sql/versions/020_snapshots.sql adds the labels). Apart so that a refresh can build it while the last
-- batches are still being classified: it reads no label table.
-- reads: snapshot_scope (nct_id, source), core.trials, core.sponsors, core.interventions, core.arm_groups,
--        core.conditions, core.condition_mesh, core.intervention_mesh, core.primary_outcomes, core.locations
-- writes: temp snapshot_records
-- Runs on the working database and on the scratch database of tracker/versions.py alike: every name is
-- resolved in the current catalog. Lists in a set order are sorted lists of structs, key fields first
-- (nested NULLs sort last, as in ORDER BY), not ordered aggregates: those took half the query's time.
create or replace temp table snapshot_records as
with

scope as (

    select nct_id, source from snapshot_scope

),

trials as (

    select trials.*, scope.source
    from core.trials as trials
    join scope using (nct_id)

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

        ----------  what the labels are computed from
        md5(to_json([trials.brief_title, trials.official_title, interventions.input_text, arm_groups.input_text,
                     condition_inputs.input_text, mesh_inputs.input_text,
                     intervention_mesh_inputs.input_text])::varchar) as input_hash
    from trials
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
