-- one row per trial × agent: the catalogue agent (or unnamed product) and the text that matched it
create or replace view main.trial_agents as
select
    nct_id,
    agent,
    mechanism_class,
    target,
    role,
    matched_text,
    matched_field,
    field_text,
    is_named,
    source,
    intervention_idx,
    arm_group_idx
from core.trial_agents;
