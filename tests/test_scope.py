"""Scope queries: Essie quoting, OR batching under the URL budget, ID lists, the user's scope file."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote_plus, urlencode

import pytest

from tracker.errors import ConfigError
from tracker.scope import (
    IDS_PER_REQUEST,
    MAX_PARAMS_CHARS,
    MAX_QUERY_CHARS,
    agent_queries,
    build_scope,
    essie_term,
    generic_queries,
    id_queries,
    or_batches,
    user_queries,
)


@pytest.mark.parametrize(("term", "expected"), [
    ("lirilumab", "lirilumab"),
    ("MK-3475", '"MK-3475"'),
    ("CP-675,206", '"CP-675,206"'),
    ("anti-KIR monoclonal antibody IPH2102", '"anti-KIR monoclonal antibody IPH2102"'),
    ("OR", '"OR"'),
    ('say "hi"', '"say hi"'),
])
def test_essie_terms_are_quoted_unless_plain_words(term: str, expected: str) -> None:
    assert essie_term(term) == expected


def test_or_batches_stay_under_the_url_budget_and_keep_every_term() -> None:
    terms = [f"agent-{i:04d} monoclonal antibody" for i in range(300)]
    batches = or_batches(terms)
    assert len(batches) > 1
    assert all(len(quote_plus(b, safe="")) <= MAX_QUERY_CHARS for b in batches)
    joined = " OR ".join(batches)
    assert all(f'"{t}"' in joined for t in terms)


def test_agent_queries_keep_each_agent_whole_and_name_it() -> None:
    def brand(i: int) -> str:  # a word, without digits: it gets no code spellings
        return "Brand" + "".join(chr(ord("a") + int(d)) for d in str(i))

    agents = [(f"agent{i}", [f"CODE-{i}", brand(i)]) for i in range(120)]
    queries = agent_queries(agents)
    assert len(queries) > 1
    for q in queries:
        value = q.params_dict()["query.intr"]
        assert len(quote_plus(value, safe="")) <= MAX_QUERY_CHARS
    everything = " ".join(q.params_dict()["query.intr"] for q in queries)
    for i in range(120):
        # every spelling of a code (agent0 looks like one too) follows it, before the next alias
        spellings = [f"agent{i}", f'"agent-{i}"', f'"agent {i}"', f'"CODE-{i}"', f"CODE{i}", f'"CODE {i}"', brand(i)]
        assert " OR ".join(spellings) in everything
    assert queries[0].label.startswith("agents: agent0, agent1")


def test_query_keys_are_stable_and_distinct() -> None:
    a = agent_queries([("lirilumab", ["IPH2102"])])
    b = agent_queries([("lirilumab", ["IPH2102"])])
    c = agent_queries([("monalizumab", ["IPH2201"])])
    assert a[0].key == b[0].key != c[0].key


def test_id_lists_are_batched() -> None:
    ids = [f"NCT{90000000 + i:08d}" for i in range(450)]
    queries = id_queries("watch", ids)
    assert [len(q.params_dict()["filter.ids"].split(",")) for q in queries] == [IDS_PER_REQUEST] * 4 + [50]
    assert all(len(urlencode(q.params)) <= MAX_PARAMS_CHARS for q in queries)


def test_generic_searches_load() -> None:
    queries = generic_queries()
    assert {q.label for q in queries} >= {"CAR-NK cell therapies", "NK cell therapies"}
    assert all(q.source == "generic" for q in queries)
    assert any('"CAR-NK"' in q.params_dict()["query.intr"] for q in queries)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scope.toml"
    path.write_text(text)
    return path


def test_user_scope_file(tmp_path: Path) -> None:
    path = write(tmp_path, """
[[query]]
label = "B7-H3"
params = { "query.intr" = "enoblituzumab", "filter.advanced" = "AREA[Phase]PHASE2" }

[[query]]
label = "ids as a query"
params = { "query.term" = "NCT90000002, nct90000001" }

[[ids]]
label = "watch"
nct_ids = ["NCT90000003", "nct90000004"]
""")
    queries = user_queries(path)
    assert queries[0].params_dict() == {"query.intr": "enoblituzumab", "filter.advanced": "AREA[Phase]PHASE2"}
    # a query of bare NCT ids would make CT.gov ignore filters; it becomes filter.ids
    assert queries[1].params_dict() == {"filter.ids": "NCT90000001,NCT90000002"}
    assert queries[2].params_dict() == {"filter.ids": "NCT90000003,NCT90000004"}
    assert queries[2].is_id_list


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param('[[query]]\nlabel = "x"\nparams = { "filter.phase" = "PHASE2" }',
                 "'filter.phase' is not a CT.gov search parameter", id="unknown-parameter"),
    pytest.param('[[query]]\nlabel = "x"\nparams = { "pageSize" = "5" }',
                 "'pageSize' is not a CT.gov search parameter", id="paging-parameter"),
    pytest.param('[[query]]\nparams = { "query.intr" = "x" }', "label must be a non-empty string", id="no-label"),
    pytest.param('[[ids]]\nlabel = "x"\nnct_ids = ["NCT1234"]', "'NCT1234' is not an NCT id", id="bad-id"),
    pytest.param('[[watch]]\nlabel = "x"', "unknown table(s) ['watch']", id="unknown-table"),
    pytest.param('[[query]\nlabel = "x"', "is not valid TOML", id="bad-toml"),
    pytest.param('[[query]]\nlabel = "x"\nparams = { "query.intr" = "x" }\nfilter = "AREA[Phase]PHASE2"',
                 "[[query]] #1: unknown key(s) 'filter'; a [[query]] entry has only label, params",
                 id="unknown-query-key"),
    pytest.param('[[ids]]\nlabel = "x"\nnct_ids = ["NCT01714739"]\nids = ["NCT03841110"]',
                 "[[ids]] #1: unknown key(s) 'ids'; a [[ids]] entry has only label, nct_ids", id="unknown-ids-key"),
    pytest.param('[[ids]]\nlabel = "x"\nnct_ids = ["NCT0171473\u0669"]', "is not an NCT id", id="arabic-digit"),
    pytest.param('[[ids]]\nlabel = "x"\nnct_ids = ["NCT017147391"]', "is not an NCT id", id="nine-digits"),
    pytest.param("query = [1, 2]", "query must be an array of tables", id="array-of-numbers"),
    pytest.param("a = " + "[" * 50_000 + "]" * 50_000, "nests arrays or tables too deeply", id="deep-nesting"),
    pytest.param('[[query]]\nlabel = "x"\nparams = { "query.intr" = "' + " OR ".join(f"drug{i}" for i in range(400))
                 + '" }', "[[query]] #1: its parameters are 4,297 characters once URL-encoded",
                 id="query-longer-than-a-url"),
])
def test_bad_scope_files_get_one_line_errors(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        user_queries(write(tmp_path, text))
    assert expected in str(caught.value)
    assert "TRACKER_SCOPE" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_scope_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        user_queries(tmp_path / "nope.toml")


@pytest.mark.parametrize(("content", "expected"), [
    pytest.param(b"\xff\xfe[\x00[\x00", "is not UTF-8 text (byte 0xff at offset 0)", id="utf16"),
    pytest.param(bytes(range(256)), "is not UTF-8 text (byte 0x80 at offset 128)", id="binary"),
    pytest.param(b"\x00" * 10, "is not valid TOML", id="nul-bytes"),
])
def test_a_binary_scope_file_is_one_line(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "scope.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        user_queries(path)
    assert "TRACKER_SCOPE" in str(caught.value) and expected in str(caught.value)
    assert str(caught.value).isprintable()


def test_a_directory_as_scope_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        user_queries(tmp_path)


def test_a_query_of_many_nct_ids_is_split_into_requests_that_fit_a_url(tmp_path: Path) -> None:
    ids = [f"NCT{90000000 + i:08d}" for i in range(450)]
    path = write(tmp_path, f'[[query]]\nlabel = "many"\nparams = {{ "query.term" = "{" ".join(ids)}", '
                           '"filter.overallStatus" = "RECRUITING" }')
    queries = user_queries(path)
    assert len(queries) > 1
    assert all(len(urlencode(q.params)) <= MAX_PARAMS_CHARS for q in queries)
    # the union of the batches is the query: every id once, every batch with the other filter
    sent = [i for q in queries for i in q.params_dict()["filter.ids"].split(",")]
    assert sorted(sent) == ids
    assert all(q.params_dict()["filter.overallStatus"] == "RECRUITING" for q in queries)
    assert [q.label for q in queries][:2] == ["many (1)", "many (2)"]


def test_one_catalogue_alias_longer_than_a_url_is_an_error() -> None:
    with pytest.raises(ConfigError, match="more than one CT.gov request can carry"):
        or_batches(["x" * (MAX_QUERY_CHARS + 1)])


def test_build_scope_deduplicates(tmp_path: Path) -> None:
    path = write(tmp_path, '[[query]]\nlabel = "dup"\nparams = { "query.intr" = "lirilumab OR Lirix" }')
    queries = build_scope([("lirilumab", ["Lirix"])], scope_file=path)
    assert sum(1 for q in queries if q.params_dict().get("query.intr") == "lirilumab OR Lirix") == 1
