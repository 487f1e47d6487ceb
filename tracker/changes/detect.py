"""SQL for change detection, generated from the field declarations of fields.toml (pure: text in, text out).

Every pair of consecutive versions to compare is a row of the temp table `change_pairs` (nct_id,
version_before, version_after, posted_date, source). Each declared field becomes one SELECT over the
pairs joined with the two snapshots; together they fill the temp table `detected`, one row per change,
with the columns below. Text is compared as core.plain_text, so a version backfilled from CT.gov's
history (HTML) and the same version from the API (Markdown) compare equal.
"""

from __future__ import annotations

from tracker.changes.rules import Field

SNAPSHOTS = "versions.trial_snapshots"
COLUMNS = ("nct_id", "version_before", "version_after", "posted_date", "source", "field", "old_value",
           "new_value", "old_type", "new_type", "shift_days", "pct_change")
_PAIR = "pairs.nct_id, pairs.version_before, pairs.version_after, pairs.posted_date, pairs.source"


def detected_sql(fields: tuple[Field, ...], *, before_table: str = SNAPSHOTS, after_table: str = SNAPSHOTS,
                 labels_only: bool = False) -> str:
    """`create temp table detected` from change_pairs, over every field (only label fields when the
    before side is an old labelling of the same version, i.e. a catalogue change)."""
    parts = [_field_sql(f, f"{before_table} as before on before.version_id = pairs.version_before\n"
                           f"join {after_table} as after on after.version_id = pairs.version_after")
             for f in fields if not labels_only or f.labels]
    return "create or replace temp table detected as\n" + "\nunion all\n".join(parts)


def _from(joined: str) -> str:
    return f"from change_pairs as pairs\njoin {joined}"


def _row(code: str, old: str, new: str, *, old_type: str = "null", new_type: str = "null",
         shift: str = "null", pct: str = "null") -> str:
    return (f"select {_PAIR}, '{code}' as field, ({old})::varchar as old_value, ({new})::varchar as new_value, "
            f"({old_type})::varchar as old_type, ({new_type})::varchar as new_type, "
            f"({shift})::integer as shift_days, ({pct})::double as pct_change")


def _field_sql(field: Field, joined: str) -> str:
    build = {"value": _value, "date": _date, "count": _count, "flag": _flag, "list": _list,
             "reworded": _reworded, "landscape": _landscape}[field.kind]
    return f"({build(field, joined)})"


def _plain(expression: str) -> str:
    return f"core.plain_text(({expression})::varchar)"


def _value(field: Field, joined: str) -> str:
    old, new = _plain(field.value("before")), _plain(field.value("after"))
    return f"{_row(field.code, old, new)}\n{_from(joined)}\nwhere {old} is distinct from {new}"


def _date(field: Field, joined: str) -> str:
    old, new = field.value("before"), field.value("after")
    old_type, new_type = f"before.{field.type}", f"after.{field.type}"
    row = _row(field.code, _plain(f"before.{field.raw}"), _plain(f"after.{field.raw}"), old_type=old_type,
               new_type=new_type, shift=f"datediff('day', {old}, {new})")
    return (f"{row}\n{_from(joined)}\n"
            f"where {old} is distinct from {new} or {old_type} is distinct from {new_type}")


def _count(field: Field, joined: str) -> str:
    old, new = field.value("before"), field.value("after")
    types = (f"before.{field.type}", f"after.{field.type}") if field.type else ("null", "null")
    pct = f"case when {old} > 0 then ({new} - {old}) * 100.0 / {old} end"
    row = _row(field.code, old, new, old_type=types[0], new_type=types[1], pct=pct)
    where = f"{old} is distinct from {new}"
    if field.type:
        where += f" or {types[0]} is distinct from {types[1]}"
    return f"{row}\n{_from(joined)}\nwhere {where}"


def _flag(field: Field, joined: str) -> str:
    old, new = field.value("before"), field.value("after")
    code = f"case when {new} then '{field.on}' else '{field.off}' end" if field.on and field.off else \
        f"'{field.code}'"
    row = _row("@", old, new).replace("'@' as field", f"{code} as field")
    return f"{row}\n{_from(joined)}\nwhere coalesce({old}, false) <> coalesce({new}, false)"


def _landscape(field: Field, joined: str) -> str:
    old, new = field.value("before"), field.value("after")

    def mechanism(side: str) -> str:
        labels = f"{side}.primary_mechanism_class || '/' || {side}.primary_target"
        return f"case when {side}.{field.column} then {labels} end"

    code = f"case when {new} then '{field.on}' else '{field.off}' end"
    row = _row("@", mechanism("before"), mechanism("after")).replace("'@' as field", f"{code} as field")
    return f"{row}\n{_from(joined)}\nwhere coalesce({old}, false) <> coalesce({new}, false)"


def _missing(items: str, other: str) -> str:
    """The distinct items of one list whose plain text is not in the other list."""
    return (f"list_filter(list_distinct(coalesce({items}, [])), lambda x: not list_contains("
            f"list_transform(coalesce({other}, []), lambda y: core.plain_text(y)), core.plain_text(x)))")


def _list(field: Field, joined: str) -> str:
    old, new = field.value("before"), field.value("after")
    added = _row(field.added or "", "null", "item")
    removed = _row(field.removed or "", "item", "null")
    base = f"select pairs.*, unnest({{items}}) as item\n{_from(joined)}"
    return (f"{added}\nfrom ({base.format(items=_missing(new, old))}) as pairs\n"
            f"union all\n{removed}\nfrom ({base.format(items=_missing(old, new))}) as pairs")


def _reworded(field: Field, joined: str) -> str:
    """Removed and added items paired in order are rewordings; what is left over was added or removed."""
    old, new = field.value("before"), field.value("after")
    code = (f"case when n <= len(gone) and n <= len(came) then '{field.reworded}' "
            f"when n <= len(came) then '{field.added}' else '{field.removed}' end")
    row = _row("@", "gone[n]", "came[n]").replace("'@' as field", f"{code} as field")
    inner = (f"select pairs.*, {_missing(old, new)} as gone, {_missing(new, old)} as came\n{_from(joined)}")
    numbered = "select *, unnest(generate_series(1, greatest(len(gone), len(came)))) as n from differences"
    return (f"with differences as ({inner})\n{row}\nfrom ({numbered}) as pairs\n"
            f"where len(gone) > 0 or len(came) > 0")
