"""Decoys and filler of the every-style registry: trials that must stay out of the landscape.

Decoys look like tracked trials to a keyword search (agents.md §4): the fixed set of :data:`.style_specs.DECOYS`
(NK/T-cell lymphoma, PD-L1 as a biomarker, CIK, NKT, CAR-T, NK activity as a lab test, anti-KIR3DL2), and per
agent: a look-alike code (one more digit: MK-34756 is not MK-3475), a tracked agent named only as prior
therapy ("after progression on pembrolizumab") in an arm or intervention description, and a trial whose only
mention of an agent is its matching placebo. Filler trials name nothing the scope looks for.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Final

from tests.standin.style_specs import DECOYS, Intr, TrialSpec, is_code, spelling_key
from tracker.catalogue import Agent

__all__ = ["decoy_specs", "filler_specs"]

_HISTORY: Final = ("after progression on {x}", "who progressed on {x}", "refractory to {x}",
                   "previously treated with {x}", "after failure of {x}")
_BACKBONES: Final = (Intr("Docetaxel", description="75 mg/m2 IV on day 1 of each 21-day cycle"),
                     Intr("Paclitaxel", description="80 mg/m2 IV weekly"),
                     Intr("Azacitidine", description="75 mg/m2 SC on days 1-7"),
                     Intr("Gemcitabine", description="1000 mg/m2 IV on days 1 and 8"))
_FILLER: Final = (("Metformin", "500 mg orally twice daily", "prostate"),
                  ("Aspirin", "100 mg orally daily", "crc"),
                  ("Vitamin D3", "2000 IU orally daily", "breast"),
                  ("Yoga", "Weekly 60-minute sessions", "breast"),
                  ("Stereotactic body radiotherapy", "40 Gy in 5 fractions", "nsclc"),
                  ("Capecitabine", "1000 mg/m2 orally twice daily", "gastric"))


def _look_alike(agent: Agent, known: set[str], n: int) -> TrialSpec | None:
    codes = [name for name in agent.names if is_code(name) and name[-1].isdigit()]
    for code in codes:
        fake = f"{code}{n % 9 + 1}"
        if spelling_key(fake) not in known:
            return TrialSpec("decoy", f"look-alike of {agent.name}: {fake}",
                             (Intr(fake, "DRUG", "Given orally once daily"),),
                             frozenset(), f"A Study of {fake} in Advanced Solid Tumors", kind="decoy")
    return None


def _prior_therapy(agent: Agent, n: int) -> TrialSpec:
    history = _HISTORY[n % len(_HISTORY)].format(x=agent.name)
    backbone = _BACKBONES[n % len(_BACKBONES)]
    if n % 2:
        intr = Intr(backbone.name, backbone.type, f"{backbone.description}; for patients {history}")
        arm = "Participants receive the study treatment."
    else:
        intr = backbone
        arm = f"Participants {history} receive {backbone.name.lower()}."
    return TrialSpec("decoy", f"prior therapy {agent.name}", (intr,), frozenset(),
                     f"{backbone.name} in Patients With Advanced Solid Tumors", arm_texts=(arm,), kind="decoy")


def _placebo_only(agent: Agent, n: int) -> TrialSpec:
    backbone = _BACKBONES[n % len(_BACKBONES)]
    wording = (f"Placebo for {agent.name}", f"{agent.name}-matching placebo", f"Placebo to match {agent.name}")[n % 3]
    return TrialSpec("decoy", f"placebo of {agent.name} only", (backbone, Intr(wording, "DRUG", "Saline IV")),
                     frozenset(), f"{backbone.name} With or Without Supportive Care in Solid Tumors", kind="decoy",
                     arm_texts=(f"Participants receive {backbone.name.lower()} and placebo.",))


def decoy_specs(agents: tuple[Agent, ...], rng: random.Random) -> list[TrialSpec]:
    """The fixed decoys, then per agent in turn a look-alike code, a prior therapy and a placebo-only trial."""
    known = {spelling_key(name) for a in agents for name in a.names}
    specs = list(DECOYS)
    for n, agent in enumerate(agents):
        pick = n % 3
        if pick == 0:
            spec = _look_alike(agent, known, n)
            if spec is not None:
                specs.append(spec)
        elif pick == 1:
            specs.append(_prior_therapy(agent, n))
        elif n % 6 == 2:
            specs.append(_placebo_only(agent, n))
    rng.shuffle(specs)
    return specs


def filler_specs(rng: random.Random, count: int = 60) -> list[TrialSpec]:
    """Unrelated trials: nothing in them is an NK or checkpoint therapy, nor looks like one."""
    return list(_filler(rng, count))


def _filler(rng: random.Random, count: int) -> Iterator[TrialSpec]:
    for n in range(count):
        name, how, cond = _FILLER[rng.randrange(len(_FILLER))]
        yield TrialSpec("filler", name, (Intr(name, "BEHAVIORAL" if name == "Yoga" else "DRUG", how),),
                        frozenset(), f"{name} in Patients With Cancer ({n + 1})", condition=cond, kind="filler")
