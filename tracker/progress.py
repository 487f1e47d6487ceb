"""Terminal progress for refreshes (rich); the only module that imports rich."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from tracker.reporting import LogReporter, Reporter
from tracker.scope import ScopeQuery


class RichReporter:
    """A progress bar per query on an interactive terminal."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def query_started(self, query: ScopeQuery, index: int, total: int, since: date | None) -> None:
        window = f" since {since}" if since else " (full)"
        self.task = self.progress.add_task(f"[{index}/{total}] {query.label}{window}", total=None)

    def page_loaded(self, query: ScopeQuery, received: int, total_count: int | None) -> None:
        self.progress.update(self.task, completed=received, total=total_count)

    def query_finished(self, query: ScopeQuery, stats: dict[str, Any]) -> None:
        self.progress.update(self.task, completed=stats["distinct"], total=max(stats["distinct"], 1))


def make_progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=Console(stderr=True), transient=False,
    )


def reporter_for_terminal() -> tuple[Reporter, Progress | None]:
    """A rich reporter when stderr is a terminal, else quiet logging."""
    if sys.stderr.isatty():
        progress = make_progress()
        return RichReporter(progress), progress
    return LogReporter(), None


def print_table(rows: list[dict[str, Any]], columns: list[str], title: str | None = None) -> None:
    print_rows(columns, [tuple(row.get(c) for c in columns) for row in rows], title=title)


MAX_CELL = 1_000  # characters of one value a table shows; csv and json give it whole


def print_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None,
               null: str = "") -> None:
    """A table of plain text: brackets in the data are not rich markup, control characters are dropped."""
    table = Table(title=Text(title) if title else None, show_lines=False)
    for column in columns:
        table.add_column(Text(column), overflow="fold")
    for row in rows:
        table.add_row(*[Text(_cell(value, null)) for value in row])
    Console().print(table)


def _cell(value: Any, null: str) -> str:
    text = null if value is None else str(value)
    return text if len(text) <= MAX_CELL else f"{text[:MAX_CELL]}… ({len(text):,} characters)"
