"""Recall sanity check: the tracker's counts beside the published count anchors of agents.md §5.

    python bench/count_anchors.py [data/tracker.duckdb]

Meaningful after a full live refresh (`tracker refresh --full` with network); on the offline demo the
counts are of synthetic records.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tracker import db  # noqa: E402

ANCHORS = [
    ("NK-cell administration trials (adoptive_nk + car_nk), started to end-2021",
     "select count(distinct nct_id) from trials where in_landscape and list_has_any(mechanism_classes, "
     "['adoptive_nk', 'car_nk']) and year(start_date) <= 2021", "≥ 420 (Lamers-Kok 2022)"),
    ("NK-cell administration trials, all years",
     "select count(distinct nct_id) from trials where in_landscape and list_has_any(mechanism_classes, "
     "['adoptive_nk', 'car_nk'])", "600–900 estimated for 2025–26"),
    ("CAR-NK trials", "select count(*) from trials where in_landscape and list_contains(mechanism_classes, 'car_nk')",
     "100+ (estimate)"),
    ("relatlimab", "select count(*) from trials where list_contains(agents, 'relatlimab')", "≈ 47 (mid-2022)"),
    ("lirilumab", "select count(*) from trials where list_contains(agents, 'lirilumab')", "≈ 15–20"),
    ("monalizumab", "select count(*) from trials where list_contains(agents, 'monalizumab')", "≈ 20–30"),
    ("KIR + NKG2A", "select count(*) from trials where list_contains(mechanism_classes, 'nk_checkpoint')",
     "a few dozen"),
    ("sabatolimab", "select count(*) from trials where list_contains(agents, 'sabatolimab')", "≥ 9 (subset)"),
    ("tiragolumab", "select count(*) from trials where list_contains(agents, 'tiragolumab')", "≥ 17 (subset)"),
    ("PD-1/PD-L1 trials", "select count(*) from trials where has_pd1_pdl1_ctla4", "thousands"),
]


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "data" / "tracker.duckdb"
    print("| scope | tracker | published anchor |\n|---|---:|---|")
    for label, query, anchor in ANCHORS:
        count = db.read_frame(path, query).row(0)[0]
        print(f"| {label} | {count:,} | {anchor} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
