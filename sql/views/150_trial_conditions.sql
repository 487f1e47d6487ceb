-- one row per trial × condition as the sponsor wrote it
create or replace view main.trial_conditions as
select nct_id, condition_idx, condition
from core.conditions;
