"""The registry scan's sieve: which studies of a chunk of the bulk archive are worth storing (pure polars).

A study is kept when the classifier puts it in the landscape (a tracked agent or a generic rule in its
interventions and arms), or when a term of a scope query is written where that query searches, or — for
the agents' and the user's queries — in the study's titles and descriptions, where CT.gov's intervention
search does not look. Most of the registry is neither, and the sieve throws it away cheaply: each study is
decoded only for the texts above (tracker.ctgov.bodies.ScanStudy), the texts are matched with one
multi-pattern search per kind (the classifier's alias spellings, the rules' regexes, the scope's terms),
and only the studies something matched go through the real classifier.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from tracker.classify import Classifier
from tracker.ctgov.bodies import ScanStudy
from tracker.scope import ScopeQuery
from tracker.textmatch import alias_spellings, polars_regex, token_text
from tracker.trial_texts import texts_frame

INTERVENTION_FIELDS = ("name", "other_name", "description", "arm_group")
STUDY_FIELDS = ("title", "summary", "condition", "keyword")
# the fields each query parameter searches (CT.gov's search areas, ctgov-api.md §3), as the sieve sees them
AREA_FIELDS: dict[str, tuple[str, ...]] = {
    "query.intr": INTERVENTION_FIELDS,
    "query.cond": ("condition", "keyword", "title"),
    "query.titles": ("title",),
}
ALL_FIELDS = INTERVENTION_FIELDS + STUDY_FIELDS
# where a registrant names a drug that the search areas of intervention queries miss
DESCRIBED_FIELDS = ("title", "summary")
EVIDENCE_CHARS = 300
_UNSUPPORTED = re.compile(r"\b(AND|NOT)\b|AREA\[|RANGE\[|[()\[\]]")

Schema = dict[str, pl.DataType | type[pl.DataType]]
INTERVENTION_SCHEMA: Schema = {"nct_id": pl.String, "intervention_idx": pl.Int32, "intervention_type": pl.String,
                       "name": pl.String, "description": pl.String, "other_names": pl.List(pl.String),
                       "arm_group_labels": pl.List(pl.String)}
ARM_SCHEMA: Schema = {"nct_id": pl.String, "arm_group_idx": pl.Int32, "label": pl.String, "arm_group_type": pl.String,
              "description": pl.String, "intervention_names": pl.List(pl.String)}
EVIDENCE_SCHEMA: Schema = {"nct_id": pl.String, "reason": pl.String, "matched_field": pl.String,
                   "matched_term": pl.String, "field_text": pl.String}


@dataclass(frozen=True)
class Chunk:
    """The texts of a chunk of studies, as the classifier and the sieve read them."""

    interventions: pl.DataFrame
    arm_groups: pl.DataFrame
    others: pl.DataFrame  # nct_id, field (title, summary, condition, keyword), text
    nct_ids: list[str]


@dataclass(frozen=True)
class Sifted:
    """The studies of a chunk that are kept, each with its first piece of evidence, and the counts."""

    kept: pl.DataFrame  # EVIDENCE_SCHEMA, one row per kept study
    candidates: int  # studies something matched, that went through the classifier


@dataclass(frozen=True)
class Terms:
    """The scope's terms: fenced spellings with the query label and the fields they are looked for in."""

    frame: pl.DataFrame  # spelling, term, fields (list)
    ids: frozenset[str]  # NCT ids that id-list queries ask for
    skipped: int  # alternatives the sieve cannot evaluate (AND, NOT, AREA[], …)


def scope_terms(scope: Sequence[ScopeQuery]) -> Terms:
    """Every OR-alternative of every query.* parameter of the scope, spelled as alias tokens."""
    rows: list[tuple[str, str, list[str]]] = []
    ids: set[str] = set()
    skipped = 0
    for query in scope:
        for name, value in query.params:
            if name == "filter.ids":
                ids.update(x.strip().upper() for x in re.split(r"[,|]", value) if x.strip())
            if not name.startswith("query."):
                continue
            fields = list(AREA_FIELDS.get(name, ALL_FIELDS))
            if query.source in ("catalogue", "user"):
                fields += [f for f in DESCRIBED_FIELDS if f not in fields]
            for term in re.split(r"\s+OR\s+", value):
                term = term.strip()
                if not term or _UNSUPPORTED.search(term):
                    skipped += bool(term)
                    continue
                rows += [(spelling, term.strip('"'), fields) for spelling in alias_spellings(term.strip('"'))]
    frame = pl.DataFrame(rows, schema={"spelling": pl.String, "term": pl.String, "fields": pl.List(pl.String)},
                         orient="row").unique(["spelling", "fields"], maintain_order=True)
    return Terms(frame, frozenset(ids), skipped)


def chunk_texts(studies: Sequence[tuple[str, ScanStudy]]) -> Chunk:
    """The classifier's input frames (as sql/normalize builds them: 1-based indexes, empty lists for none)
    and the study texts the scope's terms are looked for in."""
    interventions: list[tuple[Any, ...]] = []
    arms: list[tuple[Any, ...]] = []
    others: list[tuple[str, str, str]] = []
    for nct_id, study in studies:
        protocol = study.protocolSection
        if protocol is None:
            continue
        module = protocol.armsInterventionsModule
        for idx, item in enumerate((module.interventions or []) if module else [], start=1):
            interventions.append((nct_id, idx, item.type, item.name, item.description, item.otherNames or [],
                                  item.armGroupLabels or []))
        for idx, arm in enumerate((module.armGroups or []) if module else [], start=1):
            arms.append((nct_id, idx, arm.label, arm.type, arm.description, arm.interventionNames or []))
        others += _study_texts(nct_id, study)
    return Chunk(
        pl.DataFrame(interventions, schema=INTERVENTION_SCHEMA, orient="row"),
        pl.DataFrame(arms, schema=ARM_SCHEMA, orient="row"),
        pl.DataFrame(others, schema={"nct_id": pl.String, "field": pl.String, "text": pl.String}, orient="row"),
        [nct_id for nct_id, _ in studies],
    )


def _study_texts(nct_id: str, study: ScanStudy) -> list[tuple[str, str, str]]:
    protocol = study.protocolSection
    assert protocol is not None
    ident, described, conditions = protocol.identificationModule, protocol.descriptionModule, \
        protocol.conditionsModule
    texts = [("title", ident.briefTitle), ("title", ident.officialTitle), ("title", ident.acronym)] if ident else []
    if described is not None:
        texts += [("summary", described.briefSummary), ("summary", described.detailedDescription)]
    if conditions is not None:
        texts += [("condition", c) for c in conditions.conditions or []]
        texts += [("keyword", k) for k in conditions.keywords or []]
    return [(nct_id, field, text) for field, text in texts if text]


@dataclass
class Sieve:
    """The classifier with the scope's terms: decides, a chunk at a time, which studies to keep."""

    classifier: Classifier
    terms: Terms

    def __post_init__(self) -> None:
        self._agent_spellings = self.classifier.spellings["spelling"].unique().to_list()
        self._rule_regex = polars_regex(p for rule in self.classifier.rules.rules for p in rule.include)
        self._term_spellings = self.terms.frame["spelling"].unique().to_list()

    def sift(self, chunk: Chunk) -> Sifted:
        """The kept studies of a chunk: in the landscape by the classifier, or matching the scope's terms."""
        # titles and summaries are long and only their tokens are matched, which no dash, mark or space
        # variant changes: they skip the classifier's normalization, a third of the sieve's time
        texts = pl.concat([
            texts_frame(chunk.interventions, chunk.arm_groups).select("nct_id", "field", "text"),
            chunk.others,
        ]).with_columns(tokens=token_text(pl.col("text")))
        named = pl.col("field").is_in(["name", "other_name"]) & pl.col("tokens").str.contains_any(
            self._agent_spellings) if self._agent_spellings else pl.lit(False)
        ruled = pl.col("field").is_in(INTERVENTION_FIELDS) & pl.col("text").str.contains(self._rule_regex)
        candidates = texts.filter(named | ruled).select("nct_id").unique()
        landscape = self._landscape(chunk, candidates)
        found = pl.concat([landscape, self._term_hits(texts), self._id_hits(chunk)], how="vertical")
        kept = found.unique("nct_id", keep="first", maintain_order=True)
        return Sifted(kept, candidates.height)

    def _landscape(self, chunk: Chunk, candidates: pl.DataFrame) -> pl.DataFrame:
        """The candidates the classifier gives a tracked mechanism, with the agent row that put them there."""
        if candidates.is_empty():
            return pl.DataFrame(schema=EVIDENCE_SCHEMA)
        result = self.classifier.classify(chunk.interventions.join(candidates, on="nct_id", how="semi"),
                                          chunk.arm_groups.join(candidates, on="nct_id", how="semi"))
        tracked = result.trial_mechanisms.filter(pl.col("role") == "tracked").select("nct_id").unique()
        agents = result.trial_agents.join(tracked, on="nct_id", how="semi").filter(pl.col("role") == "tracked")
        return agents.sort("nct_id", "agent").unique("nct_id", keep="first", maintain_order=True).select(
            "nct_id", reason=pl.lit("landscape"), matched_field=pl.col("matched_field"),
            matched_term=pl.col("agent"), field_text=pl.col("field_text").str.slice(0, EVIDENCE_CHARS))

    def _term_hits(self, texts: pl.DataFrame) -> pl.DataFrame:
        """Texts holding a scope term in a field that term is looked for in."""
        if not self._term_spellings:
            return pl.DataFrame(schema=EVIDENCE_SCHEMA)
        hit = texts.filter(pl.col("tokens").str.contains_any(self._term_spellings))
        if hit.is_empty():
            return pl.DataFrame(schema=EVIDENCE_SCHEMA)
        found = (
            hit.with_columns(spelling=pl.col("tokens").str.extract_many(self._term_spellings, overlapping=True))
            .explode("spelling").join(self.terms.frame, on="spelling")
            .filter(pl.col("fields").list.contains(pl.col("field")))
        )
        return found.sort("nct_id").unique("nct_id", keep="first", maintain_order=True).select(
            "nct_id", reason=pl.lit("scope term"), matched_field=pl.col("field"), matched_term=pl.col("term"),
            field_text=pl.col("text").str.slice(0, EVIDENCE_CHARS))

    def _id_hits(self, chunk: Chunk) -> pl.DataFrame:
        if not self.terms.ids:
            return pl.DataFrame(schema=EVIDENCE_SCHEMA)
        ids = pl.DataFrame({"nct_id": chunk.nct_ids}, schema={"nct_id": pl.String})
        return ids.filter(pl.col("nct_id").is_in(list(self.terms.ids))).select(
            "nct_id", reason=pl.lit("scope id"), matched_field=pl.lit("nct_id"), matched_term=pl.col("nct_id"),
            field_text=pl.col("nct_id"))
