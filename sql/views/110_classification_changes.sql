-- one row per trial × classification that changed its labels: the history of every label
create or replace view main.classification_changes as
select nct_id, changed_at, run_id, catalogue_hash, labels_before, labels_after
from meta.classification_changes;
