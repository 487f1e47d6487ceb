"""The reviewed domain data: vocabulary, agent catalogue, generic rules and indication map, loaded from TOML.

The domain lives in data files beside this module (`tracker/catalogue/*.toml`) so that adding an agent
or a rule is a reviewed edit of a TOML file, not a code change. This module only reads and checks them:
every mistake is reported as a `CatalogueError` naming the file, the line and the field, in one line.
The classifier that applies them lives elsewhere; the semantics it implements are written in the
header comments of `rules.toml` and `indications.toml`.
"""

from __future__ import annotations

import re
import tomllib
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from tracker.config import check_input_file
from tracker.errors import CatalogueError, ConfigError

CATALOGUE_DIR = Path(__file__).parent / "catalogue"
VOCABULARY_FILE = CATALOGUE_DIR / "vocabulary.toml"
AGENTS_FILE = CATALOGUE_DIR / "agents.toml"
RULES_FILE = CATALOGUE_DIR / "rules.toml"
INDICATIONS_FILE = CATALOGUE_DIR / "indications.toml"

SCHEMA_VERSION = 1
ROLES = ("tracked", "partner")
MODALITIES = (
    "antibody", "bispecific", "fusion_protein", "cell_therapy", "engager", "cytokine", "small_molecule",
    "vaccine", "other",
)
REVIEW = ("named", "target", "none")
EVIDENCE = ("confirmed", "unconfirmed")
RULE_FIELDS = ("name", "other_name", "description", "arm_group")
# a rule whose target is this word takes the CAR antigen(s) found in the same text
ANTIGEN_TARGET = "antigen"
CTGOV_PHASES = ("NA", "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4")
CTGOV_STATUSES = (
    "ACTIVE_NOT_RECRUITING", "COMPLETED", "ENROLLING_BY_INVITATION", "NOT_YET_RECRUITING", "RECRUITING",
    "SUSPENDED", "TERMINATED", "WITHDRAWN", "AVAILABLE", "NO_LONGER_AVAILABLE", "TEMPORARILY_NOT_AVAILABLE",
    "APPROVED_FOR_MARKETING", "WITHHELD", "UNKNOWN",
)

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
_MESH_ID = re.compile(r"^D\d{6,9}$")
_HISTORY = re.compile(r"^\d{4}-\d{2}-\d{2}: \S")
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_LINE = re.compile(r"\bline (\d+)")
_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?\s*(#.*)?$")
_ALIAS_NOISE = re.compile(r"[®™©]")


def alias_key(text: str) -> str:
    """Fold a name or alias the way the matcher compares them: lowercase alphanumerics only."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


# ---------------------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Target:
    """One target code of a mechanism class."""

    code: str
    label: str


@dataclass(frozen=True)
class Mechanism:
    """A mechanism class; the order of `targets` decides the primary target inside the class."""

    code: str
    label: str
    priority: int
    role: str
    targets: tuple[Target, ...]
    note: str = ""

    @property
    def target_codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.targets)


@dataclass(frozen=True)
class Phase:
    """CT.gov `phases` list (sorted) mapped to a phase code and rank; rank None for 'Not applicable'."""

    ctgov: tuple[str, ...]
    code: str
    phase_rank: float | None
    label: str


@dataclass(frozen=True)
class StatusGroup:
    code: str
    label: str
    statuses: tuple[str, ...]


@dataclass(frozen=True)
class IndicationArea:
    code: str
    label: str


@dataclass(frozen=True)
class IndicationCode:
    code: str
    area: str
    label: str


@dataclass(frozen=True)
class Vocabulary:
    """The public codes of vocabulary.toml."""

    mechanisms: tuple[Mechanism, ...]
    phases: tuple[Phase, ...]
    status_groups: tuple[StatusGroup, ...]
    indication_areas: tuple[IndicationArea, ...]
    indications: tuple[IndicationCode, ...]
    path: Path

    def mechanism(self, code: str) -> Mechanism:
        """Return the mechanism class `code`; KeyError if there is none."""
        for mechanism in self.mechanisms:
            if mechanism.code == code:
                return mechanism
        raise KeyError(code)

    def has_mechanism(self, code: str) -> bool:
        return any(m.code == code for m in self.mechanisms)

    def role_of(self, mechanism_class: str) -> str:
        return self.mechanism(mechanism_class).role

    def rank(self, mechanism_class: str, target: str) -> tuple[int, int]:
        """Sort key of a (class, target) row: class priority, then the target's place in its class."""
        mechanism = self.mechanism(mechanism_class)
        return mechanism.priority, mechanism.target_codes.index(target)

    def primary(self, rows: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
        """The primary (class, target) of a trial's rows: the first in priority order, or None."""
        return min(rows, key=lambda row: self.rank(*row), default=None)

    def area_of(self, indication: str) -> str:
        for code in self.indications:
            if code.code == indication:
                return code.area
        raise KeyError(indication)

    def phase_for(self, ctgov_phases: Sequence[str] | None) -> Phase | None:
        """The phase of a CT.gov `phases` list; None when the key is absent or the list is unknown."""
        if not ctgov_phases:
            return None
        wanted = tuple(sorted(ctgov_phases))
        return next((p for p in self.phases if p.ctgov == wanted), None)

    def status_group_for(self, status: str) -> str | None:
        return next((g.code for g in self.status_groups if status in g.statuses), None)


# ---------------------------------------------------------------------------------------- agents


@dataclass(frozen=True)
class MechanismRef:
    """One (mechanism_class, target) row."""

    mechanism_class: str
    target: str

    def __str__(self) -> str:
        return f"{self.mechanism_class}/{self.target}"


@dataclass(frozen=True)
class Agent:
    """One catalogue agent; `line` is the line of its [[agent]] header, for messages."""

    name: str
    aliases: tuple[str, ...]
    mechanism_class: str
    target: str
    modality: str
    role: str
    review: str
    evidence: str
    source: str
    also: tuple[MechanismRef, ...] = ()
    note: str = ""
    history: tuple[str, ...] = ()
    line: int = 0

    @property
    def mechanisms(self) -> tuple[MechanismRef, ...]:
        """Every row the agent contributes, primary first."""
        return (MechanismRef(self.mechanism_class, self.target), *self.also)

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical name followed by every alias: what the matcher looks for."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Catalogue:
    """Every agent of agents.toml, checked against `vocabulary`."""

    agents: tuple[Agent, ...]
    vocabulary: Vocabulary
    path: Path

    def agent(self, name: str) -> Agent:
        """Return the agent whose canonical name is `name`; KeyError if there is none."""
        for agent in self.agents:
            if agent.name == name:
                return agent
        raise KeyError(name)

    @property
    def tracked(self) -> tuple[Agent, ...]:
        return tuple(a for a in self.agents if a.role == "tracked")


# ---------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Antigen:
    """How one CAR antigen (a car_nk target code) is written."""

    code: str
    patterns: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Rule:
    """A generic rule for products no catalogue entry names (semantics: header of rules.toml)."""

    id: str
    agent: str
    mechanism_class: str
    target: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    fields: tuple[str, ...]
    note: str
    supersedes: tuple[str, ...] = ()
    yield_to_classes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Trap:
    """Texts masked before any generic rule runs: they must never produce an NK label."""

    id: str
    patterns: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Support:
    """When an agent (IL-2) is only support for a cell therapy and gives no row."""

    id: str
    agents: tuple[str, ...]
    mechanism_class: str
    target: str
    when_classes: tuple[str, ...]
    when_patterns: tuple[str, ...]
    support_patterns: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class PartnerGate:
    """Partner classes are recorded only in trials that have a tracked row."""

    id: str
    classes: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class RuleSet:
    antigens: tuple[Antigen, ...]
    rules: tuple[Rule, ...]
    traps: tuple[Trap, ...]
    supports: tuple[Support, ...]
    partner_gates: tuple[PartnerGate, ...]
    path: Path

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


# ---------------------------------------------------------------------------------------- indications


@dataclass(frozen=True)
class IndicationDef:
    """How conditions map to one indication code (semantics: header of indications.toml)."""

    code: str
    area: str
    mesh: tuple[str, ...]
    mesh_ids: tuple[str, ...]
    ancestor: tuple[str, ...]
    text: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    yield_to: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class IndicationMap:
    """Every [[indication]] in evaluation order, and the code of trials nothing matched."""

    definitions: tuple[IndicationDef, ...]
    fallback: str
    path: Path


# ---------------------------------------------------------------------------------------- regexes


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
            escaped = pattern[i + 1 : i + 2]
            if not in_class:
                if escaped.isdigit() and escaped != "0":
                    return f"backreference \\{escaped} is unsupported (the Rust regex engine has none)"
                if escaped == "k":
                    return "named backreference \\k is unsupported (the Rust regex engine has none)"
                if escaped == "Z":
                    return "\\Z is unsupported by the Rust regex engine; use $"
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
        if char == "(" and pattern[i + 1 : i + 2] == "?":
            head = pattern[i + 2 : i + 4]
            if head[:1] in ("=", "!"):
                return "look-ahead (?=...) / (?!...) is unsupported (Rust regex has no look-around)"
            if head in ("<=", "<!"):
                return "look-behind (?<=...) / (?<!...) is unsupported (Rust regex has no look-around)"
            if head == "P=":
                return "named backreference (?P=...) is unsupported (the Rust regex engine has none)"
            if head[:1] == ">":
                return "atomic group (?>...) is unsupported by the Rust regex engine"
            if head[:1] == "#":
                return "comment group (?#...) is unsupported by the Rust regex engine"
            if head[:1] == "(":
                return "conditional group (?(...)...) is unsupported by the Rust regex engine"
        if char in "*+?}" and pattern[i + 1 : i + 2] == "+":
            return "possessive quantifier is unsupported by the Rust regex engine"
        if char == "{" and pattern[i + 1 : i + 2] == ",":
            return "quantifier {,n} is unsupported by the Rust regex engine; write {0,n}"
        i += 1
    return None


# ---------------------------------------------------------------------------------------- TOML plumbing


class _Source:
    """A TOML file's parsed data plus the line numbers tomllib does not report."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.name = str(path)
        try:
            # a device such as /dev/zero would never end, a FIFO would block
            check_input_file(what, path)
        except ConfigError as exc:
            raise CatalogueError(self.name, None, "file", str(exc).removeprefix(f"{what}: ")) from None
        try:
            self.text = path.read_text(encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise CatalogueError(self.name, None, "file", f"cannot read the {what}: {reason}") from exc
        except UnicodeDecodeError:
            raise CatalogueError(self.name, None, "file", f"the {what} is not UTF-8 text") from None
        try:
            self.data: dict[str, Any] = tomllib.loads(self.text)
        except RecursionError:
            raise CatalogueError(self.name, None, "toml", "arrays or tables nested too deeply to read") from None
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            found = _TOML_POSITION.search(message) or _TOML_LINE.search(message)
            line = int(found.group(1)) if found else None
            reason = _TOML_POSITION.sub("", message)
            raise CatalogueError(self.name, line, "toml", f"invalid TOML: {reason}") from exc
        self.lines = self.text.splitlines()
        self.tables: dict[str, list[tuple[int, int]]] = {}
        self._index_tables()

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
                if needle is not None:
                    seen = 0
                    for later in range(number, end):
                        text = self.lines[later - 1]
                        if f'"{needle}"' in text or f"'{needle}'" in text:
                            if seen == occurrence:
                                return later
                            seen += 1
                return number
        return first


def _type_name(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number", list: "a list",
             dict: "a table"}
    return names.get(type(value), type(value).__name__)


class _Table:
    """One TOML table being read: typed getters whose errors carry file, line and field."""

    def __init__(self, source: _Source, kind: str | None, index: int, data: Any, what: str) -> None:
        self.source = source
        self.kind = kind
        self.index = index
        self.what = what
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}
        if not isinstance(data, dict):
            self.fail(None, f"expected a table, got {_type_name(data)}")

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

    def _get(self, field: str, required: bool) -> Any:
        if field not in self.data:
            if required:
                self.fail(None, f"missing required field {field!r}")
            return None
        return self.data[field]

    def string(self, field: str, *, required: bool = True, default: str = "",
               choices: Sequence[str] = ()) -> str:
        value = self._get(field, required)
        if value is None:
            return default
        if not isinstance(value, str):
            self.fail(field, f"expected a string, got {_type_name(value)}")
        if required and not value.strip():
            self.fail(field, "must not be empty")
        if choices and value not in choices:
            self.fail(field, f"{value!r} is not one of {', '.join(choices)}")
        return value

    def integer(self, field: str) -> int:
        value = self._get(field, True)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field, f"expected an integer, got {_type_name(value)}")
        return value

    def number(self, field: str) -> float | None:
        value = self._get(field, False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(field, f"expected a number, got {_type_name(value)}")
        return float(value)

    def str_list(self, field: str, *, required: bool = True, nonempty: bool = False) -> tuple[str, ...]:
        value = self._get(field, required)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(field, f"expected a list of strings, got {_type_name(value)}")
        for item in value:
            if not isinstance(item, str):
                self.fail(field, f"expected a list of strings, found {_type_name(item)} {item!r}")
            if not item.strip():
                self.fail(field, "contains an empty string", needle=item)
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
        value = self._get(field, required)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.fail(field, "expected a list of inline tables { ... }")
        return value


def _entries(source: _Source, top: _Table, kind: str, *, required: bool = True) -> list[_Table]:
    """The [[kind]] entries of a file, each wrapped for typed reading."""
    raw = top.data.get(kind)
    if raw is None:
        if required:
            top.fail(None, f"no [[{kind}]] entries")
        return []
    if not isinstance(raw, list):
        line = source.line_of(None, 0, kind)
        raise CatalogueError(source.name, line, kind, f"expected [[{kind}]] tables, got {_type_name(raw)}")
    tables = []
    for index, data in enumerate(raw):
        label = data.get("name") or data.get("code") or data.get("id") if isinstance(data, dict) else None
        what = f"[[{kind}]] #{index + 1}" + (f" ({label})" if isinstance(label, str) else "")
        tables.append(_Table(source, kind, index, data, what))
    return tables


def _top(source: _Source, allowed: Iterable[str], what: str) -> _Table:
    top = _Table(source, None, 0, source.data, what)
    top.only(["schema_version", *allowed])
    if "schema_version" in top.data and top.integer("schema_version") != SCHEMA_VERSION:
        top.fail("schema_version", f"unsupported schema_version; this tracker reads version {SCHEMA_VERSION}")
    return top


def _unique(table: _Table, field: str, value: str, seen: dict[str, _Table], what: str) -> None:
    if value in seen:
        first = seen[value]
        first_line = first.source.line_of(first.kind, first.index, field)
        table.fail(field, f"duplicate {what} {value!r} (first defined on line {first_line})")
    seen[value] = table


# ---------------------------------------------------------------------------------------- loaders


def load_vocabulary(path: Path | str | None = None) -> Vocabulary:
    """Load and check vocabulary.toml (the bundled one by default)."""
    source = _Source(Path(path) if path is not None else VOCABULARY_FILE, "vocabulary")
    top = _top(source, ("mechanism", "phase", "status_group", "indication_area", "indication"), "vocabulary")

    mechanisms: list[Mechanism] = []
    seen: dict[str, _Table] = {}
    priorities: dict[str, _Table] = {}
    for table in _entries(source, top, "mechanism"):
        table.only(("code", "label", "priority", "role", "targets", "note"))
        code = _code(table, "code")
        _unique(table, "code", code, seen, "mechanism class")
        priority = table.integer("priority")
        _unique(table, "priority", str(priority), priorities, "priority")
        if mechanisms and priority <= mechanisms[-1].priority:
            table.fail("priority", "mechanism classes must be listed in increasing priority order")
        targets: list[Target] = []
        raw_targets = table.table_list("targets")
        if not raw_targets:
            table.fail("targets", "a mechanism class needs at least one target")
        for raw in raw_targets:
            needle = raw.get("code") if isinstance(raw.get("code"), str) else None
            unknown = set(raw) - {"code", "label"}
            if unknown or not isinstance(raw.get("code"), str) or not isinstance(raw.get("label"), str):
                table.fail("targets", 'each target must be { code = "...", label = "..." }', needle=needle)
            if not raw["code"].strip():
                table.fail("targets", "empty target code", needle=needle)
            if any(t.code == raw["code"] for t in targets):
                table.fail("targets", f"duplicate target {raw['code']!r}", needle=needle, occurrence=1)
            targets.append(Target(raw["code"], raw["label"]))
        role = table.string("role", choices=ROLES)
        mechanisms.append(Mechanism(code, table.string("label"), priority, role, tuple(targets),
                                    table.string("note", required=False)))

    phases: list[Phase] = []
    seen = {}
    for table in _entries(source, top, "phase"):
        table.only(("ctgov", "code", "phase_rank", "label"))
        ctgov = table.str_list("ctgov", nonempty=True)
        for value in ctgov:
            if value not in CTGOV_PHASES:
                known = ", ".join(CTGOV_PHASES)
                table.fail("ctgov", f"{value!r} is not a CT.gov phase ({known})", needle=value)
        if list(ctgov) != sorted(ctgov):
            table.fail("ctgov", "list the CT.gov phases sorted, as the tracker sorts them before lookup")
        code = table.string("code")
        _unique(table, "code", code, seen, "phase")
        phases.append(Phase(ctgov, code, table.number("phase_rank"), table.string("label")))

    groups: list[StatusGroup] = []
    seen = {}
    owner: dict[str, str] = {}
    for table in _entries(source, top, "status_group"):
        table.only(("code", "label", "statuses"))
        code = _code(table, "code")
        _unique(table, "code", code, seen, "status group")
        statuses = table.str_list("statuses", nonempty=True)
        for status in statuses:
            if status not in CTGOV_STATUSES:
                table.fail("statuses", f"{status!r} is not a CT.gov overallStatus", needle=status)
            if status in owner:
                message = f"{status!r} is already in status group {owner[status]!r}"
                table.fail("statuses", message, needle=status)
            owner[status] = code
        groups.append(StatusGroup(code, table.string("label"), statuses))
    missing = [s for s in CTGOV_STATUSES if s not in owner]
    if missing:
        top.fail(None, f"CT.gov statuses in no [[status_group]]: {', '.join(missing)}")

    areas: list[IndicationArea] = []
    seen = {}
    for table in _entries(source, top, "indication_area"):
        table.only(("code", "label"))
        code = _code(table, "code")
        _unique(table, "code", code, seen, "indication area")
        areas.append(IndicationArea(code, table.string("label")))

    indications: list[IndicationCode] = []
    seen = {}
    for table in _entries(source, top, "indication"):
        table.only(("code", "area", "label"))
        code = _code(table, "code")
        _unique(table, "code", code, seen, "indication")
        area = table.string("area", choices=[a.code for a in areas])
        indications.append(IndicationCode(code, area, table.string("label")))

    return Vocabulary(tuple(mechanisms), tuple(phases), tuple(groups), tuple(areas), tuple(indications),
                      source.path)


def _code(table: _Table, field: str) -> str:
    code = table.string(field)
    if not _CODE.match(code):
        table.fail(field, f"{code!r} is not a code (lowercase letters, digits and underscores)")
    return code


def _mechanism_ref(table: _Table, vocabulary: Vocabulary, klass: str, target: str, field: str,
                   needle: str | None = None) -> MechanismRef:
    """Check that `klass` is a mechanism class and `target` one of its targets."""
    if not vocabulary.has_mechanism(klass):
        known = ", ".join(m.code for m in vocabulary.mechanisms)
        table.fail(field, f"unknown mechanism_class {klass!r} (known: {known})", needle=needle)
    codes = vocabulary.mechanism(klass).target_codes
    if target not in codes:
        where = "target" if field == "mechanism_class" else field
        table.fail(where, f"{target!r} is not a target of {klass} (targets: {', '.join(codes)})",
                   needle=needle or target)
    return MechanismRef(klass, target)


def load_catalogue(path: Path | str | None = None, vocabulary: Vocabulary | None = None) -> Catalogue:
    """Load and check agents.toml (the bundled one by default) against the vocabulary."""
    vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
    source = _Source(Path(path) if path is not None else AGENTS_FILE, "agent catalogue")
    top = _top(source, ("agent",), "agent catalogue")
    fields = ("name", "aliases", "mechanism_class", "target", "also", "modality", "role", "review",
              "evidence", "source", "note", "history")

    agents: list[Agent] = []
    tables: list[_Table] = []
    names: dict[str, _Table] = {}
    for table in _entries(source, top, "agent"):
        table.only(fields)
        name = table.string("name")
        if name != name.strip():
            table.fail("name", f"{name!r} has leading or trailing spaces")
        _unique(table, "name", alias_key(name), names, "agent name (after folding case and punctuation)")
        table.what = f"agent {name!r}"
        aliases = _aliases(table, name)
        klass = table.string("mechanism_class")
        primary = _mechanism_ref(table, vocabulary, klass, table.string("target"), "mechanism_class")
        also: list[MechanismRef] = []
        for raw in table.table_list("also", required=False):
            if set(raw) != {"mechanism_class", "target"} or not all(isinstance(v, str) for v in raw.values()):
                table.fail("also", 'each row must be { mechanism_class = "...", target = "..." }')
            row = _mechanism_ref(table, vocabulary, raw["mechanism_class"], raw["target"], "also",
                                 needle=raw["mechanism_class"])
            if row == primary or row in also:
                table.fail("also", f"row {row} is listed twice", needle=raw["mechanism_class"])
            also.append(row)
        for row in also:
            if vocabulary.rank(row.mechanism_class, row.target) < vocabulary.rank(klass, primary.target):
                table.fail("mechanism_class", f"the primary row must come first in priority order, but {row} "
                           f"ranks before {primary}; make {row} the primary and move {primary} to also")
        role = table.string("role", choices=ROLES)
        if role != vocabulary.role_of(klass):
            table.fail("role", f"{klass} is a {vocabulary.role_of(klass)} class, so role must be "
                       f"{vocabulary.role_of(klass)!r}")
        history = table.str_list("history", required=False)
        for entry in history:
            if not _HISTORY.match(entry):
                table.fail("history", f"entry {entry!r} must read 'YYYY-MM-DD: what changed and why'",
                           needle=entry)
        agents.append(Agent(
            name=name, aliases=aliases, mechanism_class=klass, target=primary.target,
            modality=table.string("modality", choices=MODALITIES), role=role,
            review=table.string("review", choices=REVIEW),
            evidence=table.string("evidence", choices=EVIDENCE),
            source=table.string("source"), also=tuple(also), note=table.string("note", required=False),
            history=history, line=source.line_of("agent", table.index),
        ))
        tables.append(table)

    # an alias may not be another agent's canonical name. An alias shared by agents with different
    # mechanisms is a fixed-dose combination (Opdualag under relatlimab and nivolumab): allowed only
    # when every agent lists it with the same spelling, so that a typo cannot merge two products
    name_owner = {alias_key(a.name): a for a in agents}
    first_claim: dict[str, tuple[Agent, str]] = {}
    for agent, table in zip(agents, tables, strict=True):
        for alias in agent.aliases:
            key = alias_key(alias)
            other = name_owner.get(key)
            if other is not None and other is not agent:
                table.fail("aliases", f"alias {alias!r} is the canonical name of agent {other.name!r} "
                           f"(line {other.line}); an agent cannot claim another agent's name", needle=alias)
            claim = first_claim.setdefault(key, (agent, alias))
            owner, spelling = claim
            if owner is not agent and spelling != alias and set(owner.mechanisms) != set(agent.mechanisms):
                table.fail("aliases", f"alias {alias!r} collides with {spelling!r} of agent {owner.name!r} "
                           f"(line {owner.line}), which has other mechanisms; a fixed-dose combination must "
                           "list the same spelling under both agents", needle=alias)
    return Catalogue(tuple(agents), vocabulary, source.path)


def _aliases(table: _Table, name: str) -> tuple[str, ...]:
    aliases = table.str_list("aliases")
    keys = {alias_key(name): name}
    for alias in aliases:
        if _ALIAS_NOISE.search(alias):
            table.fail("aliases", f"write {alias!r} without ®/™/©", needle=alias)
        if alias != alias.strip():
            table.fail("aliases", f"{alias!r} has leading or trailing spaces", needle=alias)
        key = alias_key(alias)
        if not key:
            table.fail("aliases", f"{alias!r} has no letters or digits", needle=alias)
        if key in keys:
            table.fail("aliases", f"{alias!r} is redundant with {keys[key]!r}: the matcher ignores case, "
                       "spaces, hyphens, commas, dots and apostrophes", needle=alias)
        keys[key] = alias
    return aliases


def load_rules(path: Path | str | None = None, vocabulary: Vocabulary | None = None,
               catalogue: Catalogue | None = None) -> RuleSet:
    """Load and check rules.toml (the bundled one by default); support agents must be in the catalogue."""
    vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
    catalogue = catalogue if catalogue is not None else load_catalogue(vocabulary=vocabulary)
    source = _Source(Path(path) if path is not None else RULES_FILE, "rules")
    top = _top(source, ("antigen", "rule", "trap", "support", "partner_gate"), "rules")
    car_targets = vocabulary.mechanism("car_nk").target_codes if vocabulary.has_mechanism("car_nk") else ()

    antigens: list[Antigen] = []
    seen: dict[str, _Table] = {}
    for table in _entries(source, top, "antigen", required=False):
        table.only(("code", "patterns", "note"))
        code = table.string("code")
        if code not in car_targets or code == "unspecified":
            table.fail("code", f"{code!r} is not a car_nk target code (targets: {', '.join(car_targets)})")
        _unique(table, "code", code, seen, "antigen")
        patterns = table.regex_list("patterns", nonempty=True)
        antigens.append(Antigen(code, patterns, table.string("note", required=False)))

    rules: list[Rule] = []
    rule_tables: list[_Table] = []
    seen = {}
    for table in _entries(source, top, "rule"):
        table.only(("id", "agent", "mechanism_class", "target", "include", "exclude", "fields", "supersedes",
                    "yield_to_classes", "note"))
        rule_id = _code(table, "id")
        _unique(table, "id", rule_id, seen, "rule id")
        table.what = f"rule {rule_id!r}"
        klass = table.string("mechanism_class")
        target = table.string("target")
        if target == ANTIGEN_TARGET:
            if klass != "car_nk":
                table.fail("target", f"target {ANTIGEN_TARGET!r} (the CAR antigen) is only for car_nk rules")
            if not antigens:
                table.fail("target", f"target {ANTIGEN_TARGET!r} needs [[antigen]] entries")
            if not vocabulary.has_mechanism(klass):
                table.fail("mechanism_class", f"unknown mechanism_class {klass!r}")
        else:
            _mechanism_ref(table, vocabulary, klass, target, "mechanism_class")
        rule_fields = table.str_list("fields", nonempty=True)
        for name in rule_fields:
            if name not in RULE_FIELDS:
                table.fail("fields", f"{name!r} is not one of {', '.join(RULE_FIELDS)}", needle=name)
        yield_to = table.str_list("yield_to_classes", required=False)
        for name in yield_to:
            if not vocabulary.has_mechanism(name):
                table.fail("yield_to_classes", f"unknown mechanism_class {name!r}", needle=name)
        rules.append(Rule(
            id=rule_id, agent=table.string("agent"), mechanism_class=klass, target=target,
            include=table.regex_list("include", nonempty=True), exclude=table.regex_list("exclude"),
            fields=rule_fields, note=table.string("note"),
            supersedes=table.str_list("supersedes", required=False),
            yield_to_classes=yield_to,
        ))
        rule_tables.append(table)
    ids = {r.id for r in rules}
    for rule, table in zip(rules, rule_tables, strict=True):
        for other in rule.supersedes:
            if other not in ids or other == rule.id:
                table.fail("supersedes", f"{other!r} is not the id of another [[rule]]", needle=other)

    traps: list[Trap] = []
    seen = {}
    for table in _entries(source, top, "trap", required=False):
        table.only(("id", "patterns", "note"))
        trap_id = _code(table, "id")
        _unique(table, "id", trap_id, seen, "trap id")
        traps.append(Trap(trap_id, table.regex_list("patterns", nonempty=True), table.string("note")))

    supports: list[Support] = []
    seen = {}
    for table in _entries(source, top, "support", required=False):
        table.only(("id", "agents", "mechanism_class", "target", "when_classes", "when_patterns",
                    "support_patterns", "note"))
        support_id = _code(table, "id")
        _unique(table, "id", support_id, seen, "support id")
        klass, target = table.string("mechanism_class"), table.string("target")
        row = _mechanism_ref(table, vocabulary, klass, target, "mechanism_class")
        agents = table.str_list("agents", nonempty=True)
        for name in agents:
            try:
                agent = catalogue.agent(name)
            except KeyError:
                table.fail("agents", f"{name!r} is not a catalogue agent name", needle=name)
            if row not in agent.mechanisms:
                table.fail("agents", f"agent {name!r} has no {row} row", needle=name)
        when_classes = table.str_list("when_classes", nonempty=True)
        for name in when_classes:
            if not vocabulary.has_mechanism(name):
                table.fail("when_classes", f"unknown mechanism_class {name!r}", needle=name)
        supports.append(Support(
            id=support_id, agents=agents, mechanism_class=row.mechanism_class, target=row.target,
            when_classes=when_classes, when_patterns=table.regex_list("when_patterns"),
            support_patterns=table.regex_list("support_patterns", nonempty=True), note=table.string("note"),
        ))

    gates: list[PartnerGate] = []
    seen = {}
    for table in _entries(source, top, "partner_gate", required=False):
        table.only(("id", "classes", "note"))
        gate_id = _code(table, "id")
        _unique(table, "id", gate_id, seen, "partner gate id")
        classes = table.str_list("classes", nonempty=True)
        for name in classes:
            if not vocabulary.has_mechanism(name):
                table.fail("classes", f"unknown mechanism_class {name!r}", needle=name)
            if vocabulary.role_of(name) != "partner":
                message = f"{name!r} is a tracked class; only partner classes are gated"
                table.fail("classes", message, needle=name)
        gates.append(PartnerGate(gate_id, classes, table.string("note")))

    return RuleSet(tuple(antigens), tuple(rules), tuple(traps), tuple(supports), tuple(gates), source.path)


def load_indications(path: Path | str | None = None, vocabulary: Vocabulary | None = None) -> IndicationMap:
    """Load and check indications.toml (the bundled one by default) against the vocabulary."""
    vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
    source = _Source(Path(path) if path is not None else INDICATIONS_FILE, "indication map")
    top = _top(source, ("indication", "fallback"), "indication map")
    codes = {c.code: c.area for c in vocabulary.indications}
    areas = {a.code for a in vocabulary.indication_areas}

    definitions: list[IndicationDef] = []
    seen: dict[str, _Table] = {}
    for table in _entries(source, top, "indication"):
        table.only(("code", "area", "mesh", "mesh_ids", "ancestor", "text", "exclude", "yield_to", "note"))
        code = table.string("code")
        if code not in codes:
            table.fail("code", f"{code!r} is not an indication code of the vocabulary")
        _unique(table, "code", code, seen, "indication")
        table.what = f"indication {code!r}"
        area = table.string("area")
        if area != codes[code]:
            table.fail("area", f"{code!r} belongs to area {codes[code]!r} in the vocabulary, not {area!r}")
        mesh = table.str_list("mesh")
        mesh_ids = _mesh_ids(table, len(mesh))
        ancestor = table.str_list("ancestor", required=False)
        text = table.regex_list("text")
        if not (mesh or ancestor or text):
            table.fail("text", "an indication needs at least one mesh, ancestor or text entry")
        yield_to = table.str_list("yield_to", required=False)
        for name in yield_to:
            if name not in codes and name not in areas:
                table.fail("yield_to", f"{name!r} is neither an indication code nor an area", needle=name)
            if name == code:
                table.fail("yield_to", "an indication cannot yield to itself", needle=name)
        definitions.append(IndicationDef(
            code=code, area=area, mesh=mesh, mesh_ids=mesh_ids, ancestor=ancestor, text=text,
            exclude=table.regex_list("exclude", required=False), yield_to=yield_to,
            note=table.string("note", required=False),
        ))

    raw = top.data.get("fallback")
    if raw is None:
        top.fail(None, "missing [fallback] table")
    fallback = _Table(source, "fallback", 0, raw, "[fallback]")
    fallback.only(("code", "note"))
    code = fallback.string("code")
    if code not in codes:
        fallback.fail("code", f"{code!r} is not an indication code of the vocabulary")
    return IndicationMap(tuple(definitions), code, source.path)


def _mesh_ids(table: _Table, count: int) -> tuple[str, ...]:
    value = table._get("mesh_ids", True)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        table.fail("mesh_ids", f"expected a list of strings, got {_type_name(value)}")
    if len(value) != count:
        table.fail("mesh_ids", f"has {len(value)} entries but mesh has {count}; use \"\" for an unknown ID")
    for mesh_id in value:
        if mesh_id and not _MESH_ID.match(mesh_id):
            table.fail("mesh_ids", f"{mesh_id!r} is not a MeSH descriptor ID like D002289", needle=mesh_id)
    return tuple(value)


def agent_table(catalogue: Catalogue) -> list[dict[str, Any]]:
    """Rows of the public `agents` view: one per catalogue agent."""
    return [
        {
            "name": agent.name,
            "aliases": list(agent.aliases),
            "mechanism_class": agent.mechanism_class,
            "target": agent.target,
            "modality": agent.modality,
            "role": agent.role,
            "review": agent.review,
            "evidence": agent.evidence,
            "source": agent.source,
            "also": [str(row) for row in agent.also],
            "note": agent.note,
        }
        for agent in catalogue.agents
    ]
