-- one row per distinct study of the page just received (incoming_page: one payload per study)
create or replace temp table page as
with

typed as (

    select row_number() over () as row_no, payload::json as payload
    from incoming_page

),

keyed as (

    select
        row_no,
        payload ->> '$.protocolSection.identificationModule.nctId' as nct_id,
        -- CT.gov rewrites versionHolder every day, so it is no part of a study's content
        md5(regexp_replace(payload::varchar, '"versionHolder"\s*:\s*"[^"]*"', '')) as content_hash,
        core.partial_date(payload ->> '$.protocolSection.statusModule.lastUpdatePostDateStruct.date')
            as last_update_post_date,
        payload ->> '$.protocolSection.statusModule.lastUpdatePostDateStruct.type' as last_update_post_date_type,
        core.partial_date(payload ->> '$.derivedSection.miscInfoModule.versionHolder') as version_holder,
        payload
    from typed

)

select * from keyed
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
