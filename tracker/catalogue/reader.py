"""A general TOML reader that keeps line numbers: every mistake is one `CatalogueError` naming file:line.

tomllib reports no positions, so `Source` indexes where each [table] / [[table]] entry and each key
starts. A kind of table declares its fields as data (`Kind` of `Field`s: name, type, required,
allowed values); `read_all` checks every entry against it and returns them with their typed values,
so a loader only adds the checks that relate fields or tables to each other.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from tracker.catalogue.regex import regex_problem
from tracker.config import check_input_file
from tracker.errors import CatalogueError, ConfigError

SCHEMA_VERSION = 1

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_LINE = re.compile(r"\bline (\d+)")
_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?\s*(#.*)?$")


class Source:
    """A TOML file's parsed data plus the line numbers tomllib does not report."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.name = str(path)
        self.text = self._read(what)
        self.data = self._parse()
        self.lines = self.text.splitlines()
        self.tables: dict[str, list[tuple[int, int]]] = {}
        self._index_tables()

    def _read(self, what: str) -> str:
        try:
            # a device such as /dev/zero would never end, a FIFO would block
            check_input_file(what, self.path)
        except ConfigError as exc:
            raise CatalogueError(self.name, None, "file", str(exc).removeprefix(f"{what}: ")) from None
        try:
            return self.path.read_text(encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise CatalogueError(self.name, None, "file", f"cannot read the {what}: {reason}") from exc
        except UnicodeDecodeError:
            raise CatalogueError(self.name, None, "file", f"the {what} is not UTF-8 text") from None

    def _parse(self) -> dict[str, Any]:
        try:
            return tomllib.loads(self.text)
        except RecursionError:
            raise CatalogueError(self.name, None, "toml", "arrays or tables nested too deeply to read") from None
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            found = _TOML_POSITION.search(message) or _TOML_LINE.search(message)
            line = int(found.group(1)) if found else None
            reason = _TOML_POSITION.sub("", message)
            raise CatalogueError(self.name, line, "toml", f"invalid TOML: {reason}") from exc

    def _index_tables(self) -> None:
        # (first, end) line spans of every [table] / [[array-of-tables]] entry, skipping multi-line strings
        in_string = False
        current: tuple[str, int] | None = None
        top_end = len(self.lines) + 1
        for number, line in enumerate(self.lines, start=1):
            if line.count('"""') % 2 or line.count("'''") % 2:
                in_string = not in_string
                continue
            if in_string:
                continue
            header = _HEADER.match(line)
            if header and not line.lstrip().startswith("#"):
                if current is not None:
                    self.tables.setdefault(current[0], []).append((current[1], number))
                else:
                    top_end = number
                current = (header.group(1), number)
        if current is not None:
            self.tables.setdefault(current[0], []).append((current[1], len(self.lines) + 1))
        self.top_end = top_end

    def span(self, table: str | None, index: int) -> tuple[int, int]:
        """Lines [first, end) of the index-th `table` entry; the top level when table is None."""
        if table is None:
            return 1, self.top_end
        spans = self.tables.get(table, [])
        return spans[index] if index < len(spans) else (1, len(self.lines) + 1)

    def line_of(self, table: str | None, index: int, field: str | None = None,
                needle: str | None = None, occurrence: int = 0) -> int:
        """Best line for a message: the field's key line (then the n-th `needle` after it), or the header."""
        first, end = self.span(table, index)
        if field is None:
            return first
        key = re.compile(rf"^\s*(?:{re.escape(field)}|\"{re.escape(field)}\")\s*=")
        for number in range(first, end):
            if key.match(self.lines[number - 1]):
                return self._needle_line(number, end, needle, occurrence) if needle is not None else number
        return first

    def _needle_line(self, start: int, end: int, needle: str, occurrence: int) -> int:
        """The line of the occurrence-th quoted `needle` from line `start` on; `start` when there is none."""
        seen = 0
        for later in range(start, end):
            text = self.lines[later - 1]
            if f'"{needle}"' in text or f"'{needle}'" in text:
                if seen == occurrence:
                    return later
                seen += 1
        return start


def type_name(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number", list: "a list",
             dict: "a table"}
    return names.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Field:
    """One field of a table kind. `kind` names its reader in `READERS`: string, code, colour, integer,
    number, flag, strings, regexes, tables or raw. `choices`: the allowed values (of each item of a list)."""

    name: str
    kind: str = "string"
    required: bool = True
    choices: tuple[str, ...] = ()
    nonempty: bool = False


@dataclass(frozen=True)
class Kind:
    """One kind of [[table]]: its header, its fields, and the field whose value must be unique.

    `unique_as` names a duplicate in messages ("duplicate rule id 'x'"); once the key is read, messages
    call the entry `named` 'key' instead of [[header]] #n; `required`: the file needs at least one entry.
    """

    header: str
    fields: tuple[Field, ...]
    key: str | None = None
    unique_as: str = ""
    named: str = ""
    required: bool = True


class Table:
    """One TOML table being read: typed getters whose errors carry file, line and field."""

    def __init__(self, source: Source, kind: str | None, index: int, data: Any, what: str) -> None:
        self.source = source
        self.kind = kind
        self.index = index
        self.what = what
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        self.values: dict[str, Any] = {}
        if not isinstance(data, dict):
            self.fail(None, f"expected a table, got {type_name(data)}")

    def __getitem__(self, field: str) -> Any:
        """The value `read` found for `field`."""
        return self.values[field]

    def fail(self, field: str | None, message: str, needle: str | None = None,
             occurrence: int = 0) -> NoReturn:
        line = self.source.line_of(self.kind, self.index, field, needle, occurrence)
        where = ".".join(p for p in (self.kind, field) if p) or "(top level)"
        raise CatalogueError(self.source.name, line, where, f"{self.what}: {message}")

    def only(self, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in self.data:
            if key in allowed:
                continue
            if self.kind is None and key in self.source.tables:
                # a misspelt [[table]] header: point at the header itself
                line = self.source.tables[key][0][0]
                expected = ", ".join(f"[[{name}]]" for name in allowed if name != "schema_version")
                raise CatalogueError(self.source.name, line, key, f"{self.what}: unknown table [{key}]; "
                                     f"expected {expected}")
            self.fail(key, f"unknown field {key!r}; expected one of {', '.join(allowed)}")

    def read(self, kind: Kind, seen: dict[str, Table] | None = None,
             fold: Callable[[str], str] = str) -> dict[str, Any]:
        """Check the table against `kind` and keep its typed values; `seen` holds the keys read so far."""
        self.only(field.name for field in kind.fields)
        for field in kind.fields:
            self.values[field.name] = READERS[field.kind](self, field)
            if field.name == kind.key and seen is not None:
                unique(self, field.name, fold(self.values[field.name]), seen, kind.unique_as)
                if kind.named:
                    self.what = f"{kind.named} {self.values[field.name]!r}"
        return self.values

    def get(self, field: str, required: bool) -> Any:
        if field not in self.data:
            if required:
                self.fail(None, f"missing required field {field!r}")
            return None
        return self.data[field]

    def string(self, field: str, *, required: bool = True, default: str = "",
               choices: Sequence[str] = ()) -> str:
        value = self.get(field, required)
        if value is None:
            return default
        if not isinstance(value, str):
            self.fail(field, f"expected a string, got {type_name(value)}")
        if required and not value.strip():
            self.fail(field, "must not be empty")
        if choices and value not in choices:
            self.fail(field, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def matching(self, field: str, pattern: re.Pattern[str], what: str) -> str:
        value = self.string(field)
        if not pattern.match(value):
            self.fail(field, f"{value!r} is not {what}")
        return value

    def integer(self, field: str) -> int:
        value = self.get(field, True)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field, f"expected an integer, got {type_name(value)}")
        return value

    def number(self, field: str) -> float | None:
        value = self.get(field, False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(field, f"expected a number, got {type_name(value)}")
        return float(value)

    def flag(self, field: str) -> bool | None:
        value = self.get(field, False)
        if value is not None and not isinstance(value, bool):
            self.fail(field, "expected true or false")
        return value

    def str_list(self, field: str, *, required: bool = True, nonempty: bool = False,
                 choices: Sequence[str] = ()) -> tuple[str, ...]:
        value = self.get(field, required)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(field, f"expected a list of strings, got {type_name(value)}")
        for item in value:
            if not isinstance(item, str):
                self.fail(field, f"expected a list of strings, found {type_name(item)} {item!r}")
            if not item.strip():
                self.fail(field, "contains an empty string", needle=item)
            if choices and item not in choices:
                self.fail(field, f"{item!r} is not one of {', '.join(choices)}", needle=item)
        if nonempty and not value:
            self.fail(field, "must not be empty")
        return tuple(value)

    def regex_list(self, field: str, *, required: bool = True, nonempty: bool = False) -> tuple[str, ...]:
        patterns = self.str_list(field, required=required, nonempty=nonempty)
        for pattern in patterns:
            problem = regex_problem(pattern)
            if problem:
                self.fail(field, f"regex {pattern!r}: {problem}", needle=pattern)
        return patterns

    def table_list(self, field: str, *, required: bool = True) -> list[dict[str, Any]]:
        value = self.get(field, required)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.fail(field, "expected a list of inline tables { ... }")
        return value


READERS: dict[str, Callable[[Table, Field], Any]] = {
    "string": lambda t, f: t.string(f.name, required=f.required, choices=f.choices),
    "code": lambda t, f: t.matching(f.name, _CODE, "a code (lowercase letters, digits and underscores)"),
    "colour": lambda t, f: t.matching(f.name, _COLOUR, "a colour written #RRGGBB"),
    "integer": lambda t, f: t.integer(f.name),
    "number": lambda t, f: t.number(f.name),
    "flag": lambda t, f: t.flag(f.name),
    "strings": lambda t, f: t.str_list(f.name, required=f.required, nonempty=f.nonempty, choices=f.choices),
    "regexes": lambda t, f: t.regex_list(f.name, required=f.required, nonempty=f.nonempty),
    "tables": lambda t, f: t.table_list(f.name, required=f.required),
    # as written: the loader checks it
    "raw": lambda t, f: t.get(f.name, f.required),
}


def top(source: Source, allowed: Iterable[str], what: str) -> Table:
    """The file's top level: only the `allowed` tables (and schema_version, which must be this reader's)."""
    table = Table(source, None, 0, source.data, what)
    table.only(["schema_version", *allowed])
    if "schema_version" in table.data and table.integer("schema_version") != SCHEMA_VERSION:
        table.fail("schema_version", f"unsupported schema_version; this tracker reads version {SCHEMA_VERSION}")
    return table


def entries(source: Source, root: Table, kind: str, *, required: bool = True) -> list[Table]:
    """The [[kind]] entries of a file, each wrapped for typed reading."""
    raw = root.data.get(kind)
    if raw is None:
        if required:
            root.fail(None, f"no [[{kind}]] entries")
        return []
    if not isinstance(raw, list):
        line = source.line_of(None, 0, kind)
        raise CatalogueError(source.name, line, kind, f"expected [[{kind}]] tables, got {type_name(raw)}")
    tables = []
    for index, data in enumerate(raw):
        label = data.get("name") or data.get("code") or data.get("id") if isinstance(data, dict) else None
        what = f"[[{kind}]] #{index + 1}" + (f" ({label})" if isinstance(label, str) else "")
        tables.append(Table(source, kind, index, data, what))
    return tables


def read_all(source: Source, root: Table, kind: Kind, fold: Callable[[str], str] = str) -> list[Table]:
    """Every [[kind]] entry, read and checked against its fields; its key unique after `fold`."""
    seen: dict[str, Table] = {}
    tables = entries(source, root, kind.header, required=kind.required)
    for table in tables:
        table.read(kind, seen, fold)
    return tables


def single(source: Source, root: Table, kind: Kind) -> Table:
    """The one [kind] table of a file, read and checked against its fields."""
    raw = root.data.get(kind.header)
    if raw is None:
        root.fail(None, f"missing [{kind.header}] table")
    table = Table(source, kind.header, 0, raw, f"[{kind.header}]")
    table.read(kind)
    return table


def unique(table: Table, field: str, value: str, seen: dict[str, Table], what: str) -> None:
    """Fail when `value` was already seen, naming the line where it was first defined."""
    if value in seen:
        first = seen[value]
        first_line = first.source.line_of(first.kind, first.index, field)
        table.fail(field, f"duplicate {what} {value!r} (first defined on line {first_line})")
    seen[value] = table
