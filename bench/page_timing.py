"""The cold-page timing both dashboard benchmarks use: each page's script run with Streamlit's caches cleared."""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboards" / "streamlit_app.py")


def cold_runs(db_path: Path, pages: Mapping[str, tuple[str | None, Mapping[str, str]]], repeats: int, *,
              timeout: float = 120, warm_up: bool = False) -> dict[str, float]:
    """Median server-side time of a cold run of each page: label -> (page under app_pages/, or None for the
    default page; query parameters). `warm_up`: one untimed run first, as a running server has imported
    streamlit's, plotly's and the dashboard's modules before its first visitor."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["TRACKER_DB"] = str(db_path)
    if warm_up:
        AppTest.from_file(APP, default_timeout=timeout).run()
    results: dict[str, float] = {}
    for label, (page, params) in pages.items():
        samples = []
        for _ in range(repeats):
            at = AppTest.from_file(APP, default_timeout=timeout)
            for key, value in params.items():
                at.query_params[key] = value
            if page is not None:
                at.run()  # AppTest starts on the default page; only the run of the page itself is timed
                at.switch_page(f"app_pages/{page}.py")
            st.cache_data.clear()
            started = time.perf_counter()
            at.run()
            samples.append(time.perf_counter() - started)
            if at.exception:
                raise SystemExit(f"page {label} raised: {at.exception[0].value}")
        results[label] = statistics.median(samples)
        print(f"  {label}: {results[label]:.2f} s", file=sys.stderr, flush=True)
    return results
