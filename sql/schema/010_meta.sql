-- meta: what the tracker did: runs, the scope queries and what each returned.
create schema if not exists meta;

-- one row per refresh run
create table if not exists meta.refresh_runs (
    run_id integer not null,
    started_at timestamptz not null,
    finished_at timestamptz,
    status varchar not null,            -- running | succeeded | skipped | failed
    mode varchar not null,              -- full | incremental
    trigger varchar,                    -- cli | daemon | up | demo | api
    api_version varchar,
    data_timestamp varchar,             -- CT.gov /version dataTimestamp (UTC) seen by this run
    requests integer not null default 0,
    rows_received integer not null default 0,
    studies_fetched integer not null default 0,
    studies_new integer not null default 0,
    studies_changed integer not null default 0,
    studies_unchanged integer not null default 0,
    studies_left_scope integer not null default 0,
    studies_reentered_scope integer not null default 0,
    queries integer not null default 0,
    catalogue_hash varchar,
    tracker_version varchar,
    error varchar
);

-- one row per run × scope query: the reconciliation of what CT.gov said against what it sent
create table if not exists meta.run_queries (
    run_id integer not null,
    query_key varchar not null,
    label varchar not null,
    source varchar not null,            -- catalogue | generic | user | ids
    params json not null,
    mode varchar not null,              -- full | incremental
    since_date date,                    -- lower bound of the LastUpdatePostDate window, null when full
    attempts integer not null default 1,
    pages integer not null default 0,
    empty_pages integer not null default 0,
    requests integer not null default 0,
    rows_received integer not null default 0,
    distinct_studies integer not null default 0,
    total_count integer,
    is_reconciled boolean,
    note varchar
);

-- one row per scope query the tracker has ever run
create table if not exists meta.scope_queries (
    query_key varchar not null,
    label varchar not null,
    source varchar not null,
    params json not null,
    first_run_id integer not null,
    last_run_id integer not null,
    last_full_run_id integer,
    is_active boolean not null default true
);

-- one row per scope query × study it has returned
create table if not exists meta.query_members (
    query_key varchar not null,
    nct_id varchar not null,
    first_run_id integer not null,
    last_run_id integer not null
);

-- key/value state that outlives runs (catalogue hash, demo flag)
create table if not exists meta.state (
    key varchar not null,
    value varchar
);
