-- registry scans (`tracker scan`): each scan of CT.gov's bulk archive, and why it kept each trial.

-- one row per scan; a scan is also a run of meta.refresh_runs (mode 'scan') with the same run_id
create table if not exists meta.registry_scans (
    run_id integer not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null,            -- running | succeeded | failed (a failed scan is recorded by its run)
    archive varchar,                    -- the archive file read
    archive_bytes bigint,
    downloaded boolean,                 -- false when an already downloaded archive was scanned (--archive)
    data_timestamp varchar,             -- CT.gov's /version dataTimestamp when the archive was downloaded
    entries integer,                    -- study entries of the archive's central directory
    total_studies integer,              -- CT.gov's /stats/size totalStudies, when asked
    studies_read integer,
    unreadable integer,                 -- entries whose JSON could not be read (named in note)
    candidates integer,                 -- studies the sieve passed to the classifier
    studies_kept integer,               -- studies stored: in the landscape, or matching the scope's terms
    studies_added integer,              -- of those, new to the database
    studies_in_landscape integer,
    scan_only integer,                  -- kept studies that no search query has returned
    seconds double,
    note varchar
);

-- one row per scan × study it kept, with the first evidence that kept it
create table if not exists meta.scan_finds (
    run_id integer not null,
    nct_id varchar not null,
    reason varchar not null,            -- landscape | scope term | scope id
    matched_field varchar,              -- name, other_name, description, arm_group, title, summary, condition, keyword
    matched_term varchar,               -- the agent (landscape) or the scope query's term
    field_text varchar                  -- the text it was found in (first 300 characters)
);
