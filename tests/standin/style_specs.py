"""What a trial of the every-style registry says and what it should yield: the trial spec, styles and decoys.

A :class:`TrialSpec` names its interventions, arms and titles as a registrant would write them, and carries the
(mechanism_class, target) rows a correct tracker finds. Those rows come from the catalogue's *declared*
classes and targets (every agent whose name or alias the written name spells, so a fixed combination such as
QL1706 expects both halves) or, for a class-only wording, from the class the wording names — never from the
classifier. :mod:`.every_style` turns the specs into CT.gov records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from tracker.catalogue import Agent

__all__ = ["CLASS_PHRASES", "DECOYS", "Intr", "TrialSpec", "code_respellings", "is_code", "spelling_key"]

Row = tuple[str, str]


@dataclass(frozen=True)
class Intr:
    """One intervention as registered: CT.gov type, name, other names, description."""

    name: str
    type: str = "DRUG"
    description: str = ""
    other_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrialSpec:
    style: str
    subject: str  # the agent, class wording or decoy the trial is about (for failure messages)
    interventions: tuple[Intr, ...]
    expected: frozenset[Row]  # empty: a decoy, which must stay out of the landscape
    title: str
    official_title: str = ""
    # arm descriptions by intervention index; an arm lists the interventions given in it
    arm_texts: tuple[str, ...] = ()
    condition: str = "solid"
    kind: str = "tracked"  # tracked | decoy | filler
    arm_groups: tuple[tuple[int, ...], ...] = field(default=())


def spelling_key(text: str) -> str:
    """Case, spaces, hyphens and commas aside: how agents.md pitfall 6 says codes compare."""
    return re.sub(r"[^0-9a-z]", "", text.lower())


_CODE: Final = re.compile(r"[A-Za-z0-9]+(?:[- ][A-Za-z0-9]+){0,2}")


def is_code(name: str) -> bool:
    """A development code: letters and digits in up to three parts, a digit somewhere, no word of 7+ letters."""
    return bool(_CODE.fullmatch(name)) and any(c.isdigit() for c in name) and not re.search(r"[A-Za-z]{7,}", name)


def code_respellings(code: str) -> dict[str, str]:
    """The other spellings of a code a registrant uses: joined, hyphenated, spaced (style -> spelling).

    Split where the code has a separator, else between its letter prefix and the rest (IPH2102 -> IPH-2102);
    a code whose parts meet digit to digit is never joined (1-7F9 is not 17F9). The catalogue's own
    spelling is left out: the style is a spelling the catalogue does not list.
    """
    parts = re.split(r"[- ]", code)
    if len(parts) == 1:
        prefix = re.fullmatch(r"([A-Za-z]+)([0-9][A-Za-z0-9]*)", code)
        if prefix is None:
            return {}
        parts = list(prefix.groups())
    digits_meet = any(a[-1].isdigit() and b[0].isdigit() for a, b in zip(parts, parts[1:], strict=False))
    out = {"code_hyphen": "-".join(parts), "code_space": " ".join(parts)}
    if not digits_meet:
        out["code_joined"] = "".join(parts)
    return {style: text for style, text in out.items() if text != code}


def agent_rows(agents: tuple[Agent, ...], written: str) -> frozenset[Row]:
    """Every declared row of every catalogue agent whose name or an alias the written name spells."""
    key = spelling_key(written)
    return frozenset((m.mechanism_class, m.target) for a in agents
                     if any(spelling_key(n) == key for n in a.names) for m in a.mechanisms)


# class-only wordings: a mechanism named, no molecule (the list, and the other tracked targets)
CLASS_PHRASES: Final[tuple[tuple[str, Row], ...]] = (
    ("PD-1 inhibitor", ("immune_checkpoint", "PD-1")),
    ("Anti-PD-1 monoclonal antibody", ("immune_checkpoint", "PD-1")),
    ("anti-PD-1 antibody", ("immune_checkpoint", "PD-1")),
    ("PD-L1 inhibitor", ("immune_checkpoint", "PD-L1")),
    ("Anti-PD-L1 antibody", ("immune_checkpoint", "PD-L1")),
    ("Anti-CTLA-4 antibody", ("immune_checkpoint", "CTLA-4")),
    ("Anti-LAG-3 antibody", ("immune_checkpoint", "LAG-3")),
    ("Anti-TIGIT antibody", ("immune_checkpoint", "TIGIT")),
    ("Anti-TIM-3 antibody", ("immune_checkpoint", "TIM-3")),
    ("Anti-KIR monoclonal antibody", ("nk_checkpoint", "KIR")),
    ("Anti-NKG2A antibody", ("nk_checkpoint", "NKG2A")),
    ("Anti-CD47 antibody", ("innate_checkpoint", "CD47")),
    ("IL-15 superagonist", ("cytokine", "IL-15")),
)

# the nature of a product, not its name, in an arm or intervention description
NATURE_TEXTS: Final[tuple[tuple[str, str, Row], ...]] = (
    ("Allogeneic cell therapy", "Participants receive off-the-shelf allogeneic NK cells IV on days 0, 7 and 14.",
     ("adoptive_nk", "none")),
    ("Cellular therapy", "Haploidentical donor NK cells are infused IV on day 0 after lymphodepletion.",
     ("adoptive_nk", "none")),
    ("Investigational antibody", "Participants receive an anti-PD-1 monoclonal antibody IV every 3 weeks.",
     ("immune_checkpoint", "PD-1")),
    ("Study drug", "A humanized anti-PD-L1 antibody given IV every 3 weeks.", ("immune_checkpoint", "PD-L1")),
    ("Investigational antibody", "An anti-NKG2A antibody given IV every 2 weeks.", ("nk_checkpoint", "NKG2A")),
    ("Study drug", "Anti-TIGIT antibody given IV every 3 weeks.", ("immune_checkpoint", "TIGIT")),
)

_CHEMO: Final = Intr("Docetaxel", description="75 mg/m2 IV on day 1 of each 21-day cycle")
_GEMOX: Final = Intr("Gemcitabine", description="1000 mg/m2 IV on days 1 and 8")
_PEG: Final = Intr("Pegaspargase", type="DRUG", description="2500 IU/m2 IM on day 1")


def _decoy(subject: str, interventions: tuple[Intr, ...], title: str, arm: str = "",
           condition: str = "solid") -> TrialSpec:
    return TrialSpec("decoy", subject, interventions, frozenset(), title, arm_texts=(arm,) if arm else (),
                     condition=condition, kind="decoy")


# agents.md §4 and the rules' traps: trials that an NK or checkpoint search finds and that are no such therapy
DECOYS: Final[tuple[TrialSpec, ...]] = (
    _decoy("NK/T-cell lymphoma", (_PEG, _GEMOX), "Pegaspargase and Gemcitabine in Extranodal NK/T-cell Lymphoma",
           "Patients with newly diagnosed NK/T-cell lymphoma receive pegaspargase and gemcitabine.", "enktl"),
    _decoy("NK/T-cell lymphoma", (Intr("Radiotherapy", "RADIATION", "50 Gy to the nasal cavity"), _PEG),
           "Radiotherapy for Early-stage NK/T Cell Lymphoma", "NK/T-cell lymphoma, stage IE-IIE.", "enktl"),
    _decoy("PD-L1 biomarker", (_CHEMO,), "Docetaxel in PD-L1 Positive Non-small Cell Lung Cancer",
           "Patients with PD-L1 positive (TPS >= 50%) tumours receive docetaxel.", "nsclc"),
    _decoy("PD-L1 biomarker", (Intr("PD-L1 IHC 22C3 pharmDx", "DIAGNOSTIC_TEST", "PD-L1 expression by IHC"),
                               _CHEMO), "PD-L1 Expression Testing Before Chemotherapy",
           "PD-L1 expression (CPS) is measured on the archival biopsy.", "gastric"),
    _decoy("prior therapy", (_CHEMO,), "Docetaxel After Progression on Pembrolizumab in NSCLC",
           "Patients whose disease progressed on pembrolizumab receive docetaxel.", "nsclc"),
    _decoy("prior therapy", (Intr("Cabozantinib", description="60 mg orally daily; after progression on "
                                                               "nivolumab"),),
           "Cabozantinib in Renal Cell Carcinoma Refractory to Nivolumab",
           "Participants previously treated with nivolumab and ipilimumab receive cabozantinib.", "rcc"),
    _decoy("prior therapy", (_GEMOX,), "Gemcitabine in Anti-PD-1 Refractory Melanoma",
           "Patients with melanoma that progressed on anti-PD-1 therapy receive gemcitabine.", "melanoma"),
    _decoy("CIK cells", (Intr("DC-CIK cells", "BIOLOGICAL", "Cytokine-induced killer cells with NK cell-like "
                                                            "cytotoxicity"),),
           "DC-CIK Immunotherapy in Hepatocellular Carcinoma", "Patients receive DC-CIK cells IV.", "hcc"),
    _decoy("NKT cells", (Intr("CAR-NKT cells", "BIOLOGICAL", "GD2-specific CAR-expressing invariant NKT cells"),),
           "GD2 CAR-NKT Cells in Neuroblastoma", "Patients receive CAR-NKT cells.", "solid"),
    _decoy("CAR-T", (Intr("CD19 CAR-T cells", "BIOLOGICAL", "Autologous CD19-directed CAR T cells"),),
           "CD19 CAR-T Cells in B-cell Lymphoma", "NK cell recovery is monitored after CAR-T infusion.", "bcl"),
    _decoy("NK activity as a lab test", (Intr("Aerobic exercise", "BEHAVIORAL", "30 minutes, 5 days a week"),),
           "Exercise and NK Cell Activity in Breast Cancer Survivors",
           "NK cell activity and NK cell counts are measured at baseline and week 12.", "breast"),
    _decoy("anti-KIR3DL2 (not an NK checkpoint)", (Intr("Anti-KIR3DL2 monoclonal antibody", "BIOLOGICAL",
                                                        "Depletes KIR3DL2-expressing cells"),),
           "Anti-KIR3DL2 Antibody in Cutaneous T-cell Lymphoma", "", "heme"),
)
