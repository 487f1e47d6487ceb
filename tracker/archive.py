"""CT.gov's bulk archive read as a stream: checked whole before anything is stored, then read a chunk at a time.

The archive (ctgov-api.md §7) is a zip of ~600,000 entries `NN/NCTxxxxxxxx.json`, NN the NCT number's last
two digits. Its central directory is at the end, so a truncated download has none: `verify` finds the end
record (zip64 when there are more than 65,535 entries), walks the directory once and counts the study
entries. Python's zipfile would hold one ZipInfo per entry (about 360 MB for the whole registry); this
reader keeps one directory record at a time, so memory does not grow with the archive. Each entry's CRC-32
is checked as it is read: a damaged entry fails the scan, whose working copy is then thrown away.
"""

from __future__ import annotations

import queue
import re
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tracker.errors import ArchiveError

ENTRY_NAME = re.compile(r"(\d\d)/(NCT\d{8})\.json")
CHUNK = 5000  # entries per chunk: about 85 MB of JSON at CT.gov's 17 KB mean

_EOCD = struct.Struct("<IHHHHIIH")
_EOCD64_LOCATOR = struct.Struct("<IIQI")
_EOCD64 = struct.Struct("<IQHHIIQQQQ")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_MAX16, _MAX32 = 0xFFFF, 0xFFFFFFFF
_SLAB = 4 << 20


@dataclass(frozen=True)
class ArchiveInfo:
    """What the central directory says: the archive's size and its entries."""

    path: Path
    bytes: int
    entries: int  # every entry of the directory
    studies: int  # entries named NN/NCTxxxxxxxx.json
    misfiled: int  # study entries whose folder is not their NCT number's last two digits
    others: list[str]  # the first few entries that are not studies (folders aside)


@dataclass(frozen=True)
class _Entry:
    name: str
    method: int
    crc: int
    compressed: int
    offset: int


def verify(path: Path) -> ArchiveInfo:
    """Check the archive is a whole zip and count its entries; an ArchiveError names what is wrong."""
    studies = misfiled = entries = 0
    others: list[str] = []
    try:
        size = path.stat().st_size
        for entry in _directory(path):
            entries += 1
            match = ENTRY_NAME.fullmatch(entry.name)
            if match is None:
                if not entry.name.endswith("/") and len(others) < 5:
                    others.append(entry.name)
                continue
            studies += 1
            misfiled += match.group(1) != match.group(2)[-2:]
    except OSError as exc:
        raise ArchiveError(f"cannot read the archive {path}: {exc.strerror or exc}") from None
    if studies == 0:
        raise ArchiveError(f"{path} holds no study entries (NN/NCTxxxxxxxx.json); it is not CT.gov's bulk archive")
    return ArchiveInfo(path, size, entries, studies, misfiled, others)


def chunks(path: Path, size: int = CHUNK) -> Iterator[list[tuple[str, bytes]]]:
    """The study entries (name, JSON bytes) in directory order, `size` at a time, each CRC-checked."""
    batch: list[tuple[str, bytes]] = []
    with path.open("rb") as data:
        for entry in _directory(path):
            if ENTRY_NAME.fullmatch(entry.name) is None:
                continue
            batch.append((entry.name, _read(data, entry, path)))
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def prefetched(source: Iterator[list[tuple[str, bytes]]], depth: int = 1) -> Iterator[list[tuple[str, bytes]]]:
    """Read the next chunks in a thread while the caller works on this one (zlib and file reads release
    the GIL, so inflating overlaps sieving on a second core); at most `depth` chunks wait in memory."""
    waiting: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        waiting.put(("chunk", item), timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            waiting.put(("end", None))
        except BaseException as exc:  # handed to the consumer, which raises it
            waiting.put(("error", exc))

    thread = threading.Thread(target=produce, name="archive-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = waiting.get()
            if kind == "end":
                return
            if kind == "error":
                raise item  # type: ignore[misc]
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join(timeout=5)


def _directory(path: Path) -> Iterator[_Entry]:
    """The central directory's records, one at a time, read a slab of a few MB at a time."""
    with path.open("rb") as handle:
        count, cd_size, cd_offset = _end_record(handle, path)
        handle.seek(cd_offset)
        buffer, at = b"", 0
        for _ in range(count):
            if len(buffer) - at < _CENTRAL.size + 3 * _MAX16:
                buffer, at = buffer[at:] + handle.read(_SLAB), 0
            if len(buffer) - at < _CENTRAL.size or buffer[at:at + 4] != b"PK\x01\x02":
                raise ArchiveError(f"{path}: the central directory is damaged; the archive is not whole")
            fields = _CENTRAL.unpack_from(buffer, at)
            name_len, extra_len, comment_len = fields[10], fields[11], fields[12]
            start = at + _CENTRAL.size
            name = buffer[start:start + name_len].decode("utf-8", "replace")
            compressed, offset = fields[8], fields[16]
            if compressed == _MAX32 or offset == _MAX32:
                extra = buffer[start + name_len:start + name_len + extra_len]
                compressed, offset = _zip64_sizes(extra, fields[9], compressed, offset)
            at = start + name_len + extra_len + comment_len
            yield _Entry(name, fields[4], fields[7], compressed, offset)


def _end_record(handle: BinaryIO, path: Path) -> tuple[int, int, int]:
    """(entries, directory size, directory offset) from the end record, zip64 when the counts overflow."""
    size = handle.seek(0, 2)
    tail_start = max(0, size - _EOCD.size - _MAX16)
    handle.seek(tail_start)
    tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise ArchiveError(f"{path} is not a whole zip archive (no end of central directory: a truncated or "
                           f"damaged download); nothing was stored from it")
    _, _, _, _, count, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, at)
    if count == _MAX16 or cd_offset == _MAX32 or cd_size == _MAX32:
        locator_at = at - _EOCD64_LOCATOR.size
        if locator_at < 0 or tail[locator_at:locator_at + 4] != b"PK\x06\x07":
            raise ArchiveError(f"{path}: the zip64 end record is missing; the archive is not whole")
        _, _, eocd64_offset, _ = _EOCD64_LOCATOR.unpack_from(tail, locator_at)
        handle.seek(eocd64_offset)
        record = handle.read(_EOCD64.size)
        if len(record) < _EOCD64.size or record[:4] != b"PK\x06\x06":
            raise ArchiveError(f"{path}: the zip64 end record is damaged; the archive is not whole")
        fields = _EOCD64.unpack(record)
        count, cd_size, cd_offset = fields[7], fields[8], fields[9]
    if cd_offset + cd_size > size:
        raise ArchiveError(f"{path}: the central directory points past the end of the file; the archive is not "
                           f"whole")
    return count, cd_size, cd_offset


def _zip64_sizes(extra: bytes, uncompressed: int, compressed: int, offset: int) -> tuple[int, int]:
    """The 64-bit compressed size and offset of the zip64 extra field (0x0001), in the order zip writes them."""
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, at)
        if tag == 1:
            values = list(struct.unpack_from(f"<{length // 8}Q", extra, at + 4))
            if uncompressed == _MAX32 and values:
                values.pop(0)
            if compressed == _MAX32 and values:
                compressed = values.pop(0)
            if offset == _MAX32 and values:
                offset = values.pop(0)
            break
        at += 4 + length
    return compressed, offset


def _read(data: BinaryIO, entry: _Entry, path: Path) -> bytes:
    data.seek(entry.offset)
    head = data.read(_LOCAL.size)
    if len(head) < _LOCAL.size or head[:4] != b"PK\x03\x04":
        raise ArchiveError(f"{path}: entry {entry.name} is damaged (no local header); the archive is not whole")
    fields = _LOCAL.unpack(head)
    data.seek(fields[9] + fields[10], 1)
    raw = data.read(entry.compressed)
    try:
        if entry.method == 8:
            content = zlib.decompress(raw, -15)
        elif entry.method == 0:
            content = raw
        else:
            raise ArchiveError(f"{path}: entry {entry.name} uses compression method {entry.method}, which CT.gov's "
                               f"archive does not")
    except zlib.error as exc:
        raise ArchiveError(f"{path}: entry {entry.name} cannot be inflated ({exc}); the archive is damaged") from None
    if zlib.crc32(content) != entry.crc:
        raise ArchiveError(f"{path}: entry {entry.name} fails its CRC-32 check; the archive is damaged")
    return content
