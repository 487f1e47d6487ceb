-- reads: parsed
-- writes: core.sponsors
-- one row per study × sponsor: the lead sponsor (sponsor_idx 0) and each collaborator
insert into core.sponsors by name
with

collaborators as (

    select
        nct_id,
        unnest(s.protocolSection.sponsorCollaboratorsModule.collaborators) as item,
        generate_subscripts(s.protocolSection.sponsorCollaboratorsModule.collaborators, 1) as sponsor_idx
    from parsed

)

select
    nct_id,
    'lead' as role,
    0 as sponsor_idx,
    s.protocolSection.sponsorCollaboratorsModule.leadSponsor.name as name,
    s.protocolSection.sponsorCollaboratorsModule.leadSponsor.class as sponsor_class
from parsed
where s.protocolSection.sponsorCollaboratorsModule.leadSponsor is not null
union all
select nct_id, 'collaborator' as role, sponsor_idx::integer, item.name, item.class
from collaborators;
