-- one row: every value the landscape holds for each filter (the dashboard's sidebar choices)
create or replace table core.landscape_options as
with

trial_values as (

    select
        list_sort(list_distinct(flatten(list(agents)))) as agents,
        list_sort(list_distinct(flatten(list(indication_areas)))) as indication_areas,
        list_sort(list_distinct(flatten(list(indications)))) as indications
    from core.trial_summary
    where in_landscape

),

row_values as (

    select
        list(distinct mechanism_class order by mechanism_class) as mechanism_classes,
        list(distinct target order by target) as targets,
        list(distinct coalesce(phase, 'No phase') order by coalesce(phase, 'No phase')) as phases,
        list(distinct status_group order by status_group) as status_groups,
        list(distinct sponsor_class order by sponsor_class) filter (sponsor_class is not null) as sponsor_classes,
        min(year(start_date)) as first_year,
        max(year(start_date)) as last_year
    from core.landscape_rows

)

select row_values.*, trial_values.*
from row_values
cross join trial_values;
