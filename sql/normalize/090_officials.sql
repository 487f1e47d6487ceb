-- reads: parsed
-- writes: core.officials
-- one row per study × overall official
insert into core.officials by name
with

listed as (

    select
        nct_id,
        unnest(s.protocolSection.contactsLocationsModule.overallOfficials) as item,
        generate_subscripts(s.protocolSection.contactsLocationsModule.overallOfficials, 1) as official_idx
    from parsed

)

select nct_id, official_idx::integer as official_idx, item.name, item.affiliation, item.role
from listed;
