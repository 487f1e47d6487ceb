"""Serve a corpus with the test rig's stand-in until SIGINT or SIGTERM: ``python -m tests.standin``.

    python -m tests.standin --corpus synthetic:20000 --seed 3 --port 8765 --fault-rate 0.1

The first line it prints is the API base URL (``http://127.0.0.1:8765/api/v2``); SIGINT or SIGTERM
stops it with exit status 0. Run it from the repository root (``tests`` must be importable).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from types import FrameType

from tests.standin.corpus import iter_synthetic_studies, real_studies
from tests.standin.faults import Faults
from tests.standin.server import FaultyStandIn
from tracker.demo.corpus import demo_registry
from tracker.demo.registry import Registry


def registry_for(corpus: str, seed: int = 0) -> Registry:
    """The registry of a --corpus value: real, demo or synthetic:N."""
    if corpus == "real":
        return Registry(real_studies())
    if corpus == "demo":
        return demo_registry()
    count = corpus.removeprefix("synthetic:")
    if corpus.startswith("synthetic:") and count.isdigit():
        return Registry(iter_synthetic_studies(int(count), seed=seed))
    raise ValueError(f"--corpus must be real, demo or synthetic:N, not {corpus!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a corpus until SIGINT/SIGTERM; print the base URL on one line first."""
    parser = argparse.ArgumentParser(prog="python -m tests.standin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", default="demo", help="real | demo | synthetic:N (default demo)")
    parser.add_argument("--seed", type=int, default=0, help="seed of synthetic corpora and random faults")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="mixed fault probability per request")
    parser.add_argument("--empty-page-rate", type=float, default=0.0, help="empty middle pages, per later page")
    args = parser.parse_args(argv)
    try:
        registry = registry_for(args.corpus, args.seed)
        faults = replace(Faults.mixed(args.fault_rate, seed=args.seed), p_empty_middle_page=args.empty_page_rate)
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with FaultyStandIn(registry, faults, host=args.host, port=args.port) as standin:
        print(standin.url, flush=True)
        while not stop.wait(0.2):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
