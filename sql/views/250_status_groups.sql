-- one row per CT.gov overall_status, with the status_group it belongs to and that group's label
create or replace view main.status_groups as
select
    status_group,
    status_group_label,
    overall_status
from ref.status_groups;
