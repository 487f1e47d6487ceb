-- core: normalized tables built from the current version of each study (sql/normalize/).
-- Partial dates keep the raw CT.gov string, the parsed date (first day of the month or year when
-- the precision is coarser than a day) and the precision: day | month | year.
create schema if not exists core;

-- one row per study
create table if not exists core.trials (
    nct_id varchar not null,
    version_id bigint not null,
    brief_title varchar,
    official_title varchar,
    acronym varchar,
    organization varchar,
    organization_class varchar,
    org_study_id varchar,
    nct_id_aliases varchar[],
    overall_status varchar,
    last_known_status varchar,
    why_stopped varchar,
    status_verified_date_raw varchar,
    has_expanded_access boolean,
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
    study_first_submit_date date,
    study_first_post_date date,
    study_first_post_date_type varchar,
    results_first_post_date date,
    last_update_submit_date date,
    last_update_post_date date,
    last_update_post_date_type varchar,
    study_type varchar,
    phases varchar[],
    enrollment bigint,
    enrollment_type varchar,
    allocation varchar,
    intervention_model varchar,
    primary_purpose varchar,
    masking varchar,
    lead_sponsor varchar,
    lead_sponsor_class varchar,
    responsible_party_type varchar,
    sex varchar,
    minimum_age varchar,
    maximum_age varchar,
    healthy_volunteers boolean,
    std_ages varchar[],
    conditions varchar[],
    keywords varchar[],
    brief_summary varchar,
    has_results boolean,
    version_holder date,
    location_count integer
);

-- one row per study × intervention
create table if not exists core.interventions (
    nct_id varchar not null,
    intervention_idx integer not null,
    intervention_type varchar,
    name varchar,
    description varchar,
    other_names varchar[],
    arm_group_labels varchar[]
);

-- one row per study × intervention × other name
create table if not exists core.intervention_other_names (
    nct_id varchar not null,
    intervention_idx integer not null,
    other_name_idx integer not null,
    other_name varchar
);

-- one row per study × arm group
create table if not exists core.arm_groups (
    nct_id varchar not null,
    arm_group_idx integer not null,
    label varchar,
    arm_group_type varchar,
    description varchar,
    intervention_names varchar[]
);

-- one row per study × condition as the sponsor wrote it
create table if not exists core.conditions (
    nct_id varchar not null,
    condition_idx integer not null,
    condition varchar
);

-- one row per study × keyword
create table if not exists core.keywords (
    nct_id varchar not null,
    keyword_idx integer not null,
    keyword varchar
);

-- one row per study × condition MeSH term (kind = mesh: mapped term; ancestor: a broader heading)
create table if not exists core.condition_mesh (
    nct_id varchar not null,
    kind varchar not null,
    mesh_id varchar,
    term varchar
);

-- one row per study × intervention MeSH term (kind = mesh | ancestor)
create table if not exists core.intervention_mesh (
    nct_id varchar not null,
    kind varchar not null,
    mesh_id varchar,
    term varchar
);

-- one row per study × sponsor (role = lead | collaborator)
create table if not exists core.sponsors (
    nct_id varchar not null,
    role varchar not null,
    sponsor_idx integer not null,
    name varchar,
    sponsor_class varchar
);

-- one row per study × site
create table if not exists core.locations (
    nct_id varchar not null,
    location_idx integer not null,
    facility varchar,
    site_status varchar,
    city varchar,
    state varchar,
    zip varchar,
    country varchar,
    lat double,
    lon double
);

-- one row per study × identifier other than the NCT id (kind = org_study | secondary)
create table if not exists core.secondary_ids (
    nct_id varchar not null,
    kind varchar not null,
    id_idx integer not null,
    secondary_id varchar,
    id_type varchar,
    domain varchar,
    link varchar
);

-- one row per study × overall official
create table if not exists core.officials (
    nct_id varchar not null,
    official_idx integer not null,
    name varchar,
    affiliation varchar,
    role varchar
);

-- one row per study × primary outcome measure as registered
create table if not exists core.primary_outcomes (
    nct_id varchar not null,
    outcome_idx integer not null,
    measure varchar,
    description varchar,
    time_frame varchar
);
