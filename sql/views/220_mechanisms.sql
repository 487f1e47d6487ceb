-- one row per mechanism_class × target of the vocabulary: labels, role, and the order charts list them in
create or replace view main.mechanisms as
select
    mechanism_class,
    mechanism_label,
    priority,
    role,
    target,
    target_label,
    target_order
from ref.mechanisms;
