"""The CT.gov API v2: `client` talks HTTP (the only module importing httpx), `bodies` decodes the answers."""

from __future__ import annotations

from tracker.ctgov.bodies import PAGE_SIZE, ApiVersion, HistoryEntry, Page, StudyKeys, study_keys
from tracker.ctgov.client import USER_AGENT, CtGov, Throttle

__all__ = ["PAGE_SIZE", "USER_AGENT", "ApiVersion", "CtGov", "HistoryEntry", "Page", "StudyKeys", "Throttle",
           "study_keys"]
