"""Load and check indications.toml: how CT.gov conditions map to indication codes (semantics: its header)."""

from __future__ import annotations

import re
from pathlib import Path

from tracker.catalogue.model import IndicationDef, IndicationMap, Vocabulary
from tracker.catalogue.paths import INDICATIONS_FILE
from tracker.catalogue.reader import Field, Kind, Source, Table, read_all, single, top, type_name
from tracker.catalogue.vocabulary import load_vocabulary

INDICATION = Kind("indication", (
    Field("code"), Field("area"), Field("mesh", "strings"), Field("mesh_ids", "raw"),
    Field("ancestor", "strings", required=False), Field("text", "regexes"),
    Field("exclude", "regexes", required=False), Field("weak_text", "regexes", required=False),
    Field("yield_to", "strings", required=False),
    Field("ancestor_yield_to", "strings", required=False), Field("note", required=False),
), key="code", unique_as="indication", named="indication")
FALLBACK = Kind("fallback", (Field("code"), Field("note", required=False)))

_MESH_ID = re.compile(r"^D\d{6,9}$")


def load_indications(path: Path | str | None = None, vocabulary: Vocabulary | None = None) -> IndicationMap:
    """Load and check indications.toml (the bundled one by default) against the vocabulary."""
    vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
    source = Source(Path(path) if path is not None else INDICATIONS_FILE, "indication map")
    root = top(source, (INDICATION.header, FALLBACK.header), "indication map")
    codes = {c.code: c.area for c in vocabulary.indications}
    names = set(codes) | {a.code for a in vocabulary.indication_areas}
    definitions = tuple(_definition(table, codes, names) for table in read_all(source, root, INDICATION))
    fallback = single(source, root, FALLBACK)
    if fallback["code"] not in codes:
        fallback.fail("code", f"{fallback['code']!r} is not an indication code of the vocabulary")
    return IndicationMap(definitions, fallback["code"], source.path)


def _definition(table: Table, codes: dict[str, str], names: set[str]) -> IndicationDef:
    """One [[indication]], its code and area as the vocabulary has them; `names`: codes and areas."""
    code, area = table["code"], table["area"]
    if code not in codes:
        table.fail("code", f"{code!r} is not an indication code of the vocabulary")
    if area != codes[code]:
        table.fail("area", f"{code!r} belongs to area {codes[code]!r} in the vocabulary, not {area!r}")
    if not (table["mesh"] or table["ancestor"] or table["text"]):
        table.fail("text", "an indication needs at least one mesh, ancestor or text entry")
    for field in ("yield_to", "ancestor_yield_to"):
        for name in table[field]:
            if name not in names:
                table.fail(field, f"{name!r} is neither an indication code nor an area", needle=name)
            if name == code:
                table.fail(field, "an indication cannot yield to itself", needle=name)
    return IndicationDef(**{**table.values, "mesh_ids": _mesh_ids(table, len(table["mesh"]))})


def _mesh_ids(table: Table, count: int) -> tuple[str, ...]:
    """MeSH descriptor IDs, one per mesh term ("" for an unknown one)."""
    value = table["mesh_ids"]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        table.fail("mesh_ids", f"expected a list of strings, got {type_name(value)}")
    if len(value) != count:
        table.fail("mesh_ids", f"has {len(value)} entries but mesh has {count}; use \"\" for an unknown ID")
    for mesh_id in value:
        if mesh_id and not _MESH_ID.match(mesh_id):
            table.fail("mesh_ids", f"{mesh_id!r} is not a MeSH descriptor ID like D002289", needle=mesh_id)
    return tuple(value)
