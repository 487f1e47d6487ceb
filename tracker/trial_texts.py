"""What the classifier reads of a trial: its texts by field, and which interventions each arm gives (pure polars)."""

from __future__ import annotations

import polars as pl

from tracker.textmatch import normalized

FIELD_RANK = {"name": 0, "other_name": 1, "description": 2, "arm_group": 3, "title": 4, "intervention_mesh": 5}
# the trial-level fields: evidence read only where the interventions leave a gap (rules.toml header, step 3b)
TRIAL_FIELDS = ("title", "intervention_mesh")
TITLE_COLUMNS = ("brief_title", "official_title")


def texts_frame(interventions: pl.DataFrame, arm_groups: pl.DataFrame, trials: pl.DataFrame | None = None,
                intervention_mesh: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every text the classifier reads: one row per trial × field × text, normalized.

    Titles (title_idx 1 = brief, 2 = official) and intervention MeSH terms belong to no intervention or arm.
    """
    base = interventions.select("nct_id", pl.col("intervention_idx").cast(pl.Int32), "name", "description",
                                "other_names")
    parts = [
        base.select("nct_id", "intervention_idx", pl.lit("name").alias("field"), pl.col("name").alias("text")),
        base.select("nct_id", "intervention_idx", pl.lit("other_name").alias("field"),
                    pl.col("other_names").alias("text")).explode("text"),
        base.select("nct_id", "intervention_idx", pl.lit("description").alias("field"),
                    pl.col("description").alias("text")),
        arm_groups.select("nct_id", pl.col("arm_group_idx").cast(pl.Int32), pl.lit("arm_group").alias("field"),
                          (pl.col("label").fill_null("") + pl.lit(": ") + pl.col("description").fill_null(""))
                          .alias("text")),
    ]
    if trials is not None:
        parts += [trials.select("nct_id", pl.lit(index, pl.Int32).alias("title_idx"), pl.lit("title").alias("field"),
                                pl.col(column).alias("text")) for index, column in enumerate(TITLE_COLUMNS, start=1)]
    if intervention_mesh is not None:
        # mapped terms only: an ancestor is a broader heading, not the drug given
        parts.append(intervention_mesh.filter(pl.col("kind") == "mesh").select(
            "nct_id", pl.lit("intervention_mesh").alias("field"), pl.col("term").alias("text")).unique())
    texts = pl.concat(parts, how="diagonal_relaxed").drop_nulls("text")
    if "title_idx" not in texts.columns:
        texts = texts.with_columns(title_idx=pl.lit(None, pl.Int32))
    # normalized once per distinct text: drug names and descriptions repeat across trials
    distinct = texts.select(raw=pl.col("text")).unique().with_columns(text=normalized(pl.col("raw")))
    texts = texts.rename({"text": "raw"}).join(distinct, on="raw", how="left", maintain_order="left").drop("raw")
    return texts.with_columns(
        field_rank=pl.col("field").replace_strict(FIELD_RANK, return_dtype=pl.Int8),
        intervention_idx=pl.col("intervention_idx").cast(pl.Int32),
        arm_group_idx=pl.col("arm_group_idx").cast(pl.Int32),
        title_idx=pl.col("title_idx").cast(pl.Int32),
    ).filter(pl.col("text").str.len_chars() > 0)


def arm_links(arm_groups: pl.DataFrame, interventions: pl.DataFrame) -> pl.DataFrame:
    """(nct_id, arm_group_idx, intervention_idx) for every intervention an arm lists."""
    by_label = interventions.select("nct_id", pl.col("intervention_idx").cast(pl.Int32),
                                    pl.col("arm_group_labels").alias("label")).explode("label")
    linked_by_label = arm_groups.select("nct_id", pl.col("arm_group_idx").cast(pl.Int32), "label").join(
        by_label, on=["nct_id", "label"])
    named = interventions.select("nct_id", pl.col("intervention_idx").cast(pl.Int32),
                                 key=pl.col("name").str.to_lowercase().str.strip_chars())
    by_name = arm_groups.select("nct_id", pl.col("arm_group_idx").cast(pl.Int32),
                                pl.col("intervention_names").alias("key")).explode("key").with_columns(
        key=pl.col("key").str.replace(r"^[A-Za-z ]+:\s*", "").str.to_lowercase().str.strip_chars()).join(
        named, on=["nct_id", "key"])
    return pl.concat([linked_by_label.select("nct_id", "arm_group_idx", "intervention_idx"),
                      by_name.select("nct_id", "arm_group_idx", "intervention_idx")]).unique()
