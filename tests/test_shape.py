"""The code's shape: small modules and functions, SQL files that say what they read and write, every
temporary table declared in tracker/temp_tables.py, and a dashboard that names only public views.
(The import layering is import-linter's, in `make lint`.)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tracker.temp_tables import TEMP_TABLES

ROOT = Path(__file__).resolve().parent.parent
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 50
# data tables: long by nature, no logic to split (none is in the product today)
DATA_MODULES: set[str] = set()
SQL_STEP_DIRS = ("load", "normalize")


def python_files() -> list[str]:
    paths = sorted(p.relative_to(ROOT).as_posix() for d in ("tracker", "dashboards") for p in (ROOT / d).rglob("*.py"))
    return [p for p in paths if p.rsplit("/", 1)[-1] not in DATA_MODULES]


@pytest.mark.parametrize("path", python_files())
def test_modules_and_functions_are_small(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    lines = len(text.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path}: {lines} lines"
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)" for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno is not None and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{path}: functions over {MAX_FUNCTION_LINES} lines: {', '.join(long)}"


# ----------------------------------------------------------------------------------- SQL headers

NAME = r"([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)"
WRITES = re.compile(r"\b(?:insert\s+into|update|delete\s+from|create\s+(?:or\s+replace\s+)?(?:temp\s+|temporary\s+)?"
                    r"table(?:\s+if\s+not\s+exists)?)\s+" + NAME)
READS = re.compile(r"\b(distinct\s+|delete\s+)?(?:from|join)\s+" + NAME + r"\s*(\()?")
CTES = re.compile(r"(?:\bwith|,)\s*([a-z_][a-z0-9_]*)\s+as\s*\(")


def tables_used(sql: str) -> tuple[set[str], set[str]]:
    """(read, written) by the statements of a SQL file: a table after from/join, and after insert into,
    update, delete from or create table; CTE names, table functions and subqueries are no tables. A table
    updated or deleted from is listed under writes only, unless a from/join reads it too."""
    text = re.sub(r"'(?:[^']|'')*'", "''", re.sub(r"--[^\n]*", " ", sql)).lower()
    ctes = set(CTES.findall(text))
    reads = {m.group(2) for m in READS.finditer(text) if not m.group(1) and not m.group(3)} - ctes
    return reads, set(WRITES.findall(text))


def header(sql: str, key: str) -> set[str]:
    match = re.search(rf"^-- {key}: (.*)$", sql, re.M)
    assert match, f"no `-- {key}:` line"
    return set() if match.group(1).strip() == "(none)" else {n.strip() for n in match.group(1).split(",")}


STEP_FILES = sorted(p.relative_to(ROOT).as_posix() for d in SQL_STEP_DIRS for p in (ROOT / "sql" / d).glob("*.sql"))


@pytest.mark.parametrize("path", STEP_FILES)
def test_sql_header_names_what_the_file_reads_and_writes(path: str) -> None:
    sql = (ROOT / path).read_text(encoding="utf-8")
    assert sql.startswith("-- reads: "), f"{path} must start with `-- reads:` and `-- writes:` lines"
    reads, writes = tables_used(sql)
    assert header(sql, "reads") == reads, f"{path}: reads {sorted(reads)}"
    assert header(sql, "writes") == writes, f"{path}: writes {sorted(writes)}"
    undeclared = {n for n in reads | writes if "." not in n} - set(TEMP_TABLES)
    assert not undeclared, f"{path}: temporary tables not declared in tracker/temp_tables.py: {sorted(undeclared)}"


def temp_names_made() -> dict[str, str]:
    """Every temp table the SQL and the code create and every frame the code registers, with where."""
    made: dict[str, str] = {}
    create = re.compile(r"create\s+(?:or\s+replace\s+)?temp(?:orary)?\s+table\s+(?:if\s+not\s+exists\s+)?(\w+)", re.I)
    register = re.compile(r"\bregister\(\w+, (f?)\"(\w+)")
    rename = re.compile(r"alter\s+table\s+\w+\s+rename\s+to\s+(\w+)", re.I)  # a temp table kept under a new name
    sources = [*(ROOT / "sql").rglob("*.sql"), *(ROOT / "tracker").rglob("*.py")]
    for path in sources:
        where = path.relative_to(ROOT).as_posix()
        code = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            # a comment may name a table without making one
            code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith("#"))
        for name in [*create.findall(code), *rename.findall(code)]:
            made.setdefault(name, where)
        for is_f, name in register.findall(code):
            made.setdefault(name + ("*" if is_f else ""), where)
    return made


def test_every_temporary_table_is_declared() -> None:
    made = temp_names_made()
    undeclared = {name: where for name, where in made.items() if name not in TEMP_TABLES}
    assert not undeclared, f"declare these in tracker/temp_tables.py: {undeclared}"
    unused = set(TEMP_TABLES) - set(made)
    assert not unused, f"declared in tracker/temp_tables.py but made nowhere: {sorted(unused)}"


INTERNAL_SCHEMAS = re.compile(r"\b(?:raw|core|meta|ref|versions)\.[a-z_]+")


@pytest.mark.parametrize("path", sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "dashboards").rglob("*.py")))
def test_the_dashboard_reads_public_views_only(path: str) -> None:
    strings = [node.value for node in ast.walk(ast.parse((ROOT / path).read_text(encoding="utf-8")))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    internal = sorted({m for text in strings for m in INTERNAL_SCHEMAS.findall(text)})
    assert not internal, f"{path} names tables behind the public views: {internal}"
