-- reads: (none)
-- writes: run_seen
-- per-run scratch: one row per study this run has seen, with what it was before the run
create or replace temp table run_seen (
    nct_id varchar not null,
    outcome varchar not null,           -- new | changed | unchanged
    was_in_scope boolean
);
