-- the codes of vocabulary.md, looked up in the ref.* tables that every start copies from
-- tracker/catalogue/data/vocabulary.toml, their one copy: the phase and phase_rank of CT.gov's phases
-- list (sorted and joined), the status_group of an overallStatus; null when the vocabulary has no row
create or replace macro core.phase_code(phases) as
    (select ref_phase.phase from ref.phases as ref_phase
     where ref_phase.ctgov = array_to_string(list_sort(phases), ','));

-- decimal(2,1): the type the views have always given phase_rank (the vocabulary checks ranks fit it)
create or replace macro core.phase_rank(phases) as
    (select ref_phase.phase_rank::decimal(2, 1) from ref.phases as ref_phase
     where ref_phase.ctgov = array_to_string(list_sort(phases), ','));

create or replace macro core.status_group(status) as
    (select ref_status.status_group from ref.status_groups as ref_status
     where ref_status.overall_status = status);
