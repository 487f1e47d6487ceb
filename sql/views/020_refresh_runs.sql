-- one row per refresh run: when, how, how many requests and studies, and why it failed
create or replace view main.refresh_runs as
select
    run_id,
    started_at,
    finished_at,
    status,
    mode,
    trigger,
    requests,
    studies_fetched,
    studies_new,
    studies_changed,
    studies_unchanged,
    studies_left_scope,
    studies_reentered_scope,
    rows_received,
    queries,
    api_version,
    data_timestamp,
    tracker_version,
    error
from meta.refresh_runs;
