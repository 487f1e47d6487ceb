-- one row: every value the landscape holds for each dashboard filter (mechanism classes, targets, agents, …)
create or replace view main.landscape_options as
select * from core.landscape_options;
