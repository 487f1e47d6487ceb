"""Fallback evidence where an intervention names no product: its description, its arms, the titles, CT.gov's MeSH.

Semantics (rules.toml header, step 3b). A placeholder intervention is one whose name names no product ("Study
drug", "Allogeneic cell therapy", a bare sponsor code: the [[placeholder]]s) and that no catalogue agent
explained; for it, catalogue agents are read from its own description and from the arms that give it, and,
while it stays unexplained, from the titles. CT.gov's intervention MeSH terms name an agent only when a term
is the agent's canonical name, and count while any product intervention of the trial stays unexplained.
Every fallback hit is dropped where the interventions already gave a row of its class. Pure polars.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import polars as pl

from tracker.catalogue import Placebo, Placeholder, Rule
from tracker.textmatch import polars_regex
from tracker.trial_texts import arm_links

# CT.gov InterventionTypes that never hide a drug: an unexplained procedure, device, test, radiotherapy,
# behavioural programme or supplement leaves no gap for another text to fill
NOT_A_PRODUCT = ("BEHAVIORAL", "DEVICE", "DIAGNOSTIC_TEST", "DIETARY_SUPPLEMENT", "PROCEDURE", "RADIATION")
Matcher = Callable[[pl.DataFrame], pl.DataFrame]
Masker = Callable[[pl.Expr], pl.Expr]


def without_placebos(texts: pl.DataFrame, placebos: Iterable[Placebo]) -> pl.DataFrame:
    """Drop every text of an intervention whose name says it is a placebo ([[placebo]] in rules.toml)."""
    placebos_found = texts.filter((pl.col("field") == "name") & placeholder_expr(placebos)).select(
        "nct_id", "intervention_idx")
    # arm texts (intervention_idx null) never join, so they stay
    return texts.join(placebos_found.unique(), on=["nct_id", "intervention_idx"], how="anti")


def platforms_yield(named: pl.DataFrame, rule_hits: pl.DataFrame, agent_rows: pl.DataFrame,
                    yields: pl.DataFrame) -> pl.DataFrame:
    """Drop an agent's match where another agent or a rule hit of a class it yields to explains the intervention."""
    if yields.is_empty() or named.is_empty():
        return named
    units = ["nct_id", "intervention_idx"]
    others = [named.join(agent_rows.filter(pl.col("agent_row") == 0), on="agent").select(
        *units, pl.col("agent").alias("by"), pl.col("mechanism_class").alias("other_class"))]
    if not rule_hits.is_empty():
        others.append(rule_hits.filter(pl.col("intervention_idx").is_not_null()).select(
            *units, pl.col("agent").alias("by"), pl.col("mechanism_class").alias("other_class")))
    beaten = named.select(*units, "agent").join(yields, on="agent").join(
        pl.concat(others), on=[*units, "other_class"]).filter(pl.col("by") != pl.col("agent"))
    return named.join(beaten.select(*units, "agent").unique(), on=[*units, "agent"], how="anti")


def placeholder_expr(placeholders: Iterable[Placeholder | Placebo]) -> pl.Expr:
    """True for a name text that one [[placeholder]] (or [[placebo]]: the same include/exclude shape) matches."""
    says = pl.lit(False)
    for placeholder in placeholders:
        one = pl.col("text").str.contains(polars_regex(placeholder.include))
        if placeholder.exclude:
            one = one & ~pl.col("text").str.contains(polars_regex(placeholder.exclude))
        says = says | one
    return says


def unexplained(texts: pl.DataFrame, interventions: pl.DataFrame, *explained: pl.DataFrame) -> pl.DataFrame:
    """(nct_id, intervention_idx) of product interventions (no placebo, no procedure) nothing explained."""
    products = interventions.filter(~pl.col("intervention_type").is_in(NOT_A_PRODUCT).fill_null(True)).select(
        "nct_id", pl.col("intervention_idx").cast(pl.Int32))
    present = texts.filter(pl.col("intervention_idx").is_not_null()).select("nct_id", "intervention_idx").unique()
    present = present.join(products, on=["nct_id", "intervention_idx"], how="semi")
    done = [e.filter(pl.col("intervention_idx").is_not_null()).select("nct_id", "intervention_idx")
            for e in explained if not e.is_empty()]
    if not done:
        return present
    return present.join(pl.concat(done).unique(), on=["nct_id", "intervention_idx"], how="anti")


def placeholders_of(texts: pl.DataFrame, unexplained_units: pl.DataFrame, is_placeholder: pl.Expr) -> pl.DataFrame:
    """The unexplained interventions whose name is a placeholder."""
    names = texts.filter((pl.col("field") == "name") & is_placeholder).select("nct_id", "intervention_idx")
    return unexplained_units.join(names.unique(), on=["nct_id", "intervention_idx"], how="semi")


def gap_agents(texts: pl.DataFrame, gaps: pl.DataFrame, named: pl.DataFrame, arm_groups: pl.DataFrame,
               interventions: pl.DataFrame, matchers: tuple[Matcher, Matcher], mask: Masker,
               agent_rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Catalogue agents in the (trap-masked) description of a placeholder intervention and in its arms' texts.

    matchers: every alias, and the specific ones (no alias that spells a target code). A description agent
    explains its own intervention ('IL-2' there names the molecule: an unnamed product of the agent's row); an arm
    agent, specific aliases only, counts where the interventions gave no row of its class (as rule hits on arms).
    Returns the agents, and the unnamed products (which carry their own row, as rule hits do).
    """
    if gaps.is_empty():
        return named.head(0), pl.DataFrame()
    own = texts.filter(pl.col("field") == "description").join(gaps, on=["nct_id", "intervention_idx"], how="semi")
    arms = arm_links(arm_groups, interventions).join(gaps, on=["nct_id", "intervention_idx"], how="semi").select(
        "nct_id", "arm_group_idx").unique()
    arm_texts = texts.filter(pl.col("field") == "arm_group").join(arms, on=["nct_id", "arm_group_idx"], how="semi")
    every, specific = matchers
    in_own = _masked_match(own, every, mask)
    named_there = _masked_match(own, specific, mask).select("nct_id", "intervention_idx", "agent", "matched_text")
    by_target = in_own.join(named_there, on=["nct_id", "intervention_idx", "agent", "matched_text"], how="anti")
    primary = agent_rows.filter(pl.col("agent_row") == 0).drop("agent_row")
    by_target = by_target.drop("mechanism_class", "target", strict=False).join(primary, on="agent").with_columns(
        agent=pl.col("target") + pl.lit(" (unnamed product)"), source=pl.lit("fallback:target"),
        is_named=pl.lit(False))
    found = pl.concat([in_own.join(by_target.select("nct_id", "intervention_idx", "matched_text"),
                                   on=["nct_id", "intervention_idx", "matched_text"], how="anti"),
                       _masked_match(arm_texts, specific, mask)], how="diagonal_relaxed")
    found = found.join(named.select("nct_id", "agent").unique(), on=["nct_id", "agent"], how="anti")
    covered = _classes(named, agent_rows)
    on_arms = found.filter(pl.col("arm_group_idx").is_not_null()).join(
        agent_rows.filter(pl.col("agent_row") == 0).select("agent", pl.col("mechanism_class").alias("row_class")),
        on="agent").join(covered, on=["nct_id", "row_class"], how="anti").drop("row_class")
    return pl.concat([found.filter(pl.col("intervention_idx").is_not_null()), on_arms], how="diagonal_relaxed"), \
        by_target


def trial_agents_named(texts: pl.DataFrame, match: Matcher, mask: Masker, canonical: pl.DataFrame) -> pl.DataFrame:
    """Catalogue agents in the (trap-masked) titles, and intervention MeSH terms equal to an agent's canonical name."""
    in_titles = _masked_match(texts.filter(pl.col("field") == "title"), match, mask)
    mesh = texts.filter(pl.col("field") == "intervention_mesh").with_columns(key=pl.col("text").str.to_lowercase())
    in_mesh = mesh.join(canonical, on="key").with_columns(
        matched_text=pl.col("text"), source=pl.lit("catalogue"), is_named=pl.lit(True)).drop("key")
    return pl.concat([in_titles, in_mesh], how="diagonal_relaxed")


def _masked_match(texts: pl.DataFrame, match: Matcher, mask: Masker) -> pl.DataFrame:
    """Agents found in the masked texts, with the unmasked text kept as evidence."""
    masked = texts.with_columns(original=pl.col("text")).with_columns(text=mask(pl.col("text")))
    return match(masked).with_columns(text=pl.col("original")).drop("original").with_columns(
        source=pl.lit("catalogue"), is_named=pl.lit(True))


def _classes(named: pl.DataFrame, agent_rows: pl.DataFrame, unit_hits: pl.DataFrame | None = None) -> pl.DataFrame:
    """(nct_id, row_class): the mechanism classes the interventions already gave."""
    classes = [named.join(agent_rows, on="agent").select("nct_id", "mechanism_class")]
    if unit_hits is not None and not unit_hits.is_empty():
        classes.append(unit_hits.select("nct_id", "mechanism_class"))
    return pl.concat(classes).unique().rename({"mechanism_class": "row_class"})


def rule_yields(rules: Iterable[Rule]) -> pl.DataFrame:
    """(rule_id, agent_class): a title hit of the rule yields to a title/MeSH agent of that class."""
    rows = [(rule.id, klass) for rule in rules for klass in rule.yield_to_classes]
    return pl.DataFrame(rows, schema={"rule_id": pl.String, "agent_class": pl.String}, orient="row")


def trial_level_hits(title_rule_hits: pl.DataFrame, trial_agents: pl.DataFrame, named: pl.DataFrame,
                     unit_hits: pl.DataFrame, gates: tuple[pl.DataFrame, pl.DataFrame], agent_rows: pl.DataFrame,
                     yields: pl.DataFrame) -> pl.DataFrame:
    """The title and MeSH hits that fill a gap the interventions and arms left.

    gates: the trials with an unexplained placeholder (for titles) and with any unexplained product (for MeSH).
    """
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
    titles, mesh = gates
    kept = candidates.join(_classes(named, agent_rows, unit_hits), on=["nct_id", "row_class"], how="anti")
    kept = pl.concat([
        kept.filter(pl.col("field") == "title").join(titles.select("nct_id").unique(), on="nct_id", how="semi"),
        kept.filter(pl.col("field") != "title").join(mesh.select("nct_id").unique(), on="nct_id", how="semi"),
    ])
    return kept.drop("row_class")
