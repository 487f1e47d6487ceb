-- raw: every distinct version of every study ever fetched, and the current one.
create schema if not exists raw;

create sequence if not exists raw.version_id_seq start 1;

-- one row per study × distinct content (versionHolder, which CT.gov bumps daily, is not content)
create table if not exists raw.study_versions (
    version_id bigint not null,
    nct_id varchar not null,
    content_hash varchar not null,
    last_update_post_date date,
    last_update_post_date_type varchar,
    version_holder date,
    fetched_at timestamptz not null,
    run_id integer not null,
    payload varchar not null            -- the study's JSON exactly as CT.gov sent it
);

-- one row per study: its current version and its place in the scope
create table if not exists raw.studies (
    nct_id varchar not null,
    version_id bigint not null,
    content_hash varchar not null,
    last_update_post_date date,
    version_count integer not null,
    first_seen_run_id integer not null,
    first_seen_at timestamptz not null,
    last_changed_run_id integer not null,
    last_changed_at timestamptz not null,
    last_seen_run_id integer not null,
    last_seen_at timestamptz not null,
    is_in_scope boolean not null,
    left_scope_run_id integer,
    left_scope_at timestamptz
);
