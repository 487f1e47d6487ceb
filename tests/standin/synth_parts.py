"""Parts of a synthetic study that do not depend on its template: dates, sponsors and sites.

Everything here draws from the per-study *body* RNG, never from the plan's, so that the labels of a
corpus (:mod:`.plans`) do not change when the way a record is dressed up changes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field
from typing import Any, Final

from tests.standin.conditions_table import ACADEMIC_SPONSORS, CITIES, GOV_SPONSORS, NETWORK_SPONSORS, City
from tests.standin.plans import Plan
from tracker.demo.registry import DEFAULT_TODAY

__all__ = ["Dates", "Sponsor", "draw_dates", "draw_sites", "draw_sponsor"]

TODAY: Final = DEFAULT_TODAY
LAST_UPDATE_MIN: Final = dt.date(2015, 1, 1)
LAST_UPDATE_MAX: Final = TODAY - dt.timedelta(days=1)
_OPEN: Final = frozenset({"RECRUITING", "ENROLLING_BY_INVITATION", "NOT_YET_RECRUITING"})
_WHY_STOPPED: Final = (
    "Sponsor decision", "Slow accrual", "Business decision; not due to safety concerns", "Lack of funding",
    "The study was stopped for futility at the planned interim analysis", "Drug supply issues",
    "PI left the institution", "Study did not receive regulatory approval",
)
_CITY_BY_NAME: Final = {c.city: c for c in CITIES}
_REGIONS: Final = {r: tuple(c for c in CITIES if c.region == r) for r in ("US", "EU", "CN", "AS", "OT")}
_REGION_MIX: Final = {
    "US": (("US", 0.75), ("EU", 0.12), ("OT", 0.05), ("AS", 0.05), ("CN", 0.03)),
    "EU": (("EU", 0.7), ("US", 0.15), ("OT", 0.05), ("AS", 0.05), ("CN", 0.05)),
    "CN": (("CN", 0.95), ("AS", 0.05)),
    "AS": (("AS", 0.7), ("CN", 0.1), ("US", 0.1), ("EU", 0.1)),
    "OT": (("OT", 0.5), ("US", 0.3), ("EU", 0.2)),
    "GLOBAL": (("US", 0.4), ("EU", 0.3), ("AS", 0.12), ("CN", 0.1), ("OT", 0.08)),
}
_REGION_CUMULATIVE: Final = {
    key: ([r for r, _ in mix], list(itertools.accumulate(w for _, w in mix))) for key, mix in _REGION_MIX.items()
}


def _day(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    if hi <= lo:
        return lo
    return dt.date.fromordinal(rng.randint(lo.toordinal(), hi.toordinal()))


def _partial(rng: random.Random, day: dt.date) -> str:
    roll = rng.random()
    if roll < 0.03:
        return f"{day.year:04d}"
    if roll < 0.38:
        return day.isoformat()[:7]
    return day.isoformat()


def _years(days: float) -> dt.timedelta:
    return dt.timedelta(days=round(days * 365.25))


@dataclass
class Dates:
    """The statusModule of a study, as an ordered dict, plus the two dates other parts need."""

    module: dict[str, Any] = field(default_factory=dict)
    first_post: dt.date = TODAY
    last_update: dt.date = TODAY


@dataclass
class _Timeline:
    start: dt.date | None
    primary: dt.date | None
    completion: dt.date | None
    last_update: dt.date


def _timeline(rng: random.Random, status: str, first_year: int, last_year: int) -> _Timeline:
    """Start, completions and last update consistent with the status, relative to TODAY."""
    y0, y1 = dt.date(first_year, 1, 1), min(dt.date(last_year, 12, 31), TODAY + _years(1))
    recent = max(LAST_UPDATE_MIN, TODAY - dt.timedelta(days=420))
    if status in ("RECRUITING", "ENROLLING_BY_INVITATION", "SUSPENDED"):
        start = _day(rng, max(y0, dt.date(2017, 1, 1)), min(y1, TODAY - dt.timedelta(days=30)))
        primary = _future_completion(rng)
        return _Timeline(start, primary, primary + _years(rng.random() * 2), _day(rng, recent, LAST_UPDATE_MAX))
    if status == "NOT_YET_RECRUITING":
        start = _day(rng, TODAY + dt.timedelta(days=10), max(y1, TODAY + dt.timedelta(days=11)))
        primary = start + _years(1 + rng.random() * 2)
        last = _day(rng, TODAY - dt.timedelta(days=120), LAST_UPDATE_MAX)
        return _Timeline(start, primary, primary + _years(rng.random()), last)
    if status == "ACTIVE_NOT_RECRUITING":
        start = _day(rng, max(y0, dt.date(2012, 1, 1)), min(y1, TODAY - _years(2)))
        primary = _future_completion(rng) if rng.random() < 0.5 else _day(rng, start + _years(1), TODAY - _years(0.1))
        return _Timeline(start, primary, max(primary, TODAY) + _years(rng.random() * 2),
                         _day(rng, recent, LAST_UPDATE_MAX))
    if status in ("COMPLETED", "TERMINATED", "WITHDRAWN"):
        start = _day(rng, y0, min(y1, dt.date(2024, 6, 30)))
        span = 0.3 + rng.random() * (4 if status == "TERMINATED" else 5)
        primary = min(start + _years(span), TODAY - dt.timedelta(days=60))
        completion = min(primary + _years(rng.random() * 1.5), TODAY - dt.timedelta(days=30))
        return _Timeline(start, primary, completion, _update_after(rng, completion, LAST_UPDATE_MAX))
    # UNKNOWN: expected completion long past and no verification since
    start = _day(rng, y0, min(y1, dt.date(2021, 6, 30)))
    primary = min(start + _years(1 + rng.random() * 3), TODAY - _years(1.2))
    last = _update_after(rng, max(start, primary - _years(1)), dt.date(2023, 12, 31))
    return _Timeline(start, primary, primary + _years(rng.random()), last)


def _update_after(rng: random.Random, event: dt.date, latest: dt.date) -> dt.date:
    """A last update within a few years of event; events before 2015 spread over 2015-2019."""
    lo = max(event, LAST_UPDATE_MIN)
    return _day(rng, lo, min(max(event + _years(3), lo + _years(5)), latest))


def _future_completion(rng: random.Random) -> dt.date:
    # a third of the open trials reach their primary completion within the year after TODAY
    if rng.random() < 0.35:
        return _day(rng, TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=365))
    return _day(rng, TODAY + dt.timedelta(days=366), TODAY + _years(5))


def draw_dates(rng: random.Random, plan: Plan, first_year: int, last_year: int) -> Dates:
    status = plan.status
    if plan.study_type == "EXPANDED_ACCESS":
        last = _day(rng, LAST_UPDATE_MIN, LAST_UPDATE_MAX)
        line = _Timeline(None, None, None, last)
        first_post = _day(rng, dt.date(2012, 1, 1), last)
    else:
        line = _timeline(rng, status, first_year, last_year)
        assert line.start is not None
        first_post = min(line.start - dt.timedelta(days=rng.randint(0, 120)), LAST_UPDATE_MAX)
    last_update = max(line.last_update, first_post)
    module: dict[str, Any] = {"statusVerifiedDate": last_update.isoformat()[:7], "overallStatus": status}
    if status == "UNKNOWN":
        module["lastKnownStatus"] = rng.choices(
            ["RECRUITING", "ACTIVE_NOT_RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION"], [6, 2, 1, 1]
        )[0]
    if status in ("TERMINATED", "WITHDRAWN", "SUSPENDED"):
        module["whyStopped"] = rng.choice(_WHY_STOPPED)
    module["expandedAccessInfo"] = {"hasExpandedAccess": plan.study_type == "EXPANDED_ACCESS" or rng.random() < 0.03}
    if line.start is not None and line.primary is not None and line.completion is not None:
        module["startDateStruct"] = _struct(rng, line.start, status, allow_untyped=True)
        module["primaryCompletionDateStruct"] = _struct(rng, line.primary, status)
        module["completionDateStruct"] = _struct(rng, line.completion, status)
    submit = first_post - dt.timedelta(days=rng.randint(1, 25))
    module["studyFirstSubmitDate"] = submit.isoformat()
    module["studyFirstSubmitQcDate"] = min(submit + dt.timedelta(days=rng.randint(0, 5)), first_post).isoformat()
    old_estimate = first_post.year < 2017 and rng.random() < 0.3
    module["studyFirstPostDateStruct"] = {"date": first_post.isoformat(),
                                          "type": "ESTIMATED" if old_estimate else "ACTUAL"}
    module["lastUpdateSubmitDate"] = max(last_update - dt.timedelta(days=rng.randint(0, 3)), submit).isoformat()
    update_type = "ESTIMATED" if rng.random() < 0.03 else "ACTUAL"
    module["lastUpdatePostDateStruct"] = {"date": last_update.isoformat(), "type": update_type}
    return Dates(module, first_post, last_update)


def _struct(rng: random.Random, day: dt.date, status: str, allow_untyped: bool = False) -> dict[str, str]:
    struct = {"date": _partial(rng, day)}
    if allow_untyped and day.year < 2011 and rng.random() < 0.5:
        return struct  # older records carry no type on their start date
    actual = day <= TODAY and status != "WITHDRAWN" and not (status in _OPEN and day > TODAY)
    struct["type"] = "ACTUAL" if actual else "ESTIMATED"
    return struct


@dataclass
class Sponsor:
    lead: str
    agency_class: str
    region: str  # where most sites are: a key of _REGION_MIX
    home: City | None
    collaborators: list[dict[str, str]]


def draw_sponsor(rng: random.Random, plan: Plan) -> Sponsor:
    companies = list(dict.fromkeys(i.sponsor for i in plan.interventions if i.sponsor))
    collaborators: list[dict[str, str]] = []
    roll = rng.random()
    if companies and plan.variant.kind != "trap" and roll < 0.55:
        collaborators = [{"name": c, "class": "INDUSTRY"} for c in companies[1:] if rng.random() < 0.5]
        return Sponsor(companies[0], "INDUSTRY", "GLOBAL", None, collaborators)
    if companies and rng.random() < 0.6:
        collaborators.append({"name": companies[0], "class": "INDUSTRY"})
    if plan.variant.kind == "trap" and plan.variant.name in ("trap_cik", "trap_enktl") and rng.random() < 0.8:
        name, city = rng.choice([s for s in ACADEMIC_SPONSORS if _CITY_BY_NAME[s[1]].region == "CN"])
        return Sponsor(name, "OTHER", "CN", _CITY_BY_NAME[city], collaborators)
    if roll < 0.63:
        return Sponsor("National Cancer Institute (NCI)", "NIH", "US", _CITY_BY_NAME["Bethesda"], collaborators)
    if roll < 0.68:
        collaborators.append({"name": "National Cancer Institute (NCI)", "class": "NIH"})
        return Sponsor(rng.choice(NETWORK_SPONSORS), "NETWORK", "US", None, collaborators)
    if roll < 0.71:
        name, city = rng.choice(GOV_SPONSORS)
        home = _CITY_BY_NAME[city]
        return Sponsor(name, "OTHER_GOV", home.region, home, collaborators)
    name, city = rng.choice(ACADEMIC_SPONSORS)
    home = _CITY_BY_NAME[city]
    return Sponsor(name, "OTHER", home.region, home, collaborators)


_SITE_STATUS: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    "RECRUITING": (("RECRUITING", 0.8), ("NOT_YET_RECRUITING", 0.1), ("COMPLETED", 0.05), ("WITHDRAWN", 0.05)),
    "NOT_YET_RECRUITING": (("NOT_YET_RECRUITING", 1.0),),
    "ACTIVE_NOT_RECRUITING": (("ACTIVE_NOT_RECRUITING", 0.9), ("COMPLETED", 0.1)),
    "ENROLLING_BY_INVITATION": (("ENROLLING_BY_INVITATION", 1.0),),
    "SUSPENDED": (("SUSPENDED", 0.8), ("RECRUITING", 0.2)),
    "AVAILABLE": (("AVAILABLE", 1.0),),
}
# mean number of sites (beyond the first) per phase label; site counts are exponential around it
_SITE_MEAN: Final = {"EARLY_PHASE1": 0.3, "PHASE1": 2.5, "PHASE1+PHASE2": 5, "PHASE2": 9, "PHASE2+PHASE3": 50,
                     "PHASE3": 110, "PHASE4": 4, "NA": 2, "": 4}


def _site_count(rng: random.Random, plan: Plan) -> int:
    if plan.study_type == "EXPANDED_ACCESS":
        return 0 if rng.random() < 0.6 else rng.randint(1, 3)
    if plan.status == "WITHDRAWN":
        return 0 if rng.random() < 0.7 else 1
    if rng.random() < 0.01:
        return rng.randint(1000, 1400)  # the few mega-trials (NCT04267848 has 1,148 sites)
    if rng.random() < 0.03:
        return 0
    phase = "+".join(plan.phases or [])
    base = 30 if phase == "PHASE3" else (10 if phase == "PHASE2+PHASE3" else 1)
    return base + int(rng.expovariate(1 / _SITE_MEAN.get(phase, 4)))


def draw_sites(rng: random.Random, plan: Plan, sponsor: Sponsor) -> list[dict[str, Any]]:
    count = _site_count(rng, plan)
    if not count:
        return []
    names, cumulative = _REGION_CUMULATIVE[sponsor.region]
    regions = rng.choices(names, cum_weights=cumulative, k=count)
    rand = rng.random
    # index by rand() rather than rng.choice: sites are most of the generation time of a corpus
    cities = [pool[int(rand() * len(pool))] for pool in (_REGIONS[r] for r in regions)]
    if sponsor.home is not None:
        cities[0] = sponsor.home
    weights = _SITE_STATUS.get(plan.status)
    if weights is None and rand() < 0.3:
        weights = (("COMPLETED", 1.0),)  # completed and older studies mostly carry no site status
    statuses = rng.choices([s for s, _ in weights], [w for _, w in weights], k=count) if weights else None
    anonymous = count > 40
    home = sponsor.lead if sponsor.home is not None and sponsor.agency_class != "NIH" else ""
    sites = []
    for k, city in enumerate(cities):
        roll = rand()
        if k == 0 and home:
            facility = home
        elif anonymous and roll < 0.5:
            # large industry trials anonymise many sites ("Research Site", "Local Institution - 0042")
            facility = "Research Site" if roll < 0.25 else f"Local Institution - {k:04d}"
        else:
            facility = city.facilities[int(rand() * len(city.facilities))]
        point = {"lat": city.lat, "lon": city.lon}
        if statuses is None:
            sites.append({"facility": facility, **city.fields, "geoPoint": point})
        else:
            sites.append({"facility": facility, "status": statuses[k], **city.fields, "geoPoint": point})
    return sites
