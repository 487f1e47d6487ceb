-- one row per trial × indication, with where the code came from (mesh, text, mesh_ancestor, fallback)
create or replace view main.trial_indications as
select
    nct_id,
    indication,
    indication_area,
    source,
    evidence
from core.trial_indications;
