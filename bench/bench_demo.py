"""Demo benchmark: seconds from `tracker up --demo` to the first landscape rendered in headless Chromium.

    python bench/bench_demo.py [--repeats 3]

Each repetition starts from an empty data directory, so the time includes the stand-in, the first
refresh of the 600-trial demo corpus, classification, publishing, Streamlit's start and the page render.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def one_run(browser: object) -> float:
    from playwright.sync_api import Browser
    from playwright.sync_api import Error as PlaywrightError

    assert isinstance(browser, Browser)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as data:
        env = {**os.environ, "TRACKER_DB": f"{data}/tracker.duckdb", "TRACKER_PORT": str(port),
               "TRACKER_LOG_LEVEL": "WARNING"}
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "tracker", "up", "--demo"], env=env, cwd=ROOT,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        page = browser.new_page()
        try:
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded", timeout=5_000)
                    break
                except PlaywrightError:  # not listening yet
                    if process.poll() is not None:
                        raise SystemExit("tracker up --demo exited early") from None
                    time.sleep(0.2)
            page.get_by_text("Mechanism × phase").first.wait_for(timeout=120_000)
            page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
            elapsed = time.perf_counter() - started
        finally:
            page.close()
            process.send_signal(signal.SIGINT)
            process.wait(60)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        runs = [one_run(browser) for _ in range(args.repeats)]
        browser.close()
    summary = {"repeats": len(runs), "median_s": statistics.median(runs), "runs_s": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "demo.json").write_text(json.dumps(summary, indent=1))
    print(f"tracker up --demo → first rendered landscape: median {summary['median_s']:.1f} s "
          f"(runs: {', '.join(f'{r:.1f}' for r in runs)} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
