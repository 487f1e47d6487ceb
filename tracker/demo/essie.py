"""Essie expressions, the query language of ``query.*`` and ``filter.advanced`` (ctgov-api.md §3.1).

The subset documented there is supported: terms, quoted phrases, ``AND`` / ``OR`` / ``NOT`` (and
juxtaposition, which means AND), parentheses, ``AREA[piece or area]expr``, ``RANGE[lo,hi]`` with the
``MIN`` / ``MAX`` sentinels and ``MISSING``.  Precedence follows the reference: NOT > AND > OR.
Anything else (``SEARCH[...]``, ``EXPANSION[...]``, ...) is refused with an :class:`EssieError`, which the
server turns into a 400, so that a client never silently relies on an operator the stand-in ignores.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeVar

from tracker.demo.fields import FIELDS, Field, lookup_field, tokens

__all__ = ["EssieError", "Node", "Searchable", "comparable", "evaluate", "parse_essie"]


class EssieError(ValueError):
    """A query or filter expression the stand-in cannot parse; served as a 400."""


class Searchable(Protocol):
    """What the evaluator needs of a stored study: folded text and raw values per piece or area."""

    def text(self, fld: Field) -> bytes: ...

    def values(self, fld: Field) -> list[Any]: ...


R = TypeVar("R", bound=Searchable)


@dataclass(frozen=True)
class _Term:
    raw: str
    words: tuple[bytes, ...]


@dataclass(frozen=True)
class _Range:
    lo: Any
    hi: Any


@dataclass(frozen=True)
class _Missing:
    pass


@dataclass(frozen=True)
class _Not:
    child: Node


@dataclass(frozen=True)
class _Bool:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class _Area:
    fld: Field
    child: Node


Node = _Term | _Range | _Missing | _Not | _Bool | _Area

_BRACKET_OP = re.compile(r"([A-Z]{3,})\[([^\]]*)\]")
_DATE_RE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
_AGE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(year|month|week|day|hour|minute)s?$", re.IGNORECASE)
_AGE_DAYS: Final = {"year": 365.25, "month": 30.4375, "week": 7.0, "day": 1.0, "hour": 1 / 24, "minute": 1 / 1440}
_STARTS_OPERAND: Final = frozenset({"WORD", "PHRASE", "(", "NOT", "AREA", "RANGE", "MISSING"})
_VALUE_KINDS: Final = frozenset({"date", "number", "age"})


def _lex(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            out.append((char, char))
            i += 1
        elif char == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise EssieError(f"unterminated quoted phrase in {text!r}")
            out.append(("PHRASE", text[i + 1 : end]))
            i = end + 1
        elif match := _BRACKET_OP.match(text, i):
            op = match.group(1)
            if op not in ("AREA", "RANGE"):
                raise EssieError(f"operator {op}[] is not supported by the stand-in")
            out.append((op, match.group(2)))
            i = match.end()
        else:
            end = i
            while end < n and not text[end].isspace() and text[end] not in '()"':
                end += 1
            word = text[i:end]
            # operators are upper-case only: "and" in a query is an ordinary search word
            out.append((word, word) if word in ("AND", "OR", "NOT", "MISSING") else ("WORD", word))
            i = end
    return out


class _Parser:
    """Recursive descent over the lexed expression; precedence NOT > AND (or juxtaposition) > OR."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _lex(text)
        self.pos = 0

    def parse(self, fld: Field) -> Node:
        node = self._or(fld)
        if self.pos < len(self.toks):
            raise EssieError(f"unexpected {self.toks[self.pos][1]!r} in {self.text!r}")
        return node

    def _peek(self) -> str | None:
        return self.toks[self.pos][0] if self.pos < len(self.toks) else None

    def _or(self, fld: Field) -> Node:
        node = self._and(fld)
        while self._peek() == "OR":
            self.pos += 1
            node = _Bool("OR", node, self._and(fld))
        return node

    def _and(self, fld: Field) -> Node:
        node = self._not(fld)
        while True:
            kind = self._peek()
            if kind == "AND":
                self.pos += 1
            elif kind not in _STARTS_OPERAND:
                return node
            node = _Bool("AND", node, self._not(fld))

    def _not(self, fld: Field) -> Node:
        if self._peek() == "NOT":
            self.pos += 1
            return _Not(self._not(fld))
        return self._primary(fld)

    def _primary(self, fld: Field) -> Node:
        if self.pos >= len(self.toks):
            raise EssieError(f"expression ends unexpectedly: {self.text!r}")
        kind, value = self.toks[self.pos]
        self.pos += 1
        if kind == "(":
            node = self._or(fld)
            if self._peek() != ")":
                raise EssieError(f"missing ')' in {self.text!r}")
            self.pos += 1
            return node
        if kind == "AREA":
            inner = lookup_field(value)
            if inner is None or inner.kind == "struct":
                raise EssieError(f"unknown area or piece AREA[{value}]")
            return _Area(inner, self._not(inner))
        if kind == "RANGE":
            return _parse_range(value, fld)
        if kind == "MISSING":
            return _Missing()
        if kind in ("WORD", "PHRASE"):
            return _parse_term(value, fld)
        raise EssieError(f"unexpected {value!r} in {self.text!r}")


def _parse_scalar(raw: str, fld: Field) -> Any:
    text = raw.strip()
    if fld.kind == "date":
        if not _DATE_RE.match(text):
            raise EssieError(f"{fld.name} expects a date like 2024-01-31, got {raw!r}")
        return text
    if fld.kind == "number":
        try:
            return float(text)
        except ValueError as exc:
            raise EssieError(f"{fld.name} expects a number, got {raw!r}") from exc
    age = _age_days(text)
    if age is None:
        raise EssieError(f"{fld.name} expects an age like '18 years', got {raw!r}")
    return age


def _parse_range(arg: str, fld: Field) -> _Range:
    if fld.kind not in _VALUE_KINDS:
        raise EssieError(f"RANGE[] needs a date, number or age piece, not {fld.name}")
    bounds = arg.split(",")
    if len(bounds) != 2:
        raise EssieError(f"RANGE[{arg}] needs two bounds")
    lo_raw, hi_raw = (b.strip() for b in bounds)
    lo = None if lo_raw.upper() == "MIN" else _parse_scalar(lo_raw, fld)
    hi = None if hi_raw.upper() == "MAX" else _parse_scalar(hi_raw, fld)
    if fld.kind == "date":
        # partial bounds cover their whole year or month; padded ISO strings compare as dates
        lo = None if lo is None else _date_floor(lo)
        hi = None if hi is None else _date_ceiling(hi)
    return _Range(lo, hi)


def _parse_term(raw: str, fld: Field) -> _Term:
    if fld.kind in _VALUE_KINDS:
        _parse_scalar(raw, fld)  # reject "AREA[StartDate]soon" at parse time, not per study
    return _Term(raw, tokens(raw))


def _date_floor(value: str) -> str:
    return value + "-01-01"[: 10 - len(value)] if len(value) < 10 else value


def _date_ceiling(value: str) -> str:
    return value + "-12-31"[len(value) - 4 :] if len(value) < 10 else value


def _age_days(text: str) -> float | None:
    match = _AGE_RE.match(text.strip())
    if not match:
        return None
    return float(match.group(1)) * _AGE_DAYS[match.group(2).lower()]


def comparable(value: Any, fld: Field) -> Any:
    """The value of a date, number or age piece as something ordered (None when it is not one)."""
    if fld.kind == "date":
        return _date_floor(value) if isinstance(value, str) and _DATE_RE.match(value) else None
    if fld.kind == "number":
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    return _age_days(value) if isinstance(value, str) else None


def _predicate(node: _Term | _Range | _Missing, fld: Field) -> Callable[[Searchable], bool]:
    if isinstance(node, _Missing):
        return lambda r: not r.values(fld)
    if fld.kind in _VALUE_KINDS:
        return _value_predicate(node, fld)
    assert isinstance(node, _Term)
    return _text_predicate(node.words, fld)


def _text_predicate(words: tuple[bytes, ...], fld: Field) -> Callable[[Searchable], bool]:
    if not words:
        return lambda r: True
    if len(words) == 1:
        needle = b" " + words[0] + b" "
        return lambda r: needle in r.text(fld)
    # a cheap substring test on the first word skips the regex for almost every study
    first = b" " + words[0] + b" "
    phrase = re.compile(b" " + b" +".join(re.escape(w) for w in words) + b" ")

    def has_phrase(r: Searchable) -> bool:
        text = r.text(fld)
        return first in text and phrase.search(text) is not None

    return has_phrase


def _value_predicate(node: _Term | _Range, fld: Field) -> Callable[[Searchable], bool]:
    if isinstance(node, _Range):
        lo, hi = node.lo, node.hi

        def in_range(r: Searchable) -> bool:
            for value in r.values(fld):
                v = comparable(value, fld)
                if v is not None and (lo is None or lo <= v) and (hi is None or v <= hi):
                    return True
            return False

        return in_range
    target = _parse_scalar(node.raw, fld)
    if fld.kind == "date":
        # a bare date matches that date; a bare year or month matches dates inside it
        return lambda r: any(isinstance(v, str) and v.startswith(target) for v in r.values(fld))
    return lambda r: any(comparable(v, fld) == target for v in r.values(fld))


def evaluate(node: Node, records: Sequence[R], fld: Field) -> list[R]:
    """Return the records (in their given order) that match node, fld being the current area."""
    if isinstance(node, _Area):
        return evaluate(node.child, records, node.fld)
    if isinstance(node, _Bool) and node.op == "AND":
        return evaluate(node.right, evaluate(node.left, records, fld), fld)
    if isinstance(node, _Bool):
        hit = {id(r) for r in evaluate(node.left, records, fld)}
        rest = [r for r in records if id(r) not in hit]
        hit.update(id(r) for r in evaluate(node.right, rest, fld))
        return [r for r in records if id(r) in hit]
    if isinstance(node, _Not):
        excluded = {id(r) for r in evaluate(node.child, records, fld)}
        return [r for r in records if id(r) not in excluded]
    matches = _predicate(node, fld)
    return [r for r in records if matches(r)]


def parse_essie(text: str, default_area: str = "BasicSearch") -> Node | None:
    """Parse an Essie expression (None for a blank one); raise EssieError when it is malformed."""
    if not text.strip():
        return None
    return _Parser(text).parse(FIELDS[default_area])
