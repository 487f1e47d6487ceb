-- one row per trial × detected change: what moved, when CT.gov posted it, how much it matters
create or replace view main.trial_changes as
select
    ----------  ids
    changes.nct_id,
    changes.run_id,
    changes.detected_at,
    changes.posted_date,
    changes.version_before,
    changes.version_after,

    ----------  the change
    changes.field,
    changes.old_value,
    changes.new_value,
    changes.shift_days,
    changes.pct_change,
    changes.severity,
    changes.reason,

    ----------  the trial at the new version
    changes.mechanism_class,
    changes.target,
    changes.is_nk_specific,
    changes.source,
    changes.change_id,
    changes.old_type,
    changes.new_type,
    changes.phase,
    changes.rule_id,
    snapshots.brief_title,
    'https://clinicaltrials.gov/study/' || changes.nct_id as url
from versions.trial_changes as changes
left join versions.trial_snapshots as snapshots on snapshots.version_id = changes.version_after;
