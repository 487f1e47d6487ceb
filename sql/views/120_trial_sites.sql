-- one row per trial × site, with NLM's geocoded point
create or replace view main.trial_sites as
select nct_id, location_idx, facility, site_status, city, state, zip, country, lat, lon
from core.locations;
