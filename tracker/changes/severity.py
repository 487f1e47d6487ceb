"""Severity and reason of detected changes, from the rules of severity.toml (pure polars).

Input: one row per change with field, old_value, new_value, shift_days, pct_change and the trial's
context at the new version (phase, phase_rank, is_nk_specific, mechanism). Output: the same rows with
severity, reason and rule_id. The first rule whose conditions all hold decides; [default] otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from tracker.changes.rules import Rule, Rules


def assess(changes: pl.DataFrame, rules: Rules, phase_ranks: Mapping[str, float]) -> pl.DataFrame:
    """Add severity, reason and rule_id to every change."""
    if changes.is_empty():
        return changes.with_columns(severity=pl.lit(None, pl.String), reason=pl.lit(None, pl.String),
                                    rule_id=pl.lit(None, pl.String))
    frame = changes.with_columns(
        _label=pl.col("field").replace_strict(rules.labels(), default=pl.col("field")),
        _old_rank=pl.col("old_value").replace_strict(dict(phase_ranks), default=None, return_dtype=pl.Float64),
        _new_rank=pl.col("new_value").replace_strict(dict(phase_ranks), default=None, return_dtype=pl.Float64),
    )
    severity = pl.lit(rules.default.severity)
    reason = _reason(rules.default.reason)
    rule_id = pl.lit(rules.default.id)
    for rule in reversed(rules.rules):
        when = _condition(rule)
        severity = pl.when(when).then(pl.lit(rule.severity)).otherwise(severity)
        reason = pl.when(when).then(_reason(rule.reason)).otherwise(reason)
        rule_id = pl.when(when).then(pl.lit(rule.id)).otherwise(rule_id)
    return frame.with_columns(severity=severity, reason=reason, rule_id=rule_id).drop(
        "_label", "_old_rank", "_new_rank")


def _condition(rule: Rule) -> pl.Expr:
    checks = [pl.col("field").is_in(list(rule.fields))]
    if rule.new_in:
        checks.append(pl.col("new_value").is_in(list(rule.new_in)))
    if rule.old_in:
        checks.append(pl.col("old_value").is_in(list(rule.old_in)))
    if rule.new_present is not None:
        appeared = pl.col("new_value").is_not_null() & (pl.col("new_value") != "false") & (
            pl.col("old_value").is_null() | (pl.col("old_value") == "false"))
        checks.append(appeared if rule.new_present else ~appeared)
    if rule.min_shift_days is not None:
        checks.append(pl.col("shift_days") >= rule.min_shift_days)
    if rule.max_shift_days is not None:
        checks.append(pl.col("shift_days") <= rule.max_shift_days)
    if rule.min_abs_pct is not None:
        checks.append(pl.col("pct_change").abs() >= rule.min_abs_pct)
    if rule.phase_move == "advance":
        checks.append(pl.col("_new_rank") > pl.col("_old_rank"))
    elif rule.phase_move == "regress":
        checks.append(pl.col("_new_rank") < pl.col("_old_rank"))
    if rule.nk_specific is not None:
        checks.append(pl.col("is_nk_specific") == rule.nk_specific)
    if rule.min_phase_rank is not None:
        checks.append(pl.col("phase_rank") >= rule.min_phase_rank)
    condition = checks[0]
    for check in checks[1:]:
        condition = condition & check.fill_null(False)
    return condition.fill_null(False)


def _reason(template: str) -> pl.Expr:
    """The reason text: the template with each {placeholder} replaced by the change's value."""
    values = {
        "label": pl.col("_label"),
        "old": pl.col("old_value").fill_null("none"),
        "new": pl.col("new_value").fill_null("none"),
        "shift_days": pl.col("shift_days").cast(pl.String).fill_null("?"),
        "pct": pl.col("pct_change").round(0).cast(pl.Int64).cast(pl.String).fill_null("?"),
        "mechanism": pl.col("mechanism").fill_null("no tracked mechanism"),
        "phase": pl.col("phase").fill_null("no phase"),
    }
    pieces: list[pl.Expr] = []
    rest = template
    while "{" in rest:
        head, _, tail = rest.partition("{")
        name, closing, after = tail.partition("}")
        if closing and name in values:
            pieces += [pl.lit(head), values[name]]
        else:
            pieces.append(pl.lit(head + "{" + name + closing))
        rest = after
    pieces.append(pl.lit(rest))
    return pl.concat_str(pieces)
