-- one row per refresh run × scope query: CT.gov's totalCount against what was received
create or replace view main.refresh_queries as
select
    run_id,
    query_key,
    label,
    source,
    params,
    mode,
    since_date,
    attempts,
    pages,
    empty_pages,
    requests,
    rows_received,
    distinct_studies,
    total_count,
    is_reconciled,
    note
from meta.run_queries;
