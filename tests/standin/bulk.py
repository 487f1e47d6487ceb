"""CT.gov's bulk download and registry size for the test stand-in (ctgov-api.md §7).

``GET /api/v2/studies/download?format=json.zip`` answers ``application/zip`` in the real layout — one entry
``NN/NCTxxxxxxxx.json`` per study, NN the NCT number's last two digits, each the JSON of
``/studies/{nctId}`` — sent chunked, without a Content-Length, as CT.gov does. ``Range: bytes=N-`` is
honoured (206 with Content-Range) unless the fault profile says otherwise. The archive is built from the
registry into a temporary file on the first request of each registry state and served from there.
``/api/v2/stats/size`` answers ``totalStudies`` (plus ``stats_size_delta``, to fake a registry that moved).

Faults (script names, one per request): ``truncate_archive`` sends the first half of the archive and ends
the response cleanly (a download that looks whole and is not); ``cut_archive`` sends the first half and
drops the connection (the client must resume).
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Final

from tracker.demo.registry import Registry
from tracker.demo.responses import Response, json_response, text_response

if TYPE_CHECKING:
    from tracker.demo.standin import Handler, Request

__all__ = ["DOWNLOAD_PATH", "STATS_SIZE_PATH", "ArchiveCache", "serve_download", "stats_size", "write_archive"]

DOWNLOAD_PATH: Final = "/api/v2/studies/download"
STATS_SIZE_PATH: Final = "/api/v2/stats/size"
_RANGE: Final = re.compile(r"bytes=(\d+)-$")
_BLOCK: Final = 64 * 1024


def entry_name(nct_id: str) -> str:
    return f"{nct_id[-2:]}/{nct_id}.json"


def write_archive(studies: Iterable[tuple[str, bytes]], path: Path, *, compresslevel: int = 1) -> int:
    """Write (nct_id, JSON) pairs as CT.gov's archive; return the number of entries."""
    count = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as archive:
        for nct_id, raw in studies:
            archive.writestr(entry_name(nct_id), raw)
            count += 1
    return count


def registry_entries(registry: Registry) -> Iterable[tuple[str, bytes]]:
    """Each study as /studies/{nctId} serves it, versionHolder included."""
    holder = b'"' + registry.data_date.encode() + b'"'
    for record in registry.snapshot():
        head, tail = record.parts()
        yield record.nct_id, head + holder + tail


class ArchiveCache:
    """The archive of the registry's current state, built once into a temporary file."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, object] | None = None
        self._path: Path | None = None

    def path(self, registry: Registry) -> Path:
        # the registry replaces its ordered list whenever a study changes: the same list is the same state
        timestamp, records = registry.data_timestamp, registry.snapshot()
        with self._lock:
            if self._path is None or self._key is None or self._key[0] != timestamp or self._key[1] is not records:
                self.clear()
                handle, name = tempfile.mkstemp(prefix="standin-archive-", suffix=".zip")
                os.close(handle)
                write_archive(registry_entries(registry), Path(name))
                self._key, self._path = (timestamp, records), Path(name)
            return self._path

    def clear(self) -> None:
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None


def stats_size(registry: Registry, delta: int = 0) -> Response:
    return json_response({"totalStudies": len(registry) + delta, "averageSizeBytes": 15000})


def serve_download(handler: Handler, request: Request, path: Path, *, fault: str | None,
                   honour_range: bool) -> int:
    """Answer a download request on the handler's socket; return the status sent."""
    params = dict(request.pairs)
    unknown = [name for name in params if name != "format"]
    if unknown:
        handler.send(text_response(400, f"Invalid prefix in parameter name: {unknown[0]}"))
        return 400
    if params.get("format") != "json.zip":
        handler.send(text_response(400, f"Invalid format value: {params.get('format', '')}"))
        return 400
    size = path.stat().st_size
    match = _RANGE.match(handler.headers.get("Range", "")) if honour_range else None
    start = int(match.group(1)) if match else 0
    if match and start >= size:
        handler.send(Response(416, b"", "text/plain", [("Content-Range", f"bytes */{size}")]))
        return 416
    status = 206 if match else 200
    handler.send_response(status)
    handler.send_header("Content-Type", "application/zip")
    handler.send_header("Content-Disposition", "attachment; filename=ctg-studies.json.zip")
    handler.send_header("Transfer-Encoding", "chunked")
    if match:
        handler.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
    handler.end_headers()
    stop_at = size // 2 if fault in ("truncate_archive", "cut_archive") and start < size // 2 else size
    with path.open("rb") as archive:
        archive.seek(start)
        position = start
        while position < stop_at:
            block = archive.read(min(_BLOCK, stop_at - position))
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
            position += len(block)
    if fault == "cut_archive" and stop_at < size:
        handler.wfile.flush()
        handler.close_connection = True
        handler.connection.shutdown(2)
        return status
    handler.wfile.write(b"0\r\n\r\n")
    return status
