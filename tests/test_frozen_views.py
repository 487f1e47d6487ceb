"""The public views are byte-for-byte what they were when the golden digests were recorded.

A refactor must not change what users query. The demo corpus is refreshed through a fake CT.gov
with a fixed clock, every public view is dumped in a canonical order, and each dump's digest is
compared with tests/golden/public_views.json. Left out: `catalogue_hash` (the hash of the catalogue
files' bytes, which change when a comment or colour is added without any label moving), `version_id`
(a surrogate key that parallel inserts number in any order) and `changed_at` (when labels were computed).

A change that is meant to alter a view regenerates the file: REGEN_GOLDEN=1 pytest this file,
and the commit says why the views changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.fake_ctgov import FakeCtGov
from tracker import api, refresh
from tracker.config import Settings
from tracker.demo.corpus import demo_registry

GOLDEN = Path(__file__).parent / "golden" / "public_views.json"
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
# the catalogue files' hash; surrogate version ids, numbered by parallel inserts; when labels were computed
VOLATILE = {"catalogue_hash", "version_id", "changed_at"}


def view_digests(path: Path) -> dict[str, str]:
    digests = {}
    with duckdb.connect(str(path), read_only=True) as con:
        views = [r[0] for r in con.execute(
            "select view_name from duckdb_views() where schema_name = 'main' and not internal order by 1").fetchall()]
        for view in views:
            columns = [r[0] for r in con.execute(f"describe {view}").fetchall() if r[0] not in VOLATILE]
            listed = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f"select {listed} from {view} order by all").fetchall()
            text = json.dumps([columns, rows], default=str, ensure_ascii=False)
            digests[view] = f"{len(rows)}:{hashlib.sha256(text.encode()).hexdigest()}"
    return digests


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings = Settings(db_path=tmp_path_factory.mktemp("frozen") / "tracker.duckdb", max_rpm=0)
    studies = [record.study for record in demo_registry().snapshot()]
    fake = FakeCtGov(studies, data_timestamp="2026-11-20T09:00:05")
    result = refresh.run_refresh(settings, api.scope_for(settings), full=True, transport=fake.transport(),
                                 now=lambda: NOW)
    assert result.status == "succeeded", result.error
    return settings.db_path


def test_public_views_are_unchanged(demo_db: Path) -> None:
    digests = view_digests(demo_db)
    if os.environ.get("REGEN_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    changed = {view: (golden.get(view), digest) for view, digest in digests.items() if golden.get(view) != digest}
    missing = sorted(set(golden) - set(digests))
    assert not changed and not missing, f"public views changed: {changed}; views gone: {missing}"
