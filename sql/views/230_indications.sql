-- one row per indication of the vocabulary, with its label and its indication_area
create or replace view main.indications as
select
    indication,
    indication_label,
    indication_area,
    indication_area_label
from ref.indications;
