-- one row per catalogue agent, with how many stored trials (and landscape trials) it appears in
create or replace view main.agents as
with

counts as (

    select
        trial_agents.agent,
        count(distinct trial_agents.nct_id) as n_trials,
        count(distinct trial_agents.nct_id) filter (trials.in_landscape) as n_landscape_trials
    from core.trial_agents
    join main.trials using (nct_id)
    group by trial_agents.agent

)

select
    catalogue.*,
    coalesce(counts.n_trials, 0) as n_trials,
    coalesce(counts.n_landscape_trials, 0) as n_landscape_trials
from ref.agents as catalogue
left join counts using (agent);
