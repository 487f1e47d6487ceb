"""The pieces and search areas of the CT.gov data model that the stand-in can search, sort and project.

A *piece* is a named leaf or branch of a study (``NCTId``, ``LastUpdatePostDate``, ``Location``), as in
``/studies/metadata``; a *search area* is a named group of pieces (``InterventionSearch``) that a
``query.*`` parameter or ``AREA[...]`` searches.  Text is matched on lower-case alphanumeric tokens, so
``MK-3475`` and ``MK 3475`` are the same two tokens while ``MK3475`` is one different token.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "FIELDS",
    "QUERY_AREAS",
    "SECTIONS",
    "TOP_LEVEL",
    "Field",
    "field_text",
    "fold",
    "leaves",
    "lookup_field",
    "tokens",
]

Study = dict[str, Any]


@dataclass(frozen=True)
class Field:
    """A piece or a search area: what AREA[], fields=, sort= and the query.* parameters refer to."""

    name: str
    kind: str  # text | enum | bool | date | number | age | struct
    paths: tuple[tuple[str, ...], ...]


# name, kind and JSON path of every piece the stand-in knows (a subset of the 2024-10 metadata)
_PIECE_TABLE = """
NCTId text protocolSection.identificationModule.nctId
NCTIdAlias text protocolSection.identificationModule.nctIdAliases
OrgStudyId text protocolSection.identificationModule.orgStudyIdInfo.id
SecondaryId text protocolSection.identificationModule.secondaryIdInfos.id
BriefTitle text protocolSection.identificationModule.briefTitle
OfficialTitle text protocolSection.identificationModule.officialTitle
Acronym text protocolSection.identificationModule.acronym
OrgFullName text protocolSection.identificationModule.organization.fullName
OrgClass enum protocolSection.identificationModule.organization.class
StatusVerifiedDate date protocolSection.statusModule.statusVerifiedDate
OverallStatus enum protocolSection.statusModule.overallStatus
LastKnownStatus enum protocolSection.statusModule.lastKnownStatus
WhyStopped text protocolSection.statusModule.whyStopped
HasExpandedAccess bool protocolSection.statusModule.expandedAccessInfo.hasExpandedAccess
StartDate date protocolSection.statusModule.startDateStruct.date
StartDateType enum protocolSection.statusModule.startDateStruct.type
PrimaryCompletionDate date protocolSection.statusModule.primaryCompletionDateStruct.date
PrimaryCompletionDateType enum protocolSection.statusModule.primaryCompletionDateStruct.type
CompletionDate date protocolSection.statusModule.completionDateStruct.date
CompletionDateType enum protocolSection.statusModule.completionDateStruct.type
StudyFirstSubmitDate date protocolSection.statusModule.studyFirstSubmitDate
StudyFirstSubmitQCDate date protocolSection.statusModule.studyFirstSubmitQcDate
StudyFirstPostDate date protocolSection.statusModule.studyFirstPostDateStruct.date
StudyFirstPostDateType enum protocolSection.statusModule.studyFirstPostDateStruct.type
ResultsFirstSubmitDate date protocolSection.statusModule.resultsFirstSubmitDate
ResultsFirstPostDate date protocolSection.statusModule.resultsFirstPostDateStruct.date
LastUpdateSubmitDate date protocolSection.statusModule.lastUpdateSubmitDate
LastUpdatePostDate date protocolSection.statusModule.lastUpdatePostDateStruct.date
LastUpdatePostDateType enum protocolSection.statusModule.lastUpdatePostDateStruct.type
ResponsiblePartyType enum protocolSection.sponsorCollaboratorsModule.responsibleParty.type
LeadSponsorName text protocolSection.sponsorCollaboratorsModule.leadSponsor.name
LeadSponsorClass enum protocolSection.sponsorCollaboratorsModule.leadSponsor.class
CollaboratorName text protocolSection.sponsorCollaboratorsModule.collaborators.name
CollaboratorClass enum protocolSection.sponsorCollaboratorsModule.collaborators.class
BriefSummary text protocolSection.descriptionModule.briefSummary
DetailedDescription text protocolSection.descriptionModule.detailedDescription
Condition text protocolSection.conditionsModule.conditions
Keyword text protocolSection.conditionsModule.keywords
StudyType enum protocolSection.designModule.studyType
Phase enum protocolSection.designModule.phases
DesignAllocation enum protocolSection.designModule.designInfo.allocation
DesignInterventionModel enum protocolSection.designModule.designInfo.interventionModel
DesignPrimaryPurpose enum protocolSection.designModule.designInfo.primaryPurpose
DesignMasking enum protocolSection.designModule.designInfo.maskingInfo.masking
DesignObservationalModel enum protocolSection.designModule.designInfo.observationalModel
DesignTimePerspective enum protocolSection.designModule.designInfo.timePerspective
EnrollmentCount number protocolSection.designModule.enrollmentInfo.count
EnrollmentType enum protocolSection.designModule.enrollmentInfo.type
ArmGroupLabel text protocolSection.armsInterventionsModule.armGroups.label
ArmGroupType enum protocolSection.armsInterventionsModule.armGroups.type
ArmGroupDescription text protocolSection.armsInterventionsModule.armGroups.description
ArmGroupInterventionName text protocolSection.armsInterventionsModule.armGroups.interventionNames
InterventionType enum protocolSection.armsInterventionsModule.interventions.type
InterventionName text protocolSection.armsInterventionsModule.interventions.name
InterventionDescription text protocolSection.armsInterventionsModule.interventions.description
InterventionArmGroupLabel text protocolSection.armsInterventionsModule.interventions.armGroupLabels
InterventionOtherName text protocolSection.armsInterventionsModule.interventions.otherNames
PrimaryOutcomeMeasure text protocolSection.outcomesModule.primaryOutcomes.measure
PrimaryOutcomeDescription text protocolSection.outcomesModule.primaryOutcomes.description
PrimaryOutcomeTimeFrame text protocolSection.outcomesModule.primaryOutcomes.timeFrame
SecondaryOutcomeMeasure text protocolSection.outcomesModule.secondaryOutcomes.measure
SecondaryOutcomeDescription text protocolSection.outcomesModule.secondaryOutcomes.description
OtherOutcomeMeasure text protocolSection.outcomesModule.otherOutcomes.measure
OtherOutcomeDescription text protocolSection.outcomesModule.otherOutcomes.description
EligibilityCriteria text protocolSection.eligibilityModule.eligibilityCriteria
HealthyVolunteers bool protocolSection.eligibilityModule.healthyVolunteers
Sex enum protocolSection.eligibilityModule.sex
MinimumAge age protocolSection.eligibilityModule.minimumAge
MaximumAge age protocolSection.eligibilityModule.maximumAge
StdAge enum protocolSection.eligibilityModule.stdAges
StudyPopulation text protocolSection.eligibilityModule.studyPopulation
OverallOfficialName text protocolSection.contactsLocationsModule.overallOfficials.name
OverallOfficialAffiliation text protocolSection.contactsLocationsModule.overallOfficials.affiliation
LocationFacility text protocolSection.contactsLocationsModule.locations.facility
LocationStatus enum protocolSection.contactsLocationsModule.locations.status
LocationCity text protocolSection.contactsLocationsModule.locations.city
LocationState text protocolSection.contactsLocationsModule.locations.state
LocationZip text protocolSection.contactsLocationsModule.locations.zip
LocationCountry text protocolSection.contactsLocationsModule.locations.country
IPDSharing enum protocolSection.ipdSharingStatementModule.ipdSharing
ConditionMeshId text derivedSection.conditionBrowseModule.meshes.id
ConditionMeshTerm text derivedSection.conditionBrowseModule.meshes.term
ConditionAncestorId text derivedSection.conditionBrowseModule.ancestors.id
ConditionAncestorTerm text derivedSection.conditionBrowseModule.ancestors.term
InterventionMeshId text derivedSection.interventionBrowseModule.meshes.id
InterventionMeshTerm text derivedSection.interventionBrowseModule.meshes.term
InterventionAncestorId text derivedSection.interventionBrowseModule.ancestors.id
InterventionAncestorTerm text derivedSection.interventionBrowseModule.ancestors.term
HasResults bool hasResults
OrgStudyIdInfo struct protocolSection.identificationModule.orgStudyIdInfo
SecondaryIdInfo struct protocolSection.identificationModule.secondaryIdInfos
Organization struct protocolSection.identificationModule.organization
ExpandedAccessInfo struct protocolSection.statusModule.expandedAccessInfo
StartDateStruct struct protocolSection.statusModule.startDateStruct
PrimaryCompletionDateStruct struct protocolSection.statusModule.primaryCompletionDateStruct
CompletionDateStruct struct protocolSection.statusModule.completionDateStruct
StudyFirstPostDateStruct struct protocolSection.statusModule.studyFirstPostDateStruct
ResultsFirstPostDateStruct struct protocolSection.statusModule.resultsFirstPostDateStruct
LastUpdatePostDateStruct struct protocolSection.statusModule.lastUpdatePostDateStruct
ResponsibleParty struct protocolSection.sponsorCollaboratorsModule.responsibleParty
LeadSponsor struct protocolSection.sponsorCollaboratorsModule.leadSponsor
Collaborator struct protocolSection.sponsorCollaboratorsModule.collaborators
DesignInfo struct protocolSection.designModule.designInfo
EnrollmentInfo struct protocolSection.designModule.enrollmentInfo
ArmGroup struct protocolSection.armsInterventionsModule.armGroups
Intervention struct protocolSection.armsInterventionsModule.interventions
PrimaryOutcome struct protocolSection.outcomesModule.primaryOutcomes
SecondaryOutcome struct protocolSection.outcomesModule.secondaryOutcomes
OtherOutcome struct protocolSection.outcomesModule.otherOutcomes
CentralContact struct protocolSection.contactsLocationsModule.centralContacts
OverallOfficial struct protocolSection.contactsLocationsModule.overallOfficials
Location struct protocolSection.contactsLocationsModule.locations
LocationGeoPoint struct protocolSection.contactsLocationsModule.locations.geoPoint
VersionHolder date derivedSection.miscInfoModule.versionHolder
ConditionMesh struct derivedSection.conditionBrowseModule.meshes
ConditionAncestor struct derivedSection.conditionBrowseModule.ancestors
InterventionMesh struct derivedSection.interventionBrowseModule.meshes
InterventionAncestor struct derivedSection.interventionBrowseModule.ancestors
"""

# the sections of a study and their modules, in the order CT.gov writes them
SECTIONS: Final[dict[str, Sequence[str]]] = {
    "protocolSection": (
        "identificationModule statusModule sponsorCollaboratorsModule oversightModule descriptionModule "
        "conditionsModule designModule armsInterventionsModule outcomesModule eligibilityModule "
        "contactsLocationsModule referencesModule ipdSharingStatementModule"
    ).split(),
    "resultsSection": (
        "participantFlowModule baselineCharacteristicsModule outcomeMeasuresModule adverseEventsModule "
        "moreInfoModule"
    ).split(),
    "annotationSection": ("annotationModule",),
    "documentSection": ("largeDocumentModule",),
    "derivedSection": ("miscInfoModule", "conditionBrowseModule", "interventionBrowseModule"),
}
# the pieces each search area covers (a simplification of /studies/search-areas)
_AREA_PIECES: Final[dict[str, Sequence[str]]] = {
    "InterventionSearch": (
        "InterventionName InterventionOtherName InterventionDescription ArmGroupLabel ArmGroupDescription "
        "ArmGroupInterventionName InterventionMeshTerm"
    ).split(),
    "ConditionSearch": "Condition Keyword BriefTitle OfficialTitle Acronym ConditionMeshTerm".split(),
    "TitleSearch": ("BriefTitle", "OfficialTitle", "Acronym"),
    "SponsorSearch": ("LeadSponsorName", "CollaboratorName"),
    "IdSearch": ("NCTId", "NCTIdAlias", "OrgStudyId", "SecondaryId"),
    "LocationSearch": "LocationFacility LocationCity LocationState LocationZip LocationCountry".split(),
    "OutcomeSearch": (
        "PrimaryOutcomeMeasure PrimaryOutcomeDescription SecondaryOutcomeMeasure SecondaryOutcomeDescription "
        "OtherOutcomeMeasure OtherOutcomeDescription"
    ).split(),
    "PatientSearch": (
        "Condition Keyword BriefTitle OfficialTitle BriefSummary EligibilityCriteria InterventionName "
        "LocationCity LocationState LocationCountry"
    ).split(),
}
# the search area of each query.* parameter
QUERY_AREAS: Final[dict[str, str]] = {
    "query.term": "BasicSearch",
    "query.cond": "ConditionSearch",
    "query.locn": "LocationSearch",
    "query.titles": "TitleSearch",
    "query.intr": "InterventionSearch",
    "query.outc": "OutcomeSearch",
    "query.spons": "SponsorSearch",
    "query.lead": "LeadSponsorName",
    "query.id": "IdSearch",
    "query.patient": "PatientSearch",
}


def _build_fields() -> dict[str, Field]:
    table: dict[str, Field] = {}
    for line in _PIECE_TABLE.strip().splitlines():
        name, kind, path = line.split()
        table[name] = Field(name, kind, (tuple(path.split(".")),))
    # every section and module is a branch piece too (fields=ProtocolSection, fields=StatusModule)
    for section, modules in SECTIONS.items():
        name = section[0].upper() + section[1:]
        table[name] = Field(name, "struct", ((section,),))
        for module in modules:
            name = module[0].upper() + module[1:]
            table[name] = Field(name, "struct", ((section, module),))
    basic: list[str] = []
    for area in ("InterventionSearch", "ConditionSearch", "TitleSearch", "SponsorSearch", "IdSearch"):
        basic += [p for p in _AREA_PIECES[area] if p not in basic]
    areas = {**_AREA_PIECES, "BasicSearch": (*basic, "BriefSummary", "DetailedDescription")}
    for area, pieces in areas.items():
        table[area] = Field(area, "text", tuple(table[p].paths[0] for p in pieces))
    return table


FIELDS: Final = _build_fields()
_FIELDS_LOWER: Final = {name.lower(): f for name, f in FIELDS.items()}
TOP_LEVEL: Final = frozenset({*SECTIONS, "hasResults"})


def lookup_field(name: str) -> Field | None:
    """Find a piece or area by name, case-insensitively as the API does."""
    return _FIELDS_LOWER.get(name.strip().lower())


def leaves(obj: Any, path: tuple[str, ...]) -> list[Any]:
    """Collect the values at a JSON path, flattening lists at every level."""
    current = [obj]
    for key in path:
        found: list[Any] = []
        for item in current:
            if type(item) is dict:
                value = item.get(key)
                if type(value) is list:
                    found.extend(value)
                elif value is not None:
                    found.append(value)
        current = found
    return current


# ascii fast path of the tokenizer: lower-case letters and digits, every other byte becomes a space
_ASCII_FOLD: Final = bytes(
    ord(chr(i).lower()) if chr(i).isalnum() else 0x20 for i in range(128)
) + bytes(range(128, 256))
_NON_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> bytes:
    """Map text to space-separated lower-case alphanumeric tokens (runs of spaces are allowed)."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_FOLD)
    return _NON_WORD.sub(" ", text.lower()).encode()


def tokens(text: str) -> tuple[bytes, ...]:
    """Split text into the lower-case alphanumeric tokens the stand-in matches on."""
    return tuple(fold(text).split())


def _as_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


def field_text(study: Study, fld: Field) -> bytes:
    """The folded text of a piece or area, padded with spaces so that b" word " finds whole tokens."""
    # " | " between values keeps a phrase from matching across two values
    chunks: list[bytes] = []
    for path in fld.paths:
        for value in leaves(study, path):
            text = _as_text(value)
            if text:
                chunks.append(fold(text))
    return b" " + b" | ".join(chunks) + b" "
