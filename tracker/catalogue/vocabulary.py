"""Load and check vocabulary.toml: the public codes, their labels, display order and colours.

It is the one copy of them: the SQL macros read it through the ref.* tables written from it
(tracker/reference.py), the dashboard's theme through `Vocabulary.palette`.
"""

from __future__ import annotations

from pathlib import Path

from tracker.catalogue.model import (
    IndicationArea,
    IndicationCode,
    Mechanism,
    MechanismRef,
    Phase,
    StatusGroup,
    Target,
    Vocabulary,
)
from tracker.catalogue.paths import VOCABULARY_FILE
from tracker.catalogue.reader import Field, Kind, Source, Table, read_all, single, top, unique

ROLES = ("tracked", "partner")
CTGOV_PHASES = ("NA", "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4")
CTGOV_STATUSES = (
    "ACTIVE_NOT_RECRUITING", "COMPLETED", "ENROLLING_BY_INVITATION", "NOT_YET_RECRUITING", "RECRUITING",
    "SUSPENDED", "TERMINATED", "WITHDRAWN", "AVAILABLE", "NO_LONGER_AVAILABLE", "TEMPORARILY_NOT_AVAILABLE",
    "APPROVED_FOR_MARKETING", "WITHHELD", "UNKNOWN",
)
# the views have always typed phase_rank decimal(2,1) (the CASE of literals it was): ranks must fit it
MAX_PHASE_RANK = 9.9

LABEL, COLOUR = Field("label"), Field("colour", "colour")
MECHANISM = Kind("mechanism", (
    Field("code", "code"), LABEL, Field("priority", "integer"), Field("role", choices=ROLES),
    Field("targets", "tables"), COLOUR, Field("note", required=False),
), key="code", unique_as="mechanism class")
PHASE = Kind("phase", (
    Field("ctgov", "strings", nonempty=True, choices=CTGOV_PHASES), Field("code"), Field("phase_rank", "number"),
    LABEL, COLOUR,
), key="code", unique_as="phase")
NO_PHASE = Kind("no_phase", (Field("code"), LABEL, COLOUR))
STATUS_GROUP = Kind("status_group", (
    Field("code", "code"), LABEL, Field("statuses", "strings", nonempty=True, choices=CTGOV_STATUSES), COLOUR,
), key="code", unique_as="status group")
INDICATION_AREA = Kind("indication_area", (Field("code", "code"), LABEL, COLOUR),
                       key="code", unique_as="indication area")
INDICATION = Kind("indication", (Field("code", "code"), Field("area"), LABEL), key="code", unique_as="indication")
KINDS = (MECHANISM, PHASE, NO_PHASE, STATUS_GROUP, INDICATION_AREA, INDICATION)


def load_vocabulary(path: Path | str | None = None) -> Vocabulary:
    """Load and check vocabulary.toml (the bundled one by default)."""
    source = Source(Path(path) if path is not None else VOCABULARY_FILE, "vocabulary")
    root = top(source, (kind.header for kind in KINDS), "vocabulary")
    phases = _phases(read_all(source, root, PHASE))
    areas = tuple(IndicationArea(t["code"], t["label"], t["colour"]) for t in read_all(source, root, INDICATION_AREA))
    return Vocabulary(
        mechanisms=_mechanisms(read_all(source, root, MECHANISM)),
        phases=phases,
        no_phase=_no_phase(single(source, root, NO_PHASE), phases),
        status_groups=_status_groups(root, read_all(source, root, STATUS_GROUP)),
        indication_areas=areas,
        indications=_indications(read_all(source, root, INDICATION), areas),
        path=source.path,
    )


def _mechanisms(tables: list[Table]) -> tuple[Mechanism, ...]:
    mechanisms: list[Mechanism] = []
    priorities: dict[str, Table] = {}
    for table in tables:
        priority = table["priority"]
        unique(table, "priority", str(priority), priorities, "priority")
        if mechanisms and priority <= mechanisms[-1].priority:
            table.fail("priority", "mechanism classes must be listed in increasing priority order")
        mechanisms.append(Mechanism(table["code"], table["label"], priority, table["role"], _targets(table),
                                    table["colour"], table["note"]))
    return tuple(mechanisms)


def _targets(table: Table) -> tuple[Target, ...]:
    """The inline {code, label} tables of a mechanism class, in their tie-break order."""
    targets: list[Target] = []
    if not table["targets"]:
        table.fail("targets", "a mechanism class needs at least one target")
    for raw in table["targets"]:
        needle = raw.get("code") if isinstance(raw.get("code"), str) else None
        unknown = set(raw) - {"code", "label"}
        if unknown or not isinstance(raw.get("code"), str) or not isinstance(raw.get("label"), str):
            table.fail("targets", 'each target must be { code = "...", label = "..." }', needle=needle)
        if not raw["code"].strip():
            table.fail("targets", "empty target code", needle=needle)
        if any(t.code == raw["code"] for t in targets):
            table.fail("targets", f"duplicate target {raw['code']!r}", needle=needle, occurrence=1)
        targets.append(Target(raw["code"], raw["label"]))
    return tuple(targets)


def _phases(tables: list[Table]) -> tuple[Phase, ...]:
    owner: dict[tuple[str, ...], str] = {}
    phases: list[Phase] = []
    for table in tables:
        ctgov, rank = table["ctgov"], table["phase_rank"]
        if list(ctgov) != sorted(ctgov):
            table.fail("ctgov", "list the CT.gov phases sorted, as the tracker sorts them before lookup")
        if ctgov in owner:
            # the SQL looks a study's phase up by this list: one phase each
            table.fail("ctgov", f"{', '.join(ctgov)} is already phase {owner[ctgov]!r}")
        owner[ctgov] = table["code"]
        if rank is not None and not (0 <= rank <= MAX_PHASE_RANK and round(rank, 1) == rank):
            table.fail("phase_rank", f"must be between 0 and {MAX_PHASE_RANK} with at most one decimal")
        phases.append(Phase(ctgov, table["code"], rank, table["label"], table["colour"]))
    return tuple(phases)


def _no_phase(table: Table, phases: tuple[Phase, ...]) -> Phase:
    if any(p.code == table["code"] for p in phases):
        table.fail("code", f"{table['code']!r} is already a [[phase]] code")
    return Phase((), table["code"], None, table["label"], table["colour"])


def _status_groups(root: Table, tables: list[Table]) -> tuple[StatusGroup, ...]:
    owner: dict[str, str] = {}
    for table in tables:
        for status in table["statuses"]:
            if status in owner:
                message = f"{status!r} is already in status group {owner[status]!r}"
                table.fail("statuses", message, needle=status)
            owner[status] = table["code"]
    missing = [s for s in CTGOV_STATUSES if s not in owner]
    if missing:
        root.fail(None, f"CT.gov statuses in no [[status_group]]: {', '.join(missing)}")
    return tuple(StatusGroup(t["code"], t["label"], t["statuses"], t["colour"]) for t in tables)


def _indications(tables: list[Table], areas: tuple[IndicationArea, ...]) -> tuple[IndicationCode, ...]:
    codes = [a.code for a in areas]
    for table in tables:
        if table["area"] not in codes:
            table.fail("area", f"{table['area']!r} is not one of {', '.join(codes)}")
    return tuple(IndicationCode(t["code"], t["area"], t["label"]) for t in tables)


def mechanism_ref(table: Table, vocabulary: Vocabulary, klass: str, target: str, field: str,
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
