-- one row per trial a registry scan found that no search query returned: what search alone misses, with
-- the evidence (the field and text the scan found it by), to turn a missed spelling into an alias
create or replace view main.scan_only_trials as
with

latest as (
    select *
    from meta.scan_finds
    qualify row_number() over (partition by nct_id order by run_id desc) = 1
)

select
    f.nct_id,
    t.brief_title,
    t.in_landscape,
    t.agents,
    t.primary_mechanism_class,
    t.primary_target,
    latest.reason,
    latest.matched_field,
    latest.matched_term,
    latest.field_text,
    f.first_scan_id,
    t.url
from main.trial_found_by as f
join latest using (nct_id)
left join main.trials as t using (nct_id)
where f.found_by = 'scan';
