"""What the catalogue files hold, as frozen dataclasses (the loaders build them; nothing here reads a file)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

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
    colour: str
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
    colour: str


@dataclass(frozen=True)
class StatusGroup:
    code: str
    label: str
    statuses: tuple[str, ...]
    colour: str


@dataclass(frozen=True)
class IndicationArea:
    code: str
    label: str
    colour: str


@dataclass(frozen=True)
class IndicationCode:
    code: str
    area: str
    label: str


@dataclass(frozen=True)
class Vocabulary:
    """The public codes of vocabulary.toml, each kind in display order."""

    mechanisms: tuple[Mechanism, ...]
    phases: tuple[Phase, ...]
    # what the dashboard and `landscape_options` show for a study without a phases list (phase null)
    no_phase: Phase
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

    def palette(self) -> dict[str, dict[str, str]]:
        """code → colour of each coloured kind, in display order: what the dashboard's theme shows."""
        return {
            "mechanism_class": {m.code: m.colour for m in self.mechanisms},
            "phase": {p.code: p.colour for p in (*self.phases, self.no_phase)},
            "status_group": {g.code: g.colour for g in self.status_groups},
            "indication_area": {a.code: a.colour for a in self.indication_areas},
        }


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
    # its match in an intervention gives way to another agent or rule hit of these classes there (a platform
    # named inside a product's name: NK-92 in "BCMA CAR-NK92 cells")
    yields_to_classes: tuple[str, ...] = ()
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
    # the text fields it masks; empty: every field
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Placebo:
    """An intervention whose name says it is a placebo: none of its texts names a trial drug."""

    id: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class Placeholder:
    """An intervention name that names no product ("Study drug", a bare sponsor code): a gap other texts may fill."""

    id: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
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
    placebos: tuple[Placebo, ...] = ()
    placeholders: tuple[Placeholder, ...] = ()

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
    weak_text: tuple[str, ...] = ()
    yield_to: tuple[str, ...] = ()
    ancestor_yield_to: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class IndicationMap:
    """Every [[indication]] in evaluation order, and the code of trials nothing matched."""

    definitions: tuple[IndicationDef, ...]
    fallback: str
    path: Path


