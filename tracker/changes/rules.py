"""The compared fields (fields.toml) and the severity rules (severity.toml), loaded and checked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tracker.catalogue.reader import Field as Spec
from tracker.catalogue.reader import Kind, Source, Table, read_all, single, top

HERE = Path(__file__).parent
FIELDS_FILE = HERE / "fields.toml"
SEVERITY_FILE = HERE / "severity.toml"
KINDS = ("value", "date", "count", "flag", "list", "reworded", "landscape")
SEVERITIES = ("critical", "major", "minor")
# what the stage derives itself, beside the declared fields
EVENTS = {"new_trial": "New trial", "entered_scope": "Entered the scope", "left_scope": "Left the scope"}
PHASE_MOVES = ("advance", "regress")
OPTIONAL = ("column", "expression", "raw", "type", "added", "removed", "reworded", "on", "off")
FIELD = Kind("field", (
    Spec("code"), Spec("kind", choices=KINDS), Spec("label"), *(Spec(name, required=False) for name in OPTIONAL),
    Spec("labels", "flag"),
))
# the optional fields each kind of field needs
NEEDS = {"date": ("raw", "type"), "list": ("added", "removed"), "reworded": ("added", "removed", "reworded"),
         "landscape": ("on", "off")}
RULE = Kind("rule", (
    Spec("id"), Spec("fields", "strings", nonempty=True), Spec("severity", choices=SEVERITIES), Spec("reason"),
    Spec("new_in", "strings", required=False), Spec("old_in", "strings", required=False), Spec("new_present", "flag"),
    *(Spec(name, "number") for name in ("min_shift_days", "max_shift_days", "min_abs_pct")),
    Spec("phase_move", required=False, choices=PHASE_MOVES), Spec("nk_specific", "flag"),
    Spec("min_phase_rank", "number"),
), key="id", unique_as="rule id")
DEFAULT = Kind("default", (Spec("severity", choices=SEVERITIES), Spec("reason")))


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
    source = Source(path, "change fields")
    fields: list[Field] = []
    seen: set[str] = set(EVENTS)
    for table in read_all(source, top(source, [FIELD.header], "change fields"), FIELD):
        field = _field(table)
        for code in field.codes():
            if code in seen:
                table.fail("code", f"change code {code!r} is produced twice")
            seen.add(code)
        fields.append(field)
    return tuple(fields)


def _field(table: Table) -> Field:
    values = {name: table[name] or None for name in OPTIONAL}
    if (values["column"] is None) == (values["expression"] is None):
        table.fail(None, "give exactly one of column and expression")
    if values["expression"] is not None and "{side}" not in values["expression"]:
        table.fail("expression", "must name the snapshot as {side}.column")
    for name in NEEDS.get(table["kind"], ()):
        table.string(name)
    return Field(code=table["code"], kind=table["kind"], label=table["label"], labels=bool(table["labels"]),
                 **values)


def load_rules(path: Path | None = None, fields_path: Path = FIELDS_FILE) -> Rules:
    """Load fields.toml and the severity rules (the bundled ones unless `path` is given)."""
    fields = load_fields(fields_path)
    path = path or SEVERITY_FILE
    source = Source(path, "severity rules")
    root = top(source, [RULE.header, DEFAULT.header], "severity rules")
    known = set(EVENTS)
    for field in fields:
        known.update(field.codes())
    rules = tuple(_rule(table, known) for table in read_all(source, root, RULE))
    default = single(source, root, DEFAULT)
    fallback = Rule(id="default", fields=(), severity=default["severity"], reason=default["reason"])
    return Rules(fields=fields, rules=rules, default=fallback, path=str(path))


def _rule(table: Table, known: set[str]) -> Rule:
    for code in table["fields"]:
        if code not in known:
            table.fail("fields", f"unknown change code {code!r}", needle=code)
    return Rule(**table.values | {"phase_move": table["phase_move"] or None})
