"""`tracker scan` over real loopback HTTP: the stand-in serves the bulk archive in CT.gov's layout.

The registry holds synthetic landscape trials, background trials no scope should keep, and four trials
written so that the scope's searches miss them: a class-only name ("PD-1 blocking antibody"), a
joined spelling the NK searches do not ask for ("NKcells"), a code spelled apart in a way no scope query
asks for ("BGB A-317", tislelizumab), and an agent named only in the brief summary. The scan must find
them, mark them found by the scan alone, and leave the landscape a refresh fetching the same trials by
id would build; a truncated archive must fail cleanly with the published data intact.
"""

from __future__ import annotations

import hashlib
import math
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.standin import Faults, FaultyStandIn, Registry, synthetic_studies
from tests.standin.background import iter_background_studies
from tests.standin.bulk import write_archive
from tracker import api, archive, db
from tracker import scan as registry_scan
from tracker.config import Settings
from tracker.errors import ArchiveError
from tracker.scope import id_queries

MISSED = {
    "NCT98000001": ("PD-1 blocking antibody", None, True),
    "NCT98000002": ("Haploidentical NKcells", None, True),
    "NCT98000003": ("BGB A-317", None, True),
    "NCT98000004": ("Investigational antibody", "This study tests pembrolizumab given every three weeks "
                    "with chemotherapy in advanced melanoma.", False),
}


def _missed_trials() -> list[dict[str, Any]]:
    studies = []
    for (nct_id, (name, summary, _)), template in zip(MISSED.items(), iter_background_studies(len(MISSED), seed=7),
                                                     strict=True):
        protocol = template["protocolSection"]
        protocol["identificationModule"].update(nctId=nct_id, briefTitle="An open-label study in advanced melanoma")
        protocol["conditionsModule"] = {"conditions": ["Melanoma"]}
        protocol["descriptionModule"] = {"briefSummary": summary or "An open-label study in advanced melanoma."}
        protocol["armsInterventionsModule"] = {
            "armGroups": [{"label": "Treatment", "type": "EXPERIMENTAL", "interventionNames": [f"Biological: {name}"]}],
            "interventions": [{"type": "BIOLOGICAL", "name": name, "armGroupLabels": ["Treatment"]}],
        }
        studies.append(template)
    return studies


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(synthetic_studies(150) + list(iter_background_studies(600)) + _missed_trials())


@pytest.fixture
def standin(registry: Registry) -> Iterator[FaultyStandIn]:
    with FaultyStandIn(registry) as server:
        yield server


def _settings(path: Path, standin: FaultyStandIn) -> Settings:
    return Settings(db_path=path / "tracker.duckdb", ctgov_url=standin.url, max_rpm=0, backoff=0.01)


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in db.read_frame(path, sql).rows()]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_scan_finds_what_search_misses_and_keeps_the_landscape_of_a_fetch_by_id(
        standin: FaultyStandIn, tmp_path: Path) -> None:
    settings = _settings(tmp_path / "a", standin)
    assert api.run_refresh(settings, full=True).status == "succeeded"
    held = {r[0] for r in _rows(settings.db_path, "select nct_id from trials")}
    assert not held & set(MISSED), "the searches must miss the trials written to be missed"

    result = api.scan(settings)
    assert result.status == "succeeded", result.error
    found = dict(_rows(settings.db_path, "select nct_id, found_by from trial_found_by"))
    assert {nct: found.get(nct) for nct in MISSED} == dict.fromkeys(MISSED, "scan")
    assert {nct for nct, how in found.items() if how == "search+scan"} <= held
    assert not any(nct.startswith("NCT95") for nct in found), "background trials must be counted, not stored"
    only = {r[0]: r[1:] for r in _rows(settings.db_path, "select nct_id, in_landscape, reason, matched_field, "
                                                         "matched_term from scan_only_trials")}
    assert set(only) == set(MISSED) and len(_rows(settings.db_path, "select * from scan_only_trials")) == len(MISSED)
    assert {nct: row[0] for nct, row in only.items()} == {nct: m[2] for nct, m in MISSED.items()}
    assert only["NCT98000004"][1:] == ("scope term", "summary", "pembrolizumab")
    assert only["NCT98000003"][1] == "landscape" and only["NCT98000003"][3] == "tislelizumab"
    scans = _rows(settings.db_path, "select status, entries, studies_read, studies_added, scan_only, total_studies "
                                    "from registry_scans")
    assert scans == [("succeeded", len(standin.registry), len(standin.registry), len(MISSED), len(MISSED),
                      len(standin.registry))]
    assert _rows(settings.db_path, "select mode from refresh_runs order by run_id") == [("full",), ("scan",)]

    # the same trials fetched by id, through a refresh: the same landscape
    ids = sorted(found)
    by_id = _settings(tmp_path / "b", standin)
    assert api.run_refresh(by_id, full=True, scope=id_queries("every trial the scan left", ids)).status == "succeeded"
    landscape = "select * exclude (nct_ids), list_sort(nct_ids) from landscape order by all"
    assert _rows(settings.db_path, landscape) == _rows(by_id.db_path, landscape)
    members = "select nct_id, in_landscape, agents from trials order by nct_id"
    assert _rows(settings.db_path, members) == _rows(by_id.db_path, members)

    # a full refresh afterwards asks for the scan's finds by id: they stay in scope and found by the scan
    assert api.run_refresh(settings, full=True).status == "succeeded"
    kept = _rows(settings.db_path, "select f.nct_id, f.found_by, t.is_in_scope from trial_found_by f join trials t "
                                   "using (nct_id) where f.nct_id like 'NCT98%' order by 1")
    assert kept == [(nct, "scan", True) for nct in MISSED]


def test_a_truncated_archive_fails_cleanly_and_changes_nothing(standin: FaultyStandIn, tmp_path: Path) -> None:
    settings = _settings(tmp_path, standin)
    assert api.run_refresh(settings, full=True).status == "succeeded"
    before = _digest(settings.db_path)
    standin.faults = Faults(script=["ok", "truncate_archive"])  # /version, then the download
    with pytest.raises(ArchiveError) as failure:
        api.scan(settings)
    assert "not a whole zip archive" in str(failure.value) and "\n" not in str(failure.value)
    assert _digest(settings.db_path) == before
    assert not settings.db_path.with_name("tracker.work.duckdb").exists()


def test_a_dropped_download_resumes_with_range_and_a_server_ignoring_range_restarts(
        standin: FaultyStandIn, tmp_path: Path) -> None:
    settings = _settings(tmp_path / "a", standin)
    standin.faults = Faults(script=["ok", "cut_archive"])
    assert api.scan(settings).status == "succeeded"
    downloads = [r["status"] for r in standin.request_log() if r["path"].endswith("/studies/download")]
    assert downloads == [200, 206]

    standin.clear_log()
    standin.faults = Faults(script=["ok", "cut_archive"], honour_range=False)
    restarted = _settings(tmp_path / "b", standin)
    result = api.scan(restarted)
    assert result.status == "succeeded" and result.studies_read == len(standin.registry)
    assert [r["status"] for r in standin.request_log() if r["path"].endswith("/studies/download")] == [200, 200]


def test_an_archive_short_of_the_registry_size_is_refused(standin: FaultyStandIn, tmp_path: Path) -> None:
    settings = _settings(tmp_path, standin)
    standin.stats_size_delta = 5000
    with pytest.raises(ArchiveError, match="postings during the download explain"):
        api.scan(settings)
    assert not settings.db_path.exists()


def test_the_scan_reads_the_archive_a_chunk_at_a_time(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "ctg-studies.json.zip"
    from tests.standin.bulk import registry_entries

    count = write_archive(registry_entries(registry), path)
    settings = Settings(db_path=tmp_path / "tracker.duckdb", max_rpm=0)
    result = registry_scan.run_scan(settings, api.scope_for(settings), archive_file=path, chunk_size=100)
    assert result.status == "succeeded", result.error
    assert result.chunks == math.ceil(count / 100) and result.studies_read == count
    assert "not reconciled" in (result.note or "")
    assert all(len(chunk) <= 100 for chunk in archive.chunks(path, 100))


def test_the_directory_reader_agrees_with_zipfile_and_holds_no_index(tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    # more than 65,535 entries: the end record is zip64, as in CT.gov's archive
    write_archive(((f"NCT9{i:07d}", b'{"a": %d}' % i) for i in range(66_000)), path)
    tracemalloc.start()
    info = archive.verify(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (info.entries, info.studies, info.misfiled) == (66_000, 66_000, 0)
    assert peak < 16 * 2**20, f"verify held {peak / 2**20:.0f} MiB"
    with zipfile.ZipFile(path) as reference:
        expected = [(i.filename, reference.read(i)) for i in reference.infolist()[:300]]
    assert next(archive.chunks(path, 300)) == expected


@pytest.mark.parametrize("cut", [0.999, 0.5, 0.01])
def test_a_cut_or_damaged_archive_is_refused(tmp_path: Path, cut: float) -> None:
    whole = tmp_path / "whole.zip"
    write_archive(((f"NCT9{i:07d}", b'{"n": "%d"}' % i * 50) for i in range(500)), whole)
    data = whole.read_bytes()
    cut_file = tmp_path / "cut.zip"
    cut_file.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(ArchiveError, match="not (a )?whole"):
        archive.verify(cut_file)
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(whole) as reference:
        entry = reference.infolist()[200]
    # a byte of an entry's compressed data, past its local header (30 bytes, name, no extra field)
    at = entry.header_offset + 30 + len(entry.filename) + 2
    damaged.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:])
    archive.verify(damaged)  # the directory is whole: the damage shows when the entry is read
    with pytest.raises(ArchiveError, match="CRC-32|cannot be inflated|damaged"):
        for _ in archive.chunks(damaged):
            pass


def test_the_command_names_a_bad_archive_in_one_line(tmp_path: Path) -> None:
    from tests.clirun import assert_one_line_error, run_cli

    env = {"TRACKER_DB": str(tmp_path / "tracker.duckdb")}
    assert_one_line_error(run_cli(["scan", "--archive", str(tmp_path / "missing.zip")], env), "no such file")
    cut = tmp_path / "cut.zip"
    write_archive(((f"NCT9{i:07d}", b"{}") for i in range(50)), cut)
    cut.write_bytes(cut.read_bytes()[:-30])
    assert_one_line_error(run_cli(["scan", "--archive", str(cut)], env), "not a whole zip archive")
    assert not (tmp_path / "tracker.duckdb").exists()
