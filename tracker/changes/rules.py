"""The compared fields (fields.toml) and the severity rules (severity.toml), loaded and checked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tracker.catalogue import _entries, _Source, _Table, _top
from tracker.errors import CatalogueError

HERE = Path(__file__).parent
FIELDS_FILE = HERE / "fields.toml"
SEVERITY_FILE = HERE / "severity.toml"
KINDS = ("value", "date", "count", "flag", "list", "reworded", "landscape")
SEVERITIES = ("critical", "major", "minor")
# what the stage derives itself, beside the declared fields
EVENTS = {"new_trial": "New trial", "entered_scope": "Entered the scope", "left_scope": "Left the scope"}
PHASE_MOVES = ("advance", "regress")


@dataclass(frozen=True)
class Field:
    """One compared field: how to read it from a snapshot and which change codes it produces."""

    code: str
    kind: str
    label: str
    column: str | None = None
    expression: str | None = None
    raw: str | None = None
    type: str | None = None
    added: str | None = None
    removed: str | None = None
    reworded: str | None = None
    on: str | None = None
    off: str | None = None
    labels: bool = False

    def value(self, side: str) -> str:
        """SQL for the compared value on one side (`before` or `after`)."""
        if self.expression is not None:
            return self.expression.replace("{side}", side)
        return f"{side}.{self.column}"

    def codes(self) -> dict[str, str]:
        """Every change code this field can produce, with its label."""
        if self.kind in ("list", "reworded"):
            codes = {self.added or "": f"{self.label} added", self.removed or "": f"{self.label} removed"}
            if self.kind == "reworded":
                codes[self.reworded or ""] = f"{self.label} reworded"
            return codes
        if self.kind in ("flag", "landscape") and self.on and self.off:
            return {self.on: f"{self.label}: in", self.off: f"{self.label}: out"}
        return {self.code: self.label}


@dataclass(frozen=True)
class Rule:
    """One severity rule: conditions on a change, and the severity and reason when they all hold."""

    id: str
    fields: tuple[str, ...]
    severity: str
    reason: str
    new_in: tuple[str, ...] = ()
    old_in: tuple[str, ...] = ()
    new_present: bool | None = None
    min_shift_days: float | None = None
    max_shift_days: float | None = None
    min_abs_pct: float | None = None
    phase_move: str | None = None
    nk_specific: bool | None = None
    min_phase_rank: float | None = None


@dataclass(frozen=True)
class Rules:
    fields: tuple[Field, ...]
    rules: tuple[Rule, ...]
    default: Rule
    path: str

    def labels(self) -> dict[str, str]:
        """change code → label, for every code the stage can write."""
        labels = dict(EVENTS)
        for field in self.fields:
            labels.update(field.codes())
        return labels


def load_fields(path: Path = FIELDS_FILE) -> tuple[Field, ...]:
    """Load and check fields.toml; a mistake is a CatalogueError naming file, line and field."""
    source = _Source(path, "change fields")
    top = _top(source, ["field"], "change fields")
    fields: list[Field] = []
    seen: set[str] = set(EVENTS)
    for table in _entries(source, top, "field"):
        table.only(["code", "kind", "label", "column", "expression", "raw", "type", "added", "removed",
                    "reworded", "on", "off", "labels"])
        field = _field(table)
        for code in field.codes():
            if code in seen:
                table.fail("code", f"change code {code!r} is produced twice")
            seen.add(code)
        fields.append(field)
    return tuple(fields)


def _field(table: _Table) -> Field:
    kind = table.string("kind", choices=KINDS)
    column = table.string("column", required=False) or None
    expression = table.string("expression", required=False) or None
    if (column is None) == (expression is None):
        table.fail(None, "give exactly one of column and expression")
    if expression is not None and "{side}" not in expression:
        table.fail("expression", "must name the snapshot as {side}.column")
    needs = {"date": ("raw", "type"), "list": ("added", "removed"), "reworded": ("added", "removed", "reworded"),
             "flag": (), "landscape": ("on", "off")}.get(kind, ())
    values = {name: table.string(name, required=name in needs) or None
              for name in ("raw", "type", "added", "removed", "reworded", "on", "off")}
    labels = table.data.get("labels", False)
    if not isinstance(labels, bool):
        table.fail("labels", "expected true or false")
    return Field(code=table.string("code"), kind=kind, label=table.string("label"), column=column,
                 expression=expression, labels=labels, **values)


def load_rules(path: Path | None = None, fields_path: Path = FIELDS_FILE) -> Rules:
    """Load fields.toml and the severity rules (the bundled ones unless `path` is given)."""
    fields = load_fields(fields_path)
    path = path or SEVERITY_FILE
    source = _Source(path, "severity rules")
    top = _top(source, ["rule", "default"], "severity rules")
    known = set(EVENTS)
    for field in fields:
        known.update(field.codes())
    rules, seen = [], set()
    for table in _entries(source, top, "rule"):
        rule = _rule(table, known)
        if rule.id in seen:
            table.fail("id", f"duplicate rule id {rule.id!r}")
        seen.add(rule.id)
        rules.append(rule)
    default_data = top.data.get("default")
    if not isinstance(default_data, dict):
        raise CatalogueError(str(path), None, "default", "severity rules: a [default] table is required")
    default = _Table(source, "default", 0, default_data, "[default]")
    default.only(["severity", "reason"])
    fallback = Rule(id="default", fields=(), severity=default.string("severity", choices=SEVERITIES),
                    reason=default.string("reason"))
    return Rules(fields=fields, rules=tuple(rules), default=fallback, path=str(path))


def _rule(table: _Table, known: set[str]) -> Rule:
    table.only(["id", "fields", "severity", "reason", "new_in", "old_in", "new_present", "min_shift_days",
                "max_shift_days", "min_abs_pct", "phase_move", "nk_specific", "min_phase_rank"])
    fields = table.str_list("fields", nonempty=True)
    for code in fields:
        if code not in known:
            table.fail("fields", f"unknown change code {code!r}", needle=code)
    flags = {}
    for name in ("new_present", "nk_specific"):
        value = table.data.get(name)
        if value is not None and not isinstance(value, bool):
            table.fail(name, "expected true or false")
        flags[name] = value
    phase_move = table.string("phase_move", required=False, choices=PHASE_MOVES) or None
    return Rule(
        id=table.string("id"), fields=fields, severity=table.string("severity", choices=SEVERITIES),
        reason=table.string("reason"), new_in=table.str_list("new_in", required=False),
        old_in=table.str_list("old_in", required=False), new_present=flags["new_present"],
        min_shift_days=table.number("min_shift_days"), max_shift_days=table.number("max_shift_days"),
        min_abs_pct=table.number("min_abs_pct"), phase_move=phase_move, nk_specific=flags["nk_specific"],
        min_phase_rank=table.number("min_phase_rank"),
    )
