-- one row per trial × primary outcome measure, as registered in the current version
create or replace view main.trial_outcomes as
select nct_id, outcome_idx, measure, description, time_frame
from core.primary_outcomes;
