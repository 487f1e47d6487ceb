-- reads: parsed
-- writes: core.condition_mesh, core.intervention_mesh
-- one row per study × MeSH term, for conditions and for interventions (kind = mesh | ancestor)
insert into core.condition_mesh by name
with

listed as (

    select nct_id, 'mesh' as kind, unnest(s.derivedSection.conditionBrowseModule.meshes) as item
    from parsed
    union all
    select nct_id, 'ancestor' as kind, unnest(s.derivedSection.conditionBrowseModule.ancestors) as item
    from parsed

)

select nct_id, kind, item.id as mesh_id, item.term as term from listed;

insert into core.intervention_mesh by name
with

listed as (

    select nct_id, 'mesh' as kind, unnest(s.derivedSection.interventionBrowseModule.meshes) as item
    from parsed
    union all
    select nct_id, 'ancestor' as kind, unnest(s.derivedSection.interventionBrowseModule.ancestors) as item
    from parsed

)

select nct_id, kind, item.id as mesh_id, item.term as term from listed;
