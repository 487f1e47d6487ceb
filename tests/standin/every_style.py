"""A synthetic registry whose tracked agents are written in every style registrants use (issue 12).

For every tracked agent of the bundled catalogue, trials in a rotation of styles (each agent in at least
three; each style for many agents): its canonical name; a brand or other alias; the development code
re-spelled joined, hyphenated or spaced; the name only in `otherNames` under a local label; a placeholder
intervention ("Study drug", "Allogeneic cell therapy", a bare sponsor code) with the agent only in the
arm-group description, the intervention description or the title; with another agent's matching placebo
beside it; a combination with a second agent. Besides: class-only wordings ("PD-1 inhibitor"), a
product's nature only ("off-the-shelf NK cells" in an arm), fixed combinations (QL1706), and decoys that
must stay out (NK/T-cell lymphoma, PD-L1 as a biomarker, prior therapy, look-alike codes, a placebo of an
agent, CIK, NKT, CAR-T, NK activity as a lab test), and unrelated filler trials.

Each record is a study of :class:`~tests.standin.synthetic.StudyBuilder` (real modules, sponsors, dates,
sites, conditions) whose titles, arms, interventions and intervention MeSH are replaced by the spec's.
Expected rows come from the catalogue's declared classes (:mod:`.style_specs`), never from the classifier.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any, Final

from tests.standin.agents_table import INTERVENTIONS
from tests.standin.conditions_table import CONDITIONS
from tests.standin.corpus import _real_records
from tests.standin.plans import VARIANTS, Plan
from tests.standin.style_decoys import decoy_specs, filler_specs
from tests.standin.style_specs import (
    CLASS_PHRASES,
    NATURE_TEXTS,
    Intr,
    TrialSpec,
    agent_rows,
    code_respellings,
    is_code,
    spelling_key,
)
from tests.standin.synthetic import StudyBuilder
from tracker.catalogue import Agent
from tracker.demo.registry import Study
from tracker.landscape import Domain

__all__ = ["START_ID", "every_style_registry", "every_style_specs"]

START_ID: Final = 96_000_001  # NCT96000001…: the reserved synthetic range
_TYPE_LABEL: Final = {"DRUG": "Drug", "BIOLOGICAL": "Biological", "RADIATION": "Radiation",
                      "BEHAVIORAL": "Behavioral", "DIAGNOSTIC_TEST": "Diagnostic Test", "OTHER": "Other"}
_PLACEHOLDERS: Final = {"cell": ("Allogeneic cell therapy", "Off-the-shelf cell product",
                                  "Investigational cell therapy"),
                        "drug": ("Study drug", "Investigational antibody", "Investigational product")}
_SOLID: Final = ("nsclc", "melanoma", "hnscc", "gastric", "hcc", "crc", "bladder", "solid")
_HEME: Final = ("aml", "mds", "bcl", "myeloma", "all")
_CELL_MODALITIES: Final = frozenset({"cell_therapy"})


def _is_cell(agent: Agent) -> bool:
    return agent.modality in _CELL_MODALITIES


def _condition(agent: Agent, n: int) -> str:
    pool = _HEME if _is_cell(agent) else _SOLID
    return pool[n % len(pool)]


def _itype(agent: Agent) -> str:
    return "BIOLOGICAL" if _is_cell(agent) or agent.modality != "small_molecule" and hash(agent.name) % 2 else "DRUG"


def _bare_code(n: int) -> str:
    # a sponsor code no catalogue agent and no scope term spells (ZQ is no catalogue prefix: checked by the test)
    return f"ZQ-{7100 + n}"


def _how(agent: Agent) -> str:
    return "Given IV on day 0 after lymphodepletion" if _is_cell(agent) else "Given IV every 3 weeks"


def _spelled(agent: Agent, name: str, style: str, n: int, agents: tuple[Agent, ...],
             other: Sequence[str] = ()) -> TrialSpec:
    """A trial whose one product is written `name` (its rows: every agent that name spells)."""
    cond = CONDITIONS[_condition(agent, n)].texts[0]
    intr = Intr(name, _itype(agent), _how(agent), tuple(other))
    return TrialSpec(style, agent.name, (intr,), agent_rows(agents, name), f"A Study of {name} in Patients With {cond}",
                     condition=_condition(agent, n))


def _placeholder(agent: Agent, style: str, n: int) -> TrialSpec:
    """The product registered under a placeholder; the agent only in the arm, the description or the title."""
    kind = "cell" if _is_cell(agent) else "drug"
    names = (*_PLACEHOLDERS[kind], _bare_code(n)) if kind == "drug" else _PLACEHOLDERS[kind]
    label = names[n % len(names)]
    cond_key = _condition(agent, n)
    cond = CONDITIONS[cond_key].texts[0]
    rows = frozenset((m.mechanism_class, m.target) for m in agent.mechanisms)
    neutral = f"A Phase 1/2 Study of an Investigational Therapy in Patients With {cond}"
    if style == "arm_group":
        intr = Intr(label, _itype(agent), "See arm description.")
        verb = "are infused with" if kind == "cell" else "receive"
        return TrialSpec(style, agent.name, (intr,), rows, neutral, condition=cond_key,
                         arm_texts=(f"Participants {verb} {agent.name} on day 1 of each 21-day cycle.",))
    if style == "description":
        intr = Intr(label, _itype(agent), f"{agent.name}, {_how(agent).lower()}")
        return TrialSpec(style, agent.name, (intr,), rows, neutral, condition=cond_key,
                         arm_texts=("Participants receive the investigational product.",))
    nature = "Off-the-shelf NK Cells" if kind == "cell" else "the Investigational Agent"
    title = f"{nature} ({agent.name}) in Patients With {cond}"
    intr = Intr(label, _itype(agent), "See protocol.")
    return TrialSpec("title", agent.name, (intr,), rows, title, condition=cond_key,
                     arm_texts=("Participants receive the investigational product.",))


def _with_placebo(agent: Agent, other: Agent, n: int) -> TrialSpec:
    """The agent, and a matching placebo of another agent: the placebo is not that agent."""
    cond_key = _condition(agent, n)
    cond = CONDITIONS[cond_key].texts[0]
    wording = (f"Placebo for {other.name}", f"{other.name} placebo", f"Matching placebo ({other.name})")[n % 3]
    interventions = (Intr(agent.name, _itype(agent), _how(agent)),
                     Intr(wording, "DRUG", f"Placebo matching {other.name}, given IV"))
    rows = frozenset((m.mechanism_class, m.target) for m in agent.mechanisms)
    return TrialSpec("placebo_of_other", agent.name, interventions, rows,
                     f"{agent.name} Versus Placebo in {cond}", condition=cond_key, arm_groups=((0,), (1,)),
                     arm_texts=(f"Participants receive {agent.name}.", f"Participants receive placebo matching "
                                                                       f"{other.name}."))


def _agent_styles(agent: Agent, n: int, agents: tuple[Agent, ...]) -> list[TrialSpec]:
    """Three to five trials of one agent, the styles rotating with its index n."""
    specs = [_spelled(agent, agent.name, "name", n, agents)]
    codes = [name for name in agent.names if is_code(name)]
    aliases = [a for a in agent.aliases if not is_code(a) and spelling_key(a) != spelling_key(agent.name)]
    if codes:
        code = codes[n % len(codes)]
        respelled = code_respellings(code)
        if respelled:
            style = sorted(respelled)[n % len(respelled)]
            specs.append(_spelled(agent, respelled[style], style, n, agents))
    if aliases:
        specs.append(_spelled(agent, aliases[n % len(aliases)], "alias", n + 1, agents))
    if n % 2:
        local = f"{agent.name.split()[0][:3].upper()} regimen {n % 7 + 1}"
        specs.append(_spelled(agent, local, "other_name", n + 2, agents, other=(agent.name,)))
        specs[-1] = TrialSpec("other_name", agent.name, specs[-1].interventions,
                              frozenset((m.mechanism_class, m.target) for m in agent.mechanisms),
                              f"{local} in Patients With {CONDITIONS[specs[-1].condition].texts[0]}",
                              condition=specs[-1].condition)
    for k, style in enumerate(("arm_group", "description", "title")):
        if (n + k) % 3 != 2:
            specs.append(_placeholder(agent, style, n + k))
    return specs


def _class_only(n: int) -> Iterator[TrialSpec]:
    for k, (phrase, row) in enumerate(CLASS_PHRASES):
        cond_key = _SOLID[(n + k) % len(_SOLID)]
        cond = CONDITIONS[cond_key].texts[0]
        yield TrialSpec("class_only", phrase, (Intr(phrase, "BIOLOGICAL", "Given IV every 3 weeks"),
                                               Intr("Carboplatin", "DRUG", "AUC 5 IV on day 1")),
                        frozenset({row}), f"{phrase} Plus Carboplatin in {cond}", condition=cond_key)
    for k, (name, text, row) in enumerate(NATURE_TEXTS):
        cond_key = (_HEME if row[0] == "adoptive_nk" else _SOLID)[(n + k) % 5]
        where_arm = (n + k) % 2 == 0
        intr = Intr(name, "BIOLOGICAL", "See arm description." if where_arm else text)
        yield TrialSpec("nature_only", text, (intr,), frozenset({row}),
                        f"A Phase 1 Study of an Investigational Therapy in {CONDITIONS[cond_key].texts[0]}",
                        condition=cond_key,
                        arm_texts=(text if where_arm else "Participants receive the investigational product.",))


def _combinations(agents: tuple[Agent, ...]) -> Iterator[TrialSpec]:
    """Fixed combinations (one name, two agents) and two agents in two interventions."""
    by_key: dict[str, list[Agent]] = {}
    for agent in agents:
        for name in agent.aliases:
            by_key.setdefault(spelling_key(name), []).append(agent)
    fixed = sorted({name for a in agents for name in a.aliases if len(by_key[spelling_key(name)]) > 1})
    for n, name in enumerate(fixed):
        spec = _spelled(by_key[spelling_key(name)][0], name, "fixed_combination", n, agents)
        yield spec
    nk = [a for a in agents if a.mechanism_class in ("nk_checkpoint", "car_nk", "adoptive_nk", "nk_engager")]
    partners = [a for a in agents if a.mechanism_class == "immune_checkpoint"]
    for n, agent in enumerate(nk):
        other = partners[(n * 7) % len(partners)]
        cond_key = _condition(agent, n)
        rows = frozenset((m.mechanism_class, m.target) for a in (agent, other) for m in a.mechanisms)
        yield TrialSpec("combination", f"{agent.name} + {other.name}",
                        (Intr(agent.name, _itype(agent), _how(agent)), Intr(other.name, "BIOLOGICAL", _how(other))),
                        rows, f"{agent.name} and {other.name} in {CONDITIONS[cond_key].texts[0]}", condition=cond_key)


def every_style_specs(seed: int = 12) -> list[TrialSpec]:
    """Every trial of the registry: agents in rotating styles, class-only wordings, combinations, decoys, filler."""
    agents = Domain.load().catalogue.tracked
    rng = random.Random(f"every-style/{seed}")
    specs: list[TrialSpec] = []
    for n, agent in enumerate(agents):
        specs += _agent_styles(agent, n, agents)
        if n % 3 == 0:
            others = [a for a in agents if a.mechanism_class != agent.mechanism_class]
            specs.append(_with_placebo(agent, rng.choice(others), n))
        if agent.also and n % 2 == 0:
            specs.append(_spelled(agent, agent.name, "bispecific_or_fusion", n + 3, agents))
    for n in range(3):
        specs += _class_only(n)
    specs += _combinations(agents)
    specs += decoy_specs(agents, rng)
    specs += filler_specs(rng)
    return specs


def _base_plan(spec: TrialSpec, index: int) -> Plan:
    phases = (["PHASE1"], ["PHASE1", "PHASE2"], ["PHASE2"], ["PHASE3"])[index % 4]
    status = ("RECRUITING", "COMPLETED", "ACTIVE_NOT_RECRUITING", "NOT_YET_RECRUITING")[index % 4]
    return Plan(index, VARIANTS[0], [INTERVENTIONS["carboplatin"]], [], [CONDITIONS[spec.condition]],
                "INTERVENTIONAL", phases, status)


def _arms(spec: TrialSpec) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    groups = spec.arm_groups or (tuple(range(len(spec.interventions))),)
    arms, labels_of = [], {i: [] for i in range(len(spec.interventions))}  # type: ignore[var-annotated]
    for k, members in enumerate(groups):
        label = f"Arm {'ABCDEFGH'[k]}" if len(groups) > 1 else "Experimental"
        text = spec.arm_texts[k] if k < len(spec.arm_texts) else (
            f"Participants receive {', '.join(spec.interventions[i].name for i in members)}.")
        arms.append({"label": label, "type": "EXPERIMENTAL" if k == 0 else "PLACEBO_COMPARATOR", "description": text,
                     "interventionNames": [f"{_TYPE_LABEL[spec.interventions[i].type]}: {spec.interventions[i].name}"
                                           for i in members]})
        for i in members:
            labels_of[i].append(label)
    interventions = []
    for i, intr in enumerate(spec.interventions):
        entry: dict[str, Any] = {"type": intr.type, "name": intr.name,
                                 "description": intr.description or "See protocol.", "armGroupLabels": labels_of[i]}
        if intr.other_names:
            entry["otherNames"] = list(intr.other_names)
        interventions.append(entry)
    return arms, interventions


def _study(builder: StudyBuilder, spec: TrialSpec, index: int) -> Study:
    study = builder.build(_base_plan(spec, index))
    protocol = study["protocolSection"]
    ident = protocol["identificationModule"]
    ident["briefTitle"] = spec.title
    ident["officialTitle"] = spec.official_title or f"An Open-Label Study: {spec.title}"
    ident.pop("acronym", None)
    protocol["descriptionModule"] = {"briefSummary": f"This study evaluates the treatment described in its arms "
                                                     f"in {CONDITIONS[spec.condition].texts[0]}."}
    protocol["conditionsModule"].pop("keywords", None)
    arms, interventions = _arms(spec)
    protocol["armsInterventionsModule"] = {"armGroups": arms, "interventions": interventions}
    # the intervention MeSH of a real record would name the INN; here no MeSH, so styles stand alone
    study["derivedSection"].pop("interventionBrowseModule", None)
    return study


def every_style_registry(seed: int = 12) -> tuple[list[Study], dict[str, TrialSpec]]:
    """The studies and, by NCT id, the spec each was built from."""
    specs = every_style_specs(seed)
    builder = StudyBuilder(_real_records(), seed, START_ID, (2012, 2026))
    studies = [_study(builder, spec, i) for i, spec in enumerate(specs)]
    by_id = {s["protocolSection"]["identificationModule"]["nctId"]: spec
             for s, spec in zip(studies, specs, strict=True)}
    return studies, by_id
