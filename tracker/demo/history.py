"""CT.gov's per-study history endpoints (``/api/int``), as ``ctgov-history.md`` records them.

``GET /api/int/studies/{NCT}?history=true`` → ``{study, topics, history}``; ``/history`` → the history
object alone (``changes``, ``originalData``, ``lastUpdateVersions``, ``outcomesUpdateCount``);
``/history/{v}`` → ``{studyVersion, study}`` with the study as it stood at version ``v`` (0-based,
oldest first). As on the real site, text of past versions is HTML with ``&#x2F;``-style entities, past
versions carry no derivedSection, ``date`` is the submission date, and a version out of range is 403.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any, Final

from tracker.demo.registry import Registry, Study, normalize_nct_id
from tracker.demo.responses import Response, json_response, text_response

__all__ = ["history_index", "history_response", "html_study"]

_ROUTE: Final = re.compile(r"^studies/([^/]+)(/history(?:/(\d+))?)?$")
# the website's names of the protocolSection modules, used in moduleLabels
MODULE_LABELS: Final = {
    "identificationModule": "Study Identification", "statusModule": "Study Status",
    "sponsorCollaboratorsModule": "Sponsor/Collaborators", "oversightModule": "Oversight",
    "descriptionModule": "Study Description", "conditionsModule": "Conditions", "designModule": "Study Design",
    "armsInterventionsModule": "Arms and Interventions", "outcomesModule": "Outcome Measures",
    "eligibilityModule": "Eligibility", "contactsLocationsModule": "Contacts/Locations",
    "referencesModule": "References", "ipdSharingStatementModule": "IPDSharing",
}


def history_response(registry: Registry, rest: str, pairs: Sequence[tuple[str, str]]) -> Response:
    """Answer one /api/int/ request."""
    match = _ROUTE.match(rest)
    if match is None:
        return text_response(404, f"no route /api/int/{rest}")
    try:
        nct_id = normalize_nct_id(match.group(1))
    except ValueError as exc:
        return text_response(400, str(exc))
    versions = registry.versions(nct_id)
    if not versions:
        return text_response(404, f"NCT number {nct_id} not found")
    if match.group(3) is not None:
        index = int(match.group(3))
        if index >= len(versions):
            return text_response(403, "Forbidden")
        return json_response({"studyVersion": index, "study": html_study(versions[index])})
    index_body = history_index(versions)
    if match.group(2):
        return json_response(index_body)
    if dict(pairs).get("history") == "true":
        return json_response({"study": versions[-1], "topics": {}, "history": index_body})
    return json_response({"study": versions[-1]})


def history_index(versions: list[Study]) -> dict[str, Any]:
    """The history object of a study from its posted versions."""
    changes = []
    for number, study in enumerate(versions):
        status = study.get("protocolSection", {}).get("statusModule", {})
        submitted = status.get("lastUpdateSubmitDate") if number else status.get("studyFirstSubmitDate")
        submitted = submitted or (status.get("lastUpdatePostDateStruct") or {}).get("date")
        labels = [] if number == 0 else _changed_modules(versions[number - 1], study)
        changes.append({
            "version": number, "date": submitted, "status": status.get("overallStatus"),
            "studyType": study.get("protocolSection", {}).get("designModule", {}).get("studyType"),
            "moduleLabels": labels, "lastUpdateSubmitQcDate": submitted,
        })
    return {"changes": changes, "originalData": {}, "lastUpdateVersions": {}, "outcomesUpdateCount": 0}


def _changed_modules(before: Study, after: Study) -> list[str]:
    old, new = before.get("protocolSection", {}), after.get("protocolSection", {})
    return [label for key, label in MODULE_LABELS.items() if old.get(key) != new.get(key)]


def html_study(study: Study) -> Study:
    """A study as a history version shows it: text as HTML, no derivedSection."""
    section = _html(study.get("protocolSection", {}))
    version: Study = {"protocolSection": section}
    for key in ("resultsSection", "hasResults"):
        if key in study:
            version[key] = study[key]
    return version


def _html(value: Any) -> Any:
    if isinstance(value, str):
        escaped = html.escape(value, quote=True).replace("/", "&#x2F;").replace("&#x27;", "&#x27;")
        return f"<p>{escaped}</p>" if "\n" in value else escaped
    if isinstance(value, list):
        return [_html(v) for v in value]
    if isinstance(value, dict):
        return {k: _html(v) for k, v in value.items()}
    return value
