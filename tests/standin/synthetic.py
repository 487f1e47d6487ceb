"""Build the CT.gov v2 JSON of a synthetic trial from its :class:`~tests.standin.plans.Plan`.

A study starts from a deep copy of the modules of a *real* record (oversight, outcomes, eligibility,
IPD sharing), so module structure, markdown eligibility text and outcome lists are as CT.gov writes
them; identification, status, sponsors, description, conditions, design, arms, interventions,
locations and the derived MeSH modules are replaced with the plan's trial.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tests.standin.agents_table import Intervention, MeshTerm
from tests.standin.plans import Plan
from tests.standin.synth_parts import Sponsor, draw_dates, draw_sites, draw_sponsor
from tests.standin.synth_text import Named, describe, keywords_for, official_title, titles
from tracker.demo.registry import DEFAULT_TODAY, Study, fresh

__all__ = ["StudyBuilder"]

# real records whose modules synthetic trials reuse, by kind of trial
_TEMPLATE_IDS: Final = {
    "onc": ("NCT00184067", "NCT02513394", "NCT03281889", "NCT03377387", "NCT03934567", "NCT04523987",
            "NCT05147467", "NCT06008288", "NCT06388018"),
    "non_onc": ("NCT04431453", "NCT02552212", "NCT02210780"),
    "obs": ("NCT02960672", "NCT03475563", "NCT04676594", "NCT06476470", "NCT06171568", "NCT05594173"),
}
_KEPT_MODULES: Final = ("oversightModule", "outcomesModule", "eligibilityModule", "ipdSharingStatementModule")
_TYPE_LABEL: Final = {
    "DRUG": "Drug", "BIOLOGICAL": "Biological", "PROCEDURE": "Procedure", "RADIATION": "Radiation",
    "OTHER": "Other", "BEHAVIORAL": "Behavioral", "DIETARY_SUPPLEMENT": "Dietary Supplement",
    "GENETIC": "Genetic", "DEVICE": "Device", "COMBINATION_PRODUCT": "Combination Product",
    "DIAGNOSTIC_TEST": "Diagnostic Test",
}
_NK_ACTIVITY_OUTCOMES: Final = {
    "primaryOutcomes": [{
        "measure": "Change in NK cell activity",
        "description": "Natural killer (NK) cell cytotoxicity against K562 target cells, measured by flow cytometry",
        "timeFrame": "Baseline and week 12",
    }],
    "secondaryOutcomes": [
        {"measure": "NK cell count", "description": "CD3-CD56+ cells per microliter of blood",
         "timeFrame": "Baseline and week 12"},
        {"measure": "Quality of life (FACT-G)", "timeFrame": "Baseline and week 12"},
    ],
}
_PERSONS: Final = (
    ("Anna", "Lindqvist"), ("Wei", "Zhang"), ("Maria", "Garcia"), ("James", "Okafor"), ("Li", "Chen"),
    ("Sarah", "Cohen"), ("David", "Martin"), ("Yuki", "Tanaka"), ("Jean", "Dubois"), ("Elena", "Rossi"),
    ("Priya", "Raman"), ("Thomas", "Becker"), ("Min-jun", "Park"), ("Laura", "Novak"), ("Carlos", "Silva"),
)


@dataclass(frozen=True)
class _Template:
    nct_id: str
    modules: dict[str, Any]


class StudyBuilder:
    """Turns plans into study dicts; holds the templates and the corpus parameters."""

    def __init__(self, real: Iterable[Study], seed: int, start_id: int, years: tuple[int, int]) -> None:
        by_id = {s["protocolSection"]["identificationModule"]["nctId"]: s for s in real}
        self.templates = {
            kind: tuple(_template(by_id[i]) for i in ids if i in by_id) for kind, ids in _TEMPLATE_IDS.items()
        }
        if not all(self.templates.values()):
            raise RuntimeError("the bundled real records needed as templates are missing")
        self.seed = seed
        self.start_id = start_id
        self.years = years

    def build(self, plan: Plan) -> Study:
        rng = random.Random(f"standin-body/{self.seed}/{plan.index}")
        sponsor = draw_sponsor(rng, plan)
        named = _name_all(rng, plan, nci_style=sponsor.agency_class in ("NIH", "NETWORK"))
        dates = draw_dates(rng, plan, *self.years)
        arms, interventions, design_info = _arms_and_interventions(rng, plan, named)
        template = rng.choice(self.templates[_template_kind(plan)])
        kept = {name: fresh(module) for name, module in template.modules.items()}
        if plan.variant.name == "trap_lab":
            kept["outcomesModule"] = fresh(_NK_ACTIVITY_OUTCOMES)
        condition_texts = [rng.choice(c.texts[:2]) if rng.random() < 0.8 else rng.choice(c.texts)
                           for c in plan.conditions]
        protocol: dict[str, Any] = {
            "identificationModule": self._identification(rng, plan, named, sponsor, condition_texts),
            "statusModule": dates.module,
            "sponsorCollaboratorsModule": _sponsors_module(rng, sponsor),
        }
        if "oversightModule" in kept:
            protocol["oversightModule"] = kept["oversightModule"]
        summary, detail = describe(rng, plan, named, condition_texts)
        protocol["descriptionModule"] = {"briefSummary": summary, **({"detailedDescription": detail} if detail else {})}
        conditions_module: dict[str, Any] = {"conditions": condition_texts}
        if rng.random() < 0.4:
            conditions_module["keywords"] = keywords_for(rng, plan)
        protocol["conditionsModule"] = conditions_module
        protocol["designModule"] = _design_module(rng, plan, design_info)
        arms_module: dict[str, Any] = {"armGroups": arms} if arms else {}
        arms_module["interventions"] = interventions
        protocol["armsInterventionsModule"] = arms_module
        if "outcomesModule" in kept and plan.study_type != "EXPANDED_ACCESS":
            protocol["outcomesModule"] = kept["outcomesModule"]
        protocol["eligibilityModule"] = kept["eligibilityModule"]
        protocol["contactsLocationsModule"] = _contacts(rng, plan, sponsor, draw_sites(rng, plan, sponsor))
        if "ipdSharingStatementModule" in kept:
            protocol["ipdSharingStatementModule"] = kept["ipdSharingStatementModule"]
        return {
            "protocolSection": protocol,
            "derivedSection": _derived(plan, [n.item for n in named if n.used]),
            "hasResults": False,
        }

    def _identification(self, rng: random.Random, plan: Plan, named: Sequence[Named], sponsor: Sponsor,
                        conditions: Sequence[str]) -> dict[str, Any]:
        module: dict[str, Any] = {"nctId": f"NCT{self.start_id + plan.index:08d}"}
        if rng.random() < 0.003:
            # a merged duplicate; the reserved NCT99… range never meets a corpus id below it
            module["nctIdAliases"] = [f"NCT99{(self.start_id + plan.index) % 1_000_000:06d}"]
        year = plan.index % 17 + 2008
        if sponsor.agency_class in ("NIH", "NETWORK"):
            module["orgStudyIdInfo"] = {"id": f"NCI-{year}-{rng.randint(100, 9999):05d}"}
            module["secondaryIdInfos"] = [{"id": f"NCI-{year}-{rng.randint(100, 9999):05d}", "type": "REGISTRY",
                                           "domain": "CTRP (Clinical Trial Reporting Program)"}]
        else:
            prefix = "".join(ch for ch in sponsor.lead.split()[0].upper() if ch.isalnum())[:4]
            module["orgStudyIdInfo"] = {"id": f"{prefix}-{year % 100:02d}-{rng.randint(1, 999):03d}"}
        module["organization"] = {"fullName": sponsor.lead, "class": sponsor.agency_class}
        brief, acronym = titles(rng, plan, named, conditions)
        module["briefTitle"] = brief
        module["officialTitle"] = official_title(rng, plan, named, conditions)
        if acronym:
            module["acronym"] = acronym
        return module


def _template(study: Study) -> _Template:
    protocol = study["protocolSection"]
    return _Template(protocol["identificationModule"]["nctId"],
                     {name: protocol[name] for name in _KEPT_MODULES if name in protocol})


def _template_kind(plan: Plan) -> str:
    if plan.study_type == "OBSERVATIONAL":
        return "obs"
    return "non_onc" if plan.variant.kind == "non_onc" else "onc"


def _name_all(rng: random.Random, plan: Plan, nci_style: bool) -> list[Named]:
    named = [_name(rng, item, nci_style, support=False) for item in plan.interventions]
    named += [_name(rng, item, nci_style, support=True) for item in plan.support]
    return named


def _name(rng: random.Random, item: Intervention, nci_style: bool, support: bool) -> Named:
    name = item.names[0] if rng.random() < 0.55 else rng.choice(item.names)
    pool = [n for n in item.other_names if n.lower() != name.lower()]
    roll = rng.random()
    if nci_style or roll < 0.25:
        other = sorted(pool, key=str.lower)  # NCI lists every synonym, alphabetically
    elif roll < 0.65:
        other = rng.sample(pool, k=rng.randint(0, len(pool))) if pool else []
    else:
        other = []
    itype = item.type
    if itype == "DRUG" and item.labels and rng.random() < 0.3:
        itype = "BIOLOGICAL"  # sponsors type antibodies either way (pembrolizumab is both)
    return Named(item, name, other, itype, support)


def _arms_and_interventions(
    rng: random.Random, plan: Plan, named: list[Named]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """Arm groups, interventions whose armGroupLabels match them exactly, and the designInfo."""
    if plan.study_type == "EXPANDED_ACCESS":
        for n in named:
            n.used = True
        return [], [_intervention(n, []) for n in named], {}
    groups, design = _arm_plan(rng, plan, named)
    arms: list[dict[str, Any]] = []
    for label, arm_type, members, text in groups:
        arm: dict[str, Any] = {"label": label}
        if arm_type:
            arm["type"] = arm_type
        arm["description"] = text
        if members:
            arm["interventionNames"] = [f"{_TYPE_LABEL[n.type]}: {n.name}" for n in members]
        arms.append(arm)
    interventions = []
    for n in named:
        labels = [label for label, _, members, _ in groups if any(m is n for m in members)]
        if labels:
            n.used = True
            interventions.append(_intervention(n, labels))
    return arms, interventions, design


_Group = tuple[str, str, list[Named], str]


def _arm_plan(rng: random.Random, plan: Plan, named: list[Named]) -> tuple[list[_Group], dict[str, Any]]:
    agents = [n for n in named if n.item.labels or n.item.key in ("dc_cik", "car_nkt", "car_t")]
    placebo = [n for n in named if n.item.key == "placebo"]
    backbone = [n for n in named if n not in agents and n not in placebo]
    lead = agents or backbone
    if plan.study_type == "OBSERVATIONAL":
        return [(f"Patients treated with {lead[0].name}", "", named[:], "Observational cohort")], {}
    phases = plan.phases or []
    if phases == ["NA"]:
        groups: list[_Group] = [("Intervention", "EXPERIMENTAL", named[:], _arm_text(named)),
                                ("Usual care", "NO_INTERVENTION", [], "Participants continue usual care.")]
        return groups, _design_info("RANDOMIZED", "PARALLEL", "SUPPORTIVE_CARE", masked=False)
    randomized = "PHASE3" in phases or (phases == ["PHASE2"] and rng.random() < 0.35)
    treated = [n for n in named if n not in placebo]
    if randomized and (backbone or placebo or "PHASE3" in phases):
        comparator = placebo + backbone
        kind = "PLACEBO_COMPARATOR" if placebo or not backbone else "ACTIVE_COMPARATOR"
        if not comparator:
            comparator = [Named.placebo()]
            named.append(comparator[0])
        groups = [(f"Arm A ({', '.join(n.name for n in treated)})", "EXPERIMENTAL", treated, _arm_text(treated)),
                  (f"Arm B ({', '.join(n.name for n in comparator)})", kind, comparator, _arm_text(comparator))]
        return groups, _design_info("RANDOMIZED", "PARALLEL", "TREATMENT", masked=kind == "PLACEBO_COMPARATOR")
    if plan.variant.phases == "cell" and phases in (["PHASE1"], ["EARLY_PHASE1"]) and rng.random() < 0.5:
        levels = rng.randint(2, 3)
        groups = [(f"Dose Level {k}", "EXPERIMENTAL", treated, f"{_arm_text(treated)} Dose level {k}: "
                   f"{k * 3} x 10^8 cells.") for k in range(1, levels + 1)]
        return groups, _design_info("NON_RANDOMIZED", "SEQUENTIAL", "TREATMENT", masked=False)
    label = f"Treatment ({', '.join(n.name for n in treated[:3])})"
    return [(label, "EXPERIMENTAL", treated, _arm_text(treated))], _design_info("NA", "SINGLE_GROUP", "TREATMENT",
                                                                               masked=False)


def _design_info(allocation: str, model: str, purpose: str, masked: bool) -> dict[str, Any]:
    masking: dict[str, Any] = {"masking": "NONE"}
    if masked:
        masking = {"masking": "QUADRUPLE",
                   "whoMasked": ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR"]}
    return {"allocation": allocation, "interventionModel": model, "primaryPurpose": purpose, "maskingInfo": masking}


def _arm_text(members: Sequence[Named]) -> str:
    names = ", ".join(n.name for n in members)
    return (f"Patients receive {names}. Treatment repeats every 21 days for up to 2 years in the absence of "
            "disease progression or unacceptable toxicity.")


def _intervention(n: Named, arm_labels: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": n.type, "name": n.name, "description": n.item.how}
    if arm_labels:
        entry["armGroupLabels"] = arm_labels
    if n.other_names:
        entry["otherNames"] = n.other_names
    return entry


def _design_module(rng: random.Random, plan: Plan, design_info: dict[str, Any]) -> dict[str, Any]:
    if plan.study_type == "EXPANDED_ACCESS":
        return {"studyType": "EXPANDED_ACCESS", "expandedAccessTypes": {"treatment": True}}
    module: dict[str, Any] = {"studyType": plan.study_type}
    if plan.study_type == "OBSERVATIONAL":
        module["patientRegistry"] = False
        module["designInfo"] = {"observationalModel": "COHORT",
                                "timePerspective": rng.choice(["PROSPECTIVE", "RETROSPECTIVE"])}
    else:
        module["phases"] = list(plan.phases or [])
        module["designInfo"] = design_info
    module["enrollmentInfo"] = _enrollment(rng, plan)
    return module


_ENROLLMENT: Final = {"EARLY_PHASE1": 12, "PHASE1": 30, "PHASE2": 60, "PHASE3": 450, "PHASE4": 120, "NA": 60}


def _enrollment(rng: random.Random, plan: Plan) -> dict[str, Any]:
    if plan.status == "WITHDRAWN":
        return {"count": 0, "type": "ACTUAL"}
    phases = plan.phases or ["NA"]
    mean = max(_ENROLLMENT.get(p, 60) for p in phases) * (1.6 if len(phases) == 2 else 1)
    count = max(3, int(rng.lognormvariate(0, 0.5) * mean))
    done = plan.status in ("COMPLETED", "TERMINATED") or (plan.status == "ACTIVE_NOT_RECRUITING" and rng.random() < 0.7)
    return {"count": count, "type": "ACTUAL" if done else "ESTIMATED"}


def _sponsors_module(rng: random.Random, sponsor: Sponsor) -> dict[str, Any]:
    if sponsor.agency_class in ("INDUSTRY", "NIH", "NETWORK") or rng.random() < 0.4:
        party: dict[str, Any] = {"type": "SPONSOR"}
    else:
        first, last = rng.choice(_PERSONS)
        party = {"type": "PRINCIPAL_INVESTIGATOR", "investigatorFullName": f"{first} {last}",
                 "investigatorTitle": "Principal Investigator", "investigatorAffiliation": sponsor.lead}
    module: dict[str, Any] = {"responsibleParty": party, "leadSponsor": {"name": sponsor.lead,
                                                                         "class": sponsor.agency_class}}
    if sponsor.collaborators:
        module["collaborators"] = sponsor.collaborators
    return module


def _contacts(rng: random.Random, plan: Plan, sponsor: Sponsor, sites: list[dict[str, Any]]) -> dict[str, Any]:
    module: dict[str, Any] = {}
    if plan.status in ("RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION", "AVAILABLE"):
        module["centralContacts"] = [{"name": "Clinical Trials Office", "role": "CONTACT",
                                      "phone": f"+1 555 01{rng.randint(0, 99):02d}", "email": "trials@example.org"}]
    if sponsor.agency_class == "INDUSTRY":
        official = {"name": "Medical Director", "affiliation": sponsor.lead, "role": "STUDY_DIRECTOR"}
    else:
        first, last = rng.choice(_PERSONS)
        official = {"name": f"{first} {last}, MD", "affiliation": sponsor.lead, "role": "PRINCIPAL_INVESTIGATOR"}
    module["overallOfficials"] = [official]
    if sites:
        module["locations"] = sites
    return module


@functools.cache
def _browse(terms: tuple[MeshTerm, ...], ancestors: tuple[MeshTerm, ...]) -> tuple[tuple[MeshTerm, ...], ...]:
    """Deduplicated meshes and the ancestors that are not meshes themselves (cached: few combinations)."""
    meshes = tuple(dict.fromkeys(terms))
    mesh_ids = {m[0] for m in meshes}
    return meshes, tuple(a for a in dict.fromkeys(ancestors) if a[0] not in mesh_ids)


def _browse_module(terms: tuple[MeshTerm, ...], ancestors: tuple[MeshTerm, ...]) -> dict[str, Any]:
    meshes, rest = _browse(terms, ancestors)
    return {"meshes": [{"id": i, "term": t} for i, t in meshes], "ancestors": [{"id": i, "term": t} for i, t in rest]}


def _derived(plan: Plan, used: Sequence[Intervention]) -> dict[str, Any]:
    derived: dict[str, Any] = {"miscInfoModule": {"versionHolder": DEFAULT_TODAY.isoformat()}}
    derived["conditionBrowseModule"] = _browse_module(
        tuple(m for c in plan.conditions for m in c.meshes), tuple(a for c in plan.conditions for a in c.ancestors)
    )
    drug_meshes = tuple(m for i in used for m in i.mesh)
    if drug_meshes:
        derived["interventionBrowseModule"] = _browse_module(
            drug_meshes, tuple(a for i in used if i.mesh for a in i.ancestors)
        )
    return derived
