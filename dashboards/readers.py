"""Which published file a script run reads, and the read-only connections the dashboard's sessions share.

A refresh publishes by renaming a new file over the old one. A script run takes the file's identity
once (`Source`), every query of that run is cached under it and read through the one connection opened
for it, so a page shows one snapshot whole and the next run after a publish shows the new one.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tracker import db
from tracker.errors import DatabaseError


@dataclass(frozen=True)
class Source:
    """The published database as a cache key: its path and the identity of the file now behind it.

    The inode tells two files apart even when a publish lands within the file system's timestamp
    granularity with the same size (DuckDB files grow in whole blocks, so equal sizes are common).
    """

    path: str
    inode: int
    mtime_ns: int
    ctime_ns: int
    size: int

    @classmethod
    def of(cls, path: Path | str) -> Source | None:
        try:
            stat = os.stat(path)
        except OSError:
            return None
        return cls(str(path), stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size)


class ReaderPool:
    """One read-only connection per published file, shared by every session, let go when no run needs it.

    The newest `keep` files stay open, older ones until nothing has read them for `grace` seconds: a
    run that started before a publish goes on reading the file it started with. Closing waits for the
    queries in flight (db.Reader.close), so letting a file go never breaks a query.
    """

    def __init__(self, keep: int = 2, grace: float = 120.0) -> None:
        self.keep = keep
        self.grace = grace
        self._readers: dict[Source, db.Reader] = {}
        self._last_used: dict[Source, float] = {}
        self._lock = threading.Lock()

    def get(self, source: Source) -> db.Reader:
        with self._lock:
            reader = self._readers.get(source)
            if reader is None:
                reader = self._open(source)
            self._last_used[source] = time.monotonic()
            self._let_go()
            return reader

    def __len__(self) -> int:
        return len(self._readers)

    def _open(self, source: Source) -> db.Reader:
        if Source.of(source.path) != source:
            # its file was replaced and let go: opening the path now would read a newer file under this key
            raise DatabaseError(f"{source.path} was replaced while this page was loading: reload the page")
        reader = self._readers[source] = db.Reader(source.path)
        return reader

    def _let_go(self) -> None:
        now = time.monotonic()
        for source in list(self._readers)[:-self.keep]:
            if now - self._last_used.get(source, 0.0) > self.grace:
                self._readers.pop(source).close()
                self._last_used.pop(source, None)
