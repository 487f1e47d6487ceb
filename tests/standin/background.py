"""The rest of the registry: trials that are no NK-cell or checkpoint therapy, for bulk-archive corpora.

CT.gov holds ~600,000 studies, of which the landscape is a few per cent. A registry scan must read all of
them and keep almost none, so its tests and benchmark need that background: each study here is a real
record's structure (oversight, outcomes, eligibility as CT.gov writes them) with its own id, titles,
summary, conditions, arms and interventions drawn from everyday medicine — diabetes, cardiology,
infection, psychiatry, surgery, and oncology without a tracked agent (chemotherapy, radiotherapy, kinase
inhibitors). Ids are NCT9xxxxxxx like every synthetic record.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any, Final

from tests.standin.corpus import real_studies
from tracker.demo.registry import Study, fresh

__all__ = ["BACKGROUND_START_ID", "iter_background_studies"]

BACKGROUND_START_ID: Final = 95_000_001
_AREAS: Final = (
    ("Type 2 Diabetes", ("Metformin", "Insulin glargine", "Empagliflozin", "Semaglutide", "Lifestyle counselling")),
    ("Hypertension", ("Lisinopril", "Amlodipine", "Hydrochlorothiazide", "Home blood pressure monitoring")),
    ("Heart Failure", ("Sacubitril/valsartan", "Dapagliflozin", "Cardiac rehabilitation")),
    ("Community-acquired Pneumonia", ("Amoxicillin", "Azithromycin", "Ceftriaxone")),
    ("Major Depressive Disorder", ("Sertraline", "Escitalopram", "Cognitive behavioural therapy")),
    ("Knee Osteoarthritis", ("Ibuprofen", "Physiotherapy", "Intra-articular hyaluronic acid")),
    ("Asthma", ("Budesonide/formoterol", "Montelukast", "Asthma education")),
    ("Breast Cancer", ("Carboplatin", "Paclitaxel", "Tamoxifen", "Letrozole", "Whole-breast radiotherapy")),
    ("Non-small Cell Lung Cancer", ("Osimertinib", "Carboplatin", "Pemetrexed", "Stereotactic body radiotherapy")),
    ("Colorectal Cancer", ("FOLFOX", "Capecitabine", "Bevacizumab", "Laparoscopic colectomy")),
    ("Chronic Kidney Disease", ("Finerenone", "Dietary protein restriction")),
    ("Healthy Volunteers", ("Vitamin D3", "Influenza vaccine", "Exercise programme")),
)
_DESIGNS: Final = ("randomized, double-blind", "open-label, single-arm", "randomized, open-label",
                   "prospective, multicentre")


def _templates() -> list[Study]:
    return [s for s in real_studies() if s.get("protocolSection", {}).get("eligibilityModule")]


def iter_background_studies(n: int, seed: int = 0, start_id: int = BACKGROUND_START_ID) -> Iterator[Study]:
    """Yield n background trials, deterministic for (n, seed, start_id)."""
    if not 90_000_000 <= start_id or start_id + n - 1 > 99_999_999:
        raise ValueError("synthetic NCT ids must stay in the reserved range NCT90000000-NCT99999999")
    templates = _templates()
    for index in range(n):
        rng = random.Random(f"background/{seed}/{index}")
        yield _study(rng, rng.choice(templates), f"NCT{start_id + index:08d}")


def _study(rng: random.Random, template: Study, nct_id: str) -> Study:
    condition, options = rng.choice(_AREAS)
    drugs = rng.sample(options, k=min(len(options), rng.choice((1, 2))))
    design = rng.choice(_DESIGNS)
    study: Study = fresh(template)
    protocol: dict[str, Any] = study["protocolSection"]
    title = f"{' Plus '.join(drugs)} in {condition}"
    protocol["identificationModule"] = {
        "nctId": nct_id, "orgStudyIdInfo": {"id": f"BG-{nct_id[-6:]}"},
        "organization": {"fullName": "Background Research Hospital", "class": "OTHER"},
        "briefTitle": title, "officialTitle": f"A {design} study of {title.lower()}",
    }
    protocol["descriptionModule"] = {
        "briefSummary": f"This {design} study evaluates {' and '.join(drugs).lower()} in adults with "
                        f"{condition.lower()}. Participants are followed for {rng.choice((12, 24, 52))} weeks.",
    }
    protocol["conditionsModule"] = {"conditions": [condition], "keywords": [condition.split()[0].lower()]}
    labels = [f"Arm {chr(65 + i)}: {drug}" for i, drug in enumerate(drugs)]
    protocol["armsInterventionsModule"] = {
        "armGroups": [{"label": label, "type": "EXPERIMENTAL" if i == 0 else "ACTIVE_COMPARATOR",
                       "description": f"Participants receive {drug.lower()} as described in the protocol.",
                       "interventionNames": [f"Drug: {drug}"]}
                      for i, (label, drug) in enumerate(zip(labels, drugs, strict=True))],
        "interventions": [{"type": "DRUG", "name": drug, "description": f"{drug} at the approved dose.",
                           "armGroupLabels": [label]} for label, drug in zip(labels, drugs, strict=True)],
    }
    derived = study.get("derivedSection") or {}
    for module in ("conditionBrowseModule", "interventionBrowseModule"):
        derived.pop(module, None)
    study.pop("resultsSection", None)
    study["hasResults"] = False
    return study
