-- one row per trial the tracker holds, with every label the public `trials` view shows: the current
-- version's snapshot (main.trials_as_of with no date), materialized at the end of each refresh and
-- classification because the dashboard reads it on every page
create or replace table core.trial_summary as
select * from main.trials_as_of(null);
