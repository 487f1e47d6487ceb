"""Issue 12's must-show: a registry whose agents are written in every style, through a real refresh.

The registry (tests/standin/every_style.py) holds, for every tracked agent of the bundled catalogue, trials in
rotating registrant styles — canonical name, brand or alias, code joined / hyphenated / spaced, only in
otherNames, a placeholder intervention with the agent only in the arm, the description or the title, beside
another agent's matching placebo, fixed combinations and bispecifics, class-only wordings, a product's nature
only — plus decoys (agents.md §4) and filler. The stand-in serves it over loopback HTTP; a full refresh with
the installation's own scope runs; the public views `trials` and `trial_mechanisms` are read. Expected rows
come from the catalogue's declared classes and targets, never from the classifier.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.standin.every_style import every_style_registry
from tests.standin.style_score import refresh_and_read, score
from tests.standin.style_specs import spelling_key
from tracker.landscape import Domain

IN_LANDSCAPE_FLOOR = 0.98  # tracked trials fetched and in the landscape
EXACT_FLOOR = 0.97  # tracked trials with exactly the expected (mechanism_class, target) set
DECOYS_OUT_FLOOR = 0.98  # decoys kept out of the landscape


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    studies, specs = every_style_registry()
    found = refresh_and_read(studies, tmp_path_factory.mktemp("every-style"))
    result, failures = score(specs, found)
    return result, failures, specs


@pytest.mark.slow
def test_the_registry_covers_every_style_for_many_agents(
        figures: tuple[dict[str, Any], list[str], dict[str, Any]]) -> None:
    _, _, specs = figures
    agents = Domain.load().catalogue.tracked
    styles_of: dict[str, set[str]] = {}
    for spec in specs.values():
        styles_of.setdefault(spec.subject, set()).add(spec.style)
    assert all(len(styles_of.get(a.name, ())) >= 3 for a in agents)
    per_style: dict[str, int] = {}
    for spec in specs.values():
        per_style[spec.style] = per_style.get(spec.style, 0) + 1
    for style in ("name", "alias", "code_joined", "code_hyphen", "code_space", "other_name", "arm_group",
                  "description", "title", "placebo_of_other", "class_only", "nature_only", "combination"):
        assert per_style.get(style, 0) >= 15, (style, per_style)
    assert per_style["decoy"] >= 100 and per_style["fixed_combination"] >= 2
    # the placeholder sponsor codes must name no agent, else their trials would test nothing
    known = {spelling_key(n) for a in agents for n in a.names}
    assert not any(spelling_key(i.name) in known for s in specs.values() if s.style in ("arm_group", "title")
                   for i in s.interventions)


@pytest.mark.slow
def test_every_style_reaches_the_landscape_with_the_right_mechanisms_and_decoys_stay_out(
        figures: tuple[dict[str, Any], list[str], dict[str, Any]]) -> None:
    result, failures, _ = figures
    overall = result["overall"]
    report = "\n".join([f"{style:<22} {row}" for style, row in sorted(result.items())] + failures)
    assert overall["tracked"] >= 800 and overall["decoys"] >= 100, report
    assert overall["fetched_in_landscape"] >= IN_LANDSCAPE_FLOOR, report
    assert overall["exact_mechanisms"] >= EXACT_FLOOR, report
    assert overall["decoys_kept_out"] >= DECOYS_OUT_FLOOR, report
