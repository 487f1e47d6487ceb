-- reads: incoming_page, meta.query_members, page, raw.studies, run_seen
-- writes: meta.query_members, page, run_seen
-- one row per distinct study of the page just received; incoming_page holds what the client decoded
-- (nct id, content hash without versionHolder, post dates) beside each study's JSON
-- (the JSON text stays in incoming_page: it is copied once, into raw.study_versions, and parsed once)
create or replace temp table page as
select
    row_no,
    nct_id,
    content_hash,
    core.partial_date(last_update_post_date) as last_update_post_date,
    last_update_post_date_type,
    core.partial_date(version_holder) as version_holder
from incoming_page
qualify row_number() over (partition by nct_id order by row_no) = 1;

-- outcome of each study the first time this run sees it
insert into run_seen
select
    page.nct_id,
    case
        when current.nct_id is null then 'new'
        when current.content_hash <> page.content_hash then 'changed'
        else 'unchanged'
    end as outcome,
    current.is_in_scope as was_in_scope
from page
left join raw.studies as current using (nct_id)
where page.nct_id not in (select nct_id from run_seen);

-- scope membership of the query that returned the page
update meta.query_members
set last_run_id = $run_id
where query_key = $query_key and nct_id in (select nct_id from page);

insert into meta.query_members
select $query_key, nct_id, $run_id, $run_id
from page
where nct_id not in (select nct_id from meta.query_members where query_key = $query_key);
