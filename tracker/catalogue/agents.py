"""Load and check agents.toml, the agent catalogue, against the vocabulary (field meanings: its header)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tracker.catalogue.model import Agent, Catalogue, MechanismRef, Vocabulary
from tracker.catalogue.paths import AGENTS_FILE
from tracker.catalogue.reader import Field, Kind, Source, Table, read_all, top
from tracker.catalogue.vocabulary import ROLES, load_vocabulary, mechanism_ref

MODALITIES = (
    "antibody", "bispecific", "fusion_protein", "cell_therapy", "engager", "cytokine", "small_molecule",
    "vaccine", "other",
)
REVIEW = ("named", "target", "none")
EVIDENCE = ("confirmed", "unconfirmed")
AGENT = Kind("agent", (
    Field("name"), Field("aliases", "strings"), Field("mechanism_class"), Field("target"),
    Field("also", "tables", required=False), Field("modality", choices=MODALITIES), Field("role", choices=ROLES),
    Field("review", choices=REVIEW), Field("evidence", choices=EVIDENCE), Field("source"),
    Field("note", required=False), Field("history", "strings", required=False),
    Field("yields_to_classes", "strings", required=False),
), key="name", unique_as="agent name (after folding case and punctuation)", named="agent")

_HISTORY = re.compile(r"^\d{4}-\d{2}-\d{2}: \S")
_ALIAS_NOISE = re.compile(r"[®™©]")


def alias_key(text: str) -> str:
    """Fold a name or alias the way the matcher compares them: lowercase alphanumerics only."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def load_catalogue(path: Path | str | None = None, vocabulary: Vocabulary | None = None) -> Catalogue:
    """Load and check agents.toml (the bundled one by default) against the vocabulary."""
    vocabulary = vocabulary if vocabulary is not None else load_vocabulary()
    source = Source(Path(path) if path is not None else AGENTS_FILE, "agent catalogue")
    tables = read_all(source, top(source, (AGENT.header,), "agent catalogue"), AGENT, fold=alias_key)
    agents = [_agent(table, vocabulary) for table in tables]
    _check_alias_claims(agents, tables)
    return Catalogue(tuple(agents), vocabulary, source.path)


def _agent(table: Table, vocabulary: Vocabulary) -> Agent:
    name, klass, role = table["name"], table["mechanism_class"], table["role"]
    if name != name.strip():
        table.fail("name", f"{name!r} has leading or trailing spaces")
    aliases = _aliases(table, name)
    primary = mechanism_ref(table, vocabulary, klass, table["target"], "mechanism_class")
    also = _also(table, vocabulary, primary)
    for row in also:
        if vocabulary.rank(row.mechanism_class, row.target) < vocabulary.rank(klass, primary.target):
            table.fail("mechanism_class", f"the primary row must come first in priority order, but {row} "
                       f"ranks before {primary}; make {row} the primary and move {primary} to also")
    if role != vocabulary.role_of(klass):
        table.fail("role", f"{klass} is a {vocabulary.role_of(klass)} class, so role must be "
                   f"{vocabulary.role_of(klass)!r}")
    for other in table["yields_to_classes"]:
        if not vocabulary.has_mechanism(other):
            table.fail("yields_to_classes", f"unknown mechanism_class {other!r}", needle=other)
    for entry in table["history"]:
        if not _HISTORY.match(entry):
            table.fail("history", f"entry {entry!r} must read 'YYYY-MM-DD: what changed and why'", needle=entry)
    return Agent(
        name=name, aliases=aliases, mechanism_class=klass, target=primary.target, modality=table["modality"],
        role=role, review=table["review"], evidence=table["evidence"], source=table["source"], also=also,
        note=table["note"], history=table["history"], yields_to_classes=table["yields_to_classes"],
        line=table.source.line_of("agent", table.index),
    )


def _aliases(table: Table, name: str) -> tuple[str, ...]:
    aliases: tuple[str, ...] = table["aliases"]
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


def _also(table: Table, vocabulary: Vocabulary, primary: MechanismRef) -> tuple[MechanismRef, ...]:
    """The agent's extra rows ({ mechanism_class, target } inline tables), each once."""
    also: list[MechanismRef] = []
    for raw in table["also"]:
        if set(raw) != {"mechanism_class", "target"} or not all(isinstance(v, str) for v in raw.values()):
            table.fail("also", 'each row must be { mechanism_class = "...", target = "..." }')
        row = mechanism_ref(table, vocabulary, raw["mechanism_class"], raw["target"], "also",
                            needle=raw["mechanism_class"])
        if row == primary or row in also:
            table.fail("also", f"row {row} is listed twice", needle=raw["mechanism_class"])
        also.append(row)
    return tuple(also)


def _check_alias_claims(agents: list[Agent], tables: list[Table]) -> None:
    """An alias may not be another agent's canonical name. An alias shared by agents with different
    mechanisms is a fixed-dose combination (Opdualag under relatlimab and nivolumab): allowed only when
    every agent lists it with the same spelling, so that a typo cannot merge two products."""
    name_owner = {alias_key(a.name): a for a in agents}
    first_claim: dict[str, tuple[Agent, str]] = {}
    for agent, table in zip(agents, tables, strict=True):
        for alias in agent.aliases:
            key = alias_key(alias)
            other = name_owner.get(key)
            if other is not None and other is not agent:
                table.fail("aliases", f"alias {alias!r} is the canonical name of agent {other.name!r} "
                           f"(line {other.line}); an agent cannot claim another agent's name", needle=alias)
            owner, spelling = first_claim.setdefault(key, (agent, alias))
            if owner is not agent and spelling != alias and set(owner.mechanisms) != set(agent.mechanisms):
                table.fail("aliases", f"alias {alias!r} collides with {spelling!r} of agent {owner.name!r} "
                           f"(line {owner.line}), which has other mechanisms; a fixed-dose combination must "
                           "list the same spelling under both agents", needle=alias)


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
