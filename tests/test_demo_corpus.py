"""The offline demo corpus: the shipped file is what the generator makes, and through the real pipeline the
generator's own labels are an independent check."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from tests.standin.corpus import demo_labels, generate_demo
from tracker import api
from tracker.config import Settings
from tracker.demo.corpus import DEMO_FILE, demo_registry, encode_demo, load_demo
from tracker.demo.registry import ENCODER
from tracker.demo.standin import StandIn


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with StandIn(demo_registry()) as standin:
        settings = Settings(db_path=tmp_path_factory.mktemp("demo") / "tracker.duckdb", ctgov_url=standin.url,
                            max_rpm=0)
        result = api.run_refresh(settings, full=True, trigger="demo")
        assert result.status == "succeeded", result.error
    return settings.db_path


def test_the_shipped_corpus_is_what_the_generator_makes() -> None:
    generated, shipped = generate_demo(), load_demo()
    # study by study first, so a difference names the trial
    assert [s["protocolSection"]["identificationModule"]["nctId"] for s in shipped.studies] == \
        [s["protocolSection"]["identificationModule"]["nctId"] for s in generated.studies]
    for ours, theirs in zip(shipped.studies, generated.studies, strict=True):
        assert ENCODER.encode(ours) == ENCODER.encode(theirs), "regenerate: python -m tests.standin.make_demo"
    assert shipped.landscape_trials == generated.landscape_trials
    # gzip's output may differ between zlib builds, so the bytes are compared decompressed
    assert gzip.decompress(DEMO_FILE.read_bytes()) == gzip.decompress(encode_demo(generated))


def pairs(db_path: Path, query: str) -> set[tuple[str, ...]]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {tuple(row) for row in con.execute(query).fetchall()}


def precision_recall(expected: set[tuple[str, ...]], found: set[tuple[str, ...]]) -> tuple[float, float]:
    hits = len(expected & found)
    return hits / max(len(found), 1), hits / max(len(expected), 1)


def test_mechanisms_match_the_generator_labels(demo_db: Path) -> None:
    labels = demo_labels()
    stored = {r[0] for r in pairs(demo_db, "select nct_id from trials")}
    expected = {(nct, m[0], m[1]) for nct, label in labels.items() if nct in stored for m in label["mechanisms"]}
    found = pairs(demo_db, "select nct_id, mechanism_class, target from trial_mechanisms")
    precision, recall = precision_recall(expected, found)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall, sorted(found ^ expected)[:10])


def test_traps_stay_out_of_the_landscape(demo_db: Path) -> None:
    labels = demo_labels()
    in_landscape = {r[0] for r in pairs(demo_db, "select nct_id from trials where in_landscape")}
    traps = {nct for nct, label in labels.items() if label["is_trap"] and not label["mechanisms"]}
    assert traps, "the demo corpus must contain traps"
    assert not (traps & in_landscape)


def test_indications_match_the_generator_labels(demo_db: Path) -> None:
    labels = demo_labels()
    stored = {r[0] for r in pairs(demo_db, "select nct_id from trials")}
    expected = {(nct, i) for nct, label in labels.items() if nct in stored for i in label["indications"]}
    found = pairs(demo_db, "select nct_id, indication from trial_indications")
    precision, recall = precision_recall(expected, found)
    assert precision >= 0.90 and recall >= 0.90, (precision, recall, sorted(found ^ expected)[:10])
