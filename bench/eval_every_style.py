"""Issue 12's three ratios per registrant style and overall, on the every-style synthetic registry.

    python bench/eval_every_style.py [--show-errors] [--out PATH]

Builds the registry of tests/standin/every_style.py (every tracked agent of the bundled catalogue in rotating
styles, class-only wordings, combinations, decoys, filler), serves it through the stand-in, runs a full
`tracker.api.run_refresh` with the installation's own scope into a temporary database and reads the public
views `trials` and `trial_mechanisms`. Per style: tracked trials fetched and in the landscape, tracked trials
with exactly the expected (mechanism_class, target) set, decoys kept out. Figures go to `--out` (default
bench/results/every_style.json); tests/test_every_style.py holds the floors.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.standin.every_style import every_style_registry  # noqa: E402
from tests.standin.style_score import refresh_and_read, score  # noqa: E402


def _cell(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def main() -> int:
    args = sys.argv[1:]
    out = Path(args[args.index("--out") + 1]) if "--out" in args else ROOT / "bench" / "results" / "every_style.json"
    started = time.perf_counter()
    studies, specs = every_style_registry()
    with tempfile.TemporaryDirectory(prefix="every-style-") as tmp:
        found = refresh_and_read(studies, Path(tmp))
    figures, failures = score(specs, found)
    seconds = round(time.perf_counter() - started, 1)
    print(f"{'style':<22} {'trials':>6} {'in landscape':>12} {'exact':>6} {'decoys out':>10}")
    for style, row in sorted(figures.items(), key=lambda item: (item[0] == "overall", item[0])):
        print(f"{style:<22} {row['trials']:>6} {_cell(row['fetched_in_landscape']):>12} "
              f"{_cell(row['exact_mechanisms']):>6} {_cell(row['decoys_kept_out']):>10}")
    print(f"{len(failures)} failing trials; {seconds} s")
    if "--show-errors" in args:
        print("\n".join(failures))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"registry": "tests/standin/every_style.py", "studies": len(studies),
                               "seconds": seconds, "styles": figures, "failures": failures}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
