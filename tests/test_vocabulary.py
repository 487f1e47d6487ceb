"""vocabulary.toml is the one copy of the codes: each has a label and a colour, and SQL and the dashboard read it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import combinations
from pathlib import Path

import pytest

from tracker import db, reference
from tracker.catalogue import CTGOV_PHASES, CTGOV_STATUSES, DATA_DIR, Vocabulary, load_vocabulary
from tracker.errors import CatalogueError

ROOT = Path(__file__).resolve().parent.parent
COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
# SQL (in sql/ and in the dashboard's queries) that compares a vocabulary column with a literal
COMPARED = re.compile(r"\b(phase|status_group|mechanism_class)\s*"
                      r"(?:(?:not\s+)?in\s*\(([^)]*)\)|(?:=|<>|!=)\s*('[^']*'))", re.I)
DEFAULTED = re.compile(r"coalesce\([\w.{}]*\b(phase|status_group|mechanism_class),\s*'([^']*)'\)", re.I)


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    return load_vocabulary()


def coded(vocabulary: Vocabulary) -> dict[str, dict[str, tuple[str, str]]]:
    """kind → code → (label, colour), for every coloured kind."""
    return {
        "mechanism_class": {m.code: (m.label, m.colour) for m in vocabulary.mechanisms},
        "phase": {p.code: (p.label, p.colour) for p in (*vocabulary.phases, vocabulary.no_phase)},
        "status_group": {g.code: (g.label, g.colour) for g in vocabulary.status_groups},
        "indication_area": {a.code: (a.label, a.colour) for a in vocabulary.indication_areas},
    }


def test_every_code_has_a_label_and_a_colour(vocabulary: Vocabulary) -> None:
    for kind, codes in coded(vocabulary).items():
        assert codes, kind
        for code, (label, colour) in codes.items():
            assert label.strip(), (kind, code)
            assert COLOUR.match(colour), (kind, code, colour)
        if kind != "indication_area":
            # one colour each, so that a legend tells them apart
            assert len({colour for _, colour in codes.values()}) == len(codes), kind
    for mechanism in vocabulary.mechanisms:
        assert all(t.label.strip() for t in mechanism.targets), mechanism.code
    assert all(i.label.strip() for i in vocabulary.indications)


@pytest.mark.parametrize(("old", "new", "field", "words"), [
    pytest.param('colour = "#117733"\n\n[[status_group]]', "\n[[status_group]]", "status_group",
                 "missing required field 'colour'", id="missing"),
    pytest.param('colour = "#CC6677"', 'colour = "red"', "mechanism.colour", "is not a colour written #RRGGBB",
                 id="not-rgb"),
])
def test_a_code_without_a_proper_colour_is_refused(tmp_path: Path, old: str, new: str, field: str,
                                                    words: str) -> None:
    text = (DATA_DIR / "vocabulary.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "vocabulary.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CatalogueError, match=words) as caught:
        load_vocabulary(path)
    assert caught.value.field == field


def _sql_texts() -> Iterator[tuple[str, str]]:
    for path in sorted((ROOT / "sql").rglob("*.sql")):
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "dashboards").rglob("*.py")):
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")


def test_codes_written_in_sql_are_vocabulary_codes(vocabulary: Vocabulary) -> None:
    codes = coded(vocabulary)
    found = []
    for where, text in _sql_texts():
        for column, listed, compared in COMPARED.findall(text):
            found += [(where, column.lower(), code) for code in re.findall(r"'([^']*)'", listed or compared)]
        found += [(where, column.lower(), code) for column, code in DEFAULTED.findall(text)]
    assert {c for _, kind, c in found if kind == "phase"} >= {vocabulary.no_phase.code}
    assert {c for _, kind, c in found if kind == "status_group"} >= {"open"}
    assert [(where, kind, code) for where, kind, code in found if code not in codes[kind]] == []


def test_no_sql_maps_codes_itself(vocabulary: Vocabulary) -> None:
    """The macros look codes up in ref.*; a CASE writing a code would be a second copy."""
    codes = {code for kind in coded(vocabulary).values() for code in kind}
    for where, text in _sql_texts():
        if where.endswith(".sql"):
            written = set(re.findall(r"\bthen\s+'([^']*)'", text, re.I))
            assert written & codes == set(), where


def test_the_dashboard_theme_reads_the_vocabulary(vocabulary: Vocabulary) -> None:
    from dashboards import theme

    assert list(theme.MECHANISM_COLORS) == [m.code for m in vocabulary.mechanisms]
    assert theme.PHASE_ORDER == [*(p.code for p in vocabulary.phases), vocabulary.no_phase.code]
    assert theme.STATUS_ORDER == [g.code for g in vocabulary.status_groups]
    assert theme.NO_PHASE == vocabulary.no_phase.code
    palette = vocabulary.palette()
    assert (theme.MECHANISM_COLORS, theme.PHASE_COLORS, theme.STATUS_COLORS) == (
        palette["mechanism_class"], palette["phase"], palette["status_group"])


@pytest.fixture(scope="module")
def macros(vocabulary: Vocabulary) -> Iterator[db.Connection]:
    con = db.scratch()
    db.apply_sql(con, *db.SCHEMA_DIRS)
    reference.write_vocabulary(con, vocabulary)
    db.run_file(con, db.sql_file("views", "000_macros.sql"))
    yield con
    con.close()


def test_sql_macros_give_the_vocabulary_phase(vocabulary: Vocabulary, macros: db.Connection) -> None:
    lists = [None, [], *([a] for a in CTGOV_PHASES), *(list(pair) for pair in combinations(CTGOV_PHASES, 2))]
    for phases in lists:
        for order in (phases, phases[::-1] if phases else phases):
            code, rank, rank_type = macros.execute(
                "select core.phase_code($1::varchar[]), core.phase_rank($1::varchar[]), "
                "typeof(core.phase_rank($1::varchar[]))", [order]).fetchall()[0]
            phase = vocabulary.phase_for(order)
            assert (code, rank) == ((phase.code, phase.phase_rank) if phase else (None, None)), order
            assert rank_type == "DECIMAL(2,1)"


def test_sql_macros_give_the_vocabulary_status_group(vocabulary: Vocabulary, macros: db.Connection) -> None:
    for status in (*CTGOV_STATUSES, "SOMETHING_NEW", None):
        got = macros.execute("select core.status_group($1::varchar)", [status]).fetchall()[0][0]
        assert got == (vocabulary.status_group_for(status) if status else None), status
