-- reads: parsed
-- writes: core.secondary_ids
-- one row per study × identifier other than the NCT id: the sponsor's own id, then secondary ids
insert into core.secondary_ids by name
with

secondary as (

    select
        nct_id,
        unnest(s.protocolSection.identificationModule.secondaryIdInfos) as item,
        generate_subscripts(s.protocolSection.identificationModule.secondaryIdInfos, 1) as id_idx
    from parsed

)

select
    nct_id,
    'org_study' as kind,
    0 as id_idx,
    s.protocolSection.identificationModule.orgStudyIdInfo.id as secondary_id,
    s.protocolSection.identificationModule.orgStudyIdInfo.type as id_type,
    null as domain,
    s.protocolSection.identificationModule.orgStudyIdInfo.link as link
from parsed
where s.protocolSection.identificationModule.orgStudyIdInfo.id is not null
union all
select nct_id, 'secondary', id_idx::integer, item.id, item.type, item.domain, item.link
from secondary;
