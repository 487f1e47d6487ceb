"""CT.gov's bulk archive (`/studies/download?format=json.zip`) streamed to a file, resumable with HTTP Range.

The archive is ~2.7 GB and CT.gov sends it without a Content-Length, so it is written block by block to
`<name>.part` and renamed only when the response has ended. A dropped connection is resumed from the bytes
already on disk when the server honours Range (206), else the download starts again (a 200 to a ranged
request). A part left by an earlier run is resumed only when CT.gov's data timestamp is still the one it
was started under: CT.gov rebuilds the archive daily, and the tail of today's archive does not continue
yesterday's. Whether the file is a whole zip is for tracker.archive to check; nothing here trusts it.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from tracker.ctgov.client import MAX_RETRY_WAIT, CtGov
from tracker.errors import Cancelled, CtGovError, CtGovUnavailable

log = logging.getLogger(__name__)

DOWNLOAD_PATH = "/studies/download"
DOWNLOAD_PARAMS = {"format": "json.zip"}  # the only value CT.gov accepts; every filter is a 400
BLOCK = 1 << 20
MAX_RESTARTS = 3


@dataclass(frozen=True)
class Downloaded:
    path: Path
    bytes: int
    requests: int
    resumed_from: int  # bytes of an earlier part this download continued, 0 when it started afresh
    restarts: int  # responses that ignored Range, so the download started again


class _Cut(Exception):
    """The response ended before the archive did, or the server failed transiently: resume."""


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def download_archive(client: CtGov, dest: Path, *, validator: str | None,
                     on_bytes: Callable[[int], None] | None = None) -> Downloaded:
    """Stream the archive into `dest` (via dest.part); resume a part started under the same `validator`."""
    part = part_path(dest)
    resumed = _resumable(part, validator)
    requests_before = client.requests
    restarts = failures = 0
    while True:
        offset = part.stat().st_size if part.exists() else 0
        try:
            if _fetch(client, part, offset, on_bytes):
                break
            restarts += 1
            if restarts > MAX_RESTARTS:
                raise CtGovError(f"the server refused to resume the archive download {restarts} times",
                                 url=client.base_url + DOWNLOAD_PATH)
        except (_Cut, httpx.TransportError) as exc:
            failures += 1
            if failures >= client.settings.retries:
                raise CtGovUnavailable(f"the archive download kept failing after {failures} attempts: {exc} "
                                       f"({part.stat().st_size if part.exists() else 0:,} bytes kept in {part} "
                                       f"for the next try)", url=client.base_url + DOWNLOAD_PATH) from None
            wait = min(client.settings.backoff * 2 ** (failures - 1), MAX_RETRY_WAIT)
            log.warning("archive download interrupted at %s bytes (%s); resuming in %.1f s",
                        f"{part.stat().st_size if part.exists() else 0:,}", exc, wait)
            time.sleep(wait)
    os.replace(part, dest)
    _sidecar(part).unlink(missing_ok=True)
    return Downloaded(dest, dest.stat().st_size, client.requests - requests_before, resumed, restarts)


def _resumable(part: Path, validator: str | None) -> int:
    """Keep a part started under the same validator (its size is where to resume), else start afresh."""
    sidecar = _sidecar(part)
    try:
        kept = json.loads(sidecar.read_text(encoding="utf-8")).get("validator")
    except (OSError, ValueError, AttributeError):
        kept = None
    if part.exists() and (validator is None or kept != validator):
        log.info("discarding %s: it was started under another archive (%s, now %s)", part, kept, validator)
        part.unlink()
    sidecar.write_text(json.dumps({"validator": validator}), encoding="utf-8")
    return part.stat().st_size if part.exists() else 0


def _sidecar(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def _fetch(client: CtGov, part: Path, offset: int, on_bytes: Callable[[int], None] | None) -> bool:
    """One request from `offset`; True when the response ran to its end, False when it must start again."""
    headers = {"Accept": "application/zip"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    url = client.base_url + DOWNLOAD_PATH
    with client.stream(DOWNLOAD_PATH, DOWNLOAD_PARAMS, headers) as response:
        status = response.status_code
        if status == 416 or (status == 206 and not _continues(response, offset)):
            part.unlink(missing_ok=True)  # a range the server cannot serve from here: start again
            return False
        if status == 429 or status >= 500:
            raise _Cut(f"HTTP {status}")
        if status not in (200, 206):
            text = response.read().decode("utf-8", "replace").strip().splitlines()
            raise CtGovError(f"CT.gov answered HTTP {status} to the archive download: "
                             f"{text[0][:300] if text else '(no message)'} — GET {url}", url=url, status_code=status)
        if offset and status == 200:
            log.warning("the server ignored the Range request: downloading the archive again from the start")
        with part.open("ab" if status == 206 else "wb") as out:
            for block in response.iter_bytes(BLOCK):
                if client.cancel is not None and client.cancel.is_set():
                    raise Cancelled(f"download cancelled by shutdown; {part} is kept for the next scan to resume")
                out.write(block)
                if on_bytes is not None:
                    on_bytes(len(block))
            out.flush()
            os.fsync(out.fileno())
    return True


def _continues(response: httpx.Response, offset: int) -> bool:
    """Whether a 206 starts where the part ends (Content-Range: bytes <offset>-<end>/<total>)."""
    content_range: str = response.headers.get("Content-Range", "")
    return content_range.startswith(f"bytes {offset}-")
