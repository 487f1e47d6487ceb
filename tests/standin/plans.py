"""What each synthetic trial *is*: its scenario, interventions, conditions, phases, type and status.

A :class:`Plan` is drawn from its own RNG, seeded by (seed, index) only, so :func:`plan_for` gives the
same plan whether the study JSON is built or only its labels are wanted.  The scenario mix follows the
landscape: about 40 % PD-1/PD-L1/CTLA-4-only trials, the NK-specific classes, ~8 % traps that an NK
keyword search finds but that are no NK therapy (agents.md §4), ~3 % non-oncology NK trials.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Final

from tests.standin.agents_table import INTERVENTIONS, Intervention
from tests.standin.conditions_table import CONDITIONS, Condition

__all__ = ["COVERAGE", "Plan", "Variant", "labels_of", "plan_for"]

Weighted = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Slot:
    """One intervention drawn from weighted choices ("a+b" adds both) with probability p."""

    choices: Weighted
    p: float = 1.0
    support: bool = False  # given only to support another agent (IL-2 after NK cells): no label


@dataclass(frozen=True)
class Variant:
    name: str
    scenario: str
    weight: float
    slots: tuple[Slot, ...]
    conditions: Weighted
    phases: str  # a key of _PHASES
    kind: str = "onc"  # onc | non_onc | trap | ea


@dataclass
class Plan:
    index: int
    variant: Variant
    interventions: list[Intervention]
    support: list[Intervention]
    conditions: list[Condition]
    study_type: str
    phases: list[str] | None
    status: str


def _w(*keys: str) -> Weighted:
    return tuple((k, 1.0) for k in keys)


def _s(*keys: str, p: float = 1.0) -> Slot:
    return Slot(_w(*keys), p)


def _ws(choices: Weighted, p: float = 1.0) -> Slot:
    return Slot(choices, p)


_PD1_ANY: Final = (("pembrolizumab", 30), ("nivolumab", 25), ("atezolizumab", 10), ("durvalumab", 10),
                   ("cemiplimab", 5), ("dostarlimab", 4), ("tislelizumab", 8), ("avelumab", 6))
_SOLID_ANY: Final = (("nsclc", 20), ("melanoma", 12), ("hnscc", 8), ("npc", 3), ("breast", 6), ("crc", 5),
                     ("gastric", 6), ("escc", 5), ("hcc", 6), ("biliary", 3), ("rcc", 5), ("bladder", 6),
                     ("cervical", 3), ("endometrial", 4), ("ovarian", 3), ("prostate", 2), ("sclc", 4),
                     ("mesothelioma", 2), ("gbm", 2), ("sarcoma", 2), ("solid", 6), ("hodgkin", 4), ("enktl", 1),
                     ("bcl", 1), ("pancreatic", 2))
_CHEMO: Final = _ws((("carboplatin+paclitaxel", 3), ("carboplatin+pemetrexed", 3), ("cisplatin+etoposide", 1),
                     ("gemcitabine+cisplatin", 1), ("docetaxel", 1), ("fluorouracil+oxaliplatin", 1)), 0.85)
_LYMPHODEPLETION: Final = _s("cyclophosphamide+fludarabine", p=0.75)

VARIANTS: Final = (
    # PD-1 / PD-L1 / CTLA-4 only: the volume layer (about 40 %)
    Variant("pd1_mono", "checkpoint", 16, (_ws(_PD1_ANY),), _SOLID_ANY, "checkpoint"),
    Variant("pd1_chemo", "checkpoint", 12, (_ws(_PD1_ANY), _CHEMO, _s("placebo", p=0.3)),
            (("nsclc", 30), ("sclc", 8), ("hnscc", 6), ("gastric", 8), ("escc", 8), ("breast", 8), ("biliary", 5),
             ("bladder", 4), ("cervical", 4), ("endometrial", 4), ("npc", 4), ("pancreatic", 3)), "checkpoint"),
    Variant("nivo_ipi", "checkpoint", 5, (_s("nivolumab"), _s("ipilimumab")),
            _w("melanoma", "melanoma", "rcc", "nsclc", "crc", "hcc", "mesothelioma", "solid"), "checkpoint"),
    Variant("durva_treme", "checkpoint", 3, (_s("durvalumab"), _s("tremelimumab")),
            _w("hcc", "hcc", "nsclc", "hnscc", "bladder", "biliary", "solid"), "checkpoint"),
    Variant("pd1_cetuximab", "checkpoint", 1.5, (_s("pembrolizumab", "nivolumab", "avelumab"), _s("cetuximab")),
            _w("hnscc", "hnscc", "crc"), "checkpoint"),
    Variant("pd1_trastuzumab", "checkpoint", 1.5, (_s("pembrolizumab", "atezolizumab"), _s("trastuzumab")),
            _w("gastric", "breast"), "checkpoint"),
    Variant("ea_checkpoint", "expanded_access", 0.6, (_s("pembrolizumab", "nivolumab", "cemiplimab"),),
            _w("melanoma", "nsclc", "hodgkin", "solid"), "none", "ea"),
    Variant("ea_other", "expanded_access", 0.4, (_s("magrolimab", "n803", "cynk001"),),
            _w("mds", "bladder", "aml"), "none", "ea"),
    # CAR-NK
    Variant("car19", "car_nk", 2.5,
            (_ws((("car19_nk", 4), ("ft596", 2), ("nkx019", 2), ("tak007", 2), ("cd19_thank", 1))),
             _LYMPHODEPLETION, _s("rituximab", p=0.15)),
            (("bcl", 5), ("all", 3), ("cll", 2), ("heme", 1)), "cell"),
    Variant("car_bcma", "car_nk", 1, (_s("bcma_nk"), _LYMPHODEPLETION), _w("myeloma"), "cell"),
    Variant("car_nkg2d", "car_nk", 1.2, (_s("nkx101", "nkg2d_nk"), _s("cyclophosphamide+fludarabine", p=0.5)),
            (("aml", 3), ("mds", 1), ("solid", 1), ("crc", 0.5)), "cell"),
    Variant("car_solid", "car_nk", 1.3, (_s("robo1_nk", "pdl1_thank"), _s("n803", p=0.3)),
            (("pancreatic", 3), ("solid", 2), ("hnscc", 1), ("gastric", 1)), "cell"),
    Variant("car_cd33", "car_nk", 0.5, (_s("cd33_nk"), _LYMPHODEPLETION), _w("aml"), "cell"),
    Variant("car_dual", "car_nk", 0.5, (_s("dual_nk"), _LYMPHODEPLETION), _w("all", "bcl"), "cell"),
    # adoptive NK cells (no CAR)
    Variant("nk_heme", "adoptive_nk", 3.5,
            (_ws((("haplo_nk", 5), ("ciml_nk", 2), ("nk92", 1), ("ft500", 0.5))), _LYMPHODEPLETION,
             _s("hsct", p=0.2)),
            (("aml", 5), ("mds", 2), ("all", 1), ("myeloma", 1), ("bcl", 1)), "cell"),
    Variant("nk_solid", "adoptive_nk", 3,
            (_ws((("haplo_nk", 3), ("ft500", 1), ("snk01", 1), ("nk92", 1))),
             _ws((("pembrolizumab", 3), ("nivolumab", 1), ("trastuzumab", 1), ("cetuximab", 1)), 0.6)),
            (("solid", 3), ("nsclc", 2), ("gbm", 1), ("biliary", 1), ("hcc", 1), ("crc", 1), ("breast", 0.5),
             ("ovarian", 0.5), ("gastric", 0.5)), "cell"),
    Variant("nk_myeloma", "adoptive_nk", 1,
            (_s("cynk001", "haplo_nk"), _s("daratumumab", p=0.5), _s("lenalidomide", p=0.3)), _w("myeloma"), "cell"),
    Variant("hank_quilt", "adoptive_nk", 1.5,
            (_ws((("hank", 3), ("ank", 1))), _s("n803", p=0.7), _s("avelumab", p=0.5), _s("paclitaxel", p=0.4)),
            (("pancreatic", 2), ("hnscc", 1), ("solid", 2), ("nsclc", 1), ("bcl", 0.5)), "cell"),
    Variant("nk_il2_support", "adoptive_nk", 2,
            (_s("haplo_nk"), Slot(_w("il2_support"), 1.0, support=True), _s("cyclophosphamide+fludarabine", p=0.8)),
            (("aml", 4), ("mds", 1), ("bcl", 1), ("solid", 1)), "cell"),
    # NK cell engagers
    Variant("afm13", "nk_engager", 1.2, (_s("afm13"), _s("pembrolizumab", p=0.3)),
            (("hodgkin", 4), ("enktl", 0.5), ("bcl", 0.5)), "novel"),
    Variant("afm24", "nk_engager", 0.8, (_s("afm24"), _s("atezolizumab", p=0.5)),
            (("solid", 2), ("nsclc", 1), ("crc", 1), ("hnscc", 0.5)), "novel"),
    Variant("sar443579", "nk_engager", 0.8, (_s("sar443579"),), (("aml", 3), ("all", 1), ("mds", 1)), "novel"),
    Variant("df1001", "nk_engager", 0.6, (_s("df1001"), _s("nivolumab", p=0.4)),
            (("solid", 2), ("breast", 1), ("gastric", 1)), "novel"),
    Variant("gtb3550", "nk_engager", 0.6, (_s("gtb3550"),), (("aml", 2), ("mds", 1)), "novel"),
    # NK checkpoints
    Variant("mona_durva", "nk_checkpoint", 1.5, (_s("monalizumab"), _s("durvalumab"), _s("carboplatin", p=0.3)),
            (("nsclc", 4), ("solid", 1), ("crc", 0.5), ("ovarian", 0.5)), "novel"),
    Variant("mona_cetux", "nk_checkpoint", 1.2, (_s("monalizumab"), _s("cetuximab"), _s("pembrolizumab", p=0.2)),
            (("hnscc", 4), ("crc", 1)), "novel"),
    Variant("mona_trastu", "nk_checkpoint", 0.3, (_s("monalizumab"), _s("trastuzumab")), _w("breast"), "novel"),
    Variant("liri_nivo", "nk_checkpoint", 1, (_s("lirilumab"), _s("nivolumab"), _s("ipilimumab", p=0.2)),
            (("solid", 2), ("hnscc", 1), ("nsclc", 1), ("melanoma", 0.5), ("hodgkin", 0.5)), "novel"),
    Variant("liri_aza", "nk_checkpoint", 0.6, (_s("lirilumab"), _s("azacitidine"), _s("nivolumab", p=0.5)),
            _w("mds", "aml"), "novel"),
    Variant("liri_ritux", "nk_checkpoint", 0.3, (_s("lirilumab"), _s("rituximab")), _w("cll"), "novel"),
    Variant("iph2101", "nk_checkpoint", 0.6, (_s("iph2101"), _s("lenalidomide", p=0.5)),
            (("myeloma", 3), ("aml", 1)), "novel"),
    Variant("nkg2a_next", "nk_checkpoint", 0.5, (_s("s095029", "bms986315"), _s("nivolumab", "durvalumab", p=0.6)),
            (("solid", 2), ("nsclc", 1), ("hnscc", 1)), "novel"),
    # TIGIT, CD96, TIM-3, LAG-3 (most with a PD-1/PD-L1 partner)
    Variant("tigit_pdl1", "other_checkpoint", 3,
            (_s("tiragolumab"), _s("atezolizumab"), _s("carboplatin+etoposide", p=0.3)),
            (("nsclc", 4), ("escc", 2), ("sclc", 1), ("hcc", 1), ("cervical", 0.5)), "ici"),
    Variant("tigit_pd1", "other_checkpoint", 2.5,
            (_ws((("ociperlimab+tislelizumab", 2), ("mk7684a", 2), ("vibostolimab+pembrolizumab", 1),
                  ("domvanalimab+durvalumab", 1))),),
            (("nsclc", 4), ("escc", 1), ("gastric", 1), ("melanoma", 0.5), ("sclc", 0.5)), "ici"),
    Variant("cd96", "other_checkpoint", 0.5, (_s("gsk6097608"), _s("dostarlimab", p=0.6)), _w("solid"), "novel"),
    Variant("tim3_myeloid", "other_checkpoint", 1.3, (_s("sabatolimab"), _ws((("azacitidine", 3), ("decitabine", 1)))),
            (("mds", 3), ("aml", 2)), "ici"),
    Variant("tim3_solid", "other_checkpoint", 0.7, (_s("cobolimab"), _s("dostarlimab", p=0.8)),
            (("nsclc", 2), ("melanoma", 1), ("solid", 1)), "novel"),
    Variant("lag3", "other_checkpoint", 4,
            (_ws((("relatlimab+nivolumab", 3), ("opdualag", 3), ("fianlimab+cemiplimab", 2),
                  ("eftilagimod+pembrolizumab", 2), ("eftilagimod+paclitaxel", 1))),),
            (("melanoma", 6), ("nsclc", 2), ("hnscc", 1), ("crc", 1), ("gastric", 1), ("breast", 0.5), ("hcc", 0.5)),
            "ici"),
    # cytokines, CD47, MICA/B
    Variant("n803_pd1", "cytokine", 1.5, (_s("n803"), _ws((("pembrolizumab", 2), ("nivolumab", 1)))),
            (("nsclc", 3), ("bladder", 1), ("solid", 1)), "novel"),
    Variant("n803_bcg", "cytokine", 1, (_s("n803"), _s("bcg")), _w("bladder"), "novel"),
    Variant("nktr255", "cytokine", 1, (_s("nktr255"), _s("daratumumab", "cetuximab", p=0.6)),
            (("myeloma", 2), ("hnscc", 1), ("solid", 1), ("bcl", 1)), "novel"),
    Variant("niz985", "cytokine", 0.5, (_s("niz985"),), _w("solid"), "novel"),
    Variant("aldesleukin", "cytokine", 1, (_s("aldesleukin"), _s("pembrolizumab", p=0.4)),
            (("melanoma", 3), ("rcc", 2)), "novel"),
    Variant("magro_aza", "innate_checkpoint", 1.5, (_s("magrolimab"), _s("azacitidine")), (("mds", 3), ("aml", 2)),
            "novel"),
    Variant("magro_ritux", "innate_checkpoint", 0.5, (_s("magrolimab"), _s("rituximab")), _w("bcl"), "novel"),
    Variant("evorpacept", "innate_checkpoint", 1,
            (_s("evorpacept"), _ws((("pembrolizumab", 2), ("trastuzumab", 1), ("azacitidine", 0.5)))),
            (("hnscc", 2), ("gastric", 1), ("mds", 0.5)), "novel"),
    Variant("cln619", "nkg2d_axis", 1, (_s("cln619"), _s("pembrolizumab", p=0.5)),
            (("solid", 3), ("nsclc", 1), ("endometrial", 0.5), ("cervical", 0.5), ("myeloma", 0.5)), "novel"),
    # NK therapies outside oncology (agents.md pitfall 2)
    Variant("nkx019_autoimmune", "non_oncology", 1, (_s("nkx019"), _LYMPHODEPLETION), (("lupus", 3), ("ssc", 1)),
            "cell", "non_onc"),
    Variant("tak007_autoimmune", "non_oncology", 0.6, (_s("tak007"), _LYMPHODEPLETION), _w("lupus", "ssc"),
            "cell", "non_onc"),
    Variant("cynk001_covid", "non_oncology", 0.8, (_s("cynk001"),), _w("covid"), "cell", "non_onc"),
    Variant("ace2_covid", "non_oncology", 0.6, (_s("ace2_nk"),), _w("covid"), "cell", "non_onc"),
    # traps: an NK keyword search returns them, but they are no NK therapy (agents.md pitfall 1)
    Variant("trap_cik", "trap", 2, (_s("dc_cik"), _ws(_CHEMO.choices, 0.5)),
            (("hcc", 2), ("nsclc", 2), ("gastric", 1), ("crc", 1), ("pancreatic", 0.5)), "trap", "trap"),
    Variant("trap_nkt", "trap", 1.5, (_s("car_nkt"), _s("cyclophosphamide+fludarabine", p=0.5)),
            (("bcl", 2), ("solid", 1)), "trap", "trap"),
    Variant("trap_car_t", "trap", 1.5, (_s("car_t"), _s("cyclophosphamide+fludarabine", p=0.8)),
            (("bcl", 3), ("all", 2), ("myeloma", 2), ("cll", 1)), "trap", "trap"),
    Variant("trap_enktl", "trap", 1.5,
            (_ws((("pegaspargase+gemcitabine+oxaliplatin", 2), ("dexamethasone+pegaspargase+etoposide", 1))),
             _s("sbrt", p=0.4)),
            _w("enktl"), "trap", "trap"),
    Variant("trap_lab", "trap", 1.5, (_s("exercise", "vitamin_d"),),
            (("breast", 3), ("crc", 1), ("prostate", 1), ("bcl", 0.5)), "trap_lab", "trap"),
)
_BY_NAME: Final = {v.name: v for v in VARIANTS}
_WEIGHTS: Final = [v.weight for v in VARIANTS]

# phase lists and their weights per profile; None = no phases (observational / expanded access)
_P: Final[dict[str, list[str]]] = {
    "E1": ["EARLY_PHASE1"], "1": ["PHASE1"], "12": ["PHASE1", "PHASE2"], "2": ["PHASE2"],
    "23": ["PHASE2", "PHASE3"], "3": ["PHASE3"], "4": ["PHASE4"], "NA": ["NA"],
}
_PHASES: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    "cell": (("E1", 0.12), ("1", 0.5), ("12", 0.28), ("2", 0.1)),
    "novel": (("1", 0.35), ("12", 0.25), ("2", 0.3), ("23", 0.03), ("3", 0.07)),
    "ici": (("1", 0.15), ("12", 0.2), ("2", 0.35), ("23", 0.05), ("3", 0.25)),
    "checkpoint": (("E1", 0.02), ("1", 0.08), ("12", 0.12), ("2", 0.38), ("23", 0.05), ("3", 0.3), ("4", 0.05)),
    "trap": (("1", 0.3), ("12", 0.3), ("2", 0.3), ("3", 0.1)),
    "trap_lab": (("NA", 1.0),),
    "none": (("NA", 1.0),),
}
_P_OBSERVATIONAL: Final = {"checkpoint": 0.06, "trap_lab": 0.3}
_STATUSES: Final = (
    ("COMPLETED", 27), ("RECRUITING", 22), ("ACTIVE_NOT_RECRUITING", 12), ("UNKNOWN", 11), ("TERMINATED", 10),
    ("NOT_YET_RECRUITING", 7), ("WITHDRAWN", 4), ("SUSPENDED", 1.5), ("ENROLLING_BY_INVITATION", 1.5),
)
_EA_STATUSES: Final = (("AVAILABLE", 35), ("NO_LONGER_AVAILABLE", 35), ("APPROVED_FOR_MARKETING", 15),
                       ("TEMPORARILY_NOT_AVAILABLE", 10), ("WITHHELD", 5))

# the first trials of every corpus: each scenario, both partner classes and all 14 statuses appear
# in any corpus of at least len(COVERAGE) trials, whatever the seed
COVERAGE: Final = (
    ("car19", "RECRUITING"), ("nk_heme", "COMPLETED"), ("afm13", "ACTIVE_NOT_RECRUITING"),
    ("mona_cetux", "TERMINATED"), ("lag3", "RECRUITING"), ("cln619", "NOT_YET_RECRUITING"),
    ("n803_pd1", "UNKNOWN"), ("magro_aza", "WITHDRAWN"), ("pd1_chemo", "SUSPENDED"),
    ("pd1_mono", "ENROLLING_BY_INVITATION"), ("nkx019_autoimmune", "RECRUITING"), ("nk_il2_support", "COMPLETED"),
    ("trap_cik", None), ("trap_nkt", None), ("trap_car_t", None), ("trap_enktl", None), ("trap_lab", None),
    ("ea_checkpoint", "AVAILABLE"), ("ea_checkpoint", "NO_LONGER_AVAILABLE"),
    ("ea_other", "TEMPORARILY_NOT_AVAILABLE"), ("ea_other", "APPROVED_FOR_MARKETING"), ("ea_checkpoint", "WITHHELD"),
    ("cynk001_covid", "RECRUITING"), ("tim3_myeloid", "COMPLETED"),
)


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def plan_for(seed: int, index: int) -> Plan:
    """The plan of trial number index (0-based) of the corpus drawn with seed."""
    rng = random.Random(f"standin-plan/{seed}/{index}")
    forced_status: str | None = None
    if index < len(COVERAGE):
        name, forced_status = COVERAGE[index]
        variant = _BY_NAME[name]
    else:
        variant = rng.choices(VARIANTS, _WEIGHTS)[0]
    chosen: list[Intervention] = []
    support: list[Intervention] = []
    for slot in variant.slots:
        if slot.p < 1.0 and rng.random() >= slot.p:
            continue
        for key in _pick(rng, slot.choices).split("+"):
            (support if slot.support else chosen).append(INTERVENTIONS[key])
    conditions = [CONDITIONS[_pick(rng, variant.conditions)]]
    if len(variant.conditions) > 1 and rng.random() < 0.2:
        extra = CONDITIONS[_pick(rng, variant.conditions)]
        if extra is not conditions[0]:
            conditions.append(extra)
    study_type, phases = _design(rng, variant)
    status = forced_status or _pick(rng, _EA_STATUSES if study_type == "EXPANDED_ACCESS" else _STATUSES)
    return Plan(index, variant, chosen, support, conditions, study_type, phases, status)


def _design(rng: random.Random, variant: Variant) -> tuple[str, list[str] | None]:
    if variant.kind == "ea":
        return "EXPANDED_ACCESS", None
    if rng.random() < _P_OBSERVATIONAL.get(variant.phases, 0.01):
        return "OBSERVATIONAL", None
    return "INTERVENTIONAL", list(_P[_pick(rng, _PHASES[variant.phases])])


def labels_of(plan: Plan) -> dict[str, Any]:
    """What a correct classifier should find in the trial of this plan."""
    trap = plan.variant.kind == "trap"
    agents = sorted({label for i in plan.interventions for label in i.labels})
    rows = sorted({row for i in plan.interventions if i.labels for row in i.rows})
    return {
        "agents": [] if trap else agents,
        "mechanisms": [] if trap else [list(r) for r in rows],
        "support_agents": sorted({label for i in plan.support for label in (i.labels or ("aldesleukin",))}),
        "is_trap": trap,
        "is_non_oncology": plan.variant.kind == "non_onc",
        "indications": sorted({c.code for c in plan.conditions}),
        "scenario": plan.variant.scenario,
        "variant": plan.variant.name,
        "study_type": plan.study_type,
        "phases": plan.phases,
        "overall_status": plan.status,
    }
