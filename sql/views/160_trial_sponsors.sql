-- one row per trial × sponsor (role = lead | collaborator)
create or replace view main.trial_sponsors as
select nct_id, role, sponsor_idx, name as sponsor, sponsor_class
from core.sponsors;
