-- the codes of vocabulary.md, looked up in the ref.* tables that every start copies from
-- tracker/catalogue/data/vocabulary.toml, their one copy: the phase and phase_rank of CT.gov's phases
-- list (sorted and joined), the status_group of an overallStatus; null when the vocabulary has no row.
-- Each builds its map once per query: a correlated subquery per row is ten times slower.
create or replace macro core.phase_code(phases) as
    (select map_from_entries(list((ctgov, phase))) from ref.phases)[array_to_string(list_sort(phases), ',')];

-- decimal(2,1): the type the views have always given phase_rank (the vocabulary checks ranks fit it)
create or replace macro core.phase_rank(phases) as
    (select map_from_entries(list((ctgov, phase_rank::decimal(2, 1)))) from ref.phases)
        [array_to_string(list_sort(phases), ',')];

create or replace macro core.status_group(status) as
    (select map_from_entries(list((overall_status, status_group))) from ref.status_groups)[status];
