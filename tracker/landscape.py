"""Classification in the database: read core rows, classify, write labels for the trials that changed."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import polars as pl

from tracker import db, reference, runs
from tracker.catalogue import (
    Catalogue,
    IndicationMap,
    RuleSet,
    Vocabulary,
    load_catalogue,
    load_indications,
    load_rules,
    load_vocabulary,
)
from tracker.classify import Classifier
from tracker.indications import IndicationMapper

log = logging.getLogger(__name__)

LABEL_TABLES = ("trial_agents", "trial_mechanisms", "trial_indications", "intervention_matches")
# trials classified at once: a full run of 100,000 held ~600 MB of input frames beside DuckDB's memory
CLASSIFY_CHUNK = 20_000


@dataclass(frozen=True)
class Domain:
    """The catalogue files, loaded and checked together, and their combined hash."""

    vocabulary: Vocabulary
    catalogue: Catalogue
    rules: RuleSet
    indications: IndicationMap
    hash: str

    @classmethod
    def load(cls, agents_file: Path | None = None) -> Domain:
        vocabulary = load_vocabulary()
        catalogue = load_catalogue(agents_file, vocabulary=vocabulary)
        rules = load_rules(vocabulary=vocabulary, catalogue=catalogue)
        indications = load_indications(vocabulary=vocabulary)
        digest = hashlib.sha256()
        for path in (vocabulary.path, catalogue.path, rules.path, indications.path):
            digest.update(Path(path).read_bytes())
        return cls(vocabulary, catalogue, rules, indications, digest.hexdigest()[:16])

    @cached_property
    def classifier(self) -> Classifier:
        """Compiled once per catalogue: a refresh labels batch after batch with it."""
        return Classifier(self.catalogue, self.rules)

    @cached_property
    def indication_mapper(self) -> IndicationMapper:
        return IndicationMapper(self.indications, self.vocabulary)


@dataclass(frozen=True)
class ClassifyResult:
    trials_classified: int
    trials_changed: int
    changed_ids: list[str]
    catalogue_hash: str


@dataclass(frozen=True)
class Labels:
    """New labels of some trials: a frame per label table, and the trials they are for."""

    trial_ids: pl.DataFrame  # nct_id: every trial labelled, with labels or without
    tables: dict[str, pl.DataFrame]  # LABEL_TABLES -> rows

    def of(self, nct_ids: pl.DataFrame) -> Labels:
        """The labels of the given trials only."""
        return Labels(self.trial_ids.join(nct_ids, on="nct_id", how="semi"),
                      {name: frame.join(nct_ids, on="nct_id", how="semi") for name, frame in self.tables.items()})


def read_inputs(con: db.Connection, where: str = "") -> dict[str, pl.DataFrame]:
    """The normalized rows the classifier reads, of the trials `where` selects (every trial when empty)."""
    return {
        "interventions": db.fetch_frame(con, f"select nct_id, intervention_idx, intervention_type, name, description, "
                                             f"other_names, arm_group_labels from core.interventions {where}"),
        "arm_groups": db.fetch_frame(con, f"select nct_id, arm_group_idx, label, arm_group_type, description, "
                                          f"intervention_names from core.arm_groups {where}"),
        "conditions": db.fetch_frame(con, f"select nct_id, condition from core.conditions {where}"),
        "mesh": db.fetch_frame(con, f"select nct_id, kind, mesh_id, term from core.condition_mesh {where}"),
        "trials": db.fetch_frame(con, f"select nct_id, brief_title, official_title from core.trials {where}"),
        "intervention_mesh": db.fetch_frame(con, f"select nct_id, kind, term from core.intervention_mesh {where}"),
    }


def label(domain: Domain, inputs: dict[str, pl.DataFrame]) -> Labels:
    """Classify trials from their normalized rows: pure, so a refresh runs it beside its loading."""
    result = domain.classifier.classify(
        inputs["interventions"], inputs["arm_groups"], inputs["trials"], inputs["intervention_mesh"])
    indications = domain.indication_mapper.map(inputs["conditions"], inputs["mesh"])
    return Labels(inputs["trials"].select("nct_id"), {
        "trial_agents": result.trial_agents, "trial_mechanisms": result.trial_mechanisms,
        "trial_indications": indications, "intervention_matches": result.intervention_matches})


def reclassify(con: db.Connection, domain: Domain, nct_ids: frozenset[str] | None, *, run_id: int | None = None,
               now: datetime | None = None, computed: Labels | None = None) -> ClassifyResult:
    """Classify the given trials (all when None) and replace the labels of those whose labels changed.

    Labels are per trial, so more than CLASSIFY_CHUNK trials are classified a chunk at a time: the
    input frames then take the same memory at any corpus size (about 6 KB per trial at once).
    `computed`: labels a refresh computed while loading, used as they are for the trials they cover
    (their rows have not changed since); these trials are classified too when `nct_ids` leaves them out.
    """
    now = now or datetime.now(UTC)
    write_reference(con, domain)
    wanted = sorted(nct_ids) if nct_ids is not None else \
        [r[0] for r in con.execute("select nct_id from core.trials order by nct_id").fetchall()]
    covered: list[str] = []
    if computed is not None:
        covered = sorted(computed.trial_ids["nct_id"].to_list())
        wanted = sorted(set(wanted) - set(covered))
    if not covered and len(wanted) <= CLASSIFY_CHUNK:
        return _reclassify(con, domain, None if nct_ids is None else frozenset(wanted), run_id=run_id, now=now)
    classified, changed = 0, []
    for ids, labels in [*_chunks(covered, computed), *_chunks(wanted, None)]:
        part = _reclassify(con, domain, frozenset(ids), run_id=run_id, now=now, computed=labels)
        classified += part.trials_classified
        changed.extend(part.changed_ids)
    return ClassifyResult(classified, len(changed), sorted(changed), domain.hash)


def _chunks(ids: list[str], computed: Labels | None) -> Iterator[tuple[list[str], Labels | None]]:
    for start in range(0, len(ids), CLASSIFY_CHUNK):
        part = ids[start:start + CLASSIFY_CHUNK]
        ids_frame = pl.DataFrame({"nct_id": part}, schema={"nct_id": pl.String})
        yield part, None if computed is None else computed.of(ids_frame)


def _reclassify(con: db.Connection, domain: Domain, nct_ids: frozenset[str] | None, *,
                run_id: int | None, now: datetime, computed: Labels | None = None) -> ClassifyResult:
    """reclassify of one chunk of trials (all when None), with their labels when already computed."""
    scope = _register_scope(con, nct_ids)
    labels = computed if computed is not None else label(domain, read_inputs(con, scope))
    trial_ids, new = labels.trial_ids, labels.tables
    after = signatures(trial_ids, new)
    before = signatures(trial_ids, {name: db.fetch_frame(con, f"select * from core.{name} {scope}")
                                    for name in LABEL_TABLES[:3]})
    changed = (
        after.join(before, on="nct_id", how="left", suffix="_before")
        .filter(pl.col("labels").ne_missing(pl.col("labels_before")))
    )
    db.register(con, "changed_trials", changed)
    try:
        for name in LABEL_TABLES:
            db.register(con, f"new_{name}", new[name])
            target = "changed_trials" if name != "intervention_matches" else "scope_trials"
            con.execute(f"delete from core.{name} where nct_id in (select nct_id from {target})")
            con.execute(f"insert into core.{name} by name select * from new_{name} "
                        f"where nct_id in (select nct_id from {target})")
            con.unregister(f"new_{name}")
        con.execute(
            "insert into meta.classification_changes select nct_id, ?, ?, ?, labels_before, labels from changed_trials",
            [now, run_id, domain.hash],
        )
    finally:
        db.unregister(con, "changed_trials")
        db.unregister(con, "scope_trials")
    runs.set_state(con, "catalogue_hash", domain.hash)
    ids = changed["nct_id"].to_list()
    return ClassifyResult(trial_ids.height, len(ids), sorted(ids), domain.hash)


def _register_scope(con: db.Connection, nct_ids: frozenset[str] | None) -> str:
    """Register the trials to classify as `scope_trials`; return the where clause restricting to them."""
    if nct_ids is None:
        db.register(con, "scope_trials", db.fetch_frame(con, "select nct_id from core.trials"))
        return ""
    db.register(con, "scope_trials", pl.DataFrame({"nct_id": sorted(nct_ids)}, schema={"nct_id": pl.String}))
    return "where nct_id in (select nct_id from scope_trials)"


def signatures(trials: pl.DataFrame, tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """One text per trial listing its labels: equal texts mean equal classification."""
    parts = [
        tables["trial_agents"].select("nct_id", label=pl.concat_str(
            pl.lit("agent:"), "agent", pl.lit("="), "mechanism_class", pl.lit("/"), "target")),
        tables["trial_mechanisms"].select("nct_id", label=pl.concat_str(
            pl.lit("mechanism:"), "mechanism_class", pl.lit("/"), "target",
            pl.when(pl.col("is_primary")).then(pl.lit("*")).otherwise(pl.lit("")))),
        tables["trial_indications"].select("nct_id", label=pl.concat_str(pl.lit("indication:"), "indication")),
    ]
    labels = pl.concat(parts).group_by("nct_id").agg(pl.col("label").sort().str.join("; ").alias("labels"))
    return trials.select("nct_id").join(labels, on="nct_id", how="left").with_columns(
        pl.col("labels").fill_null(""))


def write_reference(con: db.Connection, domain: Domain) -> None:
    """The catalogue and vocabulary as tables, for the public `agents` view and the dashboard's labels."""
    reference.write(con, {"agents": reference.agent_frame(domain.catalogue),
                          **reference.vocabulary_frames(domain.vocabulary)})


def classify_stage(con: db.Connection, domain: Domain, changed: frozenset[str] | None, *, run_id: int,
                   now: datetime, computed: Labels | None = None) -> ClassifyResult:
    """The refresh's classify stage: the trials whose content changed, all of them if the catalogue changed."""
    ids = changed if runs.get_state(con, "catalogue_hash") == domain.hash else None
    result = reclassify(con, domain, ids, run_id=run_id, now=now, computed=computed)
    log.info("classified %d trials, labels changed for %d", result.trials_classified, result.trials_changed)
    return result
