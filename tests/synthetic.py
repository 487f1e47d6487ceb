"""Small hand-made trials built from a real CT.gov record shape, for tests that need known content."""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import sample_studies

_TEMPLATE = next(s for s in sample_studies()
                 if s["protocolSection"].get("armsInterventionsModule")
                 and s["protocolSection"].get("contactsLocationsModule", {}).get("locations"))


def trial(nct_id: str, *, interventions: list[tuple[str, str]], conditions: list[str],
          mesh: list[str] | None = None, phases: list[str] | None = None, status: str = "RECRUITING",
          start: str = "2024-03", title: str | None = None, last_update: str = "2026-11-02",
          sponsor: tuple[str, str] = ("University Hospital", "OTHER")) -> dict[str, Any]:
    """A study with the given (type, name) interventions, one experimental arm listing them all."""
    study = copy.deepcopy(_TEMPLATE)
    ps = study["protocolSection"]
    ps["identificationModule"] = {"nctId": nct_id, "briefTitle": title or f"Trial {nct_id}",
                                  "orgStudyIdInfo": {"id": f"ORG-{nct_id}"}}
    ps["statusModule"]["overallStatus"] = status
    ps["statusModule"]["startDateStruct"] = {"date": start, "type": "ACTUAL"}
    ps["statusModule"]["lastUpdatePostDateStruct"] = {"date": last_update, "type": "ACTUAL"}
    ps["designModule"]["phases"] = phases or ["PHASE2"]
    ps["sponsorCollaboratorsModule"] = {"leadSponsor": {"name": sponsor[0], "class": sponsor[1]}}
    ps["conditionsModule"] = {"conditions": conditions}
    arm = {"label": "Experimental", "type": "EXPERIMENTAL", "description": "study treatment",
           "interventionNames": [f"{kind.title()}: {name}" for kind, name in interventions]}
    ps["armsInterventionsModule"] = {
        "armGroups": [arm],
        "interventions": [{"type": kind, "name": name, "armGroupLabels": ["Experimental"]}
                          for kind, name in interventions],
    }
    ps["outcomesModule"] = {"primaryOutcomes": [{"measure": "Objective response rate", "timeFrame": "24 weeks"}]}
    study["derivedSection"] = {"miscInfoModule": {"versionHolder": "2026-11-20"},
                               "conditionBrowseModule": {"meshes": [{"id": "", "term": t} for t in mesh or []]}}
    study.pop("resultsSection", None)
    study["hasResults"] = False
    return study


def landscape_corpus() -> list[dict[str, Any]]:
    """Nine trials covering the main classes and traps."""
    return [
        trial("NCT90000101", interventions=[("DRUG", "MK-3475"), ("DRUG", "Carboplatin")],
              conditions=["Non-small Cell Lung Cancer"], mesh=["Carcinoma, Non-Small-Cell Lung"], phases=["PHASE3"]),
        trial("NCT90000102", interventions=[("DRUG", "Monalizumab"), ("DRUG", "Cetuximab")],
              conditions=["Head and Neck Squamous Cell Carcinoma"], phases=["PHASE2", "PHASE3"]),
        trial("NCT90000103", interventions=[("BIOLOGICAL", "CD19 CAR-NK cells")],
              conditions=["B-cell Lymphoma"], phases=["PHASE1"], status="NOT_YET_RECRUITING"),
        trial("NCT90000104", interventions=[("BIOLOGICAL", "CIK cells")], conditions=["Gastric Cancer"]),
        trial("NCT90000105", interventions=[("DRUG", "Gemcitabine"), ("DRUG", "Pegaspargase")],
              conditions=["Extranodal NK/T-cell Lymphoma, Nasal Type"], status="COMPLETED"),
        trial("NCT90000106", interventions=[("DRUG", "Azacitidine")], conditions=["Myelodysplastic Syndromes"]),
        trial("NCT90000107", interventions=[("BIOLOGICAL", "FT516"), ("DRUG", "Rituximab")],
              conditions=["Diffuse Large B-Cell Lymphoma"], phases=["PHASE1"]),
        trial("NCT90000109", interventions=[("DRUG", "Tiragolumab"), ("DRUG", "Atezolizumab")],
              conditions=["Non-small Cell Lung Cancer"], phases=["PHASE3"]),
        trial("NCT90000108", interventions=[("DRUG", "XYZ-123"), ("DRUG", "Pembrolizumab")],
              conditions=["Advanced Solid Tumors"], phases=["PHASE1", "PHASE2"]),
    ]
