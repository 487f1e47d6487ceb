-- reads: (none)
-- writes: raw.studies
-- after a full run: a study that no scope query returned has left the scope (kept, never deleted)
update raw.studies
set is_in_scope = false, left_scope_run_id = $run_id, left_scope_at = $now
where is_in_scope and last_seen_run_id <> $run_id;
