"""Agent and mechanism classification of trials, with evidence (pure polars; rules in catalogue/data/*.toml).

Input: the intervention and arm-group rows of some trials. Output: one row per trial × agent (the
matched text and field as evidence) and one row per trial × (mechanism_class, target). The order of
steps and the semantics of each rule field are the ones written at the top of rules.toml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import polars as pl

from tracker.catalogue import Catalogue, RuleSet
from tracker.support_step import AGENT_FIELDS, apply_supports
from tracker.textmatch import alias_spellings, normalize_str, polars_regex, spelling_regex, token_text
from tracker.trial_evidence import (
    gap_agents,
    placeholder_expr,
    placeholders_of,
    platforms_yield,
    rule_yields,
    trial_agents_named,
    trial_level_hits,
    unexplained,
    without_placebos,
)
from tracker.trial_texts import TRIAL_FIELDS, arm_links, texts_frame

# only texts holding one of these can be touched by a generic rule or a trap (the NK words, then the
# checkpoint targets of the class-only rules: "pd" covers PD-1, PD-L1 and programmed death)
RULE_PREFILTER = ["nk", "natural", "killer", "car", "chimeric", "cik", "cd16", "il-15", "il15", "fc",
                  "pd", "programmed", "ctla", "cytotoxic t", "lag", "lymphocyte", "tigit", "tim", "havcr", "cd96",
                  "kir", "klrc", "cd94", "cd47", "sirp", "il 15", "interleukin", "b7", "cd274"]

AGENT_COLUMNS = {
    "nct_id": pl.String, "agent": pl.String, "mechanism_class": pl.String, "target": pl.String,
    "role": pl.String, "is_named": pl.Boolean, "source": pl.String, "matched_text": pl.String,
    "matched_field": pl.String, "field_text": pl.String, "intervention_idx": pl.Int32, "arm_group_idx": pl.Int32,
}
MECHANISM_COLUMNS = {
    "nct_id": pl.String, "mechanism_class": pl.String, "target": pl.String, "role": pl.String,
    "is_primary": pl.Boolean, "priority": pl.Int32, "target_order": pl.Int32, "agents": pl.List(pl.String),
}


@dataclass(frozen=True)
class Classification:
    trial_agents: pl.DataFrame
    trial_mechanisms: pl.DataFrame
    # one row per intervention with whether anything (agent or rule) explained it: the curation input
    intervention_matches: pl.DataFrame


@dataclass
class Classifier:
    """The catalogue and rules compiled once into match tables and regexes."""

    catalogue: Catalogue
    rules: RuleSet

    @cached_property
    def spellings(self) -> pl.DataFrame:
        """spelling → agent, for every name and alias of every agent."""
        rows = []
        for agent in self.catalogue.agents:
            for term in agent.names:
                for spelling in alias_spellings(term):
                    rows.append((spelling, agent.name))
        return pl.DataFrame(rows, schema={"spelling": pl.String, "agent": pl.String}, orient="row").unique()

    @cached_property
    def agent_rows(self) -> pl.DataFrame:
        """agent → every (mechanism_class, target) row it contributes, primary first."""
        rows = []
        for agent in self.catalogue.agents:
            for order, mech in enumerate(agent.mechanisms):
                rows.append((agent.name, mech.mechanism_class, mech.target, order))
        return pl.DataFrame(rows, schema={"agent": pl.String, "mechanism_class": pl.String, "target": pl.String,
                                          "agent_row": pl.Int32}, orient="row")

    @cached_property
    def mechanism_order(self) -> pl.DataFrame:
        rows = []
        for mech in self.catalogue.vocabulary.mechanisms:
            for order, target in enumerate(mech.targets):
                rows.append((mech.code, target.code, mech.priority, order, mech.role))
        return pl.DataFrame(rows, schema={"mechanism_class": pl.String, "target": pl.String, "priority": pl.Int32,
                                          "target_order": pl.Int32, "role": pl.String}, orient="row")

    @cached_property
    def trap_regex(self) -> str:
        """The traps that mask every field."""
        return polars_regex(p for trap in self.rules.traps if not trap.fields for p in trap.patterns)

    def _masked(self, text: pl.Expr) -> pl.Expr:
        """The text with every trap of its field replaced by one space."""
        masked = text.str.replace_all(self.trap_regex, " ")
        for trap in self.rules.traps:
            if trap.fields:
                masked = pl.when(pl.col("field").is_in(trap.fields)).then(
                    masked.str.replace_all(polars_regex(trap.patterns), " ")).otherwise(masked)
        return masked

    def classify(self, interventions: pl.DataFrame, arm_groups: pl.DataFrame, trials: pl.DataFrame | None = None,
                 intervention_mesh: pl.DataFrame | None = None) -> Classification:
        """Classify the trials whose interventions and arm groups (and titles, intervention MeSH) are given."""
        texts = without_placebos(texts_frame(interventions, arm_groups, trials, intervention_mesh), self.rules.placebos)
        named = self._match_agents(texts.filter(pl.col("field").is_in(AGENT_FIELDS))).with_columns(
            source=pl.lit("catalogue"), is_named=pl.lit(True))
        # agents are read from intervention names and other names; descriptions, arms, titles and MeSH terms only
        # fill the gap a placeholder intervention leaves ("after progression on pembrolizumab" names no drug given)
        gaps = placeholders_of(texts, unexplained(texts, interventions, named), self._is_placeholder)
        in_gaps, by_target = gap_agents(texts, gaps, named, arm_groups, interventions,
                                        (self._match_agents, self._match_specific), self._masked, self.agent_rows)
        named = pl.concat([named, in_gaps], how="diagonal_relaxed")
        rule_hits = self._rule_hits(texts, named, arm_groups, interventions)
        named = platforms_yield(named, rule_hits, self.agent_rows, self._agent_yields)
        on_trial = pl.col("field").is_in(TRIAL_FIELDS)
        unit_hits = pl.concat([rule_hits.filter(~on_trial) if not rule_hits.is_empty() else rule_hits, by_target],
                              how="diagonal_relaxed")
        open_units = unexplained(texts, interventions, named, unit_hits)
        trial_level = trial_level_hits(
            rule_hits.filter(on_trial) if not rule_hits.is_empty() else rule_hits,
            trial_agents_named(texts, self._match_specific, self._masked, self._canonical), named, unit_hits,
            (open_units.join(gaps, on=["nct_id", "intervention_idx"], how="semi"), open_units),
            self.agent_rows, self._yields)
        hits = pl.concat([named, unit_hits, trial_level], how="diagonal_relaxed")
        for column in ("mechanism_class", "target", "rule_id"):
            if column not in hits.columns:
                hits = hits.with_columns(pl.lit(None, pl.String).alias(column))
        # recognised counts even when the support step drops the row: IL-2 as support is not unknown
        matched = hits.filter(pl.col("intervention_idx").is_not_null()).select("nct_id", "intervention_idx").unique()
        hits = apply_supports(hits, self.rules.supports, self.agent_rows, (interventions, arm_groups, texts))
        rows = self._partner_gate(self._rows(hits))
        mechanisms = self._mechanisms(rows)
        intervention_matches = interventions.select("nct_id", pl.col("intervention_idx").cast(pl.Int32)).join(
            matched.with_columns(is_matched=pl.lit(True)), on=["nct_id", "intervention_idx"], how="left",
        ).with_columns(pl.col("is_matched").fill_null(False))
        return Classification(self._trial_agents(rows), mechanisms, intervention_matches)

    # ------------------------------------------------------------------------------------ agents

    @cached_property
    def _yields(self) -> pl.DataFrame:
        return rule_yields(self.rules.rules)

    @cached_property
    def _agent_yields(self) -> pl.DataFrame:
        rows = [(a.name, c) for a in self.catalogue.agents for c in a.yields_to_classes]
        return pl.DataFrame(rows, schema={"agent": pl.String, "other_class": pl.String}, orient="row")

    @cached_property
    def _is_placeholder(self) -> pl.Expr:
        return placeholder_expr(self.rules.placeholders)

    @cached_property
    def _canonical(self) -> pl.DataFrame:
        """lower-cased canonical name → agent: what an intervention MeSH term must equal to name an agent."""
        names = [agent.name for agent in self.catalogue.agents]
        return pl.DataFrame({"key": [n.lower() for n in names], "agent": names})

    @cached_property
    def _specific_spellings(self) -> pl.DataFrame:
        """The spellings less those of a vocabulary target ('IL-2' names the molecule in a title, not a product)."""
        targets = {s for m in self.catalogue.vocabulary.mechanisms for t in m.targets for s in alias_spellings(t.code)}
        return self.spellings.filter(~pl.col("spelling").is_in(sorted(targets)))

    def _match_specific(self, texts: pl.DataFrame) -> pl.DataFrame:
        return self._match_agents(texts, self._specific_spellings)

    def _match_agents(self, texts: pl.DataFrame, spellings: pl.DataFrame | None = None) -> pl.DataFrame:
        """(text row, agent, matched text) for every alias found in the texts, longest match winning."""
        spellings = self.spellings if spellings is None else spellings
        empty = texts.head(0).with_columns(agent=pl.lit(None, pl.String), matched_text=pl.lit(None, pl.String))
        if texts.is_empty():
            return empty
        unique = texts.select("text").unique().with_columns(tokens=token_text(pl.col("text")))
        found = (
            unique.with_columns(spelling=pl.col("tokens").str.extract_many(
                spellings["spelling"].unique().to_list(), overlapping=True))
            .explode("spelling").drop_nulls("spelling").unique(["text", "spelling"])
            .join(spellings, on="spelling")
        )
        if found.is_empty():
            return empty
        # a spelling inside a longer one of another agent found in the same text loses (PD-L1 t-haNK ⊃ haNK)
        pairs = found.join(found.select("text", pl.col("spelling").alias("longer"), pl.col("agent").alias("other")),
                           on="text")
        beaten = pairs.filter((pl.col("agent") != pl.col("other")) & (pl.col("longer").str.len_chars()
                              > pl.col("spelling").str.len_chars()) & pl.col("longer").str.contains(
                                  pl.col("spelling"), literal=True)).select("text", "spelling", "agent").unique()
        found = found.join(beaten, on=["text", "spelling", "agent"], how="anti")
        found = found.with_columns(matched_text=pl.struct("text", "spelling").map_elements(
            lambda r: _written_form(r["text"], r["spelling"]), return_dtype=pl.String))
        best = found.sort(pl.col("matched_text").str.len_chars(), descending=True).unique(
            ["text", "agent"], keep="first").select("text", "agent", "matched_text")
        return texts.join(best, on="text")

    # ------------------------------------------------------------------------------------ rules

    def _rule_hits(self, texts: pl.DataFrame, agents: pl.DataFrame, arm_groups: pl.DataFrame,
                   interventions: pl.DataFrame) -> pl.DataFrame:
        candidates = texts.filter(pl.col("text").str.contains_any(RULE_PREFILTER, ascii_case_insensitive=True))
        if candidates.is_empty() or not self.rules.rules:
            return pl.DataFrame()
        masked, flags = self._rule_flags(candidates)
        hits = []
        for flag, rule in zip(flags, self.rules.rules, strict=True):
            hit = masked.filter(pl.col(flag)).drop(flags).with_columns(
                rule_id=pl.lit(rule.id), agent=pl.lit(rule.agent), mechanism_class=pl.lit(rule.mechanism_class),
                target=pl.lit(rule.target), source=pl.lit(f"rule:{rule.id}"), is_named=pl.lit(False),
                matched_text=pl.col("text"),
            )
            hits.append(hit)
        masked = masked.drop(flags)
        found = pl.concat(hits, how="diagonal_relaxed")
        if found.is_empty():
            return found
        found = self._resolve_antigens(found, masked)
        found = self._yield_and_supersede(found, agents)
        # a description belongs to its intervention: one a catalogue agent names, or one named as a trap
        # product ("DC-CIK cells", described as having "NK cell-like cytotoxicity"), is not an NK product
        trapped = texts.filter(pl.col("field").is_in(AGENT_FIELDS) & pl.col("text").str.contains(self.trap_regex))
        named = pl.concat([agents.select("nct_id", "intervention_idx"),
                           trapped.select("nct_id", "intervention_idx")]).unique()
        found = pl.concat([
            found.filter(pl.col("field") != "description"),
            found.filter(pl.col("field") == "description").join(named, on=["nct_id", "intervention_idx"], how="anti"),
        ])
        found = self._arm_fallback(found, agents, arm_groups, interventions)
        # an antigen-less CAR-NK mention adds nothing to a trial whose CAR-NK product states its antigen
        specific = found.filter((pl.col("mechanism_class") == "car_nk") & (pl.col("target") != "unspecified")).select(
            "nct_id").unique()
        vague = (pl.col("mechanism_class") == "car_nk") & (pl.col("target") == "unspecified")
        return pl.concat([found.filter(~vague), found.filter(vague).join(specific, on="nct_id", how="anti")])

    def _rule_flags(self, candidates: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
        """The candidates with their masked text, antigens and one flag per rule (whether it fires on the row).

        The regexes run once per distinct (field, text): drug names, other names and descriptions repeat
        across trials, so most rows share their text with another.
        """
        flags = [f"_rule_{n}" for n in range(len(self.rules.rules))]
        distinct = candidates.select("field", "text").unique().with_columns(masked=self._masked(pl.col("text")))
        fires = []
        for flag, rule in zip(flags, self.rules.rules, strict=True):
            include = pl.col("masked").str.contains(polars_regex(rule.include))
            if rule.exclude:
                include = include & ~pl.col("masked").str.contains(polars_regex(rule.exclude))
            fires.append((pl.col("field").is_in(rule.fields) & include).alias(flag))
        distinct = distinct.with_columns(self._antigens(pl.col("masked")).alias("antigens"), *fires)
        return candidates.join(distinct, on=["field", "text"], how="left", maintain_order="left"), flags

    def _antigens(self, text: pl.Expr) -> pl.Expr:
        codes = [pl.when(text.str.contains(polars_regex(a.patterns))).then(pl.lit(a.code))
                 for a in self.rules.antigens]
        if not codes:
            return pl.lit([], pl.List(pl.String))
        return pl.concat_list(codes).list.drop_nulls()

    def _resolve_antigens(self, found: pl.DataFrame, masked: pl.DataFrame) -> pl.DataFrame:
        """target = "antigen": the hit text's antigens, else the intervention's other texts, else unspecified."""
        by_intervention = (
            masked.filter(pl.col("intervention_idx").is_not_null() & (pl.col("antigens").list.len() > 0))
            .sort("field_rank").group_by("nct_id", "intervention_idx").agg(pl.col("antigens").first()
                                                                           .alias("fallback_antigens"))
        )
        found = found.join(by_intervention, on=["nct_id", "intervention_idx"], how="left")
        antigen = pl.when(pl.col("antigens").list.len() > 0).then(pl.col("antigens")).when(
            pl.col("fallback_antigens").list.len() > 0).then(pl.col("fallback_antigens")).otherwise(
            pl.lit(["unspecified"]))
        resolved = found.with_columns(
            target=pl.when(pl.col("target") == "antigen").then(antigen).otherwise(pl.concat_list(pl.col("target")))
        ).explode("target")
        return resolved.with_columns(
            agent=pl.when(pl.col("mechanism_class") == "car_nk").then(
                pl.col("agent") + pl.lit(", ") + pl.col("target")).otherwise(pl.col("agent"))
        ).drop("antigens", "fallback_antigens")

    def _yield_and_supersede(self, found: pl.DataFrame, agents: pl.DataFrame) -> pl.DataFrame:
        unit = ["nct_id", "intervention_idx", "arm_group_idx"]
        agent_classes = agents.join(self.agent_rows, on="agent").select(
            "nct_id", "intervention_idx", pl.col("mechanism_class").alias("agent_class")).unique()
        keep = []
        for rule in self.rules.rules:
            mine = found.filter(pl.col("rule_id") == rule.id)
            if rule.yield_to_classes:
                explained = agent_classes.filter(pl.col("agent_class").is_in(rule.yield_to_classes)).select(
                    "nct_id", "intervention_idx").unique()
                on_intervention = mine.filter(pl.col("intervention_idx").is_not_null()).join(
                    explained, on=["nct_id", "intervention_idx"], how="anti")
                mine = pl.concat([on_intervention, mine.filter(pl.col("intervention_idx").is_null())])
            keep.append(mine)
        found = pl.concat(keep, how="diagonal_relaxed")
        superseded = []
        for rule in self.rules.rules:
            if rule.supersedes:
                winners = found.filter(pl.col("rule_id") == rule.id).select(unit).unique()
                superseded.append(winners.join(pl.DataFrame({"rule_id": list(rule.supersedes)}), how="cross"))
        if superseded:
            losers = pl.concat(superseded).unique()
            found = found.join(losers, on=[*unit, "rule_id"], how="anti", nulls_equal=True)
        return found

    def _arm_fallback(self, found: pl.DataFrame, agents: pl.DataFrame, arm_groups: pl.DataFrame,
                      interventions: pl.DataFrame) -> pl.DataFrame:
        """Arm-text hits count only where the interventions said nothing of that class."""
        on_interventions = found.filter(pl.col("intervention_idx").is_not_null())
        on_arms = found.filter(pl.col("arm_group_idx").is_not_null())
        on_trial = found.filter(pl.col("field").is_in(TRIAL_FIELDS))  # the trial-level fallback judges these
        if on_arms.is_empty():
            return pl.concat([on_interventions, on_trial], how="diagonal_relaxed")
        classes_from_interventions = pl.concat([
            on_interventions.select("nct_id", "mechanism_class"),
            agents.join(self.agent_rows, on="agent").select("nct_id", "mechanism_class"),
        ]).unique()
        on_arms = on_arms.join(classes_from_interventions, on=["nct_id", "mechanism_class"], how="anti")
        named = agents.select("nct_id", "intervention_idx").unique()
        arms_with_unnamed = arm_links(arm_groups, interventions).join(
            named, on=["nct_id", "intervention_idx"], how="anti").select("nct_id", "arm_group_idx").unique()
        on_arms = on_arms.join(arms_with_unnamed, on=["nct_id", "arm_group_idx"], how="semi")
        return pl.concat([on_interventions, on_arms, on_trial], how="diagonal_relaxed")

    # ------------------------------------------------------------------------------------ rows

    def _rows(self, hits: pl.DataFrame) -> pl.DataFrame:
        """Expand catalogue hits into their agents' mechanism rows; rule hits carry theirs."""
        catalogue_hits = hits.filter(pl.col("source") == "catalogue").drop(
            "mechanism_class", "target", strict=False).join(self.agent_rows, on="agent")
        rule_hits = hits.filter(pl.col("source") != "catalogue").with_columns(agent_row=pl.lit(0, pl.Int32))
        rows = pl.concat([catalogue_hits, rule_hits], how="diagonal_relaxed")
        return rows.join(self.mechanism_order, on=["mechanism_class", "target"], how="left")

    def _partner_gate(self, rows: pl.DataFrame) -> pl.DataFrame:
        partner_classes = {c for gate in self.rules.partner_gates for c in gate.classes}
        tracked_trials = rows.filter(pl.col("role") == "tracked").select("nct_id").unique()
        partner = rows.filter(pl.col("mechanism_class").is_in(partner_classes)).join(
            tracked_trials, on="nct_id", how="semi")
        return pl.concat([rows.filter(~pl.col("mechanism_class").is_in(partner_classes)), partner])

    def _trial_agents(self, rows: pl.DataFrame) -> pl.DataFrame:
        """One row per trial × agent: its primary mechanism row and its best evidence."""
        best = rows.sort(["nct_id", "agent", "agent_row", "field_rank", "intervention_idx", "arm_group_idx"],
                         nulls_last=True).unique(["nct_id", "agent"], keep="first", maintain_order=True)
        frame = best.select(
            "nct_id", "agent", "mechanism_class", "target", "role", "is_named", "source", "matched_text",
            pl.col("field").alias("matched_field"), pl.col("text").alias("field_text"), "intervention_idx",
            "arm_group_idx",
        )
        return frame.cast(AGENT_COLUMNS).sort("nct_id", "agent")  # type: ignore[arg-type]

    def _mechanisms(self, rows: pl.DataFrame) -> pl.DataFrame:
        grouped = rows.group_by("nct_id", "mechanism_class", "target").agg(
            pl.col("role").first(), pl.col("priority").first(), pl.col("target_order").first(),
            pl.col("agent").unique().sort().alias("agents"),
        )
        primary = (
            grouped.filter(pl.col("role") == "tracked").sort("priority", "target_order")
            .unique("nct_id", keep="first").select("nct_id", "mechanism_class", "target")
            .with_columns(is_primary=pl.lit(True))
        )
        ranked = grouped.join(primary, on=["nct_id", "mechanism_class", "target"], how="left").with_columns(
            pl.col("is_primary").fill_null(False))
        return ranked.select(list(MECHANISM_COLUMNS)).cast(MECHANISM_COLUMNS).sort(  # type: ignore[arg-type]
            "nct_id", "priority", "target_order")


_regex_cache: dict[str, re.Pattern[str]] = {}


def _written_form(text: str, spelling: str) -> str:
    """The alias as the text writes it ('MK 3475' for |mk||3475|)."""
    pattern = _regex_cache.get(spelling)
    if pattern is None:
        pattern = _regex_cache[spelling] = spelling_regex(spelling)
    match = pattern.search(text)
    return match.group(0) if match else normalize_str(text)
