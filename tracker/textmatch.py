"""Text matching shared by the classifiers: normalization, catalogue regexes for polars, alias tokens.

Pure functions over polars expressions. Catalogue regexes are written for Python `re` and the Rust
`regex` crate alike; for polars their word boundaries become ASCII ones, which keeps the Rust
engine on its fast automata (a Unicode `\\b` forces the slow path).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence

import polars as pl

DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad"
_MARKS = "[®™©]"
# an alias with more joinable boundaries than this is matched in its written and fully split forms only
MAX_JOIN_CHOICES = 6
# short codes (C225, AZA, 5F9) are never matched spelled apart: so written they turn up in ordinary text
# ("vitamin C 225 mg"); one written apart is also matched joined ("N-803" as "N803", "IL-2" as "IL2")
SHORT_ALIAS = 4


def normalized(expr: pl.Expr) -> pl.Expr:
    """NFKC, every dash as '-', no ®/™/©, single spaces: how CT.gov text is compared."""
    for dash in DASHES:
        expr = expr.str.replace_all(dash, "-", literal=True)
    return (
        expr.str.normalize("NFKC")
        .str.replace_all(_MARKS, "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def normalize_str(text: str) -> str:
    """The Python twin of `normalized`, for evidence extraction and tests."""
    text = unicodedata.normalize("NFKC", text.translate({ord(d): "-" for d in DASHES}))
    return re.sub(r"\s+", " ", re.sub(_MARKS, "", text)).strip()


def polars_regex(patterns: Iterable[str]) -> str:
    """One case-insensitive alternation of catalogue regexes, with ASCII word boundaries."""
    parts = [p.replace(r"\b", r"(?-u:\b)") for p in patterns]
    return "(?i)" + "|".join(f"(?:{p})" for p in parts) if parts else "(?!)"


# ------------------------------------------------------------------------------------ alias tokens
#
# Texts and aliases are compared as runs of lowercase ASCII letters and digits. A text becomes
# "|tok||tok|…|" so that every token is fenced on both sides and Aho-Corasick finds whole tokens only.
# An alias becomes every spelling that differs in separators only: MK-3475 → |mk||3475| and
# |mk3475|; CP-675,206 → |cp||675||206|, |cp675||206|, … — so MK 3475, MK3475 and mk-3475 all match
# while MK-34756 does not.

_TOKEN = re.compile(r"[a-z0-9]+")
_PIECE = re.compile(r"[a-z]+|[0-9]+")


def token_text(expr: pl.Expr) -> pl.Expr:
    """A text as fenced tokens: 'Keytruda (MK-3475)' → '|keytruda||mk||3475|'."""
    inner = expr.str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "||").str.strip_chars("|")
    return pl.lit("|") + inner + pl.lit("|")


def alias_spellings(alias: str) -> list[str]:
    """Every fenced-token spelling of an alias that differs from it only in separators."""
    pieces: list[str] = []
    joinable: list[bool] = []  # joinable[i]: pieces i and i+1 may be written together or apart
    for word in _TOKEN.findall(normalize_str(alias).lower()):
        for index, piece in enumerate(_PIECE.findall(word)):
            if pieces:
                previous = pieces[-1]
                inside_word = index > 0
                letters_both = previous[-1].isalpha() and piece[0].isalpha()
                # two words of letters join only when one is short (PD-L1 → PDL1, not "alfa inbakicept")
                joinable.append(inside_word or not letters_both or min(len(previous), len(piece)) <= 2)
            pieces.append(piece)
    if not pieces:
        return []
    written = "|" + "||".join(_TOKEN.findall(normalize_str(alias).lower())) + "|"
    choices = [i for i, ok in enumerate(joinable) if ok]
    combos: Iterable[Sequence[bool]]
    if len("".join(pieces)) <= SHORT_ALIAS:
        combos = [(True,) * len(choices)]
        spellings_of_short = {written, *_spelled(pieces, choices, combos)}
        return sorted(spellings_of_short)
    if len(choices) > MAX_JOIN_CHOICES:
        combos = [(False,) * len(choices), (True,) * len(choices)]
    else:
        combos = itertools.product((False, True), repeat=len(choices))
    return sorted(_spelled(pieces, choices, combos))


def _spelled(pieces: list[str], choices: list[int], combos: Iterable[Sequence[bool]]) -> set[str]:
    """The fenced spellings of the pieces, one per combination of joins at the joinable boundaries."""
    spellings = set()
    for combo in combos:
        joins = dict(zip(choices, combo, strict=True))
        out = "|" + pieces[0]
        for i, piece in enumerate(pieces[1:]):
            out += piece if joins.get(i, False) else "||" + piece
        spellings.add(out + "|")
    return spellings


def spelling_regex(spelling: str) -> re.Pattern[str]:
    """Find the written form of a fenced spelling in normalized text (for evidence)."""
    tokens = [t for t in spelling.split("|") if t]
    body = r"[^A-Za-z0-9]*".join(re.escape(t) for t in tokens)
    return re.compile(rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])", re.IGNORECASE)
