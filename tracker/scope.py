"""The scope: the CT.gov queries that define which trials are tracked (pure; no I/O but reading TOML)."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus, urlencode

from tracker.catalogue.paths import SCOPE_FILE
from tracker.config import check_input_file
from tracker.errors import ConfigError

GENERIC_SEARCHES = SCOPE_FILE
# encoded length of one query value; with the rest of the URL it stays well under the 2,000
# characters that every proxy and server on the way accepts
MAX_QUERY_CHARS = 1500
# a user query's parameters, URL-encoded; with the base URL, paging and the incremental window the request
# stays under 2,000 characters (CT.gov's proxies and others on the way refuse URLs from ~2,000 to 8,000)
MAX_PARAMS_CHARS = 1600
IDS_PER_REQUEST = 100  # 14 encoded characters each (the comma goes out as %2C): 1,400 per request
NCT_ID = re.compile(r"NCT[0-9]{8}")  # for fullmatch: CT.gov's ids are NCT and 8 ASCII digits, nothing around
# the keys each entry of a scope file may have; anything else is a typo that would silently change nothing
ENTRY_KEYS = {"query": frozenset({"label", "params"}), "ids": frozenset({"label", "nct_ids"}),
              "search": frozenset({"label", "param", "terms"})}
# the search parameters of GET /studies (spec 2.0.5); paging, format and projection are the client's
SEARCH_PARAMS = frozenset({
    "query.cond", "query.term", "query.locn", "query.titles", "query.intr", "query.outc", "query.spons",
    "query.lead", "query.id", "query.patient", "filter.overallStatus", "filter.geo", "filter.ids",
    "filter.advanced", "filter.synonyms", "postFilter.overallStatus", "postFilter.geo", "postFilter.ids",
    "postFilter.advanced", "postFilter.synonyms", "aggFilters", "geoDecay",
})
_ONLY_IDS = re.compile(r"^[\sNnCcTt0-9,|]+$")
# registrants write a code joined, hyphenated or spaced (MK3475, MK-3475, MK 3475). ctgov-api.md §3.1 documents
# terms and quoted phrases but not how CT.gov tokenises a hyphen, so the hyphenated and the spaced phrase are
# both asked for; the joined form is one token, which no phrase of two words matches, and is asked for too
CODE_SEPARATORS = ("", "-", " ")
# a code: up to three runs of letters and digits split by one hyphen or space, with a digit somewhere and no
# letter run of seven or more (that is a word: interleukin-2, recombinant human IL-15)
_CODE = re.compile(r"[A-Za-z0-9]+(?:[- ][A-Za-z0-9]+){0,2}")
_WORD_RUN = re.compile(r"[A-Za-z]{7,}")
_LETTER_PREFIX = re.compile(r"([A-Za-z]+)([0-9][A-Za-z0-9]*)")  # IPH|2102, MSB|0010718C: where a hyphen goes


@dataclass(frozen=True)
class ScopeQuery:
    """One CT.gov query of the scope; `key` is stable for the same parameters across runs."""

    label: str
    source: str  # catalogue | generic | user | ids
    params: tuple[tuple[str, str], ...]

    @property
    def key(self) -> str:
        canonical = json.dumps(sorted(self.params), separators=(",", ":"))
        return hashlib.sha1(canonical.encode()).hexdigest()[:16]

    def params_dict(self) -> dict[str, str]:
        return dict(self.params)

    @property
    def is_id_list(self) -> bool:
        return self.source == "ids"


def essie_term(term: str) -> str:
    """Quote a term for Essie unless it is one plain word; quotes inside the term are dropped."""
    term = " ".join(term.replace('"', " ").split())
    if re.fullmatch(r"[A-Za-z0-9]+", term) and term.upper() not in {"AND", "OR", "NOT"}:
        return term
    return f'"{term}"'


def code_spellings(term: str) -> list[str]:
    """A code's distinct search spellings, the term first (MK-3475 -> MK-3475, MK3475, MK 3475); a word gets none.

    A code without separators is split after its letter prefix (IPH2102 -> IPH-2102, IPH 2102); one with
    separators is split only there (MK-7684A -> MK7684A, MK 7684A). Spellings differing in case count once.
    Only hyphens and spaces are separators: CP-675,206 and NK-92/5.28.z are left as written.
    """
    term = " ".join(term.split())
    if not _CODE.fullmatch(term) or not any(c.isdigit() for c in term) or _WORD_RUN.search(term):
        return [term] if term else []
    parts = re.split(r"[- ]", term)
    if len(parts) == 1:
        prefix = _LETTER_PREFIX.fullmatch(term)
        if prefix is None:
            return [term]
        parts = list(prefix.groups())
    # joining two digit runs makes another number (1-7F9 is not 17F9): such a code keeps its separator
    digits_meet = any(a[-1].isdigit() and b[0].isdigit() for a, b in zip(parts, parts[1:], strict=False))
    return _distinct([term, *(sep.join(parts) for sep in CODE_SEPARATORS if sep or not digits_meet)])


def agent_spellings(name: str, aliases: Iterable[str]) -> list[str]:
    """An agent's name and aliases with every spelling of each code, each once whatever its case."""
    return _distinct(spelling for term in (name, *aliases) for spelling in code_spellings(term))


def _distinct(terms: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for term in terms:
        seen.setdefault(term.casefold(), term)
    return list(seen.values())


def _encoded(value: str) -> int:
    # the length the client sends: httpx encodes a query value as a form, a space as "+" (not "%20")
    return len(quote_plus(value, safe=""))


def or_batches(terms: Iterable[str], limit: int = MAX_QUERY_CHARS) -> list[str]:
    """Join Essie terms with OR into as few expressions as fit under `limit` encoded characters."""
    batches: list[str] = []
    current: list[str] = []
    for term in dict.fromkeys(essie_term(t) for t in terms if t.strip()):
        if _encoded(term) > limit:
            raise ConfigError("scope", f"the term {term[:60]!r}… is {_encoded(term):,} characters once "
                                       f"URL-encoded, more than one CT.gov request can carry ({limit:,})")
        candidate = " OR ".join([*current, term])
        if current and _encoded(candidate) > limit:
            batches.append(" OR ".join(current))
            current = [term]
        else:
            current.append(term)
    if current:
        batches.append(" OR ".join(current))
    return batches


def agent_queries(agents: Sequence[tuple[str, Sequence[str]]], param: str = "query.intr") -> list[ScopeQuery]:
    """`param` OR-batches over every spelling of each tracked agent's name and aliases; labels name the agents."""
    queries: list[ScopeQuery] = []
    names: list[str] = []
    current: list[str] = []
    for name, aliases in agents:
        terms = [essie_term(t) for t in agent_spellings(name, aliases)]
        candidate = " OR ".join([*current, *terms])
        if current and _encoded(candidate) > MAX_QUERY_CHARS:
            queries.append(_agent_query(names, current, param))
            names, current = [], []
        names.append(name)
        current.extend(terms)
        if _encoded(" OR ".join(current)) > MAX_QUERY_CHARS:
            # one agent with more aliases than fit in one URL: split its aliases over several queries
            for part in or_batches(current):
                queries.append(_agent_query(names, [part], param))
            names, current = [], []
    if current:
        queries.append(_agent_query(names, current, param))
    return queries


def _agent_query(names: list[str], terms: list[str], param: str) -> ScopeQuery:
    shown = ", ".join(names[:4]) + (f" +{len(names) - 4}" if len(names) > 4 else "")
    where = "" if param == "query.intr" else " in titles"
    return ScopeQuery(f"agents{where}: {shown}", "catalogue", ((param, " OR ".join(terms)),))


def generic_queries(path: Path = GENERIC_SEARCHES) -> list[ScopeQuery]:
    """The catalogue's generic searches (CAR-NK, NK cells, …) that find products not yet named."""
    data = _read_toml(path, "generic searches")
    queries = []
    for i, entry in enumerate(data.get("search", []), start=1):
        where = f"{path} [[search]] #{i}"
        _only_known_keys(entry, "search", where)
        param = _str(entry, "param", where)
        if param not in SEARCH_PARAMS:
            raise ConfigError(where, f"param {param!r} is not a CT.gov search parameter")
        terms = entry.get("terms")
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms) or not terms:
            raise ConfigError(where, "terms must be a non-empty list of strings")
        label = _str(entry, "label", where)
        try:
            batches = or_batches(terms)
        except ConfigError as exc:
            raise ConfigError(where, str(exc).removeprefix("scope: ")) from None
        for n, batch in enumerate(batches, start=1):
            suffix = f" ({n})" if n > 1 else ""
            queries.append(ScopeQuery(f"{label}{suffix}", "generic", ((param, batch),)))
    return queries


def user_queries(path: Path) -> list[ScopeQuery]:
    """Extra queries and NCT-ID lists from the user's TRACKER_SCOPE file.

    Example file::

        [[query]]
        label = "B7-H3 programmes"
        params = { "query.intr" = "enoblituzumab OR vobramitamab", "filter.advanced" = "AREA[Phase]PHASE2" }

        [[ids]]
        label = "watch list"
        nct_ids = ["NCT01714739", "NCT03841110"]
    """
    data = _read_toml(path, "TRACKER_SCOPE")
    unknown = set(data) - {"query", "ids"}
    if unknown:
        raise ConfigError(f"TRACKER_SCOPE {path}", f"unknown table(s) {sorted(unknown)}; use [[query]] or [[ids]]")
    queries: list[ScopeQuery] = []
    for i, entry in enumerate(data.get("query", []), start=1):
        where = f"TRACKER_SCOPE {path} [[query]] #{i}"
        _only_known_keys(entry, "query", where)
        label = _str(entry, "label", where)
        params = entry.get("params")
        if not isinstance(params, dict) or not params:
            raise ConfigError(where, "params must be a table of CT.gov search parameters")
        for name, value in params.items():
            if name not in SEARCH_PARAMS:
                raise ConfigError(where, f"{name!r} is not a CT.gov search parameter "
                                         f"(allowed: query.*, filter.*, postFilter.*, aggFilters)")
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(where, f"{name} must be a non-empty string")
        queries.extend(_user_query(label, {k: v.strip() for k, v in params.items()}, where))
    for i, entry in enumerate(data.get("ids", []), start=1):
        where = f"TRACKER_SCOPE {path} [[ids]] #{i}"
        _only_known_keys(entry, "ids", where)
        label = _str(entry, "label", where)
        raw_ids = entry.get("nct_ids")
        if not isinstance(raw_ids, list) or not raw_ids:
            raise ConfigError(where, "nct_ids must be a non-empty list of NCT ids")
        queries.extend(id_queries(label, [_nct_id(x, where) for x in raw_ids]))
    return queries


def id_queries(label: str, nct_ids: Sequence[str]) -> list[ScopeQuery]:
    """`filter.ids` requests in batches; CT.gov also matches aliases of the ids."""
    unique = sorted(set(nct_ids))
    chunks = [unique[i:i + IDS_PER_REQUEST] for i in range(0, len(unique), IDS_PER_REQUEST)]
    return [
        ScopeQuery(label if len(chunks) == 1 else f"{label} ({n})", "ids", (("filter.ids", ",".join(chunk)),))
        for n, chunk in enumerate(chunks, start=1)
    ]


def _user_query(label: str, params: dict[str, str], where: str) -> list[ScopeQuery]:
    """One query, or several when its NCT ids need more than one request; each fits in a URL."""
    ids: set[str] = set()
    # CT.gov ignores every filter when a query parameter holds only NCT ids; as filter.ids the
    # same request keeps its filters, so the incremental date window still applies
    for name in [n for n in params if n.startswith("query.")]:
        if _ONLY_IDS.match(params[name]) and "NCT" in params[name].upper():
            ids.update(_nct_id(x, where) for x in re.split(r"[\s,|]+", params[name]) if x)
            del params[name]
    listed = [x.strip().upper() for x in re.split(r"[,|]", params.get("filter.ids", "")) if x.strip()]
    if listed and all(NCT_ID.fullmatch(x) for x in listed):
        ids.update(listed)
        del params["filter.ids"]
    elif ids and listed:
        raise ConfigError(where, "filter.ids must list NCT ids (NCT followed by 8 digits) when a query.* "
                                 "parameter holds NCT ids too")
    others = _encoded_length(params)
    if not ids:
        _check_length(others, where)
        return [ScopeQuery(label, "user", tuple(sorted(params.items())))]
    _check_length(others + _encoded_length({"filter.ids": "NCT00000000"}) + 1, where)
    # ids are a union: batches of them with the same other parameters return together what one would
    room = (MAX_PARAMS_CHARS - others - len("&filter.ids=")) // len(quote("NCT00000000,", safe=""))
    per_request = max(1, min(IDS_PER_REQUEST, room))
    unique = sorted(ids)
    chunks = [unique[i:i + per_request] for i in range(0, len(unique), per_request)]
    return [ScopeQuery(label if len(chunks) == 1 else f"{label} ({n})", "user",
                       tuple(sorted({**params, "filter.ids": ",".join(chunk)}.items())))
            for n, chunk in enumerate(chunks, start=1)]


def _encoded_length(params: dict[str, str]) -> int:
    return len(urlencode(sorted(params.items())))


def _check_length(length: int, where: str) -> None:
    if length > MAX_PARAMS_CHARS:
        raise ConfigError(where, f"its parameters are {length:,} characters once URL-encoded, more than the "
                                 f"{MAX_PARAMS_CHARS:,} one CT.gov request can safely carry (servers and proxies "
                                 f"refuse URLs past ~2,000); split it into several [[query]] entries, whose "
                                 f"results are merged")


def _only_known_keys(entry: dict[str, object], kind: str, where: str) -> None:
    unknown = sorted(set(entry) - ENTRY_KEYS[kind])
    if unknown:
        allowed = ", ".join(sorted(ENTRY_KEYS[kind]))
        raise ConfigError(where, f"unknown key(s) {', '.join(map(repr, unknown))}; a [[{kind}]] entry has only "
                                 f"{allowed}")


def build_scope(agents: Sequence[tuple[str, Sequence[str]]], *, scope_file: Path | None = None,
                generic_file: Path = GENERIC_SEARCHES) -> list[ScopeQuery]:
    """Every query of the scope: catalogue agents, generic searches, then the user's own."""
    # query.intr searches intervention names, other names, descriptions, arm groups and intervention MeSH, not
    # titles; a registrant who writes the product only in the title ("Study drug", title "Off-the-shelf NK cells
    # (FT576) in AML") is found by the same names asked in the titles (query.titles: brief, official, acronym)
    queries = agent_queries(agents) + agent_queries(agents, "query.titles") + generic_queries(generic_file)
    if scope_file is not None:
        queries += user_queries(scope_file)
    seen: dict[str, ScopeQuery] = {}
    for q in queries:
        seen.setdefault(q.key, q)
    return list(seen.values())


def _nct_id(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(where, f"NCT id must be a string, got {value!r}")
    nct = value.strip().upper()
    if not NCT_ID.fullmatch(nct):
        raise ConfigError(where, f"{value!r} is not an NCT id (expected NCT followed by 8 digits)")
    return nct


def _str(entry: dict[str, object], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(where, f"{key} must be a non-empty string")
    return value.strip()


def _read_toml(path: Path, name: str) -> dict[str, list[dict[str, object]]]:
    # the same checks as at settings time: the file may have changed since, and the bundled one is read here only
    check_input_file(name, path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(name, f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(name, f"{path} is not UTF-8 text; it must be a TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(name, f"{path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(name, f"{path} nests arrays or tables too deeply to be read") from None
    for key, value in data.items():
        if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
            raise ConfigError(name, f"{path}: {key} must be an array of tables ([[{key}]])")
    return data
