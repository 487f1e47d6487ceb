-- one row per catalogue agent with how many stored and landscape trials it appears in (behind `agents`)
create or replace table core.agent_summary as
with

counts as (

    select
        trial_agents.agent,
        count(distinct trial_agents.nct_id) as n_trials,
        count(distinct trial_agents.nct_id) filter (summary.in_landscape) as n_landscape_trials
    from core.trial_agents as trial_agents
    join core.trial_summary as summary using (nct_id)
    group by trial_agents.agent

)

select
    catalogue.*,
    coalesce(counts.n_trials, 0) as n_trials,
    coalesce(counts.n_landscape_trials, 0) as n_landscape_trials
from ref.agents as catalogue
left join counts using (agent);
