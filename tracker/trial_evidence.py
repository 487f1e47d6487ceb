"""Trial-level evidence: titles and CT.gov's intervention MeSH terms, read only where the interventions leave a gap.

Semantics (rules.toml header, step 3b): a title or MeSH hit is kept only when no intervention or arm of the
trial produced a row of its mechanism class AND at least one intervention of the trial matched no catalogue
agent and no rule ("Study drug", an unknown code). Pure polars.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from tracker.catalogue import Rule

# CT.gov InterventionTypes that never hide a drug: an unexplained procedure, device, test, radiotherapy,
# behavioural programme or supplement leaves no gap for a title to fill
NOT_A_PRODUCT = ("BEHAVIORAL", "DEVICE", "DIAGNOSTIC_TEST", "DIETARY_SUPPLEMENT", "PROCEDURE", "RADIATION")


def unexplained_trials(texts: pl.DataFrame, interventions: pl.DataFrame, named: pl.DataFrame,
                       unit_hits: pl.DataFrame) -> pl.DataFrame:
    """Trials with at least one intervention (no placebo, no procedure) that no agent and no rule explained."""
    products = interventions.filter(~pl.col("intervention_type").is_in(NOT_A_PRODUCT).fill_null(True)).select(
        "nct_id", pl.col("intervention_idx").cast(pl.Int32))
    present = texts.filter(pl.col("intervention_idx").is_not_null()).select("nct_id", "intervention_idx").unique()
    present = present.join(products, on=["nct_id", "intervention_idx"], how="semi")
    explained = [named.select("nct_id", "intervention_idx")]
    if not unit_hits.is_empty():
        explained.append(unit_hits.filter(pl.col("intervention_idx").is_not_null()).select(
            "nct_id", "intervention_idx"))
    return present.join(pl.concat(explained).unique(), on=["nct_id", "intervention_idx"], how="anti").select(
        "nct_id").unique()


def rule_yields(rules: Iterable[Rule]) -> pl.DataFrame:
    """(rule_id, agent_class): a title hit of the rule yields to a title/MeSH agent of that class."""
    rows = [(rule.id, klass) for rule in rules for klass in rule.yield_to_classes]
    return pl.DataFrame(rows, schema={"rule_id": pl.String, "agent_class": pl.String}, orient="row")


def trial_level_hits(title_rule_hits: pl.DataFrame, trial_agents: pl.DataFrame, named: pl.DataFrame,
                     unit_hits: pl.DataFrame, unexplained: pl.DataFrame, agent_rows: pl.DataFrame,
                     yields: pl.DataFrame) -> pl.DataFrame:
    """The title and MeSH hits that fill a gap the interventions and arms left."""
    primary = agent_rows.filter(pl.col("agent_row") == 0).select("agent", pl.col("mechanism_class").alias("row_class"))
    agents = trial_agents.join(named.select("nct_id", "agent").unique(), on=["nct_id", "agent"], how="anti").join(
        primary, on="agent")
    rules = title_rule_hits
    if not rules.is_empty():
        # the agent a title names explains the title's class wording ("pembrolizumab (anti-PD-1)")
        explained = trial_agents.join(agent_rows, on="agent").select(
            "nct_id", pl.col("mechanism_class").alias("agent_class")).unique().join(yields, on="agent_class")
        rules = rules.join(explained.select("nct_id", "rule_id").unique(), on=["nct_id", "rule_id"], how="anti")
        rules = rules.with_columns(row_class=pl.col("mechanism_class"))
    candidates = pl.concat([agents, rules], how="diagonal_relaxed")
    if candidates.is_empty():
        return candidates
    classes = [named.join(agent_rows, on="agent").select("nct_id", "mechanism_class")]
    if not unit_hits.is_empty():
        classes.append(unit_hits.select("nct_id", "mechanism_class"))
    covered = pl.concat(classes).unique().rename({"mechanism_class": "row_class"})
    kept = candidates.join(covered, on=["nct_id", "row_class"], how="anti").join(unexplained, on="nct_id", how="semi")
    return kept.drop("row_class")
