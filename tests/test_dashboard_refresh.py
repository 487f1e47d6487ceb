"""A running dashboard sees every refresh on its next rerun, and never half of one (issue 9, finding 2).

Built the way the staleness was found: refreshes against the CT.gov stand-in over real loopback HTTP
while the dashboard keeps running — in this process through AppTest (Streamlit's caches and the
shared readers live here, as in a real server), and as a real `tracker dashboard` process driven by
headless Chromium. Plus the pieces: the cache key of a published file, and readers let go while a
query still runs.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psutil
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.readers import ReaderPool, Source
from tests.clirun import ROOT, run_cli
from tests.standin.corpus import synthetic_studies
from tests.standin.faults import Faults
from tests.standin.server import FaultyStandIn
from tests.test_browser import CHROMIUM, LAUNCH_ARGS, free_port, require_browser
from tracker import api, db
from tracker.config import Settings
from tracker.demo.registry import Registry
from tracker.errors import DatabaseError

APP = str(ROOT / "dashboards" / "streamlit_app.py")
PAGES = ["landscape", "agents", "trials", "trial", "timeline", "geography", "data"]


@dataclass(frozen=True)
class Published:
    """What the published file says, read the way a user's own client would."""

    data_as_of: str
    landscape_trials: int
    runs: int
    versions: int
    title: str


def published(path: Path, nct_id: str) -> Published:
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{path}' as t (read_only)")
        con.execute("use t")
        row = con.execute("""
            select (select max(data_timestamp) from refresh_runs where status in ('succeeded', 'skipped')),
                   (select count(*) from trials where in_landscape), (select count(*) from refresh_runs),
                   (select count(*) from trial_versions where nct_id = $1),
                   (select brief_title from trials where nct_id = $1)""", [nct_id]).fetchall()[0]
    finally:
        con.close()
    return Published(str(row[0]).replace("T", " "), *row[1:])


class Landscape:
    """The stand-in's registry and the changes a day on CT.gov brings: new trials, one trial updated."""

    def __init__(self, standin: FaultyStandIn, watched: str) -> None:
        self.standin = standin
        self.watched = watched
        self.day = 0

    def next_day(self, new_trials: int = 12) -> None:
        self.day += 1
        registry = self.standin.registry
        registry.advance(1)
        for study in synthetic_studies(new_trials, seed=100 + self.day, start_id=96_000_000 + 1_000 * self.day):
            registry.add(study)

        def retitle(study: dict[str, Any]) -> None:
            study["protocolSection"]["identificationModule"]["briefTitle"] = f"Watched trial, day {self.day}"

        registry.update(self.watched, retitle)


@pytest.fixture
def standin() -> Iterator[FaultyStandIn]:
    with FaultyStandIn(Registry(synthetic_studies(250, seed=31))) as server:
        yield server


def first_landscape_trial(path: Path) -> str:
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{path}' as t (read_only)")
        return str(con.execute("select min(nct_id) from t.trials where in_landscape").fetchall()[0][0])
    finally:
        con.close()


def open_page(page: str, nct_id: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    if page == "trial":
        at.query_params["nct"] = nct_id
    at.run()
    if page != "landscape":
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    return at


def assert_page_shows(at: AppTest, page: str, expected: Published) -> None:
    assert not at.exception, [e.value for e in at.exception]
    # captions are Markdown source: dashboards.ui.literal escapes the punctuation a date carries
    captions = [re.sub(r"\\(.)", r"\1", c.value) for c in at.caption]
    assert any(f"data as of {expected.data_as_of}" in c for c in captions), (page, captions)
    if page == "landscape":
        trials = next(m for m in at.metric if m.label == "Trials")
        assert trials.value == f"{expected.landscape_trials:,}", page
    elif page == "trials":
        assert any(c.startswith(f"{expected.landscape_trials:,} trials") for c in captions), captions
    elif page == "data":
        assert len(at.dataframe[0].value) == expected.runs, page  # the first table is the runs
    elif page == "trial":
        assert f"Stored versions ({expected.versions})" in [s.value for s in at.subheader]
        assert expected.title in [t.value for t in at.text]


@pytest.mark.slow
def test_every_page_shows_each_refresh_on_its_next_rerun(tmp_path: Path, standin: FaultyStandIn,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(db_path=tmp_path / "tracker.duckdb", ctgov_url=standin.url, max_rpm=0)
    assert api.run_refresh(settings, full=True).status == "succeeded"
    watched = first_landscape_trial(settings.db_path)
    landscape = Landscape(standin, watched)
    monkeypatch.setenv("TRACKER_DB", str(settings.db_path))
    pages = {page: open_page(page, watched) for page in PAGES}
    seen: list[Published] = []
    for _ in range(3):
        if seen:
            landscape.next_day()
            assert api.run_refresh(settings).status == "succeeded"
        expected = published(settings.db_path, watched)
        for page, at in pages.items():
            at.run()  # the same session's next rerun: no restart, no new session
            assert_page_shows(at, page, expected)
        seen.append(expected)
    # each refresh changed what every check looks at, so a stale page could not have passed
    for before, after in zip(seen, seen[1:], strict=False):
        assert before.data_as_of != after.data_as_of and before.runs < after.runs
        assert before.landscape_trials < after.landscape_trials and before.versions < after.versions


@pytest.mark.slow
def test_a_refresh_in_progress_is_never_shown(tmp_path: Path, standin: FaultyStandIn,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """While a refresh commits pages into its working copy, every rerun shows the last published data."""
    settings = Settings(db_path=tmp_path / "tracker.duckdb", ctgov_url=standin.url, max_rpm=0)
    assert api.run_refresh(settings, full=True).status == "succeeded"
    watched = first_landscape_trial(settings.db_path)
    before = published(settings.db_path, watched)
    monkeypatch.setenv("TRACKER_DB", str(settings.db_path))
    pages = {page: open_page(page, watched) for page in ("landscape", "trials", "data")}
    Landscape(standin, watched).next_day(new_trials=40)
    standin.faults = Faults(delay_s=0.25)
    standin.clear_log()
    outcome: list[Any] = []
    worker = threading.Thread(target=lambda: outcome.append(api.run_refresh(settings, full=True)))
    worker.start()
    first = Source.of(settings.db_path)
    try:
        reruns = 0
        while worker.is_alive():
            if len([r for r in standin.requests if r["path"].endswith("/studies")]) >= 2:
                for page, at in pages.items():
                    at.run()
                    # the run ends with its publish: only a rerun that began and ended before it counts
                    if worker.is_alive() and Source.of(settings.db_path) == first:
                        assert_page_shows(at, page, before)
                        reruns += 1
            time.sleep(0.2)
    finally:
        worker.join()
        standin.faults = Faults()
    assert reruns >= 3, "the refresh ended before the dashboard could look at it"
    assert outcome[0].status == "succeeded"
    after = published(settings.db_path, watched)
    assert after.runs == before.runs + 1
    for page, at in pages.items():
        at.run()
        assert_page_shows(at, page, after)


# ------------------------------------------------------------------------------------- the pieces


def make_database(path: Path, rows: int) -> None:
    con = db.connect(path)
    try:
        con.execute(f"create or replace table numbers as select range as n from range({rows})")
        # the marker that makes it a tracker database: readers refuse any other (issue 9, finding 5)
        con.execute("create schema if not exists meta")
        con.execute("create or replace table meta.state as select 'schema' as key, ? as value", [db.SCHEMA_MARKER])
        db.checkpoint(con)
    finally:
        con.close()


def publish_copy(source: Path, target: Path) -> None:
    """What tracker/publish.py does: a copy renamed over the published file."""
    tmp = target.with_name(".publishing.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def test_a_new_file_is_a_new_source_even_with_the_same_size_and_times(tmp_path: Path) -> None:
    published_path, other = tmp_path / "tracker.duckdb", tmp_path / "other.duckdb"
    make_database(published_path, 10)
    make_database(other, 11)
    old = os.stat(published_path)
    assert os.stat(other).st_size == old.st_size, "the two files must not differ by size"
    first = Source.of(published_path)
    shutil.copyfile(other, tmp_path / "next.tmp")
    os.utime(tmp_path / "next.tmp", ns=(old.st_atime_ns, old.st_mtime_ns))
    os.replace(tmp_path / "next.tmp", published_path)
    second = Source.of(published_path)
    assert first is not None and second is not None
    assert (first.mtime_ns, first.size) == (second.mtime_ns, second.size)
    assert first != second
    assert ReaderPool().get(second).frame("select count(*) as n from numbers")["n"][0] == 11


def test_letting_a_reader_go_waits_for_the_query_it_is_running(tmp_path: Path) -> None:
    path = tmp_path / "tracker.duckdb"
    make_database(path, 10)
    reader = db.Reader(path)
    results: list[Any] = []
    # ~1.1 s on 2 idle cores, checked after 0.05 s: 100,000,000 rows took 0.28 s, and once ended before a
    # 0.3 s check
    slow = "select count(*) as n, sum(hash(range)) as h from range(400000000)"
    worker = threading.Thread(target=lambda: results.append(reader.frame(slow)["n"][0]))
    worker.start()
    time.sleep(0.05)
    assert worker.is_alive(), "the query should still be running"
    reader.close()
    assert not reader.closed, "closed under a running query"
    worker.join()
    assert results == [400_000_000]
    assert reader.closed


def test_a_rerun_started_before_two_publishes_still_reads_its_file(tmp_path: Path) -> None:
    path, work = tmp_path / "tracker.duckdb", tmp_path / "work.duckdb"
    pool, idle = ReaderPool(keep=2, grace=60.0), ReaderPool(keep=2, grace=0.0)
    sources, idle_readers = [], []
    for rows in (1, 2, 3):
        make_database(work, rows)
        publish_copy(work, path)
        source = Source.of(path)
        assert source is not None
        sources.append(source)
        assert pool.get(source).frame("select count(*) as n from numbers")["n"][0] == rows
        idle_readers.append(idle.get(source))
    # the first file is neither of the newest two, but was read less than `grace` ago
    assert pool.get(sources[0]).frame("select count(*) as n from numbers")["n"][0] == 1
    assert [r.closed for r in idle_readers] == [True, False, False] and len(idle) == 2
    with pytest.raises(DatabaseError, match="reload the page"):
        idle.get(sources[0])  # its file is gone: opening the path would read a newer one under its key


# ------------------------------------------------------------------------------------- a real browser


def refresh_cli(env: dict[str, str]) -> None:
    result = run_cli(["refresh"], env, timeout=240)
    assert result.returncode == 0, result.describe()


def stop_dashboard(process: subprocess.Popen[str]) -> None:
    children = psutil.Process(process.pid).children(recursive=True) if process.poll() is None else []
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
    for child in children:  # the Streamlit server this test started, should SIGINT not have stopped it
        if child.is_running():
            child.kill()


@pytest.mark.browser
@pytest.mark.slow
def test_a_running_dashboard_shows_each_refresh_in_chromium(tmp_path: Path, standin: FaultyStandIn) -> None:
    require_browser()
    from playwright.sync_api import sync_playwright

    db_path = tmp_path / "tracker.duckdb"
    port = free_port()
    env = {"TRACKER_DB": str(db_path), "TRACKER_CTGOV_URL": standin.url, "TRACKER_MAX_RPM": "0",
           "TRACKER_PORT": str(port), "TRACKER_LOG_LEVEL": "WARNING"}
    refresh_cli(env)
    watched = first_landscape_trial(db_path)
    landscape = Landscape(standin, watched)
    base = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    process = subprocess.Popen([sys.executable, "-m", "tracker", "dashboard"], env={**base, **env}, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_health(url, process)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url, wait_until="domcontentloaded")
            seen = []
            for round_ in range(3):
                if round_:
                    landscape.next_day()
                    refresh_cli(env)
                expected = published(db_path, watched)
                check_every_page(page, url, expected, watched)
                seen.append(expected)
            browser.close()
        assert errors == []
        assert len({s.data_as_of for s in seen}) == 3 and len({s.landscape_trials for s in seen}) == 3
    finally:
        stop_dashboard(process)


def wait_for_health(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, "the dashboard never answered"
        time.sleep(0.5)


NAV_TITLES = {"landscape": "Landscape", "agents": "Agents", "trials": "Trials", "timeline": "Timeline",
              "geography": "Geography", "data": "Data"}


def check_every_page(page: Any, url: str, expected: Published, watched: str) -> None:
    """Every page through the sidebar (reruns of one browser session), the trial page by its link."""
    caption = f"data as of {expected.data_as_of}"
    for name, title in NAV_TITLES.items():
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
        page.get_by_text(caption).first.wait_for(timeout=60_000)
        if name == "landscape":
            metric = page.locator('[data-testid="stMetric"]').filter(has_text="Trials").first
            metric.get_by_text(f"{expected.landscape_trials:,}", exact=True).wait_for(timeout=30_000)
        if name == "trials":
            page.get_by_text(f"{expected.landscape_trials:,} trials ·").first.wait_for(timeout=30_000)
        assert page.locator('[data-testid="stException"]').count() == 0, name
    page.goto(f"{url}trial?nct={watched}", wait_until="domcontentloaded")
    page.get_by_text(caption).first.wait_for(timeout=60_000)
    page.get_by_text(f"Stored versions ({expected.versions})").first.wait_for(timeout=30_000)
    page.get_by_text(expected.title, exact=True).first.wait_for(timeout=30_000)
