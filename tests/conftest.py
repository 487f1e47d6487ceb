"""Shared fixtures: isolated settings, real CT.gov sample records, a fake CT.gov handler."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tracker.config import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED_SAMPLES = ROOT.parent / "shared" / "ctgov-samples"
BUNDLED_SAMPLES = ROOT / "tests" / "standin" / "data" / "real"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's TRACKER_* settings."""
    for name in list(os.environ):
        if name.startswith("TRACKER_"):
            monkeypatch.delenv(name)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db_path=tmp_path / "data" / "tracker.duckdb", max_rpm=0, backoff=0.01, retries=5,
                    timeout=10.0)


def sample_files() -> list[Path]:
    """Every real full-record sample: the shared folder when present (so new records are picked up)."""
    root = Path(os.environ.get("TRACKER_SAMPLES", SHARED_SAMPLES))
    if root.is_dir():
        return sorted([*root.glob("v2-full/*.json"), *root.glob("v2-pages/*.json")])
    return sorted(BUNDLED_SAMPLES.glob("*.json"))


def sample_studies() -> list[dict[str, Any]]:
    """Every real study object of the samples, newest versionHolder per NCT id."""
    by_id: dict[str, dict[str, Any]] = {}
    for path in sample_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        for study in data["studies"] if "studies" in data else [data]:
            nct = study["protocolSection"]["identificationModule"]["nctId"]
            held = by_id.get(nct)
            if held is None or _holder(study) >= _holder(held):
                by_id[nct] = study
    return list(by_id.values())


def _holder(study: dict[str, Any]) -> str:
    return str(study.get("derivedSection", {}).get("miscInfoModule", {}).get("versionHolder", ""))
