-- reads: parsed
-- writes: core.locations
-- one row per study × site, with NLM's geocoded point when it has one
insert into core.locations by name
with

listed as (

    select
        nct_id,
        unnest(s.protocolSection.contactsLocationsModule.locations) as item,
        generate_subscripts(s.protocolSection.contactsLocationsModule.locations, 1) as location_idx
    from parsed

)

select
    nct_id,
    location_idx::integer as location_idx,
    item.facility as facility,
    item.status as site_status,
    item.city as city,
    item.state as state,
    item.zip as zip,
    item.country as country,
    item.geoPoint.lat as lat,
    item.geoPoint.lon as lon
from listed;
