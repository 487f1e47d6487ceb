-- one row per registry scan (`tracker scan`): the archive, what was read, kept and added
create or replace view main.registry_scans as
select
    run_id as scan_id,
    run_id,
    started_at,
    finished_at,
    status,
    archive,
    archive_bytes,
    downloaded,
    data_timestamp,
    entries,
    total_studies,
    studies_read,
    unreadable,
    candidates,
    studies_kept,
    studies_added,
    studies_in_landscape,
    scan_only,
    seconds,
    note
from meta.registry_scans;
