"""Classification inside refreshes and `tracker classify`: public views, curation, catalogue edits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT
from tests.fake_ctgov import FakeCtGov
from tests.synthetic import landscape_corpus, trial
from tracker import api
from tracker.config import Settings
from tracker.scope import ScopeQuery

SCOPE = [ScopeQuery("everything", "user", (("query.term", "x"),))]
# the shared checker when it sits beside the project, else the copy made of it (a fresh clone elsewhere)
CONTRACT = next(p for p in (ROOT.parent / "shared" / "checks" / "public_contract.py",
                            ROOT / "tests" / "contract" / "checks" / "public_contract.py") if p.exists())


def refresh(settings: Settings, studies: list[dict[str, object]], **kwargs: object) -> api.refresh.RefreshResult:
    result = api.run_refresh(settings, scope=SCOPE, transport=FakeCtGov(studies, **kwargs).transport())
    assert result.status in {"succeeded", "skipped"}, result.error
    return result


def read(settings: Settings, query: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        return con.execute(query).fetchall()


def second_database(tmp_path: Path, name: str) -> Settings:
    """Settings for another database beside `loaded`'s, to refresh the same corpus another way."""
    return Settings(db_path=tmp_path / name / "tracker.duckdb", max_rpm=0, backoff=0.01, retries=5, timeout=10.0)


@pytest.fixture
def loaded(settings: Settings) -> Settings:
    refresh(settings, landscape_corpus())
    return settings


def test_landscape_membership_and_primary_mechanisms(loaded: Settings) -> None:
    rows = dict((r[0], r[1:]) for r in read(loaded, "select nct_id, in_landscape, primary_mechanism_class, "
                                                    "primary_target from trials"))
    assert rows["NCT90000101"] == (True, "immune_checkpoint", "PD-1")
    assert rows["NCT90000102"] == (True, "nk_checkpoint", "NKG2A")
    assert rows["NCT90000103"] == (True, "car_nk", "CD19")
    assert rows["NCT90000104"] == (False, None, None)  # CIK cells are not NK cells
    assert rows["NCT90000105"] == (False, None, None)  # NK/T-cell lymphoma is a disease
    assert rows["NCT90000106"] == (False, None, None)  # azacitidine alone is a partner, never in by itself
    assert rows["NCT90000107"] == (True, "adoptive_nk", "CD16")


def test_evidence_partner_rows_and_indications(loaded: Settings) -> None:
    agents = read(loaded, "select agent, matched_text, matched_field, role from trial_agents "
                          "where nct_id = 'NCT90000102' order by agent")
    assert agents == [("cetuximab", "Cetuximab", "name", "partner"), ("monalizumab", "Monalizumab", "name", "tracked")]
    assert read(loaded, "select indication from trial_indications where nct_id = 'NCT90000105'") == [
        ("t_nk_cell_lymphoma",)]
    assert read(loaded, "select indications from trials where nct_id = 'NCT90000108'") == [
        (["solid_tumor_unspecified"],)]


def test_landscape_view_counts(loaded: Settings) -> None:
    rows = read(loaded, "select mechanism_class, target, phase, status_group, indication, n_trials, nct_ids "
                        "from landscape where target = 'NKG2A'")
    assert rows == [("nk_checkpoint", "NKG2A", "Phase 2/3", "open", "head_and_neck", 1, ["NCT90000102"])]
    # the README's example question, answered in one query
    answer = read(loaded, """
        select count(distinct t.nct_id) from trials t
        join trial_mechanisms m using (nct_id) join trial_indications i using (nct_id)
        where t.in_landscape and m.target = 'NKG2A' and t.phase_rank >= 2 and t.overall_status = 'RECRUITING'
          and i.indication = 'head_and_neck'""")
    assert answer == [(1,)]


def test_curation_queue_lists_unknown_names(loaded: Settings) -> None:
    queue = {r[0]: r[1:] for r in read(loaded, "select intervention_name, n_trials, n_trials_in_landscape "
                                               "from curation_queue")}
    assert queue["xyz-123"] == (1, 1)
    assert queue["cik cells"] == (1, 0)
    assert "mk-3475" not in queue and "monalizumab" not in queue


def test_public_contract(loaded: Settings) -> None:
    done = subprocess.run([sys.executable, str(CONTRACT), str(loaded.db_path), "--require-all"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "public contract: ok" in done.stdout


def test_catalogue_edit_relabels_exactly_the_affected_trials(loaded: Settings, tmp_path: Path) -> None:
    agents = (ROOT / "tracker" / "catalogue" / "data" / "agents.toml").read_text()
    edited = tmp_path / "agents.toml"
    edited.write_text(agents + '''
[[agent]]
name = "xyzumab"
aliases = ["XYZ-123"]
mechanism_class = "innate_checkpoint"
target = "CD47"
modality = "antibody"
role = "tracked"
review = "none"
evidence = "unconfirmed"
source = "test"
''')
    settings = Settings(**{**loaded.__dict__, "catalogue_file": edited})
    result = api.classify(settings)
    assert result.changed_ids == ["NCT90000108"]
    # PD-1 outranks CD47 in vocabulary priority, so the primary stays; the new agent adds its row
    assert read(settings, "select primary_mechanism_class, agents, mechanism_classes from trials "
                          "where nct_id = 'NCT90000108'") == [
        ("immune_checkpoint", ["pembrolizumab", "xyzumab"], ["immune_checkpoint", "innate_checkpoint"])]
    changes = read(settings, "select nct_id, run_id, labels_after from classification_changes "
                             "where catalogue_hash = '" + result.catalogue_hash + "'")
    assert [(c[0], c[1]) for c in changes] == [("NCT90000108", None)]
    assert "agent:xyzumab=innate_checkpoint/CD47" in str(changes[0][2])
    # classifying again with the same catalogue changes nothing
    assert api.classify(settings).changed_ids == []


def test_incremental_refresh_reclassifies_only_changed_trials(loaded: Settings) -> None:
    corpus = landscape_corpus()
    corpus[3] = trial("NCT90000104", interventions=[("BIOLOGICAL", "Haploidentical NK cells")],
                      conditions=["Gastric Cancer"], last_update="2026-11-21")
    result = refresh(loaded, corpus, data_timestamp="2026-11-21T09:00:05")
    assert result.mode == "incremental"
    assert read(loaded, "select in_landscape, primary_mechanism_class from trials where nct_id = 'NCT90000104'") == [
        (True, "adoptive_nk")]
    changed = read(loaded, f"select nct_id from classification_changes where run_id = {result.run_id}")
    assert changed == [("NCT90000104",)]


LABELS = ("select nct_id, agent, mechanism_class, target, role, matched_text from trial_agents order by all",
          "select nct_id, mechanism_class, target, is_primary from trial_mechanisms order by all",
          "select nct_id, indication from trial_indications order by all",
          "select nct_id, labels_after from classification_changes order by all",
          "select nct_id, in_landscape, primary_mechanism_class, primary_target, indications from trials order by all")


def test_classification_in_chunks_labels_as_in_one(loaded: Settings, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # a large corpus is classified a chunk at a time (memory flat in the corpus): labels are per trial
    from tracker import landscape

    monkeypatch.setattr(landscape, "CLASSIFY_CHUNK", 3)
    chunked = second_database(tmp_path, "chunked")
    refresh(chunked, landscape_corpus())
    for query in LABELS:
        assert read(chunked, query) == read(loaded, query), query


def test_labels_computed_while_loading_equal_labels_computed_after(loaded: Settings, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # a refresh labels batches beside the loading of the next: two trials per batch, five batches, classified
    # three trials at a time (two batches gathered per call, the last one alone)
    from tracker import early_labels, ingest

    monkeypatch.setattr(ingest, "LOAD_BATCH", 2)
    monkeypatch.setattr(early_labels, "EARLY_CHUNK", 3)
    batched = second_database(tmp_path, "batched")
    refresh(batched, landscape_corpus(), page_size=2)
    for query in LABELS:
        assert read(batched, query) == read(loaded, query), query


def test_a_trial_changed_twice_in_a_run_keeps_the_later_batchs_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    import polars as pl

    from tracker import db, early_labels, landscape

    def labels(ids: list[str], agent: str) -> landscape.Labels:
        frame = pl.DataFrame({"nct_id": ids, "agent": [agent] * len(ids)})
        return landscape.Labels(frame.select("nct_id"), {name: frame for name in landscape.LABEL_TABLES})

    batches = iter([labels(["NCT90000001", "NCT90000002"], "first"), labels(["NCT90000002"], "second")])
    monkeypatch.setattr(early_labels, "EARLY_CHUNK", 1)  # each batch its own classifier call
    monkeypatch.setattr(landscape, "read_inputs", lambda con, where: {"trials": pl.DataFrame({"nct_id": ["x"]})})
    monkeypatch.setattr(landscape, "label", lambda domain, inputs: next(batches))
    monkeypatch.setattr(db, "second_connection", lambda con: duckdb.connect())  # nothing is read from it
    early = early_labels.EarlyLabels(landscape.Domain.load(), None)  # type: ignore[arg-type]
    try:
        early.submit(pl.DataFrame({"nct_id": ["NCT90000001", "NCT90000002"]}))
        early.submit(pl.DataFrame({"nct_id": ["NCT90000002"]}))
        result = early.result()
    finally:
        early.close()
    assert result is not None
    assert sorted(result.trial_ids["nct_id"]) == ["NCT90000001", "NCT90000002"]
    for name in landscape.LABEL_TABLES:
        assert sorted(result.tables[name].rows()) == [("NCT90000001", "first"), ("NCT90000002", "second")], name


def test_gathered_batches_are_classified_from_their_rows_as_committed(loaded: Settings) -> None:
    # the labelling thread reads through a connection of its own: what the loading has committed, not
    # what a transaction still open beside it has written
    from tracker import db, early_labels, landscape

    domain = landscape.Domain.load()
    with db.writer(loaded.db_path) as con:
        expected = landscape.label(domain, landscape.read_inputs(con))
        early = early_labels.EarlyLabels(domain, con)
        try:
            con.execute("begin transaction")
            con.execute("delete from core.interventions")  # not committed: the thread must not see it
            ids = db.fetch_frame(con, "select nct_id from core.trials")
            early.submit(ids.slice(0, 3))
            early.submit(ids.slice(3), flush=True)
            result = early.result()
            con.execute("rollback")
        finally:
            early.close()
    assert result is not None
    for name in landscape.LABEL_TABLES:
        assert sorted(result.tables[name].rows()) == sorted(expected.tables[name].rows()), name


def test_snapshots_in_chunks_equal_snapshots_in_one(loaded: Settings, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # a catalogue edit at 100,000 trials snapshots every current version: a chunk at a time, in bounded memory
    from tracker import versions

    monkeypatch.setattr(versions, "SNAPSHOT_CHUNK", 2)
    chunked = second_database(tmp_path, "chunked")
    refresh(chunked, landscape_corpus())
    query = "select * exclude (version_id) from versions.trial_snapshots order by nct_id"
    assert read(chunked, query) == read(loaded, query)
    assert len(read(chunked, query)) == len(landscape_corpus())


def test_prepared_snapshots_survive_snapshots_made_in_between(loaded: Settings,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # a refresh builds the record part of its snapshots before a catalogue edit's relabelling makes others
    import polars as pl

    from tracker import versions

    monkeypatch.setattr(versions, "SNAPSHOT_CHUNK", 3)  # the prepared chunk and two built when written
    query = "select * from versions.trial_snapshots order by nct_id"
    before = read(loaded, query)
    ids = [row[0] for row in read(loaded, "select nct_id from core.trials order by nct_id")]
    with duckdb.connect(str(loaded.db_path)) as con:
        stored = versions.CurrentSnapshots(con, pl.DataFrame({"nct_id": ids}))
        stored.prepare()
        con.execute("delete from versions.trial_snapshots")
        # the relabelling's snapshots, of other trials, replace snapshot_scope and snapshot_records meanwhile
        assert versions.snapshot_current(con, pl.DataFrame({"nct_id": ids[-2:]})) == 2
        assert stored.write() == len(ids) > 3
    assert read(loaded, query) == before
