-- classification: what the catalogue and rules make of each stored trial (tracker/classify.py,
-- tracker/indications.py); rebuilt for changed trials at every refresh and by `tracker classify`.
create schema if not exists core;
create schema if not exists ref;

-- one row per trial × agent (catalogue agent or unnamed product found by a generic rule)
create table if not exists core.trial_agents (
    nct_id varchar not null,
    agent varchar not null,
    mechanism_class varchar not null,
    target varchar not null,
    role varchar not null,              -- tracked | partner
    is_named boolean not null,          -- a catalogue agent (true) or an unnamed product (false)
    source varchar not null,            -- catalogue | rule:<rule id>
    matched_text varchar,
    matched_field varchar,              -- name | other_name | description | arm_group
    field_text varchar,
    intervention_idx integer,
    arm_group_idx integer
);

-- one row per trial × (mechanism_class, target)
create table if not exists core.trial_mechanisms (
    nct_id varchar not null,
    mechanism_class varchar not null,
    target varchar not null,
    role varchar not null,
    is_primary boolean not null,
    priority integer,
    target_order integer,
    agents varchar[]
);

-- one row per trial × indication
create table if not exists core.trial_indications (
    nct_id varchar not null,
    indication varchar not null,
    indication_area varchar not null,
    source varchar not null,            -- mesh | text | mesh_ancestor | fallback
    evidence varchar
);

-- one row per trial × intervention: did any agent or rule recognise it (the curation input)
create table if not exists core.intervention_matches (
    nct_id varchar not null,
    intervention_idx integer not null,
    is_matched boolean not null
);

-- one row per trial whose labels changed, per classification: the history of labels
create table if not exists meta.classification_changes (
    nct_id varchar not null,
    changed_at timestamptz not null,
    run_id integer,                     -- the refresh that reclassified it; null for `tracker classify`
    catalogue_hash varchar not null,
    labels_before varchar,
    labels_after varchar
);

-- reference data written from the catalogue files at every classification; the vocabulary tables
-- (mechanisms, indications, phases, status_groups) also at every start, for the macros that read them
create table if not exists ref.agents (
    agent varchar not null,
    aliases varchar[],
    mechanism_class varchar not null,
    target varchar not null,
    also varchar[],
    modality varchar,
    role varchar not null,
    review varchar,
    evidence varchar,
    source varchar,
    note varchar
);

create table if not exists ref.mechanisms (
    mechanism_class varchar not null,
    mechanism_label varchar not null,
    priority integer not null,
    role varchar not null,
    target varchar not null,
    target_label varchar not null,
    target_order integer not null
);

create table if not exists ref.indications (
    indication varchar not null,
    indication_label varchar not null,
    indication_area varchar not null,
    indication_area_label varchar not null
);

-- ctgov: the sorted CT.gov phases list joined with commas, the key core.phase_code looks a study up by
create table if not exists ref.phases (
    phase varchar not null,
    phase_label varchar not null,
    phase_rank double,
    ctgov varchar
);
-- a database written before the column existed gets it here (and its rows at the next start)
alter table ref.phases add column if not exists ctgov varchar;

create table if not exists ref.status_groups (
    status_group varchar not null,
    status_group_label varchar not null,
    overall_status varchar not null
);
