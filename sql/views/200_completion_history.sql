-- one row per trial × version that set or moved its primary completion date (the first version included):
-- the slip history of every trial, oldest first
create or replace view main.completion_history as
with

chain as (

    select
        nct_id,
        version_id,
        posted_date,
        source,
        primary_completion_date,
        primary_completion_date_raw,
        primary_completion_date_type,
        lag(primary_completion_date) over by_version as previous_date,
        lag(primary_completion_date_raw) over by_version as previous_date_raw,
        row_number() over by_version as version_number
    from versions.trial_snapshots
    window by_version as (partition by nct_id order by posted_date nulls first, version_id)

),

final as (

    select
        nct_id,
        version_id,
        version_number,
        posted_date,
        source,
        primary_completion_date,
        primary_completion_date_raw,
        primary_completion_date_type,
        previous_date,
        previous_date_raw,
        datediff('day', previous_date, primary_completion_date) as shift_days,
        count(*) over (partition by nct_id order by posted_date nulls first, version_id) - 1 as moves_so_far
    from chain
    where version_number = 1 or primary_completion_date is distinct from previous_date

)

select * from final;
