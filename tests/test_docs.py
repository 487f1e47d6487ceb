"""The README documents every command, setting and public view and the catalogue's counts; sql/README.md lists every
view's grain."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from tracker.catalogue import load_catalogue
from tracker.cli import cli
from tracker.config import settings_table

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SQL_README = (ROOT / "sql" / "README.md").read_text()
VIEWS = sorted(re.search(r"create or replace view main\.(\w+)", p.read_text()).group(1)  # type: ignore[union-attr]
               for p in (ROOT / "sql" / "views").glob("*.sql") if "create or replace view" in p.read_text())


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"tracker {command}" in README


@pytest.mark.parametrize("env", [row[0] for row in settings_table()])
def test_every_setting_is_in_the_configuration_table(env: str) -> None:
    assert f"| `{env}` |" in README


@pytest.mark.parametrize("view", VIEWS)
def test_every_public_view_is_documented(view: str) -> None:
    assert f"`{view}`" in README
    assert f"`{view}`" in SQL_README


def test_the_quickstart_has_exactly_two_commands() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash)?\n(.*?)```", quickstart, re.S)
    commands = [line for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert commands == ["make demo", "make test"], commands


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_catalogue_counts_equal_the_catalogue() -> None:
    """The README's coverage tables are bench/catalogue_counts.py's output for the bundled catalogue."""
    spec = importlib.util.spec_from_file_location("catalogue_counts", ROOT / "bench" / "catalogue_counts.py")
    assert spec is not None and spec.loader is not None
    counts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(counts)
    expected = counts.coverage_tables(load_catalogue())
    assert counts.readme_block(README) == expected, "run `python bench/catalogue_counts.py --write`"
