"""Load and check rules.toml: generic rules, traps, placebos, support agents, partner gates (semantics: its header)."""

from __future__ import annotations

from pathlib import Path

from tracker.catalogue.agents import load_catalogue
from tracker.catalogue.model import (
    Antigen,
    Catalogue,
    PartnerGate,
    Placebo,
    Placeholder,
    Rule,
    RuleSet,
    Support,
    Trap,
    Vocabulary,
)
from tracker.catalogue.paths import RULES_FILE
from tracker.catalogue.reader import Field, Kind, Source, Table, read_all, top
from tracker.catalogue.vocabulary import load_vocabulary, mechanism_ref

RULE_FIELDS = ("name", "other_name", "description", "arm_group", "title")
# a rule whose target is this word takes the CAR antigen(s) found in the same text
ANTIGEN_TARGET = "antigen"
NOTE = Field("note")
ANTIGEN = Kind("antigen", (Field("code"), Field("patterns", "regexes", nonempty=True), Field("note", required=False)),
               key="code", unique_as="antigen", required=False)
RULE = Kind("rule", (
    Field("id", "code"), Field("agent"), Field("mechanism_class"), Field("target"),
    Field("include", "regexes", nonempty=True), Field("exclude", "regexes"),
    Field("fields", "strings", nonempty=True, choices=RULE_FIELDS), Field("supersedes", "strings", required=False),
    Field("yield_to_classes", "strings", required=False), NOTE,
), key="id", unique_as="rule id", named="rule")
TRAP = Kind("trap", (Field("id", "code"), Field("patterns", "regexes", nonempty=True),
                     Field("fields", "strings", required=False, choices=RULE_FIELDS), NOTE),
            key="id", unique_as="trap id", required=False)
SUPPORT = Kind("support", (
    Field("id", "code"), Field("agents", "strings", nonempty=True), Field("mechanism_class"), Field("target"),
    Field("when_classes", "strings", nonempty=True), Field("when_patterns", "regexes"),
    Field("support_patterns", "regexes", nonempty=True), NOTE,
), key="id", unique_as="support id", required=False)
PARTNER_GATE = Kind("partner_gate", (Field("id", "code"), Field("classes", "strings", nonempty=True), NOTE),
                    key="id", unique_as="partner gate id", required=False)
PLACEBO = Kind("placebo", (Field("id", "code"), Field("include", "regexes", nonempty=True), Field("exclude", "regexes"),
                           NOTE), key="id", unique_as="placebo id", required=False)
PLACEHOLDER = Kind("placeholder", (Field("id", "code"), Field("include", "regexes", nonempty=True),
                                   Field("exclude", "regexes"), NOTE),
                   key="id", unique_as="placeholder id", required=False)
KINDS = (ANTIGEN, RULE, TRAP, PLACEBO, PLACEHOLDER, SUPPORT, PARTNER_GATE)


def load_rules(path: Path | str | None = None, vocabulary: Vocabulary | None = None,
               catalogue: Catalogue | None = None) -> RuleSet:
    """Load and check rules.toml (the bundled one by default); support agents must be in the catalogue."""
    vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
    catalogue = catalogue if catalogue is not None else load_catalogue(vocabulary=vocabulary)
    source = Source(Path(path) if path is not None else RULES_FILE, "rules")
    root = top(source, (kind.header for kind in KINDS), "rules")
    antigens = _antigens(read_all(source, root, ANTIGEN), vocabulary)
    return RuleSet(
        antigens=antigens,
        rules=_rules(read_all(source, root, RULE), vocabulary, bool(antigens)),
        traps=tuple(Trap(t["id"], t["patterns"], t["note"], tuple(t["fields"] or ()))
                    for t in read_all(source, root, TRAP)),
        supports=tuple(_support(t, vocabulary, catalogue) for t in read_all(source, root, SUPPORT)),
        partner_gates=tuple(_partner_gate(t, vocabulary) for t in read_all(source, root, PARTNER_GATE)),
        path=source.path,
        placebos=tuple(Placebo(**t.values) for t in read_all(source, root, PLACEBO)),
        placeholders=tuple(Placeholder(**t.values) for t in read_all(source, root, PLACEHOLDER)),
    )


def _antigens(tables: list[Table], vocabulary: Vocabulary) -> tuple[Antigen, ...]:
    car_targets = vocabulary.mechanism("car_nk").target_codes if vocabulary.has_mechanism("car_nk") else ()
    for table in tables:
        code = table["code"]
        if code not in car_targets or code == "unspecified":
            table.fail("code", f"{code!r} is not a car_nk target code (targets: {', '.join(car_targets)})")
    return tuple(Antigen(t["code"], t["patterns"], t["note"]) for t in tables)


def _rules(tables: list[Table], vocabulary: Vocabulary, has_antigens: bool) -> tuple[Rule, ...]:
    for table in tables:
        klass, target = table["mechanism_class"], table["target"]
        if target == ANTIGEN_TARGET:
            if klass != "car_nk":
                table.fail("target", f"target {ANTIGEN_TARGET!r} (the CAR antigen) is only for car_nk rules")
            if not has_antigens:
                table.fail("target", f"target {ANTIGEN_TARGET!r} needs [[antigen]] entries")
            if not vocabulary.has_mechanism(klass):
                table.fail("mechanism_class", f"unknown mechanism_class {klass!r}")
        else:
            mechanism_ref(table, vocabulary, klass, target, "mechanism_class")
        _known_classes(table, "yield_to_classes", vocabulary)
    ids = {t["id"] for t in tables}
    for table in tables:
        for other in table["supersedes"]:
            if other not in ids or other == table["id"]:
                table.fail("supersedes", f"{other!r} is not the id of another [[rule]]", needle=other)
    return tuple(Rule(**t.values) for t in tables)


def _support(table: Table, vocabulary: Vocabulary, catalogue: Catalogue) -> Support:
    row = mechanism_ref(table, vocabulary, table["mechanism_class"], table["target"], "mechanism_class")
    for name in table["agents"]:
        try:
            agent = catalogue.agent(name)
        except KeyError:
            table.fail("agents", f"{name!r} is not a catalogue agent name", needle=name)
        if row not in agent.mechanisms:
            table.fail("agents", f"agent {name!r} has no {row} row", needle=name)
    _known_classes(table, "when_classes", vocabulary)
    return Support(**table.values)


def _partner_gate(table: Table, vocabulary: Vocabulary) -> PartnerGate:
    _known_classes(table, "classes", vocabulary)
    for name in table["classes"]:
        if vocabulary.role_of(name) != "partner":
            table.fail("classes", f"{name!r} is a tracked class; only partner classes are gated", needle=name)
    return PartnerGate(**table.values)


def _known_classes(table: Table, field: str, vocabulary: Vocabulary) -> None:
    for name in table[field]:
        if not vocabulary.has_mechanism(name):
            table.fail(field, f"unknown mechanism_class {name!r}", needle=name)
