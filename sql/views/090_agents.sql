-- one row per catalogue agent, with how many stored trials (and landscape trials) it appears in
create or replace view main.agents as
select * from core.agent_summary;
