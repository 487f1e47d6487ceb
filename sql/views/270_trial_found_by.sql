-- one row per trial held: whether a search query of the scope returned it, a registry scan found it, or both.
-- The scan's id-list query (source 'scan', which keeps scan finds fresh) is no search.
create or replace view main.trial_found_by as
with

searched as (
    select distinct m.nct_id
    from meta.query_members as m
    join meta.scope_queries as q using (query_key)
    where q.source <> 'scan'
),

scanned as (
    select nct_id, min(run_id) as first_scan_id, max(run_id) as last_scan_id
    from meta.scan_finds
    group by nct_id
)

select
    s.nct_id,
    case
        when searched.nct_id is not null and scanned.nct_id is not null then 'search+scan'
        when scanned.nct_id is not null then 'scan'
        else 'search'
    end as found_by,
    scanned.first_scan_id,
    scanned.last_scan_id
from raw.studies as s
left join searched using (nct_id)
left join scanned using (nct_id);
