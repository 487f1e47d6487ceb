-- one row per mechanism_class × target × phase × status_group × indication (landscape trials only)
create or replace view main.landscape as
with

trials as (

    select nct_id, phase, phase_rank, status_group
    from main.trials
    where in_landscape

),

mechanisms as (

    select nct_id, mechanism_class, target, role
    from core.trial_mechanisms

),

indications as (

    select nct_id, indication, indication_area
    from core.trial_indications

),

final as (

    select
        mechanisms.mechanism_class,
        mechanisms.target,
        trials.phase,
        trials.status_group,
        indications.indication,
        any_value(indications.indication_area) as indication_area,
        any_value(mechanisms.role) as role,
        any_value(trials.phase_rank) as phase_rank,
        count(distinct trials.nct_id) as n_trials,
        list(distinct trials.nct_id order by trials.nct_id) as nct_ids
    from trials
    join mechanisms using (nct_id)
    left join indications using (nct_id)
    group by all

)

select * from final;
