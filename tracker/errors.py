"""
Tracker exceptions; library code raises them, the CLI prints their message as one line.

* TrackerError
  + ConfigError            a setting or input file is malformed; has .name
  + CatalogueError         the agent catalogue is malformed; has .path, .line, .field
  + CtGovError             CT.gov answered with an error or something we cannot use; has .url, .status_code
    - CtGovBadRequest      a 400: our request is wrong, never retried
    - CtGovUnavailable     CT.gov could not be reached, or kept failing after every retry
  + ReconciliationError    what CT.gov sent does not add up to what it said it would send
  + DatabaseError          the database is missing, busy or cannot be used
    - RefreshLocked        another refresh holds the lock
    - DiskFull             the disk filled up while writing; the published database is kept as it was
  + QueryRefused           ad-hoc SQL tried to write or to reach files or the network
  + QueryFailed            ad-hoc SQL is wrong, or hit the time or memory limit
    - QueryInterrupted     the statement was stopped (time limit or Ctrl-C)
    - QueryOutOfMemory     the statement needed more memory than the limit
  + Cancelled              a shutdown asked the refresh to stop; nothing it fetched was kept
  + ScopeDropRefused       a full run would take too much of the landscape out of scope at once
  + ArchiveError           a bulk archive is not whole, or does not add up to the registry's size
  + ExportError            the export directory cannot be used, or what was written does not add up
"""

from __future__ import annotations


class TrackerError(Exception):
    "Base class of every error the tracker raises on purpose"


class ConfigError(TrackerError):
    "A setting or an input file is malformed"

    def __init__(self, name: str, message: str) -> None:
        super().__init__(one_line(f"{name}: {message}"))
        self.name = name


class CatalogueError(TrackerError):
    "The agent catalogue is malformed"

    def __init__(self, path: str, line: int | None, field: str, message: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {field}: {message}")
        self.path = path
        self.line = line
        self.field = field


class CtGovError(TrackerError):
    "CT.gov answered with an error or with a body we cannot use"

    def __init__(self, message: str, *, url: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status_code = status_code


class CtGovBadRequest(CtGovError):
    "CT.gov rejected the request (HTTP 400): a bug in our parameters, never retried"


class CtGovUnavailable(CtGovError):
    "CT.gov could not be reached, or kept failing after every retry"


class ReconciliationError(TrackerError):
    "The studies received do not add up to CT.gov's totalCount"


class DatabaseError(TrackerError):
    "The database is missing, busy or cannot be used"


class RefreshLocked(DatabaseError):
    "Another refresh holds the lock"


class DiskFull(DatabaseError):
    "The disk filled up while writing; the published database is kept as it was"


class CorruptDatabase(DatabaseError):
    "The database file's data blocks fail their checksums; nothing is written to it"


class QueryRefused(TrackerError):
    "Ad-hoc SQL tried to write, or to read files or the network"


class QueryFailed(TrackerError):
    "Ad-hoc SQL is wrong, or hit the time or memory limit"


class QueryInterrupted(QueryFailed):
    "The statement was stopped before it finished"


class QueryOutOfMemory(QueryFailed):
    "The statement needed more memory than the limit allows"


class Cancelled(TrackerError):
    "A shutdown asked the refresh to stop; nothing it fetched was kept"


class ScopeDropRefused(TrackerError):
    "A full run would mark too many trials out of scope at once; it needs the user's confirmation"


class ArchiveError(TrackerError):
    "A bulk archive of the registry is truncated, damaged, or does not add up; nothing was stored from it"


class ExportError(TrackerError):
    "The export directory cannot be used, or the Parquet written does not add up to the views"


def one_line(text: str) -> str:
    """Text with its line breaks and other control characters escaped, so a message stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
