"""Indication mapping: condition MeSH terms first, free-text conditions second (pure polars).

The algorithm and each field's meaning are written at the top of catalogue/data/indications.toml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import polars as pl

from tracker.catalogue import IndicationMap, Vocabulary
from tracker.textmatch import normalized, polars_regex

INDICATION_COLUMNS = {
    "nct_id": pl.String, "indication": pl.String, "indication_area": pl.String, "source": pl.String,
    "evidence": pl.String,
}


def mesh_number(expr: pl.Expr) -> pl.Expr:
    """D002289 and D000002289 are the same descriptor: compare the number."""
    return expr.str.extract(r"^D0*(\d+)$").cast(pl.Int64, strict=False)


@dataclass
class IndicationMapper:
    indications: IndicationMap
    vocabulary: Vocabulary

    @cached_property
    def areas(self) -> dict[str, str]:
        return {d.code: d.area for d in self.indications.definitions} | {
            i.code: i.area for i in self.vocabulary.indications}

    @cached_property
    def firm_terms(self) -> pl.DataFrame:
        rows = [(term.lower(), d.code) for d in self.indications.definitions for term in d.mesh]
        return pl.DataFrame(rows, schema={"term_key": pl.String, "indication": pl.String}, orient="row").unique()

    @cached_property
    def firm_ids(self) -> pl.DataFrame:
        rows = [(int(m), d.code) for d in self.indications.definitions for mesh_id in d.mesh_ids
                if (m := _digits(mesh_id))]
        return pl.DataFrame(rows, schema={"mesh_number": pl.Int64, "indication": pl.String}, orient="row").unique()

    @cached_property
    def weak_terms(self) -> pl.DataFrame:
        rows = [(term.lower(), d.code) for d in self.indications.definitions for term in d.ancestor]
        return pl.DataFrame(rows, schema={"term_key": pl.String, "indication": pl.String}, orient="row").unique()

    def map(self, conditions: pl.DataFrame, mesh: pl.DataFrame) -> pl.DataFrame:
        """One row per trial × indication from its conditions (nct_id, condition) and MeSH (nct_id, kind, …)."""
        mesh = mesh.with_columns(term_key=pl.col("term").str.to_lowercase(), mesh_number=mesh_number(pl.col("mesh_id")))
        firm_mesh = mesh.filter(pl.col("kind") == "mesh")
        firm = _first_evidence(pl.concat([
            firm_mesh.join(self.firm_terms, on="term_key").select("nct_id", "indication", evidence="term"),
            firm_mesh.join(self.firm_ids, on="mesh_number").select("nct_id", "indication", evidence="term"),
        ])).with_columns(source=pl.lit("mesh"))
        text = self._text(conditions)
        strong = pl.concat([firm, text], how="diagonal_relaxed").with_columns(
            indication_area=pl.col("indication").replace_strict(self.areas, return_dtype=pl.String))
        weak = (
            pl.concat([
                _first_evidence(
                    mesh.join(self.weak_terms, on="term_key").select("nct_id", "indication", evidence="term")
                ).with_columns(source=pl.lit("mesh_ancestor")),
                _first_evidence(self._weak_text(conditions)),
            ])
            .unique(["nct_id", "indication"], keep="first", maintain_order=True)
            .with_columns(indication_area=pl.col("indication").replace_strict(self.areas, return_dtype=pl.String))
            .join(strong.select("nct_id", "indication_area").unique(), on=["nct_id", "indication_area"], how="anti")
        )
        found = pl.concat([strong, weak], how="diagonal_relaxed").unique(["nct_id", "indication"], keep="first",
                                                                         maintain_order=True)
        found = self._yield(found)
        fallback = (
            conditions.select("nct_id").unique().join(found.select("nct_id").unique(), on="nct_id", how="anti")
            .with_columns(indication=pl.lit(self.indications.fallback), source=pl.lit("fallback"),
                          evidence=pl.lit(None, pl.String))
            .with_columns(indication_area=pl.col("indication").replace_strict(self.areas, return_dtype=pl.String))
        )
        result = pl.concat([found, fallback], how="diagonal_relaxed")
        return result.select(list(INDICATION_COLUMNS)).cast(INDICATION_COLUMNS).sort(  # type: ignore[arg-type]
            "nct_id", "indication")

    def _text(self, conditions: pl.DataFrame) -> pl.DataFrame:
        """Each condition string → the first entry in file order whose text matches and exclude does not."""
        unique = conditions.select("condition").unique().drop_nulls().with_columns(
            normal=normalized(pl.col("condition")))
        choices = []
        for d in self.indications.definitions:
            if not d.text:
                continue
            hit = pl.col("normal").str.contains(polars_regex(d.text))
            if d.exclude:
                hit = hit & ~pl.col("normal").str.contains(polars_regex(d.exclude))
            choices.append(pl.when(hit).then(pl.lit(d.code)))
        if not choices or unique.is_empty():
            return pl.DataFrame(schema={"nct_id": pl.String, "indication": pl.String, "evidence": pl.String,
                                        "source": pl.String})
        coded = unique.with_columns(indication=pl.coalesce(choices)).drop_nulls("indication")
        return _first_evidence(
            conditions.join(coded, on="condition").select("nct_id", "indication", evidence="condition")
        ).with_columns(source=pl.lit("text"))

    def _weak_text(self, conditions: pl.DataFrame) -> pl.DataFrame:
        """Every entry whose `weak_text` matches a condition (step c: kept only beside no code of its area)."""
        normal = conditions.drop_nulls("condition").with_columns(normal=normalized(pl.col("condition")))
        parts = [normal.filter(pl.col("normal").str.contains(polars_regex(d.weak_text)))
                 .select("nct_id", indication=pl.lit(d.code), evidence="condition")
                 for d in self.indications.definitions if d.weak_text]
        empty = pl.DataFrame(schema={"nct_id": pl.String, "indication": pl.String, "evidence": pl.String})
        return pl.concat([empty, *parts]).with_columns(source=pl.lit("text"))

    def _yield(self, found: pl.DataFrame) -> pl.DataFrame:
        """Drop each code whose yield_to names another code (or the area of another code) the trial has, and
        each code found only through an ancestor term whose ancestor_yield_to does."""
        rules: list[tuple[str, str, str | None]] = [
            (d.code, target, None) for d in self.indications.definitions for target in d.yield_to]
        rules += [(d.code, target, "mesh_ancestor") for d in self.indications.definitions
                  for target in d.ancestor_yield_to]
        if not rules or found.is_empty():
            return found
        yields = pl.DataFrame(rules, schema={"indication": pl.String, "yield_to": pl.String, "only_source": pl.String},
                              orient="row")
        others = found.select("nct_id", other=pl.col("indication"), other_area=pl.col("indication_area"))
        pairs = found.select("nct_id", "indication", "source").join(yields, on="indication").join(others, on="nct_id")
        dropped = pairs.filter(
            (pl.col("other") != pl.col("indication"))
            & ((pl.col("other") == pl.col("yield_to")) | (pl.col("other_area") == pl.col("yield_to")))
            & (pl.col("only_source").is_null() | (pl.col("source") == pl.col("only_source")))
        ).select("nct_id", "indication").unique()
        return found.join(dropped, on=["nct_id", "indication"], how="anti")


def _first_evidence(found: pl.DataFrame) -> pl.DataFrame:
    """One row per trial × indication: of several terms that name it, the first in alphabetical order.

    Not "the first found": joins do not keep row order, so that evidence changed from one run to the next.
    """
    return found.sort("nct_id", "indication", "evidence", nulls_last=True).unique(
        ["nct_id", "indication"], keep="first", maintain_order=True)


def _digits(mesh_id: str) -> str | None:
    match = re.fullmatch(r"D0*(\d+)", mesh_id.strip())
    return match.group(1) if match else None
