-- reads: incoming_page, page, page_changed, raw.studies
-- writes: page_changed, raw.studies, raw.study_versions
-- studies of the page whose content differs from the version we hold: a new version each
create or replace temp table page_changed as
select page.*, nextval('raw.version_id_seq') as version_id
from page
left join raw.studies as current using (nct_id)
where current.nct_id is null or current.content_hash <> page.content_hash;

insert into raw.study_versions (version_id, nct_id, content_hash, last_update_post_date, last_update_post_date_type,
                                version_holder, fetched_at, run_id, payload)
select
    changed.version_id, changed.nct_id, changed.content_hash, changed.last_update_post_date,
    changed.last_update_post_date_type, changed.version_holder, $now, $run_id, incoming.payload
from page_changed as changed
join incoming_page as incoming using (row_no);

update raw.studies as current
set
    version_id = changed.version_id,
    content_hash = changed.content_hash,
    last_update_post_date = changed.last_update_post_date,
    version_count = current.version_count + 1,
    last_changed_run_id = $run_id,
    last_changed_at = $now
from page_changed as changed
where current.nct_id = changed.nct_id;

insert into raw.studies
select
    nct_id, version_id, content_hash, last_update_post_date, 1,
    $run_id, $now, $run_id, $now, $run_id, $now, true, null, null
from page_changed
where nct_id not in (select nct_id from raw.studies);

update raw.studies
set last_seen_run_id = $run_id, last_seen_at = $now, is_in_scope = true, left_scope_run_id = null,
    left_scope_at = null
where nct_id in (select nct_id from page);
