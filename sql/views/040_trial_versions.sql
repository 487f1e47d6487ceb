-- one row per trial × stored version: the history of every record, oldest first
create or replace view main.trial_versions as
select
    v.nct_id,
    v.version_id,
    row_number() over (partition by v.nct_id order by v.version_id) as version_number,
    v.last_update_post_date,
    v.last_update_post_date_type,
    v.version_holder,
    v.fetched_at,
    v.run_id,
    v.version_id = s.version_id as is_current,
    v.payload::json as payload
from raw.study_versions as v
join raw.studies as s using (nct_id);
