"""The temporary tables and registered frames that steps hand each other, declared in one place.

They live in the connection of one run (or in its scratch database) and never in the file. The headers
of sql/load/ and sql/normalize/ (`-- reads:` / `-- writes:`) name them beside the schema tables, and
tests/test_shape.py checks that every one the SQL and the code make or read is declared here. A name
ending in `*` stands for a family made in a loop (one per table).
"""

from __future__ import annotations

TEMP_TABLES: dict[str, str] = {
    # load and normalize (sql/load/, sql/normalize/, loading.py), one batch of pages at a time
    "incoming_page": "frame: one row per study of the batch (row_no, keys, content hash, JSON text)",
    "run_seen": "one row per study the run has seen: outcome new | changed | unchanged, was_in_scope",
    "page": "one row per distinct study of the batch, with its decoded keys",
    "page_changed": "the studies of the batch that get a new version, with its version_id",
    "parsed": "the new versions' JSON parsed once through the field map, for every normalize file",
    "early_trials": "frame: in the labelling thread's connection, the trials of committed batches to classify",
    # classify (landscape.py)
    "scope_trials": "frame: the trials being classified",
    "changed_trials": "frame: the trials whose labels changed, with their labels before and after",
    "new_*": "frames: the new rows of each label table (new_trial_agents, ...)",
    "new_ref_*": "frames: the new rows of each ref.* table",
    # snapshots (versions.py, sql/versions/)
    "snapshot_scope_frame": "frame: the trials whose current version is snapshotted",
    "snapshot_scope": "the trials whose current version is snapshotted, and the source of the snapshot",
    "snapshot_records": "the record part (columns and lists, no labels) of the snapshots being made",
    "snapshot_records_ready": "a prepared chunk's snapshot_records, kept apart until its labels are added",
    "new_snapshots": "the snapshots just made, before they replace any older ones",
    "scratch_ids": "frame: past versions to snapshot in the scratch database",
    "scratch_rows": "frame: in the scratch database, the version of each row of incoming_page",
    "scratch_snapshots": "frame: snapshots made in the scratch database",
    # detect changes (changes/stage.py, changes/detect.py) and history backfill (history.py)
    "new_versions": "the version ids a run or backfill stored, whose neighbours are compared",
    "migrated_versions": "frame: past versions snapshotted for the first time (a database from before snapshots)",
    "old_labels": "each trial's latest snapshot of a catalogue change as it was before relabelling",
    "change_pairs": "consecutive versions to compare (nct_id, version_before, version_after, posted_date, source)",
    "pair_snapshots": "the snapshots of both sides of change_pairs, read once for the field comparisons",
    "detected": "one row per change found in change_pairs, before it is rated",
    "rated_changes": "frame: the detected changes with severity and reason, appended to versions.trial_changes",
    # registry scan (scans.py)
    "scan_evidence": "frame: why a scan kept each study (the sieve's evidence), appended to meta.scan_finds",
    "history_rows": "frame: the versions a history backfill fetched for one trial",
}
