-- one row per phase code of the vocabulary, with its label and rank (null for Not applicable)
create or replace view main.phases as
select
    phase,
    phase_label,
    phase_rank
from ref.phases;
