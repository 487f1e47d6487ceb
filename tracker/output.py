"""Query results as CSV and JSON text, for `tracker sql` and `tracker curate`.

The values arrive already rendered by DuckDB (db.Rendered), so every type DuckDB has prints: as text
for CSV (lists, structs and maps as JSON text), as JSON literals for JSON.
"""

from __future__ import annotations

import csv
import io
import json
import re

from tracker.db import Rendered

# DuckDB's to_json writes NaN and ±Infinity bare, which JSON does not allow; strings are matched first so
# that the words inside them stay as they are
_BARE_NUMBER_WORDS = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN')


def to_csv(result: Rendered) -> str:
    """A header and one line per row; NULL is an empty field."""
    if not result.columns:
        return ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows(["" if value is None else value for value in row] for row in result.rows)
    return out.getvalue()


def to_json(result: Rendered) -> str:
    """A JSON array with one object per row; values must be JSON literals (db.run_rendered with render="json")."""
    keys = [json.dumps(name, ensure_ascii=False) for name in unique_names(result.columns)]
    objects = ["{" + ", ".join(f"{key}: {_literal(value)}" for key, value in zip(keys, row, strict=True)) + "}"
               for row in result.rows]
    return "[\n" + ",\n".join(objects) + "\n]" if objects else "[]"


def unique_names(columns: list[str]) -> list[str]:
    """Column names made unique (`a`, `a_1`, …): a JSON object cannot hold two values under one key."""
    seen: set[str] = set()
    names = []
    for name in columns:
        unique, n = name, 0
        while unique in seen:
            n += 1
            unique = f"{name}_{n}"
        seen.add(unique)
        names.append(unique)
    return names


def _literal(value: str | None) -> str:
    if value is None:
        return "null"
    if "NaN" in value or "Infinity" in value:
        return _BARE_NUMBER_WORDS.sub(lambda m: m.group(0) if m.group(0).startswith('"') else f'"{m.group(0)}"',
                                      value)
    return value
