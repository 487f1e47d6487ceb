"""Classification in the database: read core rows, classify, write labels for the trials that changed."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
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


@dataclass(frozen=True)
class ClassifyResult:
    trials_classified: int
    trials_changed: int
    changed_ids: list[str]
    catalogue_hash: str


def reclassify(con: db.Connection, domain: Domain, nct_ids: frozenset[str] | None, *,
               run_id: int | None = None, now: datetime | None = None) -> ClassifyResult:
    """Classify the given trials (all when None) and replace the labels of those whose labels changed.

    Labels are per trial, so more than CLASSIFY_CHUNK trials are classified a chunk at a time: the
    input frames then take the same memory at any corpus size (about 6 KB per trial at once).
    """
    now = now or datetime.now(UTC)
    write_reference(con, domain)
    count = len(nct_ids) if nct_ids is not None else db.scalar(con, "select count(*) from core.trials")
    if count <= CLASSIFY_CHUNK:
        return _reclassify(con, domain, nct_ids, run_id=run_id, now=now)
    ids = sorted(nct_ids) if nct_ids is not None else \
        [r[0] for r in con.execute("select nct_id from core.trials order by nct_id").fetchall()]
    classified, changed = 0, []
    for start in range(0, len(ids), CLASSIFY_CHUNK):
        part = _reclassify(con, domain, frozenset(ids[start:start + CLASSIFY_CHUNK]), run_id=run_id, now=now)
        classified += part.trials_classified
        changed.extend(part.changed_ids)
    return ClassifyResult(classified, len(changed), sorted(changed), domain.hash)


def _reclassify(con: db.Connection, domain: Domain, nct_ids: frozenset[str] | None, *,
                run_id: int | None, now: datetime) -> ClassifyResult:
    """reclassify of one chunk of trials (all when None)."""
    scope = _register_scope(con, nct_ids)
    interventions = db.fetch_frame(con, f"select nct_id, intervention_idx, intervention_type, name, description, "
                                        f"other_names, arm_group_labels from core.interventions {scope}")
    arm_groups = db.fetch_frame(con, f"select nct_id, arm_group_idx, label, arm_group_type, description, "
                                     f"intervention_names from core.arm_groups {scope}")
    conditions = db.fetch_frame(con, f"select nct_id, condition from core.conditions {scope}")
    mesh = db.fetch_frame(con, f"select nct_id, kind, mesh_id, term from core.condition_mesh {scope}")
    trials = db.fetch_frame(con, f"select nct_id, brief_title, official_title from core.trials {scope}")
    intervention_mesh = db.fetch_frame(con, f"select nct_id, kind, term from core.intervention_mesh {scope}")
    trial_ids = trials.select("nct_id")
    result = Classifier(domain.catalogue, domain.rules).classify(interventions, arm_groups, trials, intervention_mesh)
    indications = IndicationMapper(domain.indications, domain.vocabulary).map(conditions, mesh)
    new = {"trial_agents": result.trial_agents, "trial_mechanisms": result.trial_mechanisms,
           "trial_indications": indications, "intervention_matches": result.intervention_matches}
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
                   now: datetime) -> ClassifyResult:
    """The refresh's classify stage: the trials whose content changed, all of them if the catalogue changed."""
    ids = changed if runs.get_state(con, "catalogue_hash") == domain.hash else None
    result = reclassify(con, domain, ids, run_id=run_id, now=now)
    log.info("classified %d trials, labels changed for %d", result.trials_classified, result.trials_changed)
    return result
