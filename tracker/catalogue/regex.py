"""Which regexes the catalogue may hold: those Python's `re` and polars' Rust `regex` read alike."""

from __future__ import annotations

import re
import warnings

# what (?x...) after an opening parenthesis means, for the group syntax the Rust regex crate lacks
_GROUPS = (
    (("=", "!"), "look-ahead (?=...) / (?!...) is unsupported (Rust regex has no look-around)"),
    (("<=", "<!"), "look-behind (?<=...) / (?<!...) is unsupported (Rust regex has no look-around)"),
    (("P=",), "named backreference (?P=...) is unsupported (the Rust regex engine has none)"),
    ((">",), "atomic group (?>...) is unsupported by the Rust regex engine"),
    (("#",), "comment group (?#...) is unsupported by the Rust regex engine"),
    (("(",), "conditional group (?(...)...) is unsupported by the Rust regex engine"),
)


def regex_problem(pattern: str) -> str | None:
    """Say why `pattern` cannot be used by both Python `re` and polars' Rust `regex`, or return None."""
    if not pattern:
        return "empty regex (it would match every text)"
    unsupported = _unsupported_syntax(pattern)
    if unsupported:
        return unsupported
    # FutureWarnings ("possible nested set") mark syntax that Python and Rust read differently
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            re.compile(pattern, re.IGNORECASE)
        except (re.error, Warning) as exc:
            return f"does not compile in Python re: {exc}"
    return None


def _unsupported_syntax(pattern: str) -> str | None:
    """Find syntax Python accepts but the Rust regex crate rejects (or reads differently)."""
    i, n, in_class = 0, len(pattern), False
    while i < n:
        char = pattern[i]
        if char == "\\":
            problem = None if in_class else _escape_problem(pattern[i + 1 : i + 2])
            if problem:
                return problem
            i += 2
            continue
        if in_class:
            in_class = char != "]"
            i += 1
            continue
        if char == "[":
            in_class = True
            i += 1
            if pattern[i : i + 1] == "^":
                i += 1
            if pattern[i : i + 1] == "]":  # a leading ] is a literal
                i += 1
            continue
        problem = _outside_class_problem(pattern, i)
        if problem:
            return problem
        i += 1
    return None


def _escape_problem(escaped: str) -> str | None:
    """The problem of a backslash escape outside a character class, or None."""
    if escaped.isdigit() and escaped != "0":
        return f"backreference \\{escaped} is unsupported (the Rust regex engine has none)"
    if escaped == "k":
        return "named backreference \\k is unsupported (the Rust regex engine has none)"
    if escaped == "Z":
        return "\\Z is unsupported by the Rust regex engine; use $"
    return None


def _outside_class_problem(pattern: str, i: int) -> str | None:
    """The problem of the group or quantifier syntax starting at pattern[i], or None."""
    char, after = pattern[i], pattern[i + 1 : i + 2]
    if char == "(" and after == "?":
        head = pattern[i + 2 : i + 4]
        for starts, problem in _GROUPS:
            if any(head.startswith(start) for start in starts):
                return problem
    if char in "*+?}" and after == "+":
        return "possessive quantifier is unsupported by the Rust regex engine"
    if char == "{" and after == ",":
        return "quantifier {,n} is unsupported by the Rust regex engine; write {0,n}"
    return None
