"""The parameters of ``GET /studies`` (spec 2.0.5): validation, parsing and the search they describe.

Every malformed or unknown parameter becomes a :class:`BadRequest`, answered as a one-line 400
``text/plain`` like the real API (`` `filter.phase` is unknown parameter ``).  :func:`matches` applies a
parsed :class:`StudyQuery` to the registry's records, including the real quirk that a ``query.*``
parameter holding only NCT ids switches every ``filter.*`` / ``postFilter.*`` off.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tracker.demo.essie import EssieError, Node, comparable, evaluate, parse_essie
from tracker.demo.fields import FIELDS, QUERY_AREAS, TOP_LEVEL, Field, leaves, lookup_field
from tracker.demo.registry import Record, normalize_nct_id

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "SINGLE_STUDY_PARAMS",
    "STUDIES_PARAMS",
    "BadRequest",
    "StudyQuery",
    "check_params",
    "matches",
    "parse_fields",
    "parse_query",
    "project",
    "sort_records",
]

MAX_PAGE_SIZE: Final = 1000
DEFAULT_PAGE_SIZE: Final = 10
STATUSES: Final = frozenset(
    "ACTIVE_NOT_RECRUITING COMPLETED ENROLLING_BY_INVITATION NOT_YET_RECRUITING RECRUITING SUSPENDED "
    "TERMINATED WITHDRAWN AVAILABLE NO_LONGER_AVAILABLE TEMPORARILY_NOT_AVAILABLE APPROVED_FOR_MARKETING "
    "WITHHELD UNKNOWN".split()
)
STUDIES_PARAMS: Final = frozenset(
    "format markupFormat query.cond query.term query.locn query.titles query.intr query.outc query.spons "
    "query.lead query.id query.patient filter.overallStatus filter.geo filter.ids filter.advanced "
    "filter.synonyms postFilter.overallStatus postFilter.geo postFilter.ids postFilter.advanced "
    "postFilter.synonyms aggFilters geoDecay fields sort countTotal pageSize pageToken".split()
)
SINGLE_STUDY_PARAMS: Final = frozenset({"format", "markupFormat", "fields"})
# the spec lets later pages change only these three parameters
PAGING_PARAMS: Final = frozenset({"pageToken", "pageSize", "countTotal"})

_NCT_ONLY = re.compile(r"^[\s,]*[Nn][Cc][Tt]\d+(?:[\s,]+[Nn][Cc][Tt]\d+)*[\s,]*$")
_LIST_SPLIT = re.compile(r"[,|]")
_GEO_RE = re.compile(r"^distance\((-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?),(\d+(?:\.\d+)?)(km|mi)?\)$")
_GEO_DECAY_RE = re.compile(
    r"^func:(gauss|exp|linear),scale:(\d+(\.\d+)?(km|mi)),offset:(\d+(\.\d+)?(km|mi)),decay:(\d+(\.\d+)?)$"
)
_SYNONYM_RE = re.compile(r"[A-Za-z]+:\d+")
_AGG_PHASES: Final = {"0": "EARLY_PHASE1", "1": "PHASE1", "2": "PHASE2", "3": "PHASE3", "4": "PHASE4", "na": "NA"}
_AGG_STATUSES: Final = {
    "rec": "RECRUITING", "not": "NOT_YET_RECRUITING", "act": "ACTIVE_NOT_RECRUITING", "com": "COMPLETED",
    "ter": "TERMINATED", "sus": "SUSPENDED", "wit": "WITHDRAWN", "enr": "ENROLLING_BY_INVITATION",
    "unk": "UNKNOWN", "ava": "AVAILABLE", "nla": "NO_LONGER_AVAILABLE", "tna": "TEMPORARILY_NOT_AVAILABLE",
    "afm": "APPROVED_FOR_MARKETING", "wh": "WITHHELD",
}

Check = Callable[[Record], bool]
Geo = tuple[float, float, float]


class BadRequest(Exception):
    """A request the real API would answer with 400 text/plain; the message is the body."""


@dataclass
class StudyQuery:
    """A parsed ``GET /studies`` request."""

    queries: list[tuple[Field, Node]]
    nct_only: frozenset[str] | None  # the ids of query.* parameters made only of NCT ids
    statuses: list[frozenset[str]]
    id_filters: list[frozenset[str]]
    advanced: list[Node]
    geo: list[Geo]
    agg: list[Check]
    sort: list[tuple[Field, bool]]
    projection: dict[str, Any] | None
    page_size: int
    count_total: bool
    page_token: str | None
    key: tuple[tuple[str, str], ...]  # the parameters every later page must repeat


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in _LIST_SPLIT.split(value) if item.strip()]


def check_params(pairs: Sequence[tuple[str, str]], allowed: frozenset[str]) -> dict[str, str]:
    """Refuse unknown or repeated parameters and formats other than JSON; return the parameters."""
    params: dict[str, str] = {}
    for name, value in pairs:
        if name not in allowed:
            raise BadRequest(f"`{name}` is unknown parameter")
        if name in params:
            raise BadRequest(f"`{name}` is given more than once")
        params[name] = value
    fmt = params.get("format", "json")
    if fmt.lower() in ("csv", "json.zip", "fhir.json", "ris"):
        raise BadRequest(f"format={fmt} is not served by the offline stand-in: it serves JSON only")
    if fmt.lower() != "json":
        raise BadRequest(f"`format` has invalid value: {fmt}")
    markup = params.get("markupFormat", "markdown")
    if markup not in ("markdown", "legacy"):
        raise BadRequest(f"`markupFormat` has invalid value: {markup}")
    return params


def _parse_ids(name: str, value: str) -> frozenset[str]:
    ids: set[str] = set()
    for item in _split_list(value):
        try:
            ids.add(normalize_nct_id(item))
        except ValueError as exc:
            raise BadRequest(f"`{name}` contains invalid NCT ID: {item}") from exc
    return frozenset(ids)


def _parse_statuses(name: str, value: str) -> frozenset[str]:
    statuses = {item.upper() for item in _split_list(value)}
    bad = sorted(statuses - STATUSES)
    if bad:
        raise BadRequest(f"`{name}` has invalid value: {bad[0]}")
    return frozenset(statuses)


def _parse_geo(name: str, value: str) -> Geo:
    match = _GEO_RE.match(value.strip())
    if not match:
        raise BadRequest(f"`{name}` must look like distance(39.0035707,-77.1013313,50mi): {value}")
    lat, lon, dist = (float(match.group(i)) for i in (1, 2, 3))
    km = dist * 1.609344 if (match.group(4) or "mi") == "mi" else dist
    return lat, lon, km


def _within(record: Record, lat: float, lon: float, km: float) -> bool:
    for point in leaves(record.study, ("protocolSection", "contactsLocationsModule", "locations", "geoPoint")):
        if not isinstance(point, dict) or "lat" not in point or "lon" not in point:
            continue
        p1, p2 = math.radians(lat), math.radians(point["lat"])
        dp, dl = p2 - p1, math.radians(point["lon"] - lon)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        if 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h))) <= km:
            return True
    return False


def _any_of(fld: Field, wanted: set[Any]) -> Check:
    return lambda r: not wanted.isdisjoint(r.values(fld))


def _has_results(wanted: set[bool]) -> Check:
    return lambda r: bool(r.study.get("hasResults", False)) in wanted


def _parse_agg(value: str) -> list[Check]:
    """Support the phase, status and results website facets; others are refused, not ignored."""
    checks: list[Check] = []
    for pair in _split_list(value):
        facet, _, options = pair.partition(":")
        keys = options.split()
        if facet == "phase" and keys and all(k.lower() in _AGG_PHASES for k in keys):
            checks.append(_any_of(FIELDS["Phase"], {_AGG_PHASES[k.lower()] for k in keys}))
        elif facet == "status" and keys and all(k in _AGG_STATUSES for k in keys):
            checks.append(_any_of(FIELDS["OverallStatus"], {_AGG_STATUSES[k] for k in keys}))
        elif facet == "results" and keys and set(keys) <= {"with", "without"}:
            checks.append(_has_results({k == "with" for k in keys}))
        else:
            raise BadRequest(f"`aggFilters` value {pair!r} is not supported by the offline stand-in")
    return checks


def _parse_sort(value: str) -> list[tuple[Field, bool]]:
    items = _split_list(value)
    if len(items) > 2:
        raise BadRequest("`sort` accepts at most 2 items")
    keys: list[tuple[Field, bool]] = []
    for item in items:
        name, _, direction = item.partition(":")
        if direction not in ("", "asc", "desc"):
            raise BadRequest(f"`sort` has invalid direction: {item}")
        if name == "@relevance":
            continue  # no ranking model here: relevance keeps the default order
        fld = lookup_field(name)
        if fld is None:
            raise BadRequest(f"`sort` has unknown field: {name}")
        if fld.kind not in ("date", "number"):
            raise BadRequest(f"`sort` field {fld.name} is not sortable: only date and numeric fields are")
        descending = direction == "desc" or (direction == "" and fld.kind == "date")
        keys.append((fld, descending))
    return keys


def parse_fields(value: str) -> dict[str, Any] | None:
    """The ``fields`` projection as a tree of JSON keys (True = keep the whole branch); None = all."""
    tree: dict[str, Any] = {}
    for item in _split_list(value):
        if item == "@query":
            continue
        fld = lookup_field(item)
        if fld is not None:
            path = fld.paths[0]
        elif item.split(".")[0] in TOP_LEVEL:
            path = tuple(item.split("."))
        else:
            raise BadRequest(f"`fields` has unknown field: {item}")
        _include(tree, path)
    return tree or None


def _include(tree: dict[str, Any], path: tuple[str, ...]) -> None:
    node = tree
    for key in path[:-1]:
        child = node.get(key)
        if child is True:
            return
        node = node.setdefault(key, {})
    node[path[-1]] = True


def project(value: Any, tree: Any) -> Any:
    """Keep only the branches of value named in tree; empty results are dropped (None)."""
    if tree is True:
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in tree:
                projected = project(item, tree[key])
                if projected is not None:
                    out[key] = projected
        return out or None
    if isinstance(value, list):
        items = [p for p in (project(v, tree) for v in value) if p is not None]
        return items or None
    return None


def parse_query(pairs: Sequence[tuple[str, str]]) -> StudyQuery:
    """Validate and parse the parameters of one ``GET /studies`` request."""
    params = check_params(pairs, STUDIES_PARAMS)
    size_raw = params.get("pageSize", "")
    if size_raw and not size_raw.isdigit():
        raise BadRequest(f"`pageSize` must be a non-negative integer: {size_raw}")
    # 0 or absent means the default; anything above the maximum is silently clamped, as live
    page_size = min(int(size_raw or 0) or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    count_raw = params.get("countTotal", "false").lower()
    if count_raw not in ("true", "false"):
        raise BadRequest(f"`countTotal` must be true or false: {params['countTotal']}")
    query = StudyQuery(
        queries=[], nct_only=None, statuses=[], id_filters=[], advanced=[], geo=[], agg=[],
        sort=_parse_sort(params.get("sort", "")), projection=parse_fields(params.get("fields", "")),
        page_size=page_size, count_total=count_raw == "true", page_token=params.get("pageToken"),
        key=tuple(sorted((k, v) for k, v in pairs if k not in PAGING_PARAMS)),
    )
    _parse_queries(params, query)
    for prefix in ("filter", "postFilter"):
        _parse_filters(params, prefix, query)
    if value := params.get("aggFilters", ""):
        query.agg = _parse_agg(value)
    if (value := params.get("geoDecay", "")) and not _GEO_DECAY_RE.match(value):
        raise BadRequest(f"`geoDecay` has invalid value: {value}")
    return query


def _parse_queries(params: Mapping[str, str], query: StudyQuery) -> None:
    for name, area in QUERY_AREAS.items():
        value = params.get(name, "")
        if _NCT_ONLY.match(value):
            ids = _parse_ids(name, value.replace(" ", ","))
            query.nct_only = ids if query.nct_only is None else query.nct_only & ids
        elif value.strip():
            node = _parse_expression(name, value, area)
            if node is not None:
                query.queries.append((FIELDS[area], node))


def _parse_filters(params: Mapping[str, str], prefix: str, query: StudyQuery) -> None:
    if value := params.get(f"{prefix}.overallStatus", ""):
        query.statuses.append(_parse_statuses(f"{prefix}.overallStatus", value))
    if value := params.get(f"{prefix}.ids", ""):
        query.id_filters.append(_parse_ids(f"{prefix}.ids", value))
    if value := params.get(f"{prefix}.advanced", ""):
        node = _parse_expression(f"{prefix}.advanced", value, "BasicSearch")
        if node is not None:
            query.advanced.append(node)
    if value := params.get(f"{prefix}.geo", ""):
        query.geo.append(_parse_geo(f"{prefix}.geo", value))
    # synonyms are validated but have no effect: the stand-in has no synonym tables
    if (value := params.get(f"{prefix}.synonyms", "")) and not all(
        _SYNONYM_RE.fullmatch(s) for s in _split_list(value)
    ):
        raise BadRequest(f"`{prefix}.synonyms` must be a list of area:synonym_id")


def _parse_expression(name: str, value: str, area: str) -> Node | None:
    try:
        return parse_essie(value, area)
    except EssieError as exc:
        raise BadRequest(f"`{name}` is malformed: {exc}") from exc


def matches(records: list[Record], query: StudyQuery) -> list[Record]:
    """Apply the query.* expressions, then (unless an NCT-only query disables them) the filters."""
    found = records
    if query.nct_only is not None:
        wanted = query.nct_only
        found = [r for r in found if r.matches_id(wanted)]
    for fld, node in query.queries:
        found = evaluate(node, found, fld)
    if query.nct_only is not None:
        return found  # real quirk: a query made only of NCT ids switches every filter off
    status_field = FIELDS["OverallStatus"]
    for statuses in query.statuses:
        found = [r for r in found if not statuses.isdisjoint(r.values(status_field))]
    for ids in query.id_filters:
        found = [r for r in found if r.matches_id(ids)]
    for node in query.advanced:
        found = evaluate(node, found, FIELDS["BasicSearch"])
    for lat, lon, km in query.geo:
        found = [r for r in found if _within(r, lat, lon, km)]
    for check in query.agg:
        found = [r for r in found if check(r)]
    return found


def sort_records(records: list[Record], keys: list[tuple[Field, bool]]) -> list[Record]:
    """Sort by up to two date/number pieces; studies missing a key always go last, as live."""
    # stable sorts applied from the last key to the first
    for fld, descending in reversed(keys):
        present: list[tuple[Any, Record]] = []
        missing: list[Record] = []
        for record in records:
            values = record.values(fld)
            value = comparable(values[0], fld) if values else None
            if value is None:
                missing.append(record)
            else:
                present.append((value, record))
        present.sort(key=lambda pair: pair[0], reverse=descending)
        records = [r for _, r in present] + missing
    return records
