"""CT.gov API v2 answers: the shapes the client decodes (msgspec), and what it hands on of each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec
import polars as pl

PAGE_SIZE = 1000  # the most the API returns per page; larger values are silently clamped
MAX_PAGES = 10_000  # 10 M studies: far beyond the registry, so hitting it means a token loop


class _PageBody(msgspec.Struct):
    studies: list[msgspec.Raw]
    # real tokens are ~48 characters; a huge one would not fit in the next request's URL
    nextPageToken: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    # the registry holds ~600,000 studies; a count past what paging can ever deliver is not believed
    totalCount: Annotated[int, msgspec.Meta(ge=0, le=PAGE_SIZE * MAX_PAGES)] | None = None


class _PostDate(msgspec.Struct):
    date: str | None = None
    type: str | None = None


class _Status(msgspec.Struct):
    lastUpdatePostDateStruct: _PostDate | None = None


class _Identification(msgspec.Struct):
    nctId: str | None = None


class _Protocol(msgspec.Struct):
    identificationModule: _Identification | None = None
    statusModule: _Status | None = None


class _Misc(msgspec.Struct):
    versionHolder: str | None = None


class _Derived(msgspec.Struct):
    miscInfoModule: _Misc | None = None


class _StudyKeys(msgspec.Struct):
    protocolSection: _Protocol | None = None
    derivedSection: _Derived | None = None


class VersionBody(msgspec.Struct):
    apiVersion: str
    dataTimestamp: str | None = None


class _HistoryChange(msgspec.Struct):
    version: int
    date: str | None = None
    status: str | None = None


class HistoryIndexBody(msgspec.Struct):
    changes: list[_HistoryChange]


class HistoryVersionBody(msgspec.Struct):
    studyVersion: int
    study: msgspec.Raw


class StatsSizeBody(msgspec.Struct):
    totalStudies: Annotated[int, msgspec.Meta(ge=0, le=PAGE_SIZE * MAX_PAGES)]


class _Intervention(msgspec.Struct):
    type: str | None = None
    name: str | None = None
    description: str | None = None
    otherNames: list[str] | None = None
    armGroupLabels: list[str] | None = None


class _ArmGroup(msgspec.Struct):
    label: str | None = None
    type: str | None = None
    description: str | None = None
    interventionNames: list[str] | None = None


class _Arms(msgspec.Struct):
    interventions: list[_Intervention] | None = None
    armGroups: list[_ArmGroup] | None = None


class _ScanIdentification(msgspec.Struct):
    nctId: str | None = None
    briefTitle: str | None = None
    officialTitle: str | None = None
    acronym: str | None = None


class _Description(msgspec.Struct):
    briefSummary: str | None = None
    detailedDescription: str | None = None


class _Conditions(msgspec.Struct):
    conditions: list[str] | None = None
    keywords: list[str] | None = None


class _ScanProtocol(msgspec.Struct):
    identificationModule: _ScanIdentification | None = None
    armsInterventionsModule: _Arms | None = None
    descriptionModule: _Description | None = None
    conditionsModule: _Conditions | None = None


class ScanStudy(msgspec.Struct):
    """What a registry scan reads of a study to decide whether it is worth storing; the rest is skipped."""

    protocolSection: _ScanProtocol | None = None


_page_decoder = msgspec.json.Decoder(_PageBody)
_scan_decoder = msgspec.json.Decoder(ScanStudy)
_stats_size_decoder = msgspec.json.Decoder(StatsSizeBody)
_history_index_decoder = msgspec.json.Decoder(HistoryIndexBody)
_history_version_decoder = msgspec.json.Decoder(HistoryVersionBody)
_keys_decoder = msgspec.json.Decoder(_StudyKeys)
_version_decoder = msgspec.json.Decoder(VersionBody)


@dataclass(frozen=True)
class Page:
    """One page of `/studies`: each study's raw JSON, the token for the next page, the total if asked."""

    studies: list[bytes]
    next_page_token: str | None
    total_count: int | None
    url: str


@dataclass(frozen=True)
class StudyKeys:
    """What the loader needs to know of a study before storing it, read without parsing the rest."""

    nct_id: str | None
    last_update_post_date: str | None
    last_update_post_date_type: str | None
    version_holder: str | None


def study_keys(raw: bytes) -> StudyKeys:
    """The NCT id, last-update post date and versionHolder of one study's JSON."""
    study = _keys_decoder.decode(raw)
    protocol = study.protocolSection
    ident = protocol.identificationModule if protocol else None
    posted = protocol.statusModule.lastUpdatePostDateStruct if protocol and protocol.statusModule else None
    misc = study.derivedSection.miscInfoModule if study.derivedSection else None
    return StudyKeys(
        nct_id=ident.nctId if ident else None,
        last_update_post_date=posted.date if posted else None,
        last_update_post_date_type=posted.type if posted else None,
        version_holder=misc.versionHolder if misc else None,
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One version in CT.gov's history index of a study: its 0-based number, submission date, status."""

    version: int
    submitted: str | None
    status: str | None


@dataclass(frozen=True)
class ApiVersion:
    api_version: str
    data_timestamp: str | None


def check_utf8(content: bytes) -> None:
    """UnicodeDecodeError unless `content` is strict UTF-8: undecodable bytes never reach the database.

    polars' validator runs without the GIL and ~5× faster than bytes.decode, which only names the error.
    """
    if content.isascii():
        return
    try:
        pl.Series([content], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.ComputeError:
        content.decode("utf-8")  # the error with its position
        raise UnicodeDecodeError("utf-8", content, 0, len(content), "polars found invalid UTF-8") from None


def decode_page(content: bytes, url: str) -> Page:
    check_utf8(content)
    body = _page_decoder.decode(content)
    return Page(
        studies=[bytes(raw) for raw in body.studies],
        next_page_token=body.nextPageToken or None,
        total_count=body.totalCount,
        url=url,
    )


def decode_history_index(content: bytes, url: str) -> HistoryIndexBody:
    return _history_index_decoder.decode(content)


def decode_history_version(content: bytes, url: str) -> HistoryVersionBody:
    return _history_version_decoder.decode(content)


def decode_version(content: bytes, url: str) -> VersionBody:
    return _version_decoder.decode(content)


def decode_stats_size(content: bytes, url: str) -> StatsSizeBody:
    return _stats_size_decoder.decode(content)


def scan_study(raw: bytes) -> ScanStudy | None:
    """The texts a scan sieves of one study's JSON, or None when they are not what CT.gov writes."""
    try:
        return _scan_decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None
