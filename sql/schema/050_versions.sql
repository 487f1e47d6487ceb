-- versions: every stored version of every trial as the landscape sees it, and what changed between them.
-- A snapshot is written when a version is stored (refresh or history backfill) and relabelled when the
-- catalogue changes; trial_changes is appended by the change-detection stage of every refresh.
create schema if not exists versions;

-- where a stored version came from: refresh (the API) or history (CT.gov's record history); a
-- history version also keeps its index in CT.gov's list and the date it was submitted
alter table raw.study_versions add column if not exists source varchar default 'refresh';
alter table raw.study_versions add column if not exists history_version integer;
alter table raw.study_versions add column if not exists submitted_date date;

-- one row per stored version (raw.study_versions.version_id): the trial's columns as the public `trials`
-- view shows them, the lists change detection compares, and the labels under the current catalogue
create table if not exists versions.trial_snapshots (
    version_id bigint not null,
    nct_id varchar not null,
    posted_date date,                   -- the version's last_update_post_date: when CT.gov made it public
    source varchar not null,            -- refresh | history

    ----------  record
    brief_title varchar,
    acronym varchar,
    official_title varchar,
    overall_status varchar,
    last_known_status varchar,
    why_stopped varchar,
    phases varchar[],
    study_type varchar,
    primary_purpose varchar,
    allocation varchar,
    start_date_raw varchar,
    start_date date,
    start_date_precision varchar,
    start_date_type varchar,
    primary_completion_date_raw varchar,
    primary_completion_date date,
    primary_completion_date_precision varchar,
    primary_completion_date_type varchar,
    completion_date_raw varchar,
    completion_date date,
    completion_date_precision varchar,
    completion_date_type varchar,
    study_first_post_date date,
    last_update_post_date date,
    last_update_post_date_type varchar,
    results_first_post_date date,
    enrollment bigint,
    enrollment_type varchar,
    lead_sponsor varchar,
    lead_sponsor_class varchar,
    location_count integer,
    conditions varchar[],
    has_results boolean,

    ----------  lists that change detection compares
    collaborators varchar[],
    interventions varchar[],            -- "TYPE: name", in registration order
    arm_groups varchar[],
    primary_outcomes varchar[],         -- the measure of each primary outcome
    countries varchar[],                -- distinct site countries

    ----------  labels (current catalogue)
    has_tracked_mechanism boolean,
    primary_mechanism_class varchar,
    primary_target varchar,
    mechanism_classes varchar[],
    mechanisms struct(mechanism_class varchar, target varchar, role varchar, is_primary boolean)[],
    agents varchar[],
    tracked_agents varchar[],
    indication_areas varchar[],
    indications varchar[],
    indication_rows struct(indication varchar, indication_area varchar)[],
    is_oncology boolean,
    has_nk_specific_agent boolean,
    has_pd1_pdl1_ctla4 boolean,
    input_hash varchar,                 -- hash of what classification reads: equal hashes, equal labels
    catalogue_hash varchar
);

-- one row per trial × detected change (the public `trial_changes` view adds the trial's labels)
create table if not exists versions.trial_changes (
    change_id bigint not null,
    nct_id varchar not null,
    run_id integer,                     -- the refresh or backfill that detected it
    detected_at timestamptz not null,
    posted_date date,                   -- when CT.gov made the new version public (a run's data date for scope events)
    version_before bigint,
    version_after bigint,
    field varchar not null,
    old_value varchar,
    new_value varchar,
    old_type varchar,                   -- ACTUAL | ESTIMATED, for dates and enrollment
    new_type varchar,
    shift_days integer,
    pct_change double,
    severity varchar not null,          -- critical | major | minor
    reason varchar not null,
    rule_id varchar,
    mechanism_class varchar,            -- the trial's primary at the new version
    target varchar,
    phase varchar,
    is_nk_specific boolean,
    source varchar not null             -- refresh | history | catalogue
);

create sequence if not exists versions.change_id_seq start 1;

-- one row per trial whose CT.gov record history a backfill has read (or had to skip, with why)
create table if not exists meta.history_backfill (
    nct_id varchar not null,
    status varchar not null,            -- done | skipped
    versions_listed integer not null,
    versions_stored integer not null,
    checked_at timestamptz not null,
    note varchar
);
