-- one row per trial × arm group
create or replace view main.trial_arm_groups as
select nct_id, arm_group_idx, label, arm_group_type, description, intervention_names
from core.arm_groups;
