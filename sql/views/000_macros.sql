-- codes of vocabulary.md as macros: phase (sorted, joined phases list), phase_rank, status_group
create or replace macro core.phase_code(phases) as
    case array_to_string(list_sort(phases), ',')
        when 'EARLY_PHASE1' then 'Early Phase 1'
        when 'PHASE1' then 'Phase 1'
        when 'PHASE1,PHASE2' then 'Phase 1/2'
        when 'PHASE2' then 'Phase 2'
        when 'PHASE2,PHASE3' then 'Phase 2/3'
        when 'PHASE3' then 'Phase 3'
        when 'PHASE4' then 'Phase 4'
        when 'NA' then 'Not applicable'
    end;

create or replace macro core.phase_rank(phases) as
    case array_to_string(list_sort(phases), ',')
        when 'EARLY_PHASE1' then 0.0
        when 'PHASE1' then 1.0
        when 'PHASE1,PHASE2' then 1.5
        when 'PHASE2' then 2.0
        when 'PHASE2,PHASE3' then 2.5
        when 'PHASE3' then 3.0
        when 'PHASE4' then 4.0
    end;

create or replace macro core.status_group(overall_status) as
    case
        when overall_status in ('RECRUITING', 'NOT_YET_RECRUITING', 'ENROLLING_BY_INVITATION') then 'open'
        when overall_status = 'ACTIVE_NOT_RECRUITING' then 'active'
        when overall_status = 'COMPLETED' then 'completed'
        when overall_status in ('TERMINATED', 'SUSPENDED', 'WITHDRAWN') then 'stopped'
        when overall_status = 'UNKNOWN' then 'unknown'
        when overall_status in ('AVAILABLE', 'NO_LONGER_AVAILABLE', 'TEMPORARILY_NOT_AVAILABLE',
                                'APPROVED_FOR_MARKETING', 'WITHHELD') then 'other'
    end;
