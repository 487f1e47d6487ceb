"""The prose of a synthetic trial: titles, brief summary, detailed description and keywords.

The wording depends on the scenario.  NK-specific trials talk about NK cells; PD-1/PD-L1/CTLA-4-only
trials do not; trap trials mention NK cells exactly the way that fools a keyword search (CIK cells
with "NK cell-like" activity, iNKT cells, NK/T-cell lymphoma, NK cell activity as a lab read-out).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from tests.standin.agents_table import INTERVENTIONS, Intervention
from tests.standin.plans import Plan

__all__ = ["Named", "describe", "keywords_for", "official_title", "titles"]


@dataclass
class Named:
    """An intervention as one trial writes it."""

    item: Intervention
    name: str
    other_names: list[str] = field(default_factory=list)
    type: str = "DRUG"
    support: bool = False
    used: bool = False  # listed in the trial's interventions

    @staticmethod
    def placebo() -> Named:
        return Named(INTERVENTIONS["placebo"], "Placebo", [], "DRUG")


_PHASE_TEXT: Final = {
    "EARLY_PHASE1": "Early Phase 1", "PHASE1": "Phase 1", "PHASE1+PHASE2": "Phase 1/2", "PHASE2": "Phase 2",
    "PHASE2+PHASE3": "Phase 2/3", "PHASE3": "Phase 3", "PHASE4": "Phase 4", "NA": "Pilot",
}
_MECHANISM: Final = {
    "car_nk": "{A} is a natural killer (NK) cell product engineered to express a chimeric antigen receptor (CAR). "
              "CAR-NK cells recognise tumour cells through the CAR and through their native activating receptors, "
              "with a low risk of cytokine release syndrome and graft-versus-host disease.",
    "adoptive_nk": "Natural killer (NK) cells are innate lymphocytes that kill tumour cells without prior "
                   "sensitisation. This study infuses {A} to test whether adoptive NK cell therapy is safe and active.",
    "nk_engager": "{A} is an NK cell engager: a multispecific antibody that binds a tumour antigen and an activating "
                  "receptor on natural killer cells, redirecting NK cell cytotoxicity to the tumour.",
    "nk_checkpoint": "{A} blocks an inhibitory receptor expressed on natural killer (NK) cells and T cells, releasing "
                     "the brake on NK cell cytotoxicity.",
    "other_checkpoint": "{A} is a monoclonal antibody against a co-inhibitory immune checkpoint receptor; blocking it "
                        "may restore anti-tumour T-cell and NK cell activity together with PD-1/PD-L1 blockade.",
    "checkpoint": "{A} is an immune checkpoint inhibitor. Blocking the PD-1/PD-L1 or CTLA-4 pathway may help the "
                  "immune system attack the cancer.",
    "cytokine": "{A} is a cytokine therapy that stimulates the proliferation and activation of natural killer (NK) "
                "cells and CD8+ T cells.",
    "innate_checkpoint": "{A} blocks the CD47 'don't eat me' signal and promotes phagocytosis of tumour cells by "
                         "macrophages.",
    "nkg2d_axis": "{A} is an antibody against MICA and MICB, the stress ligands of the NKG2D receptor; it prevents "
                  "their shedding and restores recognition of tumour cells by NK cells and T cells.",
    "non_oncology": "{A} is an investigational natural killer (NK) cell therapy, studied here outside oncology.",
    "expanded_access": "This expanded access program provides {A} to patients who are not eligible for a clinical "
                       "trial and have no satisfactory alternative treatment.",
}
_TRAP_TEXT: Final = {
    "trap_cik": "Cytokine-induced killer (CIK) cells are T cells expanded with cytokines that acquire NK cell-like "
                "cytotoxicity (CD3+CD56+). This study combines dendritic cell-activated CIK (DC-CIK) cells with "
                "standard treatment.",
    "trap_nkt": "Invariant natural killer T (iNKT) cells are T cells that share features with NK cells. This study "
                "tests {A} as a cellular immunotherapy.",
    "trap_car_t": "This study tests {A}, a CAR T-cell therapy. Recovery of T cells, B cells and natural killer (NK) "
                  "cells after infusion will be monitored.",
    "trap_enktl": "Extranodal NK/T-cell lymphoma, nasal type, is an aggressive Epstein-Barr virus-associated "
                  "lymphoma. This study evaluates an asparaginase-based chemotherapy regimen ({names}) with or "
                  "without radiotherapy.",
    "trap_lab": "This study evaluates whether {A} changes immune function, measured as natural killer (NK) cell "
                "activity and NK cell counts in blood.",
}
_KEYWORDS: Final = {
    "car_nk": ("CAR-NK", "natural killer cells", "cell therapy"),
    "adoptive_nk": ("NK cells", "adoptive immunotherapy", "cell therapy"),
    "nk_engager": ("NK cell engager", "bispecific antibody"),
    "nk_checkpoint": ("NK cells", "immune checkpoint", "NKG2A", "KIR"),
    "other_checkpoint": ("immunotherapy", "immune checkpoint inhibitor", "TIGIT", "LAG-3"),
    "checkpoint": ("immunotherapy", "PD-1", "PD-L1", "checkpoint inhibitor"),
    "cytokine": ("IL-15", "cytokine", "NK cells"),
    "innate_checkpoint": ("CD47", "macrophage checkpoint"),
    "nkg2d_axis": ("MICA", "MICB", "NKG2D"),
    "non_oncology": ("NK cells", "autoimmune disease", "cell therapy"),
    "expanded_access": ("expanded access", "compassionate use"),
    "trap": ("immunotherapy", "lymphocytes"),
}


def _phase_text(plan: Plan) -> str:
    return _PHASE_TEXT.get("+".join(plan.phases or []), "Observational")


_CELL_PRODUCTS: Final = frozenset({"dc_cik", "car_nkt", "car_t"})


def _lead(named: Sequence[Named]) -> tuple[str, str]:
    """Titles name the first two agents (else the first two interventions) in their canonical spelling."""
    agents = [n for n in named if not n.support and (n.item.labels or n.item.key in _CELL_PRODUCTS)]
    shown = [n.item.names[0] for n in agents or named]
    return shown[0], (shown[1] if len(shown) > 1 else "")


def _article(text: str) -> str:
    return f"An {text}" if text[:1] in "AEIOU" else f"A {text}"


def titles(rng: random.Random, plan: Plan, named: Sequence[Named], conditions: Sequence[str]) -> tuple[str, str]:
    """The brief title and, for one trial in eight, an acronym."""
    first, second = _lead(named)
    cond = conditions[0]
    if plan.variant.name == "trap_lab":
        brief = f"Effect of {first} on NK Cell Activity in {cond} Survivors"
    elif plan.study_type == "EXPANDED_ACCESS":
        brief = f"Expanded Access Program of {first} for Patients With {cond}"
    elif plan.study_type == "OBSERVATIONAL":
        brief = f"Real-World Outcomes of {first} in {cond}"
    else:
        forms = [f"{first} in {cond}", f"A Study of {first} in Participants With {cond}",
                 f"Safety and Efficacy of {first} in Patients With {cond}"]
        if second:
            forms += [f"{first} Plus {second} for {cond}", f"{first} and {second} in Treating Patients With {cond}"]
        brief = rng.choice(forms)
    acronym = ""
    if rng.random() < 0.125:
        letters = "".join(ch for ch in first.upper() if ch.isalpha())[:4]
        acronym = f"{letters}-{rng.randint(1, 12)}"
    return brief, acronym


def official_title(rng: random.Random, plan: Plan, named: Sequence[Named], conditions: Sequence[str]) -> str:
    first, second = _lead(named)
    combo = f" in Combination With {second}" if second else ""
    population = rng.choice(["Patients", "Participants", "Adults"])
    disease = " or ".join(conditions)
    if plan.study_type == "EXPANDED_ACCESS":
        return f"Expanded Access Program of {first} for {population} With {disease}"
    if plan.study_type == "OBSERVATIONAL":
        return f"A Prospective, Observational Cohort Study of {first}{combo} in {population} With {disease}"
    late = any(p in ("PHASE3", "PHASE4") for p in plan.phases or [])
    design = "Randomized, Multicenter" if late else rng.choice(
        ["Open-Label, Multicenter", "Open-Label", "Multicenter", "Dose-Escalation and Expansion"]
    )
    return f"{_article(_phase_text(plan))}, {design} Study of {first}{combo} in {population} With {disease}"


def describe(rng: random.Random, plan: Plan, named: Sequence[Named], conditions: Sequence[str]) -> tuple[str, str]:
    """The brief summary and the (possibly empty) NCI-style detailed description."""
    first, second = _lead(named)
    names = ", ".join(n.name for n in named if n.used or not n.support)
    scenario = plan.variant.scenario
    text = _TRAP_TEXT[plan.variant.name] if scenario == "trap" else _MECHANISM[scenario]
    intro = "" if plan.study_type == "EXPANDED_ACCESS" else (
        f"This {_phase_text(plan).lower()} study evaluates {first}{' with ' + second if second else ''} "
        f"in {' and '.join(conditions)}. "
    )
    summary = intro + text.format(A=first, names=names)
    if rng.random() < 0.4:
        return summary, ""
    support = [n.name for n in named if n.support]
    outline = f"Patients receive {names}"
    if support:
        outline += f", followed by {support[0]} to support the expansion of the infused cells"
    detail = (
        "PRIMARY OBJECTIVES:\n\nI. To evaluate the safety and tolerability of "
        f"{first}.\n\nII. To determine the recommended phase 2 dose.\n\nSECONDARY OBJECTIVES:\n\n"
        "I. To estimate the objective response rate (ORR).\n\nII. To estimate progression-free survival (PFS) "
        f"and overall survival (OS).\n\nOUTLINE:\n\n{outline}. Treatment repeats every 21 days in the absence of "
        "disease progression or unacceptable toxicity.\n\nAfter completion of study treatment, patients are "
        "followed up every 3 months for 2 years."
    )
    return summary, detail


def keywords_for(rng: random.Random, plan: Plan) -> list[str]:
    pool = _KEYWORDS[plan.variant.scenario]
    return rng.sample(pool, k=rng.randint(1, len(pool)))
