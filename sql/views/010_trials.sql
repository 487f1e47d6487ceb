-- one row per trial the tracker holds (in or out of scope), with the codes of vocabulary.md; the rows are
-- core.trial_summary, rebuilt from sql/marts/010_trial_summary.sql after every refresh and classification
create or replace view main.trials as
select * from core.trial_summary;
