"""Hostile input to `tracker sql` and friends through the real CLI in child processes (tests/clirun.py).

Every case ends with a one-line error naming what is wrong and a non-zero exit, or works; none prints a
traceback or hangs. Inputs: the SQL sandbox's escapes and limits (issue 9, finding 3), every DuckDB
result type in every output format (finding 4), bad options and settings, and database files named
like DuckDB's and the tracker's own catalogs and schemas (finding 0).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.clirun import ROOT, CliResult, assert_clean, assert_ok_or_one_line_error, assert_one_line_error, run_cli
from tests.fake_ctgov import FakeCtGov
from tests.standin.corpus import synthetic_studies
from tests.synthetic import landscape_corpus
from tracker import api
from tracker.config import Settings
from tracker.demo.registry import Registry
from tracker.demo.standin import StandIn
from tracker.scope import ScopeQuery

APP = str(ROOT / "dashboards" / "streamlit_app.py")
CROSS_JOIN = "select count(*) from range(1000000) a, range(1000000) b"


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    mentions: tuple[str, ...] | None = None  # None: the command must work
    env: dict[str, str] = field(default_factory=dict)
    check: Callable[[CliResult], None] | None = None
    timeout: float = 60.0


def refused(sql: str, *mentions: str) -> Case:
    return Case(("sql", sql), ("refused", *mentions))


def works(*args: str, check: Callable[[CliResult], None] | None = None, **env: str) -> Case:
    return Case(tuple(args), None, env, check)


def reads(sql: str, *texts: str) -> Case:
    """A read that must work and print each of `texts` (as CSV: a table folds long values)."""
    return works("sql", sql, "--format", "csv", check=shows(*texts))


def fails(args: tuple[str, ...], *mentions: str, timeout: float = 60.0, **env: str) -> Case:
    return Case(args, mentions, env, timeout=timeout)


def prints(text: str) -> Callable[[CliResult], None]:
    def check(result: CliResult) -> None:
        assert result.stdout == text, result.describe()
    return check


def shows(*texts: str) -> Callable[[CliResult], None]:
    def check(result: CliResult) -> None:
        for text in texts:
            assert text in result.stdout, result.describe()
    return check


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database refreshed twice, so intervals between runs are not zero."""
    settings = Settings(db_path=tmp_path_factory.mktemp("hostile") / "tracker.duckdb", max_rpm=0)
    scope = [ScopeQuery("everything", "user", (("query.term", "x"),))]
    for full in (True, False):
        result = api.run_refresh(settings, scope=scope, full=full, transport=FakeCtGov(landscape_corpus()).transport())
        assert result.status in ("succeeded", "skipped"), result.error
    return settings.db_path


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """The child's working directory: a relative COPY target or .tmp spill folder would land here."""
    path = tmp_path / "cwd"
    path.mkdir()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_case(case: Case, db_path: Path, workdir: Path) -> CliResult:
    before = digest(db_path)
    result = run_cli(case.args, {"TRACKER_DB": str(db_path), **case.env}, timeout=case.timeout, cwd=workdir)
    if case.mentions is None:
        assert result.returncode == 0, result.describe()
        assert_clean(result)
        if case.check:
            case.check(result)
    else:
        assert_one_line_error(result, *case.mentions)
    assert digest(db_path) == before, "the published database changed"
    assert list(workdir.iterdir()) == [], "the command wrote into its working directory"
    return result


# ------------------------------------------------------------------------------------- finding 3: sandbox

REFUSED = [
    # writes through EXPLAIN ANALYZE, which runs the statement it explains
    pytest.param(refused("explain analyze create temp table t as select 1", "CREATE"), id="explain-create-temp"),
    pytest.param(refused("explain analyze insert into temp.t values (1)", "INSERT"), id="explain-analyze-insert-temp"),
    pytest.param(refused("explain analyze create temp macro m() as 1", "CREATE"), id="explain-analyze-temp-macro"),
    pytest.param(refused("explain (analyze, format json) create temp table t as select 1", "CREATE"),
                 id="explain-options-create"),
    pytest.param(refused("EXPLAIN  /* hidden */ ANALYZE\n  CREATE TEMP TABLE t AS SELECT 1", "CREATE"),
                 id="explain-comment-create"),
    pytest.param(fails(("sql", "explain analyze use memory"), "SQL error"), id="explain-analyze-use"),
    pytest.param(refused("explain analyze select * from checkpoint()", "checkpoint()"), id="explain-checkpoint"),
    # the in-memory catalogs beside the attached database
    pytest.param(refused("use memory", "USE"), id="use-memory"),
    pytest.param(refused("use temp", "USE"), id="use-temp"),
    pytest.param(refused("create temp table t as select 1", "CREATE"), id="create-temp-table"),
    pytest.param(refused("create table memory.main.t as select 1", "CREATE"), id="create-in-memory"),
    pytest.param(refused("create temp macro m() as 1", "CREATE"), id="create-temp-macro"),
    pytest.param(refused("insert into temp.t values (1)", "INSERT"), id="insert-temp"),
    pytest.param(refused("with w as (insert into temp.t values (1) returning *) select * from w", "INSERT"),
                 id="insert-inside-with"),
    pytest.param(refused("with w as (delete from temp.t returning *) select * from w", "DELETE"),
                 id="delete-inside-with"),
    pytest.param(refused("with w as (update temp.t set a = 1 returning *) select * from w", "UPDATE"),
                 id="update-inside-with"),
    pytest.param(refused("select * from (with w as (insert into temp.t values (1) returning *) from w)", "INSERT"),
                 id="insert-in-subquery"),
    # the published database
    pytest.param(refused("insert into meta.state values ('x', 'y')", "INSERT"), id="insert"),
    pytest.param(refused("update core.trials set brief_title = 'x'", "UPDATE"), id="update"),
    pytest.param(refused("delete from core.trials", "DELETE"), id="delete"),
    pytest.param(refused("drop view trials", "DROP"), id="drop"),
    pytest.param(refused("alter view trials rename to t2", "ALTER"), id="alter"),
    pytest.param(refused("truncate core.trials", "TRUNCATE"), id="truncate"),
    # functions and statements with side effects
    pytest.param(refused("call checkpoint()", "checkpoint()"), id="call-checkpoint"),
    pytest.param(refused("checkpoint", "CHECKPOINT"), id="checkpoint"),
    pytest.param(refused("force checkpoint", "FORCE"), id="force-checkpoint"),
    pytest.param(refused("select * from checkpoint()", "checkpoint()"), id="select-from-checkpoint"),
    pytest.param(refused("select * from force_checkpoint()", "force_checkpoint()"), id="select-force-checkpoint"),
    pytest.param(refused("call enable_profiling()", "enable_profiling()"), id="call-enable-profiling"),
    pytest.param(refused("select * from query('select 1')", "query()"), id="query-function"),
    pytest.param(refused("select * from json_execute_serialized_sql('{}')", "json_execute_serialized_sql()"),
                 id="execute-serialized"),
    pytest.param(refused("select * from arrow_scan(1, 2, 3)", "arrow_scan()"), id="arrow-scan-pointer"),
    pytest.param(refused("select nextval('s')", "nextval()"), id="nextval"),
    pytest.param(refused("select setseed(0.5)", "setseed()"), id="setseed"),
    pytest.param(refused("select write_log('x')", "write_log()"), id="write-log"),
    pytest.param(refused("set threads = 1", "SET"), id="set"),
    pytest.param(refused("set variable x = 1", "SET"), id="set-variable"),
    pytest.param(refused("reset threads", "RESET"), id="reset"),
    pytest.param(refused("pragma memory_limit = '100GB'", "PRAGMA"), id="pragma-setting"),
    pytest.param(refused("pragma enable_profiling", "PRAGMA"), id="pragma-enable-profiling"),
    pytest.param(refused("pragma disable_optimizer", "PRAGMA"), id="pragma-disable-optimizer"),
    pytest.param(refused("detach tracker", "DETACH"), id="detach"),
    pytest.param(refused("attach ':memory:' as scratch", "ATTACH"), id="attach"),
    pytest.param(refused("export database 'exported'", "EXPORT"), id="export"),
    pytest.param(refused("import database 'exported'", "IMPORT"), id="import"),
    pytest.param(refused("load json", "LOAD"), id="load"),
    pytest.param(refused("install httpfs", "INSTALL"), id="install"),
    pytest.param(refused("copy trials to 'out.csv'", "COPY"), id="copy-to-file"),
    pytest.param(refused("copy (select 1) to 'out.parquet' (format parquet)", "COPY"), id="copy-query"),
    pytest.param(refused("begin transaction", "BEGIN"), id="begin"),
    pytest.param(refused("vacuum", "VACUUM"), id="vacuum"),
    pytest.param(refused("analyze", "ANALYZE"), id="analyze"),
    pytest.param(refused("prepare p as select 1", "PREPARE"), id="prepare"),
    pytest.param(refused("execute p", "EXECUTE"), id="execute"),
    pytest.param(refused("create secret (type s3, key_id 'k', secret 's')", "CREATE"), id="create-secret"),
    # several statements: one that is not a read refuses them all, before any runs
    pytest.param(refused("select 1; create table x as select 1", "CREATE"), id="read-then-write"),
    pytest.param(refused("create temp table x as select 1; select * from x", "CREATE"), id="write-then-read"),
    pytest.param(refused("select 1; use memory; select 2", "USE"), id="read-use-read"),
    # a PIVOT without an IN list has no parse tree: its words are checked
    pytest.param(refused("pivot (from trials, checkpoint()) on phase using count(*)", "CHECKPOINT"),
                 id="pivot-checkpoint"),
    pytest.param(refused("pivot (with w as (insert into temp.t values (1) returning *) from w) on a using count(*)",
                         "INSERT"), id="pivot-insert"),
    pytest.param(refused("pivot (from query('select 1 as a')) on a using count(*)", "query()"), id="pivot-query"),
    pytest.param(refused("select * from (pivot trials on phase using count(*)), checkpoint()", "CHECKPOINT"),
                 id="pivot-subquery-checkpoint"),
    # files and network
    pytest.param(refused("select * from read_csv('/etc/passwd')", "read_csv()"), id="read-csv"),
    pytest.param(refused("select * from read_text('/etc/hostname')", "read_text()"), id="read-text"),
    pytest.param(refused("select * from glob('/etc/*')", "glob()"), id="glob"),
    pytest.param(refused("select * from read_json('https://clinicaltrials.gov/api/v2/version')", "read_json()"),
                 id="read-network"),
]


@pytest.mark.parametrize("case", REFUSED)
def test_statements_that_do_more_than_read_are_refused(case: Case, published: Path, workdir: Path) -> None:
    run_case(case, published, workdir)


READS = [
    pytest.param(reads("select 42 as answer", "42"), id="select"),
    pytest.param(reads("with x as (select 1 as a) select a + 1 as b from x", "2"), id="with"),
    pytest.param(reads("values (7), (8)", "7", "8"), id="values"),
    pytest.param(reads("table refresh_runs", "succeeded"), id="table"),
    pytest.param(reads("from trials select nct_id order by nct_id limit 1", "NCT90000101"), id="from-first"),
    pytest.param(reads("select 1 as n union all select 2", "1", "2"), id="union"),
    pytest.param(reads("pivot trials on phase using count(*)", "Phase 3"), id="pivot"),
    pytest.param(reads("pivot trials on phase in ('Phase 1') using count(*)", "Phase 1"), id="pivot-in"),
    pytest.param(reads("from trials pivot (count(*) for phase in ('Phase 2'))", "Phase 2"), id="pivot-standard"),
    pytest.param(reads("select count(*) as n from (pivot trials on phase using count(*))", "n\n9"),
                 id="pivot-in-subquery"),
    pytest.param(reads("with p as (pivot trials on phase using count(*)) select count(*) as n from p", "n\n9"),
                 id="pivot-in-with"),
    pytest.param(reads("with recursive r(n) as (select 1 union all select n + 1 from r where n < 5) "
                       "select max(n) as m from r", "5"), id="recursive-with"),
    pytest.param(reads("explain select * from trials", "physical_plan"), id="explain"),
    pytest.param(reads("explain analyze select count(*) from trials", "analyzed_plan"), id="explain-analyze"),
    pytest.param(reads("describe trials", "nct_id"), id="describe"),
    pytest.param(reads("show tables", "trials"), id="show-tables"),
    pytest.param(reads("show all tables", "trials"), id="show-all-tables"),
    pytest.param(reads("summarize refresh_runs", "run_id"), id="summarize"),
    pytest.param(reads("pragma table_info('trials')", "nct_id"), id="pragma-table-info"),
    pytest.param(reads("pragma show_tables", "trials"), id="pragma-show-tables"),
    pytest.param(reads("pragma database_size", "tracker"), id="pragma-database-size"),
    pytest.param(reads("pragma version", "v2"), id="pragma-version"),
    pytest.param(reads("call pragma_table_info('trials')", "nct_id"), id="call-table-info"),
    pytest.param(works("sql", "select count(*) as views from duckdb_views() where not internal"), id="catalog"),
    pytest.param(works("sql", "select * from range(3) r, unnest([1, 2]) u"), id="range-unnest"),
    pytest.param(works("sql", "select 1 as a; select 2 as b", "--format", "csv", check=prints("b\n2\n")),
                 id="two-reads-last-shown"),
    pytest.param(works("sql", "select count(*) from curation_queue", "--format", "json"), id="curation-view"),
]


@pytest.mark.parametrize("case", READS)
def test_reads_in_every_form_run(case: Case, published: Path, workdir: Path) -> None:
    run_case(case, published, workdir)


LIMITS = [
    pytest.param(fails(("sql", CROSS_JOIN), "TRACKER_SQL_TIMEOUT", timeout=30, TRACKER_SQL_TIMEOUT="1"),
                 id="time-limit"),
    pytest.param(fails(("sql", "select 1; " + CROSS_JOIN), "TRACKER_SQL_TIMEOUT", timeout=30,
                       TRACKER_SQL_TIMEOUT="1"), id="time-limit-second-statement"),
    pytest.param(fails(("sql", "explain analyze " + CROSS_JOIN), "TRACKER_SQL_TIMEOUT", timeout=30,
                       TRACKER_SQL_TIMEOUT="1"), id="time-limit-explain-analyze"),
    pytest.param(fails(("sql", "pivot (select range % 1000 as k, range as v from range(1000000000)) on k using sum(v)"),
                       "TRACKER_SQL_TIMEOUT", timeout=30, TRACKER_SQL_TIMEOUT="1"), id="time-limit-pivot"),
    pytest.param(fails(("sql", "select list(range) from range(100000000)"), "TRACKER_DUCKDB_MEMORY", "64MB",
                       TRACKER_DUCKDB_MEMORY="64MB"), id="memory-limit"),
    pytest.param(works("sql", "select current_setting('memory_limit') as m", TRACKER_DUCKDB_MEMORY="300MB",
                       check=shows("286.1 MiB")), id="memory-setting-used"),
    pytest.param(works("sql", "select current_setting('memory_limit') as m", check=shows("953.6 MiB")),
                 id="memory-default"),
    pytest.param(works("sql", "select current_setting('temp_directory') = '' as no_spill", check=shows("true")),
                 id="no-spill-to-disk"),
    pytest.param(fails(("sql", "select 1"), "TRACKER_DUCKDB_MEMORY", TRACKER_DUCKDB_MEMORY="lots"), id="bad-memory"),
    pytest.param(fails(("sql", "select 1"), "TRACKER_SQL_TIMEOUT", TRACKER_SQL_TIMEOUT="0"), id="timeout-zero"),
    pytest.param(fails(("sql", "select 1"), "TRACKER_SQL_TIMEOUT", TRACKER_SQL_TIMEOUT="-1"), id="timeout-negative"),
    pytest.param(fails(("sql", "select 1"), "TRACKER_SQL_TIMEOUT", TRACKER_SQL_TIMEOUT="nan"), id="timeout-nan"),
    pytest.param(fails(("sql", "select 1"), "TRACKER_SQL_TIMEOUT", TRACKER_SQL_TIMEOUT="soon"), id="timeout-word"),
]


@pytest.mark.parametrize("case", LIMITS)
def test_time_and_memory_limits(case: Case, published: Path, workdir: Path) -> None:
    started = time.monotonic()
    run_case(case, published, workdir)
    assert time.monotonic() - started < 25


def test_ctrl_c_stops_a_running_statement(published: Path, workdir: Path) -> None:
    """A real SIGINT to a real child process while DuckDB runs a cross join that would take hours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(TRACKER_DB=str(published), TRACKER_LOG_LEVEL="DEBUG", PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "tracker.cli", "sql", CROSS_JOIN], env=env, cwd=workdir,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        seen = ""
        while "running 1 statement" not in seen:
            assert time.monotonic() < deadline and process.poll() is None, seen
            if select.select([process.stderr], [], [], 1.0)[0]:
                seen += process.stderr.readline()
        time.sleep(1.0)  # well inside the cross join
        assert process.poll() is None, "the statement should still be running"
        sent = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=30)
        stopped_after = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, seen + rest
    assert stopped_after < 2.5, stopped_after
    lines = [line for line in rest.splitlines() if line.strip() and " DEBUG " not in line]
    assert lines == ["Error: interrupted"], seen + rest


# ------------------------------------------------------------------------------------- finding 4: output

TYPES = {
    "interval": "select max(started_at) - min(started_at) as took, interval 3 month + interval 2 hour as iv "
                "from refresh_runs",
    "union": "select union_value(num := 2)::union(num int, s varchar) as u",
    "list": "select nct_id, phases from trials order by nct_id",
    "struct": "select {'a': 1, 'b': [1, 2], 'c': {'d': 'x'}} as s",
    "map": "select map {'k': 1, 'l': 2} as m",
    "blob": "select '\\x00\\xff'::blob as b, 'text'::blob as t",
    "decimal": "select 3.14159::decimal(18, 5) as d, 123456789012345678.123456789012345678::decimal(38, 18) as wide",
    "hugeint": "select 170141183460469231731687303715884105727::hugeint as h, "
               "340282366920938463463374607431768211455::uhugeint as u",
    "uuid": "select '00000000-0000-0000-0000-000000000001'::uuid as id",
    "timestamptz": "select '2024-01-01 12:00:00+02'::timestamptz as tz, 'infinity'::timestamp as forever, "
                   "'-infinity'::date as never, '5877642-06-25 (BC)'::date as bc",
    "nan-inf": "select 'nan'::double as nan, 'inf'::double as inf, '-inf'::float as ninf, ['NaN'::double, 1] as l, "
               "{'x': 'inf'::double} as s",
    "enum": "select 'b'::enum('a', 'b') as e",
    "nested-list": "select [[1], [2, 3], []] as nl, [{'a': [1]}] as ls, [1, 2]::int[2] as arr",
    "empty": "select * from trials where false",
    "wide-text": "select repeat('x', 100000) as wide",
    "nulls": "select null as n, null::int[] as nl, [null, 1] as l, {'a': null} as s",
    "same-names": "select 1 as a, 2 as a, 3 as a_1",
    "markup-and-controls": "select '[bold]x[/bold] [/oops] \x1b[31mred\x1b[0m' as t, 'a,b\n\"c\"' as csvish",
    "bit-bignum-time": "select '101'::bit as b, 12345678901234567890123456789::varint as v, "
                       "'12:00:00+02'::timetz as t, true as yes",
    "unicode": "select 'ش😀' as s, '\u200b' as zw",
    "many-rows": "select * from range(3000)",
    "payload-json": "select payload from trial_versions limit 1",
}


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
@pytest.mark.parametrize("name", list(TYPES))
def test_every_result_type_prints_in_every_format(published: Path, workdir: Path, name: str, fmt: str) -> None:
    result = run_case(works("sql", TYPES[name], "--format", fmt), published, workdir)
    if fmt == "json":
        rows = json.loads(result.stdout)  # valid JSON: NaN and infinities quoted
        assert isinstance(rows, list)
    if fmt == "csv":
        list(csv.reader(io.StringIO(result.stdout)))


def test_csv_writes_lists_and_structs_as_json(published: Path, workdir: Path) -> None:
    result = run_case(works("sql", TYPES["list"], "--format", "csv"), published, workdir)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert json.loads(rows[0]["phases"]) == ["PHASE3"]
    result = run_case(works("sql", TYPES["struct"], "--format", "csv"), published, workdir)
    assert json.loads(list(csv.DictReader(io.StringIO(result.stdout)))[0]["s"]) == {"a": 1, "b": [1, 2],
                                                                                   "c": {"d": "x"}}


def test_json_keeps_numbers_exact_and_names_apart(published: Path, workdir: Path) -> None:
    from decimal import Decimal

    result = run_case(works("sql", TYPES["decimal"] + ", " + TYPES["hugeint"].removeprefix("select "),
                            "--format", "json"), published, workdir)
    [row] = json.loads(result.stdout, parse_float=Decimal)
    assert row["wide"] == Decimal("123456789012345678.123456789012345678")
    assert row["h"] == 2**127 - 1 and row["u"] == 2**128 - 1
    [row] = json.loads(run_case(works("sql", TYPES["same-names"], "--format", "json"), published, workdir).stdout)
    assert row == {"a": 1, "a_1": 2, "a_1_1": 3}
    [row] = json.loads(run_case(works("sql", TYPES["nan-inf"], "--format", "json"), published, workdir).stdout)
    assert row == {"nan": "NaN", "inf": "Infinity", "ninf": "-Infinity", "l": ["NaN", 1.0], "s": {"x": "Infinity"}}


def test_table_shows_data_as_text_not_markup(published: Path, workdir: Path) -> None:
    result = run_case(works("sql", "select '[bold]x[/bold]' as t, null as n"), published, workdir)
    assert "[bold]x[/bold]" in result.stdout and "NULL" in result.stdout
    result = run_case(works("sql", TYPES["wide-text"]), published, workdir)
    assert "(100,000 characters)" in result.stdout
    result = run_case(works("sql", TYPES["many-rows"], "--limit", "5"), published, workdir)
    assert "(3000 rows; 5 shown" in result.stdout
    result = run_case(works("sql", TYPES["empty"]), published, workdir)
    assert "(0 rows)" in result.stdout


OPTIONS_AND_INPUT = [
    pytest.param(fails(("status", "--runs", "-1"), "--runs", "-1"), id="status-runs-negative"),
    pytest.param(fails(("status", "--runs", "99999999999999999999"), "--runs"), id="status-runs-huge"),
    pytest.param(fails(("status", "--runs", "x"), "--runs"), id="status-runs-word"),
    pytest.param(works("status", "--runs", "0"), id="status-runs-zero"),
    pytest.param(fails(("sql", "--limit", "-1", "select 1"), "--limit", "-1"), id="sql-limit-negative"),
    pytest.param(works("sql", "--limit", "0", "select 1", check=shows("(1 rows; 0 shown")), id="sql-limit-zero"),
    pytest.param(fails(("curate", "--limit", "-1"), "--limit", "-1"), id="curate-limit-negative"),
    pytest.param(works("curate", "--limit", "0"), id="curate-limit-zero"),
    pytest.param(works("curate", "--format", "csv", check=shows('"[""NCT9')), id="curate-csv-lists"),
    pytest.param(fails(("sql", "select 1", "--format", "xml"), "--format"), id="sql-bad-format"),
    pytest.param(fails(("sql",), "QUERY"), id="sql-without-query"),
    pytest.param(fails(("nosuch",), "nosuch"), id="unknown-command"),
    pytest.param(fails(("sql", ""), "no SQL statement"), id="empty-sql"),
    pytest.param(fails(("sql", "--", "-- only a comment"), "no SQL statement"), id="comment-only"),
    pytest.param(fails(("sql", ";;;"), "no SQL statement"), id="only-semicolons"),
    pytest.param(fails(("sql", "selec 1"), "SQL error"), id="syntax-error"),
    pytest.param(fails(("sql", "select no_such_column from trials"), "SQL error", "no_such_column"),
                 id="binder-error"),
    pytest.param(fails(("sql", "select 'unterminated"), "SQL error"), id="unterminated-string"),
    pytest.param(fails(("sql", "select " + "(" * 3000 + "1" + ")" * 3000), "SQL error"), id="deep-nesting"),
    pytest.param(fails(("sql", "select " + " + ".join(["1"] * 5000)), "expression depth"), id="deep-expression"),
    pytest.param(works("sql", "select " + ", ".join(f"{i} as c{i}" for i in range(3000)), "--format", "csv",
                       check=shows("c2999", "2999")), id="3000-columns"),
    pytest.param(fails(("sql", "select 1/0::int, error('boom')"), "boom"), id="error-function"),
    pytest.param(fails(("sql", "select * exclude (a) from (select 1 as a)"), "SQL error"), id="zero-columns"),
    pytest.param(fails(("sql", "select * from '/etc/passwd'"), "SQL error"), id="replacement-scan-file"),
    pytest.param(fails(("sql", "select 1"), "no database", TRACKER_DB="missing.duckdb"), id="no-database"),
]


@pytest.mark.parametrize("case", OPTIONS_AND_INPUT)
def test_bad_options_and_input_are_one_line_errors(case: Case, published: Path, workdir: Path) -> None:
    if case.env.get("TRACKER_DB"):  # the case names its own database, relative to the working directory
        result = run_cli(case.args, case.env, timeout=case.timeout, cwd=workdir)
        assert_one_line_error(result, *(case.mentions or ()))
        return
    run_case(case, published, workdir)


@pytest.mark.parametrize("content", [
    pytest.param(b"", id="empty-file"),
    pytest.param(b"not a database at all\n" * 100, id="text-file"),
    pytest.param(b"\x00" * 8192, id="zeros"),
])
def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "tracker.duckdb"
    path.write_bytes(content)
    for args in (("sql", "select 1"), ("status",), ("curate",), ("classify",)):
        assert_ok_or_one_line_error(run_cli(args, {"TRACKER_DB": str(path)}))


def test_a_directory_as_the_database_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "tracker.duckdb"
    path.mkdir()
    assert_one_line_error(run_cli(("sql", "select 1"), {"TRACKER_DB": str(path)}))


# ------------------------------------------------------------------------------------- finding 0: file names


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with StandIn(Registry(synthetic_studies(150, seed=21))) as server:
        yield server


@pytest.mark.slow
@pytest.mark.parametrize("name", ["raw", "core", "meta", "ref", "main", "memory", "temp", "system"])
def test_a_database_named_like_a_catalog_or_schema_works(name: str, tmp_path: Path, standin: StandIn,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    db_path = tmp_path / f"{name}.duckdb"
    env = {"TRACKER_DB": str(db_path), "TRACKER_CTGOV_URL": standin.url, "TRACKER_MAX_RPM": "0",
           "TRACKER_LOG_LEVEL": "WARNING"}
    for args in (("refresh",), ("sql", "select count(*) as n from trials where in_landscape", "--format", "csv"),
                 ("status",), ("classify",), ("curate",), ("refresh",)):
        result = run_cli(args, env, timeout=180, cwd=tmp_path)
        assert result.returncode == 0, result.describe()
        assert_clean(result)
        if args[0] == "sql":
            landscape_trials = int(result.stdout.splitlines()[1])
            assert landscape_trials > 0
    monkeypatch.setenv("TRACKER_DB", str(db_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert at.metric[0].label == "Trials" and int(at.metric[0].value.replace(",", "")) == landscape_trials
    at.switch_page("app_pages/data.py")
    at.run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]


# ------------------------------------------------------------------------------------- the safety net


@pytest.fixture
def explode() -> Iterator[dict[str, BaseException]]:
    """A command that raises what the test puts in, run through the real entry point."""
    from tracker.cli import cli

    raised: dict[str, BaseException] = {}

    @cli.command("explode", hidden=True)
    def explode_command() -> None:
        raise raised["exc"]

    yield raised
    del cli.commands["explode"]


def duckdb_error() -> BaseException:
    import duckdb

    try:
        duckdb.connect(":memory:").execute("select * from no_such_table")
    except duckdb.Error as exc:
        return exc
    raise AssertionError("DuckDB accepted a query on a missing table")


@pytest.mark.parametrize(("exc", "status", "line"), [
    pytest.param(RuntimeError("boom\nsecond line"), 2, "Error: unexpected RuntimeError: boom (this is a bug; run "
                 "with TRACKER_LOG_LEVEL=DEBUG for the traceback)", id="unexpected"),
    pytest.param(KeyError("nct_id"), 2, "Error: unexpected KeyError: 'nct_id' (this is a bug; run with "
                 "TRACKER_LOG_LEVEL=DEBUG for the traceback)", id="unexpected-key-error"),
    pytest.param(OSError(28, "No space left on device", "/data/tracker.duckdb"), 1,
                 "Error: No space left on device: /data/tracker.duckdb", id="disk-full"),
    pytest.param(KeyboardInterrupt(), 130, "Error: interrupted", id="ctrl-c"),
])
def test_the_entry_point_turns_any_exception_into_one_line(explode: dict[str, BaseException], exc: BaseException,
                                                          status: int, line: str, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.cli import main

    explode["exc"] = exc
    monkeypatch.setattr(sys, "argv", ["tracker", "explode"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == status
    assert capsys.readouterr().err == line + "\n"


def test_a_duckdb_error_no_command_expected_is_one_line(explode: dict[str, BaseException],
                                                       capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.cli import main

    explode["exc"] = duckdb_error()
    monkeypatch.setattr(sys, "argv", ["tracker", "explode"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: database error: Catalog Error: Table with name no_such_table does not exist")
    assert err.count("\n") == 1


def test_the_traceback_of_a_bug_is_shown_at_debug(explode: dict[str, BaseException],
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker import logs
    from tracker.cli import main

    explode["exc"] = RuntimeError("boom")
    monkeypatch.setattr(sys, "argv", ["tracker", "explode"])
    logs.configure("DEBUG", "text")
    try:
        with pytest.raises(SystemExit):
            main()
    finally:
        logs.configure("WARNING", "text")
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and 'raise raised["exc"]' in err
    assert err.splitlines()[-1].startswith("Error: unexpected RuntimeError: boom")


@pytest.mark.parametrize("command", [
    pytest.param([str(Path(sys.executable).with_name("tracker"))], id="console-script"),
    pytest.param([sys.executable, "-m", "tracker"], id="python-m-tracker"),
    pytest.param([sys.executable, "-m", "tracker.cli"], id="python-m-tracker-cli"),
])
def test_every_way_to_start_the_cli_goes_through_the_safety_net(command: list[str], tmp_path: Path) -> None:
    import tomllib

    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]["tracker"] == \
        "tracker.cli:main"
    if not Path(command[0]).exists():
        pytest.skip("the console script is not installed (pip install -e .)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["TRACKER_DB"] = str(tmp_path / "tracker.duckdb")
    done = subprocess.run([*command, "status", "--runs", "-1"], env=env, capture_output=True, text=True, timeout=60)
    # click alone prints three lines (usage, hint, error) for a bad option
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("Error: Invalid value for '--runs'")
    done = subprocess.run([*command, "sql", "select 1"], env={**env, "TRACKER_CTGOV_URL": "x"}, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize(("args", "env"), [
    pytest.param(("refresh",), {"TRACKER_CTGOV_URL": "http://[::1"}, id="url-with-a-broken-host"),
    pytest.param(("status",), {}, id="status-on-a-foreign-database"),
    pytest.param(("curate",), {}, id="curate-on-a-foreign-database"),
    pytest.param(("sql", "select * from trials"), {}, id="sql-on-a-foreign-database"),
])
def test_errors_nothing_handles_yet_are_one_line(tmp_path: Path, args: tuple[str, ...], env: dict[str, str]) -> None:
    import duckdb

    path = tmp_path / "foreign.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table notes (body varchar)")
    result = run_cli(args, {"TRACKER_DB": str(path), "TRACKER_RETRIES": "1", **env}, timeout=120)
    assert_one_line_error(result)


def test_a_reader_that_stops_reading_is_no_error(published: Path, workdir: Path) -> None:
    """`tracker sql … | head -2`: the closed pipe ends the command quietly, as click does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env.update(TRACKER_DB=str(published), PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "tracker.cli", "sql", "select * from range(200000)",
                                "--limit", "100000"], env=env, cwd=workdir, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    with process:
        assert process.stdout is not None and process.stderr is not None
        assert "range" in process.stdout.readline() + process.stdout.readline()
        process.stdout.close()
        err = process.stderr.read()
        process.wait(timeout=60)
    assert err == "", err  # quiet, as `head` expects of the commands it reads
