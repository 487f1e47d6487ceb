"""What a refresh tells its caller: progress as it goes (a Reporter), and its result at the end."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from tracker.scope import ScopeQuery

# the lines a refresh logs keep the logger name they always had
log = logging.getLogger("tracker.refresh")


class Reporter(Protocol):
    """What a refresh tells its caller as it goes (the CLI draws a progress bar from it)."""

    def query_started(self, query: ScopeQuery, index: int, total: int, since: date | None) -> None: ...

    def page_loaded(self, query: ScopeQuery, received: int, total_count: int | None) -> None: ...

    def query_finished(self, query: ScopeQuery, stats: dict[str, Any]) -> None: ...


class LogReporter:
    """Quiet, one line per query: for daemons, pipes and CI logs."""

    def query_started(self, query: ScopeQuery, index: int, total: int, since: date | None) -> None:
        window = f" since {since}" if since else ""
        log.debug("query %d/%d %s%s", index, total, query.label, window)

    def page_loaded(self, query: ScopeQuery, received: int, total_count: int | None) -> None:
        pass

    def query_finished(self, query: ScopeQuery, stats: dict[str, Any]) -> None:
        log.info("%s: %d studies (%s of %s), %d page(s)", query.label, stats["distinct"], stats["mode"],
                 stats["total_count"], stats["pages"])


@dataclass
class RefreshResult:
    run_id: int
    status: str  # succeeded | skipped | failed
    mode: str
    trigger: str = "cli"
    started_at: datetime | None = None
    api_version: str | None = None
    dirty: bool = False  # the working database received data: a failure restores it from the published file
    requests: int = 0
    studies_fetched: int = 0
    studies_new: int = 0
    studies_changed: int = 0
    studies_unchanged: int = 0
    studies_left_scope: int = 0
    data_timestamp: str | None = None
    error: str | None = None
    queries: list[dict[str, Any]] = field(default_factory=list)
    changes_sent: int = 0  # changes of this run in the feed (at or above TRACKER_FEED_SEVERITY)
    # wall seconds by stage: fetch (HTTP and decoding), load (versions and normalized tables), classify
    # (labels, then changes), publish; the benchmark reports them
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("fetch", "load", "classify",
                                                                                   "publish"), 0.0))

    def summary(self) -> str:
        if self.status == "skipped":
            return f"run {self.run_id}: CT.gov data unchanged since the last run ({self.data_timestamp}); nothing to do"
        if self.status == "failed":
            return f"run {self.run_id} failed, previous data kept: {self.error}"
        return (
            f"run {self.run_id} ({self.mode}): {self.studies_fetched} studies received, {self.studies_new} new, "
            f"{self.studies_changed} changed, {self.studies_left_scope} left the scope; "
            f"{self.requests} requests; data as of {self.data_timestamp}"
        )
