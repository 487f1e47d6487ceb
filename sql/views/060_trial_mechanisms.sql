-- one row per trial × (mechanism_class, target); is_primary marks the first by vocabulary priority
create or replace view main.trial_mechanisms as
select
    nct_id,
    mechanism_class,
    target,
    is_primary,
    role,
    agents
from core.trial_mechanisms;
