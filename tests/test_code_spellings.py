"""Every spelling of every code in the scope queries (issue 12): the spellings, the URLs, the request count,
and a refresh through the stand-in that fetches and classifies trials naming an agent in another spelling."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from tests.standin.corpus import synthetic_studies
from tests.standin.server import FaultyStandIn
from tracker import api, scope
from tracker.catalogue import load_catalogue
from tracker.config import Settings
from tracker.demo.essie import evaluate, parse_essie
from tracker.demo.fields import FIELDS, Field, fold
from tracker.demo.registry import Registry
from tracker.ingest import window_params
from tracker.scope import (
    MAX_QUERY_CHARS,
    ScopeQuery,
    agent_queries,
    agent_spellings,
    code_spellings,
    essie_term,
    generic_queries,
)

# CT.gov's proxies refuse URLs from ~2,000 characters (ctgov-api.md; scope.MAX_PARAMS_CHARS)
URL_LIMIT = 2000


@pytest.mark.parametrize(("term", "expected"), [
    ("MK-3475", ["MK-3475", "MK3475", "MK 3475"]),
    ("IPH2102", ["IPH2102", "IPH-2102", "IPH 2102"]),
    ("BMS 986016", ["BMS 986016", "BMS986016", "BMS-986016"]),
    ("PF-06801591", ["PF-06801591", "PF06801591", "PF 06801591"]),
    ("MK-7684A", ["MK-7684A", "MK7684A", "MK 7684A"]),  # split at the separator, not inside 7684A
    ("Hu5F9-G4", ["Hu5F9-G4", "Hu5F9G4", "Hu5F9 G4"]),
    ("  GSK6097608 ", ["GSK6097608", "GSK-6097608", "GSK 6097608"]),
    ("1-7F9", ["1-7F9", "1 7F9"]),  # 17F9 would be another number
    ("pembrolizumab", ["pembrolizumab"]),  # an INN has no code spellings
    ("eftilagimod alfa", ["eftilagimod alfa"]),
    ("interleukin-2", ["interleukin-2"]),  # a word with a number, not a code
    ("recombinant human IL-15", ["recombinant human IL-15"]),
    ("5F9", ["5F9"]),  # no letter prefix to split after
    ("CP-675,206", ["CP-675,206"]),  # only hyphens and spaces are separators
    ("NK-92/5.28.z", ["NK-92/5.28.z"]),
    ("PD-L1 t-haNK", ["PD-L1 t-haNK"]),  # four parts: a name, not a code
    ("", []),
])
def test_code_spellings(term: str, expected: list[str]) -> None:
    assert code_spellings(term) == expected


def test_agent_spellings_count_each_spelling_once_whatever_its_case() -> None:
    assert agent_spellings("IPH2101", ["IPH 2101", "iph-2101", "1-7F9"]) == [
        "IPH2101", "IPH-2101", "IPH 2101", "1-7F9", "1 7F9"]
    assert agent_spellings("pembrolizumab", ["MK-3475", "mk3475", "Keytruda"]) == [
        "pembrolizumab", "MK-3475", "MK3475", "MK 3475", "Keytruda"]


def catalogue_agents() -> list[tuple[str, list[str]]]:
    return [(a.name, list(a.aliases)) for a in load_catalogue().agents if a.role == "tracked"]


def or_terms(queries: list[ScopeQuery]) -> set[str]:
    return {t.casefold() for q in queries for t in q.params_dict()["query.intr"].split(" OR ")}


def test_every_spelling_of_every_catalogue_code_is_in_a_scope_query() -> None:
    agents = catalogue_agents()
    sent = or_terms(agent_queries(agents))
    missing = [s for name, aliases in agents for term in (name, *aliases) for s in code_spellings(term)
               if essie_term(s).casefold() not in sent]
    assert missing == []
    assert {'"mk 3475"', "mk3475", '"iph-2102"', '"iph 2102"', "bms986016"} <= sent


def test_every_request_url_of_the_scope_stays_under_the_limit() -> None:
    queries = api.scope_for(Settings())
    # the longest request: the incremental window and a page token besides the query
    token = "ZVt07cGHkvI2wRk2CJf6_LLq14bEL8swd7KrgP4dnDeTsPkw"
    with httpx.Client(base_url="https://clinicaltrials.gov/api/v2") as client:
        for query in queries:
            params = {**window_params(query, date(2026, 12, 1)), "pageSize": "1000", "countTotal": "true",
                      "pageToken": token}
            url = str(client.build_request("GET", "/studies", params=params).url)
            assert len(url) < URL_LIMIT, (query.label, len(url))
    for query in queries:
        if query.source == "catalogue":
            (param,) = query.params_dict()  # query.intr, or query.titles for the same names in titles
            assert len(str(httpx.QueryParams(query.params_dict()))) <= MAX_QUERY_CHARS + len(param) + 1


def without_spellings(name: str, aliases: list[str]) -> list[str]:
    """The scope before issue 12: names and aliases as the catalogue writes them."""
    return [t for t in dict.fromkeys([name, *aliases]) if t.strip()]


def test_the_request_count_grows_only_by_what_the_extra_spellings_need(monkeypatch: pytest.MonkeyPatch) -> None:
    agents = catalogue_agents()
    after = agent_queries(agents)
    with monkeypatch.context() as patch:
        patch.setattr(scope, "agent_spellings", without_spellings)
        before = agent_queries(agents)

    def encoded(queries: list[ScopeQuery]) -> int:
        return sum(len(str(httpx.QueryParams({"q": q.params_dict()["query.intr"]}))) - 2 for q in queries)

    extra = encoded(after) - encoded(before)
    generic = len(generic_queries())
    print(f"\nscope queries (one request each per incremental refresh, plus /version): catalogue "
          f"{len(before)} -> {len(after)}, generic {generic}, refresh {1 + len(before) + generic} -> "
          f"{1 + len(after) + generic} requests; catalogue terms {encoded(before):,} -> {encoded(after):,} "
          f"encoded characters (+{extra:,}), {MAX_QUERY_CHARS:,} a request")
    # whole agents go into a request, so each request may leave up to one agent's terms of room unused
    assert len(after) <= len(before) + math.ceil(extra / MAX_QUERY_CHARS) + 1
    assert len(after) <= math.ceil(encoded(after) / MAX_QUERY_CHARS) + 1


class Text:
    """A study whose InterventionSearch text is one intervention name, folded like the stand-in's store."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.folded = b" " + fold(name) + b" "

    def text(self, fld: Field) -> bytes:
        return self.folded

    def values(self, fld: Field) -> list[Any]:
        return []


@pytest.mark.parametrize(("query", "names"), [
    ('"MK-3475"', {"MK-3475", "MK 3475", "mk-3475"}),  # a hyphen is a word break: one phrase of two words
    ('"MK 3475"', {"MK-3475", "MK 3475", "mk-3475"}),
    ("MK3475", {"MK3475", "mk3475"}),  # the joined code is one word, which neither phrase matches
])
def test_the_standin_tells_a_joined_code_from_a_split_one(query: str, names: set[str]) -> None:
    studies = [Text(n) for n in ("MK-3475", "MK 3475", "mk-3475", "MK3475", "mk3475", "MK-34756")]
    node = parse_essie(query, "InterventionSearch")
    assert node is not None
    assert {s.name for s in evaluate(node, studies, FIELDS["InterventionSearch"])} == names


ONLY_IN_ANOTHER_SPELLING = {"NCT09900001": "MK3475", "NCT09900002": "IPH 2102"}


def named_only(template: dict[str, Any], nct_id: str, code: str) -> dict[str, Any]:
    """A trial whose only agent is `code`, named nowhere else a scope query looks."""
    study = copy.deepcopy(template)
    section = study["protocolSection"]
    section["identificationModule"] = {"nctId": nct_id, "briefTitle": f"{code} in advanced melanoma"}
    section.pop("descriptionModule", None)
    section["conditionsModule"] = {"conditions": ["Melanoma"]}
    section["armsInterventionsModule"] = {
        "armGroups": [{"label": "Arm A", "type": "EXPERIMENTAL", "interventionNames": [f"Drug: {code}"]}],
        "interventions": [{"type": "DRUG", "name": code, "armGroupLabels": ["Arm A"]}],
    }
    study["derivedSection"].pop("interventionBrowseModule", None)
    return study


@pytest.fixture
def standin() -> Iterator[FaultyStandIn]:
    corpus = synthetic_studies(40, seed=12)
    corpus += [named_only(corpus[0], nct, code) for nct, code in ONLY_IN_ANOTHER_SPELLING.items()]
    with FaultyStandIn(Registry(corpus)) as server:
        yield server


def found(standin: FaultyStandIn, queries: list[ScopeQuery]) -> set[str]:
    ids: set[str] = set()
    with httpx.Client(timeout=30) as client:
        for query in queries:
            body = client.get(f"{standin.url}/studies", params={**query.params_dict(), "pageSize": "1000"}).json()
            assert not body.get("nextPageToken")
            ids |= {s["protocolSection"]["identificationModule"]["nctId"] for s in body["studies"]}
    return ids


def test_a_refresh_fetches_and_classifies_trials_naming_an_agent_in_another_spelling(
        tmp_path: Path, standin: FaultyStandIn, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(scope, "agent_spellings", without_spellings)
        before = api.scope_for(Settings())
    assert not found(standin, before) & set(ONLY_IN_ANOTHER_SPELLING)  # what issue 12 reported
    settings = Settings(db_path=tmp_path / "tracker.duckdb", ctgov_url=standin.url, max_rpm=0, backoff=0.01)
    standin.clear_log()
    result = api.run_refresh(settings, full=True)
    assert result.status == "succeeded"
    assert result.requests == len(standin.requests) == 1 + len(api.scope_for(settings))  # one page a query
    with duckdb.connect(str(settings.db_path), read_only=True) as con:
        agents = con.execute("select nct_id, agent from trial_agents where nct_id like 'NCT099%' "
                             "order by nct_id").fetchall()
    assert agents == [("NCT09900001", "pembrolizumab"), ("NCT09900002", "lirilumab")]
