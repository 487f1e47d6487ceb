"""The [[support]] step of rules.toml: IL-2 given as support to a cell product gives no row (pure polars)."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from tracker.catalogue import Support
from tracker.textmatch import polars_regex
from tracker.trial_texts import arm_links

AGENT_FIELDS = ("name", "other_name")
ARM_SUBJECT_TYPES = ("EXPERIMENTAL", "ACTIVE_COMPARATOR")
# (interventions, arm groups, texts) of the trials classified
Inputs = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]


def apply_supports(hits: pl.DataFrame, supports: Iterable[Support], agent_rows: pl.DataFrame,
                   inputs: Inputs) -> pl.DataFrame:
    for support in supports:
        hits = _apply_support(hits, support, agent_rows, inputs)
    return hits


def _apply_support(hits: pl.DataFrame, support: Support, agent_rows: pl.DataFrame, inputs: Inputs) -> pl.DataFrame:
    interventions, arm_groups, texts = inputs
    subject = hits.filter(pl.col("agent").is_in(support.agents) & pl.col("source").eq("catalogue"))
    if subject.is_empty():
        return hits
    rows = hits.join(agent_rows.select("agent", pl.col("mechanism_class").alias("agent_class")),
                     on="agent", how="left").with_columns(
        row_class=pl.coalesce("agent_class", "mechanism_class"))
    cell_units = rows.filter(pl.col("row_class").is_in(support.when_classes)).select(
        "nct_id", "intervention_idx").unique()
    t_cell = texts.filter(pl.col("field").is_in(AGENT_FIELDS) & pl.col("text").str.contains(
        polars_regex(support.when_patterns))).select("nct_id", "intervention_idx").unique()
    applies = pl.concat([cell_units.select("nct_id"), t_cell.select("nct_id")]).unique()
    in_scope = subject.join(applies, on="nct_id", how="semi")
    if in_scope.is_empty():
        return hits
    # (a) IL-2 named inside the cell product's own intervention is manufacturing, not a study drug
    manufacturing = in_scope.join(cell_units, on=["nct_id", "intervention_idx"], how="semi")
    # (b) a subject arm: experimental/active arm listing the IL-2 intervention and no cell product
    links = arm_links(arm_groups, interventions)
    cells = pl.concat([cell_units, t_cell]).unique().drop_nulls()
    arms_with_cells = links.join(cells, on=["nct_id", "intervention_idx"], how="semi").select(
        "nct_id", "arm_group_idx").unique()
    support_arm = arm_groups.filter(
        (pl.col("label").fill_null("") + pl.lit(": ") + pl.col("description").fill_null("")).str.contains(
            polars_regex(support.support_patterns))).select("nct_id", "arm_group_idx")
    subject_arms = (
        links.join(arm_groups.filter(pl.col("arm_group_type").is_in(ARM_SUBJECT_TYPES)).select(
            "nct_id", "arm_group_idx"), on=["nct_id", "arm_group_idx"], how="semi")
        .join(arms_with_cells, on=["nct_id", "arm_group_idx"], how="anti")
        .join(support_arm, on=["nct_id", "arm_group_idx"], how="anti")
        .select("nct_id", "intervention_idx").unique()
    )
    kept = in_scope.join(manufacturing.select("nct_id", "intervention_idx"), on=["nct_id", "intervention_idx"],
                         how="anti").join(subject_arms, on=["nct_id", "intervention_idx"], how="semi")
    # the agent stays when any of its matches is a study drug in its own right
    dropped = in_scope.select("nct_id", "agent").unique().join(kept.select("nct_id", "agent").unique(),
                                                               on=["nct_id", "agent"], how="anti")
    return hits.join(dropped, on=["nct_id", "agent"], how="anti")
