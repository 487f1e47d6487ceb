"""The registry scan (`tracker scan`): CT.gov's whole bulk archive sieved for the trials search alone misses.

    download   /studies/download?format=json.zip streamed to a file beside the database, resumable
               (ctgov/download.py); or an archive already on disk (--archive)
    verify     a whole zip (central directory), its study entries counted and reconciled with
               /stats/size (archive.py) — before anything is written
    sieve      each chunk of entries decoded for its texts and matched (sieve.py); only the studies
               something matched go through the classifier; the rest are counted, not stored
    load       the kept studies stored as if a refresh had fetched them: raw versions with the source
               'scan', normalized rows (loading.py), then classify, detect changes and the marts

The stages after download run as a run of kind 'scan' under refresh.run_refresh's lock, working copy,
run bookkeeping and publish, so a failed or killed scan leaves the published data as they were. Memory
stays flat: a chunk of entries is read while the one before it is sieved, and kept studies are loaded
in batches like a refresh's pages.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from tracker import archive, checks, db, files, ingest, loading, recovery, refresh, runs, scans, schema
from tracker.classify import Classifier
from tracker.config import Settings
from tracker.ctgov import CtGov
from tracker.ctgov.bodies import scan_study
from tracker.ctgov.download import download_archive
from tracker.errors import ArchiveError, Cancelled, CtGovError
from tracker.landscape import Domain
from tracker.reporting import Reporter
from tracker.scope import ScopeQuery
from tracker.sieve import EVIDENCE_SCHEMA, Sieve, chunk_texts, scope_terms

if TYPE_CHECKING:
    import threading

    import httpx

log = logging.getLogger(__name__)

ARCHIVE_NAME = "ctg-studies.json.zip"
# CT.gov posts a few hundred studies a day: an archive and a /stats/size read apart may differ by that much
COUNT_SLACK = 100
COUNT_SHARE = 0.005


@dataclass
class ScanResult:
    """What one scan read, kept and added; `status` and `error` as a refresh's."""

    run_id: int
    status: str
    archive: Path
    archive_bytes: int
    downloaded: bool
    entries: int
    total_studies: int | None = None
    data_timestamp: str | None = None
    studies_read: int = 0
    unreadable: list[str] = field(default_factory=list)
    candidates: int = 0
    kept: int = 0
    added: int = 0
    in_landscape: int = 0
    scan_only: int = 0
    chunks: int = 0
    seconds: float = 0.0
    note: str | None = None
    error: str | None = None

    def summary(self) -> str:
        if self.status == "failed":
            return f"scan {self.run_id} failed, previous data kept: {self.error}"
        rate = self.studies_read / self.seconds if self.seconds else 0.0
        return (f"scan {self.run_id}: {self.studies_read:,} studies read from {self.archive.name} in "
                f"{self.seconds:.0f} s ({rate:,.0f}/s); {self.candidates:,} candidates, {self.kept:,} kept "
                f"({self.in_landscape:,} in the landscape), {self.added:,} new, {self.scan_only:,} found by the "
                f"scan alone (see scan_only_trials)" + (f"; {self.note}" if self.note else ""))


@dataclass
class _Scan:
    """The scan as its pipeline sees it: the archive, the sieve, and the result it fills in."""

    info: archive.ArchiveInfo
    sieve: Sieve
    result: ScanResult
    chunk_size: int
    evidence: list[pl.DataFrame] = field(default_factory=list)
    batches: int = 0
    started: float = field(default_factory=time.perf_counter)


def archive_path(settings: Settings) -> Path:
    """Where a downloaded archive is kept: beside the database."""
    return recovery.resolved(settings).db_path.parent / ARCHIVE_NAME


def run_scan(settings: Settings, scope: Sequence[ScopeQuery], *, archive_file: Path | None = None,
             transport: httpx.BaseTransport | None = None, reporter: Reporter | None = None,
             cancel: threading.Event | None = None, now: Callable[[], datetime] = lambda: datetime.now(UTC),
             chunk_size: int = archive.CHUNK, trigger: str = "cli") -> ScanResult:
    """Scan the registry's bulk archive (downloaded unless `archive_file` is given) and publish what it keeps."""
    result = _obtain(settings, archive_file, transport, cancel)
    info = archive.verify(result.archive)
    result.entries, result.archive_bytes = info.studies, info.bytes
    result.note = _reconcile(info, result.total_studies, downloaded=result.downloaded)
    domain = Domain.load(settings.catalogue_file)
    scan = _Scan(info, Sieve(Classifier(domain.catalogue, domain.rules), scope_terms(scope)), result, chunk_size)
    run = refresh.run_refresh(settings, scope, trigger=trigger, transport=transport, reporter=reporter,
                              cancel=cancel, now=now, pipeline=partial(_pipeline, scan=scan), mode="scan")
    result.run_id, result.status, result.error = run.run_id, run.status, run.error
    return result


def _obtain(settings: Settings, archive_file: Path | None, transport: httpx.BaseTransport | None,
            cancel: threading.Event | None) -> ScanResult:
    """The archive to scan: the one given, else CT.gov's, downloaded beside the database."""
    if archive_file is not None:
        if not archive_file.is_file():
            raise ArchiveError(f"--archive {archive_file}: no such file")
        return ScanResult(0, "running", archive_file, 0, downloaded=False, entries=0)
    dest = archive_path(settings)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        return _download(settings, dest, transport, cancel)
    except OSError as exc:
        raise files.write_error(exc, exc.filename or dest, doing="download the archive to") from None


def _download(settings: Settings, dest: Path, transport: httpx.BaseTransport | None,
              cancel: threading.Event | None) -> ScanResult:
    with CtGov(settings, transport=transport, cancel=cancel) as client:
        version = client.fetch_version()
        log.info("downloading CT.gov's bulk archive (data of %s) to %s", version.data_timestamp, dest)
        downloaded = download_archive(client, dest, validator=version.data_timestamp)
        try:
            total: int | None = client.fetch_total_studies()
        except CtGovError as exc:
            log.warning("cannot read the registry's size from /stats/size (%s); the entry count is not reconciled",
                        exc)
            total = None
    log.info("downloaded %s bytes in %d request(s)", f"{downloaded.bytes:,}", downloaded.requests)
    return ScanResult(0, "running", dest, downloaded.bytes, downloaded=True, entries=0, total_studies=total,
                      data_timestamp=version.data_timestamp)


def _reconcile(info: archive.ArchiveInfo, total: int | None, *, downloaded: bool) -> str | None:
    """The archive's study entries against /stats/size; an ArchiveError when they differ by more than postings
    during the download explain."""
    notes = [f"{info.misfiled:,} entries in a folder other than their NCT number's"] if info.misfiled else []
    if info.others:
        notes.append(f"{info.entries - info.studies:,} entries that are no study (e.g. {info.others[0]})")
    if total is None:
        notes.append("entry count not reconciled: " + ("CT.gov's /stats/size could not be read" if downloaded
                                                       else "an archive given with --archive"))
        return "; ".join(notes)
    slack = max(COUNT_SLACK, round(total * COUNT_SHARE))
    if abs(info.studies - total) > slack:
        raise ArchiveError(f"the archive {info.path} holds {info.studies:,} study entries but CT.gov counts "
                           f"{total:,} studies (/stats/size), more apart than the {slack:,} that postings during "
                           f"the download explain: the archive is incomplete; nothing was stored from it")
    notes.append(f"{info.studies:,} entries against {total:,} studies on /stats/size")
    return "; ".join(notes)


def _pipeline(con: db.Connection, client: CtGov, run: refresh.Run, *, scan: _Scan) -> None:
    """The scan's stages on the working database: sieve and load chunk by chunk, then label and finish."""
    loading.begin(con)
    with db.transaction(con):
        scans.record_start(con, run.result.run_id, run.result.started_at or run.now(), scan.result)
    pending: list[bytes] = []
    for entries in archive.prefetched(archive.chunks(scan.info.path, scan.chunk_size)):
        if client.cancel is not None and client.cancel.is_set():
            raise Cancelled("scan cancelled by shutdown; nothing it stored was kept")
        pending += _sift(scan, entries)
        if len(pending) >= ingest.LOAD_BATCH:
            _load(con, run, scan, pending)
            pending = []
        log.info("scan: %s of %s entries read, %s kept", f"{scan.result.studies_read:,}", f"{scan.info.studies:,}",
                 f"{scan.result.kept:,}")
    if pending:
        _load(con, run, scan, pending)
    with db.transaction(con):
        evidence = pl.concat(scan.evidence) if scan.evidence else pl.DataFrame(schema=EVIDENCE_SCHEMA)
        scans.record_finds(con, run.result.run_id, evidence)
        counts = runs.run_counts(con)
        changed = frozenset(r[0] for r in con.execute(
            "select nct_id from run_seen where outcome <> 'unchanged'").fetchall())
        refresh.classify(con, run, changed)
        refresh.detect_changes(con, run)
        schema.build_marts(con)
        _finish(con, client, run, scan, counts)


def _sift(scan: _Scan, entries: list[tuple[str, bytes]]) -> list[bytes]:
    """The kept studies' JSON of one chunk; their evidence goes to scan.evidence."""
    decoded, raw_of = [], {}
    for name, raw in entries:
        study = scan_study(raw)
        if study is None:
            scan.result.unreadable.append(name)
            continue
        nct_id = name[3:-5]
        decoded.append((nct_id, study))
        raw_of[nct_id] = raw
    sifted = scan.sieve.sift(chunk_texts(decoded))
    result = scan.result
    result.chunks += 1
    result.studies_read += len(entries)
    result.candidates += sifted.candidates
    result.kept += sifted.kept.height
    scan.evidence.append(sifted.kept)
    return [raw_of[nct_id] for nct_id in sifted.kept["nct_id"].to_list()]


def _load(con: db.Connection, run: refresh.Run, scan: _Scan, studies: list[bytes]) -> None:
    """Store kept studies as a refresh stores a batch of pages, with the source 'scan'."""
    scan.batches += 1
    url = str(scan.info.path)
    keys = checks.check_records(studies, label="registry scan", page=scan.batches, url=url)
    batch = loading.Batch(scans.SCAN_KEY, loading.page_frame(studies, url, keys), url)
    with db.transaction(con), loading.incoming(con, batch) as frame:
        loaded = loading.load_raw_versions(con, frame, run_id=run.result.run_id, query_key=scans.SCAN_KEY,
                                           now=run.now())
        loading.normalize(con, loaded)
    run.result.dirty = True


def _finish(con: db.Connection, client: CtGov, run: refresh.Run, scan: _Scan, counts: runs.RunCounts) -> None:
    result = scan.result
    result.added = counts.new
    result.seconds = time.perf_counter() - scan.started
    result.in_landscape, result.scan_only = scans.landscape_counts(con, run.result.run_id)
    if result.unreadable:
        shown = ", ".join(result.unreadable[:5])
        unreadable = f"{len(result.unreadable):,} entries whose JSON could not be read ({shown})"
        log.warning("scan: %s", unreadable)
        result.note = "; ".join(filter(None, [result.note, unreadable]))
    scans.record_finish(con, run.result.run_id, run.now(), result)
    run.result.status = "succeeded"
    run.result.requests = client.requests
    run.result.studies_fetched, run.result.studies_new = counts.fetched, counts.new
    run.result.studies_changed, run.result.studies_unchanged = counts.changed, counts.unchanged
    runs.finish_run(con, run.result.run_id, status="succeeded", now=run.now(), values={
        "requests": client.requests, "rows_received": result.kept, "studies_fetched": counts.fetched,
        "studies_new": counts.new, "studies_changed": counts.changed, "studies_unchanged": counts.unchanged,
        "studies_reentered_scope": counts.reentered,
    })
